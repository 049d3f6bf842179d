"""The report plan: the catalogue's rules as a table, with neither SP-API nor AWS
(sp_reports.pipeline.report_plans)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from sp_reports.pipeline.api_requests import ApiError, ReportRequest
from sp_reports.pipeline.report_plans import (
    MAX_REPORTS_PER_REQUEST,
    carry_out,
    cooldown_decision,
    plan_answer,
    plan_report_request,
)
from sp_reports.pipeline.report_specifications import ReportSpecification
from sp_reports.spapi.report_types import report_type as report_type_rules
from sp_reports.spapi.report_types import restricted_report_types

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
UK, DE = "A1F83G8C2ARO7P", "A1PA6795UKMFR9"


def _request(report_type, marketplaces=(UK,), start=None, end=None, options=None, split=True):
    asked = ReportSpecification("A3TH9S8BH6GOGM", "EU", report_type, marketplaces, start, end, options or {})
    return ReportRequest(asked, split)


# (report type, marketplaces, start, end, options, expected windows x marketplace groups, or the error code)
CASES = [
    (
        "GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE",
        (UK,),
        "2024-01-01T00:00:00Z",
        "2024-03-01T00:00:00Z",
        {},
        1,
    ),
    (
        "GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE",
        (UK,),
        "2024-01-01T00:00:00Z",
        "2024-03-01T00:00:01Z",
        {},
        2,
    ),
    (
        "GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL",
        (UK,),
        "2024-01-01T00:00:00Z",
        "2024-03-31T00:00:00Z",
        {},
        3,
    ),
    ("GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL", (UK, DE), "2026-11-20T00:00:00Z", None, {}, 1),  # to now
    ("GET_MERCHANT_LISTINGS_ALL_DATA", (UK, DE), None, None, {}, 2),
    ("GET_MERCHANT_LISTINGS_DATA", (UK, DE), None, None, {}, 1),
    (
        "GET_VENDOR_NET_PURE_PRODUCT_MARGIN_REPORT",
        (UK,),
        "2024-01-01T00:00:00Z",
        "2024-01-31T00:00:00Z",
        {"reportPeriod": "DAY"},
        2,  # DAY: at most 15 days per report
    ),
    ("GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE", (UK,), None, None, {}, "ReportTypeNotRequestable"),
    ("GET_FLAT_FILE_SALES_TAX_DATA", (UK,), None, None, {}, "ReportTypeNotRequestable"),
    ("GET_ORDER_REPORT_DATA_SHIPPING", (UK,), None, None, {}, "ReportTypeNotRequestable"),
    ("GET_EASYSHIP_DOCUMENTS", (UK,), None, None, {}, 1),  # requestability unknown: passed through
    ("GET_UNKNOWN_TYPE", (UK, DE), "2000-01-01T00:00:00Z", "2026-01-01T00:00:00Z", {}, 1),
]


@pytest.mark.parametrize(("report_type", "marketplaces", "start", "end", "options", "expected"), CASES)
def test_plan(report_type, marketplaces, start, end, options, expected):
    # The catalogue's rules in a deployment that allows restricted types (the opt-in is tested below).
    request = _request(report_type, marketplaces, start, end, options)
    if isinstance(expected, str):
        with pytest.raises(ApiError) as refused:
            plan_report_request(request, NOW, restricted_allowed=True)
        assert refused.value.code == expected and refused.value.status == 400
        return
    assert len(plan_report_request(request, NOW, restricted_allowed=True).reports) == expected


@pytest.mark.parametrize("report_type", sorted(restricted_report_types()))
def test_a_restricted_type_is_refused_naming_the_setting_unless_the_deployment_allows_it(report_type):
    request = _request(report_type, start="2026-11-01T00:00:00Z", end="2026-11-02T00:00:00Z")
    rules = report_type_rules(report_type)
    if rules is not None and not rules.requestable:
        pytest.skip("not requestable at all: refused as such first")
    with pytest.raises(ApiError) as refused:
        plan_report_request(request, NOW)
    assert refused.value.status == 403 and refused.value.code == "RestrictedReportTypeNotAllowed"
    assert "allow_restricted_report_types" in refused.value.message
    assert plan_report_request(request, NOW, restricted_allowed=True).reports


def test_an_unrestricted_type_needs_no_opt_in():
    assert plan_report_request(_request("GET_MERCHANT_LISTINGS_ALL_DATA"), NOW).reports


def test_windows_cover_the_range_without_gap_or_overlap_and_none_exceeds_the_maximum():
    plan = plan_report_request(
        _request(
            "GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE",
            start="2024-01-01T00:00:00Z",
            end="2024-12-31T12:00:00Z",
        ),
        NOW,
    )
    parse = lambda text: datetime.fromisoformat(text.replace("Z", "+00:00"))  # noqa: E731
    windows = [(parse(r.data_start_time), parse(r.data_end_time)) for r in plan.reports]
    assert windows[0][0] == parse("2024-01-01T00:00:00Z") and windows[-1][1] == parse("2024-12-31T12:00:00Z")
    for (_, end), (start, _) in itertools.pairwise(windows):
        assert start - end == timedelta(milliseconds=1)
    assert all(end - start <= timedelta(days=60) for start, end in windows)


def test_an_open_ended_range_is_split_up_to_now():
    plan = plan_report_request(
        _request("GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE", start="2026-07-01T00:00:00Z"), NOW
    )
    assert plan.reports[-1].data_end_time == "2026-11-28T12:00:00Z" and len(plan.reports) == 3


def test_too_many_windows_are_refused():
    request = _request(
        "GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE", start="2020-01-01T00:00:00Z", end="2026-01-01T00:00:00Z"
    )
    with pytest.raises(ApiError, match=f"at most {MAX_REPORTS_PER_REQUEST}"):
        plan_report_request(request, NOW)


INVENTORY = "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA"


def _recent(created, status="DONE", marketplaces=(UK,), report_id="1"):
    return {
        "reportId": report_id,
        "createdTime": created.isoformat().replace("+00:00", "Z"),
        "processingStatus": status,
        "marketplaceIds": list(marketplaces),
    }


@pytest.mark.parametrize(
    ("recent", "ours", "expected"),
    [
        ([], False, [None]),  # nothing recent: create
        ([_recent(NOW - timedelta(minutes=10))], True, ["1"]),  # ours, same marketplaces and range: reuse
        ([_recent(NOW - timedelta(minutes=10))], False, 1200),  # not ours: wait the remaining 20 minutes
        ([_recent(NOW - timedelta(minutes=10), status="FATAL")], False, [None]),  # made nothing
        ([_recent(NOW - timedelta(minutes=10), status="CANCELLED")], False, [None]),
        ([_recent(NOW - timedelta(minutes=10), marketplaces=(DE,))], False, [None]),  # another marketplace
    ],
)
def test_cooldown(recent, ours, expected):
    plan = plan_report_request(_request(INVENTORY), NOW)
    asked = []

    def recent_reports(report_type, marketplaces, since):
        asked.append((report_type, list(marketplaces), since))
        return [r for r in recent if r["createdTime"] >= since.isoformat().replace("+00:00", "Z")]

    if isinstance(expected, int):
        with pytest.raises(ApiError) as refused:
            cooldown_decision(plan, recent_reports, lambda _id: ours, NOW)
        assert refused.value.status == 429 and refused.value.headers["Retry-After"] == str(expected)
    else:
        assert list(cooldown_decision(plan, recent_reports, lambda _id: ours, NOW).reuse) == expected
    assert asked == [(INVENTORY, [UK], NOW - timedelta(minutes=30))]


def test_after_the_cooldown_a_new_report_is_created():
    plan = plan_report_request(_request(INVENTORY), NOW)
    old = [_recent(NOW - timedelta(minutes=31))]
    decision = cooldown_decision(
        plan,
        lambda _t, _m, since: [r for r in old if r["createdTime"] >= since.isoformat()],
        lambda _id: False,
        NOW,
    )
    assert decision.reuse == (None,)


def test_a_type_without_a_cooldown_asks_sp_api_nothing():
    plan = plan_report_request(_request("GET_MERCHANT_LISTINGS_DATA"), NOW)
    decision = cooldown_decision(plan, lambda *_: pytest.fail("getReports called"), lambda _id: False, NOW)
    assert decision.reuse == (None,)


def test_a_partial_failure_answers_the_accepted_reports_and_lists_the_rest():
    plan = plan_report_request(_request(INVENTORY, marketplaces=(UK, DE, "A13V1IB3VIYZZH")), NOW)
    decision = cooldown_decision(plan, lambda *_: [], lambda _id: False, NOW)
    calls = iter([("11", True), RuntimeError("throttled")])

    def create(planned: ReportSpecification):
        result = next(calls)
        if isinstance(result, Exception):
            raise result
        return result

    outcome = carry_out(plan, decision, create, lambda exc: ApiError(429, "Throttled", str(exc)))
    status, body = plan_answer(plan, outcome)
    assert status == 202 and body["reportIds"] == ["11"] and body["complete"] is False
    assert body["failed"][0]["marketplaceIds"] == [DE] and body["failed"][0]["error"]["code"] == "Throttled"
    assert body["notRequested"] == [{"marketplaceIds": ["A13V1IB3VIYZZH"]}]


def test_a_failure_before_anything_was_created_is_raised():
    plan = plan_report_request(_request(INVENTORY, marketplaces=(UK, DE)), NOW)
    decision = cooldown_decision(plan, lambda *_: [], lambda _id: False, NOW)

    def create(_planned):
        raise RuntimeError("refused")

    with pytest.raises(RuntimeError):
        carry_out(plan, decision, create, lambda exc: ApiError(400, "X", str(exc)))


def test_every_planned_report_carries_the_requests_seller_region_type_and_options():
    plan = plan_report_request(_request(INVENTORY, marketplaces=(UK, DE), options={"custom": "true"}), NOW)

    assert [planned.marketplace_ids for planned in plan.reports] == [(UK,), (DE,)]
    assert [
        (planned.seller_id, planned.region_code, planned.report_type, planned.report_options)
        for planned in plan.reports
    ] == [("A3TH9S8BH6GOGM", "EU", INVENTORY, {"custom": "true"})] * 2
