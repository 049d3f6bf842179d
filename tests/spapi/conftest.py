"""Fixtures for the spapi library tests: a fake clock, clients wired to the emulator, a recording session."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from sp_reports.spapi.credentials import AppCredentials
from sp_reports.spapi.http import SpApiHttpClient
from sp_reports.spapi.lwa import LwaClient
from sp_reports.spapi.ratelimit import RateLimiter
from sp_reports.spapi.regions import lwa_endpoint, spapi_endpoint
from sp_reports.spapi.reports import ReportsClient
from spapi_emulator import SpApiEmulator
from tests.support.canaries import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, SELLER_ID


class FakeClock:
    """A monotonic clock that only moves when told to; `sleep` records the delay and advances time."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(seconds)


@dataclass
class RecordedRequest:
    method: str
    url: str
    headers: dict[str, str]
    data: object = None


class RecordingSession(requests.Session):
    """A real `requests.Session` that remembers what it sent (method, URL, headers, form data)."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[RecordedRequest] = []

    def request(self, method, url, *args, **kwargs):  # type: ignore[override]
        headers = {k.lower(): v for k, v in (kwargs.get("headers") or {}).items()}
        self.sent.append(RecordedRequest(method, url, headers, kwargs.get("data")))
        return super().request(method, url, *args, **kwargs)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app_credentials() -> AppCredentials:
    return AppCredentials(CLIENT_ID, CLIENT_SECRET)


@pytest.fixture
def session() -> Iterator[RecordingSession]:
    recording = RecordingSession()
    yield recording
    recording.close()


@pytest.fixture
def lwa(
    spapi_emulator: SpApiEmulator, app_credentials: AppCredentials, session: RecordingSession
) -> LwaClient:
    # No real sleeping between LWA retries in tests.
    return LwaClient(app_credentials, endpoint=lwa_endpoint(), session=session, sleep=lambda _s: None)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def http(spapi_emulator: SpApiEmulator, session: RecordingSession, sleeps: list[float]) -> SpApiHttpClient:
    return SpApiHttpClient(
        spapi_endpoint("NA"), session=session, sleep=sleeps.append, rate_limiter=RateLimiter()
    )


@pytest.fixture
def reports(http: SpApiHttpClient, lwa: LwaClient) -> ReportsClient:
    return ReportsClient(http, lwa.seller_token_provider(REFRESH_TOKEN))


@pytest.fixture
def manual_emulator(
    models_dir: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[SpApiEmulator]:
    """Like `spapi_emulator`, but reports only move when the test says so (finish_report/start_report)."""
    with SpApiEmulator(models_dir=models_dir, auto_advance=False) as emulator:
        emulator.register_app(CLIENT_ID, CLIENT_SECRET)
        emulator.register_seller(REFRESH_TOKEN, SELLER_ID)
        monkeypatch.setenv("SP_REPORTS_TEST_ENDPOINTS", "true")  # a stand-in of SP-API: a test deployment
        monkeypatch.setenv("SPAPI_ENDPOINT_URL", emulator.url)
        monkeypatch.setenv("LWA_ENDPOINT_URL", emulator.lwa_url)
        yield emulator
    violations = emulator.contract_violations()
    assert not violations, "SP-API exchanges broke the models:\n" + "\n".join(violations)
