"""POST /reports against the report-type catalogue: which SP-API reports one request becomes.

SP-API enforces per-type rules by failing the report (FATAL) hours later or by returning the wrong data
(docs/spapi-notes.md#report-type-rules). The catalogue (`sp_reports.spapi.report_types`, each entry with its
source)
lets the door apply them first:

- a type createReport cannot make (Amazon-generated settlement, the Seller Central sales tax report, the
  schedule-only XML order reports) is refused, 400 `ReportTypeNotRequestable`, saying how to get it;
- a range longer than the type's maximum is split into consecutive windows of at most the maximum, one report
  each (the default: the caller asked for the data, and every window is a report SP-API will make); with
  `SplitRange: false` it is refused instead, 400 `ReportRangeTooLong`, naming the limit and its source;
- several marketplaces for a single-marketplace type fan out into one report per marketplace (SP-API would
  silently return one marketplace's data);
- a weekly vendor period that is not whole Sunday-Saturday weeks, or a period whose data SP-API has not
  produced yet (data lag), is refused with a 400 saying which rule and when;
- at most `MAX_REPORTS_PER_REQUEST` reports per request (createReport's burst): more is refused, 400
  `TooManyReports`, naming the count;
- a type with a cooldown is checked against SP-API's recent reports (`cooldown_decision`): a matching
  report we recorded is answered instead of a new one, otherwise 429 with Retry-After.

A type the catalogue does not know passes through unchanged: one report, exactly as asked.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sp_reports.pipeline.api_requests import ApiError, ReportRequest, iso_timestamp
from sp_reports.pipeline.report_specifications import ReportSpecification
from sp_reports.spapi.report_types import PeriodAlignment, ReportTypeRules, report_type

# createReport's burst (reports_2021-06-30.json: 0.0167 requests/s, burst 15): more reports than this in one
# request would wait a minute each, far beyond API Gateway's 29 seconds.
MAX_REPORTS_PER_REQUEST = 15
_MILLISECOND = timedelta(milliseconds=1)
# Reports that did not make a document do not start a cooldown (CANCELLED: no data; FATAL: failed).
_COOLDOWN_STATUSES = ("IN_QUEUE", "IN_PROGRESS", "DONE")


@dataclass(frozen=True)
class ReportPlan:
    request: ReportRequest
    rules: ReportTypeRules | None  # None: a type the catalogue does not know, passed through
    # One createReport call each: the request's specification, its window or its marketplaces split.
    reports: tuple[ReportSpecification, ...]
    split_by: timedelta | None = None  # the maximum range the request was split by
    fanned_out: bool = False  # one report per marketplace (a single-marketplace type)

    def describe(self) -> dict[str, Any]:
        """What the plan did to the request, for the answer (empty when nothing)."""
        described: dict[str, Any] = {}
        if self.split_by is not None and self.rules is not None:
            described["splitBy"] = {
                "maxRangeDays": self.split_by / timedelta(days=1),
                "sources": [source.url for source in self.rules.sources],
            }
        if self.fanned_out:
            described["fannedOut"] = "one report per marketplace: SP-API returns one marketplace's data"
        return described


def _parse(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _days(value: timedelta) -> str:
    days = value / timedelta(days=1)
    return f"{days:g} day{'s' if days != 1 else ''}"


def _cited(rules: ReportTypeRules) -> str:
    return "; source: " + ", ".join(source.url for source in rules.sources)


RESTRICTED_SETTING = "allow_restricted_report_types"


def plan_report_request(
    request: ReportRequest, now: datetime, *, restricted_allowed: bool = False
) -> ReportPlan:
    """The SP-API reports `request` becomes, or the ApiError (400, or 403 for a restricted type the deployment
    does not allow) that says which rule refuses it."""
    asked = request.specification
    rules = report_type(asked.report_type)
    if rules is None:
        return ReportPlan(request, None, (asked,))
    if not rules.requestable:
        raise ApiError(
            400,
            "ReportTypeNotRequestable",
            f"{asked.report_type} cannot be requested with createReport: {rules.how_to_get}{_cited(rules)}",
        )
    if rules.restricted and not restricted_allowed:
        raise restricted_refusal(asked.report_type)
    start, end = _parse(asked.data_start_time), _parse(asked.data_end_time)
    if start is not None and end is None:
        end = now  # SP-API's dataEndTime defaults to now
    _check_period(asked, rules, start, end, now)
    windows, split_by = _windows(request, rules, start, end)
    fanned_out = rules.single_marketplace and len(asked.marketplace_ids) > 1
    groups = [(m,) for m in asked.marketplace_ids] if fanned_out else [asked.marketplace_ids]
    reports = tuple(
        replace(asked, marketplace_ids=group, data_start_time=s, data_end_time=e)
        for group in groups
        for s, e in windows
    )
    if len(reports) > MAX_REPORTS_PER_REQUEST:
        raise ApiError(
            400,
            "TooManyReports",
            f"this request needs {len(reports)} SP-API reports ({len(windows)} date window(s) x "
            f"{len(groups)} marketplace group(s)); at most {MAX_REPORTS_PER_REQUEST} per request, "
            "createReport's burst: ask for a shorter range or fewer marketplaces",
        )
    return ReportPlan(request, rules, reports, split_by, fanned_out)


def restricted_refusal(report_type_name: str) -> ApiError:
    """The refusal of a restricted report type in a deployment that does not store them. Restricted reports
    hold buyers' personal information (names, addresses, tax ids): the Data Protection Policy binds whoever
    stores them, so storing them is the operator's decision, made in Terraform, never a caller's."""
    return ApiError(
        403,
        "RestrictedReportTypeNotAllowed",
        f"{report_type_name} is a restricted report type (its document holds personal information) and this "
        f"deployment does not store restricted reports: its operator enables them with the Terraform setting "
        f"{RESTRICTED_SETTING} once the application holds the restricted roles and meets Amazon's Data "
        "Protection Policy",
    )


def _check_period(
    asked: ReportSpecification,
    rules: ReportTypeRules,
    start: datetime | None,
    end: datetime | None,
    now: datetime,
) -> None:
    period = rules.period_rule(asked.report_options)
    if period is not None and period.alignment is PeriodAlignment.SUNDAY_TO_SATURDAY:
        whole_weeks = (
            start is not None
            and end is not None
            and start.weekday() == 6
            and start.time() == datetime.min.time()
            and end.weekday() == 5
            and (end.hour, end.minute, end.second) == (23, 59, 59)
        )
        if not whole_weeks:
            raise ApiError(
                400,
                "ReportPeriodMisaligned",
                f"{asked.report_type} with reportPeriod "
                f"{asked.report_options.get('reportPeriod')} covers whole weeks: ReportDataStartTime must "
                f"be a Sunday 00:00:00Z and ReportDataEndTime a Saturday 23:59:59Z{_cited(rules)}",
            )
    if rules.data_lag is not None and end is not None and end + rules.data_lag > now:
        ready = end + rules.data_lag
        raise ApiError(
            400,
            "ReportDataNotYetAvailable",
            f"{asked.report_type}'s data exists {rules.data_lag / timedelta(hours=1):g} hours after the "
            f"period ends: a period ending {iso_timestamp(end)} can be requested from {iso_timestamp(ready)}"
            f"{_cited(rules)}",
        )


def _windows(
    request: ReportRequest, rules: ReportTypeRules, start: datetime | None, end: datetime | None
) -> tuple[list[tuple[str | None, str | None]], timedelta | None]:
    """The date windows to request, and the maximum they were split by (None: not split)."""
    asked = request.specification
    maximum = rules.effective_max_range(asked.report_options)
    as_asked = [(asked.data_start_time, asked.data_end_time)]
    if maximum is None or start is None or end is None or end - start <= maximum:
        return as_asked, None
    if not request.split_range:
        raise ApiError(
            400,
            "ReportRangeTooLong",
            f"{asked.report_type} covers at most {_days(maximum)} per report and "
            f"{iso_timestamp(start)}..{iso_timestamp(end)} is {_days(end - start)}; SP-API fails longer "
            f"requests (FATAL). Send SplitRange true (the default) for one report per window{_cited(rules)}",
        )
    windows: list[tuple[str | None, str | None]] = []
    while end - start > maximum:
        # Consecutive windows that neither overlap nor leave a gap: each ends a millisecond before the next.
        windows.append((iso_timestamp(start), iso_timestamp(start + maximum - _MILLISECOND)))
        start += maximum
    windows.append((iso_timestamp(start), iso_timestamp(end)))
    return windows, maximum


# -- cooldowns ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CooldownDecision:
    """For each planned report, a recent report of ours to answer instead (or None: create one)."""

    reuse: tuple[str | None, ...]


def cooldown_decision(
    plan: ReportPlan,
    recent_reports: Callable[[str, Sequence[str], datetime], list[Mapping[str, Any]]],
    is_ours: Callable[[str], bool],
    now: datetime,
) -> CooldownDecision:
    """Check the plan against the type's cooldown (near real-time FBA reports once per 30 minutes, daily ones
    once per 4 hours; sooner is FATAL, and Amazon suggests reusing a recent DONE report: models#4032).

    `recent_reports(report_type, marketplace_ids, created_since)` is getReports; `is_ours(report_id)` says
    whether we recorded that report (only then does the caller get anything by following its id). A planned
    report with a matching recent report of ours reuses it; one inside the cooldown without one raises a 429
    whose Retry-After is when the cooldown ends. Nothing is created while any part of the plan must wait."""
    rules = plan.rules
    if rules is None or rules.cooldown is None:
        return CooldownDecision(tuple(None for _ in plan.reports))
    asked = plan.request.specification
    marketplaces = sorted({m for planned in plan.reports for m in planned.marketplace_ids})
    recent = [
        report
        for report in recent_reports(asked.report_type, marketplaces, now - rules.cooldown)
        if report.get("processingStatus") in _COOLDOWN_STATUSES
    ]
    reuse: list[str | None] = []
    waits: list[float] = []
    for planned in plan.reports:
        overlapping = [r for r in recent if set(r.get("marketplaceIds") or ()) & set(planned.marketplace_ids)]
        if not overlapping:
            reuse.append(None)
            continue
        same = [
            r
            for r in overlapping
            if set(r.get("marketplaceIds") or ()) == set(planned.marketplace_ids)
            and _same_time(r.get("dataStartTime"), planned.data_start_time)
            and _same_time(r.get("dataEndTime"), planned.data_end_time)
            and is_ours(str(r.get("reportId")))
        ]
        if same:
            reuse.append(str(same[0]["reportId"]))  # getReports answers newest first
            continue
        newest = max(_parse(str(r["createdTime"])) or now for r in overlapping)
        waits.append((newest + rules.cooldown - now).total_seconds())
        reuse.append(None)
    if waits:
        raise cooldown_refusal(asked.report_type, rules, max(waits))
    return CooldownDecision(tuple(reuse))


def cooldown_refusal(report_type: str, rules: ReportTypeRules, wait_seconds: float) -> ApiError:
    """The 429 of a report the type's cooldown holds back for `wait_seconds` more."""
    retry_after = max(1, math.ceil(wait_seconds))
    return ApiError(
        429,
        "ReportTypeCooldown",
        f"SP-API makes a {report_type} report at most once every "
        f"{(rules.cooldown or timedelta(0)) / timedelta(minutes=1):g} minutes and one for these marketplaces "
        f"was requested less than that ago (a new one would fail FATAL); retry after {retry_after} seconds"
        f"{_cited(rules)}",
        headers={"Retry-After": str(retry_after)},
    )


def _same_time(reported: Any, planned: str | None) -> bool:
    if not reported or not planned:
        return not reported and not planned
    return _parse(str(reported)) == _parse(planned)


# -- carrying a plan out ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanOutcome:
    """What became of each planned report: created (with whether its record was written), answered by a
    recent report of ours, failed (with the error the caller is told), or not requested after a failure."""

    created: tuple[tuple[ReportSpecification, str, bool], ...]  # (planned, report id, recorded)
    reused: tuple[tuple[ReportSpecification, str], ...]
    failed: tuple[tuple[ReportSpecification, ApiError], ...]
    not_requested: tuple[ReportSpecification, ...]


def carry_out(
    plan: ReportPlan,
    decision: CooldownDecision,
    create: Callable[[ReportSpecification], tuple[str, bool]],
    error_for: Callable[[BaseException], ApiError],
) -> PlanOutcome:
    """Create the planned reports in order with `create` (createReport and its record; returns the report id
    and whether it was recorded). The first failure stops the plan: when nothing was created or reused it is
    raised (the request failed as a whole); otherwise every report SP-API accepted is kept and answered, and
    the failure and the reports not requested after it are listed (retrying those alone is the caller's call).
    """
    created: list[tuple[ReportSpecification, str, bool]] = []
    reused: list[tuple[ReportSpecification, str]] = []
    for index, (planned, reuse) in enumerate(zip(plan.reports, decision.reuse, strict=True)):
        if reuse is not None:
            reused.append((planned, reuse))
            continue
        try:
            report_id, recorded = create(planned)
        except Exception as failure:
            if not created and not reused:
                raise
            return PlanOutcome(
                tuple(created),
                tuple(reused),
                ((planned, error_for(failure)),),
                tuple(p for p, r in zip(plan.reports[index + 1 :], decision.reuse[index + 1 :], strict=True)),
            )
        created.append((planned, report_id, recorded))
    return PlanOutcome(tuple(created), tuple(reused), (), ())


def plan_answer(plan: ReportPlan, outcome: PlanOutcome) -> tuple[int, dict[str, Any]]:
    """202 when SP-API accepted at least one new report, 200 when every report was a recent one reused.

    `reportId` is the first report (what a caller of one report reads); `reportIds` and `reports` list them
    all in the plan's order. A plan stopped by a failure says so: `complete` false, `failed` (with the error)
    and `notRequested` list what was not created."""
    by_plan: dict[ReportSpecification, dict[str, Any]] = {}
    for planned, report_id, _recorded in outcome.created:
        by_plan[planned] = {"reportId": report_id, **_answer(planned)}
    for planned, report_id in outcome.reused:
        by_plan[planned] = {"reportId": report_id, **_answer(planned), "reused": True}
    reports = [by_plan[planned] for planned in plan.reports if planned in by_plan]
    body: dict[str, Any] = {
        "reportId": reports[0]["reportId"],
        "reportIds": [report["reportId"] for report in reports],
        "reports": reports,
        "complete": not outcome.failed,
        **plan.describe(),
    }
    if outcome.failed:
        body["failed"] = [
            {**_answer(planned), "error": {"code": error.code, "message": error.message}}
            for planned, error in outcome.failed
        ]
        body["notRequested"] = [_answer(planned) for planned in outcome.not_requested]
    return (202 if outcome.created else 200), body


def _answer(planned: ReportSpecification) -> dict[str, Any]:
    """A planned report as the answer lists it (the seller, type and options are the request's)."""
    body: dict[str, Any] = {"marketplaceIds": list(planned.marketplace_ids)}
    if planned.data_start_time:
        body["dataStartTime"] = planned.data_start_time
    if planned.data_end_time:
        body["dataEndTime"] = planned.data_end_time
    return body
