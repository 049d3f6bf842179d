"""Daily budgets of SP-API reports: how many createReport calls POST /reports may make in one UTC day for one
seller, and for one caller (the IAM principal that signed the request, whichever sellers it acts for).

Every report costs the stack a workflow execution, a store of up to gigabytes and a month of S3; the budgets
cap what one seller, and what one caller across all its sellers, can spend per day, whatever the stage-wide
throttle lets through (API Gateway throttles per client only by API key, which an AWS_IAM API does not use:
the caller's budget is that per-caller limit, kept in the door). They count the reports a request would create
after the catalogue's planning (report_plans: windows and marketplaces split, recent reports reused), so one
request that becomes 15 reports spends 15 of each.

The counts live in the reports table beside the report records, one item per seller or caller and UTC day,
keyed `report-budget#<seller>#<YYYY-MM-DD>` and `caller-report-budget#<principal>#<YYYY-MM-DD>` ('#' is in no
report id, as for the request intents and the sweep's items). The table's key is one string attribute and
its TTL attribute (`ExpiresAt`) already deletes old records, so a day's item needs no table of its own: it
expires a day after its day ends. Spending is one UpdateItem that adds the request's reports under the
condition that the sum stays within the budget, so concurrent requests cannot together exceed it: DynamoDB
applies conditional writes to an item one at a time.
Reports a request planned but never asked SP-API for (the plan stopped at a failure), or that SP-API refused,
are given back.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from sp_reports.pipeline.api_requests import ApiError, iso_timestamp
from sp_reports.pipeline.errors import TokenNotFoundError
from sp_reports.spapi.errors import ConfigurationError, LwaError, SpApiClientError, SpApiThrottledError

logger = logging.getLogger(__name__)

DEFAULT_SELLER_DAILY_REPORT_BUDGET = 200
DEFAULT_CALLER_DAILY_REPORT_BUDGET = 2000
BUDGET_KEY_PREFIX = "report-budget#"
CALLER_BUDGET_KEY_PREFIX = "caller-report-budget#"
COUNT_ATTRIBUTE = "ReportCount"
EXPIRES_ATTRIBUTE = "ExpiresAt"  # the reports table's TTL attribute (terraform/modules/storage)
# DynamoDB deletes expired items within days, not at once; a day's item is never read after its day, so this
# only bounds how long it occupies the table.
_KEPT_AFTER_ITS_DAY = timedelta(days=1)


@dataclass(frozen=True)
class BudgetScope:
    """Whose reports a budget counts, and how its refusal names them."""

    key_prefix: str
    noun: str  # "seller" or "caller", as the refusal names the one it counts for
    error_code: str
    setting: str  # the root variable that sets the budget


SELLER = BudgetScope(BUDGET_KEY_PREFIX, "seller", "SellerReportBudgetExhausted", "seller_daily_report_budget")
CALLER = BudgetScope(
    CALLER_BUDGET_KEY_PREFIX, "caller", "CallerReportBudgetExhausted", "caller_daily_report_budget"
)


def budget_key(subject: str, day: datetime, scope: BudgetScope = SELLER) -> str:
    return f"{scope.key_prefix}{subject}#{day.astimezone(UTC):%Y-%m-%d}"


def next_utc_midnight(now: datetime) -> datetime:
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today + timedelta(days=1)


@dataclass
class Reservation:
    """Reports reserved for one request; `attempted` counts those asked of SP-API."""

    subject: str  # the seller or the caller the budget counts for
    day: datetime
    reserved: int
    attempted: int = 0

    def counting(self, create: Callable[..., Any]) -> Callable[..., Any]:
        """`create` counting each call as spent, unless it failed in a way that made no report: a createReport
        that timed out or met a server error may still have made one."""

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.attempted += 1
            try:
                return create(*args, **kwargs)
            except Exception as failure:
                if created_nothing(failure):
                    self.attempted -= 1
                raise

        return counted


def created_nothing(failure: BaseException) -> bool:
    """SP-API refused the call (4xx, throttling) or it never reached SP-API: LWA, no stored token, or an AWS
    call before createReport (the token's decryption, the request intent; ReportRecords.create_and_record
    raises no AWS failure that comes after createReport)."""
    return isinstance(
        failure,
        SpApiClientError
        | SpApiThrottledError
        | LwaError
        | TokenNotFoundError
        | ConfigurationError
        | ClientError
        | BotoCoreError,
    )


class DailyReportBudget:
    def __init__(
        self,
        table_name: str,
        dynamodb_client: Any,
        budget: int = DEFAULT_SELLER_DAILY_REPORT_BUDGET,
        *,
        scope: BudgetScope = SELLER,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if budget < 1:
            raise ValueError(f"the {scope.noun} daily report budget must be at least 1")
        self._table = table_name
        self._dynamodb = dynamodb_client
        self.budget = budget
        self.scope = scope
        self._clock = clock

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    def spend(self, subject: str, count: int) -> Reservation:
        """Reserve `count` reports of the seller's or caller's budget for today; ApiError 429
        SellerReportBudgetExhausted or CallerReportBudgetExhausted (nothing reserved) when they do not fit."""
        now = self._now()
        if count <= 0:
            return Reservation(subject, now, 0)
        if count > self.budget:
            self._refuse(subject, count, None, now)
        resets = next_utc_midnight(now)
        try:
            self._dynamodb.update_item(
                TableName=self._table,
                Key={"ReportId": {"S": budget_key(subject, now, self.scope)}},
                UpdateExpression="ADD #count :count SET #expires = if_not_exists(#expires, :expires)",
                # count + n <= budget, written as DynamoDB can compare it: count <= budget - n.
                ConditionExpression="attribute_not_exists(#count) OR #count <= :room",
                ExpressionAttributeNames={"#count": COUNT_ATTRIBUTE, "#expires": EXPIRES_ATTRIBUTE},
                ExpressionAttributeValues={
                    ":count": {"N": str(count)},
                    ":room": {"N": str(self.budget - count)},
                    ":expires": {"N": str(int((resets + _KEPT_AFTER_ITS_DAY).timestamp()))},
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException as refused:
            old = refused.response.get("Item") or {}
            spent = int(old[COUNT_ATTRIBUTE]["N"]) if COUNT_ATTRIBUTE in old else None
            self._refuse(subject, count, spent, now)
        return Reservation(subject, now, count)

    def give_back(self, reservation: Reservation) -> None:
        """Return the reserved reports the request never asked SP-API for. A day's count back at zero is
        deleted, so a request that created nothing leaves nothing behind; the delete's condition keeps the
        item when a concurrent request has spent from it meanwhile."""
        unused = reservation.reserved - reservation.attempted
        if unused <= 0:
            return
        key = {"ReportId": {"S": budget_key(reservation.subject, reservation.day, self.scope)}}
        names = {"#count": COUNT_ATTRIBUTE}
        left = self._dynamodb.update_item(
            TableName=self._table,
            Key=key,
            UpdateExpression="ADD #count :unused",
            ConditionExpression="attribute_exists(#count)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={":unused": {"N": str(-unused)}},
            ReturnValues="UPDATED_NEW",
        )["Attributes"][COUNT_ATTRIBUTE]["N"]
        if int(left) == 0:
            with contextlib.suppress(self._dynamodb.exceptions.ConditionalCheckFailedException):
                self._dynamodb.delete_item(
                    TableName=self._table,
                    Key=key,
                    ConditionExpression="#count = :zero",
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues={":zero": {"N": "0"}},
                )

    @contextmanager
    def reserved(self, subject: str, count: int) -> Iterator[Reservation]:
        """Reserve `count` reports around creating them; what was not attempted is given back on the way out,
        whether the plan finished or raised."""
        reservation = self.spend(subject, count)
        try:
            yield reservation
        finally:
            try:
                self.give_back(reservation)
            except (ClientError, BotoCoreError):
                # The reports were created and are answered; the seller or caller only loses the unused
                # reports from today's budget.
                logger.exception("unused reports not given back to the %s's daily budget", self.scope.noun)

    def _refuse(self, subject: str, count: int, spent: int | None, now: datetime) -> None:
        resets = next_utc_midnight(now)
        retry_after = max(1, math.ceil((resets - now).total_seconds()))
        today = (
            f"{spent} of them were created today (UTC)"
            if spent is not None
            else "that is more than one day's budget: ask for a shorter range or fewer marketplaces"
        )
        raise ApiError(
            429,
            self.scope.error_code,
            f"{self.scope.noun} {subject} may have at most {self.budget} SP-API reports created per UTC day "
            f"({self.scope.setting}); {today} and this request needs {count}; the budget resets at "
            f"{iso_timestamp(resets)}, in {retry_after} seconds",
            headers={"Retry-After": str(retry_after)},
        )
