"""Reports 2021-06-30 schedules: createReportSchedule, getReportSchedules, getReportSchedule,
cancelReportSchedule, and the reports a schedule creates as the emulator's clock passes its times.

What the model (reports_2021-06-30.json) states, and the emulator holds:
- createReportSchedule takes reportType, marketplaceIds (1-25), period (one of the model's enum, PT5M to P1M:
  the contract checks it) and optionally reportOptions and nextReportCreationTime, and answers 201
  {reportScheduleId}. "If a report schedule with the same report type and marketplace IDs already exists, it
  will be cancelled and replaced with this one" (the operation's description): the seller's schedule of that
  type for the same set of marketplaces goes, and getReportSchedule answers 404 for its id.
- getReportSchedules needs reportTypes (1-10 items: the contract checks the count) and answers the seller's
  schedules of those types in {reportSchedules}; getReportSchedule answers one ReportSchedule;
  cancelReportSchedule answers 200 without a body. An id that is not the seller's answers 404 (the schedule id
  "is unique only in combination with a seller ID": ReportSchedule.reportScheduleId).
- A schedule creates a report at nextReportCreationTime, then every period after it; the report carries the
  schedule's id in reportScheduleId ("The identifier of the report schedule that created this report (if
  any)": Report.reportScheduleId) and goes through the lifecycle as any report. The emulator's clock drives
  it: `fire_due_schedules` runs at every tick, before the lifecycle advances, and a clock that jumps past
  several creation times creates one report for each, created at its time.
- Rate limits: 0.0222 requests/s, burst 10 for each of the four (each operation's "Usage Plan" table in the
  model; ratelimit.DOCUMENTED_RATES).

What the model leaves open, and the emulator decides:
- Which report types may be scheduled: the model does not say, and the answer is "only known by trying"
  (selling-partner-api-docs#1368). Amazon says settlement reports "cannot be requested or scheduled. They are
  automatically scheduled by Amazon" (selling-partner-api-models#339), and createReport answers them 400
  InvalidInput "Request for report type 1118 is not allowed at this time", "details": ""
  (selling-partner-api-models#1265). So a type our catalogue (spapi/report_types.json) says neither
  createReport nor a schedule makes - Amazon-generated (settlement) or made by the seller in Seller Central -
  is refused with that answer (the type named, as for createReport's refusals: reports_api.
  REFUSED_REPORT_TYPES); a type the catalogue says can only be scheduled is accepted, and so is every other
  type SP-API knows. A test makes a type createReport makes unschedulable (`refuse_schedules_of`), with the
  same answer: whether a type may be scheduled is only known by trying. An unknown type answers 400
  "Invalid Report Type <type>" as createReport does.
- Without nextReportCreationTime the first report comes one period after the schedule is created; with one
  already past, at once (the emulator makes no reports for times before the schedule existed).
- Marketplaces: an unknown one answers 400 as in createReport.
"""

from __future__ import annotations

import calendar
import re
from datetime import datetime, timedelta
from typing import Any

from sp_reports.spapi.report_types import RequestMode, report_type
from spapi_emulator import reports_api
from spapi_emulator import state as st
from spapi_emulator.context import EmulatorContext
from spapi_emulator.operation_calls import ApiError, Handler, OperationCall, invalid, not_found

# Request modes of the catalogue whose reports no schedule makes (see the module docstring).
NOT_SCHEDULABLE = (RequestMode.AMAZON_GENERATED, RequestMode.SELLER_CENTRAL_GENERATED)

# The model's periods are ISO 8601 durations of one unit: minutes or hours (PT5M .. PT84H), days (P1D ..
# P30D) or a month (P1M).
_PERIOD = re.compile(r"^P(?:(?P<months>\d+)M|(?P<days>\d+)D|T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?)$")


def next_creation(moment: datetime, period: str) -> datetime:
    """`moment` plus one ISO 8601 `period` (a month: the same day of the next month, or its last day)."""
    match = _PERIOD.match(period)
    if match is None or not any(match.groupdict().values()):
        raise ValueError(f"not an ISO 8601 period of one unit: {period}")
    parts = {name: int(value) for name, value in match.groupdict().items() if value}
    if "months" in parts:
        month_index = moment.month - 1 + parts["months"]
        year, month = moment.year + month_index // 12, month_index % 12 + 1
        return moment.replace(
            year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1])
        )
    return moment + timedelta(
        days=parts.get("days", 0), hours=parts.get("hours", 0), minutes=parts.get("minutes", 0)
    )


def schedule_refusal(context: EmulatorContext, name: str) -> str | None:
    """SP-API's message refusing a schedule of the type, or None when it may be scheduled."""
    refused = context.refused_report_types.get(name) or context.schedule_refusals.get(name)
    if refused is not None:
        return refused
    rules = report_type(name)
    if rules is not None and rules.request_mode in NOT_SCHEDULABLE:
        return f"Request for report type {name} is not allowed at this time"
    return None


def create_report_schedule(call: OperationCall) -> tuple[int, Any]:
    body, context = call.body, call.context
    unknown = [
        marketplace
        for marketplace in body["marketplaceIds"]
        if marketplace not in reports_api.KNOWN_MARKETPLACES
    ]
    if unknown:
        raise invalid(f"marketplaceIds: unknown marketplace {unknown[0]}")
    name = body["reportType"]
    refusal = schedule_refusal(context, name)
    if refusal is not None:
        raise ApiError(400, "InvalidInput", refusal, "")
    if not reports_api.known_report_type(context, name):
        raise ApiError(400, "InvalidInput", f"Invalid Report Type {name}", "")
    seller_id = call.grant.seller_id or ""
    first, now = reports_api.parse_time(body.get("nextReportCreationTime")), context.now()
    with context.state.lock:
        schedule = st.ReportSchedule(
            report_schedule_id=context.state.next_report_id(),
            seller_id=seller_id,
            report_type=name,
            marketplace_ids=list(body["marketplaceIds"]),
            period=body["period"],
            next_creation=max(first, now) if first else next_creation(now, body["period"]),
            report_options=body.get("reportOptions"),
            endpoint=call.endpoint,
        )
        schedules = context.state.schedules
        for replaced in [
            other.report_schedule_id
            for other in schedules.values()
            if other.seller_id == seller_id
            and other.report_type == name
            and set(other.marketplace_ids) == set(schedule.marketplace_ids)
        ]:
            del schedules[replaced]
        schedules[schedule.report_schedule_id] = schedule
    return 201, {"reportScheduleId": schedule.report_schedule_id}


def get_report_schedules(call: OperationCall) -> tuple[int, Any]:
    report_types = call.csv("reportTypes")
    for name in report_types:
        if not reports_api.known_report_type(call.context, name):
            raise ApiError(400, "InvalidInput", f"Invalid Report Type {name}", "")
    with call.context.state.lock:
        found = [
            schedule.to_model()
            for schedule in call.context.state.schedules.values()
            if schedule.seller_id == call.grant.seller_id and schedule.report_type in report_types
        ]
    return 200, {"reportSchedules": found}


def _own_schedule(call: OperationCall) -> st.ReportSchedule:
    schedule_id = call.path_params["reportScheduleId"]
    schedule = call.context.state.schedules.get(schedule_id)
    if schedule is None or schedule.seller_id != call.grant.seller_id:
        raise not_found(f"Report schedule {schedule_id}")
    return schedule


def get_report_schedule(call: OperationCall) -> tuple[int, Any]:
    with call.context.state.lock:
        return 200, _own_schedule(call).to_model()


def cancel_report_schedule(call: OperationCall) -> tuple[int, Any]:
    with call.context.state.lock:
        del call.context.state.schedules[_own_schedule(call).report_schedule_id]
    return 200, None


def fire_due_schedules(context: EmulatorContext) -> None:
    """Every schedule whose creation time the clock has passed creates its report(s), each created at its
    time (its lifecycle counted from then on the monotonic clock), and moves on by its period."""
    now, monotonic = context.now(), context.monotonic()
    with context.state.lock:
        for schedule in context.state.schedules.values():
            while schedule.next_creation <= now:
                context.add_report(
                    st.Report(
                        report_id=context.state.next_report_id(),
                        seller_id=schedule.seller_id,
                        report_type=schedule.report_type,
                        marketplace_ids=list(schedule.marketplace_ids),
                        created=schedule.next_creation,
                        created_mono=monotonic - (now - schedule.next_creation).total_seconds(),
                        report_options=schedule.report_options,
                        endpoint=schedule.endpoint,
                        report_schedule_id=schedule.report_schedule_id,
                    )
                )
                schedule.next_creation = next_creation(schedule.next_creation, schedule.period)


HANDLERS: dict[str, Handler] = {
    "createReportSchedule": create_report_schedule,
    "getReportSchedules": get_report_schedules,
    "getReportSchedule": get_report_schedule,
    "cancelReportSchedule": cancel_report_schedule,
}
