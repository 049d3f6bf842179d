"""The refresh token and presigned URLs never reach output, logs or errors the user did not ask for."""

from __future__ import annotations

import io
import json
import logging

import pytest

from sp_reports.client import ApiError, Report, SpReportsClient
from sp_reports.client.transport import RetryPolicy
from tests.support.canaries import REFRESH_TOKEN, assert_no_secrets
from tests.support.fake_sp_reports_api import REGION, SELLER_ID

PRESIGNED_URL = (
    "https://reports-bucket.s3.amazonaws.com/A3TH9S8BH6GOGM/GET_X/1/report.tsv?X-Amz-Algorithm=AWS4-HMAC-SHA256"
    "&X-Amz-Credential=ASIAEXAMPLE%2F20240601%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=CANARY-SIG-0123"
)


@pytest.fixture
def all_logs(caplog):
    """Every logger at DEBUG, botocore's and urllib3's included."""
    caplog.set_level(logging.DEBUG)
    return caplog


@pytest.mark.parametrize("source", ["file", "stdin", "environment"])
def test_refresh_token_reaches_the_api_but_no_output_or_log(
    fake_api, api_args, run_cli, all_logs, monkeypatch, tmp_path, source
):
    args = [*api_args, "--verbose", "tokens", "put", "--seller-id", SELLER_ID]
    monkeypatch.setattr("sys.stdin", io.StringIO(REFRESH_TOKEN if source == "stdin" else ""))
    if source == "file":
        (tmp_path / "token").write_text(REFRESH_TOKEN)
        args += ["--refresh-token-file", str(tmp_path / "token")]
    elif source == "stdin":
        args += ["--refresh-token-stdin"]
    else:
        monkeypatch.setenv("SP_REPORTS_REFRESH_TOKEN", REFRESH_TOKEN)

    result = run_cli(*args)

    assert result.exit_code == 0, result.stderr
    assert fake_api.tokens[SELLER_ID] == REFRESH_TOKEN
    assert "POST /v1/tokens -> 200" in result.stderr  # --verbose did log the call
    assert_no_secrets(result.output + all_logs.text)
    request = fake_api.requests[0]
    assert_no_secrets(request.path + json.dumps(request.headers))  # only in the body


def test_refresh_token_flag_warns_about_shell_history_without_echoing_it(fake_api, api_args, run_cli):
    result = run_cli(*api_args, "tokens", "put", "--seller-id", SELLER_ID, "--refresh-token", REFRESH_TOKEN)
    assert result.exit_code == 0
    assert "warning: a token given with --refresh-token stays in your shell history" in result.stderr
    assert_no_secrets(result.output)


@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_an_error_message_that_echoes_the_token_is_redacted(fake_api, api_args, run_cli, tmp_path, json_flag):
    # A faulty or hostile API must not make the client print the secret it was just given.
    fake_api.script(
        "POST", "/tokens", 400, {"error": {"code": "InvalidGrant", "message": f"bad {REFRESH_TOKEN}"}}
    )
    (tmp_path / "token").write_text(REFRESH_TOKEN)
    result = run_cli(
        *api_args,
        *json_flag,
        "tokens",
        "put",
        "--seller-id",
        SELLER_ID,
        "--refresh-token-file",
        str(tmp_path / "token"),
    )
    assert result.exit_code == 1
    assert "bad [redacted]" in result.stderr
    assert_no_secrets(result.output)


def test_a_token_shaped_value_in_any_error_is_redacted(fake_api):
    fake_api.script(
        "GET", "/reports/1", 500, {"error": {"code": "Oops", "message": "leaked Atza|access-CANARY-9"}}
    )
    fake_api.script("GET", "/reports/1", 500, {"message": f"see {PRESIGNED_URL}"})
    client = SpReportsClient(fake_api.base_url, REGION, retry=RetryPolicy(max_attempts=1))
    for _ in range(2):
        with pytest.raises(ApiError) as caught:
            client.get_report("1")
        assert_no_secrets(str(caught.value) + repr(caught.value))


def test_verbose_report_lookup_logs_no_presigned_url(fake_api, api_args, run_cli, all_logs):
    fake_api.add_report("1", ["DONE"], downloadUrl=PRESIGNED_URL, downloadUrlExpiresAt="2024-06-01T12:00:00Z")
    result = run_cli(*api_args, "--verbose", "reports", "wait", "1", "--interval", "0.01")
    assert result.exit_code == 0
    assert PRESIGNED_URL in result.stdout  # asked for: printed on stdout
    assert_no_secrets(result.stderr + all_logs.text)


def test_report_repr_hides_the_download_url():
    report = Report.from_body({"reportId": "1", "status": "DONE", "downloadUrl": PRESIGNED_URL})
    assert report.download_url == PRESIGNED_URL
    assert_no_secrets(repr(report))
