"""Fixtures for the application-layer tests: moto as AWS (the root `aws` fixture) with the pipeline's
resources. The resource and message helpers are the handler tests' own, loaded by path."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from canaries import CLIENT_ID, CLIENT_SECRET

_HANDLER_TESTS = Path(__file__).resolve().parents[1] / "handlers"


def _load_helper(name: str) -> ModuleType:
    # Shared with the handler tests; loaded by path (a tests/handlers package would shadow `handlers`).
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, _HANDLER_TESTS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


aws_resources = _load_helper("aws_resources")
_load_helper("notification_messages")


@pytest.fixture
def resources(aws):
    return aws_resources.create_pipeline_resources(CLIENT_ID, CLIENT_SECRET)
