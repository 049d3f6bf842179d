"""POST /reports applies the report-type catalogue at the door (issue 12): split, fan-out, cooldown,
Amazon-generated types, data lag, period alignment, and unknown types passed through unchanged."""

from __future__ import annotations

import json

import boto3
import pytest

from sp_reports.pipeline.report_records import ReportRecords, ReportStatus
from spapi_emulator import state as emulator_state
from tests.support import api_events
from tests.support.canaries import REFRESH_TOKEN, SELLER_ID, assert_no_secrets

UK, DE, FR = "A1F83G8C2ARO7P", "A1PA6795UKMFR9", "A13V1IB3VIYZZH"
RETURNS = "GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE"  # at most 60 days per report
INVENTORY = "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA"  # single-marketplace, once per 30 minutes


@pytest.fixture
def report_creator(spapi_emulator, load_handler, stored_seller, fast_spapi_retries):
    module = load_handler("report_creator")
    fast_spapi_retries(module, "EU", read_timeout=0.3)
    return module


def _post(module, context, **fields):
    body = {"SellerId": SELLER_ID, "RegionCode": "EU", "MarketplaceIds": UK, **fields}
    response = module.handler(api_events.api_event("POST", "/reports", body), context)
    return response["statusCode"], api_events.answer_body(response), response


def _created(emulator) -> list[dict]:
    return [json.loads(e.request_body) for e in emulator.exchanges if e.operation_id == "createReport"]


def _records(resources) -> ReportRecords:
    return ReportRecords(resources.reports_table, boto3.client("dynamodb"))


def test_a_range_beyond_the_maximum_is_split_into_windows_each_requested_and_recorded(
    report_creator, resources, spapi_emulator, lambda_context, capsys
):
    status, body, response = _post(
        report_creator,
        lambda_context,
        ReportType=RETURNS,
        ReportDataStartTime="2024-01-01T00:00:00Z",
        ReportDataEndTime="2024-05-30T00:00:00Z",  # 150 days: 60 + 60 + 30
    )
    assert status == 202, body
    assert [(c["dataStartTime"], c["dataEndTime"]) for c in _created(spapi_emulator)] == [
        ("2024-01-01T00:00:00Z", "2024-02-29T23:59:59.999Z"),
        ("2024-03-01T00:00:00Z", "2024-04-29T23:59:59.999Z"),
        ("2024-04-30T00:00:00Z", "2024-05-30T00:00:00Z"),
    ]
    assert len(body["reportIds"]) == 3 and body["reportId"] == body["reportIds"][0] and body["complete"]
    assert body["splitBy"]["maxRangeDays"] == 60
    assert any("reporttype-values.md" in url for url in body["splitBy"]["sources"])
    for report, sent in zip(body["reports"], _created(spapi_emulator), strict=True):
        record = _records(resources).get(report["reportId"])
        assert record.status is ReportStatus.REQUESTED
        assert (record.data_start_time, record.data_end_time) == (sent["dataStartTime"], sent["dataEndTime"])
    assert_no_secrets(response["body"] + capsys.readouterr().out)


def test_with_split_range_false_a_range_beyond_the_maximum_is_refused_naming_the_limit(
    report_creator, spapi_emulator, lambda_context
):
    status, body, _ = _post(
        report_creator,
        lambda_context,
        ReportType=RETURNS,
        ReportDataStartTime="2024-01-01T00:00:00Z",
        ReportDataEndTime="2024-05-30T00:00:00Z",
        SplitRange=False,
    )
    assert status == 400
    assert body["error"]["code"] == "ReportRangeTooLong"
    assert "at most 60 days" in body["error"]["message"] and "150 days" in body["error"]["message"]
    assert _created(spapi_emulator) == []


def test_several_marketplaces_of_a_single_marketplace_type_fan_out_into_one_report_each(
    report_creator, resources, spapi_emulator, lambda_context
):
    status, body, _ = _post(report_creator, lambda_context, ReportType=INVENTORY, MarketplaceIds=[UK, DE])
    assert status == 202, body
    assert [c["marketplaceIds"] for c in _created(spapi_emulator)] == [[UK], [DE]]
    assert [r["marketplaceIds"] for r in body["reports"]] == [[UK], [DE]]
    assert "fannedOut" in body and len(set(body["reportIds"])) == 2
    assert all(_records(resources).get(report_id) for report_id in body["reportIds"])


def test_a_fan_out_that_fails_part_way_keeps_and_answers_every_report_sp_api_accepted(
    report_creator, resources, spapi_emulator, lambda_context
):
    spapi_emulator.register_seller(REFRESH_TOKEN, SELLER_ID, marketplaces=[UK, DE])  # not FR
    status, body, _ = _post(report_creator, lambda_context, ReportType=INVENTORY, MarketplaceIds=[UK, FR, DE])
    assert status == 202, body
    assert body["complete"] is False
    assert [r["marketplaceIds"] for r in body["reports"]] == [[UK]]
    (failed,) = body["failed"]
    assert failed["marketplaceIds"] == [FR] and failed["error"]["code"] == "ReportRequestRefused"
    assert body["notRequested"] == [{"marketplaceIds": [DE]}]
    assert _records(resources).get(body["reportId"]).status is ReportStatus.REQUESTED


def test_a_repeat_inside_the_cooldown_reuses_our_recent_report_instead_of_a_new_one(
    report_creator, spapi_emulator, lambda_context
):
    first_status, first, _ = _post(report_creator, lambda_context, ReportType=INVENTORY)
    assert first_status == 202, first
    status, body, _ = _post(report_creator, lambda_context, ReportType=INVENTORY)
    assert status == 200, body
    assert body["reportId"] == first["reportId"] and body["reports"][0]["reused"] is True
    assert len(_created(spapi_emulator)) == 1  # getReports found it; no second createReport


def test_a_request_inside_the_cooldown_of_a_report_not_ours_is_a_429_with_retry_after(
    report_creator, resources, spapi_emulator, lambda_context
):
    # A report of the type made outside this service (another tool, Seller Central) minutes ago.
    spapi_emulator.app.add_report(
        emulator_state.Report(
            report_id=spapi_emulator.app.state.next_report_id(),
            seller_id=SELLER_ID,
            report_type=INVENTORY,
            marketplace_ids=[UK],
            created=spapi_emulator.app.now(),
            created_mono=spapi_emulator.app.monotonic(),
        )
    )
    status, body, response = _post(report_creator, lambda_context, ReportType=INVENTORY)
    assert status == 429, body
    assert body["error"]["code"] == "ReportTypeCooldown" and "30 minutes" in body["error"]["message"]
    assert 1700 <= int(response["headers"]["Retry-After"]) <= 1800
    assert _created(spapi_emulator) == []
    assert boto3.client("dynamodb").scan(TableName=resources.reports_table)["Count"] == 0


@pytest.mark.parametrize(
    "report_type",
    ["GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2", "GET_V2_SETTLEMENT_REPORT_DATA_XML"],
)
def test_an_amazon_generated_type_is_refused_saying_how_to_get_it(
    report_creator, spapi_emulator, lambda_context, report_type
):
    status, body, _ = _post(report_creator, lambda_context, ReportType=report_type)
    assert status == 400
    assert body["error"]["code"] == "ReportTypeNotRequestable"
    assert f"getReports (reportTypes={report_type})" in body["error"]["message"]
    assert _created(spapi_emulator) == []


def test_a_type_the_catalogue_does_not_know_passes_through_unchanged(
    report_creator, spapi_emulator, lambda_context
):
    spapi_emulator.configure_report_type("GET_A_TYPE_SP_API_ADDED_LATER")  # SP-API knows it; we do not
    status, body, _ = _post(
        report_creator,
        lambda_context,
        ReportType="GET_A_TYPE_SP_API_ADDED_LATER",
        MarketplaceIds=[UK, DE],
        ReportDataStartTime="2020-01-01T00:00:00Z",
        ReportDataEndTime="2024-01-01T00:00:00Z",
    )
    assert status == 202, body
    (sent,) = _created(spapi_emulator)
    assert sent == {
        "reportType": "GET_A_TYPE_SP_API_ADDED_LATER",
        "marketplaceIds": [UK, DE],
        "dataStartTime": "2020-01-01T00:00:00Z",
        "dataEndTime": "2024-01-01T00:00:00Z",
    }
    assert body["reportIds"] == [body["reportId"]] and body["complete"] is True


def test_vendor_weekly_periods_must_be_whole_weeks_and_their_data_must_exist(
    report_creator, spapi_emulator, lambda_context
):
    vendor = "GET_VENDOR_NET_PURE_PRODUCT_MARGIN_REPORT"
    status, body, _ = _post(
        report_creator,
        lambda_context,
        ReportType=vendor,
        ReportOptions={"reportPeriod": "WEEK"},
        ReportDataStartTime="2024-05-06T00:00:00Z",  # a Monday
        ReportDataEndTime="2024-05-12T23:59:59Z",
    )
    assert (status, body["error"]["code"]) == (400, "ReportPeriodMisaligned")
    status, body, _ = _post(
        report_creator,
        lambda_context,
        ReportType=vendor,
        ReportOptions={"reportPeriod": "DAY"},
        ReportDataStartTime="2099-01-01T00:00:00Z",
        ReportDataEndTime="2099-01-02T00:00:00Z",
    )
    assert (status, body["error"]["code"]) == (400, "ReportDataNotYetAvailable")
    assert "168 hours" in body["error"]["message"]
    status, body, _ = _post(
        report_creator,
        lambda_context,
        ReportType=vendor,
        ReportOptions={"reportPeriod": "WEEK"},
        ReportDataStartTime="2024-05-05T00:00:00Z",  # Sunday .. Saturday
        ReportDataEndTime="2024-05-11T23:59:59Z",
    )
    assert status == 202, body
    assert len(_created(spapi_emulator)) == 1


def test_more_reports_than_create_reports_burst_are_refused_before_any_is_created(
    report_creator, spapi_emulator, lambda_context
):
    status, body, _ = _post(
        report_creator,
        lambda_context,
        ReportType=RETURNS,
        ReportDataStartTime="2020-01-01T00:00:00Z",
        ReportDataEndTime="2024-01-01T00:00:00Z",  # 25 windows of 60 days
    )
    assert (status, body["error"]["code"]) == (400, "TooManyReports")
    assert "at most 15" in body["error"]["message"]
    assert _created(spapi_emulator) == []


def test_the_split_reports_are_spent_from_the_sellers_daily_budget_and_over_it_nothing_is_created(
    spapi_emulator, load_handler, stored_seller, fast_spapi_retries, resources, lambda_context
):
    """The budget counts the SP-API reports a request becomes (3 windows here), not the request."""
    module = load_handler("report_creator", SELLER_DAILY_REPORT_BUDGET="4")
    fast_spapi_retries(module, "EU", read_timeout=0.3)
    three_windows = {
        "ReportType": RETURNS,
        "ReportDataStartTime": "2024-01-01T00:00:00Z",
        "ReportDataEndTime": "2024-05-30T00:00:00Z",
    }
    status, body, _ = _post(module, lambda_context, **three_windows)
    assert status == 202, body

    status, body, response = _post(module, lambda_context, **three_windows)

    assert status == 429
    assert body["error"]["code"] == "SellerReportBudgetExhausted"
    assert "at most 4 SP-API reports" in body["error"]["message"]
    assert "3 of them were created today" in body["error"]["message"]
    assert 1 <= int(response["headers"]["Retry-After"]) <= 86_400
    assert len(_created(spapi_emulator)) == 3  # the first request's only


def test_one_caller_spends_its_own_daily_budget_across_the_sellers_it_acts_for(
    spapi_emulator, load_handler, stored_seller, fast_spapi_retries, resources, lambda_context
):
    """The caller's budget (CALLER_DAILY_REPORT_BUDGET) bounds what one principal creates for all its sellers;
    a role's sessions count as the role, another caller has a budget of its own."""
    from sp_reports.pipeline.token_store import TokenStore

    other_seller = "A2SECONDSELLER1"
    spapi_emulator.register_seller("Atzr|CANARY-second-seller", other_seller)
    TokenStore(
        resources.tokens_table, resources.tokens_key_id, boto3.client("dynamodb"), boto3.client("kms")
    ).put(other_seller, "Atzr|CANARY-second-seller")
    module = load_handler("report_creator", CALLER_DAILY_REPORT_BUDGET="4", SELLER_DAILY_REPORT_BUDGET="10")
    fast_spapi_retries(module, "EU", read_timeout=0.3)
    three_windows = {
        "ReportType": RETURNS,
        "ReportDataStartTime": "2024-01-01T00:00:00Z",
        "ReportDataEndTime": "2024-05-30T00:00:00Z",
    }

    def post(seller_id: str, session: str) -> tuple[int, dict]:
        caller = f"arn:aws:sts::123456789012:assumed-role/tenant-a-invoke/{session}"
        body = {"SellerId": seller_id, "RegionCode": "EU", "MarketplaceIds": UK, **three_windows}
        response = module.handler(
            api_events.api_event("POST", "/reports", body, caller_arn=caller), lambda_context
        )
        return response["statusCode"], api_events.answer_body(response)

    assert post(SELLER_ID, "one")[0] == 202
    status, body = post(other_seller, "two")  # another seller, another session of the same role

    assert status == 429
    assert body["error"]["code"] == "CallerReportBudgetExhausted"
    assert (
        "caller arn:aws:iam::123456789012:role/tenant-a-invoke may have at most 4" in body["error"]["message"]
    )
    assert len(_created(spapi_emulator)) == 3
    # Another caller still has its whole budget.
    other = {"SellerId": other_seller, "RegionCode": "EU", "MarketplaceIds": UK, **three_windows}
    response = module.handler(api_events.api_event("POST", "/reports", other), lambda_context)
    assert response["statusCode"] == 202


RESTRICTED = "GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING"  # restricted (PII), requestable


def test_a_restricted_type_is_refused_naming_the_setting_and_nothing_is_asked_of_spapi(
    report_creator, resources, spapi_emulator, lambda_context
):
    status, body, _ = _post(report_creator, lambda_context, ReportType=RESTRICTED)

    assert status == 403, body
    assert body["error"]["code"] == "RestrictedReportTypeNotAllowed"
    assert "allow_restricted_report_types" in body["error"]["message"]
    assert _created(spapi_emulator) == []


def test_a_deployment_that_allows_restricted_types_requests_them(
    spapi_emulator, load_handler, stored_seller, fast_spapi_retries, lambda_context
):
    module = load_handler("report_creator", ALLOW_RESTRICTED_REPORT_TYPES="true")
    fast_spapi_retries(module, "EU", read_timeout=0.3)

    status, body, _ = _post(module, lambda_context, ReportType=RESTRICTED)

    assert status == 202, body
    assert [c["reportType"] for c in _created(spapi_emulator)] == [RESTRICTED]
