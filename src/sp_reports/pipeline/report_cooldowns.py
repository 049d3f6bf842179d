"""A report type's cooldown: when each seller may next create a report of the type for a marketplace, one fact
that every createReport of ours honours.

SP-API makes a report of a type with a cooldown (the catalogue's `cooldown`: near real-time FBA reports once
per 30 minutes, daily ones once per 4 hours) at most once per that interval for the same marketplaces; a
sooner one ends FATAL (selling-partner-api-models#4032). The SP-API emulator counts any shared marketplace as
the same, the stricter reading, and so do we: a report for marketplaces [A, B] waits while A's cooldown runs.
Two callers can request the same seller's type: POST /reports (sp_reports.pipeline.report_requesting) and the
pull planner, for each of the seller's plans of the type (plans differing only in cadence, look-backs or
report options). So the cooldown is kept in one place, the reports table (both functions write there): the
item `report-cooldown#<seller id>` holds, per report type and marketplace, when its cooldown ends (attribute
`<type>#<marketplace>`, ISO UTC).

`take` is one conditional UpdateItem: it sets the end of every marketplace of the request only when none of
them is cooling down, so two callers never both take the same marketplace's cooldown; the loser learns when it
ends. It is taken before createReport, and given back (`give_back`, conditional on still holding that end)
when createReport certainly made no report (SP-API refused it, LWA refused the token, our rate limiter did not
send it). The item expires (the table's TTL) once the longest cooldown taken with it has long ended, and the
seller's erasure deletes it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sp_reports.pipeline.pull_windows import iso_second, parse_iso_second
from sp_reports.pipeline.report_budget import EXPIRES_ATTRIBUTE, created_nothing
from sp_reports.spapi.errors import SpApiThrottledError
from sp_reports.spapi.report_types import catalogue

COOLDOWN_KEY_PREFIX = "report-cooldown#"
# A createReport is sent within this of taking its cooldown (the SP-API client gives up after its total
# deadline, 60 s, sp_reports.spapi.http, plus its last request's timeout): SP-API counts the cooldown from
# the report's creation, so the next one waits this much longer.
SENT_WITHIN = timedelta(minutes=2)
# Kept this long after its latest take: longer than any catalogue cooldown, so the item never expires while
# one of its cooldowns runs (TTL deletes an item some time after ExpiresAt: it is never read as a fact).
_KEPT = max(
    (rules.cooldown for rules in catalogue().report_types.values() if rules.cooldown),
    default=timedelta(0),
) + timedelta(days=1)


def cooldown_end(cooldown: timedelta, now: datetime) -> datetime:
    """When a cooldown taken at `now` for a createReport sent right after ends."""
    return now + cooldown + SENT_WITHIN


def certainly_no_report(failure: BaseException) -> bool:
    """Whether a failed createReport certainly made no report, so its cooldown may be given back: SP-API
    refused it or it was never sent (sp_reports.pipeline.report_budget.created_nothing), but not SP-API's 429,
    which may end the client's retries after a 5xx or a timeout that made the report."""
    return created_nothing(failure) and not (
        isinstance(failure, SpApiThrottledError) and failure.status is not None
    )


def cooldown_key(seller_id: str) -> str:
    return COOLDOWN_KEY_PREFIX + seller_id


def _names(report_type: str, marketplace_ids: Sequence[str]) -> dict[str, str]:
    return {
        f"#m{index}": f"{report_type}#{marketplace}"
        for index, marketplace in enumerate(sorted(marketplace_ids))
    }


class ReportCooldowns:
    """The sellers' report type cooldowns in the reports table (low-level DynamoDB client)."""

    def __init__(self, table_name: str, dynamodb_client: Any) -> None:
        self._table_name = table_name
        self._dynamodb = dynamodb_client

    def take(
        self,
        seller_id: str,
        report_type: str,
        marketplace_ids: Sequence[str],
        *,
        until: datetime,
        now: datetime,
    ) -> datetime | None:
        """Take the next createReport of the type for these marketplaces: each one's cooldown ends at `until`,
        written only when none of them is cooling down at `now`. None: taken; else when the running cooldown
        of these marketplaces ends (the next chance)."""
        names = _names(report_type, marketplace_ids)
        free = " AND ".join(f"(attribute_not_exists({name}) OR {name} <= :now)" for name in names)
        sets = ", ".join(f"{name} = :until" for name in names)
        try:
            self._dynamodb.update_item(
                TableName=self._table_name,
                Key={"ReportId": {"S": cooldown_key(seller_id)}},
                UpdateExpression=f"SET {sets}, #expires = :expires",
                ConditionExpression=free,
                ExpressionAttributeNames={**names, "#expires": EXPIRES_ATTRIBUTE},
                ExpressionAttributeValues={
                    ":until": {"S": iso_second(until)},
                    ":now": {"S": iso_second(now)},
                    ":expires": {"N": str(int((max(until, now) + _KEPT).timestamp()))},
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException as refused:
            old = refused.response.get("Item") or {}
            ends = [
                parse_iso_second(old[name]["S"])
                for name in names.values()
                if name in old and parse_iso_second(old[name]["S"]) > now
            ]
            # No running end in the answer: given back meanwhile; the next chance is now.
            return max(ends) if ends else now
        return None

    def give_back(
        self, seller_id: str, report_type: str, marketplace_ids: Sequence[str], *, until: datetime
    ) -> None:
        """Give back a cooldown taken with `until` whose createReport certainly made no report: each of the
        marketplaces whose cooldown still ends at `until` (nobody took it since) is free again."""
        for name, attribute in _names(report_type, marketplace_ids).items():
            try:
                self._dynamodb.update_item(
                    TableName=self._table_name,
                    Key={"ReportId": {"S": cooldown_key(seller_id)}},
                    UpdateExpression=f"REMOVE {name}",
                    ConditionExpression=f"{name} = :until",
                    ExpressionAttributeNames={name: attribute},
                    ExpressionAttributeValues={":until": {"S": iso_second(until)}},
                )
            except self._dynamodb.exceptions.ConditionalCheckFailedException:
                continue  # taken again since, or never held: not ours to give back
