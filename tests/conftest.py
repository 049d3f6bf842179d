"""Shared fixtures: the SP-API models, the SP-API emulator with one app and one seller, and moto as AWS.

The emulator fixture fails a test whose recorded SP-API exchanges break the official models (requests or
responses); tests that send invalid requests on purpose mark themselves `allow_contract_violations`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from moto import mock_aws

from spapi_emulator import ModelContract, SpApiEmulator
from spapi_emulator.contract import ModelsNotFoundError, default_models_dir
from tests.support.canaries import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, SELLER_ID


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "allow_contract_violations: the test sends requests the SP-API models reject, on purpose"
    )


# Test folders whose tests share one expensive state across files (a package-scoped applied stack; the
# reliability suite's figures, written once per session), so they run in one worker of `pytest -n`.
_ONE_WORKER_PACKAGES = ("tests/integration/deployed_stack/", "tests/reliability/")
# Test files whose tests share nothing expensive and each run for minutes (a whole `make acceptance` apiece),
# so each test may run in a worker of its own instead of one after another in one worker.
_TEST_PER_GROUP_FILES = ("tests/integration/test_acceptance.py",)
# The groups that run longest (each several minutes; `make test` lists its slowest tests).
_LONGEST_FIRST = (
    "tests/integration/test_acceptance.py",
    "tests/integration/deployed_stack/",
    "tests/reliability/",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With pytest-xdist's `--dist loadgroup` (the Makefile's), each test file runs in one worker, so
    module-scoped fixtures are set up once, and the packages above each in one worker as a whole."""
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        group = next((package for package in _ONE_WORKER_PACKAGES if path.startswith(package)), path)
        if path in _TEST_PER_GROUP_FILES:
            group = item.nodeid
        item.add_marker(pytest.mark.xdist_group(group))
    # xdist hands groups out in collection order: the longest ones first keep a worker from starting a
    # many-minute group when the others are nearly done.
    items.sort(key=lambda item: not item.nodeid.startswith(_LONGEST_FIRST))


@pytest.fixture(scope="session")
def models_dir() -> Path:
    try:
        directory = default_models_dir()
    except ModelsNotFoundError as error:
        pytest.fail(str(error))
    if not (directory / "reports_2021-06-30.json").is_file():
        pytest.fail(f"SP-API models not found in {directory}: set SPAPI_MODELS_DIR or run `make models`")
    return directory


@pytest.fixture(scope="session")
def contract(models_dir: Path) -> ModelContract:
    return ModelContract.load(models_dir)


@pytest.fixture
def spapi_emulator(
    models_dir: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[SpApiEmulator]:
    """A running emulator that knows CLIENT_ID/CLIENT_SECRET and SELLER_ID/REFRESH_TOKEN; env points at it,
    as a test deployment (SP_REPORTS_TEST_ENDPOINTS, without which the library calls Amazon only)."""
    with SpApiEmulator(models_dir=models_dir) as emulator:
        emulator.register_app(CLIENT_ID, CLIENT_SECRET)
        emulator.register_seller(REFRESH_TOKEN, SELLER_ID)
        monkeypatch.setenv("SP_REPORTS_TEST_ENDPOINTS", "true")  # a stand-in of SP-API: a test deployment
        monkeypatch.setenv("SPAPI_ENDPOINT_URL", emulator.url)
        monkeypatch.setenv("LWA_ENDPOINT_URL", emulator.lwa_url)
        yield emulator
    if request.node.get_closest_marker("allow_contract_violations") is None:
        violations = emulator.contract_violations()
        assert not violations, "SP-API exchanges broke the models:\n" + "\n".join(violations)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto in-process (`mock_aws`) with fake credentials in us-east-1, so nothing reaches a real account."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        yield
