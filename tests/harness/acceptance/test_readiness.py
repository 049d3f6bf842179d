"""The real-account run waits out IAM propagation after the apply, and only that (acceptance_readiness)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from sp_reports.client import ApiError, ConfigurationError
from sp_reports_harness.acceptance.readiness import is_refusal, retry_while_refused
from sp_reports_harness.acceptance.results import AcceptanceFailed
from spapi_emulator.remote_control import ControlError


def _sts_refusal(code: str) -> ConfigurationError:
    error = ConfigurationError(f"cannot assume the invoke role: {code}")
    error.__cause__ = ClientError({"Error": {"Code": code, "Message": "m"}}, "AssumeRole")
    return error


# (answer, a refusal that propagation explains?)
CASES = [
    (ControlError("POST apps answered 403: Forbidden", 403), True),  # the function URL's permission
    (ApiError(403, "Forbidden", "not authorized to perform: execute-api:Invoke"), True),
    (_sts_refusal("AccessDenied"), True),  # the invoke role's trust policy
    (ControlError("POST apps answered 500: boom", 500), False),
    (ControlError("downloading the document answered 403"), False),  # a presigned URL: no propagation
    (ApiError(404, "ReportNotFound", "no report"), False),
    (ApiError(502, "BadGateway", "bad gateway"), False),
    (_sts_refusal("ExpiredToken"), False),
    (ConfigurationError("no region"), False),
    (RuntimeError("anything else"), False),
]


@pytest.mark.parametrize(("error", "refusal"), CASES, ids=[repr(error)[:60] for error, _ in CASES])
def test_only_authorisation_refusals_are_waited_out(error, refusal):
    assert is_refusal(error) is refusal


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _answers(*outcomes: Any) -> Any:
    remaining = list(outcomes)

    def call() -> Any:
        outcome = remaining.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    return call


def test_refusals_are_retried_until_the_first_other_answer():
    clock = Clock()
    refused = ApiError(403, "Forbidden", "not yet")

    answer = retry_while_refused(
        _answers(refused, refused, "HTTP 404"),
        "the API",
        timeout=60,
        interval=5,
        sleep=clock.sleep,
        clock=lambda: clock.now,
    )

    assert answer == "HTTP 404"
    assert clock.sleeps == [5, 5]


def test_a_refusal_past_the_timeout_fails_the_run_naming_what_was_refused():
    clock = Clock()
    refused = ControlError("POST apps answered 403: Forbidden", 403)

    with pytest.raises(AcceptanceFailed, match="the emulator's function URL was still refused 10 s after"):
        retry_while_refused(
            _answers(*[refused] * 10),
            "the emulator's function URL",
            timeout=10,
            interval=5,
            sleep=clock.sleep,
            clock=lambda: clock.now,
        )
    assert clock.sleeps == [5, 5]


def test_any_other_error_ends_the_wait_at_once():
    clock = Clock()

    with pytest.raises(ApiError, match="502"):
        retry_while_refused(
            _answers(ApiError(502, "BadGateway", "bad")),
            "the API",
            sleep=clock.sleep,
            clock=lambda: clock.now,
        )
    assert clock.sleeps == []
