"""Fixtures for the handler tests: moto as AWS (in-process) with the pipeline's resources."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from moto import mock_aws

_HERE = Path(__file__).parent


def _load_helper(name: str):
    # The helpers live beside this file; loading them by path keeps tests/ free of packages whose names could
    # shadow the `handlers` package under test.
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, _HERE / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


aws_resources = _load_helper("aws_resources")


@pytest.fixture
def moto_aws(monkeypatch):
    """moto in-process, with fake credentials so nothing can reach a real account."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": aws_resources.REGION,
        "AWS_REGION": aws_resources.REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield


@pytest.fixture
def resources(moto_aws):
    return aws_resources.create_pipeline_resources("amzn1.application-oa2-client.test", "client-secret-test")
