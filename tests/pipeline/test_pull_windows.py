"""Windows, versions and due times of pull plans: calendar arithmetic as tables
(sp_reports.pipeline.pull_windows)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sp_reports.pipeline.pull_plans import plan_from_request
from sp_reports.pipeline.pull_windows import (
    JITTER_SPREAD_SECONDS,
    Window,
    available_at,
    due_versions,
    next_due_after,
    period_end,
    period_start,
    seller_jitter,
    version_due_times,
    windows_between,
)

NOW = datetime(2026, 12, 7, 20, 0, tzinfo=UTC)
SELLER = "A3TH9S8BH6GOGM"
US, CA = "ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _plan(**changes):
    body = {
        "sellerId": SELLER,
        "marketplaceIds": [US],
        "reportType": "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL",
        "cadence": "daily",
        "startDate": "2026-11-01",
    }
    body.update(changes)
    return plan_from_request(
        {k: v for k, v in body.items() if v is not None}, now=NOW, restricted_allowed=True
    )


# (cadence, instant, period start, period end)
PERIODS = [
    ("daily", "2026-12-07T20:00:00Z", "2026-12-07T00:00:00Z", "2026-12-08T00:00:00Z"),
    ("daily", "2026-12-07T00:00:00Z", "2026-12-07T00:00:00Z", "2026-12-08T00:00:00Z"),
    ("daily", "2026-12-31T23:59:59Z", "2026-12-31T00:00:00Z", "2027-01-01T00:00:00Z"),
    # 2026-12-06 is a Sunday: weeks run Sunday 00:00 to Sunday 00:00
    ("weekly", "2026-12-06T00:00:00Z", "2026-12-06T00:00:00Z", "2026-12-13T00:00:00Z"),
    ("weekly", "2026-12-12T23:59:59Z", "2026-12-06T00:00:00Z", "2026-12-13T00:00:00Z"),
    ("weekly", "2026-12-07T20:00:00Z", "2026-12-06T00:00:00Z", "2026-12-13T00:00:00Z"),
    ("weekly", "2027-01-01T12:00:00Z", "2026-12-27T00:00:00Z", "2027-01-03T00:00:00Z"),
    ("monthly", "2026-12-07T20:00:00Z", "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z"),
    ("monthly", "2028-02-29T12:00:00Z", "2028-02-01T00:00:00Z", "2028-03-01T00:00:00Z"),
    ("monthly", "2027-01-01T00:00:00Z", "2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z"),
]


@pytest.mark.parametrize(("cadence", "instant", "start", "end"), PERIODS)
def test_windows_are_whole_calendar_periods_in_utc(cadence, instant, start, end):
    plan = _plan(cadence=cadence)
    assert period_start(plan.cadence, _at(instant)) == _at(start)
    assert period_end(plan.cadence, _at(start)) == _at(end)


def test_an_instant_in_another_zone_is_read_in_utc():
    plan = _plan()
    tokyo = datetime.fromisoformat("2026-12-08T05:00:00+09:00")  # 2026-12-07T20:00Z
    assert period_start(plan.cadence, tokyo) == _at("2026-12-07T00:00:00Z")


def test_a_window_key_and_its_createreport_times():
    window = Window(_at("2026-12-06T00:00:00Z"), _at("2026-12-13T00:00:00Z"), (CA, US))
    assert window.key == "2026-12-06T00:00:00Z/2026-12-13T00:00:00Z/A2EUQ1WTGCTBG2+ATVPDKIKX0DER"
    assert window.data_start_time == "2026-12-06T00:00:00Z"
    assert window.data_end_time == "2026-12-12T23:59:59Z"  # Saturday 23:59:59Z, what vendor weeks need
    assert Window.from_key(window.key) == window


@pytest.mark.parametrize(
    "key",
    [
        "",
        "a/b/c",
        "2026-12-06T00:00:00Z/2026-12-05T00:00:00Z/X",
        "2026-12-06T00:00:00Z/2026-12-07T00:00:00Z/",
    ],
)
def test_a_string_that_is_not_a_window_key_is_refused(key):
    with pytest.raises(ValueError):
        Window.from_key(key)


def test_window_keys_sort_as_text_in_the_order_of_their_windows():
    plan = _plan(marketplaceIds=[US, CA], reportType="GET_MERCHANT_LISTINGS_ALL_DATA")
    windows = windows_between(plan, _at("2026-11-01T00:00:00Z"), _at("2026-11-20T00:00:00Z"))
    assert [w.key for w in windows] == sorted(w.key for w in windows)
    assert windows == sorted(windows)


# (cadence, plan start date, range start, range end, expected window starts)
BETWEEN = [
    ("daily", "2026-11-01", "2026-11-03T12:00:00Z", "2026-11-05T00:00:00Z", ["2026-11-03", "2026-11-04"]),
    (
        "daily",
        "2026-11-01",
        "2026-11-03T00:00:00Z",
        "2026-11-05T00:00:01Z",
        ["2026-11-03", "2026-11-04", "2026-11-05"],
    ),
    # nothing before the plan's first window
    ("daily", "2026-11-04", "2026-11-01T00:00:00Z", "2026-11-06T00:00:00Z", ["2026-11-04", "2026-11-05"]),
    # the first window is the week holding the start date (2026-11-04 is a Wednesday)
    (
        "weekly",
        "2026-11-04",
        "2026-10-01T00:00:00Z",
        "2026-11-16T00:00:00Z",
        ["2026-11-01", "2026-11-08", "2026-11-15"],
    ),
    ("monthly", "2026-11-15", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", ["2026-11-01", "2026-12-01"]),
    ("daily", "2026-11-01", "2026-11-05T00:00:00Z", "2026-11-05T00:00:00Z", []),
]


@pytest.mark.parametrize(("cadence", "start_date", "start", "end", "starts"), BETWEEN)
def test_windows_between_lists_the_plans_windows_overlapping_the_range(
    cadence, start_date, start, end, starts
):
    plan = _plan(cadence=cadence, startDate=start_date)
    windows = windows_between(plan, _at(start), _at(end))
    assert [w.start.date().isoformat() for w in windows] == starts
    assert all(w.end == period_end(plan.cadence, w.start) for w in windows)


def test_each_lane_has_its_own_windows():
    fanned = _plan(marketplaceIds=[US, CA], reportType="GET_MERCHANT_LISTINGS_ALL_DATA")
    together = _plan(marketplaceIds=[US, CA])
    day = (_at("2026-11-02T00:00:00Z"), _at("2026-11-03T00:00:00Z"))
    assert [w.lane for w in windows_between(fanned, *day)] == [(CA,), (US,)]
    assert [w.lane for w in windows_between(together, *day)] == [(CA, US)]


def test_seller_jitter_is_fixed_per_seller_and_spread_over_fifteen_minutes():
    sellers = [f"A{n:013d}" for n in range(400)]
    jitters = [seller_jitter(seller) for seller in sellers]
    assert seller_jitter(SELLER) == seller_jitter(SELLER)
    assert all(timedelta(0) <= j < timedelta(seconds=JITTER_SPREAD_SECONDS) for j in jitters)
    # spread: every 5-minute third of the range is used
    assert {int(j.total_seconds() // 300) for j in jitters} == {0, 1, 2}


# (report type, report options, cadence, look-backs, hold-back after the window end)
HOLD_BACKS = [
    ("GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL", None, "daily", [1], timedelta(0)),
    ("GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING", None, "daily", [1], timedelta(minutes=30)),
    ("GET_SALES_AND_TRAFFIC_REPORT", None, "daily", [7], timedelta(hours=72)),
    ("GET_VENDOR_SALES_REPORT", None, "daily", [7], timedelta(hours=72)),
    (
        "GET_VENDOR_NET_PURE_PRODUCT_MARGIN_REPORT",
        {"reportPeriod": "WEEK"},
        "weekly",
        [14],
        timedelta(hours=168),
    ),
]


@pytest.mark.parametrize(("report_type", "options", "cadence", "look_backs", "hold"), HOLD_BACKS)
def test_versions_are_due_after_the_hold_back_then_after_each_look_back(
    report_type, options, cadence, look_backs, hold
):
    plan = _plan(reportType=report_type, reportOptions=options, cadence=cadence, lookBackDays=look_backs)
    window = windows_between(plan, _at("2026-11-10T00:00:00Z"), _at("2026-11-10T00:00:01Z"))[0]
    jitter = seller_jitter(SELLER)
    assert available_at(plan, window) == window.end + hold + jitter
    times = version_due_times(plan, window)
    assert times == [
        window.end + hold + jitter,
        *(window.end + timedelta(days=d) + jitter for d in look_backs),
    ]
    assert due_versions(plan, window, times[0] - timedelta(seconds=1)) == 0
    assert due_versions(plan, window, times[0]) == 1
    assert due_versions(plan, window, times[-1]) == len(times)
    assert due_versions(plan, window, times[-1] + timedelta(days=365)) == len(times)


def test_next_due_after_is_the_earliest_version_due_time_after_now():
    plan = _plan(reportType="GET_SALES_AND_TRAFFIC_REPORT", lookBackDays=[7], startDate="2026-11-01")
    jitter = seller_jitter(SELLER)
    for now in (
        _at("2026-12-07T20:00:00Z"),
        _at("2026-12-08T00:00:00Z") + jitter,
        _at("2026-11-01T00:00:00Z"),
    ):
        windows = windows_between(plan, _at("2026-10-01T00:00:00Z"), now + timedelta(days=40))
        expected = min(due for w in windows for due in version_due_times(plan, w) if due > now)
        assert next_due_after(plan, now) == expected


def test_next_due_after_never_precedes_the_plans_first_window():
    plan = _plan(startDate="2027-03-10", cadence="monthly")
    assert next_due_after(plan, NOW) == _at("2027-04-01T00:00:00Z") + seller_jitter(SELLER)
