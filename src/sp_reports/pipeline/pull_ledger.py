"""The pull plans table: each plan, the index of when each plan is next due, and the ledger of its windows.

One DynamoDB table, `PK`/`SK` strings, holds a plan and everything that happened to its windows in one item
collection, so a plan's coverage is one Query:

- the plan: PK `plan#<plan_id>`, SK `plan`;
- a ledger entry per window version: PK `plan#<plan_id>`, SK `window#<window key>#v<version:03d>`. Window keys
  start with the window's start (`pull_windows.Window.key`), so a range of windows is a range of sort keys.

The planner finds due plans through the sparse global secondary index `due`: only a plan that is scheduled
carries its attributes, `DueShard` (`due#<n>`, n from a hash of the plan id) and `DueAt` (ISO UTC). A Query
per shard for `DueAt <= now` reads the due plans and nothing else; the shards spread the index's writes and
reads over SHARDS partitions instead of one (a single index key value would be a hot partition: DynamoDB
developer guide, "Using write sharding to distribute workloads evenly" and "Take advantage of sparse
indexes"). A second sparse index, `seller` (`SellerId`, `PlanId`), carries plan items only and lists a
seller's plans.

Exactly one report per window version: `claim` writes the entry only if nobody has (or if its last attempt
failed and its retry time has passed), so two planners never both request the same window version. The
states after that are written by whoever learns them: REQUESTED with the report id (`record_report`), then
STORED, NO_DATA (SP-API's CANCELLED: complete, no data), FAILED (retried after `retry_after`), PARKED or
WAITING_FOR_TOKEN (`settle`). A stored or no-data version never changes again: a later look-back is a new
version.

A discover plan's entries are the reports Amazon made by itself (sp_reports.pipeline.pull_discovery):
`record_discovered` writes one, REQUESTED with its report id, only where none exists (a conditional write),
so a report listed again by a later discovery is never recorded or stored twice; the plan item keeps where
the next discovery's listing starts (`DiscoveredSince`). Such a report cannot be requested again, so a failed
store is retried as a store of the same report (`claim_store_retry`: FAILED -> REQUESTED, one more attempt).

Deleting a plan keeps its item as a tombstone (`Deleted`): it leaves the due index, and listings pass over
it, but it stays in the seller index, so erasing a seller (`erase_seller`) finds the ledgers of its deleted
plans with a Query instead of reading the whole table; the ledger stays readable, and a `POST` of the same
plan brings it back with its ledger.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from sp_reports.pipeline.api_requests import ValidationError
from sp_reports.pipeline.pull_plans import (
    Cadence,
    PlanMode,
    PlanSchedule,
    PullPlan,
    ScheduleIntent,
    ScheduleState,
)
from sp_reports.pipeline.pull_windows import Window, iso_second, parse_iso_second

PLAN_KEY_PREFIX = "plan#"
PLAN_SORT_KEY = "plan"
WINDOW_SORT_PREFIX = "window#"
DUE_INDEX = "due"
SELLER_INDEX = "seller"
DUE_SHARD_PREFIX = "due#"
DISCOVERED_SINCE = "DiscoveredSince"
SCHEDULE_INTENT = "ScheduleIntent"
SCHEDULE_LISTED_SINCE = "ScheduleListedSince"
# Each shard is one partition of the due index; 16 of them spread 10,000 plans due in the same minute over
# 16 partitions (about 625 index writes each), far below a partition's 1,000 writes per second.
SHARDS = 16
REASON_MAX_CHARS = 1000
# BatchWriteItem takes at most 25 requests (DynamoDB API Reference, BatchWriteItem).
BATCH_WRITE_MAX = 25
BATCH_WRITE_ATTEMPTS = 8
# A POST replacing a tombstone that the planner changes meanwhile reads it again, this many times at most.
PUT_PLAN_ATTEMPTS = 5
SCHEDULES_TO_CANCEL = "SchedulesToCancel"
_LIVE_PLAN = "attribute_exists(PK) AND attribute_not_exists(Deleted)"
_SERIALIZER = TypeSerializer()
_DESERIALIZER = TypeDeserializer()
_UPDATABLE = frozenset({"paused", "cadence", "look_back_days", "status_note", "replace_existing_schedule"})


class WindowState(StrEnum):
    CLAIMED = "CLAIMED"  # a planner took the window version and is about to call createReport
    REQUESTED = "REQUESTED"  # SP-API accepted the report: report_id says which
    STORED = "STORED"  # the document is in S3 (s3_key)
    NO_DATA = "NO_DATA"  # SP-API's CANCELLED: the window is complete and has no data
    FAILED = "FAILED"  # the report failed (FATAL, or createReport refused); retried after retry_after
    PARKED = "PARKED"  # failed too often: left alone until an operator looks (reason says why)
    # LWA refused the seller's token; retried after retry_after
    WAITING_FOR_TOKEN = "WAITING_FOR_TOKEN"  # noqa: S105 - a state name, not a secret


FINAL_STATES = frozenset({WindowState.STORED, WindowState.NO_DATA})
RETRYABLE_STATES = frozenset({WindowState.FAILED, WindowState.WAITING_FOR_TOKEN})


class LedgerConflictError(Exception):
    """A ledger write that contradicts what the entry already says (another report for the same version, a
    final entry settled differently, an entry that does not exist)."""


@dataclass(frozen=True)
class LedgerEntry:
    plan_id: str
    window: Window
    version: int
    state: WindowState
    report_id: str | None
    attempts: int  # createReport attempts: claims, less those that stopped for want of the seller's token
    reason: str | None
    retry_after: str | None
    s3_key: str | None
    claimed_at: str
    updated_at: str
    report_schedule_id: str | None = None
    # When this attempt was claimed; a take-over moves claimed_at but not this, so every take-over looks for
    # a report made since the attempt began.
    first_claimed_at: str = ""
    # A discovered report's createdTime: SP-API keeps it 90 days from then (pull_discovery's expiry alarm).
    report_created_at: str | None = None

    @property
    def window_key(self) -> str:
        return self.window.key


def due_shard(plan_id: str) -> int:
    """The due-index shard of a plan (stable: a hash of its id)."""
    return int.from_bytes(hashlib.sha256(plan_id.encode()).digest()[:4], "big") % SHARDS


def entry_sort_key(window_key: str, version: int) -> str:
    return f"{WINDOW_SORT_PREFIX}{window_key}#v{version:03d}"


def _plan_key(plan_id: str) -> dict[str, Any]:
    return {"PK": {"S": PLAN_KEY_PREFIX + plan_id}, "SK": {"S": PLAN_SORT_KEY}}


def _entry_key(plan_id: str, window_key: str, version: int) -> dict[str, Any]:
    return {"PK": {"S": PLAN_KEY_PREFIX + plan_id}, "SK": {"S": entry_sort_key(window_key, version)}}


def _iso(value: datetime | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return iso_second(value)


def _key_of(window: Window | str) -> str:
    return window if isinstance(window, str) else window.key


class PullStore:
    """Plans, the due index and the ledger in the pull plans table (low-level DynamoDB client)."""

    SHARDS = SHARDS

    def __init__(self, table_name: str, dynamodb_client: Any) -> None:
        self._table_name = table_name
        self._dynamodb = dynamodb_client

    # -- plans ------------------------------------------------------------------------------------------

    def put_plan(self, plan: PullPlan) -> tuple[PullPlan, bool]:
        """Store a new plan, due at once unless paused (the next planner tick starts its windows). A plan with
        the same id already stored is answered instead: (existing, False).

        A deleted plan's tombstone is replaced (the plan comes back with its ledger), but an Amazon schedule
        the tombstone still holds (not cancelled yet) is carried into SchedulesToCancel: the planner cancels
        it apart from the plan's own, which the new plan creates as any new plan does. The write is
        conditional on the tombstone as read (its UpdatedAt), so a planner's change meanwhile is not lost."""
        for _ in range(PUT_PLAN_ATTEMPTS):
            tombstone = self._dynamodb.get_item(
                TableName=self._table_name, Key=_plan_key(plan.plan_id), ConsistentRead=True
            ).get("Item")
            if tombstone is not None and "Deleted" not in tombstone:
                return _plan_from_item(tombstone), False
            leftovers = _schedules_left(tombstone) if tombstone else ()
            stored = replace(plan, schedules_to_cancel=leftovers)
            item = _plan_item(stored)
            if not plan.paused or leftovers:
                item.update(_due_attributes(plan.plan_id, plan.created_at or plan.updated_at))
            request: dict[str, Any] = {"TableName": self._table_name, "Item": item}
            if tombstone is None:
                request["ConditionExpression"] = "attribute_not_exists(PK)"
            else:
                request["ConditionExpression"] = "Deleted = :deleted AND UpdatedAt = :updated"
                request["ExpressionAttributeValues"] = {
                    ":deleted": tombstone["Deleted"],
                    ":updated": tombstone.get("UpdatedAt", {"S": ""}),
                }
            try:
                self._dynamodb.put_item(**request)
            except self._dynamodb.exceptions.ConditionalCheckFailedException:
                continue  # created, deleted or changed meanwhile: read it again
            return stored, True
        raise RuntimeError(f"plan {plan.plan_id} kept changing while it was stored; POST it again")

    def get_plan(self, plan_id: str) -> PullPlan | None:
        response = self._dynamodb.get_item(
            TableName=self._table_name, Key=_plan_key(plan_id), ConsistentRead=True
        )
        item = response.get("Item")
        return _plan_from_item(item) if item and "Deleted" not in item else None

    def find_plan(self, plan_id: str) -> tuple[PullPlan, str | None] | None:
        """The plan, deleted or not, and when it was deleted (None while it is live): a deleted plan's
        tombstone keeps its definition, so its coverage stays readable. None: no such plan."""
        response = self._dynamodb.get_item(
            TableName=self._table_name, Key=_plan_key(plan_id), ConsistentRead=True
        )
        item = response.get("Item")
        if not item:
            return None
        deleted = item.get("Deleted")
        return _plan_from_item(item), (deleted["S"] if deleted else None)

    def list_plans(
        self, *, seller_id: str | None = None, limit: int = 100, next_token: str | None = None
    ) -> tuple[list[PullPlan], str | None]:
        """A page of plans (one seller's, or all), in plan id order, and the token of the next page (None:
        the last page). The index holds plan items only, so a page never reads ledger entries."""
        if not 1 <= limit <= 1000:
            raise ValidationError("limit", "must be 1-1000")
        request: dict[str, Any] = {"TableName": self._table_name, "IndexName": SELLER_INDEX, "Limit": limit}
        if next_token is not None:
            request["ExclusiveStartKey"] = _decode_token(next_token, seller_id)
        if seller_id is not None:
            request["KeyConditionExpression"] = "SellerId = :seller"
            request["ExpressionAttributeValues"] = {":seller": {"S": seller_id}}
            response = self._dynamodb.query(**request)
        else:
            response = self._dynamodb.scan(**request)
        # Tombstones are in the index (for erase_seller); DynamoDB filters after the page's Limit, so a page
        # may hold fewer plans than asked for and still have a next one.
        plans = [_plan_from_item(item) for item in response.get("Items", []) if "Deleted" not in item]
        last = response.get("LastEvaluatedKey")
        return plans, (_encode_token(last) if last else None)

    def update_plan(self, plan_id: str, *, now: datetime | None = None, **changes: Any) -> PullPlan | None:
        """Change what may change of a stored plan: paused, cadence, look_back_days, status_note. Pausing
        takes the plan out of the due index; resuming makes it due at once. None: no such plan."""
        unknown = set(changes) - _UPDATABLE
        if unknown:
            raise ValueError(f"plans cannot change {', '.join(sorted(unknown))}")
        stamp = iso_second(now or datetime.now(UTC))
        names = {"#updated": "UpdatedAt"}
        values: dict[str, Any] = {":updated": {"S": stamp}}
        sets = ["#updated = :updated"]
        removes: list[str] = []
        for name, value in changes.items():
            if name == "cadence" and value is None:
                continue  # a discover plan has no cadence, and keeps none
            attribute = _PLAN_ATTRIBUTES[name]
            names[f"#{attribute}"] = attribute
            values[f":{attribute}"] = _SERIALIZER.serialize(_plan_value(name, value))
            sets.append(f"#{attribute} = :{attribute}")
        if "paused" in changes:
            names.update({"#shard": "DueShard", "#due": "DueAt"})
            if changes["paused"]:
                removes += ["#shard", "#due"]
            else:
                values[":shard"] = {"S": DUE_SHARD_PREFIX + str(due_shard(plan_id))}
                values[":due"] = {"S": stamp}
                sets += ["#shard = :shard", "#due = :due"]
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        try:
            response = self._dynamodb.update_item(
                TableName=self._table_name,
                Key=_plan_key(plan_id),
                UpdateExpression=expression,
                ConditionExpression=_LIVE_PLAN,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException:
            return None
        return _plan_from_item(response["Attributes"])

    def delete_plan(self, plan_id: str, *, now: datetime | None = None) -> bool:
        """Delete the plan: it leaves the due index and the listings and `get_plan` no longer finds it; its
        ledger entries stay, so the coverage of what was pulled remains readable. False: no such plan."""
        try:
            self._dynamodb.update_item(
                TableName=self._table_name,
                Key=_plan_key(plan_id),
                UpdateExpression="SET Deleted = :deleted REMOVE DueShard, DueAt",
                ConditionExpression=_LIVE_PLAN,
                ExpressionAttributeValues={":deleted": {"S": iso_second(now or datetime.now(UTC))}},
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def seller_schedules(self, seller_id: str) -> list[tuple[str, str, str]]:
        """(plan id, a marketplace id, report schedule id) of every plan of the seller, deleted ones too,
        that has an Amazon schedule (mode amazon-schedule): what an erasure cancels before the token goes."""
        pages = self._dynamodb.get_paginator("query").paginate(
            TableName=self._table_name,
            IndexName=SELLER_INDEX,
            KeyConditionExpression="SellerId = :seller",
            FilterExpression=f"attribute_exists(ReportScheduleId) OR attribute_exists({SCHEDULES_TO_CANCEL})",
            ProjectionExpression=f"PlanId, MarketplaceIds, ReportScheduleId, {SCHEDULES_TO_CANCEL}",
            ExpressionAttributeValues={":seller": {"S": seller_id}},
        )
        return [
            (item["PlanId"]["S"], item["MarketplaceIds"]["L"][0]["S"], schedule_id)
            for page in pages
            for item in page.get("Items", [])
            for schedule_id in _schedules_left(item)
        ]

    def erase_seller(self, seller_id: str) -> tuple[int, int]:
        """Delete every plan of the seller, deleted ones included, with all their ledger entries: (plans,
        ledger entries) deleted. The seller index holds every plan item of the seller, tombstones too, so a
        Query finds them however large the table is (an index is read eventually consistently: a plan
        created in the same second may be missed, and a second erasure finds it)."""
        plans = entries = 0
        pages = self._dynamodb.get_paginator("query").paginate(
            TableName=self._table_name,
            IndexName=SELLER_INDEX,
            KeyConditionExpression="SellerId = :seller",
            ProjectionExpression="PK",
            ExpressionAttributeValues={":seller": {"S": seller_id}},
        )
        for partition in [item["PK"]["S"] for page in pages for item in page.get("Items", [])]:
            keys = self._collection_keys(partition)
            # The plan item goes last: were the erasure cut short, a new one would still find the plan.
            keys.sort(key=lambda key: key["SK"]["S"] == PLAN_SORT_KEY)
            self._delete_keys(keys)
            plans += 1
            entries += len(keys) - 1
        return plans, entries

    def _collection_keys(self, partition: str) -> list[dict[str, Any]]:
        request: dict[str, Any] = {
            "TableName": self._table_name,
            "KeyConditionExpression": "PK = :plan",
            "ExpressionAttributeValues": {":plan": {"S": partition}},
            "ProjectionExpression": "PK, SK",
            "ConsistentRead": True,
        }
        keys: list[dict[str, Any]] = []
        while True:
            response = self._dynamodb.query(**request)
            keys += [{"PK": item["PK"], "SK": item["SK"]} for item in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                return keys
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _delete_keys(self, keys: list[dict[str, Any]]) -> None:
        for first in range(0, len(keys), BATCH_WRITE_MAX):
            pending = {
                self._table_name: [
                    {"DeleteRequest": {"Key": key}} for key in keys[first : first + BATCH_WRITE_MAX]
                ]
            }
            # Unprocessed requests are sent again after a growing pause, as the BatchWriteItem reference
            # advises (they are what throttling leaves; botocore retries only whole failed calls).
            for attempt in range(BATCH_WRITE_ATTEMPTS):
                pending = self._dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
                if not pending:
                    break
                time.sleep(min(0.05 * 2**attempt, 2.0))
            else:
                raise RuntimeError(
                    f"DynamoDB left {len(pending[self._table_name])} deletes unprocessed after "
                    f"{BATCH_WRITE_ATTEMPTS} attempts; erase the seller again"
                )

    # -- Amazon's schedule of an amazon-schedule plan ----------------------------------------------------

    def set_schedule(
        self,
        plan_id: str,
        schedule: PlanSchedule | None,
        *,
        status_note: str,
        now: datetime,
        off_due_index: bool = False,
    ) -> bool:
        """Record where the plan stands with Amazon's schedule (None: it has none) and the status note that
        says so. A deleted plan's tombstone too: it keeps its schedule's id until the schedule is cancelled.
        `off_due_index` also takes the plan off the due index (its schedule cancelled after a pause or a
        delete). False: no such plan."""
        values: dict[str, Any] = {
            ":note": {"S": status_note[:REASON_MAX_CHARS]},
            ":updated": {"S": iso_second(now)},
        }
        sets = ["StatusNote = :note", "UpdatedAt = :updated"]
        # Whatever the outcome, the intent of a createReportSchedule is settled once it is recorded.
        removes = [
            "ScheduleState",
            "ReportScheduleId",
            "ScheduleCoversFrom",
            "ScheduleRetryAfter",
            SCHEDULE_LISTED_SINCE,  # another schedule's reports are listed from its own start
            SCHEDULE_INTENT,
        ]
        for attribute, value in (_schedule_attributes(schedule) if schedule else {}).items():
            values[f":{attribute}"] = value
            sets.append(f"{attribute} = :{attribute}")
            removes.remove(attribute)
        if off_due_index:
            removes += ["DueShard", "DueAt"]
        try:
            self._dynamodb.update_item(
                TableName=self._table_name,
                Key=_plan_key(plan_id),
                UpdateExpression="SET "
                + ", ".join(sets)
                + (" REMOVE " + ", ".join(removes) if removes else ""),
                ConditionExpression="attribute_exists(PK)",
                ExpressionAttributeValues=values,
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def record_schedule_intent(self, plan_id: str, intent: ScheduleIntent) -> bool:
        """Record the schedule the plan is about to create (before createReportSchedule), so that a run
        stopped after Amazon created it and before `set_schedule` recorded its id adopts it. False: no live
        plan."""
        value = {
            "Period": intent.period,
            "NextReportCreationTime": intent.next_report_creation_time,
            "CoversFrom": intent.covers_from,
            "ReportOptions": {str(k): str(v) for k, v in intent.report_options.items()},
        }
        try:
            self._dynamodb.update_item(
                TableName=self._table_name,
                Key=_plan_key(plan_id),
                UpdateExpression="SET #intent = :intent",
                ConditionExpression=_LIVE_PLAN,
                ExpressionAttributeNames={"#intent": SCHEDULE_INTENT},
                ExpressionAttributeValues={":intent": _SERIALIZER.serialize(value)},
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def schedule_intent(self, plan_id: str) -> ScheduleIntent | None:
        """The createReportSchedule the plan recorded and has not settled (None: none)."""
        item = self._dynamodb.get_item(
            TableName=self._table_name,
            Key=_plan_key(plan_id),
            ProjectionExpression="#intent",
            ExpressionAttributeNames={"#intent": SCHEDULE_INTENT},
            ConsistentRead=True,
        ).get("Item", {})
        if SCHEDULE_INTENT not in item:
            return None
        value = _DESERIALIZER.deserialize(item[SCHEDULE_INTENT])
        return ScheduleIntent(
            period=value["Period"],
            next_report_creation_time=value["NextReportCreationTime"],
            covers_from=value["CoversFrom"],
            report_options=dict(value.get("ReportOptions", {})),
        )

    def forget_schedule_to_cancel(self, plan_id: str, report_schedule_id: str, *, now: datetime) -> None:
        """A schedule of the plan's earlier life is cancelled (or cannot be): off SchedulesToCancel."""
        with contextlib.suppress(self._dynamodb.exceptions.ConditionalCheckFailedException):
            self._dynamodb.update_item(
                TableName=self._table_name,
                Key=_plan_key(plan_id),
                UpdateExpression="SET UpdatedAt = :updated DELETE #left :schedule",
                ConditionExpression="attribute_exists(PK)",
                ExpressionAttributeNames={"#left": SCHEDULES_TO_CANCEL},
                ExpressionAttributeValues={
                    ":schedule": {"SS": [report_schedule_id]},
                    ":updated": {"S": iso_second(now)},
                },
            )

    def set_schedule_listed_since(self, plan_id: str, report_schedule_id: str, since: datetime) -> None:
        """Move where the next listing of the schedule's reports starts forward (never back: a concurrent run
        may have moved it further), only while the plan still has that schedule."""
        with contextlib.suppress(self._dynamodb.exceptions.ConditionalCheckFailedException):
            self._dynamodb.update_item(
                TableName=self._table_name,
                Key=_plan_key(plan_id),
                UpdateExpression="SET #since = :since",
                ConditionExpression=(
                    "ReportScheduleId = :schedule AND (attribute_not_exists(#since) OR #since < :since)"
                ),
                ExpressionAttributeNames={"#since": SCHEDULE_LISTED_SINCE},
                ExpressionAttributeValues={
                    ":since": {"S": iso_second(since)},
                    ":schedule": {"S": report_schedule_id},
                },
            )

    def keep_due_for_schedule(self, plan_id: str, due_at: datetime) -> bool:
        """Keep a paused or deleted plan that still has Amazon's schedule on the due index, so the planner
        cancels the schedule. False: the plan has no schedule (nothing to cancel)."""
        try:
            self._dynamodb.update_item(
                TableName=self._table_name,
                Key=_plan_key(plan_id),
                UpdateExpression="SET DueShard = :shard, DueAt = :due",
                ConditionExpression=(
                    "attribute_exists(PK) AND "
                    f"(attribute_exists(ReportScheduleId) OR attribute_exists({SCHEDULES_TO_CANCEL}))"
                ),
                ExpressionAttributeValues={
                    ":shard": {"S": DUE_SHARD_PREFIX + str(due_shard(plan_id))},
                    ":due": {"S": iso_second(due_at)},
                },
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    # -- the due index ----------------------------------------------------------------------------------

    def set_next_due(self, plan_id: str, due_at: datetime | None) -> None:
        """When the plan is next due (None: never, e.g. paused). A plan that no longer exists is left alone:
        the condition keeps a planner that read it before a delete from writing a plan-less item."""
        if due_at is None:
            expression, values = "REMOVE DueShard, DueAt", None
        else:
            expression = "SET DueShard = :shard, DueAt = :due"
            values = {
                ":shard": {"S": DUE_SHARD_PREFIX + str(due_shard(plan_id))},
                ":due": {"S": iso_second(due_at)},
            }
        request: dict[str, Any] = {
            "TableName": self._table_name,
            "Key": _plan_key(plan_id),
            "UpdateExpression": expression,
            "ConditionExpression": _LIVE_PLAN,
        }
        if values:
            request["ExpressionAttributeValues"] = values
        try:
            self._dynamodb.update_item(**request)
        except self._dynamodb.exceptions.ConditionalCheckFailedException:
            return

    # -- discovery ----------------------------------------------------------------------------------------

    def discovered_since(self, plan_id: str) -> datetime | None:
        """Where the plan's next discovery listing starts (None: it has not discovered yet)."""
        item = self._dynamodb.get_item(
            TableName=self._table_name,
            Key=_plan_key(plan_id),
            ProjectionExpression="#since",
            ExpressionAttributeNames={"#since": DISCOVERED_SINCE},
            ConsistentRead=True,
        ).get("Item", {})
        since = item.get(DISCOVERED_SINCE, {}).get("S")
        return parse_iso_second(since) if since else None

    def set_discovered_since(self, plan_id: str, since: datetime) -> None:
        """Move the plan's discovery watermark forward (never back: a concurrent tick may have moved it
        further); a deleted plan is left alone."""
        with contextlib.suppress(self._dynamodb.exceptions.ConditionalCheckFailedException):
            self._dynamodb.update_item(
                TableName=self._table_name,
                Key=_plan_key(plan_id),
                UpdateExpression="SET #since = :since",
                ConditionExpression=f"{_LIVE_PLAN} AND (attribute_not_exists(#since) OR #since < :since)",
                ExpressionAttributeNames={"#since": DISCOVERED_SINCE},
                ExpressionAttributeValues={":since": {"S": iso_second(since)}},
            )

    def record_discovered(
        self, plan_id: str, window: Window, report_id: str, *, created_time: datetime, now: datetime
    ) -> LedgerEntry | None:
        """A report Amazon made by itself, found for the plan's `window` (version 1: Amazon makes it once):
        REQUESTED with its report id, written only where the window has no entry yet. None: the window
        already has one (this report, recorded by an earlier discovery, or another)."""
        stamp = iso_second(now)
        try:
            response = self._dynamodb.update_item(
                TableName=self._table_name,
                Key=_entry_key(plan_id, window.key, 1),
                UpdateExpression=(
                    "SET PlanId = :plan, WindowKey = :window, Version = :version, #state = :requested, "
                    "ReportId = :report, Attempts = :one, ClaimedAt = :now, FirstClaimedAt = :now, "
                    "UpdatedAt = :now, ReportCreatedAt = :created"
                ),
                ConditionExpression="attribute_not_exists(PK)",
                ExpressionAttributeNames={"#state": "State"},
                ExpressionAttributeValues={
                    ":plan": {"S": plan_id},
                    ":window": {"S": window.key},
                    ":version": {"N": "1"},
                    ":requested": {"S": WindowState.REQUESTED},
                    ":report": {"S": report_id},
                    ":one": {"N": "1"},
                    ":now": {"S": stamp},
                    ":created": {"S": iso_second(created_time)},
                },
                ReturnValues="ALL_NEW",
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException:
            return None
        return _entry_from_item(response["Attributes"])

    def claim_store_retry(
        self, plan_id: str, window_key: str, version: int, report_id: str, *, now: datetime
    ) -> LedgerEntry | None:
        """Take a discovered report's failed store for one more store of the same report (a discover plan's
        report cannot be requested again, but SP-API keeps its document for the type's document retention):
        REQUESTED again with one more attempt, written only while the entry is FAILED with that report and its
        retry time has passed, so one caller wins. The last failure's Reason stays until the new attempt
        settles. None: not failed, not yet due, or taken by another caller."""
        stamp = iso_second(now)
        try:
            response = self._dynamodb.update_item(
                TableName=self._table_name,
                Key=_entry_key(plan_id, window_key, version),
                UpdateExpression=(
                    "SET #state = :requested, ClaimedAt = :now, FirstClaimedAt = :now, UpdatedAt = :now "
                    "REMOVE RetryAfter ADD Attempts :one"
                ),
                ConditionExpression=(
                    "#state = :failed AND ReportId = :report AND "
                    "(attribute_not_exists(RetryAfter) OR RetryAfter <= :now)"
                ),
                ExpressionAttributeNames={"#state": "State"},
                ExpressionAttributeValues={
                    ":requested": {"S": WindowState.REQUESTED},
                    ":failed": {"S": WindowState.FAILED},
                    ":report": {"S": report_id},
                    ":now": {"S": stamp},
                    ":one": {"N": "1"},
                },
                ReturnValues="ALL_NEW",
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException:
            return None
        return _entry_from_item(response["Attributes"])

    def record_scheduled(
        self,
        plan_id: str,
        window: Window,
        report_id: str,
        *,
        attempt: int,
        report_schedule_id: str,
        now: datetime,
    ) -> LedgerEntry | None:
        """The report the plan's Amazon schedule made for `window`, as its version 1: REQUESTED with the
        report id in one write, only where the version has no entry yet, or has the claim `attempt` without a
        report (a claim whose report was never recorded). Never over a failed, waiting or settled entry: a
        retry of the window is the planner's. None: the version belongs to something else."""
        stamp = iso_second(now)
        try:
            response = self._dynamodb.update_item(
                TableName=self._table_name,
                Key=_entry_key(plan_id, window.key, 1),
                UpdateExpression=(
                    "SET PlanId = :plan, WindowKey = :window, Version = :version, #state = :requested, "
                    "ReportId = :report, ReportScheduleId = :schedule, Attempts = :attempt, "
                    "ClaimedAt = if_not_exists(ClaimedAt, :now), "
                    "FirstClaimedAt = if_not_exists(FirstClaimedAt, :now), UpdatedAt = :now"
                ),
                ConditionExpression=(
                    "attribute_not_exists(PK) OR "
                    "(#state = :claimed AND attribute_not_exists(ReportId) AND Attempts = :attempt)"
                ),
                ExpressionAttributeNames={"#state": "State"},
                ExpressionAttributeValues={
                    ":plan": {"S": plan_id},
                    ":window": {"S": window.key},
                    ":version": {"N": "1"},
                    ":requested": {"S": WindowState.REQUESTED},
                    ":claimed": {"S": WindowState.CLAIMED},
                    ":report": {"S": report_id},
                    ":schedule": {"S": report_schedule_id},
                    ":attempt": {"N": str(attempt)},
                    ":now": {"S": stamp},
                },
                ReturnValues="ALL_NEW",
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException:
            return None
        return _entry_from_item(response["Attributes"])

    def due_plans(self, now: datetime, *, shard: int) -> Iterator[str]:
        """The ids of the shard's plans due at `now`, earliest first (the index is eventually consistent: a
        plan set due a moment ago may appear on the next tick)."""
        if not 0 <= shard < SHARDS:
            raise ValueError(f"shard must be 0-{SHARDS - 1}")
        request: dict[str, Any] = {
            "TableName": self._table_name,
            "IndexName": DUE_INDEX,
            "KeyConditionExpression": "DueShard = :shard AND DueAt <= :now",
            "ExpressionAttributeValues": {
                ":shard": {"S": DUE_SHARD_PREFIX + str(shard)},
                ":now": {"S": iso_second(now)},
            },
        }
        while True:
            response = self._dynamodb.query(**request)
            for item in response.get("Items", []):
                yield item["PK"]["S"].removeprefix(PLAN_KEY_PREFIX)
            if "LastEvaluatedKey" not in response:
                return
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    # -- the ledger -------------------------------------------------------------------------------------

    def claim(self, plan_id: str, window: Window, version: int, *, now: datetime) -> LedgerEntry | None:
        """Take the window version for one createReport: written only when nobody has claimed it, or when its
        last attempt failed (or waited for a token) and its retry time has passed. None: it is taken."""
        stamp = iso_second(now)
        try:
            response = self._dynamodb.update_item(
                TableName=self._table_name,
                Key=_entry_key(plan_id, window.key, version),
                UpdateExpression=(
                    "SET #state = :claimed, ClaimedAt = :now, FirstClaimedAt = :now, UpdatedAt = :now, "
                    "PlanId = :plan, "
                    "WindowKey = :window, Version = :version REMOVE ReportId, RetryAfter, S3Key "
                    "ADD Attempts :one"
                ),
                ConditionExpression=(
                    "attribute_not_exists(PK) OR (#state IN (:failed, :waiting) AND "
                    "(attribute_not_exists(RetryAfter) OR RetryAfter <= :now))"
                ),
                ExpressionAttributeNames={"#state": "State"},
                ExpressionAttributeValues={
                    ":claimed": {"S": WindowState.CLAIMED},
                    ":failed": {"S": WindowState.FAILED},
                    ":waiting": {"S": WindowState.WAITING_FOR_TOKEN},
                    ":now": {"S": stamp},
                    ":plan": {"S": plan_id},
                    ":window": {"S": window.key},
                    ":version": {"N": str(version)},
                    ":one": {"N": "1"},
                },
                ReturnValues="ALL_NEW",
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException:
            return None
        return _entry_from_item(response["Attributes"])

    def take_over(
        self, plan_id: str, window_key: str, version: int, *, claimed_at: str, now: datetime
    ) -> LedgerEntry | None:
        """Take over a claim left CLAIMED since `claimed_at` (its planner stopped before createReport or
        before recording the report): only one caller wins, the one that still sees the same claim. It then
        adopts the report if one was made (the request intent, or getReports from the attempt's
        FirstClaimedAt, which a take-over leaves alone) before requesting anything."""
        stamp = iso_second(now)
        try:
            response = self._dynamodb.update_item(
                TableName=self._table_name,
                Key=_entry_key(plan_id, window_key, version),
                UpdateExpression="SET ClaimedAt = :now, UpdatedAt = :now",
                ConditionExpression="#state = :claimed AND ClaimedAt = :claimed_at",
                ExpressionAttributeNames={"#state": "State"},
                ExpressionAttributeValues={
                    ":claimed": {"S": WindowState.CLAIMED},
                    ":claimed_at": {"S": claimed_at},
                    ":now": {"S": stamp},
                },
                ReturnValues="ALL_NEW",
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException:
            return None
        return _entry_from_item(response["Attributes"])

    def release(
        self,
        plan_id: str,
        window_key: str,
        version: int,
        *,
        attempt: int,
        reason: str,
        retry_after: datetime,
        now: datetime,
    ) -> LedgerEntry | None:
        """Give back a claim whose createReport was certainly never sent (the client's own rate limiter
        refused it): FAILED with its attempt given back and `retry_after`, so the next tick claims it again
        rather than the take-over 20 minutes later. Only while the entry is still that attempt's claim
        without a report; None otherwise."""
        stamp = iso_second(now)
        try:
            response = self._dynamodb.update_item(
                TableName=self._table_name,
                Key=_entry_key(plan_id, window_key, version),
                UpdateExpression=(
                    "SET #state = :failed, Reason = :reason, RetryAfter = :retry, UpdatedAt = :now "
                    "ADD Attempts :minus_one"
                ),
                ConditionExpression=(
                    "#state = :claimed AND attribute_not_exists(ReportId) AND Attempts = :attempt"
                ),
                ExpressionAttributeNames={"#state": "State"},
                ExpressionAttributeValues={
                    ":failed": {"S": WindowState.FAILED},
                    ":claimed": {"S": WindowState.CLAIMED},
                    ":reason": {"S": reason[:REASON_MAX_CHARS]},
                    ":retry": {"S": iso_second(retry_after)},
                    ":now": {"S": stamp},
                    ":attempt": {"N": str(attempt)},
                    ":minus_one": {"N": "-1"},
                },
                ReturnValues="ALL_NEW",
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException:
            return None
        return _entry_from_item(response["Attributes"])

    def record_report(
        self,
        plan_id: str,
        window: Window | str,
        version: int,
        report_id: str,
        *,
        now: datetime | None = None,
        report_schedule_id: str | None = None,
    ) -> LedgerEntry:
        """The report SP-API made for the claimed window version. Recording the same report again is a no-op,
        also after the entry was settled (the report's outcome can arrive first); another report for the same
        version raises LedgerConflictError."""
        key = _key_of(window)
        values: dict[str, Any] = {
            ":requested": {"S": WindowState.REQUESTED},
            ":claimed": {"S": WindowState.CLAIMED},
            ":report": {"S": report_id},
            ":now": {"S": iso_second(now or datetime.now(UTC))},
        }
        expression = "SET #state = :requested, ReportId = :report, UpdatedAt = :now"
        if report_schedule_id is not None:
            values[":schedule"] = {"S": report_schedule_id}
            expression += ", ReportScheduleId = :schedule"
        try:
            response = self._dynamodb.update_item(
                TableName=self._table_name,
                Key=_entry_key(plan_id, key, version),
                UpdateExpression=expression,
                ConditionExpression="#state = :claimed OR (#state = :requested AND ReportId = :report)",
                ExpressionAttributeNames={"#state": "State"},
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException:
            existing = self.entry(plan_id, key, version)
            if existing is not None and existing.report_id == report_id:
                return existing
            raise LedgerConflictError(
                f"{plan_id} {key} v{version}: "
                + (
                    "no claimed entry"
                    if existing is None
                    else f"is {existing.state}, report {existing.report_id}"
                )
            ) from None
        return _entry_from_item(response["Attributes"])

    def settle(
        self,
        plan_id: str,
        window_key: str,
        version: int,
        state: WindowState,
        *,
        reason: str | None = None,
        s3_key: str | None = None,
        retry_after: datetime | str | None = None,
        report_id: str | None = None,
        now: datetime | None = None,
        if_report_id: str | None = None,
        if_attempt: int | None = None,
    ) -> LedgerEntry:
        """Write what became of the window version. STORED and NO_DATA are final: settling a final entry again
        the same way is a no-op, any other way raises LedgerConflictError (as does a missing entry).

        The outcome of one attempt's report passes `if_report_id` and `if_attempt`: the entry is written only
        while it holds that report, or holds no report yet and is still that attempt (the outcome may arrive
        before the planner records the report id). Otherwise the entry belongs to a newer attempt and
        LedgerConflictError is raised, so a late outcome of a superseded report never settles a retry."""
        state = WindowState(state)
        names = {"#state": "State"}
        values: dict[str, Any] = {
            ":state": {"S": state},
            ":now": {"S": iso_second(now or datetime.now(UTC))},
            ":stored": {"S": WindowState.STORED},
            ":no_data": {"S": WindowState.NO_DATA},
        }
        sets = ["#state = :state", "UpdatedAt = :now"]
        removes = []
        for attribute, value in (
            ("Reason", reason[:REASON_MAX_CHARS] if reason else None),
            ("S3Key", s3_key),
            ("RetryAfter", _iso(retry_after)),
        ):
            if value is None:
                removes.append(attribute)
            else:
                values[f":{attribute}"] = {"S": value}
                sets.append(f"{attribute} = :{attribute}")
        if report_id is not None:
            values[":report"] = {"S": report_id}
            sets.append("ReportId = :report")
        if state is WindowState.WAITING_FOR_TOKEN:
            # The claim never reached createReport: it is not an attempt.
            values[":minus_one"] = {"N": "-1"}
            sets.append("Attempts = Attempts + :minus_one")
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        condition = "attribute_exists(PK) AND NOT (#state IN (:stored, :no_data))"
        owners = []
        if if_report_id is not None:
            values[":if_report"] = {"S": if_report_id}
            owners.append("ReportId = :if_report")
        if if_attempt is not None:
            values[":if_attempt"] = {"N": str(if_attempt)}
            owners.append("attribute_not_exists(ReportId) AND Attempts = :if_attempt")
        if owners:
            # DynamoDB refuses redundant parentheses: each owner is parenthesised only beside another.
            either = " OR ".join(f"({owner})" for owner in owners) if len(owners) > 1 else owners[0]
            condition += f" AND ({either})"
        try:
            response = self._dynamodb.update_item(
                TableName=self._table_name,
                Key=_entry_key(plan_id, window_key, version),
                UpdateExpression=expression,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException:
            existing = self.entry(plan_id, window_key, version)
            if (
                existing is not None
                and existing.state is state
                and (if_report_id is None or existing.report_id == if_report_id)
            ):
                return existing
            raise LedgerConflictError(
                f"{plan_id} {window_key} v{version}: "
                + (
                    "no such entry"
                    if existing is None
                    else f"is {existing.state} (report {existing.report_id}, attempt {existing.attempts}),"
                    f" not {state} of report {if_report_id} attempt {if_attempt}"
                )
            ) from None
        return _entry_from_item(response["Attributes"])

    def entries(
        self, plan_id: str, *, start: datetime | None = None, end: datetime | None = None
    ) -> list[LedgerEntry]:
        """The plan's ledger entries of the windows starting in [start, end), in window then version order."""
        low = WINDOW_SORT_PREFIX + (iso_second(start) if start else "")
        # '~' sorts after every character of a window key: no end, every window.
        high = WINDOW_SORT_PREFIX + (iso_second(end) if end else "~")
        request: dict[str, Any] = {
            "TableName": self._table_name,
            "KeyConditionExpression": "PK = :plan AND SK BETWEEN :low AND :high",
            "ExpressionAttributeValues": {
                ":plan": {"S": PLAN_KEY_PREFIX + plan_id},
                ":low": {"S": low},
                ":high": {"S": high},
            },
            "ConsistentRead": True,
        }
        found: list[LedgerEntry] = []
        while True:
            response = self._dynamodb.query(**request)
            found += [_entry_from_item(item) for item in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                return found
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def entry(self, plan_id: str, window_key: str, version: int) -> LedgerEntry | None:
        response = self._dynamodb.get_item(
            TableName=self._table_name, Key=_entry_key(plan_id, window_key, version), ConsistentRead=True
        )
        item = response.get("Item")
        return _entry_from_item(item) if item else None


# -- items ------------------------------------------------------------------------------------------------

_PLAN_ATTRIBUTES = {
    "plan_id": "PlanId",
    "seller_id": "SellerId",
    "marketplace_ids": "MarketplaceIds",
    "report_type": "ReportType",
    "cadence": "Cadence",
    "look_back_days": "LookBackDays",
    "report_options": "ReportOptions",
    "start_date": "StartDate",
    "mode": "Mode",
    "paused": "Paused",
    "created_at": "CreatedAt",
    "updated_at": "UpdatedAt",
    "created_by": "CreatedBy",
    "status_note": "StatusNote",
    "replace_existing_schedule": "ReplaceExistingSchedule",
}


def _plan_value(name: str, value: Any) -> Any:
    """A plan field as DynamoDB stores it (lists for tuples, text for enums and dates)."""
    if name in ("marketplace_ids", "look_back_days"):
        return [str(item) if name == "marketplace_ids" else int(item) for item in value]
    if name == "report_options":
        return {str(k): str(v) for k, v in value.items()}
    if name == "start_date":
        return value.isoformat()
    if name in ("paused", "replace_existing_schedule"):
        return bool(value)
    return str(value)


def _plan_item(plan: PullPlan) -> dict[str, Any]:
    item = {"PK": {"S": PLAN_KEY_PREFIX + plan.plan_id}, "SK": {"S": PLAN_SORT_KEY}}
    for name, attribute in _PLAN_ATTRIBUTES.items():
        value = getattr(plan, name)
        if value is not None:  # a discover plan has no cadence: the attribute is left out
            item[attribute] = _SERIALIZER.serialize(_plan_value(name, value))
    if plan.schedule is not None:
        item.update(_schedule_attributes(plan.schedule))
    if plan.schedules_to_cancel:
        item[SCHEDULES_TO_CANCEL] = {"SS": sorted(plan.schedules_to_cancel)}
    return item


def _schedules_left(tombstone: Mapping[str, Any]) -> tuple[str, ...]:
    """The Amazon schedules a deleted plan's tombstone holds that nobody has cancelled yet."""
    left = set(tombstone.get(SCHEDULES_TO_CANCEL, {}).get("SS", []))
    if "ReportScheduleId" in tombstone:
        left.add(tombstone["ReportScheduleId"]["S"])
    return tuple(sorted(left))


def _schedule_attributes(schedule: PlanSchedule) -> dict[str, Any]:
    attributes = {"ScheduleState": {"S": str(schedule.state)}}
    if schedule.report_schedule_id:
        attributes["ReportScheduleId"] = {"S": schedule.report_schedule_id}
    if schedule.covers_from:
        attributes["ScheduleCoversFrom"] = {"S": schedule.covers_from}
    if schedule.retry_after:
        attributes["ScheduleRetryAfter"] = {"S": schedule.retry_after}
    return attributes


def _due_attributes(plan_id: str, due_at: str) -> dict[str, Any]:
    return {"DueShard": {"S": DUE_SHARD_PREFIX + str(due_shard(plan_id))}, "DueAt": {"S": due_at}}


def _plan_from_item(item: Mapping[str, Any]) -> PullPlan:
    value = {name: _DESERIALIZER.deserialize(raw) for name, raw in item.items()}
    return PullPlan(
        plan_id=value["PlanId"],
        seller_id=value["SellerId"],
        marketplace_ids=tuple(value["MarketplaceIds"]),
        report_type=value["ReportType"],
        cadence=Cadence(value["Cadence"]) if "Cadence" in value else None,
        look_back_days=tuple(int(day) for day in value.get("LookBackDays", [])),
        report_options=dict(value.get("ReportOptions", {})),
        start_date=date.fromisoformat(value["StartDate"]),
        mode=PlanMode(value["Mode"]),
        paused=bool(value.get("Paused", False)),
        created_at=value.get("CreatedAt", ""),
        updated_at=value.get("UpdatedAt", ""),
        created_by=value.get("CreatedBy", ""),
        status_note=value.get("StatusNote", ""),
        replace_existing_schedule=bool(value.get("ReplaceExistingSchedule", False)),
        schedule=(
            PlanSchedule(
                ScheduleState(value["ScheduleState"]),
                report_schedule_id=value.get("ReportScheduleId", ""),
                covers_from=value.get("ScheduleCoversFrom", ""),
                retry_after=value.get("ScheduleRetryAfter", ""),
                listed_since=value.get(SCHEDULE_LISTED_SINCE, ""),
            )
            if "ScheduleState" in value
            else None
        ),
        schedules_to_cancel=tuple(sorted(value.get(SCHEDULES_TO_CANCEL, ()))),
    )


def _entry_from_item(item: Mapping[str, Any]) -> LedgerEntry:
    value = {name: _DESERIALIZER.deserialize(raw) for name, raw in item.items()}
    return LedgerEntry(
        plan_id=value["PlanId"],
        window=Window.from_key(value["WindowKey"]),
        version=int(value["Version"]),
        state=WindowState(value["State"]),
        report_id=value.get("ReportId"),
        attempts=int(value.get("Attempts", 0)),
        reason=value.get("Reason"),
        retry_after=value.get("RetryAfter"),
        s3_key=value.get("S3Key"),
        claimed_at=value.get("ClaimedAt", ""),
        updated_at=value.get("UpdatedAt", ""),
        report_schedule_id=value.get("ReportScheduleId"),
        first_claimed_at=value.get("FirstClaimedAt", value.get("ClaimedAt", "")),
        report_created_at=value.get("ReportCreatedAt"),
    )


# -- page tokens ------------------------------------------------------------------------------------------

_TOKEN_KEYS = frozenset({"PK", "SK", "SellerId", "PlanId"})


def _encode_token(last_key: Mapping[str, Any]) -> str:
    plain = {name: raw["S"] for name, raw in last_key.items()}
    return base64.urlsafe_b64encode(json.dumps(plain, sort_keys=True).encode()).decode().rstrip("=")


def _decode_token(token: str, seller_id: str | None) -> dict[str, Any]:
    """The ExclusiveStartKey a token holds. A token of another listing (another seller's, edited, made up)
    is a 400: it could otherwise start a page in somebody else's plans."""
    refused = ValidationError("nextToken", "is not a token this listing returned; start without it")
    try:
        plain = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise refused from None
    if (
        not isinstance(plain, dict)
        or set(plain) != _TOKEN_KEYS
        or not all(isinstance(text, str) for text in plain.values())
        or plain["SK"] != PLAN_SORT_KEY
        or plain["PK"] != PLAN_KEY_PREFIX + plain["PlanId"]
        or (seller_id is not None and plain["SellerId"] != seller_id)
    ):
        raise refused
    return {name: {"S": text} for name, text in plain.items()}
