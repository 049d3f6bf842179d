"""What tests need to run our handlers the way Lambda does: a cold import and a context object."""

from __future__ import annotations

import importlib
import sys
import time
import uuid
from types import ModuleType, SimpleNamespace

import pytest


def import_handler_cold(name: str, monkeypatch: pytest.MonkeyPatch, **environment: str) -> ModuleType:
    """Import `sp_reports.handlers.<name>` afresh (a cold start) with `environment` added to the current
    one."""
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    # A service name of its own per load gives the function a fresh Powertools logger writing to this
    # test's captured stdout.
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", f"{name}-{uuid.uuid4().hex[:8]}")
    sys.modules.pop(f"sp_reports.handlers.{name}", None)
    return importlib.import_module(f"sp_reports.handlers.{name}")


def lambda_context(function_name: str = "sp-reports-test") -> SimpleNamespace:
    """A context with what Powertools reads from Lambda's."""
    return SimpleNamespace(
        function_name=function_name,
        memory_limit_in_mb=256,
        invoked_function_arn=f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}",
        aws_request_id=str(uuid.uuid4()),
        get_remaining_time_in_millis=lambda: 30_000,
    )


class VirtualClock:
    """time.monotonic plus every second slept so far."""

    def __init__(self) -> None:
        self.slept = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.slept

    def sleep(self, seconds: float) -> None:
        self.slept += max(0.0, seconds)


def sleep_on_virtual_time(http) -> VirtualClock:
    """Let an `SpApiHttpClient`'s backoff sleeps and client-side rate-limit waits pass on a virtual clock:
    it behaves as with real time (its token buckets refill while it "sleeps"), the test does not wait."""
    from sp_reports.spapi.ratelimit import RateLimiter

    clock = VirtualClock()
    http.clock = clock
    http.sleep = clock.sleep
    http.rate_limiter = RateLimiter(clock=clock)
    return clock
