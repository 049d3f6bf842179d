"""Which windows of a pull plan are stored, and which are not yet: the answer of GET /plans/{planId}/coverage.

Every window of the plan overlapping the asked days gets one status, read from its ledger entries
(`sp_reports.pipeline.pull_ledger`, one per version) and the plan's due times (`pull_windows`):

- `not-yet-due`: the window's first version is not due yet (the period has not ended, or the type's
  publication hold-back and the seller's jitter have not passed);
- `waiting-for-data`: due, and no report holds it yet: the planner has not requested it (the backfill, or the
  next tick); for an amazon-schedule plan `reason` says when the window is its Amazon schedule's, or nobody's
  (a schedule-only type's window before its schedule: not counted in the backfill);
- `requested`: a report for its newest version is claimed or requested and not finished;
- `stored`: its newest version is stored (a window already stored whose look-back re-pull is in flight stays
  `stored`: the stored version is what a consumer reads, and `versions` shows the re-pull);
- `no-data`: SP-API answered CANCELLED, "complete, no data" (a result, not a gap);
- `failed` (FATAL, to be retried after the type's cooldown), `parked` (given up after repeated failures) and
  `waiting-for-token` (LWA refused the seller's token), each with the reason the ledger recorded.

`currentVersion` and `s3Key` name the newest stored version, which the window's manifest names too.
`conversion` says what became of that version in the analytics tables (sp_reports.pipeline.report_conversion,
read from its report's record): `CONVERTED` with its tables' row counts and curated keys,
`CONVERTED_WITH_PROBLEMS` also with the problem count and the first problem, `REJECTED` with the first
problem (nothing was written), `NO_SCHEMA` (no table for this report type: only the raw file is stored),
`FAILED` with the error's name and a note (the conversion still failed after the workflow's retries; the
raw file is stored: sp_reports.pipeline.conversion_failures), `SUPERSEDED` (a newer version of the window
holds the curated keys, so this version's files were not published) or `NOT_RECORDED` (no outcome on the
record: the report was stored before conversions existed, or its workflow has not finished).

A discover plan's windows are the reports Amazon made (sp_reports.pipeline.pull_discovery): the coverage
lists those its discovery found whose period overlaps the asked days, each with its one version and, while it
is not stored, `expiresAt`, when SP-API drops its report's document (the type's document retention); it has no
due windows to wait for and no backfill.

For a plan still catching up on its past (the backfill), `backfill` says how many due windows no report of
any version holds yet and, when the planner's pace is known, the earliest it can end: the planner starts at
most `max_reports_per_tick` reports per tick for the whole fleet and a seller's createReport quota allows one
report per 1/rate seconds (reports_2021-06-30.json, createReport: rate 0.0167, burst 15), so the estimate is
the later of the two, a lower bound whenever other plans share the ticks.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol

from sp_reports.analytics.table_schemas import schemas_for_report_type
from sp_reports.pipeline.api_requests import ValidationError, iso_timestamp
from sp_reports.pipeline.conversion_failures import FAILED
from sp_reports.pipeline.pull_discovery import SETTLEMENT_PERIOD_AT_MOST, document_expiry
from sp_reports.pipeline.pull_ledger import LedgerEntry, WindowState
from sp_reports.pipeline.pull_plans import Cadence, PlanMode, PullPlan
from sp_reports.pipeline.pull_schedules import never_pulled, window_note
from sp_reports.pipeline.pull_windows import (
    Window,
    available_at,
    due_versions,
    first_window_start,
    windows_between,
)
from sp_reports.spapi.ratelimit import OPERATION_RATES

# At most this many periods (days of a daily plan, weeks of a weekly one, months of a monthly one) per call: a
# year of daily windows, so that one answer stays within Lambda's 6 MB response and API Gateway's 29 s.
MAX_COVERAGE_PERIODS = 366
_PERIOD_DAYS = {Cadence.DAILY: 1, Cadence.WEEKLY: 7, Cadence.MONTHLY: 31}
# EventBridge Scheduler rate expressions: rate(value unit), unit minute(s), hour(s) or day(s) (EventBridge
# Scheduler User Guide, "Schedule types": https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html).
_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)\Z")
_UNIT_MINUTES = {"minute": 1, "hour": 60, "day": 1440}

STATUS_OF_STATE = {
    WindowState.CLAIMED: "requested",
    WindowState.REQUESTED: "requested",
    WindowState.STORED: "stored",
    WindowState.NO_DATA: "no-data",
    WindowState.FAILED: "failed",
    WindowState.PARKED: "parked",
    WindowState.WAITING_FOR_TOKEN: "waiting-for-token",
}
_IN_FLIGHT = frozenset({WindowState.CLAIMED, WindowState.REQUESTED})


class LedgerReader(Protocol):
    def entries(
        self, plan_id: str, *, start: datetime | None = None, end: datetime | None = None
    ) -> list[LedgerEntry]: ...


@dataclass(frozen=True)
class PlannerPace:
    """How fast the planner starts reports: at most `max_reports_per_tick` every `tick_minutes` (None:
    unknown, and the backfill's end is not estimated)."""

    max_reports_per_tick: int | None = None
    tick_minutes: float | None = None

    @classmethod
    def from_settings(cls, max_reports_per_tick: str | None, schedule_expression: str | None) -> PlannerPace:
        """From the planner's settings as Terraform gives them (PULL_PLANNER_MAX_REPORTS_PER_TICK, and
        PULL_PLANNER_SCHEDULE_EXPRESSION, a rate expression); anything unreadable is unknown."""
        per_tick = int(max_reports_per_tick) if (max_reports_per_tick or "").strip().isdigit() else None
        match = _RATE.match((schedule_expression or "").strip())
        minutes = None
        if match:
            minutes = int(match.group(1)) * _UNIT_MINUTES[match.group(2).rstrip("s")]
        return cls(per_tick if per_tick else None, float(minutes) if minutes else None)

    @property
    def known(self) -> bool:
        return self.max_reports_per_tick is not None and self.tick_minutes is not None


# report ids -> each one's recorded conversion (ConversionOutcome.as_record()), None when it has none.
ConversionReader = Callable[[Iterable[str]], Mapping[str, Mapping[str, Any] | None]]
NO_SCHEMA = "NO_SCHEMA"
SUPERSEDED = "SUPERSEDED"
NOT_RECORDED = "NOT_RECORDED"


def coverage(
    plan: PullPlan,
    store: LedgerReader,
    from_date: date,
    to_date: date,
    now: datetime,
    *,
    pace: PlannerPace | None = None,
    deleted_at: str | None = None,
    conversions: ConversionReader | None = None,
) -> dict[str, Any]:
    """Every window of `plan` overlapping the days `from_date`..`to_date` (both included, UTC) with its
    status, versions and S3 keys, and the plan's backfill. `deleted_at`: when the plan was deleted (its
    windows without a report are never pulled). With `conversions`, each stored window also says its
    conversion. ValidationError for a range that is backwards or longer than MAX_COVERAGE_PERIODS periods."""
    answer = _coverage(plan, store, from_date, to_date, now, pace=pace, deleted_at=deleted_at)
    if conversions is not None:
        _add_conversions(plan.report_type, answer["windows"], conversions)
    return answer


def _coverage(
    plan: PullPlan,
    store: LedgerReader,
    from_date: date,
    to_date: date,
    now: datetime,
    *,
    pace: PlannerPace | None,
    deleted_at: str | None,
) -> dict[str, Any]:
    if to_date < from_date:
        raise ValidationError("to", f"{to_date.isoformat()} is before from {from_date.isoformat()}")
    span_days = (to_date - from_date).days + 1
    if plan.mode is PlanMode.DISCOVER or plan.cadence is None:
        return _discovered_coverage(plan, store, from_date, to_date, span_days, deleted_at)
    limit_days = MAX_COVERAGE_PERIODS * _PERIOD_DAYS[plan.cadence]
    if span_days > limit_days:
        raise ValidationError(
            "to",
            f"{from_date.isoformat()}..{to_date.isoformat()} is {span_days} days; a coverage answers at "
            f"most {MAX_COVERAGE_PERIODS} {plan.cadence} windows per marketplace lane ({limit_days} days): "
            "ask for a shorter range, page by page",
        )
    start = _midnight(from_date)
    end = _midnight(to_date) + timedelta(days=1)
    windows = windows_between(plan, start, end)
    # Entries are found by their window's start: a week or month overlapping `from` starts before it.
    by_window = _by_window(store.entries(plan.plan_id, start=windows[0].start, end=end)) if windows else {}
    answered = [_window(plan, window, by_window.get(window.key, []), now) for window in windows]
    answer: dict[str, Any] = {
        "planId": plan.plan_id,
        "deleted": deleted_at is not None,
        "from": from_date.isoformat(),
        "to": to_date.isoformat(),
        "windows": answered,
        "summary": _summary(answered),
        "backfill": backfill(plan, store, now, pace or PlannerPace(), deleted=deleted_at is not None),
    }
    if deleted_at is not None:
        answer["deletedAt"] = deleted_at
    return answer


def _discovered_coverage(
    plan: PullPlan,
    store: LedgerReader,
    from_date: date,
    to_date: date,
    span_days: int,
    deleted_at: str | None,
) -> dict[str, Any]:
    """The discovered windows (reports) overlapping the days, oldest first."""
    if span_days > MAX_COVERAGE_PERIODS:
        raise ValidationError(
            "to",
            f"{from_date.isoformat()}..{to_date.isoformat()} is {span_days} days; a discover plan's coverage "
            f"answers at most {MAX_COVERAGE_PERIODS} days: ask for a shorter range, page by page",
        )
    start = _midnight(from_date)
    end = _midnight(to_date) + timedelta(days=1)
    # Entries are found by their window's start: a settlement period overlapping `from` starts before it.
    entries = store.entries(plan.plan_id, start=start - SETTLEMENT_PERIOD_AT_MOST, end=end)
    answered = []
    for window_key, versions in _by_window(entries).items():
        window = versions[0].window
        if window.end <= start:
            continue
        answer: dict[str, Any] = {
            "start": iso_timestamp(window.start),
            "end": iso_timestamp(window.end),
            "marketplaceIds": list(window.marketplace_ids),
            "versionsDue": 1,
        }
        newest = versions[-1]
        answer["status"] = STATUS_OF_STATE[newest.state]
        if newest.state is WindowState.STORED:
            answer["currentVersion"] = newest.version
            if newest.s3_key:
                answer["s3Key"] = newest.s3_key
        elif newest.report_created_at:
            created = datetime.strptime(newest.report_created_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            answer["expiresAt"] = iso_timestamp(document_expiry(plan.report_type, created))
        if newest.reason and newest.state not in (WindowState.STORED, *_IN_FLIGHT):
            answer["reason"] = newest.reason
        answer["versions"] = [_version(entry) for entry in versions]
        answered.append((window_key, answer))
    windows = [answer for _, answer in sorted(answered, key=lambda pair: pair[0])]
    answer = {
        "planId": plan.plan_id,
        "deleted": deleted_at is not None,
        "from": from_date.isoformat(),
        "to": to_date.isoformat(),
        "windows": windows,
        "summary": _summary(windows),
        "backfill": {
            "windowsLeft": 0,
            "estimatedEnd": None,
            "estimate": "nothing to backfill: a discover plan stores the reports Amazon makes as its "
            "discovery finds them (SP-API lists them for 90 days)",
        },
    }
    if deleted_at is not None:
        answer["deletedAt"] = deleted_at
    return answer


def backfill(
    plan: PullPlan, store: LedgerReader, now: datetime, pace: PlannerPace, *, deleted: bool = False
) -> dict[str, Any]:
    """The due windows since the plan's start that no report holds yet, and the earliest end of their pull."""
    due = [
        window
        for window in windows_between(plan, first_window_start(plan), now)
        if available_at(plan, window) <= now
    ]
    # A window is started once any version has an entry: the planner requests a window already past a
    # look-back at its latest due version only, never at version 1.
    started = {entry.window.key for entry in store.entries(plan.plan_id, end=now)}
    left = sum(1 for window in due if window.key not in started and not never_pulled(plan, window))
    answer: dict[str, Any] = {"windowsLeft": left, "estimatedEnd": None}
    if left == 0:
        answer["estimate"] = "nothing left: every due window has a report"
    elif deleted:
        answer["estimate"] = "never: the plan is deleted, its windows without a report are not pulled"
    elif plan.paused:
        answer["estimate"] = "unknown: the plan is paused"
    elif not pace.known:
        answer["estimate"] = (
            "unknown: the planner's schedule and reports per tick are not configured for this function"
        )
    else:
        assert pace.max_reports_per_tick is not None and pace.tick_minutes is not None
        by_ticks = timedelta(minutes=math.ceil(left / pace.max_reports_per_tick) * pace.tick_minutes)
        quota = OPERATION_RATES["createReport"]
        by_quota = timedelta(seconds=max(0, left - quota.burst) / quota.rate)
        answer["estimatedEnd"] = iso_timestamp((now + max(by_ticks, by_quota)).replace(microsecond=0))
        answer["estimate"] = (
            f"at the earliest: {left} window(s) at {pace.max_reports_per_tick} report(s) per "
            f"{pace.tick_minutes:g}-minute tick and the seller's createReport rate of {quota.rate} per "
            "second, if no other plan shared the planner"
        )
    return answer


def _add_conversions(report_type: str, windows: list[dict[str, Any]], conversions: ConversionReader) -> None:
    """Each stored window's `conversion`, from the record of the report holding its current version."""
    current = {}
    for window in windows:
        if window.get("currentVersion") is None:
            continue
        report_id = next(
            (
                version["reportId"]
                for version in window["versions"]
                if version["version"] == window["currentVersion"] and version["state"] == WindowState.STORED
            ),
            None,
        )
        if report_id:
            current[id(window)] = report_id
    if not schemas_for_report_type(report_type):
        for window in windows:
            if window.get("currentVersion") is not None:
                window["conversion"] = {"status": NO_SCHEMA, "note": "no schema for this report type"}
        return
    recorded = conversions(sorted(set(current.values()))) if current else {}
    for window in windows:
        if window.get("currentVersion") is None:
            continue
        report_id = current.get(id(window))
        window["conversion"] = conversion_summary(recorded.get(report_id) if report_id else None)


def conversion_summary(conversion: Mapping[str, Any] | None) -> dict[str, Any]:
    """What a window's coverage says of its report's recorded conversion (module docstring)."""
    if not conversion:
        return {
            "status": NOT_RECORDED,
            "note": "no conversion recorded: the report was stored before conversions existed or its "
            "workflow has not finished",
        }
    status = str(conversion.get("status"))
    summary: dict[str, Any] = {"status": status}
    if status == NO_SCHEMA:
        summary["note"] = "no schema for this report type"
        return summary
    if status == FAILED:
        summary["error"] = str(conversion.get("error"))
        summary["note"] = str(conversion.get("reason"))
        return summary
    if status == SUPERSEDED:
        summary["note"] = (
            "a newer version of this window holds the curated file; this version's is not published"
        )
    files = list(conversion.get("files") or [])
    if files:
        summary["rows"] = sum(int(f.get("rows") or 0) for f in files)
        summary["tables"] = [
            {"table": f.get("table"), "key": f.get("key"), "rows": f.get("rows")} for f in files
        ]
    problems = list(conversion.get("problems") or [])
    if status != "CONVERTED":
        summary["problemCount"] = int(conversion.get("problemCount") or len(problems))
        if problems:
            summary["firstProblem"] = problems[0]
    if conversion.get("unknownColumns"):
        summary["unknownColumns"] = list(conversion["unknownColumns"])
    return summary


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _by_window(entries: Iterable[LedgerEntry]) -> Mapping[str, list[LedgerEntry]]:
    grouped: dict[str, list[LedgerEntry]] = defaultdict(list)
    for entry in entries:
        grouped[entry.window.key].append(entry)
    for versions in grouped.values():
        versions.sort(key=lambda entry: entry.version)
    return grouped


def _window(plan: PullPlan, window: Window, versions: list[LedgerEntry], now: datetime) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "start": iso_timestamp(window.start),
        "end": iso_timestamp(window.end),
        "marketplaceIds": list(window.marketplace_ids),
        "versionsDue": due_versions(plan, window, now),
    }
    stored = [entry for entry in versions if entry.state is WindowState.STORED]
    if stored:
        answer["currentVersion"] = stored[-1].version
        if stored[-1].s3_key:
            answer["s3Key"] = stored[-1].s3_key
    if not versions:
        due_at = available_at(plan, window)
        if due_at > now:
            answer["status"] = "not-yet-due"
            answer["dueAt"] = iso_timestamp(due_at)
        else:
            answer["status"] = "waiting-for-data"
            answer["dueSince"] = iso_timestamp(due_at)
            note = window_note(plan, window)
            if note:
                answer["reason"] = note
    else:
        newest = versions[-1]
        answer["status"] = (
            "stored" if stored and newest.state in _IN_FLIGHT else STATUS_OF_STATE[newest.state]
        )
        if newest.reason and newest.state not in (WindowState.STORED, *_IN_FLIGHT):
            answer["reason"] = newest.reason
        if newest.retry_after and newest.state is WindowState.FAILED:
            answer["retryAfter"] = newest.retry_after
    answer["versions"] = [_version(entry) for entry in versions]
    return answer


def _version(entry: LedgerEntry) -> dict[str, Any]:
    return {
        "version": entry.version,
        "state": str(entry.state),
        "reportId": entry.report_id,
        "s3Key": entry.s3_key,
        "reason": entry.reason,
        "attempts": entry.attempts,
        "updatedAt": entry.updated_at,
    }


def _summary(windows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """How many windows of the range are in each status."""
    counts: dict[str, int] = defaultdict(int)
    for window in windows:
        counts[window["status"]] += 1
    return dict(sorted(counts.items()))
