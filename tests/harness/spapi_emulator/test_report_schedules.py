"""Report schedules (reports_2021-06-30.json): createReportSchedule, getReportSchedules, getReportSchedule,
cancelReportSchedule, and the reports a schedule creates as the emulator's clock passes its times."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from spapi_emulator import SpApiEmulator
from spapi_emulator.report_schedules_api import next_creation
from spapi_emulator.state import iso
from tests.support.emulator_api import LISTINGS, US, Api, seller_token

SCHEDULES = "/reports/2021-06-30/schedules"
REPORTS = "/reports/2021-06-30/reports"
UK = "A1F83G8C2ARO7P"
OTHER_REFRESH_TOKEN = "Atzr|other-seller-of-the-schedule-tests"


def _create(seller: Api, report_type: str = LISTINGS, marketplaces=(US,), **fields):
    return seller.call(
        "POST",
        SCHEDULES,
        json={"reportType": report_type, "marketplaceIds": list(marketplaces), "period": "PT5M", **fields},
    )


def _schedule_id(seller: Api, **fields) -> str:
    response = _create(seller, **fields)
    assert response.status_code == 201, response.text
    return response.json()["reportScheduleId"]


def _scheduled_reports(seller: Api, schedule_id: str) -> list[dict]:
    response = seller.call("GET", REPORTS, params={"reportTypes": LISTINGS, "pageSize": "100"})
    assert response.status_code == 200, response.text
    return [report for report in response.json()["reports"] if report.get("reportScheduleId") == schedule_id]


def _model_periods(models_dir) -> list[str]:
    model = json.loads((models_dir / "reports_2021-06-30.json").read_text(encoding="utf-8"))
    return model["definitions"]["CreateReportScheduleSpecification"]["properties"]["period"]["enum"]


def test_a_created_schedule_is_answered_by_get_and_list(spapi_emulator: SpApiEmulator, seller):
    first = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)

    response = _create(
        seller, nextReportCreationTime=iso(first), reportOptions={"custom": "true"}, marketplaces=(US, UK)
    )

    assert response.status_code == 201
    assert "x-amzn-RateLimit-Limit" in response.headers
    schedule_id = response.json()["reportScheduleId"]
    expected = {
        "reportScheduleId": schedule_id,
        "reportType": LISTINGS,
        "marketplaceIds": [US, UK],
        "period": "PT5M",
        "nextReportCreationTime": "2030-01-02T03:04:05.000Z",
        "reportOptions": {"custom": "true"},
    }
    assert seller.call("GET", f"{SCHEDULES}/{schedule_id}").json() == expected
    listed = seller.call("GET", SCHEDULES, params={"reportTypes": LISTINGS})
    assert listed.json() == {"reportSchedules": [expected]}


def test_a_schedule_of_the_same_type_and_marketplaces_replaces_the_old_one(seller):
    # createReportSchedule: "If a report schedule with the same report type and marketplace IDs already
    # exists, it will be cancelled and replaced with this one."
    old = _schedule_id(seller, marketplaces=(US, UK))
    other_marketplaces = _schedule_id(seller, marketplaces=(US,))

    new = _schedule_id(seller, marketplaces=(UK, US))

    assert seller.call("GET", f"{SCHEDULES}/{old}").status_code == 404
    listed = seller.call("GET", SCHEDULES, params={"reportTypes": LISTINGS}).json()["reportSchedules"]
    assert sorted(s["reportScheduleId"] for s in listed) == sorted([new, other_marketplaces])


@pytest.mark.parametrize(
    ("report_type", "status", "message"),
    [
        # Settlement reports: Amazon schedules them itself (selling-partner-api-models#339), refused as
        # createReport refuses them (selling-partner-api-models#1265).
        (
            "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2",
            400,
            "Request for report type 1118 is not allowed at this time",
        ),
        (
            "GET_V2_SETTLEMENT_REPORT_DATA_XML",
            400,
            "Request for report type GET_V2_SETTLEMENT_REPORT_DATA_XML is not allowed at this time",
        ),
        # The seller makes it in Seller Central (catalogue: seller-central-generated).
        (
            "GET_FLAT_FILE_SALES_TAX_DATA",
            400,
            "Request for report type GET_FLAT_FILE_SALES_TAX_DATA is not allowed at this time",
        ),
        # A type that can only be scheduled (catalogue: scheduled-only), and a requestable one.
        ("GET_ORDER_REPORT_DATA_SHIPPING", 201, None),
        (LISTINGS, 201, None),
        # A type SP-API does not know, answered as createReport answers it.
        ("GET_NO_SUCH_REPORT", 400, "Invalid Report Type GET_NO_SUCH_REPORT"),
    ],
)
def test_which_report_types_may_be_scheduled(seller, report_type, status, message):
    response = _create(seller, report_type=report_type)

    assert response.status_code == status, response.text
    if message is not None:
        assert response.json() == {"errors": [{"code": "InvalidInput", "message": message, "details": ""}]}


def test_a_type_a_test_makes_unschedulable_is_refused_as_sp_api_refuses_one_while_create_report_makes_it(
    spapi_emulator: SpApiEmulator, seller
):
    spapi_emulator.refuse_schedules_of(LISTINGS)

    response = _create(seller)

    assert response.status_code == 400
    message = f"Request for report type {LISTINGS} is not allowed at this time"
    assert response.json() == {"errors": [{"code": "InvalidInput", "message": message, "details": ""}]}
    assert spapi_emulator.app.state.schedules == {}


@pytest.mark.allow_contract_violations
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reportType": LISTINGS, "marketplaceIds": [US], "period": "PT10M"}, "period"),
        ({"reportType": LISTINGS, "marketplaceIds": [US]}, "period"),
        ({"reportType": LISTINGS, "marketplaceIds": [], "period": "PT5M"}, "marketplaceIds"),
        ({"marketplaceIds": [US], "period": "PT5M"}, "reportType"),
        (
            {
                "reportType": LISTINGS,
                "marketplaceIds": [US],
                "period": "PT5M",
                "nextReportCreationTime": "soon",
            },
            "nextReportCreationTime",
        ),
    ],
)
def test_a_schedule_outside_the_model_is_refused_naming_the_field(seller, body, field):
    response = seller.call("POST", SCHEDULES, json=body)

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "InvalidInput"
    assert field in response.json()["errors"][0]["message"]


def test_an_unknown_marketplace_is_refused(seller):
    response = _create(seller, marketplaces=("A0000000000000",))

    assert response.status_code == 400
    assert "unknown marketplace A0000000000000" in response.json()["errors"][0]["message"]


@pytest.mark.allow_contract_violations
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, "reportTypes"),  # required
        ({"reportTypes": ",".join(f"{LISTINGS}{n}" for n in range(11))}, "at most 10"),
        ({"reportTypes": "GET_NO_SUCH_REPORT"}, "Invalid Report Type GET_NO_SUCH_REPORT"),
    ],
)
def test_get_report_schedules_needs_one_to_ten_known_report_types(seller, params, expected):
    response = seller.call("GET", SCHEDULES, params=params)

    assert response.status_code == 400
    assert expected in response.json()["errors"][0]["message"]


def test_get_report_schedules_answers_only_the_asked_types(seller):
    _schedule_id(seller)
    shipping = _schedule_id(seller, report_type="GET_ORDER_REPORT_DATA_SHIPPING")

    listed = seller.call("GET", SCHEDULES, params={"reportTypes": "GET_ORDER_REPORT_DATA_SHIPPING"})

    assert [s["reportScheduleId"] for s in listed.json()["reportSchedules"]] == [shipping]


def test_unknown_and_other_sellers_schedules_answer_404(spapi_emulator: SpApiEmulator, seller):
    schedule_id = _schedule_id(seller)
    spapi_emulator.register_seller(OTHER_REFRESH_TOKEN, "A2OTHERSELLER")
    other = Api(spapi_emulator, seller_token(spapi_emulator, OTHER_REFRESH_TOKEN))

    for api, path in [
        (seller, f"{SCHEDULES}/999"),
        (other, f"{SCHEDULES}/{schedule_id}"),
    ]:
        for method in ("GET", "DELETE"):
            response = api.call(method, path)
            assert response.status_code == 404, (method, path)
            assert response.json()["errors"][0]["code"] == "NotFound"
    assert other.call("GET", SCHEDULES, params={"reportTypes": LISTINGS}).json() == {"reportSchedules": []}


def test_a_cancelled_schedule_is_gone_and_creates_no_more_reports(spapi_emulator: SpApiEmulator, seller):
    schedule_id = _schedule_id(seller)

    response = seller.call("DELETE", f"{SCHEDULES}/{schedule_id}")

    assert response.status_code == 200
    assert response.content == b""
    assert seller.call("GET", f"{SCHEDULES}/{schedule_id}").status_code == 404
    spapi_emulator.advance_time(1800)  # six periods, within the access token's hour
    assert _scheduled_reports(seller, schedule_id) == []


def test_a_schedule_creates_its_report_when_the_clock_passes_its_time(spapi_emulator: SpApiEmulator, seller):
    first = spapi_emulator.app.now() + timedelta(seconds=60)
    schedule_id = _schedule_id(seller, nextReportCreationTime=iso(first))

    spapi_emulator.advance_time(59)
    assert _scheduled_reports(seller, schedule_id) == []

    spapi_emulator.advance_time(2)
    [report] = _scheduled_reports(seller, schedule_id)
    assert report["createdTime"] == iso(first)
    assert report["marketplaceIds"] == [US]
    schedule = seller.call("GET", f"{SCHEDULES}/{schedule_id}").json()
    assert schedule["nextReportCreationTime"] == iso(first + timedelta(minutes=5))
    spapi_emulator.advance_time(1)
    finished = seller.get_report(report["reportId"])
    assert finished["processingStatus"] == "DONE"
    assert finished["reportScheduleId"] == schedule_id


def test_a_clock_past_several_periods_creates_a_report_for_each(spapi_emulator: SpApiEmulator, seller):
    first = spapi_emulator.app.now() + timedelta(seconds=10)
    schedule_id = _schedule_id(seller, nextReportCreationTime=iso(first))

    spapi_emulator.advance_time(10 + 15 * 60)  # the first creation time and three periods after it

    created = sorted(report["createdTime"] for report in _scheduled_reports(seller, schedule_id))
    assert created == [iso(first + timedelta(minutes=5 * n)) for n in range(4)]


def test_without_a_creation_time_the_first_report_comes_one_period_later(
    spapi_emulator: SpApiEmulator, seller
):
    created = spapi_emulator.app.now()
    schedule_id = _schedule_id(seller)

    schedule = seller.call("GET", f"{SCHEDULES}/{schedule_id}").json()
    due = datetime.fromisoformat(schedule["nextReportCreationTime"].replace("Z", "+00:00"))
    assert timedelta(minutes=5) <= due - created < timedelta(minutes=5, seconds=5)
    spapi_emulator.advance_time(4 * 60)
    assert _scheduled_reports(seller, schedule_id) == []
    spapi_emulator.advance_time(65)
    assert len(_scheduled_reports(seller, schedule_id)) == 1


def test_a_creation_time_already_past_makes_the_first_report_at_once(spapi_emulator: SpApiEmulator, seller):
    before = spapi_emulator.app.now()

    schedule_id = _schedule_id(seller, nextReportCreationTime="2020-01-01T00:00:00Z")

    [report] = _scheduled_reports(seller, schedule_id)
    assert report["createdTime"] >= iso(before)
    schedule = seller.call("GET", f"{SCHEDULES}/{schedule_id}").json()
    assert schedule["nextReportCreationTime"] > iso(before + timedelta(minutes=4))


@pytest.mark.parametrize(
    ("start", "period", "expected"),
    [
        ("2030-01-31T10:00:00", "PT5M", "2030-01-31T10:05:00"),
        ("2030-01-31T10:00:00", "PT12H", "2030-01-31T22:00:00"),
        ("2030-01-31T10:00:00", "PT84H", "2030-02-03T22:00:00"),
        ("2030-01-31T10:00:00", "P3D", "2030-02-03T10:00:00"),
        ("2030-01-31T10:00:00", "P30D", "2030-03-02T10:00:00"),
        ("2030-01-31T10:00:00", "P1M", "2030-02-28T10:00:00"),  # the month's last day
        ("2032-01-31T10:00:00", "P1M", "2032-02-29T10:00:00"),  # a leap year's
        ("2030-12-15T10:00:00", "P1M", "2031-01-15T10:00:00"),
    ],
)
def test_the_next_creation_time_is_one_period_later(start, period, expected):
    moment = datetime.fromisoformat(start).replace(tzinfo=UTC)

    assert next_creation(moment, period) == datetime.fromisoformat(expected).replace(tzinfo=UTC)


def test_every_period_of_the_model_moves_the_schedule_forward(models_dir):
    moment = datetime(2030, 1, 1, tzinfo=UTC)
    periods = _model_periods(models_dir)

    assert len(periods) == 18
    assert all(next_creation(moment, period) > moment for period in periods)


def test_the_schedule_operations_take_the_models_usage_plan(
    spapi_emulator: SpApiEmulator, seller, models_dir
):
    model = json.loads((models_dir / "reports_2021-06-30.json").read_text(encoding="utf-8"))
    for operations in model["paths"].values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "Schedule" not in operation.get("operationId", ""):
                continue
            rate, burst = re.search(r"\|\s*([\d.]+)\s*\|\s*(\d+)\s*\|", operation["description"]).groups()
            assert spapi_emulator.app.rate_limiter.rate_of(operation["operationId"]) == float(rate)
            assert rate == "0.0222" and burst == "10"
    schedule_id = _schedule_id(seller)

    statuses = [seller.call("GET", f"{SCHEDULES}/{schedule_id}").status_code for _ in range(11)]

    assert statuses == [200] * 10 + [429]


def test_schedules_and_their_times_survive_a_snapshot(spapi_emulator: SpApiEmulator, seller):
    first = spapi_emulator.app.now() + timedelta(seconds=30)
    schedule_id = _schedule_id(seller, nextReportCreationTime=iso(first))
    snapshot = spapi_emulator.app.snapshot()
    app_type = type(spapi_emulator.app)
    restored = app_type(spapi_emulator.app.contract, spapi_emulator.app.config)

    restored.restore(snapshot)
    restored.advance_time(31)

    with restored.state.lock:
        made = [r for r in restored.state.reports.values() if r.report_schedule_id == schedule_id]
    assert [report.created for report in made] == [
        first.replace(microsecond=first.microsecond // 1000 * 1000)
    ]
