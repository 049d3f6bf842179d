"""Pull plans from POST /plans bodies: the catalogue's rules as a table, with neither SP-API nor AWS
(sp_reports.pipeline.pull_plans)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pytest

from sp_reports.pipeline.api_requests import ApiError
from sp_reports.pipeline.pull_plans import (
    MAX_LOOK_BACK_DAYS,
    Cadence,
    PlanMode,
    PullPlan,
    plan_from_request,
    plan_id_of,
    windows_per_day,
)

NOW = datetime(2026, 12, 7, 20, 0, tzinfo=UTC)
SELLER = "A3TH9S8BH6GOGM"
US, CA, UK, DE, JP = "ATVPDKIKX0DER", "A2EUQ1WTGCTBG2", "A1F83G8C2ARO7P", "A1PA6795UKMFR9", "A1VC38T7YXB528"
SALES = "GET_SALES_AND_TRAFFIC_REPORT"


SETTLEMENT = "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2"


def _body(**changes):
    body = {
        "sellerId": SELLER,
        "marketplaceIds": [US],
        "reportType": SALES,
        "cadence": "daily",
        "lookBackDays": [7],
        "startDate": "2026-11-01",
    }
    body.update(changes)
    return {name: value for name, value in body.items() if value is not None}


def test_a_valid_body_becomes_a_plan_with_defaults_and_sorted_lists():
    plan = plan_from_request(_body(marketplaceIds=[CA, US, CA], lookBackDays=[30, 7, 4, 7]), now=NOW)
    assert plan.marketplace_ids == (CA, US)
    assert plan.look_back_days == (4, 7, 30)
    assert plan.mode is PlanMode.REQUEST
    assert plan.cadence is Cadence.DAILY
    assert plan.start_date == date(2026, 11, 1)
    assert plan.created_at == plan.updated_at == "2026-12-07T20:00:00Z"
    assert plan.plan_id.startswith("pp-") and len(plan.plan_id) == 27
    assert plan.describe() == {
        "planId": plan.plan_id,
        "sellerId": SELLER,
        "marketplaceIds": [CA, US],
        "reportType": SALES,
        "cadence": "daily",
        "lookBackDays": [4, 7, 30],
        "reportOptions": {},
        "startDate": "2026-11-01",
        "mode": "request",
        "paused": False,
        "createdAt": "2026-12-07T20:00:00Z",
        "updatedAt": "2026-12-07T20:00:00Z",
        "statusNote": "",
    }


def test_the_same_definition_is_the_same_plan_id_whatever_the_order_or_the_time():
    one = plan_from_request(_body(marketplaceIds=[US, CA], reportOptions={"b": "2", "a": "1"}), now=NOW)
    two = plan_from_request(
        _body(marketplaceIds=[CA, US], reportOptions={"a": "1", "b": "2"}, mode="request"),
        now=datetime(2027, 1, 1, tzinfo=UTC),
    )
    assert one.plan_id == two.plan_id == plan_id_of(one.definition())


@pytest.mark.parametrize(
    "change",
    [
        {"sellerId": "A1B2C3D4E5F6G7"},
        {"marketplaceIds": [CA]},
        {"reportType": "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"},
        {"cadence": "weekly"},
        {"lookBackDays": [7, 14]},
        {"reportOptions": {"dateGranularity": "DAY"}},
        {"startDate": "2026-11-02"},
    ],
)
def test_any_change_to_the_definition_is_another_plan(change):
    assert plan_from_request(_body(**change), now=NOW).plan_id != plan_from_request(_body(), now=NOW).plan_id


# (body change, status, error code, words the message must hold)
REFUSALS = [
    ({"sellerId": "lower"}, 400, "ValidationError", "sellerId"),
    ({"sellerId": None}, 400, "ValidationError", "sellerId"),
    ({"marketplaceIds": []}, 400, "ValidationError", "marketplaceIds"),
    ({"marketplaceIds": "ATVPDKIKX0DER"}, 400, "ValidationError", "marketplaceIds"),
    ({"marketplaceIds": ["XXNOTAMARKET"]}, 400, "ValidationError", "unknown marketplace"),
    ({"marketplaceIds": [US, UK]}, 400, "ValidationError", "regions EU, NA"),
    ({"reportType": "orders"}, 400, "ValidationError", "reportType"),
    ({"cadence": "hourly"}, 400, "ValidationError", "daily, weekly, monthly"),
    ({"cadence": None}, 400, "ValidationError", "cadence"),
    ({"mode": "magic"}, 400, "ValidationError", "request, amazon-schedule, discover"),
    ({"startDate": "2026-11-01T00:00:00Z"}, 400, "ValidationError", "YYYY-MM-DD"),
    ({"startDate": "2026-02-30"}, 400, "ValidationError", "startDate"),
    ({"lookBackDays": [0]}, 400, "ValidationError", f"1-{MAX_LOOK_BACK_DAYS} days"),
    ({"lookBackDays": [MAX_LOOK_BACK_DAYS + 1]}, 400, "ValidationError", "lookBackDays"),
    ({"lookBackDays": [7, "14"]}, 400, "ValidationError", "whole number"),
    ({"lookBackDays": [True]}, 400, "ValidationError", "whole number"),
    ({"lookBackDays": [4, 5, 6, 7, 8, 9]}, 400, "ValidationError", "at most 5"),
    ({"reportOptions": {"x": {"nested": 1}}}, 400, "ValidationError", "reportOptions"),
    ({"paused": True}, 400, "ValidationError", "unknown field(s) paused"),
    # sales and traffic settles 72 hours after the day (docs#2303): a 1- to 3-day look-back is the same pull
    ({"lookBackDays": [1, 7]}, 400, "LookBackTooShort", "72 hours"),
    ({"lookBackDays": [3]}, 400, "LookBackTooShort", "issues/2303"),
    # settlement reports: Amazon makes them; mode request cannot pull them, mode discover finds them
    (
        {"reportType": "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2", "lookBackDays": None},
        400,
        "ReportTypeNotRequestable",
        "A plan finds such reports with mode discover",
    ),
    (
        {"reportType": "GET_V2_SETTLEMENT_REPORT_DATA_XML", "mode": "discover", "lookBackDays": None},
        400,
        "ValidationError",
        "a discover plan has no cadence",
    ),
    (
        {"reportType": SETTLEMENT, "mode": "discover", "cadence": None, "lookBackDays": [7]},
        400,
        "ValidationError",
        "a discover plan has no look-backs",
    ),
    # a type createReport makes is pulled window by window, not discovered
    ({"mode": "discover", "cadence": None}, 400, "ReportTypeRequestable", "use mode request"),
    ({"mode": "discover"}, 400, "ReportTypeRequestable", "createReport makes GET_SALES"),
    # a type the catalogue does not know is never taken for one Amazon makes by itself
    (
        {"reportType": "GET_SOMETHING_NEW", "mode": "discover", "cadence": None, "lookBackDays": None},
        400,
        "ReportTypeNotDiscoverable",
        "does not know GET_SOMETHING_NEW",
    ),
    # the seller makes sales tax reports in Seller Central: nothing for a plan to request or find
    (
        {
            "reportType": "GET_FLAT_FILE_SALES_TAX_DATA",
            "mode": "discover",
            "cadence": None,
            "lookBackDays": None,
        },
        400,
        "ReportTypeNotDiscoverable",
        "Seller Central",
    ),
    (
        {"reportType": "GET_FLAT_FILE_SALES_TAX_DATA", "mode": "amazon-schedule", "lookBackDays": None},
        400,
        "ReportTypeNotRequestable",
        "Seller Central",
    ),
    # the XML order reports can only be scheduled: mode amazon-schedule, and no look-backs (createReport's)
    (
        {"reportType": "GET_ORDER_REPORT_DATA_SHIPPING", "lookBackDays": None, "startDate": "2026-12-01"},
        400,
        "ReportTypeNotRequestable",
        "Use mode amazon-schedule",
    ),
    (
        {"reportType": "GET_ORDER_REPORT_DATA_SHIPPING", "mode": "amazon-schedule", "lookBackDays": [7]},
        400,
        "LookBackNotRequestable",
        "Leave lookBackDays out",
    ),
    # Amazon keeps one schedule per type and marketplaces: a single-marketplace type's plan is one lane
    (
        {
            "reportType": "GET_MERCHANT_LISTINGS_ALL_DATA",
            "mode": "amazon-schedule",
            "marketplaceIds": [US, CA],
            "lookBackDays": None,
        },
        400,
        "ScheduleNeedsOneLane",
        "one plan per marketplace",
    ),
    ({"replaceExistingSchedule": "yes", "mode": "amazon-schedule"}, 400, "ValidationError", "true or false"),
    ({"replaceExistingSchedule": True}, 400, "ValidationError", "amazon-schedule only"),
    (
        {"reportType": "GET_MERCHANT_LISTINGS_ALL_DATA", "mode": "discover", "lookBackDays": [1]},
        400,
        "ReportTypeRequestable",
        "use mode request",
    ),
    # a month is up to 31 days and the FBA shipments report covers 30
    (
        {
            "reportType": "GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL",
            "cadence": "monthly",
            "lookBackDays": None,
        },
        400,
        "ReportRangeTooLong",
        "at most 30 days",
    ),
    # vendor margin by DAY: 15 days per report
    (
        {
            "reportType": "GET_VENDOR_NET_PURE_PRODUCT_MARGIN_REPORT",
            "cadence": "monthly",
            "reportOptions": {"reportPeriod": "DAY"},
            "lookBackDays": None,
        },
        400,
        "ReportRangeTooLong",
        "cadence daily or weekly",
    ),
    # vendor margin by WEEK: whole Sunday-Saturday weeks
    (
        {
            "reportType": "GET_VENDOR_NET_PURE_PRODUCT_MARGIN_REPORT",
            "reportOptions": {"reportPeriod": "WEEK"},
            "lookBackDays": None,
        },
        400,
        "ReportPeriodMisaligned",
        "use cadence weekly",
    ),
    # order reports cover orders younger than two years (report-type-values-order)
    (
        {"reportType": "GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING", "startDate": "2024-12-06"},
        400,
        "StartDateTooOld",
        "earliest start date today is 2024-12-07",
    ),
    # restricted types: the deployment's decision (403, as for POST /reports)
    (
        {"reportType": "GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING"},
        403,
        "RestrictedReportTypeNotAllowed",
        "restricted",
    ),
]


@pytest.mark.parametrize(("change", "status", "code", "words"), REFUSALS)
def test_a_body_that_cannot_make_a_plan_is_refused_saying_what_to_fix(change, status, code, words):
    # Restricted types are refused only where the deployment does not store them.
    allowed = code != "RestrictedReportTypeNotAllowed"
    with pytest.raises(ApiError) as refused:
        plan_from_request(_body(**change), now=NOW, restricted_allowed=allowed)
    assert (refused.value.status, refused.value.code) == (status, code)
    assert words in refused.value.message


def test_a_body_that_is_not_an_object_is_refused():
    with pytest.raises(ApiError) as refused:
        plan_from_request(["not", "an", "object"], now=NOW)
    assert refused.value.status == 400


# (body change, accepted mode)
ACCEPTED = [
    ({"mode": "request"}, "request"),
    ({"reportType": "GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL", "cadence": "weekly"}, "request"),
    ({"reportType": "GET_SOME_REPORT_SP_API_ADDS_TOMORROW", "lookBackDays": [1]}, "request"),
    (
        {
            "reportType": "GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING",
            "startDate": "2024-12-07",
            "lookBackDays": [1],
        },
        "request",
    ),
    (
        {
            "reportType": "GET_VENDOR_NET_PURE_PRODUCT_MARGIN_REPORT",
            "cadence": "weekly",
            "reportOptions": {"reportPeriod": "WEEK"},
            "lookBackDays": [14],
        },
        "request",
    ),
    ({"mode": "amazon-schedule"}, "amazon-schedule"),
    (
        {"reportType": "GET_ORDER_REPORT_DATA_SHIPPING", "mode": "amazon-schedule", "lookBackDays": None},
        "amazon-schedule",
    ),
    (
        {"reportType": "GET_MERCHANT_LISTINGS_ALL_DATA", "mode": "amazon-schedule", "lookBackDays": [1]},
        "amazon-schedule",
    ),
]


@pytest.mark.parametrize(("change", "mode"), ACCEPTED)
def test_plans_the_catalogue_allows_are_accepted(change, mode):
    plan = plan_from_request(_body(**change), now=NOW, restricted_allowed=True)
    assert plan.mode == mode


def test_single_marketplace_types_fan_out_into_one_lane_per_marketplace():
    fanned = plan_from_request(
        _body(reportType="GET_MERCHANT_LISTINGS_ALL_DATA", marketplaceIds=[US, CA], lookBackDays=None),
        now=NOW,
    )
    together = plan_from_request(_body(marketplaceIds=[US, CA]), now=NOW)
    assert fanned.lanes() == ((CA,), (US,))
    assert together.lanes() == ((CA, US),)


@pytest.mark.parametrize(
    ("change", "per_day"),
    [
        ({}, 2.0),  # one lane, first pull and one look-back, daily
        ({"lookBackDays": None, "cadence": "weekly"}, 1 / 7),
        ({"lookBackDays": [7, 14], "cadence": "monthly"}, 3 / (365.2425 / 12)),
        (
            {
                "reportType": "GET_MERCHANT_LISTINGS_ALL_DATA",
                "marketplaceIds": [US, CA],
                "lookBackDays": [1, 2],
            },
            6.0,
        ),
        ({"marketplaceIds": [US, CA], "lookBackDays": [7, 14]}, 3.0),
    ],
)
def test_windows_per_day_is_lanes_times_versions_over_cadence_days(change, per_day):
    assert windows_per_day(plan_from_request(_body(**change), now=NOW)) == pytest.approx(per_day)


def test_an_amazon_schedule_plan_says_where_it_stands_with_its_schedule():
    plan = plan_from_request(_body(mode="amazon-schedule", replaceExistingSchedule=True), now=NOW)
    assert plan.replace_existing_schedule is True
    # Not part of the definition: the same plan whether or not it may replace another schedule.
    assert plan.plan_id == plan_from_request(_body(mode="amazon-schedule"), now=NOW).plan_id
    described = plan.describe()
    assert (described["replaceExistingSchedule"], described["schedule"]) == (True, None)
    assert "schedule" not in plan_from_request(_body(), now=NOW).describe()


def test_a_schedule_only_plan_requests_nothing_and_others_keep_their_fallback_in_the_budget():
    scheduled_only = plan_from_request(
        _body(reportType="GET_ORDER_REPORT_DATA_SHIPPING", mode="amazon-schedule", lookBackDays=None),
        now=NOW,
        restricted_allowed=True,
    )
    assert windows_per_day(scheduled_only) == 0.0
    assert windows_per_day(plan_from_request(_body(mode="amazon-schedule"), now=NOW)) == 2.0


def test_a_discover_plan_would_request_nothing():
    plan = dataclasses.replace(plan_from_request(_body(), now=NOW), mode=PlanMode.DISCOVER)
    assert windows_per_day(plan) == 0.0


def test_a_settlement_type_in_mode_discover_is_a_plan_without_cadence_or_look_backs():
    body = _body(reportType=SETTLEMENT, mode="discover", cadence=None, lookBackDays=None)
    plan = plan_from_request(body, now=NOW)
    assert (plan.mode, plan.cadence, plan.look_back_days) == (PlanMode.DISCOVER, None, ())
    assert plan.describe()["cadence"] is None and plan.definition()["cadence"] is None
    assert windows_per_day(plan) == 0.0
    # The same body names the same plan; a plan of another type is another plan.
    assert plan_from_request(body, now=NOW).plan_id == plan.plan_id
    assert plan_from_request({**body, "marketplaceIds": [CA]}, now=NOW).plan_id != plan.plan_id


def test_a_plan_built_directly_finds_its_rules_in_the_catalogue():
    plan = PullPlan(
        plan_id="pp-" + "0" * 24,
        seller_id=SELLER,
        marketplace_ids=(DE, UK),
        report_type="GET_XML_RETURNS_DATA_BY_RETURN_DATE",
        cadence=Cadence.DAILY,
        look_back_days=(),
        report_options={},
        start_date=date(2026, 1, 1),
        mode=PlanMode.REQUEST,
    )
    assert plan.rules is not None and plan.rules.single_marketplace
    assert plan.lanes() == ((DE,), (UK,))
    assert plan.marketplace_ids != (JP,)
