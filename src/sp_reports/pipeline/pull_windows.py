"""The windows of a pull plan and when each version of each window is due: calendar arithmetic, no AWS.

A window is [start, end) in UTC, aligned to the plan's cadence: a day from midnight to midnight, a week from
Sunday 00:00 to the next Sunday 00:00, a month from the first to the first of the next. Whole periods make
consecutive windows meet without overlap or gap and give each one a name the coverage can show. SP-API's
dataEndTime is inclusive (a vendor weekly report must end Saturday 23:59:59Z:
docs/spapi-notes.md#report-type-rules), so the dataEndTime sent is the window's last second.

A plan's windows start with the one holding its start date. Each window has versions: version 1 is due once
the type's hold-back has passed after the window ends (the data lag SP-API enforces, or the time its data
keeps arriving: the catalogue's `hold_back`); version k + 1 is due `look_back_days[k]` days after the window
ends, to re-pull figures Amazon keeps correcting. Every due time is shifted by the seller's jitter, a fixed
spread of up to 15 minutes, so that the windows of thousands of sellers ending at midnight are not all
requested in the same minute.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sp_reports.pipeline.pull_plans import Cadence, PullPlan

JITTER_SPREAD_SECONDS = 15 * 60
# The bucket prefix under which a plan's windows land: `plans/<seller>/...` (beside the one-off reports'
# `<seller>/...`); erasing a seller removes both.
PLAN_OBJECTS_PREFIX = "plans"
LANE_SEPARATOR = "+"
_SECOND = timedelta(seconds=1)
_DAY = timedelta(days=1)
_ISO = "%Y-%m-%dT%H:%M:%SZ"


def iso_second(value: datetime) -> str:
    """A UTC instant as window keys spell it: `YYYY-MM-DDTHH:MM:SSZ`, sortable as text."""
    return value.astimezone(UTC).strftime(_ISO)


def parse_iso_second(text: str) -> datetime:
    return datetime.strptime(text, _ISO).replace(tzinfo=UTC)


def lane_key(lane: tuple[str, ...]) -> str:
    return LANE_SEPARATOR.join(sorted(lane))


@dataclass(frozen=True, order=True)
class Window:
    start: datetime
    end: datetime
    lane: tuple[str, ...]

    @property
    def key(self) -> str:
        """`<start>/<end>/<lane>`: unique per plan, and sorted by start when sorted as text."""
        return f"{iso_second(self.start)}/{iso_second(self.end)}/{lane_key(self.lane)}"

    @property
    def marketplace_ids(self) -> tuple[str, ...]:
        return self.lane

    @property
    def data_start_time(self) -> str:
        """createReport's dataStartTime for the window."""
        return iso_second(self.start)

    @property
    def data_end_time(self) -> str:
        """createReport's dataEndTime: the window's last second, since SP-API includes dataEndTime (a weekly
        vendor report must end Saturday 23:59:59Z: docs/spapi-notes.md#report-type-rules)."""
        return iso_second(self.end - _SECOND)

    @classmethod
    def from_key(cls, key: str) -> Window:
        """The window a key names; ValueError for anything else."""
        parts = key.split("/")
        if len(parts) != 3 or not parts[2]:
            raise ValueError(f"not a window key: {key[:80]!r}")
        start, end = parse_iso_second(parts[0]), parse_iso_second(parts[1])
        if end <= start:
            raise ValueError(f"not a window key (end before start): {key[:80]!r}")
        return cls(start, end, tuple(parts[2].split(LANE_SEPARATOR)))


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def period_start(cadence: Cadence, instant: datetime) -> datetime:
    """The start of the cadence's calendar period holding `instant`."""
    day = instant.astimezone(UTC).date()
    if cadence is Cadence.DAILY:
        return _midnight(day)
    if cadence is Cadence.WEEKLY:
        # date.weekday(): Monday 0 ... Sunday 6; weeks start on Sunday.
        return _midnight(day - timedelta(days=(day.weekday() + 1) % 7))
    return _midnight(day.replace(day=1))


def period_end(cadence: Cadence, start: datetime) -> datetime:
    """The end of the period starting at `start` (the start of the next)."""
    if cadence is Cadence.DAILY:
        return start + _DAY
    if cadence is Cadence.WEEKLY:
        return start + 7 * _DAY
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    return start.replace(year=year, month=month, day=1)


def first_window_start(plan: PullPlan) -> datetime:
    """The start of the plan's first window: the period holding its start date."""
    return period_start(plan.cadence, _midnight(plan.start_date))


def windows_between(plan: PullPlan, start: datetime, end: datetime) -> list[Window]:
    """The plan's windows overlapping [start, end), every lane, in order of start then lane."""
    if end <= start:
        return []
    cursor = max(period_start(plan.cadence, start), first_window_start(plan))
    windows: list[Window] = []
    while cursor < end:
        following = period_end(plan.cadence, cursor)
        windows.extend(Window(cursor, following, lane) for lane in plan.lanes())
        cursor = following
    return sorted(windows)


def seller_jitter(seller_id: str) -> timedelta:
    """A fixed delay in [0, 15 minutes) per seller (from a hash of the id, the same in every process)."""
    digest = hashlib.sha256(seller_id.encode()).digest()
    return timedelta(seconds=int.from_bytes(digest[:8], "big") % JITTER_SPREAD_SECONDS)


def hold_back(plan: PullPlan) -> timedelta:
    """How long after a window ends its first version is requested (zero for a type with no known lag)."""
    return plan.rules.hold_back if plan.rules is not None else timedelta(0)


def available_at(plan: PullPlan, window: Window) -> datetime:
    """When the window's first version is due: its end, the type's hold-back, and the seller's jitter."""
    return window.end + hold_back(plan) + seller_jitter(plan.seller_id)


def version_due_times(plan: PullPlan, window: Window) -> list[datetime]:
    """When each version is due, version 1 first: available_at, then the window's end plus each look-back
    (never before the version before it)."""
    times = [available_at(plan, window)]
    jitter = seller_jitter(plan.seller_id)
    for days in plan.look_back_days:
        times.append(max(times[-1], window.end + days * _DAY + jitter))
    return times


def due_versions(plan: PullPlan, window: Window, now: datetime) -> int:
    """How many of the window's versions are due at `now` (0: not yet due)."""
    return sum(1 for due in version_due_times(plan, window) if due <= now)


def next_due_after(plan: PullPlan, now: datetime) -> datetime:
    """The first moment after `now` at which some version of some window of the plan becomes due.

    A version is due at (a window end) + (an offset: the hold-back, or a look-back) + jitter. For each offset
    the first window end after `now - offset - jitter` gives the next due time; the earliest of those wins.
    Window ends before the plan's first window ends are not the plan's."""
    jitter = seller_jitter(plan.seller_id)
    first_end = period_end(plan.cadence, first_window_start(plan))
    candidates = []
    for offset in (hold_back(plan), *(days * _DAY for days in plan.look_back_days)):
        reference = now - offset - jitter
        end = period_end(plan.cadence, period_start(plan.cadence, reference))
        candidates.append(max(end, first_end) + offset + jitter)
    return min(candidates)
