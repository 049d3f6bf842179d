"""Mode amazon-schedule: Amazon's report schedule (createReportSchedule) makes version 1 of a plan's windows.

The planner (sp_reports.pipeline.pull_planner) calls `PlanSchedules` on each run of such a plan:

- `prepare` first reads the seller's schedules of the type (getReportSchedules). The plan's own schedule (its
  recorded reportScheduleId among them) goes on. Without one, a schedule of the same type and marketplaces
  the plan did not create is left alone unless the plan says `replaceExistingSchedule` (createReportSchedule
  replaces it: "If a report schedule with the same report type and marketplace IDs already exists, it will be
  cancelled and replaced with this one", reports_2021-06-30.json); otherwise the plan creates its schedule
  with the cadence's period and a `nextReportCreationTime` at the next window end plus the type's hold-back,
  so that each report Amazon makes is due when the window's version 1 would be requested. The schedule it is
  about to create is recorded on the plan first (`ScheduleIntent`: period, next creation time, report
  options): a run stopped after createReportSchedule and before the schedule's id was recorded leaves a
  schedule of the plan's type and marketplaces, which the next run adopts as the plan's own when it matches
  the intent, instead of taking it for somebody else's.
- Whether a type may be scheduled is only known by trying (selling-partner-api-docs#1368):
  createReportSchedule refused (a 4xx other than 429) puts the plan in REFUSED, and it requests its windows
  with createReport (a schedule-only type cannot: its windows wait) until it tries again REFUSED_RETRY
  later. A foreign schedule not to be replaced (FOREIGN) does the same and is looked at again on every run.
  The plan's status note says which and why (GET /plans/{planId}).
- The reports the schedule made (getReports: the type and marketplaces, `reportScheduleId` the plan's; created
  since where the last listing left off less LISTING_LAG, `ScheduleListedSince`, so a poll does not page
  through the schedule's whole history) are matched to their windows: by their dataStartTime and
  dataEndTime when those are a window's, otherwise by their createdTime (the schedule's creation times are
  the windows' ends plus the hold-back: a report belongs to the last window that ended, hold-back included,
  before it was made). Each one that can still make a document (not FATAL or CANCELLED) is recorded as the
  window's version 1: the reports table's record with PlanId, WindowKey and WindowVersion, then the ledger
  entry REQUESTED in one conditional write, only where the version has no entry or a claim left without its
  report, so a run failing between the writes is finished by the next and a failed window is retried by the
  planner. Its notification or the sweep stores it.
- `leaves_alone` tells the planner which work is the schedule's: version 1 of a window the schedule covers,
  until SCHEDULE_GRACE after it was due (then the planner requests it itself, when the type allows), and
  everything of a type createReport cannot make. Look-backs are requested as in mode request.

Pausing or deleting the plan keeps it on the due index while it has a schedule
(PullStore.keep_due_for_schedule); `stop` then cancels the schedule (cancelReportSchedule) on the planner's
next tick, and resuming creates a new one. A POST of the same plan that replaces a deleted plan's tombstone
before its schedule was cancelled carries that schedule into SchedulesToCancel (PullStore.put_plan): it is
cancelled on its own (before the plan's own schedule is checked, or by `stop`), so the new plan's schedule
and the old one's cancellation never take each other's id. The API's function holds no seller token and
calls no SP-API, so the cancel is the planner's, within a tick of the change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sp_reports.pipeline.errors import TokenNotFoundError
from sp_reports.pipeline.pull_ledger import PullStore, WindowState
from sp_reports.pipeline.pull_plans import (
    Cadence,
    PlanMode,
    PlanSchedule,
    PullPlan,
    ScheduleIntent,
    ScheduleState,
)
from sp_reports.pipeline.pull_windows import (
    Window,
    due_versions,
    first_window_start,
    hold_back,
    iso_second,
    parse_iso_second,
    period_end,
    period_start,
    version_due_times,
    windows_between,
)
from sp_reports.pipeline.report_records import (
    PullWindowRef,
    ReportAlreadyRecordedError,
    ReportRecords,
)
from sp_reports.pipeline.report_specifications import ReportSpecification
from sp_reports.pipeline.sweep_state import SweepState, parse_time
from sp_reports.pipeline.telemetry import COUNT, MetricSink, StructuredLogger
from sp_reports.spapi.errors import LwaError, LwaInvalidGrantError, SpApiClientError, SpApiError
from sp_reports.spapi.regions import region_of_marketplace
from sp_reports.spapi.report_types import RequestMode
from sp_reports.spapi.reports import ReportsClient

# The model's periods (CreateReportScheduleSpecification.period) that match a cadence's windows: a calendar
# month is P1M, not P30D.
SCHEDULE_PERIODS = {Cadence.DAILY: "P1D", Cadence.WEEKLY: "P7D", Cadence.MONTHLY: "P1M"}
# How long after a covered window's version 1 is due the planner waits for the schedule's report before
# requesting the window itself; meanwhile it looks every SCHEDULE_POLL.
SCHEDULE_GRACE = timedelta(hours=6)
SCHEDULE_POLL = timedelta(minutes=30)
# What a run of a plan may call: its schedules, creating one, and listing the reports it made.
SCHEDULE_OPERATIONS = ("getReportSchedules", "createReportSchedule", "getReports")
# The schedule's reports that become their windows' version 1: a FATAL or CANCELLED one makes no document, so
# its window is left to the planner (retried with createReport when the type allows).
ADOPTED_STATUSES = frozenset({"IN_QUEUE", "IN_PROGRESS", "DONE"})
# A type Amazon refused to schedule is tried again this much later (resuming the plan tries at once).
# Whether a type may be scheduled is only known by trying and may change on Amazon's side
# (selling-partner-api-docs#1368), so a refusal is not final; a week keeps the retries to about four
# createReportSchedule calls a month per plan, a small share of the seller's 0.0222 requests/s quota for the
# operation (reports_2021-06-30.json), while the plan's windows keep coming from createReport meanwhile.
REFUSED_RETRY = timedelta(days=7)
# How far before a listing the next one starts: reports made while it ran, and clock skew between SP-API and
# us, as the sweep's watermark lag.
LISTING_LAG = timedelta(minutes=15)
# A failed SP-API call about the schedule is tried again this much later.
SCHEDULE_RETRY = timedelta(minutes=15)
# "Reports are retained for a maximum of 90 days" (reports_2021-06-30.json, getReports' createdSince): a day
# less, so the oldest report asked for is still kept when getReports reads it.
REPORTS_LISTED_FOR = timedelta(days=89)


@dataclass(frozen=True)
class ScheduleView:
    """What the planner needs of the plan's schedule on this run."""

    plan: PullPlan
    # Nothing more on this run (an SP-API call about the schedule failed): the plan is due at `due_again`.
    blocked: bool = False
    due_again: datetime | None = None

    def leaves_alone(self, window: Window, version: int, now: datetime) -> bool:
        """Whether the planner leaves this window version to Amazon's schedule (or to nobody: a type that
        only a schedule makes) while it has no ledger entry; begun work (a claim without its report, a
        failed version) is the planner's either way."""
        rules = self.plan.rules
        if rules is not None and rules.request_mode is RequestMode.SCHEDULED_ONLY:
            return True
        return version == 1 and _awaits_schedule(self.plan, window, now)


def schedule_period(plan: PullPlan) -> str:
    return SCHEDULE_PERIODS[plan.cadence]


def _covers(plan: PullPlan, window: Window) -> bool:
    schedule = plan.schedule
    if schedule is None or schedule.state is not ScheduleState.ACTIVE or not schedule.covers_from:
        return False
    return window.end >= parse_iso_second(schedule.covers_from)


def _awaits_schedule(plan: PullPlan, window: Window, now: datetime) -> bool:
    return _covers(plan, window) and now < version_due_times(plan, window)[0] + SCHEDULE_GRACE


def window_note(plan: PullPlan, window: Window) -> str | None:
    """What the coverage says of a due window without a report that is Amazon's schedule's or nobody's (None:
    the planner requests it as in mode request)."""
    if plan.mode is not PlanMode.AMAZON_SCHEDULE:
        return None
    if _covers(plan, window):
        assert plan.schedule is not None
        return f"made by Amazon schedule {plan.schedule.report_schedule_id}: filed once Amazon makes it"
    if plan.rules is not None and plan.rules.request_mode is RequestMode.SCHEDULED_ONLY:
        return (
            f"not pulled: {plan.report_type} cannot be requested with createReport, and no Amazon schedule "
            "of the plan made this window"
        )
    return None


def never_pulled(plan: PullPlan, window: Window) -> bool:
    """A window no report of the plan will hold: a schedule-only type's window its schedule does not make."""
    return (
        plan.mode is PlanMode.AMAZON_SCHEDULE
        and plan.rules is not None
        and plan.rules.request_mode is RequestMode.SCHEDULED_ONLY
        and not _covers(plan, window)
    )


def next_covered_end(plan: PullPlan, now: datetime) -> datetime:
    """The end of the first window whose report a schedule created now can make: the first window end after
    `now` less the hold-back (the report is made at end + hold-back), never before the plan's first window."""
    reference = now - hold_back(plan)
    end = period_end(plan.cadence, period_start(plan.cadence, reference))
    return max(end, period_end(plan.cadence, first_window_start(plan)))


def window_of_report(plan: PullPlan, report: Mapping[str, Any]) -> Window | None:
    """The plan's window a report of its schedule belongs to: the window its dataStartTime and dataEndTime
    name, otherwise (the documented fallback: what range a scheduled report covers is not documented,
    selling-partner-api-models#1049) the last window that ended (hold-back included) by its createdTime."""
    lane = plan.lanes()[0]
    window = _window_of_range(plan, report, lane)
    if window is not None:
        return window
    try:
        created = parse_time(str(report.get("createdTime")))
    except ValueError:
        return None
    containing = period_start(plan.cadence, created - hold_back(plan))
    previous = period_start(plan.cadence, containing - timedelta(seconds=1))
    if previous < first_window_start(plan):
        return None
    return Window(previous, containing, lane)


def _window_of_range(plan: PullPlan, report: Mapping[str, Any], lane: tuple[str, ...]) -> Window | None:
    """The window whose range the report's dataStartTime and dataEndTime are, in any of SP-API's spellings
    of it: to the second or the millisecond, `Z` or an offset, and the end as the window's last second
    (createReport's inclusive dataEndTime) or the window's end itself. None: no window's range."""
    try:
        start = parse_time(str(report.get("dataStartTime"))).replace(microsecond=0)
        end = parse_time(str(report.get("dataEndTime"))).replace(microsecond=0)
    except ValueError:
        return None
    if period_start(plan.cadence, start) != start:
        return None
    window = Window(start, period_end(plan.cadence, start), lane)
    return window if end in (parse_time(window.data_end_time), window.end) else None


class PlanSchedules:
    def __init__(
        self,
        *,
        store: PullStore,
        records: ReportRecords,
        sweep_state: SweepState,
        reports_for: Callable[[str, str], ReportsClient],
        logger: StructuredLogger,
        metrics: MetricSink,
    ) -> None:
        self._store = store
        self._records = records
        self._sweep_state = sweep_state
        self._reports_for = reports_for
        self._logger = logger
        self._metrics = metrics

    # -- a live plan ------------------------------------------------------------------------------------

    def prepare(self, plan: PullPlan, now: datetime) -> ScheduleView:
        """Keep the plan's schedule (create it when it may); record the reports it made in their windows."""
        try:
            reports = self._reports_for(plan.seller_id, _region_code(plan))
            wait = _quota_wait(reports, SCHEDULE_OPERATIONS)
            if wait:
                # The seller's quota would make the client wait (0.0222 requests/s for the schedule
                # operations): the plan's run goes to a later tick instead of holding this one up.
                return ScheduleView(plan, blocked=True, due_again=now + wait)
            # First, the schedules of the plan's deleted earlier life: while one stands, the plan's own check
            # would take it for a foreign schedule.
            self._cancel_leftovers(plan, reports, now)
            plan = self._ensure(plan, reports, now)
            if plan.schedule is not None and plan.schedule.state is ScheduleState.ACTIVE:
                self._adopt_reports(plan, reports, now)
        except (TokenNotFoundError, LwaError, SpApiError) as failure:
            # No token, LWA refusing it, throttling, SP-API failing, or getReportSchedules / getReports
            # refused: whether the windows are the schedule's is unknown, so none is requested now.
            self._logger.warning(
                "plan's Amazon schedule not checked; tried again later",
                extra={
                    "plan_id": plan.plan_id,
                    "error": type(failure).__name__,
                    "status": getattr(failure, "status", None),
                },
            )
            self._metrics.add_metric(name="PlannerScheduleChecksFailed", unit=COUNT, value=1)
            return ScheduleView(plan, blocked=True, due_again=now + SCHEDULE_RETRY)
        return ScheduleView(plan, due_again=self._poll_time(plan, now))

    def _ensure(self, plan: PullPlan, reports: ReportsClient, now: datetime) -> PullPlan:
        schedule = plan.schedule
        if (
            schedule is not None
            and schedule.state is ScheduleState.REFUSED
            and schedule.retry_after
            and now < parse_iso_second(schedule.retry_after)
        ):
            return plan  # Amazon said no for the type; tried again after REFUSED_RETRY (or on resume)
        lane = set(plan.marketplace_ids)
        same = [
            found
            for found in reports.get_report_schedules([plan.report_type])
            if set(found.get("marketplaceIds") or ()) == lane
        ]
        ours = schedule.report_schedule_id if schedule is not None else ""
        if ours and any(found.get("reportScheduleId") == ours for found in same):
            return plan
        intent = self._store.schedule_intent(plan.plan_id) if same else None
        created = [found for found in same if intent is not None and intent.matches(found)]
        if intent is not None and created:
            # Created on an earlier run that stopped before recording its id: the plan's own, adopted.
            schedule_id = str(created[0].get("reportScheduleId"))
            self._logger.warning(
                "plan's Amazon schedule created but not recorded; adopted",
                extra={"plan_id": plan.plan_id, "report_schedule_id": schedule_id},
            )
            return self._record(
                plan,
                PlanSchedule(ScheduleState.ACTIVE, schedule_id, intent.covers_from),
                f"Amazon schedule {schedule_id} ({intent.period}) makes the windows ending from "
                f"{intent.covers_from} on",
                now,
            )
        if same and not plan.replace_existing_schedule:
            others = ", ".join(sorted(str(found.get("reportScheduleId")) for found in same))
            return self._record(
                plan,
                PlanSchedule(ScheduleState.FOREIGN),
                f"waiting: the seller has Amazon schedule {others} of {plan.report_type} for these "
                "marketplaces, which this plan did not create and does not replace (createReportSchedule "
                "would cancel it); " + self._meanwhile(plan) + ". Set replaceExistingSchedule to replace it",
                now,
            )
        covers_from = next_covered_end(plan, now)
        intent = ScheduleIntent(
            period=schedule_period(plan),
            next_report_creation_time=iso_second(covers_from + hold_back(plan)),
            covers_from=iso_second(covers_from),
            report_options=dict(plan.report_options),
        )
        # Recorded first: a run stopped after Amazon created the schedule and before its id is recorded
        # leaves a schedule of the plan's type and marketplaces that the next run must not take for a foreign
        # one.
        self._store.record_schedule_intent(plan.plan_id, intent)
        try:
            schedule_id = reports.create_report_schedule(
                plan.report_type,
                list(plan.marketplace_ids),
                intent.period,
                next_report_creation_time=intent.next_report_creation_time,
                report_options=plan.report_options or None,
            )
        except SpApiClientError as refused:  # 4xx: SP-API's throttling is SpApiThrottledError
            retry_after = iso_second(now + REFUSED_RETRY)
            return self._record(
                plan,
                PlanSchedule(ScheduleState.REFUSED, retry_after=retry_after),
                f"falling back: Amazon refused createReportSchedule for {plan.report_type} (HTTP "
                f"{refused.status} {refused.code}: {refused.message}); "
                + self._meanwhile(plan)
                + f"; tried again after {retry_after}",
                now,
            )
        replaced = f", replacing {', '.join(str(s.get('reportScheduleId')) for s in same)}" if same else ""
        return self._record(
            plan,
            PlanSchedule(ScheduleState.ACTIVE, schedule_id, iso_second(covers_from)),
            f"Amazon schedule {schedule_id} ({schedule_period(plan)}{replaced}) makes the windows ending "
            f"from {iso_second(covers_from)} on",
            now,
        )

    def _cancel_leftovers(self, plan: PullPlan, reports: ReportsClient, now: datetime) -> None:
        """Cancel each schedule of SchedulesToCancel (a deleted plan's, its tombstone replaced by a POST of
        the same plan before the planner cancelled it). A 404 is a schedule gone already; a refusal is logged
        and counted, and the seller can delete it in Seller Central. SP-API failing raises (tried again
        later)."""
        for schedule_id in plan.schedules_to_cancel:
            try:
                reports.cancel_report_schedule(schedule_id)
            except SpApiClientError as refused:
                if refused.status != 404:
                    self._logger.error(
                        "deleted plan's Amazon schedule not cancelled",
                        extra={"plan_id": plan.plan_id, "report_schedule_id": schedule_id},
                    )
                    self._metrics.add_metric(name="PlannerSchedulesNotCancelled", unit=COUNT, value=1)
            self._store.forget_schedule_to_cancel(plan.plan_id, schedule_id, now=now)
            self._logger.info(
                "deleted plan's Amazon schedule cancelled",
                extra={"plan_id": plan.plan_id, "report_schedule_id": schedule_id},
            )

    def _meanwhile(self, plan: PullPlan) -> str:
        if plan.rules is not None and plan.rules.request_mode is RequestMode.SCHEDULED_ONLY:
            return f"{plan.report_type} cannot be requested with createReport, so no window is pulled"
        return "the plan requests its windows with createReport meanwhile"

    def _record(self, plan: PullPlan, schedule: PlanSchedule, note: str, now: datetime) -> PullPlan:
        if (plan.schedule, plan.status_note) != (schedule, note):
            self._store.set_schedule(plan.plan_id, schedule, status_note=note, now=now)
            self._logger.info(
                "plan's Amazon schedule", extra={"plan_id": plan.plan_id, "schedule": schedule.describe()}
            )
        return replace(plan, schedule=schedule, status_note=note)

    def _adopt_reports(self, plan: PullPlan, reports: ReportsClient, now: datetime) -> None:
        schedule = plan.schedule
        assert schedule is not None
        covers_from = parse_iso_second(schedule.covers_from)
        # From where the last listing left off (the schedule's start at first): each poll pages through the
        # reports made since, not the schedule's whole history.
        start = (
            parse_iso_second(schedule.listed_since) if schedule.listed_since else covers_from - SCHEDULE_POLL
        )
        token: str | None = None
        while True:
            page = reports.get_reports(
                [plan.report_type],
                marketplace_ids=list(plan.marketplace_ids),
                created_since=iso_second(max(start, now - REPORTS_LISTED_FOR)),
                next_token=token,
            )
            for report in page.reports:
                if report.get("reportScheduleId") != schedule.report_schedule_id:
                    continue
                if report.get("processingStatus") not in ADOPTED_STATUSES:
                    continue  # FATAL or CANCELLED: the window's retry (createReport) is the planner's
                window = window_of_report(plan, report)
                if window is not None and _covers(plan, window):
                    self._adopt(plan, window, str(report["reportId"]), schedule.report_schedule_id, now)
            if page.next_token is None:
                break
            token = page.next_token
        # Every report listed was adopted or passed over for good (FATAL, CANCELLED, another window's, the
        # version taken); one made while the listing ran, or listed late by SP-API, is within LISTING_LAG.
        self._store.set_schedule_listed_since(plan.plan_id, schedule.report_schedule_id, now - LISTING_LAG)

    def _adopt(self, plan: PullPlan, window: Window, report_id: str, schedule_id: str, now: datetime) -> None:
        """The schedule's report becomes the window's version 1, unless the version is something else's. Each
        write may be repeated: a run that fails between them is finished by the next."""
        entry = self._store.entry(plan.plan_id, window.key, 1)
        if entry is not None and not (entry.state is WindowState.CLAIMED and not entry.report_id):
            return  # recorded on an earlier run, requested by the planner, or failed (the planner retries it)
        attempt = entry.attempts if entry is not None else 1
        specification = ReportSpecification(
            seller_id=plan.seller_id,
            region_code=_region_code(plan),
            report_type=plan.report_type,
            marketplace_ids=window.lane,
            data_start_time=window.data_start_time,
            data_end_time=window.data_end_time,
            report_options=plan.report_options,
        )
        # The report's record names its window before the ledger holds the report, so its outcome finds the
        # entry whichever comes first.
        pull_window = PullWindowRef(plan.plan_id, window.key, 1, attempt)
        try:
            self._records.record_requested(report_id, specification, pull_window=pull_window)
        except ReportAlreadyRecordedError:
            self._records.mark_pull_window(report_id, pull_window)
        # The sweep lists the type from now on, so a report whose notification came before this record (and
        # was passed over as nobody's) is still stored.
        self._sweep_state.note_request(plan.seller_id, specification.region_code, plan.report_type)
        recorded = self._store.record_scheduled(
            plan.plan_id, window, report_id, attempt=attempt, report_schedule_id=schedule_id, now=now
        )
        if recorded is None:
            return  # the version was taken meanwhile
        self._metrics.add_metric(name="PlannerScheduledReportsMatched", unit=COUNT, value=1)
        self._logger.info(
            "scheduled report matched to its window",
            extra={"plan_id": plan.plan_id, "window_key": window.key, "report_id": report_id},
        )

    def _poll_time(self, plan: PullPlan, now: datetime) -> datetime | None:
        """While a covered window's version 1 is due and not yet matched: look again within SCHEDULE_POLL,
        at the latest when its grace ends."""
        schedule = plan.schedule
        if schedule is None or schedule.state is not ScheduleState.ACTIVE:
            return None
        covered = parse_iso_second(schedule.covers_from)
        matched = {
            entry.window_key
            for entry in self._store.entries(plan.plan_id)
            if entry.version == 1 and not (entry.state is WindowState.CLAIMED and not entry.report_id)
        }
        waiting = [
            window
            for window in windows_between(plan, covered - timedelta(seconds=1), now)
            if _covers(plan, window)
            and due_versions(plan, window, now) >= 1
            and window.key not in matched
            and _awaits_schedule(plan, window, now)
        ]
        if not waiting:
            return None
        grace_ends = min(version_due_times(plan, window)[0] + SCHEDULE_GRACE for window in waiting)
        return min(now + SCHEDULE_POLL, grace_ends)

    # -- a paused or deleted plan -----------------------------------------------------------------------

    def stop(self, plan_id: str, now: datetime) -> bool:
        """Cancel the schedule of a paused or deleted plan; whether the plan had one (the due index is then
        this module's to keep: the plan leaves it once the schedule is cancelled)."""
        found = self._store.find_plan(plan_id)
        if found is None:
            return False
        plan, _deleted_at = found
        schedule = plan.schedule
        if plan.mode is not PlanMode.AMAZON_SCHEDULE:
            return False
        if plan.schedules_to_cancel:
            try:
                reports = self._reports_for(plan.seller_id, _region_code(plan))
                if _quota_wait(reports, ("cancelReportSchedule",)):
                    self._store.keep_due_for_schedule(plan_id, now + SCHEDULE_RETRY)
                    return True
                self._cancel_leftovers(plan, reports, now)
            except (TokenNotFoundError, LwaInvalidGrantError):
                for schedule_id in plan.schedules_to_cancel:  # nothing can cancel them without the seller
                    self._store.forget_schedule_to_cancel(plan_id, schedule_id, now=now)
                self._metrics.add_metric(name="PlannerSchedulesNotCancelled", unit=COUNT, value=1)
            except (LwaError, SpApiError) as failure:
                return self._retry_stop(plan_id, now, failure)
        if schedule is None or not schedule.report_schedule_id:
            return False
        note = f"Amazon schedule {schedule.report_schedule_id} cancelled (plan paused or deleted)"
        try:
            reports = self._reports_for(plan.seller_id, _region_code(plan))
            wait = _quota_wait(reports, ("cancelReportSchedule",))
            if wait:
                self._store.keep_due_for_schedule(plan_id, now + wait)
                return True
            reports.cancel_report_schedule(schedule.report_schedule_id)
        except (TokenNotFoundError, LwaInvalidGrantError) as refused:
            # Without the seller's authorisation nothing can cancel it; said in the note and the log.
            note = (
                f"Amazon schedule {schedule.report_schedule_id} could not be cancelled: "
                f"{type(refused).__name__}; the seller can delete it in Seller Central"
            )
            self._logger.error("plan's Amazon schedule not cancelled", extra={"plan_id": plan_id})
            self._metrics.add_metric(name="PlannerSchedulesNotCancelled", unit=COUNT, value=1)
        except SpApiClientError as refused:
            if refused.status != 404:  # 404: gone already (replaced, or cancelled in Seller Central)
                note = (
                    f"Amazon schedule {schedule.report_schedule_id} could not be cancelled (HTTP "
                    f"{refused.status} {refused.code}: {refused.message})"
                )
                self._logger.error("plan's Amazon schedule not cancelled", extra={"plan_id": plan_id})
                self._metrics.add_metric(name="PlannerSchedulesNotCancelled", unit=COUNT, value=1)
        except (LwaError, SpApiError) as failure:
            return self._retry_stop(plan_id, now, failure)
        self._store.set_schedule(plan_id, None, status_note=note, now=now, off_due_index=True)
        self._logger.info("plan's Amazon schedule cancelled", extra={"plan_id": plan_id})
        return True

    def _retry_stop(self, plan_id: str, now: datetime, failure: Exception) -> bool:
        self._logger.warning(
            "cancelReportSchedule failed; tried again later",
            extra={"plan_id": plan_id, "error": type(failure).__name__},
        )
        self._store.keep_due_for_schedule(plan_id, now + SCHEDULE_RETRY)
        return True


def _quota_wait(reports: ReportsClient, operations: tuple[str, ...]) -> timedelta | None:
    """How long the client's rate limiter would hold the first of these calls back (None: it would not)."""
    seconds = max(reports.seconds_until_call(operation) for operation in operations)
    return timedelta(seconds=max(seconds, 60.0)) if seconds > 0 else None


def _region_code(plan: PullPlan) -> str:
    return region_of_marketplace(plan.marketplace_ids[0]).code
