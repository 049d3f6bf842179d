"""Fixtures for the emulator's own tests: HTTP sessions that already hold a seller or a grantless token, and
local AWS with the emulator's zip for the tests that deploy it as a Lambda."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sp_reports_harness.local_aws import LocalAws
from spapi_emulator import SpApiEmulator
from tests.support.deployed_emulator import emulator_zip
from tests.support.emulator_api import Api, grantless_token, seller_token


@pytest.fixture
def seller(spapi_emulator: SpApiEmulator) -> Iterator[Api]:
    api = Api(spapi_emulator, seller_token(spapi_emulator))
    yield api
    api.session.close()


@pytest.fixture
def grantless(spapi_emulator: SpApiEmulator) -> Iterator[Api]:
    api = Api(spapi_emulator, grantless_token(spapi_emulator))
    yield api
    api.session.close()


@pytest.fixture(scope="module")
def module_local_aws() -> Iterator[LocalAws]:
    """Local AWS for the tests that deploy the emulator as a Lambda (one LocalAws per process at a time)."""
    with LocalAws(sqs_poll_interval=0.1, aws_managed_policies=False) as aws:
        yield aws


@pytest.fixture(scope="session")
def emulator_code(models_dir) -> bytes:
    """spapi_emulator.zip, built once for every test that deploys it."""
    return emulator_zip(models_dir)
