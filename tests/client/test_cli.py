"""The commands: what they send to the API and what they print, for people and (`--json`) for scripts."""

from __future__ import annotations

import io
import json

import pytest

from tests.support.canaries import REFRESH_TOKEN
from tests.support.fake_sp_reports_api import SELLER_ID


def test_tokens_put_reports_new_then_replaced(fake_api, api_args, run_cli, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(REFRESH_TOKEN + "\n")

    first = run_cli(
        *api_args,
        "--json",
        "tokens",
        "put",
        "--seller-id",
        SELLER_ID,
        "--refresh-token-file",
        str(token_file),
    )
    second = run_cli(
        *api_args, "tokens", "put", "--seller-id", SELLER_ID, "--refresh-token-file", str(token_file)
    )

    assert first.exit_code == second.exit_code == 0
    assert json.loads(first.stdout) == {"sellerId": SELLER_ID}
    assert second.stdout == f"Refresh token of seller {SELLER_ID}: stored.\n"
    assert fake_api.requests[0].json() == {"SellerId": SELLER_ID, "RefreshToken": REFRESH_TOKEN}


def test_tokens_put_reads_the_token_from_stdin(fake_api, api_args, run_cli, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(REFRESH_TOKEN + "\n"))
    result = run_cli(*api_args, "tokens", "put", "--seller-id", SELLER_ID, "--refresh-token-stdin")
    assert result.exit_code == 0, result.stderr
    assert fake_api.tokens[SELLER_ID] == REFRESH_TOKEN


def test_tokens_put_reads_the_token_from_the_environment(fake_api, api_args, run_cli, monkeypatch):
    monkeypatch.setenv("SP_REPORTS_REFRESH_TOKEN", REFRESH_TOKEN)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    result = run_cli(*api_args, "tokens", "put", "--seller-id", SELLER_ID)
    assert result.exit_code == 0, result.stderr
    assert fake_api.tokens[SELLER_ID] == REFRESH_TOKEN


def test_tokens_put_without_a_token_source_exits_2(fake_api, api_args, run_cli, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal: no prompt
    result = run_cli(*api_args, "tokens", "put", "--seller-id", SELLER_ID)
    assert result.exit_code == 2
    assert (
        "no refresh token: use --refresh-token-file FILE, --refresh-token-stdin or $SP_REPORTS_REFRESH_TOKEN"
        in (result.stderr)
    )
    assert fake_api.requests == []


@pytest.mark.parametrize("content", ["", "  \n", "Atzr|two words"])
def test_tokens_put_rejects_an_empty_or_multi_word_token_file(fake_api, api_args, run_cli, tmp_path, content):
    token_file = tmp_path / "token"
    token_file.write_text(content)
    result = run_cli(
        *api_args, "tokens", "put", "--seller-id", SELLER_ID, "--refresh-token-file", str(token_file)
    )
    assert result.exit_code == 2
    assert "the refresh token from --refresh-token-file" in result.stderr
    assert fake_api.requests == []


def test_tokens_put_with_an_unreadable_file_exits_2(api_args, run_cli, tmp_path):
    result = run_cli(
        *api_args, "tokens", "put", "--seller-id", SELLER_ID, "--refresh-token-file", str(tmp_path / "x")
    )
    assert result.exit_code == 2
    assert "cannot read --refresh-token-file" in result.stderr


def test_notifications_subscribe_sends_the_region_and_type(fake_api, api_args, run_cli):
    fake_api.tokens[SELLER_ID] = REFRESH_TOKEN
    result = run_cli(
        *api_args, "--json", "notifications", "subscribe", "--seller-id", SELLER_ID, "--region-code", "eu"
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"destinationId": "dest-1", "subscriptionId": "sub-1"}
    assert fake_api.requests[0].json() == {
        "SellerId": SELLER_ID,
        "RegionCode": "EU",
        "NotificationType": "REPORT_PROCESSING_FINISHED",
    }


def test_notifications_subscribe_replace_existing_asks_the_api_to_move_the_subscription(
    fake_api, api_args, run_cli
):
    fake_api.tokens[SELLER_ID] = REFRESH_TOKEN
    result = run_cli(
        *api_args, "notifications", "subscribe", "--seller-id", SELLER_ID, "--region-code", "NA",
        "--replace-existing",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert fake_api.requests[0].json()["ReplaceExistingSubscription"] is True


def test_notifications_subscribe_for_an_unknown_seller_exits_1(fake_api, api_args, run_cli):
    result = run_cli(*api_args, "notifications", "subscribe", "--seller-id", SELLER_ID, "--region-code", "NA")
    assert result.exit_code == 1
    assert "SellerNotFound" in result.stderr


def test_notifications_subscribe_rejects_an_unknown_region_code(api_args, run_cli):
    result = run_cli(*api_args, "notifications", "subscribe", "--seller-id", SELLER_ID, "--region-code", "XX")
    assert result.exit_code == 2
    assert "invalid choice: 'XX'" in result.stderr


def test_reports_create_sends_marketplaces_as_a_list_and_options_as_an_object(fake_api, api_args, run_cli):
    result = run_cli(
        *api_args, "reports", "create", "--seller-id", SELLER_ID, "--region-code", "EU",
        "--report-type", "GET_MERCHANT_LISTINGS_ALL_DATA",
        "--marketplace-ids", "A1F83G8C2ARO7P, A1PA6795UKMFR9",
        "--start", "2024-05-01T00:00:00Z", "--end", "2024-05-31T23:59:59+00:00",
        "--option", "custom=true", "--option", "reportPeriod=DAY",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    (report_id,) = fake_api.reports
    assert result.stdout == f"Requested report {report_id}.\n"
    assert f"sp-reports reports wait {report_id}" in result.stderr
    assert fake_api.requests[0].json() == {
        "SellerId": SELLER_ID,
        "RegionCode": "EU",
        "ReportType": "GET_MERCHANT_LISTINGS_ALL_DATA",
        "MarketplaceIds": ["A1F83G8C2ARO7P", "A1PA6795UKMFR9"],
        "ReportDataStartTime": "2024-05-01T00:00:00Z",
        "ReportDataEndTime": "2024-05-31T23:59:59+00:00",
        "ReportOptions": {"custom": "true", "reportPeriod": "DAY"},
    }


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--option", "novalue"], "--option 'novalue' is not KEY=VALUE"),
        (["--start", "yesterday"], "'yesterday' is not an ISO-8601 date or time"),
        (["--start", "2024-06-01", "--end", "2024-05-01"], "--start is after --end"),
        (["--marketplace-ids", " , "], "--marketplace-ids names no marketplace"),
    ],
)
def test_reports_create_rejects_bad_arguments_before_calling_the_api(
    fake_api, api_args, run_cli, extra, message
):
    base = [
        "--seller-id",
        SELLER_ID,
        "--region-code",
        "EU",
        "--report-type",
        "GET_X",
        "--marketplace-ids",
        "A1",
    ]
    result = run_cli(*api_args, "reports", "create", *base, *extra)
    assert result.exit_code == 2
    assert message in result.stderr
    assert fake_api.requests == []


def test_reports_get_shows_the_location_and_the_download_link(fake_api, api_args, run_cli):
    url = "https://bucket.s3.amazonaws.com/A3TH/GET_X/901/report.tsv?X-Amz-Signature=abc"
    fake_api.add_report(
        "901",
        ["DONE"],
        reportType="GET_X",
        marketplaceIds=["A1F83G8C2ARO7P"],
        s3={"bucket": "reports-bucket", "key": "A3TH9S8BH6GOGM/GET_X/901/report.tsv"},
        downloadUrl=url,
        downloadUrlExpiresAt="2024-06-01T12:00:00Z",
    )
    result = run_cli(*api_args, "reports", "get", "901")
    assert result.exit_code == 0
    fields = result.fields()
    assert fields["Report"] == "901"
    assert fields["Stored at"] == "s3://reports-bucket/A3TH9S8BH6GOGM/GET_X/901/report.tsv"
    assert fields["Marketplace ids"] == "A1F83G8C2ARO7P"
    assert fields["Download URL"] == url  # the user asked for their report: the link is theirs


@pytest.mark.parametrize(
    ("charset", "shown"),
    [
        (
            {"stored": "Windows-31J", "source": "Windows-31J", "label": "windows-31j", "assumed": False},
            "Windows-31J",
        ),
        (
            {
                "stored": "UTF-8",
                "source": "Windows-31J",
                "assumed": False,
                "transcoded": True,
                "replacements": 2,
            },
            "UTF-8 (transcoded from Windows-31J), 2 undecodable bytes replaced",
        ),
        (
            {
                "stored": "windows-1252",
                "source": "windows-1252",
                "assumed": True,
                "note": "no charset; default",
            },
            "windows-1252; no charset; default",
        ),
        (
            {"label": "KOI8-R", "assumed": False, "note": "charset 'KOI8-R' unknown"},
            "unknown; charset 'KOI8-R' unknown",
        ),
    ],
)
def test_reports_get_shows_the_stored_charset_and_how_it_was_decided(
    fake_api, api_args, run_cli, charset, shown
):
    fake_api.add_report("903", ["DONE"], reportType="GET_X", charset=charset)
    result = run_cli(*api_args, "reports", "get", "903")
    assert result.exit_code == 0
    assert result.fields()["Charset"] == shown


def test_reports_get_json_is_the_api_body(fake_api, api_args, run_cli):
    fake_api.add_report("902", ["REQUESTED"], reportType="GET_X")
    result = run_cli(*api_args, "--json", "reports", "get", "902")
    assert json.loads(result.stdout) == {
        "reportId": "902",
        "sellerId": SELLER_ID,
        "reportType": "GET_X",
        "status": "REQUESTED",
    }


def test_global_options_work_after_the_command(fake_api, api_args, run_cli):
    fake_api.add_report("903", ["DONE"])
    result = run_cli("reports", "get", "903", *api_args, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "DONE"


def test_help_documents_the_exit_codes(run_cli):
    result = run_cli("--help")
    assert result.exit_code == 0
    for line in ("1  the API rejected the request (4xx)", "2  usage or configuration error",
                 "3  the API failed (5xx)", "4  `reports wait` timed out"):  # fmt: skip
        assert line in result.stdout


def test_missing_command_is_a_usage_error(run_cli):
    assert run_cli().exit_code == 2


SPLIT_ANSWER = {
    "reportId": "11",
    "reportIds": ["11", "12"],
    "reports": [
        {
            "reportId": "11",
            "marketplaceIds": ["A1F83G8C2ARO7P"],
            "dataStartTime": "2024-01-01T00:00:00Z",
            "dataEndTime": "2024-02-29T23:59:59.999Z",
        },
        {
            "reportId": "12",
            "marketplaceIds": ["A1F83G8C2ARO7P"],
            "dataStartTime": "2024-03-01T00:00:00Z",
            "dataEndTime": "2024-03-31T00:00:00Z",
        },
    ],
    "complete": False,
    "failed": [{"marketplaceIds": ["A1PA6795UKMFR9"], "error": {"code": "Throttled", "message": "later"}}],
    "notRequested": [],
    "splitBy": {"maxRangeDays": 60, "sources": ["https://example.invalid/rtv"]},
}


def test_reports_create_lists_every_report_of_a_split_request_and_says_it_is_incomplete(
    fake_api, api_args, run_cli
):
    fake_api.script("POST", "/reports", 202, SPLIT_ANSWER)
    result = run_cli(
        *api_args, "reports", "create", "--seller-id", SELLER_ID, "--region-code", "EU",
        "--report-type", "GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE",
        "--marketplace-ids", "A1F83G8C2ARO7P",
        "--start", "2024-01-01T00:00:00Z", "--end", "2024-03-31T00:00:00Z",
    )  # fmt: skip
    assert result.exit_code == 5, result.stderr
    assert "Requested 2 reports:" in result.stdout
    assert "11  A1F83G8C2ARO7P  2024-01-01T00:00:00Z..2024-02-29T23:59:59.999Z" in result.stdout
    assert "12  A1F83G8C2ARO7P" in result.stdout
    assert "FAILED  A1PA6795UKMFR9: Throttled: later" in result.stdout
    assert "SplitRange" not in fake_api.requests[0].json()


def test_reports_create_json_shows_the_whole_answer_and_no_split_sends_split_range_false(
    fake_api, api_args, run_cli
):
    fake_api.script("POST", "/reports", 202, {**SPLIT_ANSWER, "complete": True, "failed": []})
    result = run_cli(
        *api_args, "--json", "reports", "create", "--seller-id", SELLER_ID, "--region-code", "EU",
        "--report-type", "GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE", "--marketplace-ids", "A1F83G8C2ARO7P",
        "--no-split",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["reportIds"] == ["11", "12"]
    assert fake_api.requests[0].json()["SplitRange"] is False


def test_reports_create_inside_a_cooldown_fails_at_once_saying_when_to_retry(fake_api, api_args, run_cli):
    body = {"error": {"code": "ReportTypeCooldown", "message": "at most once every 30 minutes"}}
    fake_api.script("POST", "/reports", 429, body, {"Retry-After": "1750"})
    result = run_cli(
        *api_args, "reports", "create", "--seller-id", SELLER_ID, "--region-code", "EU",
        "--report-type", "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA", "--marketplace-ids", "A1F83G8C2ARO7P",
    )  # fmt: skip
    assert result.exit_code == 3
    assert "ReportTypeCooldown" in result.stderr and "try again in 1750 seconds" in result.stderr
    assert len(fake_api.requests) == 1  # a 30-minute Retry-After is not waited out by retries


def test_sellers_delete_prints_what_was_erased_then_nothing(fake_api, api_args, run_cli):
    fake_api.tokens[SELLER_ID] = REFRESH_TOKEN

    first = run_cli(*api_args, "sellers", "delete", SELLER_ID)
    second = run_cli(*api_args, "--json", "sellers", "delete", SELLER_ID)

    assert first.exit_code == second.exit_code == 0, first.stderr
    assert first.stdout == f"Seller {SELLER_ID} erased: 1 tokens.\n"
    assert fake_api.requests[0].method == "DELETE"
    assert fake_api.requests[0].path.endswith(f"/sellers/{SELLER_ID}")
    assert json.loads(second.stdout)["erased"]["tokens"] == 0
    assert run_cli(*api_args, "sellers", "delete", SELLER_ID).stdout == (
        f"Seller {SELLER_ID}: nothing to erase.\n"
    )


def test_sellers_delete_exits_5_listing_what_sp_api_kept(fake_api, api_args, run_cli):
    problem = "subscriptions in EU: SP-API or LWA refused or did not answer (InternalFailure (HTTP 500))"
    fake_api.script(
        "DELETE",
        f"/sellers/{SELLER_ID}",
        200,
        {"sellerId": SELLER_ID, "erased": {"tokens": 1}, "nothingToErase": False, "notErased": [problem]},
    )
    result = run_cli(*api_args, "sellers", "delete", SELLER_ID)
    assert result.exit_code == 5
    assert f"not erased: {problem}" in result.stderr


def test_sellers_delete_shows_the_apis_400(fake_api, api_args, run_cli):
    fake_api.script(
        "DELETE",
        "/sellers/bad",
        400,
        {"error": {"code": "ValidationError", "message": "sellerId: expected 8-20 upper-case letters"}},
    )
    result = run_cli(*api_args, "sellers", "delete", "bad")
    assert result.exit_code == 1
    assert "sellerId: expected 8-20 upper-case letters" in result.stderr
