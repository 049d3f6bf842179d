"""The /plans routes behind the door: create, list, show, change and delete pull plans, and a plan's coverage.

`sp_reports.pipeline.pull_plans.plan_from_request` checks what a plan needs that no AWS call can tell (the
catalogue's rules); this service adds what needs the deployment's state:

- the seller must have a stored refresh token (404 SellerNotFound otherwise, as POST /reports answers);
- the seller's plans stay in one SP-API region. The token store keeps no region: POST /tokens takes none and
  LWA's token answer names none. A refresh token is issued per authorised selling partner account ("Authorize
  Private Applications": "This process generates a refresh token for each authorized account";
  https://developer-docs.amazon.com/sp-api/docs/self-authorization), and an account merged across regions is
  authorised once per region, so one seller id with its one token serves one region's marketplaces. The
  region of a seller's first plan is the seller's region, and a plan naming another region's marketplaces is
  refused (400 MarketplaceOutsideSellerRegion); plan_from_request already refuses a plan spanning regions;
- the reports a day the seller's active plans cause (`windows_per_day`: lanes x (1 + look-backs) / days per
  window) may not exceed the seller's daily report budget (SELLER_DAILY_REPORT_BUDGET, which POST /reports
  spends too): 400 PlanOverReportBudget shows the arithmetic;
- an amazon-schedule plan with replaceExistingSchedule may not share its report type and marketplaces with
  another amazon-schedule plan of the seller (409 ScheduleLaneTaken, naming it): Amazon keeps one schedule
  per type and marketplaces, so the two would replace each other's schedule on every planner tick;
- the caller must be admitted for the plan's seller (the tenant boundary every route checks).

An amazon-schedule plan's schedule is cancelled by the planner (sp_reports.pipeline.pull_schedules): pausing
or deleting such a plan keeps it due while it has one, so the planner's next tick cancels it.

A POST of a body equal to an existing plan's answers that plan (200): a plan's id is the hash of its
definition. DELETE stops the plan's future windows (its entry in the due index goes with it) and keeps its
ledger and everything stored in S3; the deleted plan's coverage stays readable (`deleted: true`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from sp_reports.pipeline.api_requests import ApiError, ValidationError, parse_json_body
from sp_reports.pipeline.pull_coverage import ConversionReader, PlannerPace, coverage
from sp_reports.pipeline.pull_ledger import LedgerEntry
from sp_reports.pipeline.pull_plans import (
    PLAN_ID_HEX,
    PLAN_ID_PREFIX,
    PlanMode,
    PlanSchedule,
    PullPlan,
    check_start_date,
    plan_from_request,
    windows_per_day,
)
from sp_reports.pipeline.telemetry import COUNT, MetricSink, StructuredLogger
from sp_reports.pipeline.tenancy import TenantBoundary, caller_principal
from sp_reports.pipeline.token_store import validate_seller_id
from sp_reports.spapi.regions import region_of_marketplace

PLAN_ID_PATTERN = re.compile(rf"^{PLAN_ID_PREFIX}[0-9a-f]{{{PLAN_ID_HEX}}}\Z")
UPDATABLE_FIELDS = frozenset({"paused", "cadence", "lookBackDays", "replaceExistingSchedule"})
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
# Without `from`, a coverage answers the 31 days up to `to`.
DEFAULT_COVERAGE_DAYS = 31
MAX_NEXT_TOKEN_LENGTH = 2048
_DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}\Z")


def _check_schedule_lane(plan: PullPlan, sellers_plans: list[PullPlan]) -> None:
    """An amazon-schedule plan that may replace the schedule of its type and marketplaces may not share them
    with another of the seller's amazon-schedule plans (409 ScheduleLaneTaken, naming it). Amazon keeps one
    schedule per report type and marketplaces ("If a report schedule with the same report type and
    marketplace IDs already exists, it will be cancelled and replaced with this one", createReportSchedule,
    reports_2021-06-30.json): the replacing plan would cancel the other's schedule, and two replacing plans
    would cancel each other's on every planner tick. Paused plans count: they make a schedule when resumed."""
    if plan.mode is not PlanMode.AMAZON_SCHEDULE or not plan.replace_existing_schedule:
        return
    lane = set(plan.marketplace_ids)
    for other in sellers_plans:
        if (
            other.plan_id != plan.plan_id
            and other.mode is PlanMode.AMAZON_SCHEDULE
            and other.report_type == plan.report_type
            and set(other.marketplace_ids) == lane
        ):
            raise ApiError(
                409,
                "ScheduleLaneTaken",
                f"plan {other.plan_id} already pulls {plan.report_type} for marketplace(s) "
                f"{', '.join(plan.marketplace_ids)} with an Amazon schedule, and Amazon keeps one schedule "
                "per report type and marketplaces (createReportSchedule replaces the existing one, "
                "reports_2021-06-30.json): with replaceExistingSchedule this plan would cancel that plan's "
                f"schedule on every planner tick. Delete or change plan {other.plan_id}, or leave "
                "replaceExistingSchedule false (this plan then waits beside it and requests its windows "
                "itself)",
            )


class PlanStore(Protocol):
    """What the service needs of `sp_reports.pipeline.pull_ledger.PullStore`."""

    def put_plan(self, plan: PullPlan) -> tuple[PullPlan, bool]: ...
    def get_plan(self, plan_id: str) -> PullPlan | None: ...
    def find_plan(self, plan_id: str) -> tuple[PullPlan, str | None] | None: ...
    def list_plans(
        self, *, seller_id: str | None = None, limit: int = 100, next_token: str | None = None
    ) -> tuple[list[PullPlan], str | None]: ...
    def update_plan(
        self, plan_id: str, *, now: datetime | None = None, **changes: Any
    ) -> PullPlan | None: ...
    def delete_plan(self, plan_id: str, *, now: datetime | None = None) -> bool: ...
    def set_next_due(self, plan_id: str, due_at: datetime | None) -> None: ...
    def keep_due_for_schedule(self, plan_id: str, due_at: datetime) -> bool: ...
    def set_schedule(
        self,
        plan_id: str,
        schedule: PlanSchedule | None,
        *,
        status_note: str,
        now: datetime,
        off_due_index: bool = False,
    ) -> bool: ...
    def entries(
        self, plan_id: str, *, start: datetime | None = None, end: datetime | None = None
    ) -> list[LedgerEntry]: ...


class SellerTokens(Protocol):
    def has_token(self, seller_id: str) -> bool: ...


class PlanRequests:
    def __init__(
        self,
        *,
        store: PlanStore,
        tokens: SellerTokens,
        boundary: TenantBoundary,
        seller_daily_budget: int,
        logger: StructuredLogger,
        metrics: MetricSink,
        pace: PlannerPace | None = None,
        restricted_allowed: bool = False,
        conversions: ConversionReader | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._tokens = tokens
        self._boundary = boundary
        self._budget = seller_daily_budget
        self._logger = logger
        self._metrics = metrics
        self._pace = pace or PlannerPace()
        self._restricted_allowed = restricted_allowed
        self._conversions = conversions  # each stored window's conversion, from its report's record
        self._clock = clock

    def answer(self, event: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        """The API event answered: (status, body); ApiError for every refusal."""
        method = str(event.get("httpMethod") or "").upper()
        resource = str(event.get("resource") or "")
        routes: dict[tuple[str, str], Callable[[Mapping[str, Any]], tuple[int, dict[str, Any]]]] = {
            ("POST", "/plans"): self.create,
            ("GET", "/plans"): self.list_plans,
            ("GET", "/plans/{planId}"): self.show,
            ("PATCH", "/plans/{planId}"): self.update,
            ("DELETE", "/plans/{planId}"): self.delete,
            ("GET", "/plans/{planId}/coverage"): self.coverage,
        }
        operation = routes.get((method, resource))
        if operation is None:
            # API Gateway routes only the methods above here; anything else is a wiring fault, said plainly.
            raise ApiError(404, "RouteNotFound", f"no route {method} {resource[:100]}")
        return operation(event)

    # -- routes ----------------------------------------------------------------------------------------------

    def create(self, event: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        now = self._clock()
        # The start date's check depends on the day: the same body repeated after the type's data history has
        # passed its start date still names the plan it made, so the existing plan is answered first.
        plan = plan_from_request(
            parse_json_body(event), now=now, restricted_allowed=self._restricted_allowed, check_start=False
        )
        self._logger.append_keys(seller_id=plan.seller_id, plan_id=plan.plan_id)
        self._boundary.admit(event, plan.seller_id)
        self._require_token(plan.seller_id)
        existing = self._store.get_plan(plan.plan_id)
        if existing is not None:
            self._logger.info("plan exists", extra={"new_plan": False})
            return 200, existing.describe()
        check_start_date(plan, now)
        sellers_plans = list(self._sellers_plans(plan.seller_id))
        _check_region(plan, sellers_plans)
        _check_schedule_lane(plan, sellers_plans)
        self._check_budget(plan, sellers_plans)
        plan = dataclasses.replace(plan, created_by=caller_principal(event))
        # Stored due at once (PullStore.put_plan): the planner's next tick starts its due windows.
        stored, created = self._store.put_plan(plan)
        self._logger.info("plan stored", extra={"new_plan": created})
        self._metrics.add_metric(name="PlansCreated", unit=COUNT, value=int(created))
        return (201 if created else 200), stored.describe()

    def list_plans(self, event: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        query = _query(event)
        seller_id = _optional_seller_id(query.get("sellerId"))
        if seller_id is None and self._boundary.enabled:
            raise ValidationError(
                "sellerId", "is required while tenant isolation is on: list one seller's plans at a time"
            )
        if seller_id is not None:
            self._boundary.admit(event, seller_id)
        limit = _page_size(query.get("limit"))
        next_token = query.get("nextToken") or None
        if next_token is not None and len(next_token) > MAX_NEXT_TOKEN_LENGTH:
            raise ValidationError("nextToken", "is not a token this API answered")
        try:
            plans, following = self._store.list_plans(seller_id=seller_id, limit=limit, next_token=next_token)
        except ValueError:
            raise ValidationError("nextToken", "is not a token this API answered") from None
        return 200, {"plans": [plan.describe() for plan in plans], "nextToken": following}

    def show(self, event: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        return 200, self._plan(event).describe()

    def update(self, event: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        plan = self._plan(event)
        body = parse_json_body(event)
        unknown = sorted(str(name) for name in body if name not in UPDATABLE_FIELDS)
        if unknown:
            raise ValidationError(
                "body",
                f"unknown or unchangeable field(s) {', '.join(unknown)}; a plan's paused (and an "
                "amazon-schedule plan's replaceExistingSchedule) can change and look-backs can be added (for "
                "anything else, delete the plan and create another)",
            )
        if not body:
            raise ValidationError(
                "body", "name at least one of paused, cadence, lookBackDays, replaceExistingSchedule"
            )
        now = self._clock()
        changes: dict[str, Any] = {}
        if "paused" in body:
            if not isinstance(body["paused"], bool):
                raise ValidationError("paused", "must be true or false")
            changes["paused"] = body["paused"]
        if "replaceExistingSchedule" in body:
            if plan.mode is not PlanMode.AMAZON_SCHEDULE:
                raise ValidationError("replaceExistingSchedule", "applies to mode amazon-schedule only")
            if not isinstance(body["replaceExistingSchedule"], bool):
                raise ValidationError("replaceExistingSchedule", "must be true or false")
            changes["replace_existing_schedule"] = body["replaceExistingSchedule"]
        if "cadence" in body or "lookBackDays" in body:
            revised = self._revalidated(plan, body, now)
            check_change_keeps_history(plan, revised)
            changes["cadence"] = revised.cadence
            changes["look_back_days"] = revised.look_back_days
        changed = dataclasses.replace(
            plan,
            paused=changes.get("paused", plan.paused),
            cadence=changes.get("cadence", plan.cadence),
            look_back_days=changes.get("look_back_days", plan.look_back_days),
            replace_existing_schedule=changes.get(
                "replace_existing_schedule", plan.replace_existing_schedule
            ),
        )
        if changed.replace_existing_schedule and not plan.replace_existing_schedule:
            _check_schedule_lane(changed, list(self._sellers_plans(plan.seller_id)))
        if not changed.paused and (plan.paused or changed != plan):
            # Resuming, or asking for more windows: the budget is checked again with the plan as it would be.
            self._check_budget(changed, list(self._sellers_plans(plan.seller_id)))
        # Pausing takes the plan out of the due index, resuming makes it due at once (PullStore.update_plan).
        updated = self._store.update_plan(plan.plan_id, now=now, **changes)
        if updated is None:
            raise _plan_not_found(plan.plan_id)
        if "paused" not in changes and not updated.paused:
            # New cadence, look-backs or leave to replace a schedule: due at once, so that the planner reads
            # the plan again.
            self._store.set_next_due(updated.plan_id, now)
        if updated.paused:
            # Amazon's schedule of the plan, if it has one, is cancelled by the planner's next tick.
            self._store.keep_due_for_schedule(updated.plan_id, now)
        elif plan.paused and updated.schedule is not None and not updated.schedule.report_schedule_id:
            # Resumed after Amazon refused the schedule or another one held its place: tried again.
            self._store.set_schedule(updated.plan_id, None, status_note="", now=now)
            updated = dataclasses.replace(updated, schedule=None, status_note="")
        self._logger.info("plan updated", extra={"changed": sorted(changes)})
        self._metrics.add_metric(name="PlansUpdated", unit=COUNT, value=1)
        return 200, updated.describe()

    def delete(self, event: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        plan = self._plan(event)
        # The plan leaves the due index and the listings; its ledger entries stay (PullStore.delete_plan).
        now = self._clock()
        self._store.delete_plan(plan.plan_id, now=now)
        # Amazon's schedule of the plan, if it has one, is cancelled by the planner's next tick.
        self._store.keep_due_for_schedule(plan.plan_id, now)
        self._logger.info("plan deleted")
        self._metrics.add_metric(name="PlansDeleted", unit=COUNT, value=1)
        return 200, {"planId": plan.plan_id, "deleted": True}

    def coverage(self, event: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        # A deleted plan's coverage stays readable: its tombstone keeps the definition, its ledger stays.
        plan, deleted_at = self._plan_or_tombstone(event)
        query = _query(event)
        now = self._clock()
        to_date = _date(query.get("to"), "to") or now.astimezone(UTC).date()
        from_date = _date(query.get("from"), "from") or max(
            min(plan.start_date, to_date), to_date - timedelta(days=DEFAULT_COVERAGE_DAYS - 1)
        )
        answer = coverage(
            plan,
            self._store,
            from_date,
            to_date,
            now,
            pace=self._pace,
            deleted_at=deleted_at,
            conversions=self._conversions,
        )
        self._metrics.add_metric(name="PlanCoverageQueries", unit=COUNT, value=1)
        return 200, answer

    # -- helpers ---------------------------------------------------------------------------------------------

    def _plan(self, event: Mapping[str, Any]) -> PullPlan:
        """The plan the path names, the caller admitted for its seller; 404 for an unknown plan."""
        plan_id = parse_plan_id(event)
        self._logger.append_keys(plan_id=plan_id)
        plan = self._store.get_plan(plan_id)
        if plan is None:
            raise _plan_not_found(plan_id)
        self._boundary.admit_plan(event, plan_id, plan.seller_id)
        return plan

    def _plan_or_tombstone(self, event: Mapping[str, Any]) -> tuple[PullPlan, str | None]:
        """The plan the path names, deleted or not, and when it was deleted (None: live); 404 for a plan
        never made (or erased with its seller)."""
        plan_id = parse_plan_id(event)
        self._logger.append_keys(plan_id=plan_id)
        found = self._store.find_plan(plan_id)
        if found is None:
            raise _plan_not_found(plan_id)
        plan, deleted_at = found
        self._boundary.admit_plan(event, plan_id, plan.seller_id)
        return plan, deleted_at

    def _require_token(self, seller_id: str) -> None:
        if not self._tokens.has_token(seller_id):
            raise ApiError(
                404,
                "SellerNotFound",
                f"no refresh token is stored for seller {seller_id}; POST /tokens (or the seller's "
                "authorization) first",
            )

    def _sellers_plans(self, seller_id: str) -> Iterator[PullPlan]:
        next_token: str | None = None
        while True:
            plans, next_token = self._store.list_plans(
                seller_id=seller_id, limit=MAX_PAGE_SIZE, next_token=next_token
            )
            yield from plans
            if not next_token:
                return

    def _revalidated(self, plan: PullPlan, body: Mapping[str, Any], now: datetime) -> PullPlan:
        """The plan with the body's cadence and look-backs, checked as a new plan's would be. The start date
        is the plan's own: a start date the type's data history has passed since the plan was made is no
        reason to refuse a change of its cadence, so it is checked as today's."""
        definition = plan.definition()
        definition["startDate"] = max(plan.start_date, now.astimezone(UTC).date()).isoformat()
        for name in ("cadence", "lookBackDays"):
            if name in body:
                definition[name] = body[name]
        return plan_from_request(definition, now=now, restricted_allowed=self._restricted_allowed)

    def _check_budget(self, plan: PullPlan, sellers_plans: list[PullPlan]) -> None:
        others = [other for other in sellers_plans if other.plan_id != plan.plan_id and not other.paused]
        existing = sum(windows_per_day(other) for other in others)
        this = windows_per_day(plan)
        total = existing + this
        if total <= self._budget:
            return
        lanes, look_backs = len(plan.lanes()), len(plan.look_back_days)
        raise ApiError(
            400,
            "PlanOverReportBudget",
            f"seller {plan.seller_id}'s plans would request {total:.2f} reports a day: {existing:.2f} from "
            f"its {len(others)} other active plan(s) + {this:.2f} from this one ({lanes} marketplace "
            f"lane(s) x (1 + {look_backs} look-back(s)) / {plan.cadence.average_days:g} day(s) per "
            f"{plan.cadence} window), over the seller's daily report budget of {self._budget} "
            "(seller_daily_report_budget, which POST /reports spends too); use fewer look-backs or "
            "marketplaces, a longer cadence, pause another plan, or raise the budget",
        )


def parse_plan_id(event: Mapping[str, Any]) -> str:
    value = (event.get("pathParameters") or {}).get("planId")
    if not isinstance(value, str) or not PLAN_ID_PATTERN.match(value):
        raise ValidationError("planId", f"expected {PLAN_ID_PREFIX} and {PLAN_ID_HEX} hex digits")
    return value


def _plan_not_found(plan_id: str) -> ApiError:
    return ApiError(404, "PlanNotFound", f"planId: no plan {plan_id}")


def check_change_keeps_history(plan: PullPlan, revised: PullPlan) -> None:
    """A change may not give the plan's ledger and stored objects another meaning. Windows are named by the
    cadence's periods, so another cadence names windows the ledger never saw (a second backfill of the whole
    history, new objects beside the old). Versions are numbered by position (version k+1 is the k-th
    look-back, `pull_windows.version_due_times`), so only look-backs longer than every existing one keep each
    stored version's number meaning the same offset."""
    if revised.cadence is not plan.cadence:
        raise ApiError(
            400,
            "PlanChangeNotSupported",
            f"cadence: plan {plan.plan_id} is {plan.cadence}, and its ledger and stored objects are "
            f"{plan.cadence} windows; a {revised.cadence} plan is another plan: delete this one and create "
            "a new one (its ledger and objects stay readable)",
        )
    kept = revised.look_back_days[: len(plan.look_back_days)]
    if kept != plan.look_back_days:
        current = list(plan.look_back_days)
        raise ApiError(
            400,
            "PlanChangeNotSupported",
            f"lookBackDays: versions are numbered by look-back (version k+1 is the k-th look-back), so the "
            f"plan's look-backs {current} stay and only longer ones can be added: send {current} followed by "
            "the new ones; to change or remove a look-back, delete the plan and create a new one (its ledger "
            "and objects stay readable)",
        )


def _check_region(plan: PullPlan, sellers_plans: list[PullPlan]) -> None:
    region = region_of_marketplace(plan.marketplace_ids[0]).code
    others = sorted({region_of_marketplace(other.marketplace_ids[0]).code for other in sellers_plans})
    if others and region not in others:
        raise ApiError(
            400,
            "MarketplaceOutsideSellerRegion",
            f"marketplaceIds: seller {plan.seller_id}'s plans are in SP-API region {', '.join(others)} and "
            f"{', '.join(plan.marketplace_ids)} are in {region}; a seller id and its refresh token serve one "
            "selling partner account, authorised per region: store the other region's account under its own "
            "seller id (POST /tokens) and plan its marketplaces there",
        )


def _query(event: Mapping[str, Any]) -> Mapping[str, str]:
    query = event.get("queryStringParameters") or {}
    return {str(key): str(value).strip() for key, value in query.items() if value is not None}


def _optional_seller_id(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return validate_seller_id(value)
    except ValueError:
        raise ValidationError(
            "sellerId", "expected 8-20 upper-case letters or digits, e.g. A3TH9S8BH6GOGM"
        ) from None


def _page_size(value: str | None) -> int:
    if not value:
        return DEFAULT_PAGE_SIZE
    if not value.isdigit() or not 1 <= int(value) <= MAX_PAGE_SIZE:
        raise ValidationError("limit", f"must be a whole number from 1 to {MAX_PAGE_SIZE}")
    return int(value)


def _date(value: str | None, name: str) -> date | None:
    if not value:
        return None
    problem = "expected a date such as 2026-01-31 (YYYY-MM-DD, UTC)"
    if not _DATE_PATTERN.match(value):
        raise ValidationError(name, problem)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError(name, problem) from None
