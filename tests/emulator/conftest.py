"""Fixtures for the emulator's own tests: HTTP sessions that already hold a seller or a grantless token."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from emulator_api import Api, grantless_token, seller_token

from spapi_emulator import SpApiEmulator


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
