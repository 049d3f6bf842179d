"""What the report sweep remembers between runs, kept in the reports table beside the report records.

One item per seller, keyed `sweep-seller#<seller>` ('#' is in no report id, as for the request intents):
- `Type-<region>-<reportType>`: when our API last requested a report of that type in that region (epoch
  seconds). getReports needs 1-10 report types (reports_2021-06-30.json: "Either reportTypes or nextToken is
  required"), so the sweep asks for the types we requested; a type unrequested for longer than SP-API keeps
  reports (90 days) is dropped.
- `Since-<region>`: the watermark, getReports' createdSince for the next run. Written first when the seller's
  first report in the region is requested (a little before it, for clock skew), so a new seller is never
  swept back 90 days.
- `RevokedTokenUpdatedAt`: the token's `UpdatedAt` when LWA answered invalid_grant for it; the seller is
  skipped while the stored token is that one, and swept again once POST /tokens replaces it.

One item `sweep-cursor#` holds `NextSellerId`, where the next run starts, so a run that stops before its
timeout resumes with the seller it did not finish and every seller gets its turn.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

_SELLER_KEY_PREFIX = "sweep-seller#"
_CURSOR_KEY = "sweep-cursor#"
_TYPE_PREFIX = "Type-"
_SINCE_PREFIX = "Since-"
_REVOKED = "RevokedTokenUpdatedAt"
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# How far before a seller's first request the first watermark lies: SP-API's clock (createdTime) and ours
# may disagree by a little.
FIRST_WATERMARK_MARGIN = timedelta(minutes=15)
# SP-API keeps reports 90 days (reports_2021-06-30.json, createdSince: "Reports are retained for a maximum of
# 90 days"): a type not requested for longer has nothing left to find.
REPORT_TYPE_MEMORY = timedelta(days=90)


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(_TIME_FORMAT)


def parse_time(value: str) -> datetime:
    """An ISO 8601 date-time (SP-API's createdTime, our watermarks) as an aware datetime."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True)
class RegionSweep:
    region_code: str
    since: datetime
    report_types: Mapping[str, int] = field(default_factory=dict)  # type -> epoch of its last request


@dataclass(frozen=True)
class SellerSweep:
    seller_id: str
    regions: Mapping[str, RegionSweep]
    revoked_token_updated_at: str | None = None


class SweepState:
    def __init__(
        self, table_name: str, dynamodb_client: Any, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._table = table_name
        self._dynamodb = dynamodb_client
        self._clock = clock

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    def note_request(self, seller_id: str, region_code: str, report_type: str) -> None:
        """Our API is about to request a report: the sweep will look for reports of this type, in this region,
        from (at the latest) a little before now."""
        now = self._now()
        self._dynamodb.update_item(
            TableName=self._table,
            Key=_seller_key(seller_id),
            UpdateExpression="SET #type = :now, #since = if_not_exists(#since, :since)",
            ExpressionAttributeNames={
                "#type": f"{_TYPE_PREFIX}{region_code}-{report_type}",
                "#since": f"{_SINCE_PREFIX}{region_code}",
            },
            ExpressionAttributeValues={
                ":now": {"N": str(int(now.timestamp()))},
                ":since": {"S": format_time(now - FIRST_WATERMARK_MARGIN)},
            },
        )

    def seller(self, seller_id: str) -> SellerSweep | None:
        item = self._dynamodb.get_item(
            TableName=self._table, Key=_seller_key(seller_id), ConsistentRead=True
        ).get("Item")
        if not item:
            return None
        since: dict[str, datetime] = {}
        types: dict[str, dict[str, int]] = {}
        for name, value in item.items():
            if name.startswith(_SINCE_PREFIX):
                since[name.removeprefix(_SINCE_PREFIX)] = parse_time(value["S"])
            elif name.startswith(_TYPE_PREFIX):
                region_code, _, report_type = name.removeprefix(_TYPE_PREFIX).partition("-")
                types.setdefault(region_code, {})[report_type] = int(value["N"])
        regions = {
            code: RegionSweep(code, moment, types.get(code, {})) for code, moment in sorted(since.items())
        }
        revoked = item.get(_REVOKED, {}).get("S")
        return SellerSweep(seller_id, regions, revoked)

    def advance(
        self, seller_id: str, region_code: str, since: datetime, *, forget_types: Iterable[str] = ()
    ) -> None:
        """Move the region's watermark forward (never back: a concurrent run may have moved it further) and
        forget report types nobody requested within REPORT_TYPE_MEMORY."""
        names = {"#since": f"{_SINCE_PREFIX}{region_code}"}
        expression = "SET #since = :since"
        forgotten = []
        for index, report_type in enumerate(sorted(forget_types)):
            forgotten.append(f"#t{index}")
            names[f"#t{index}"] = f"{_TYPE_PREFIX}{region_code}-{report_type}"
        if forgotten:
            expression += " REMOVE " + ", ".join(forgotten)
        # Already at or past `since`: nothing to do.
        with contextlib.suppress(self._dynamodb.exceptions.ConditionalCheckFailedException):
            self._dynamodb.update_item(
                TableName=self._table,
                Key=_seller_key(seller_id),
                UpdateExpression=expression,
                ConditionExpression="attribute_exists(#since) AND #since < :since",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={":since": {"S": format_time(since)}},
            )

    def mark_revoked(self, seller_id: str, token_updated_at: str) -> None:
        self._dynamodb.update_item(
            TableName=self._table,
            Key=_seller_key(seller_id),
            UpdateExpression="SET #revoked = :updated",
            ExpressionAttributeNames={"#revoked": _REVOKED},
            ExpressionAttributeValues={":updated": {"S": token_updated_at}},
        )

    def cursor(self) -> str | None:
        item = self._dynamodb.get_item(
            TableName=self._table, Key={"ReportId": {"S": _CURSOR_KEY}}, ConsistentRead=True
        ).get("Item")
        return item["NextSellerId"]["S"] if item and "NextSellerId" in item else None

    def set_cursor(self, seller_id: str | None) -> None:
        key = {"ReportId": {"S": _CURSOR_KEY}}
        if seller_id is None:
            self._dynamodb.delete_item(TableName=self._table, Key=key)
            return
        self._dynamodb.put_item(TableName=self._table, Item={**key, "NextSellerId": {"S": seller_id}})


def _seller_key(seller_id: str) -> dict[str, Any]:
    return {"ReportId": {"S": f"{_SELLER_KEY_PREFIX}{seller_id}"}}
