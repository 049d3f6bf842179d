"""SP-API HTTP client: headers, typed errors, retries and their limits, rate limits, token refresh."""

from __future__ import annotations

import logging
import re

import pytest
import requests

from sp_reports.spapi.errors import (
    LwaInvalidGrantError,
    LwaUnavailableError,
    SpApiClientError,
    SpApiServerError,
    SpApiThrottledError,
    SpApiTimeoutError,
)
from sp_reports.spapi.http import DEFAULT_USER_AGENT, SpApiHttpClient
from sp_reports.spapi.ratelimit import OperationRate, RateLimiter
from sp_reports.spapi.regions import spapi_endpoint
from tests.support.canaries import REFRESH_TOKEN, assert_no_secrets
from tests.support.spapi_exchanges import CannedAdapter, spapi_exchanges

CREATE = "/reports/2021-06-30/reports"
BODY = {"reportType": "GET_MERCHANT_LISTINGS_ALL_DATA", "marketplaceIds": ["ATVPDKIKX0DER"]}


def _create(http: SpApiHttpClient, token) -> str:
    return http.request("createReport", "POST", CREATE, access_token=token, json=BODY).body["reportId"]


def test_request_sends_the_token_and_a_user_agent_and_returns_the_request_id(http, lwa, session) -> None:
    token = lwa.seller_token_provider(REFRESH_TOKEN)
    response = http.request("createReport", "POST", CREATE, access_token=token, json=BODY)
    assert response.status == 202 and response.body["reportId"]
    assert response.request_id and response.request_id == response.headers["x-amzn-RequestId"]
    sent = session.sent[-1]
    assert sent.headers["x-amz-access-token"].startswith("Atza|")
    assert re.fullmatch(
        r"sp-reports/\d+\.\d+\.\d+ \(Language=Python/3\.\d+\.\d+\)", sent.headers["user-agent"]
    )
    assert sent.headers["user-agent"] == DEFAULT_USER_AGENT and len(DEFAULT_USER_AGENT) <= 500


def test_a_user_agent_over_500_characters_is_refused() -> None:
    with pytest.raises(ValueError, match="user_agent"):
        SpApiHttpClient("http://127.0.0.1:9", user_agent="x" * 501)


def test_server_errors_are_retried_until_success(http, lwa, spapi_emulator, sleeps) -> None:
    spapi_emulator.inject("createReport", 500, times=1)
    spapi_emulator.inject("createReport", 503, times=1)
    assert _create(http, lwa.seller_token_provider(REFRESH_TOKEN))
    assert [e.status for e in spapi_exchanges(spapi_emulator, "createReport")] == [500, 503, 202]
    assert len(sleeps) == 2
    assert 0 <= sleeps[0] <= 0.5 and 0 <= sleeps[1] <= 1.0  # full jitter under base * 2**(n-1)


def test_throttling_that_outlasts_the_attempts_raises_throttled_with_the_request_id(
    spapi_emulator, lwa, session, clock
) -> None:
    http = SpApiHttpClient(
        spapi_endpoint("NA"),
        session=session,
        clock=clock,
        sleep=_sleep_both(clock, spapi_emulator),
        max_attempts=4,
        base_delay=1.0,
        max_delay=3.0,
    )
    spapi_emulator.inject("getReport", 429, times=None)
    with pytest.raises(SpApiThrottledError) as raised:
        _get_report(http, lwa.seller_token_provider(REFRESH_TOKEN), _report_id(http, lwa))
    error = raised.value
    assert (error.status, error.code, error.operation) == (429, "QuotaExceeded", "getReport")
    assert (
        error.request_id
        == spapi_exchanges(spapi_emulator, "getReport")[-1].response_headers["x-amzn-RequestId"]
    )
    assert error.retry_after == pytest.approx(1 / 2.0)  # getReport's documented rate: 2 requests/s
    assert len(spapi_exchanges(spapi_emulator, "getReport")) == 4
    assert len(clock.sleeps) == 3
    for attempt, delay in enumerate(clock.sleeps, start=1):
        # Full jitter, but never before the drained bucket holds a token again (0.5 s at 2/s).
        assert 0.5 <= delay <= max(0.5, min(3.0, 1.0 * 2 ** (attempt - 1)))


def test_a_429_for_an_operation_refilling_slower_than_the_deadline_is_reported_at_once(
    spapi_emulator, lwa, session, clock
) -> None:
    http = SpApiHttpClient(
        spapi_endpoint("NA"), session=session, clock=clock, sleep=clock.sleep, deadline=30.0
    )
    spapi_emulator.inject("createReport", 429, times=None)
    with pytest.raises(SpApiThrottledError) as raised:
        _create(http, lwa.seller_token_provider(REFRESH_TOKEN))
    # createReport refills one request a minute (documented 0.0167/s): a retry inside 30 s would be refused.
    assert raised.value.retry_after == pytest.approx(1 / 0.0167, rel=0.01)
    assert len(spapi_exchanges(spapi_emulator, "createReport")) == 1 and clock.sleeps == []


def _sleep_both(clock, emulator):
    """Sleep on our fake clock and let the same time pass for the emulator (its buckets refill)."""

    def sleep(seconds: float) -> None:
        clock.sleep(seconds)
        emulator.advance_time(seconds)

    return sleep


def _report_id(http: SpApiHttpClient, lwa) -> str:
    return _create(http, lwa.seller_token_provider(REFRESH_TOKEN))


def _get_report(http: SpApiHttpClient, token, report_id: str):
    return http.request("getReport", "GET", f"{CREATE}/{report_id}", access_token=token)


def test_a_429_carries_no_rate_limit_header_so_the_retry_waits_for_the_last_rate_learnt(
    spapi_emulator, lwa, session, clock
) -> None:
    # SP-API's real plan for this seller is 0.5 requests/s, burst 2; only successful answers say so
    # (x-amzn-RateLimit-Limit); the 429 does not (selling-partner-api-docs Usage-Plans-and-Rate-Limits.md,
    # selling-partner-api-models#746).
    spapi_emulator.set_rate("getReport", 0.5, 2)
    http = SpApiHttpClient(
        spapi_endpoint("NA"),
        session=session,
        clock=clock,
        sleep=_sleep_both(clock, spapi_emulator),
        rng=lambda: 0.0,
    )
    token = lwa.seller_token_provider(REFRESH_TOKEN)
    report_id = _report_id(http, lwa)
    for _ in range(3):  # our bucket still allows 15 at once: the third call meets SP-API's empty bucket
        _get_report(http, token, report_id)

    statuses = [e.status for e in spapi_exchanges(spapi_emulator, "getReport")]
    assert statuses == [200, 200, 429, 200]
    throttled = spapi_exchanges(spapi_emulator, "getReport")[2]
    assert "x-amzn-RateLimit-Limit" not in throttled.response_headers
    assert throttled.response_headers["x-amzn-ErrorType"] == "TooManyRequestsException"
    assert clock.sleeps == [pytest.approx(2.0)]  # 1 / 0.5, the rate the 200s reported


def test_without_a_rate_learnt_the_retry_after_a_429_waits_for_the_documented_plan(
    spapi_emulator, lwa, session, clock
) -> None:
    http = SpApiHttpClient(
        spapi_endpoint("NA"),
        session=session,
        clock=clock,
        sleep=_sleep_both(clock, spapi_emulator),
        rng=lambda: 0.0,
    )
    report_id = _report_id(http, lwa)
    spapi_emulator.inject("getReport", 429, times=1)
    assert _get_report(http, lwa.seller_token_provider(REFRESH_TOKEN), report_id).status == 200
    assert clock.sleeps == [pytest.approx(0.5)]  # getReport: 2 requests/s in the Reports model


def test_persistent_server_errors_raise_server_error(spapi_emulator, lwa, session) -> None:
    http = SpApiHttpClient(spapi_endpoint("NA"), session=session, sleep=lambda _s: None, max_attempts=3)
    spapi_emulator.inject("createReport", 503, times=None)
    with pytest.raises(SpApiServerError) as raised:
        _create(http, lwa.seller_token_provider(REFRESH_TOKEN))
    assert (raised.value.status, raised.value.code) == (503, "ServiceUnavailable")
    assert raised.value.request_id
    assert len(spapi_exchanges(spapi_emulator, "createReport")) == 3


def test_client_errors_are_not_retried(http, lwa, spapi_emulator, sleeps) -> None:
    with pytest.raises(SpApiClientError) as raised:
        http.request(
            "getReport",
            "GET",
            "/reports/2021-06-30/reports/999999",
            access_token=lwa.seller_token_provider(REFRESH_TOKEN),
        )
    assert (raised.value.status, raised.value.code) == (404, "NotFound")
    assert raised.value.request_id
    assert len(spapi_exchanges(spapi_emulator, "getReport")) == 1 and sleeps == []


def test_retries_stop_at_the_total_deadline(spapi_emulator, lwa, session, clock) -> None:
    http = SpApiHttpClient(
        spapi_endpoint("NA"),
        session=session,
        clock=clock,
        sleep=clock.sleep,
        rng=lambda: 1.0,
        base_delay=2.0,
        max_delay=8.0,
        max_attempts=10,
        deadline=5.0,
    )
    spapi_emulator.inject("createReport", 500, times=None)
    with pytest.raises(SpApiServerError):
        _create(http, lwa.seller_token_provider(REFRESH_TOKEN))
    # Sleeps 2 s, then a 4 s sleep would end past the 5 s deadline: two attempts, not ten.
    assert clock.sleeps == [2.0]
    assert len(spapi_exchanges(spapi_emulator, "createReport")) == 2


def test_the_reported_rate_limit_replaces_the_documented_one_for_that_seller(
    http, lwa, spapi_emulator
) -> None:
    spapi_emulator.set_rate("createReport", 0.5, 15)
    token = lwa.seller_token_provider(REFRESH_TOKEN)
    assert http.rate_limiter.bucket("createReport", token.rate_limit_partition).rate == pytest.approx(0.0167)
    _create(http, token)
    assert (
        spapi_exchanges(spapi_emulator, "createReport")[-1].response_headers["x-amzn-RateLimit-Limit"]
        == "0.5"
    )
    assert http.rate_limiter.bucket("createReport", token.rate_limit_partition).rate == 0.5
    other_seller = lwa.seller_token_provider("Atzr|CANARY-other-seller")
    assert http.rate_limiter.bucket("createReport", other_seller.rate_limit_partition).rate == pytest.approx(
        0.0167
    )


def test_each_seller_has_its_own_client_side_bucket(spapi_emulator, lwa, session, clock) -> None:
    other = "Atzr|CANARY-second-seller"
    spapi_emulator.register_seller(other, "A1B2C3D4E5F6G7")
    limiter = RateLimiter(rates={"createReport": OperationRate(0.0167, 1)}, clock=clock)
    http = SpApiHttpClient(
        spapi_endpoint("NA"),
        session=session,
        clock=clock,
        sleep=clock.sleep,
        rate_limiter=limiter,
        deadline=30.0,
    )
    _create(http, lwa.seller_token_provider(REFRESH_TOKEN))
    _create(http, lwa.seller_token_provider(other))  # would wait 60 s if the sellers shared a bucket
    assert clock.sleeps == [] and len(spapi_exchanges(spapi_emulator, "createReport")) == 2
    assert REFRESH_TOKEN not in lwa.seller_token_provider(REFRESH_TOKEN).rate_limit_partition


def test_the_client_side_bucket_spaces_calls_beyond_the_burst(spapi_emulator, lwa, session, clock) -> None:
    spapi_emulator.set_rate("createReport", 0.5, 2)
    spapi_emulator.disable_rate_limits()  # our fake clock does not really wait; only our bucket is under test
    limiter = RateLimiter(rates={"createReport": OperationRate(0.5, 2)}, clock=clock)
    http = SpApiHttpClient(
        spapi_endpoint("NA"), session=session, clock=clock, sleep=clock.sleep, rate_limiter=limiter
    )
    token = lwa.seller_token_provider(REFRESH_TOKEN)
    for _ in range(4):
        _create(http, token)
    assert clock.sleeps == [pytest.approx(2.0), pytest.approx(2.0)]


def test_a_client_side_wait_beyond_the_deadline_fails_fast_without_calling(
    spapi_emulator, lwa, session, clock
) -> None:
    limiter = RateLimiter(rates={"createReport": OperationRate(0.0167, 1)}, clock=clock)
    http = SpApiHttpClient(
        spapi_endpoint("NA"),
        session=session,
        clock=clock,
        sleep=clock.sleep,
        rate_limiter=limiter,
        deadline=30.0,
    )
    token = lwa.seller_token_provider(REFRESH_TOKEN)
    _create(http, token)
    with pytest.raises(SpApiThrottledError) as raised:
        _create(http, token)
    assert raised.value.code == "ClientRateLimited" and raised.value.status is None
    assert raised.value.retry_after == pytest.approx(1 / 0.0167, rel=0.01)
    assert len(spapi_exchanges(spapi_emulator, "createReport")) == 1 and clock.sleeps == []


def test_an_expired_access_token_is_refreshed_and_the_call_retried_once(http, lwa, spapi_emulator) -> None:
    token = lwa.seller_token_provider(REFRESH_TOKEN)
    _create(http, token)
    spapi_emulator.advance_time(3700)  # SP-API's side expires the token; our cache still trusts it
    assert _create(http, token)
    assert [e.status for e in spapi_exchanges(spapi_emulator, "createReport")] == [202, 403, 202]
    assert spapi_emulator.lwa_exchanges == {"refresh_token": 2}


def test_a_token_rejected_twice_is_reported_not_looped(http, lwa, spapi_emulator) -> None:
    spapi_emulator.inject("createReport", 403, times=None)
    with pytest.raises(SpApiClientError) as raised:
        _create(http, lwa.seller_token_provider(REFRESH_TOKEN))
    assert (raised.value.status, raised.value.code) == (403, "Unauthorized")
    assert len(spapi_exchanges(spapi_emulator, "createReport")) == 1


def test_a_403_without_a_reason_is_reported_at_once_without_a_token_refresh(
    http, lwa, spapi_emulator
) -> None:
    # SP-API's 403s often carry "details": "" (selling-partner-api-models#1433 for the wrong kind of token):
    # nothing says the token expired, so refreshing it would only cost an LWA call and a second refusal.
    with pytest.raises(SpApiClientError) as raised:
        http.request(
            "getReport",
            "GET",
            "/reports/2021-06-30/reports/1",
            access_token=lwa.grantless_token_provider(),  # a grantless token on a seller operation
        )
    assert (raised.value.status, raised.value.code, raised.value.details) == (403, "Unauthorized", "")
    assert len(spapi_exchanges(spapi_emulator, "getReport")) == 1
    assert spapi_emulator.lwa_exchanges == {"client_credentials": 1}


def test_an_empty_access_token_is_never_sent(http, spapi_emulator) -> None:
    # SP-API would answer 403 MissingAuthenticationToken (selling-partner-api-docs#51): the fault is ours.
    with pytest.raises(ValueError, match="no access token to send with getReport"):
        http.request("getReport", "GET", "/reports/2021-06-30/reports/1", access_token=lambda: "")
    assert spapi_emulator.exchanges == []


def test_lwa_down_surfaces_as_unavailable_without_calling_sp_api(http, lwa, spapi_emulator) -> None:
    spapi_emulator.lwa_down(503)
    with pytest.raises(LwaUnavailableError):
        _create(http, lwa.seller_token_provider(REFRESH_TOKEN))
    assert spapi_exchanges(spapi_emulator, "createReport") == []


def test_a_revoked_seller_surfaces_as_invalid_grant(http, lwa, spapi_emulator) -> None:
    token = lwa.seller_token_provider(REFRESH_TOKEN)
    _create(http, token)
    spapi_emulator.revoke(REFRESH_TOKEN)
    with pytest.raises(LwaInvalidGrantError):
        _create(http, token)
    assert [e.status for e in spapi_exchanges(spapi_emulator, "createReport")] == [202, 403]


def test_connection_errors_are_retried_then_raise_timeout_error(session) -> None:
    sleeps: list[float] = []
    http = SpApiHttpClient(
        "http://127.0.0.1:9", session=session, sleep=sleeps.append, max_attempts=3, timeout=(0.5, 0.5)
    )
    with pytest.raises(SpApiTimeoutError) as raised:
        http.request("getReport", "GET", "/reports/2021-06-30/reports/1", access_token="Atza|CANARY-x")
    assert (raised.value.status, raised.value.code) == (None, "ConnectionError")
    assert len(session.sent) == 3 and len(sleeps) == 2
    assert_no_secrets(str(raised.value) + repr(raised.value))


def test_read_timeouts_are_retried_then_raise_timeout_error(spapi_emulator, lwa, session) -> None:
    token = lwa.seller_token_provider(REFRESH_TOKEN)
    spapi_emulator.delay("createReport", 0.6, times=2)
    http = SpApiHttpClient(
        spapi_endpoint("NA"), session=session, sleep=lambda _s: None, max_attempts=2, timeout=(1.0, 0.2)
    )
    with pytest.raises(SpApiTimeoutError) as raised:
        _create(http, token)
    assert raised.value.code == "RequestTimeout"


@pytest.mark.parametrize("status", [502, 504])
def test_gateway_errors_are_retried(status: int) -> None:
    adapter = CannedAdapter(
        [(status, b"<html>bad gateway</html>", {})] * 2 + [(200, b'{"reportId": "7"}', {})]
    )
    session = requests.Session()
    session.mount("https://", adapter)
    http = SpApiHttpClient("https://sellingpartnerapi-na.amazon.com", session=session, sleep=lambda _s: None)
    response = http.request("getReport", "GET", "/reports/2021-06-30/reports/7", access_token="Atza|x")
    assert response.body == {"reportId": "7"} and adapter.calls == 3


def test_a_success_without_json_is_a_server_error() -> None:
    session = requests.Session()
    session.mount("https://", CannedAdapter([(200, b"<html/>", {"x-amzn-RequestId": "rid-9"})]))
    http = SpApiHttpClient("https://sellingpartnerapi-na.amazon.com", session=session, sleep=lambda _s: None)
    with pytest.raises(SpApiServerError, match="not JSON") as raised:
        http.request("getReport", "GET", "/reports/2021-06-30/reports/7", access_token="Atza|x")
    assert raised.value.request_id == "rid-9"


def test_log_records_carry_operation_and_request_id_but_no_secrets(
    http, lwa, spapi_emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = lwa.seller_token_provider(REFRESH_TOKEN)
    spapi_emulator.inject("createReport", 500, times=1)
    _create(http, token)
    calls = [
        r for r in caplog.records if r.name == "sp_reports.spapi.http" and r.getMessage() == "SP-API call"
    ]
    assert [(r.operation, r.status) for r in calls] == [("createReport", 500), ("createReport", 202)]
    assert all(r.request_id for r in calls)
    assert_no_secrets(caplog.text + " ".join(str(r.__dict__) for r in caplog.records), token())
