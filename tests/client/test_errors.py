"""API errors, retries and network failures: what the user sees and which exit code scripts get."""

from __future__ import annotations

import json
import socket
import time

import pytest

from sp_reports.client import ApiError, ApiUnavailableError, SpReportsClient, transport
from sp_reports.client.transport import RetryPolicy
from tests.support.fake_sp_reports_api import REGION, SELLER_ID


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch):
    """Backoff without Retry-After shrinks to milliseconds; Retry-After itself is still honoured."""
    monkeypatch.setattr(transport, "DEFAULT_RETRY", RetryPolicy(max_attempts=3, base_delay_seconds=0.01))


def _error(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def test_client_error_exits_1_with_the_api_message(fake_api, api_args, run_cli):
    fake_api.script(
        "POST", "/reports", 400, _error("InvalidInput", "MarketplaceIds: A1PA6795UKMFR9 is not in NA")
    )
    result = run_cli(
        *api_args,
        "reports",
        "create",
        "--seller-id",
        SELLER_ID,
        "--region-code",
        "NA",
        "--report-type",
        "GET_MERCHANT_LISTINGS_ALL_DATA",
        "--marketplace-ids",
        "A1PA6795UKMFR9",
    )
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "HTTP 400 InvalidInput: MarketplaceIds: A1PA6795UKMFR9 is not in NA" in result.stderr
    assert "request id req-1" in result.stderr
    assert len(fake_api.requests) == 1  # a 400 is not retried


def test_client_error_with_json_flag_is_a_json_object_on_stderr(fake_api, api_args, run_cli):
    result = run_cli(*api_args, "--json", "reports", "get", "404404")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert json.loads(result.stderr) == {
        "error": {
            "status": 404,
            "code": "ReportNotFound",
            "message": "reportId: no report 404404",
            "requestId": "req-1",
        }
    }


def test_server_error_is_retried_then_exits_3(fake_api, api_args, run_cli):
    for _ in range(3):
        fake_api.script("GET", "/reports/7", 502, _error("SpApiUnavailable", "SP-API failed after retries"))
    result = run_cli(*api_args, "reports", "get", "7")
    assert result.exit_code == 3
    assert "HTTP 502 SpApiUnavailable: SP-API failed after retries" in result.stderr
    assert len(fake_api.requests) == 3


def test_server_error_followed_by_success_is_invisible_to_the_user(fake_api, api_args, run_cli):
    fake_api.add_report("7", ["IN_PROGRESS"])
    fake_api.script("GET", "/reports/7", 503, {"message": "Service Unavailable"})
    result = run_cli(*api_args, "reports", "get", "7")
    assert result.exit_code == 0, result.stderr
    assert "IN_PROGRESS" in result.stdout
    assert len(fake_api.requests) == 2


def test_create_report_is_not_repeated_after_a_server_error(fake_api, api_args, run_cli):
    # SP-API may have created the report before the failure: repeating could request it twice.
    fake_api.script("POST", "/reports", 502, _error("SpApiUnavailable", "createReport failed"))
    fake_api.script("POST", "/reports", 202, {"reportId": "second"})
    result = run_cli(
        *api_args,
        "reports",
        "create",
        "--seller-id",
        SELLER_ID,
        "--region-code",
        "EU",
        "--report-type",
        "GET_MERCHANT_LISTINGS_ALL_DATA",
        "--marketplace-ids",
        "A1F83G8C2ARO7P",
    )
    assert result.exit_code == 3
    assert len(fake_api.requests) == 1


def test_throttling_is_retried_after_the_retry_after_delay(fake_api, api_args, run_cli):
    fake_api.script("POST", "/reports", 429, {"message": "Too Many Requests"}, {"Retry-After": "1"})
    started = time.monotonic()
    result = run_cli(
        *api_args,
        "--json",
        "reports",
        "create",
        "--seller-id",
        SELLER_ID,
        "--region-code",
        "EU",
        "--report-type",
        "GET_MERCHANT_LISTINGS_ALL_DATA",
        "--marketplace-ids",
        "A1F83G8C2ARO7P",
    )
    elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["reportId"]
    assert len(fake_api.requests) == 2  # throttled requests were refused, so even a create is repeated
    assert elapsed >= 1.0


def test_retry_after_is_used_for_each_wait_and_capped(fake_api):
    waits: list[float] = []
    fake_api.add_report("9", ["DONE"])
    fake_api.script("GET", "/reports/9", 429, {"message": "Too Many Requests"}, {"Retry-After": "2"})
    fake_api.script("GET", "/reports/9", 429, {"message": "Too Many Requests"}, {"Retry-After": "3600"})
    client = SpReportsClient(
        fake_api.base_url, REGION, sleep=waits.append, retry=RetryPolicy(max_attempts=3, max_delay_seconds=30)
    )
    assert client.get_report("9").status == "DONE"
    assert waits == [2.0, 30.0]


def test_throttled_after_every_retry_exits_3_with_a_hint(fake_api, api_args, run_cli):
    for _ in range(3):
        fake_api.script("GET", "/reports/9", 429, {"message": "Too Many Requests"}, {"Retry-After": "0"})
    result = run_cli(*api_args, "reports", "get", "9")
    assert result.exit_code == 3
    assert "HTTP 429 Throttled: Too Many Requests" in result.stderr
    assert "hint: the API kept throttling" in result.stderr


def test_gateway_authorisation_denial_suggests_the_invoke_role(fake_api, api_args, run_cli):
    message = (
        "User: arn:aws:sts::123456789012:assumed-role/dev/me is not authorized to perform: "
        "execute-api:Invoke on resource: arn:aws:execute-api:eu-west-1:123456789012:abc/v1/GET/reports/1"
    )
    fake_api.script(
        "GET", "/reports/1", 403, {"Message": message}, {"x-amzn-ErrorType": "AccessDeniedException"}
    )
    result = run_cli(*api_args, "reports", "get", "1")
    assert result.exit_code == 1
    assert "HTTP 403 AccessDeniedException: User: arn:aws:sts" in result.stderr
    assert "hint: your AWS identity may not invoke the API: pass --role-arn" in result.stderr


def test_unknown_path_403_points_at_the_stage_in_the_url(fake_api, run_cli):
    result = run_cli(
        "--api-url", fake_api.base_url.removesuffix("/v1"), "--region", REGION, "reports", "get", "1"
    )
    assert result.exit_code == 1
    assert "Missing Authentication Token" in result.stderr
    assert "ends with the stage name" in result.stderr


def test_non_json_gateway_error_is_reported_with_its_status(fake_api, api_args, run_cli):
    fake_api.script("GET", "/reports/5", 504, None)
    fake_api.script("GET", "/reports/5", 504, None)
    fake_api.script("GET", "/reports/5", 504, None)
    result = run_cli(*api_args, "reports", "get", "5")
    assert result.exit_code == 3
    assert "HTTP 504 GatewayTimeout" in result.stderr


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_unreachable_api_exits_3_after_retries(run_cli, caplog):
    port = _closed_port()
    result = run_cli(
        "--api-url", f"http://127.0.0.1:{port}/v1", "--region", REGION, "--verbose", "reports", "get", "1"
    )
    assert result.exit_code == 3
    assert f"cannot reach the API at 127.0.0.1:{port}: connection refused" in result.stderr
    assert result.stderr.count("retry") == 2  # --verbose shows each retry
    assert "Traceback" not in result.stderr


def test_unreachable_api_raises_a_typed_error_from_the_python_api():
    client = SpReportsClient(f"http://127.0.0.1:{_closed_port()}/v1", REGION, sleep=lambda _: None)
    with pytest.raises(ApiUnavailableError, match="connection refused"):
        client.create_report(SELLER_ID, "EU", "GET_MERCHANT_LISTINGS_ALL_DATA", ["A1F83G8C2ARO7P"])


def test_api_error_carries_status_code_message_and_request_id(fake_api):
    fake_api.script(
        "POST", "/notifications", 400, _error("InvalidInput", "RegionCode: expected NA, EU or FE")
    )
    client = SpReportsClient(fake_api.base_url, REGION)
    with pytest.raises(ApiError) as caught:
        client.subscribe_notifications(SELLER_ID, "XX")
    assert (caught.value.status, caught.value.code, caught.value.request_id) == (400, "InvalidInput", "req-1")
    assert caught.value.message == "RegionCode: expected NA, EU or FE"
    assert caught.value.is_client_error
