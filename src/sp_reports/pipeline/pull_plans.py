"""Pull plans: a seller's report pulled by itself, window after window, from a start date on.

A plan is (seller, marketplaces, report type, cadence, look-backs, report options, start date, mode). The
planner turns it into calendar windows (`sp_reports.pipeline.pull_windows`) and requests each window's report
when it is due; `sp_reports.pipeline.pull_ledger` records what became of every window and version.

`plan_from_request` checks everything a plan needs that no AWS call can tell, against the report-type
catalogue (`sp_reports.spapi.report_types`, each rule with its source), so a plan SP-API would fail window
after window is refused once, with a 400 that says what to change:

- mode `request` (createReport, window by window) takes the types createReport makes; mode `amazon-schedule`
  (createReportSchedule; see sp_reports.pipeline.pull_schedules) the types Amazon may schedule, and a
  schedule-only type needs it, one lane and no look-backs (look-backs are requested with createReport); mode
  `discover` (sp_reports.pipeline.pull_discovery: getReports finds the reports Amazon makes by itself) takes
  only the types Amazon generates (settlement), and no cadence or look-backs, since Amazon decides each
  report's period and makes it once; a requestable type in mode discover is refused saying to use mode
  request (400 ReportTypeRequestable), and a type no mode can pull (types the seller generates in Seller
  Central) saying how to get it instead (400 ReportTypeNotRequestable);
- a cadence whose window is longer than the type's maximum range per report, or that breaks the type's period
  alignment (vendor reports by WEEK cover Sunday-Saturday weeks), is refused naming the limit and its source;
- a start date older than SP-API keeps the type's data is refused naming the limit;
- a look-back that would re-pull a window before its first version is due (inside the type's hold-back) is
  refused, since it could only fetch the same data again.

What needs AWS (the seller's stored token and region, the seller's createReport budget) is the API's part.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Any, TypeVar

from sp_reports.pipeline.api_requests import (
    REPORT_TYPE_PATTERN,
    ApiError,
    ValidationError,
    iso_timestamp,
    parse_report_options,
)
from sp_reports.pipeline.report_plans import restricted_refusal
from sp_reports.pipeline.token_store import validate_seller_id
from sp_reports.spapi.regions import MARKETPLACE_IDS, region_of_marketplace
from sp_reports.spapi.report_types import (
    Catalogue,
    PeriodAlignment,
    ReportTypeRules,
    RequestMode,
)
from sp_reports.spapi.report_types import (
    catalogue as packaged_catalogue,
)

PLAN_ID_PREFIX = "pp-"
PLAN_ID_HEX = 24
# Our bound, not SP-API's: Amazon says a period's figures settle within about a week (docs#2303, see
# docs/spapi-notes.md#report-type-rules); 60 days leaves room for slower corrections (returns are filed up to
# 60 days after an order: the returns reports cover 60 days) while every version's report stays listable with
# getReports, which keeps report records 90 days (docs/spapi-notes.md#reports-api).
MAX_LOOK_BACK_DAYS = 60
MAX_LOOK_BACKS = 5
# createReport accepts 1-25 marketplace ids (docs/spapi-notes.md#reports-api).
MAX_MARKETPLACES = 25
PLAN_FIELDS = frozenset(
    {
        "sellerId",
        "marketplaceIds",
        "reportType",
        "cadence",
        "lookBackDays",
        "reportOptions",
        "startDate",
        "mode",
        "replaceExistingSchedule",
    }
)
_DAY = timedelta(days=1)
_E = TypeVar("_E", bound=StrEnum)
_DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}\Z")


class Cadence(StrEnum):
    """How long one window is: calendar days, Sunday-to-Sunday weeks, or calendar months (UTC)."""

    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"

    @property
    def longest(self) -> timedelta:
        """The longest window of this cadence (what a type's maximum range must allow)."""
        return {Cadence.DAILY: _DAY, Cadence.WEEKLY: 7 * _DAY, Cadence.MONTHLY: 31 * _DAY}[self]

    @property
    def average_days(self) -> float:
        """Days per window on average (a Gregorian month is 365.2425 / 12 days)."""
        return {Cadence.DAILY: 1.0, Cadence.WEEKLY: 7.0, Cadence.MONTHLY: 365.2425 / 12}[self]


class PlanMode(StrEnum):
    REQUEST = "request"  # the planner calls createReport for each window version
    AMAZON_SCHEDULE = "amazon-schedule"  # createReportSchedule; the reports Amazon makes fill the windows
    DISCOVER = "discover"  # types createReport cannot make: reports found with getReports fill the windows


class ScheduleState(StrEnum):
    """Where an amazon-schedule plan stands with Amazon's schedule (sp_reports.pipeline.pull_schedules)."""

    ACTIVE = "active"  # the plan's schedule makes version 1 of its windows from `covers_from` on
    # Amazon refused createReportSchedule for the type: the plan requests its windows, and tries again after
    # `retry_after`
    REFUSED = "refused"
    FOREIGN = "foreign"  # a schedule the plan did not create holds the type and marketplaces: not replaced


@dataclass(frozen=True)
class PlanSchedule:
    """An amazon-schedule plan's link to Amazon's schedule: state, not definition."""

    state: ScheduleState
    report_schedule_id: str = ""
    # The end of the first window the schedule makes (ISO UTC, whole seconds): windows ending then or later
    # get version 1 from the schedule.
    covers_from: str = ""
    # REFUSED only: when createReportSchedule is tried again (ISO UTC, whole seconds).
    retry_after: str = ""
    # ACTIVE only: where the next listing of the schedule's reports starts (its createdSince), moved on after
    # each listing; kept beside the schedule, not part of where the plan stands with it.
    listed_since: str = field(default="", compare=False)

    def describe(self) -> dict[str, Any]:
        answer: dict[str, Any] = {"state": str(self.state)}
        if self.report_schedule_id:
            answer["reportScheduleId"] = self.report_schedule_id
        if self.covers_from:
            answer["coversWindowsEndingFrom"] = self.covers_from
        if self.retry_after:
            answer["retryAfter"] = self.retry_after
        return answer


@dataclass(frozen=True)
class ScheduleIntent:
    """The schedule an amazon-schedule plan is about to create, recorded on the plan before
    createReportSchedule (sp_reports.pipeline.pull_schedules): a run stopped after Amazon created it but
    before its id was recorded finds it among the seller's schedules by these, and adopts it instead of
    taking it for somebody else's."""

    period: str
    next_report_creation_time: str  # ISO UTC, whole seconds
    covers_from: str  # the end of the first window it makes
    report_options: Mapping[str, str] = field(default_factory=dict)

    def matches(self, found: Mapping[str, Any]) -> bool:
        """Whether a schedule getReportSchedules listed (same type and marketplaces) is this one: the same
        period and report options, and a next creation time at the intended one or later at the same time of
        day (Amazon moves it on by a period after each report: reports_2021-06-30.json, ReportSchedule)."""
        if found.get("period") != self.period:
            return False
        if dict(found.get("reportOptions") or {}) != dict(self.report_options):
            return False
        try:
            found_next = datetime.fromisoformat(
                str(found.get("nextReportCreationTime")).replace("Z", "+00:00")
            )
        except ValueError:
            return False
        intended = datetime.fromisoformat(self.next_report_creation_time.replace("Z", "+00:00"))
        found_next = found_next.replace(microsecond=0)
        return found_next >= intended and found_next.timetz() == intended.timetz()


@dataclass(frozen=True)
class PullPlan:
    plan_id: str
    seller_id: str
    marketplace_ids: tuple[str, ...]  # sorted, unique
    report_type: str
    cadence: Cadence | None  # None only in mode discover: Amazon decides each report's period
    look_back_days: tuple[int, ...]  # sorted, unique
    report_options: Mapping[str, str]
    start_date: date
    mode: PlanMode
    paused: bool = False
    created_at: str = ""
    updated_at: str = ""
    created_by: str = ""
    status_note: str = ""
    # amazon-schedule only: whether the plan may replace a schedule of its type and marketplaces it did not
    # create (createReportSchedule replaces it), and where it stands with its own.
    replace_existing_schedule: bool = False
    schedule: PlanSchedule | None = None
    # Schedules of the plan's deleted earlier life still to be cancelled (a POST of the same plan replaced its
    # tombstone before the planner cancelled them): the planner cancels them apart from the plan's own.
    schedules_to_cancel: tuple[str, ...] = ()
    rules: ReportTypeRules | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "report_options", MappingProxyType(dict(self.report_options)))
        if self.rules is None:
            object.__setattr__(self, "rules", packaged_catalogue().report_types.get(self.report_type))

    def lanes(self) -> tuple[tuple[str, ...], ...]:
        """The marketplace groups requested together: one per marketplace for a single-marketplace type
        (SP-API would answer one marketplace's data for several: docs/spapi-notes.md#report-type-rules),
        otherwise all of them in one."""
        if self.rules is not None and self.rules.single_marketplace:
            return tuple((marketplace,) for marketplace in self.marketplace_ids)
        return (self.marketplace_ids,)

    def definition(self) -> dict[str, Any]:
        """What the plan asks for: equal definitions are the same plan (its id is their hash)."""
        return plan_definition(
            seller_id=self.seller_id,
            marketplace_ids=self.marketplace_ids,
            report_type=self.report_type,
            cadence=self.cadence,
            look_back_days=self.look_back_days,
            report_options=self.report_options,
            start_date=self.start_date,
            mode=self.mode,
        )

    def describe(self) -> dict[str, Any]:
        """The plan as the API answers it."""
        return {
            "planId": self.plan_id,
            "sellerId": self.seller_id,
            "marketplaceIds": list(self.marketplace_ids),
            "reportType": self.report_type,
            "cadence": _text(self.cadence),
            "lookBackDays": list(self.look_back_days),
            "reportOptions": dict(self.report_options),
            "startDate": self.start_date.isoformat(),
            "mode": str(self.mode),
            "paused": self.paused,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "statusNote": self.status_note,
            **(
                {
                    "replaceExistingSchedule": self.replace_existing_schedule,
                    "schedule": self.schedule.describe() if self.schedule else None,
                }
                if self.mode is PlanMode.AMAZON_SCHEDULE
                else {}
            ),
        }


def plan_definition(
    *,
    seller_id: str,
    marketplace_ids: tuple[str, ...],
    report_type: str,
    cadence: Cadence | None,
    look_back_days: tuple[int, ...],
    report_options: Mapping[str, str],
    start_date: date,
    mode: PlanMode,
) -> dict[str, Any]:
    return {
        "sellerId": seller_id,
        "marketplaceIds": sorted(set(marketplace_ids)),
        "reportType": report_type,
        "cadence": _text(cadence),
        "lookBackDays": sorted(set(look_back_days)),
        "reportOptions": dict(sorted(report_options.items())),
        "startDate": start_date.isoformat(),
        "mode": str(mode),
    }


def _text(value: StrEnum | None) -> str | None:
    return None if value is None else str(value)


def plan_id_of(definition: Mapping[str, Any]) -> str:
    """ "pp-" and 24 hex digits of the SHA-256 of the canonical definition: the same body always names the
    same plan, so a repeated POST finds it instead of making a second one."""
    canonical = json.dumps(definition, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return PLAN_ID_PREFIX + hashlib.sha256(canonical.encode()).hexdigest()[:PLAN_ID_HEX]


def windows_per_day(plan: PullPlan) -> float:
    """createReport calls per day the plan causes once its backfill is done: every lane's window once, and
    once more per look-back. A discover plan requests nothing, nor does a schedule-only type's amazon-schedule
    plan; any other amazon-schedule plan counts as a request plan, the createReport calls of its fallback
    (sp_reports.pipeline.pull_schedules) kept within the budget."""
    if plan.mode is PlanMode.DISCOVER or plan.cadence is None:
        return 0.0
    if plan.rules is not None and plan.rules.request_mode is RequestMode.SCHEDULED_ONLY:
        return 0.0
    return len(plan.lanes()) * (1 + len(plan.look_back_days)) / plan.cadence.average_days


# -- validation ----------------------------------------------------------------------------------------------


def plan_from_request(
    body: Any,
    *,
    now: datetime,
    catalogue: Catalogue | None = None,
    restricted_allowed: bool = False,
    check_start: bool = True,
) -> PullPlan:
    """The plan a `POST /plans` body asks for, or the ApiError (400; 403 for a restricted type the deployment
    does not store) that says what to change. `check_start=False` leaves out the one check that depends on
    `now` (`check_start_date`): a caller that answers an existing plan first checks it afterwards."""
    if not isinstance(body, Mapping):
        raise ApiError(400, "ValidationError", "the body must be a JSON object")
    unknown = sorted(str(name) for name in body if name not in PLAN_FIELDS)
    if unknown:
        raise ApiError(
            400,
            "ValidationError",
            f"unknown field(s) {', '.join(unknown)}; a plan has {', '.join(sorted(PLAN_FIELDS))}",
        )
    seller_id = _seller_id(body.get("sellerId"))
    marketplace_ids = _marketplace_ids(body.get("marketplaceIds"))
    report_type = _report_type(body.get("reportType"))
    mode = _choice(body.get("mode"), "mode", PlanMode, default=PlanMode.REQUEST)
    cadence = (
        None if mode is PlanMode.DISCOVER else _choice(body.get("cadence"), "cadence", Cadence, default=None)
    )
    report_options = parse_report_options(body.get("reportOptions"), "reportOptions")
    start_date = _start_date(body.get("startDate"))
    look_back_days = _look_back_days(body.get("lookBackDays"))
    replace_existing = _replace_existing_schedule(body.get("replaceExistingSchedule"), mode)

    rules = (catalogue or packaged_catalogue()).report_types.get(report_type)
    if mode is PlanMode.DISCOVER:
        _check_discoverable(report_type, rules, look_back_days)
        _check_no_cadence(body.get("cadence"))
    elif rules is not None:
        _check_requestable(report_type, rules, mode)
    if rules is not None:
        if mode is PlanMode.AMAZON_SCHEDULE:
            _check_schedulable(report_type, rules, marketplace_ids, look_back_days)
        if rules.restricted and not restricted_allowed:
            raise restricted_refusal(report_type)
        if cadence is not None:
            _check_cadence(report_type, rules, cadence, report_options)
        if check_start:
            _check_start(report_type, rules, start_date, now)
        _check_look_backs(report_type, rules, look_back_days)

    definition = plan_definition(
        seller_id=seller_id,
        marketplace_ids=marketplace_ids,
        report_type=report_type,
        cadence=cadence,
        look_back_days=look_back_days,
        report_options=report_options,
        start_date=start_date,
        mode=mode,
    )
    stamp = iso_timestamp(now.astimezone(UTC).replace(microsecond=0))
    return PullPlan(
        plan_id=plan_id_of(definition),
        seller_id=seller_id,
        marketplace_ids=marketplace_ids,
        report_type=report_type,
        cadence=cadence,
        look_back_days=look_back_days,
        report_options=report_options,
        start_date=start_date,
        mode=mode,
        created_at=stamp,
        updated_at=stamp,
        replace_existing_schedule=replace_existing,
        rules=rules,
    )


def _seller_id(value: Any) -> str:
    try:
        return validate_seller_id(value)
    except ValueError:
        raise ValidationError(
            "sellerId", "expected 8-20 upper-case letters or digits, e.g. A3TH9S8BH6GOGM"
        ) from None


def _marketplace_ids(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ValidationError("marketplaceIds", "expected a non-empty list of marketplace ids")
    if not all(isinstance(item, str) for item in value):
        raise ValidationError("marketplaceIds", "every marketplace id must be a string")
    ids = sorted(set(value))
    if len(ids) > MAX_MARKETPLACES:
        raise ValidationError(
            "marketplaceIds", f"at most {MAX_MARKETPLACES} marketplace ids (createReport's limit)"
        )
    unknown = [marketplace for marketplace in ids if marketplace not in MARKETPLACE_IDS]
    if unknown:
        # Only ids already known to be unknown are echoed, and only as far as they are plain words.
        shown = ", ".join(repr(marketplace[:20]) for marketplace in unknown[:3])
        raise ValidationError("marketplaceIds", f"unknown marketplace id(s) {shown}")
    regions = sorted({region_of_marketplace(marketplace).code for marketplace in ids})
    if len(regions) > 1:
        # One seller authorisation and one SP-API endpoint serve one region (docs/spapi-notes.md#endpoints).
        raise ValidationError(
            "marketplaceIds",
            f"the marketplaces span regions {', '.join(regions)}; one plan covers one region's marketplaces",
        )
    return tuple(ids)


def _report_type(value: Any) -> str:
    if not isinstance(value, str) or not REPORT_TYPE_PATTERN.match(value):
        raise ValidationError(
            "reportType", "expected an SP-API report type such as GET_MERCHANT_LISTINGS_ALL_DATA"
        )
    return value


def _choice(value: Any, name: str, kind: type[_E], *, default: _E | None) -> _E:
    if value is None and default is not None:
        return default
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(member.value for member in kind)
        raise ValidationError(name, f"must be one of {choices}") from None


def _check_no_cadence(value: Any) -> None:
    if value is not None:
        raise ValidationError(
            "cadence",
            "a discover plan has no cadence: Amazon decides each report's period (settlement periods are "
            "not calendar windows); leave cadence out",
        )


def _start_date(value: Any) -> date:
    problem = "expected a date such as 2026-01-31 (YYYY-MM-DD, UTC)"
    if not isinstance(value, str) or not _DATE_PATTERN.match(value):
        raise ValidationError("startDate", problem)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError("startDate", problem) from None


def _look_back_days(value: Any) -> tuple[int, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ValidationError("lookBackDays", "expected a list of whole days, e.g. [1, 2, 7]")
    if not all(isinstance(item, int) and not isinstance(item, bool) for item in value):
        raise ValidationError("lookBackDays", "every look-back is a whole number of days")
    days = tuple(sorted(set(value)))
    if any(day < 1 or day > MAX_LOOK_BACK_DAYS for day in days):
        raise ValidationError(
            "lookBackDays",
            f"each look-back is 1-{MAX_LOOK_BACK_DAYS} days after the window ends (docs/design.md)",
        )
    if len(days) > MAX_LOOK_BACKS:
        raise ValidationError(
            "lookBackDays", f"at most {MAX_LOOK_BACKS} look-backs: each one re-requests every window"
        )
    return days


def _cited(rules: ReportTypeRules) -> str:
    return "; source: " + ", ".join(source.url for source in rules.sources)


def _replace_existing_schedule(value: Any, mode: PlanMode) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ValidationError("replaceExistingSchedule", "must be true or false")
    if value and mode is not PlanMode.AMAZON_SCHEDULE:
        raise ValidationError("replaceExistingSchedule", "applies to mode amazon-schedule only")
    return value


def _check_requestable(report_type: str, rules: ReportTypeRules, mode: PlanMode) -> None:
    """A plan pulls with createReport or a schedule: a type neither makes is refused, saying how to get it
    instead; a schedule-only type needs mode amazon-schedule."""
    if rules.request_mode in (RequestMode.AMAZON_GENERATED, RequestMode.SELLER_CENTRAL_GENERATED):
        raise ApiError(
            400,
            "ReportTypeNotRequestable",
            f"{report_type} cannot be requested or scheduled: {rules.how_to_get}. "
            + (
                "A plan finds such reports with mode discover"
                if rules.request_mode is RequestMode.AMAZON_GENERATED
                else "A plan cannot pull it"
            )
            + _cited(rules),
        )
    if rules.request_mode is RequestMode.SCHEDULED_ONLY and mode is not PlanMode.AMAZON_SCHEDULE:
        raise ApiError(
            400,
            "ReportTypeNotRequestable",
            f"{report_type} cannot be requested with createReport: {rules.how_to_get}. Use mode "
            f"amazon-schedule (Amazon's schedule makes each window's report){_cited(rules)}",
        )


def _check_schedulable(
    report_type: str,
    rules: ReportTypeRules,
    marketplace_ids: tuple[str, ...],
    look_back_days: tuple[int, ...],
) -> None:
    """What an amazon-schedule plan needs: one schedule (Amazon keeps one per type and set of marketplaces:
    createReportSchedule replaces another, reports_2021-06-30.json), and createReport for its look-backs."""
    if rules.single_marketplace and len(marketplace_ids) > 1:
        raise ApiError(
            400,
            "ScheduleNeedsOneLane",
            f"{report_type} is made for one marketplace at a time, so {len(marketplace_ids)} marketplaces "
            "would need as many Amazon schedules: with mode amazon-schedule create one plan per "
            f"marketplace{_cited(rules)}",
        )
    if look_back_days and rules.request_mode is RequestMode.SCHEDULED_ONLY:
        raise ApiError(
            400,
            "LookBackNotRequestable",
            f"look-backs are re-pulls requested with createReport, and {report_type} cannot be requested: "
            f"{rules.how_to_get}. Leave lookBackDays out{_cited(rules)}",
        )


def _check_discoverable(
    report_type: str, rules: ReportTypeRules | None, look_back_days: tuple[int, ...]
) -> None:
    """Mode discover takes the types Amazon generates by itself (settlement: createReport refuses them and
    getReports lists them, selling-partner-api-docs#1633); a type createReport makes is pulled window by
    window instead, and a type nobody makes without being asked would never be found."""
    purpose = "mode discover is for the report types Amazon generates by itself (settlement reports)"
    if rules is None:
        raise ApiError(
            400,
            "ReportTypeNotDiscoverable",
            f"{purpose}, and the report-type catalogue does not know {report_type} as one of them; a type "
            "createReport makes is pulled with mode request (or leave mode out)",
        )
    if rules.request_mode is RequestMode.REQUESTABLE:
        raise ApiError(
            400,
            "ReportTypeRequestable",
            f"{purpose}; createReport makes {report_type}: use mode request (or leave mode out)"
            + _cited(rules),
        )
    if rules.request_mode is not RequestMode.AMAZON_GENERATED:
        raise ApiError(
            400,
            "ReportTypeNotDiscoverable",
            f"{purpose}; {report_type}: {rules.how_to_get}{_cited(rules)}",
        )
    if look_back_days:
        raise ValidationError(
            "lookBackDays",
            "a discover plan has no look-backs: Amazon makes each of its reports once, and there is no "
            "later version to pull; leave lookBackDays out",
        )


def _days(value: timedelta) -> str:
    days = value / _DAY
    return f"{days:g} day{'s' if days != 1 else ''}"


def _check_cadence(
    report_type: str, rules: ReportTypeRules, cadence: Cadence, report_options: Mapping[str, str]
) -> None:
    maximum = rules.effective_max_range(report_options)
    if maximum is not None and cadence.longest > maximum:
        shorter = [c.value for c in Cadence if c.longest <= maximum]
        raise ApiError(
            400,
            "ReportRangeTooLong",
            f"{report_type} covers at most {_days(maximum)} per report and a {cadence} window is up to "
            f"{_days(cadence.longest)}; SP-API fails longer requests (FATAL). Choose cadence "
            f"{' or '.join(shorter)}{_cited(rules)}",
        )
    period = rules.period_rule(report_options)
    if (
        period is not None
        and period.alignment is PeriodAlignment.SUNDAY_TO_SATURDAY
        and cadence is not Cadence.WEEKLY
    ):
        raise ApiError(
            400,
            "ReportPeriodMisaligned",
            f"{report_type} with reportPeriod {report_options.get('reportPeriod')} covers whole "
            f"Sunday-Saturday weeks: use cadence weekly{_cited(rules)}",
        )


def check_start_date(plan: PullPlan, now: datetime) -> None:
    """400 StartDateTooOld when SP-API no longer keeps the plan's type's data of its start date at `now`."""
    if plan.rules is not None:
        _check_start(plan.report_type, plan.rules, plan.start_date, now)


def _check_start(report_type: str, rules: ReportTypeRules, start_date: date, now: datetime) -> None:
    if rules.data_history is None:
        return
    earliest = (now.astimezone(UTC) - rules.data_history).date()
    if start_date < earliest:
        raise ApiError(
            400,
            "StartDateTooOld",
            f"SP-API keeps {report_type}'s data for {_days(rules.data_history)}: the earliest start date "
            f"today is {earliest.isoformat()}, not {start_date.isoformat()}{_cited(rules)}",
        )


def _check_look_backs(report_type: str, rules: ReportTypeRules, look_back_days: tuple[int, ...]) -> None:
    hold_back = rules.hold_back
    early = [day for day in look_back_days if day * _DAY <= hold_back]
    if early:
        raise ApiError(
            400,
            "LookBackTooShort",
            f"a window of {report_type} is first pulled {hold_back / timedelta(hours=1):g} hours after it "
            f"ends (its data lag); a look-back of {', '.join(map(str, early))} day(s) would pull the same "
            f"data again: use look-backs longer than that{_cited(rules)}",
        )
