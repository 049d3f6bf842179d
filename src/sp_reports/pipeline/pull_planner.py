"""One tick of the pull planner: request the due windows of every pull plan, exactly one report per window
version.

EventBridge Scheduler runs one tick every few minutes for the whole fleet. A plan's work comes in this order:

1. work already begun: a claim left behind by a planner that stopped (taken over after CLAIM_TIMEOUT, see
   below), a FAILED version whose retry time has come (after the type's cooldown) or one that waited for the
   seller's token;
2. incremental: the window that has just become available, newest first;
3. look-backs: re-pulls of recent windows as their next version;
4. backfill: the windows since the plan's start date, oldest first.

A plan of mode discover requests nothing: its discovery (sp_reports.pipeline.pull_discovery) lists the
reports Amazon made and fills its ledger, and the plan is due again after DISCOVERY_INTERVAL.

A window due for several versions at once (a backfill of a window whose look-backs have passed too) is
requested once, as its latest due version: the earlier ones would be superseded at once.

A tick makes two passes, so no backfill ever delays a seller's current windows:

- First pass: the due plans, read shard by shard from the plans' sparse next-due index
  (sp_reports.pipeline.pull_ledger: a Query per shard, no scan; each tick starts at another shard). Per plan
  (a paused one is taken off the index): its current work (1-3) and the read-back of reports long REQUESTED.
  A plan with backfill it may still start this tick waits, holding only the first few backfill windows of
  each lane (as many as the per-plan cap leaves it), not its history; any other plan gets its next due time.
- Second pass: the waiting plans' backfill, round-robin across sellers: each round gives every seller with
  backfill one report, from its plans in turn, before any seller gets a second; sellers go in the order the
  index gave their plans (the longest due first). Then the waiting plans get their next due time.

At most `max_reports_per_plan` reports per plan and `max_reports_per_tick` in all are requested; a plan with
work left stays due and the next tick resumes it. A seller whose createReport quota would make the client wait
(its token bucket, sp_reports.spapi.ratelimit) is left for the next tick, as is everything once the function's
remaining time runs low (STOP_WITH_SECONDS_LEFT): a tick that runs out of time or reaches its cap in the first
pass requests no backfill, and a plan the tick did nothing for keeps its due time, so the next tick reads it
among the first.

Reads per tick: a Query per shard of the due index (keys only), and per due plan reached in the first pass one
GetItem (the plan) and one Query of its ledger (consistent, paged by DynamoDB's 1 MB). The ledger is not read
again after acting: every conditional write returns the entry it left, and the plan's next due time is worked
out from those and the entries read before (only the open ones are kept: REQUESTED, and each window's latest
version while claimed, failed or waiting for a token). Only when another writer won a conditional write this
tick meant to make (a claim somebody else holds, a conflict) is the plan's ledger read a second time. A plan
with backfill left stays due, so it is read every tick until its backfill is done, whether or not it gets a
turn: a first pass of many such plans costs time before any backfill starts. An outcome the workflow settles
while the tick runs is seen by the plan's next read, as one settled just after a read always was.

A report type with a cooldown (the catalogue's: SP-API answers a sooner report FATAL) gets one
createReport per cooldown, seller and marketplace, whichever of the seller's plans or POST /reports asks
(sp_reports.pipeline.report_cooldowns, taken before the claim and given back when createReport certainly made
no report); the lane's other windows wait, unclaimed, and the plan is due again when the cooldown ends.

Exactly one report per window version. A version is claimed in the ledger (a conditional write) before
createReport; the report is created the intent-first way (ReportRecords.create_and_record: the reports
table's record carries PlanId, WindowKey and WindowVersion so the workflow finds the ledger entry) and then
recorded in the ledger. A planner that stops between the claim and that record leaves the entry CLAIMED
without a report: after CLAIM_TIMEOUT the next tick takes it over (one taker wins) and first looks for the
report with getReports (same type and marketplaces, the window's dataStartTime and dataEndTime, created
since the attempt's first claim, not its latest take-over); only when there is none does it call
createReport. A report still REQUESTED after RECONCILE_AFTER is read back from the reports table: its record
is given its window when it was recorded without one (from its intent), and a report that finished without
settling its window (its workflow ran before the record named it) is placed in its window and settled here.

LWA refusing a seller's refresh token (invalid_grant), or no token stored, puts that window
WAITING_FOR_TOKEN with the reason and leaves the seller's other windows for later; other sellers go on.
createReport or a take-over's getReports refused (a 4xx other than 429: 400, 403, ...) counts as a failed
attempt, like a FATAL report, so a lasting refusal parks the window and alarms. SP-API's throttling and 5xx
leave the claim for the take-over (the client's retries may have sent a request that made the report); a
createReport our own rate limiter never sent gives the claim back at once.

A plan of mode amazon-schedule is first given to sp_reports.pipeline.pull_schedules, which keeps its Amazon
report schedule and files the reports it made in their windows; the windows it leaves to the schedule are not
requested here. A paused or deleted plan's schedule is cancelled before the plan leaves the index.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from sp_reports.pipeline.errors import TokenNotFoundError
from sp_reports.pipeline.pull_discovery import PullDiscovery
from sp_reports.pipeline.pull_ledger import LedgerConflictError, LedgerEntry, PullStore, WindowState
from sp_reports.pipeline.pull_plans import PlanMode, PullPlan
from sp_reports.pipeline.pull_schedules import PlanSchedules, ScheduleView
from sp_reports.pipeline.pull_window_objects import WindowObjects, WindowPlacement
from sp_reports.pipeline.pull_window_outcomes import PullWindowOutcomes
from sp_reports.pipeline.pull_windows import (
    Window,
    due_versions,
    first_window_start,
    next_due_after,
    parse_iso_second,
    version_due_times,
    windows_between,
)
from sp_reports.pipeline.report_cooldowns import ReportCooldowns, cooldown_end
from sp_reports.pipeline.report_records import (
    PullWindowRef,
    ReportAlreadyRecordedError,
    ReportRecords,
    ReportStatus,
)
from sp_reports.pipeline.report_specifications import ReportSpecification
from sp_reports.pipeline.sweep_state import SweepState, parse_time
from sp_reports.pipeline.telemetry import COUNT, MetricSink, StructuredLogger
from sp_reports.spapi.errors import (
    LwaInvalidGrantError,
    SpApiClientError,
    SpApiError,
    SpApiThrottledError,
)
from sp_reports.spapi.regions import region_of_marketplace
from sp_reports.spapi.reports import ReportsClient

# A claim this old without a report is taken over: a planner's createReport and record take seconds, and a
# tick stops STOP_WITH_SECONDS_LEFT before its function's timeout, at most 15 minutes (Lambda Developer Guide,
# "Lambda quotas": function timeout 900 seconds), so the claim's planner is gone by then.
CLAIM_TIMEOUT = timedelta(minutes=20)
# A report this long REQUESTED is read back from the reports table (most reports finish within minutes).
RECONCILE_AFTER = timedelta(hours=1)
# How long a seller whose token LWA refused waits before the planner tries it again.
TOKEN_RETRY_DELAY = timedelta(hours=1)
STOP_WITH_SECONDS_LEFT = 60.0
DEFAULT_MAX_REPORTS_PER_TICK = 200
DEFAULT_MAX_REPORTS_PER_PLAN = 5
CREATE_REPORT = "createReport"


class Priority(IntEnum):
    """The order of a plan's work within a tick (lower first)."""

    BEGUN = 0
    INCREMENTAL = 1
    LOOK_BACK = 2
    BACKFILL = 3


_RESUMABLE_STATES = frozenset({WindowState.CLAIMED, WindowState.FAILED, WindowState.WAITING_FOR_TOKEN})


@dataclass(frozen=True)
class PlannerSettings:
    max_reports_per_tick: int = DEFAULT_MAX_REPORTS_PER_TICK
    max_reports_per_plan: int = DEFAULT_MAX_REPORTS_PER_PLAN
    claim_timeout: timedelta = CLAIM_TIMEOUT
    reconcile_after: timedelta = RECONCILE_AFTER
    token_retry_delay: timedelta = TOKEN_RETRY_DELAY
    stop_with_seconds_left: float = STOP_WITH_SECONDS_LEFT

    def __post_init__(self) -> None:
        if self.max_reports_per_tick < 1 or self.max_reports_per_plan < 1:
            raise ValueError("the planner's caps must be at least 1")


@dataclass(frozen=True)
class _Work:
    priority: Priority
    order: float  # within a priority, lower first
    window: Window
    version: int
    entry: LedgerEntry | None = None  # begun work: the entry to take over or retry


@dataclass
class _PlanInTick:
    """One plan within a tick: what it started, and the backfill it may still start in the second pass."""

    plan: PullPlan
    has_work: bool
    # the entries read before acting that can make the plan due before its next window (_open_entries)
    open_entries: dict[tuple[str, int], LedgerEntry] = field(default_factory=dict)
    done: int = 0  # reports created or adopted this tick
    tried: bool = False
    reconciled: int = 0
    backfill: deque[_Work] = field(default_factory=deque)
    # the lanes with backfill beyond what the plan may start this tick
    more_backfill: set[tuple[str, ...]] = field(default_factory=set)
    # an amazon-schedule plan's: when to look again for a report its schedule has not made yet
    schedule_due_again: datetime | None = None

    def keep_backfill(self, backfill: list[_Work], room: int) -> None:
        """Keep the first `room` backfill windows of each lane (all the plan may start this tick, a lane
        cooling down passed over), not the whole history: a tick holds many waiting plans at once."""
        kept: dict[tuple[str, ...], int] = {}
        for item in backfill:
            if kept.get(item.window.lane, 0) < room:
                kept[item.window.lane] = kept.get(item.window.lane, 0) + 1
                self.backfill.append(item)
            else:
                self.more_backfill.add(item.window.lane)

    def backfill_left(self, cooling: Callable[[tuple[str, ...]], bool]) -> bool:
        """Whether backfill is left that the next tick may start: in a lane not cooling down (a lane that
        is waits for its cooldown's end, which makes the plan due then)."""
        lanes = self.more_backfill | {item.window.lane for item in self.backfill}
        return any(not cooling(lane) for lane in lanes)


@dataclass
class TickSummary:
    plans: int = 0
    reports_created: int = 0
    reports_adopted: int = 0
    reports_discovered: int = 0
    windows_reconciled: int = 0
    windows_waiting_for_token: int = 0
    windows_failed: int = 0
    plans_deferred: int = 0
    stopped_for_time: bool = False
    windows_cooling_down: int = 0
    sellers_throttled: set[str] = field(default_factory=set)
    sellers_refused: dict[str, str] = field(default_factory=dict)
    # per plan id, when the report type's cooldown of a lane that still has work ends (the plan is due then)
    cooldown_ends: dict[str, datetime] = field(default_factory=dict)
    # per plan id, the ledger entries as this tick's writes left them (its next due time is worked out from
    # them and the entries read before acting, without reading the ledger again)
    written: dict[str, dict[tuple[str, int], LedgerEntry]] = field(default_factory=dict)
    # plans whose ledger changed in a way this tick did not see (another writer won a conditional write)
    ledger_unseen: set[str] = field(default_factory=set)
    # per (seller, report type, lane) this tick took the cooldown of, when it ends (given back if no report)
    cooldowns_taken: dict[tuple[str, str, tuple[str, ...]], datetime] = field(default_factory=dict)
    # per (seller, report type, lane) found cooling down, when its cooldown ends
    lanes_cooling_down: dict[tuple[str, str, tuple[str, ...]], datetime] = field(default_factory=dict)

    def wrote(self, plan_id: str, entry: LedgerEntry | None) -> None:
        """A ledger write of the plan's and the entry it left; None: the write found the entry changed by
        somebody else (the plan's ledger is read again before its next due time is written)."""
        if entry is None:
            self.ledger_unseen.add(plan_id)
        else:
            self.written.setdefault(plan_id, {})[(entry.window_key, entry.version)] = entry

    def describe(self) -> dict[str, Any]:
        return {
            "plans": self.plans,
            "reportsCreated": self.reports_created,
            "reportsAdopted": self.reports_adopted,
            "reportsDiscovered": self.reports_discovered,
            "windowsReconciled": self.windows_reconciled,
            "windowsWaitingForToken": self.windows_waiting_for_token,
            "windowsFailed": self.windows_failed,
            "plansDeferred": self.plans_deferred,
            "windowsCoolingDown": self.windows_cooling_down,
            "stoppedForTime": self.stopped_for_time,
            "sellersThrottled": len(self.sellers_throttled),
            "sellersRefused": len(self.sellers_refused),
        }


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _region_code(plan: PullPlan) -> str:
    # plan_from_request keeps a plan's marketplaces within one region.
    return region_of_marketplace(plan.marketplace_ids[0]).code


def _same_instant(value: Any, expected: str) -> bool:
    try:
        return isinstance(value, str) and parse_time(value) == parse_iso_second(expected)
    except ValueError:
        return False


def _open_entries(entries: Iterable[LedgerEntry]) -> dict[tuple[str, int], LedgerEntry]:
    """The entries that can make a plan due before its next window: each REQUESTED one (read back after
    RECONCILE_AFTER) and each window's latest version while claimed, failed or waiting for a token (taken
    over or retried). Later entries of the same version replace earlier ones (what this tick wrote replaces
    what it read). Stored, empty and parked windows are done: a plan's long history costs no memory."""
    current: dict[tuple[str, int], LedgerEntry] = {}
    latest: dict[str, int] = {}
    for entry in entries:
        current[(entry.window_key, entry.version)] = entry
        latest[entry.window_key] = max(entry.version, latest.get(entry.window_key, 0))
    return {
        key: entry
        for key, entry in current.items()
        if entry.state is WindowState.REQUESTED
        or (entry.version == latest[entry.window_key] and entry.state in _RESUMABLE_STATES)
    }


class PullPlanner:
    def __init__(
        self,
        *,
        store: PullStore,
        records: ReportRecords,
        sweep_state: SweepState,
        reports_for: Callable[[str, str], ReportsClient],
        window_objects: WindowObjects,
        outcomes: PullWindowOutcomes,
        logger: StructuredLogger,
        metrics: MetricSink,
        cooldowns: ReportCooldowns,
        settings: PlannerSettings | None = None,
        clock: Callable[[], datetime] = _utc_now,
        discovery: PullDiscovery | None = None,
    ) -> None:
        self._discovery = discovery  # carries out discover plans (none: they wait, off the index)
        self._store = store
        self._cooldowns = cooldowns
        self._records = records
        self._sweep_state = sweep_state
        self._reports_for = reports_for  # (seller_id, region_code) -> the seller's Reports client there
        self._window_objects = window_objects
        self._outcomes = outcomes
        self._logger = logger
        self._metrics = metrics
        self._settings = settings or PlannerSettings()
        self._clock = clock
        # Mode amazon-schedule: Amazon's schedule makes version 1 of the plan's windows.
        self._schedules = PlanSchedules(
            store=store,
            records=records,
            sweep_state=sweep_state,
            reports_for=reports_for,
            logger=logger,
            metrics=metrics,
        )

    # -- the tick ---------------------------------------------------------------------------------------

    def tick(self, remaining_seconds: Callable[[], float]) -> dict[str, Any]:
        """Request what is due now, within the caps and the time left; the tick's figures."""
        now = self._clock()
        summary = TickSummary()
        waiting: list[_PlanInTick] = []  # plans whose backfill waits for the second pass
        for plan_id in self._due_plan_ids(now):
            if not self._may_continue(summary, remaining_seconds):
                break
            summary.plans += 1
            turn = self._run_current(plan_id, now, summary, remaining_seconds)
            if turn is not None:
                waiting.append(turn)
        else:
            self._share_backfill(waiting, now, summary, remaining_seconds)
        for turn in waiting:
            if remaining_seconds() < self._settings.stop_with_seconds_left:
                summary.stopped_for_time = True
                break  # the plans not finished keep the due time they had: the next tick reads them again
            self._finish_waiting(turn, now, summary)
        self._finish(summary)
        return summary.describe()

    def _due_plan_ids(self, now: datetime) -> Iterator[str]:
        """The due plans, each once, shard by shard; each tick starts at another shard, so a tick that runs
        out of time does not always favour shard 0."""
        shards = self._store.SHARDS
        first = int(now.timestamp() // 60) % shards
        seen: set[str] = set()
        for shard in [(first + offset) % shards for offset in range(shards)]:
            for plan_id in self._store.due_plans(now, shard=shard):
                if plan_id not in seen:  # set due again by this tick (work left): the next tick resumes it
                    seen.add(plan_id)
                    yield plan_id

    def _may_continue(self, summary: TickSummary, remaining_seconds: Callable[[], float]) -> bool:
        if remaining_seconds() < self._settings.stop_with_seconds_left:
            summary.stopped_for_time = True
            return False
        return summary.reports_created < self._settings.max_reports_per_tick

    def _finish(self, summary: TickSummary) -> None:
        figures = summary.describe()
        self._logger.info("pull planner tick", extra=figures)
        for name, value in (
            ("PlannerReportsCreated", summary.reports_created),
            ("PlannerReportsAdopted", summary.reports_adopted),
            ("PlannerWindowsReconciled", summary.windows_reconciled),
            ("PlannerWindowsWaitingForToken", summary.windows_waiting_for_token),
            ("PlannerWindowsDeferred", summary.plans_deferred),
            ("PlannerWindowsCoolingDown", summary.windows_cooling_down),
            ("PlannerSellersThrottled", len(summary.sellers_throttled)),
            ("PlannerStoppedForTime", int(summary.stopped_for_time)),
        ):
            self._metrics.add_metric(name=name, unit=COUNT, value=value)

    # -- one plan ---------------------------------------------------------------------------------------

    def _run_current(
        self, plan_id: str, now: datetime, summary: TickSummary, remaining_seconds: Callable[[], float]
    ) -> _PlanInTick | None:
        """The first pass over one plan: its current work (begun, incremental, look-backs) and the read-back
        of reports long REQUESTED. A plan with backfill it may still start this tick is answered, to wait for
        the second pass; any other is finished here (its next due time written)."""
        plan = self._store.get_plan(plan_id)
        if plan is None or plan.paused:
            # Deleted or paused: its Amazon schedule cancelled, off the index until resumed.
            if not self._schedules.stop(plan_id, now):
                self._store.set_next_due(plan_id, None)
            return None
        if plan.mode is PlanMode.DISCOVER:
            self._discover(plan, now, summary, remaining_seconds)
            return None
        schedule: ScheduleView | None = None
        if plan.mode is PlanMode.AMAZON_SCHEDULE:
            schedule = self._schedules.prepare(plan, now)
            if schedule.blocked:
                self._store.set_next_due(plan_id, schedule.due_again)
                return None
            plan = schedule.plan
        entries = {(entry.window_key, entry.version): entry for entry in self._store.entries(plan_id)}
        work = self._work(plan, entries, now, schedule)
        turn = _PlanInTick(
            plan,
            has_work=bool(work),
            open_entries=_open_entries(entries.values()),
            schedule_due_again=schedule.due_again if schedule is not None else None,
        )
        current = [item for item in work if item.priority is not Priority.BACKFILL]
        left_over = False
        for item in current:
            if not self._may_go_on(turn, summary, remaining_seconds):
                left_over = True
                break
            self._attempt(turn, item, now, summary)
        turn.reconciled = self._reconcile(plan, turn.open_entries.values(), now, summary, remaining_seconds)
        backfill = [item for item in work if item.priority is Priority.BACKFILL]
        if backfill and not left_over and self._may_go_on(turn, summary, remaining_seconds):
            turn.keep_backfill(backfill, self._settings.max_reports_per_plan - turn.done)
            return turn
        turn.more_backfill = {item.window.lane for item in backfill}
        self._finish_plan(turn, now, summary, left_over=left_over)
        return None

    def _may_go_on(
        self, turn: _PlanInTick, summary: TickSummary, remaining_seconds: Callable[[], float]
    ) -> bool:
        """Whether the plan may start one more window now: its seller neither refused nor throttled, below the
        per-plan cap, and the tick within its cap and time."""
        seller_id = turn.plan.seller_id
        if seller_id in summary.sellers_refused or seller_id in summary.sellers_throttled:
            return False
        if turn.done >= self._settings.max_reports_per_plan:
            return False
        return self._may_continue(summary, remaining_seconds)

    def _attempt(self, turn: _PlanInTick, item: _Work, now: datetime, summary: TickSummary) -> bool:
        """Carry out one window version of the plan; whether a report was created or adopted."""
        turn.tried = True
        try:
            if self._carry_out(turn.plan, item, now, summary):
                turn.done += 1
                return True
        except LedgerConflictError as conflict:
            # The entry changed under this planner (another attempt owns it): that window waits, the plan's
            # other windows and the tick go on.
            summary.wrote(turn.plan.plan_id, None)
            self._ledger_conflict(turn.plan, item.window.key, conflict)
        return False

    def _share_backfill(
        self,
        waiting: list[_PlanInTick],
        now: datetime,
        summary: TickSummary,
        remaining_seconds: Callable[[], float],
    ) -> None:
        """The second pass: the waiting plans' backfill, round-robin across sellers. Each round gives every
        seller with backfill one report (from its plans in turn) before any seller gets another, so a seller
        with many plans or a long backfill never holds the tick's cap while another seller's backfill waits.
        Sellers go in the order the due index gave their plans (the longest due first)."""
        sellers: dict[str, deque[_PlanInTick]] = {}
        for turn in waiting:
            sellers.setdefault(turn.plan.seller_id, deque()).append(turn)
        while sellers:
            for seller_id in list(sellers):
                plans = sellers[seller_id]
                while plans:
                    turn = plans[0]
                    if not turn.backfill or not self._may_go_on(turn, summary, remaining_seconds):
                        if not self._may_continue(summary, remaining_seconds):
                            return  # the tick's cap or time: what is left waits for the next tick
                        plans.popleft()  # this plan is done for the tick, or its seller stopped
                        continue
                    if self._attempt(turn, turn.backfill.popleft(), now, summary):
                        plans.rotate(-1)  # the seller's next report comes from its next plan
                        break
                if not plans:
                    del sellers[seller_id]

    def _finish_waiting(self, turn: _PlanInTick, now: datetime, summary: TickSummary) -> None:
        """Write the next due time of a plan that waited for the second pass. One whose seller was refused
        waits for the token's retry; one that nothing was done to keeps the due time it had (it stays due, and
        the oldest due goes first next tick)."""
        if turn.tried or turn.reconciled or turn.plan.seller_id in summary.sellers_refused:
            self._finish_plan(turn, now, summary, left_over=False)

    def _finish_plan(
        self,
        turn: _PlanInTick,
        now: datetime,
        summary: TickSummary,
        *,
        left_over: bool,
    ) -> None:
        plan = turn.plan
        if turn.backfill_left(
            lambda lane: (plan.seller_id, plan.report_type, lane) in summary.lanes_cooling_down
        ):
            left_over = True
        if turn.has_work and plan.seller_id in summary.sellers_throttled:
            # Throttled, or SP-API failed, on the plan's last item: not carried out, so the plan stays due
            # (a claim left by the failure is then due at its take-over time) rather than waiting for its
            # next window, a month away for a monthly plan.
            left_over = True
        if left_over:
            summary.plans_deferred += 1
        written = summary.written.pop(plan.plan_id, {})
        if plan.seller_id in summary.sellers_refused or left_over:
            current: Iterable[LedgerEntry] = ()  # the next due time does not depend on the ledger
        elif plan.plan_id in summary.ledger_unseen:
            # Another writer changed an entry this tick meant to write: the ledger is read again.
            current = _open_entries(self._store.entries(plan.plan_id)).values()
        else:
            # What this tick claimed or settled (its retry or take-over time decides when the plan is next
            # due) over what was read before acting.
            current = _open_entries([*turn.open_entries.values(), *written.values()]).values()
        next_due = self._next_due(plan, current, now, left_over, summary)
        if turn.schedule_due_again is not None:  # the schedule's report is not matched yet
            next_due = max(min(next_due, turn.schedule_due_again), now)
        self._store.set_next_due(plan.plan_id, next_due)

    def _discover(
        self, plan: PullPlan, now: datetime, summary: TickSummary, remaining_seconds: Callable[[], float]
    ) -> None:
        """A discover plan's reports cannot be requested: its discovery lists what Amazon made
        (sp_reports.pipeline.pull_discovery), and the read-back places any stored before its window was
        known."""
        if self._discovery is None:
            self._store.set_next_due(plan.plan_id, None)
            return
        discovered = self._discovery.discover(plan, now)
        summary.reports_discovered += discovered.discovered
        self._reconcile(plan, self._store.entries(plan.plan_id), now, summary, remaining_seconds)
        self._store.set_next_due(plan.plan_id, discovered.next_due)

    def _work(
        self,
        plan: PullPlan,
        entries: dict[tuple[str, int], LedgerEntry],
        now: datetime,
        schedule: ScheduleView | None = None,
    ) -> list[_Work]:
        """What the plan needs now, in the order it is done."""
        work: list[_Work] = []
        latest_entry: dict[str, int] = {}
        for window_key, version in entries:
            latest_entry[window_key] = max(version, latest_entry.get(window_key, 0))
        for window in windows_between(plan, first_window_start(plan), now):
            due = due_versions(plan, window, now)
            if due == 0:
                continue
            entry = entries.get((window.key, due))
            # Begun work goes on even where the schedule makes the window: a claim left without its report is
            # taken over and a failed version retried, or nobody would (the schedule adopts only into a window
            # version with no entry, or a claim without a report).
            if entry is None and schedule is not None and schedule.leaves_alone(window, due, now):
                continue
            if entry is not None:
                begun = self._begun(entry, now)
                if begun is not None:
                    work.append(_Work(Priority.BEGUN, begun.timestamp(), window, due, entry))
                continue
            if latest_entry.get(window.key, 0) > due:
                continue  # a later version exists already (the plan's look-backs were changed)
            became_due = version_due_times(plan, window)[due - 1]
            if window.key in latest_entry:
                work.append(_Work(Priority.LOOK_BACK, became_due.timestamp(), window, due))
            elif due == 1 and now - became_due < window.end - window.start:
                work.append(_Work(Priority.INCREMENTAL, -window.start.timestamp(), window, due))
            else:
                work.append(_Work(Priority.BACKFILL, window.start.timestamp(), window, due))
        return sorted(work, key=lambda item: (item.priority, item.order, item.window.lane))

    def _begun(self, entry: LedgerEntry, now: datetime) -> datetime | None:
        """When begun work on the entry may go on (None: nothing to do for it now)."""
        if entry.state is WindowState.CLAIMED and not entry.report_id:
            resumable = parse_iso_second(entry.claimed_at) + self._settings.claim_timeout
        elif entry.state in (WindowState.FAILED, WindowState.WAITING_FOR_TOKEN):
            resumable = parse_iso_second(entry.retry_after) if entry.retry_after else now
        else:
            return None
        return resumable if resumable <= now else None

    def _next_due(
        self,
        plan: PullPlan,
        entries: Iterable[LedgerEntry],
        now: datetime,
        left_over: bool,
        summary: TickSummary,
    ) -> datetime:
        if plan.seller_id in summary.sellers_refused:
            return now + self._settings.token_retry_delay
        if left_over:
            return now
        entries = list(entries)
        latest: dict[str, int] = {}
        for entry in entries:
            latest[entry.window_key] = max(entry.version, latest.get(entry.window_key, 0))
        candidates = [next_due_after(plan, now)]
        if plan.plan_id in summary.cooldown_ends:
            candidates.append(summary.cooldown_ends[plan.plan_id])
        for entry in entries:
            if entry.state is WindowState.REQUESTED:
                # Read back RECONCILE_AFTER after its request, then every RECONCILE_AFTER.
                reconcile_at = parse_iso_second(entry.updated_at) + self._settings.reconcile_after
                candidates.append(
                    reconcile_at if reconcile_at > now else now + self._settings.reconcile_after
                )
            elif entry.version < latest[entry.window_key]:
                continue  # superseded by a later version: never resumed
            elif entry.state is WindowState.CLAIMED and not entry.report_id:
                candidates.append(parse_iso_second(entry.claimed_at) + self._settings.claim_timeout)
            elif entry.state in (WindowState.FAILED, WindowState.WAITING_FOR_TOKEN) and entry.retry_after:
                candidates.append(parse_iso_second(entry.retry_after))
        return max(min(candidates), now)

    # -- one window version -----------------------------------------------------------------------------

    def _carry_out(self, plan: PullPlan, item: _Work, now: datetime, summary: TickSummary) -> bool:
        """Request (or adopt) the window version's report; whether a createReport was spent or adopted."""
        region_code = _region_code(plan)
        try:
            reports = self._reports_for(plan.seller_id, region_code)
        except TokenNotFoundError:
            reason = "no refresh token is stored for the seller"
            if item.entry is not None and item.entry.state is WindowState.CLAIMED:
                # A claim left behind may have made its report: it waits for the take-over, not for a token.
                summary.sellers_refused[plan.seller_id] = reason
                return False
            claimed = self._store.claim(plan.plan_id, item.window, item.version, now=now)
            summary.wrote(plan.plan_id, claimed)
            if claimed is not None:
                self._wait_for_token(plan, item, now, summary, reason)
            return False
        if reports.seconds_until_call(CREATE_REPORT) > 0:
            # The seller's createReport quota would make the client wait: the next tick goes on.
            summary.sellers_throttled.add(plan.seller_id)
            return False
        if not self._may_request_in_cooldown(plan, item, summary):
            return False
        if item.entry is not None and item.entry.state is WindowState.CLAIMED:
            entry = self._store.take_over(
                plan.plan_id, item.window.key, item.version, claimed_at=item.entry.claimed_at, now=now
            )
            summary.wrote(plan.plan_id, entry)
            if entry is None:
                self._give_back_cooldown(plan, item, summary)
                return False  # another planner took it over
            try:
                # From the attempt's first claim: an earlier take-over that failed moved claimed_at past it.
                found = self._find_report(
                    reports, plan, item.window, since=entry.first_claimed_at or entry.claimed_at
                )
            except LwaInvalidGrantError as refused:
                # Whether the interrupted claim made a report is unknown: the claim stays for the take-over.
                summary.sellers_refused[plan.seller_id] = f"LWA refused the seller's refresh token: {refused}"
                self._give_back_cooldown(plan, item, summary)
                return False
            except SpApiClientError as refused:
                # getReports refused (403...): a failed attempt, so a lasting refusal parks the window (and
                # alarms) rather than being taken over every CLAIM_TIMEOUT forever.
                summary.windows_failed += 1
                failed = self._outcomes.fail_attempt(
                    entry,
                    plan.report_type,
                    f"getReports refused (HTTP {refused.status}): {refused.code}: {refused.message}",
                )
                summary.wrote(plan.plan_id, failed)
                self._give_back_cooldown(plan, item, summary)
                return False
            except SpApiError as failure:
                self._log_transient(plan, item, failure)
                self._give_back_cooldown(plan, item, summary)
                return False
            if found is not None:
                # The report was made by the interrupted claim: the cooldown taken for a new one goes back.
                self._give_back_cooldown(plan, item, summary)
                summary.wrote(plan.plan_id, self._adopt(plan, item, region_code, entry, found, now))
                summary.reports_adopted += 1
                return True
        else:
            entry = self._store.claim(plan.plan_id, item.window, item.version, now=now)
            summary.wrote(plan.plan_id, entry)
            if entry is None:
                self._give_back_cooldown(plan, item, summary)
                return False  # taken by another planner, or not yet retryable
        return self._request(plan, item, region_code, reports, entry, now, summary)

    def _may_request_in_cooldown(self, plan: PullPlan, item: _Work, summary: TickSummary) -> bool:
        """A type with a cooldown gets one createReport per cooldown, seller and marketplace, whichever plan
        or POST /reports asks (SP-API answers a sooner one with a FATAL report; the one fact all of them take
        is sp_reports.pipeline.report_cooldowns'). Taken before the claim, so a window left for later has no
        claim to wait for; the plan is due again when the cooldown ends."""
        cooldown = plan.rules.cooldown if plan.rules is not None else None
        if not cooldown:
            return True
        lane = (plan.seller_id, plan.report_type, item.window.lane)
        ends = summary.lanes_cooling_down.get(lane)
        if ends is None:
            taken_at = self._clock()  # the tick began minutes ago, maybe: the report is made now
            ends = self._cooldowns.take(
                plan.seller_id,
                plan.report_type,
                item.window.lane,
                until=cooldown_end(cooldown, taken_at),
                now=taken_at,
            )
            if ends is None:
                summary.cooldowns_taken[lane] = cooldown_end(cooldown, taken_at)
                return True
            summary.lanes_cooling_down[lane] = ends
        known = summary.cooldown_ends.get(plan.plan_id)
        summary.cooldown_ends[plan.plan_id] = ends if known is None else min(known, ends)
        summary.windows_cooling_down += 1
        return False

    def _give_back_cooldown(self, plan: PullPlan, item: _Work, summary: TickSummary) -> None:
        """The cooldown taken for the window made no report (createReport refused or never sent, or a
        take-over that adopted the report made before, lost the claim or could not list the reports): the
        lane's next window, or POST /reports, may have it."""
        until = summary.cooldowns_taken.pop((plan.seller_id, plan.report_type, item.window.lane), None)
        if until is not None:
            self._cooldowns.give_back(plan.seller_id, plan.report_type, item.window.lane, until=until)

    def _specification(self, plan: PullPlan, window: Window, region_code: str) -> ReportSpecification:
        return ReportSpecification(
            seller_id=plan.seller_id,
            region_code=region_code,
            report_type=plan.report_type,
            marketplace_ids=window.lane,
            data_start_time=window.data_start_time,
            data_end_time=window.data_end_time,
            report_options=plan.report_options,
        )

    def _request(
        self,
        plan: PullPlan,
        item: _Work,
        region_code: str,
        reports: ReportsClient,
        entry: LedgerEntry,
        now: datetime,
        summary: TickSummary,
    ) -> bool:
        specification = self._specification(plan, item.window, region_code)
        pull_window = PullWindowRef(plan.plan_id, item.window.key, item.version, entry.attempts)
        try:
            created = self._records.create_and_record(
                specification,
                lambda spec: reports.create_report(**spec.create_report_arguments()),
                pull_window=pull_window,
            )
        except LwaInvalidGrantError as refused:
            # The access token is fetched before createReport is sent: no report was made.
            self._give_back_cooldown(plan, item, summary)
            self._wait_for_token(
                plan, item, now, summary, f"LWA refused the seller's refresh token: {refused}"
            )
            return False
        except SpApiClientError as refused:
            # 400, 403, 404...: SP-API refused the request, so no report was made; a failed attempt, so a
            # refusal that lasts parks the window and the parked alarm fires instead of retrying forever.
            self._give_back_cooldown(plan, item, summary)
            summary.windows_failed += 1
            failed = self._outcomes.fail_attempt(
                entry,
                plan.report_type,
                f"createReport refused (HTTP {refused.status}): {refused.code}: {refused.message}",
            )
            summary.wrote(plan.plan_id, failed)
            return False
        except SpApiThrottledError as throttled:
            summary.sellers_throttled.add(plan.seller_id)
            if throttled.status is not None:
                # SP-API's 429 may end the client's retries after a 5xx or a timeout that made the report:
                # the claim waits for the take-over, which looks for it first.
                self._log_transient(plan, item, throttled)
                return False
            # The client's own rate limiter refused to send it: certainly no report; claimed again next tick.
            self._give_back_cooldown(plan, item, summary)
            released = self._store.release(
                plan.plan_id,
                item.window.key,
                item.version,
                attempt=entry.attempts,
                reason=f"createReport not sent: {throttled.message}",
                retry_after=now,
                now=now,
            )
            summary.wrote(plan.plan_id, released)
            return False
        except SpApiError as failure:
            # Throttled, or SP-API failed: the claim stays and is taken over after CLAIM_TIMEOUT, looking for
            # the report first in case SP-API made it after all.
            self._log_transient(plan, item, failure)
            summary.sellers_throttled.add(plan.seller_id)
            return False
        self._note_for_the_sweep(specification)
        summary.reports_created += 1
        try:
            recorded = self._store.record_report(
                plan.plan_id, item.window, item.version, created.report_id, now=now
            )
        except LedgerConflictError:
            summary.wrote(plan.plan_id, None)
            # Only a planner stalled past CLAIM_TIMEOUT (longer than any Lambda runs) could get here: the
            # version was taken over and has another report. Said loudly; the other report owns the window.
            self._logger.error(
                "plan window version already has another report",
                extra={
                    "plan_id": plan.plan_id,
                    "window_key": item.window.key,
                    "report_id": created.report_id,
                },
            )
            self._metrics.add_metric(name="PlannerLedgerConflicts", unit=COUNT, value=1)
            return True
        summary.wrote(plan.plan_id, recorded)
        self._logger.info(
            "plan window requested",
            extra={
                "plan_id": plan.plan_id,
                "window_key": item.window.key,
                "window_version": item.version,
                "report_id": created.report_id,
                "recorded": created.recorded,
                "attempt": entry.attempts,
            },
        )
        return True

    def _find_report(
        self, reports: ReportsClient, plan: PullPlan, window: Window, *, since: str
    ) -> str | None:
        """Our report of the window made after `since` (the claim), if SP-API has one: same type and
        marketplaces, the window's dataStartTime and dataEndTime, not recorded for another window."""
        token: str | None = None
        while True:
            page = reports.get_reports(
                [plan.report_type],
                marketplace_ids=list(window.lane),
                created_since=since,
                next_token=token,
            )
            for report in page.reports:
                if (
                    sorted(report.get("marketplaceIds") or ()) == sorted(window.lane)
                    and _same_instant(report.get("dataStartTime"), window.data_start_time)
                    and _same_instant(report.get("dataEndTime"), window.data_end_time)
                    and self._not_another_windows(str(report.get("reportId")), plan, window)
                ):
                    return str(report["reportId"])
            if page.next_token is None:
                return None
            token = page.next_token

    def _not_another_windows(self, report_id: str, plan: PullPlan, window: Window) -> bool:
        record = self._records.get(report_id)
        if record is None or record.pull_window is None:
            return True
        return (record.pull_window.plan_id, record.pull_window.window_key) == (plan.plan_id, window.key)

    def _adopt(
        self, plan: PullPlan, item: _Work, region_code: str, entry: LedgerEntry, report_id: str, now: datetime
    ) -> LedgerEntry:
        """Make a report found with getReports the window version's: recorded with its window, and in the
        ledger; the entry as left."""
        specification = self._specification(plan, item.window, region_code)
        pull_window = PullWindowRef(plan.plan_id, item.window.key, item.version, entry.attempts)
        try:
            self._records.record_requested(report_id, specification, pull_window=pull_window)
        except ReportAlreadyRecordedError:
            self._records.mark_pull_window(report_id, pull_window)
        self._note_for_the_sweep(specification)
        recorded = self._store.record_report(plan.plan_id, item.window, item.version, report_id, now=now)
        self._logger.info(
            "plan window's report adopted after an interrupted request",
            extra={
                "plan_id": plan.plan_id,
                "window_key": item.window.key,
                "window_version": item.version,
                "report_id": report_id,
            },
        )
        return recorded

    def _wait_for_token(
        self, plan: PullPlan, item: _Work, now: datetime, summary: TickSummary, reason: str
    ) -> None:
        """The claimed window version waits for the seller's token (createReport was not called). Only this
        window is written: the seller's other windows are left alone until the retry, so a refused seller
        costs one LWA call per retry."""
        summary.sellers_refused[plan.seller_id] = reason
        try:
            waiting = self._store.settle(
                plan.plan_id,
                item.window.key,
                item.version,
                WindowState.WAITING_FOR_TOKEN,
                reason=reason,
                retry_after=now + self._settings.token_retry_delay,
                now=now,
            )
        except LedgerConflictError:
            summary.wrote(plan.plan_id, None)
            return
        summary.wrote(plan.plan_id, waiting)
        summary.windows_waiting_for_token += 1
        self._logger.warning(
            "plan window waits for the seller's token",
            extra={"plan_id": plan.plan_id, "window_key": item.window.key, "reason": reason},
        )

    def _ledger_conflict(self, plan: PullPlan, window_key: str, conflict: LedgerConflictError) -> None:
        self._logger.error(
            "plan window's ledger entry changed under the planner; the window is left to its owner",
            extra={"plan_id": plan.plan_id, "window_key": window_key, "conflict": str(conflict)},
        )
        self._metrics.add_metric(name="PlannerLedgerConflicts", unit=COUNT, value=1)

    def _log_transient(self, plan: PullPlan, item: _Work, failure: SpApiError) -> None:
        self._logger.warning(
            "createReport for a plan window failed; the claim is taken over later",
            extra={
                "plan_id": plan.plan_id,
                "window_key": item.window.key,
                "window_version": item.version,
                "error": type(failure).__name__,
                "status": getattr(failure, "status", None),
            },
        )

    def _note_for_the_sweep(self, specification: ReportSpecification) -> None:
        """The sweep looks for reports of this type from now on, so a report whose notification never comes
        is still found (as for POST /reports, sp_reports.pipeline.report_requesting)."""
        try:
            self._sweep_state.note_request(
                specification.seller_id, specification.region_code, specification.report_type
            )
        except (ClientError, BotoCoreError):
            self._logger.exception("report type not noted for the sweep")
            self._metrics.add_metric(name="SweepNotesMissed", unit=COUNT, value=1)

    # -- reports long REQUESTED -------------------------------------------------------------------------

    def _reconcile(
        self,
        plan: PullPlan,
        entries: Iterable[LedgerEntry],
        now: datetime,
        summary: TickSummary,
        remaining_seconds: Callable[[], float],
    ) -> int:
        """Read back the reports REQUESTED for longer than RECONCILE_AFTER; how many windows were settled."""
        settled = 0
        for entry in entries:
            if entry.state is not WindowState.REQUESTED or not entry.report_id:
                continue
            if parse_iso_second(entry.updated_at) + self._settings.reconcile_after > now:
                continue
            if remaining_seconds() < self._settings.stop_with_seconds_left:
                return settled
            try:
                reconciled = self._reconcile_entry(plan, entry)
            except LedgerConflictError as conflict:
                summary.wrote(plan.plan_id, None)
                self._ledger_conflict(plan, entry.window_key, conflict)
                continue
            if reconciled is not None:
                summary.wrote(plan.plan_id, reconciled)
                settled += 1
                summary.windows_reconciled += 1
        return settled

    def _reconcile_entry(self, plan: PullPlan, entry: LedgerEntry) -> LedgerEntry | None:
        """The entry as its report's outcome left it; None: nothing settled (not finished, not recorded)."""
        report_id = entry.report_id or ""
        pull_window = PullWindowRef(plan.plan_id, entry.window_key, entry.version, entry.attempts)
        record = self._records.get(report_id)
        if record is None:
            return None  # not recorded yet: its notification (or the sweep) records it from its intent
        if record.pull_window is None:
            self._records.mark_pull_window(report_id, pull_window)
        if not record.is_terminal:
            return None
        recorded = record.pull_window.attempt if record.pull_window else None
        if recorded is not None and recorded < entry.attempts:
            # A discovered report's failed store taken for another attempt whose record is not reopened yet
            # (sp_reports.pipeline.pull_discovery): the record's outcome is the earlier attempt's.
            return None
        s3_key = None
        if record.status is ReportStatus.DONE:
            if not record.s3_key:
                return None
            placement = WindowPlacement.of(
                plan_id=plan.plan_id,
                seller_id=plan.seller_id,
                report_type=plan.report_type,
                report_id=report_id,
                window_key=entry.window_key,
                version=entry.version,
            )
            s3_key = self._window_objects.place(placement, record.s3_key).key
        settled = self._outcomes.settle(
            report_id,
            plan.report_type,
            pull_window,
            record.status,
            s3_key=s3_key,
            reason=record.failure_reason,
        )
        return settled if settled is not None and settled.state is not WindowState.REQUESTED else None
