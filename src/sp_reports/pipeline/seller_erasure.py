"""Offboarding: erase everything the stack keeps about a seller.

`SellerErasure.erase` (DELETE /sellers/{sellerId}, `sp-reports sellers delete`) removes, in this order:
1. the seller's REPORT_PROCESSING_FINISHED subscriptions that deliver to this stack's queue, in every region,
   and the Amazon report schedules its pull plans created (mode amazon-schedule: cancelReportSchedule), while
   the seller's refresh token still exists (both calls need the seller's token: notifications.json,
   reports_2021-06-30.json);
   when SP-API or LWA refuses or cannot be reached, the answer says so and the erasure goes on;
2. the token item (tokens table);
3. every item of the reports table that is the seller's: its report records (attribute SellerId), its request
   intents (`request-intents#<seller>#...`), its daily budgets (`report-budget#<seller>#...`), its sweep state
   (`sweep-seller#<seller>`), its report type cooldowns (`report-cooldown#<seller>`, not counted in the
   answer: when the seller may next request a type, no data of the seller's) and the sweep cursor when it
   names the seller;
4. the seller's pull plans, deleted ones too, with their ledgers (pull plans table: `PullStore.erase_seller`);
5. every object version and delete marker under the seller's prefixes (`seller_object_prefixes`) of the
   versioned bucket: `<seller>/` (one-off reports), `plans/<seller>/` (pull plans' windows) and, for every
   analytics table, `curated/<table>/seller_id=<seller>/` (the report converter's Parquet files:
   table_schemas.curated_seller_prefix; found by listing, so they go even when the report records that named
   them have expired); ListObjectVersions page by page, DeleteObjects in batches of at most 1,000 keys, the
   most one request takes (S3 API Reference, DeleteObjects, "you can delete up to 1,000 objects"); a per-key
   error in its answer fails the erasure, naming the key's error code, so that nothing is claimed erased that
   is not.

`SellerErasure.revoke` (a seller's APPLICATION_OAUTH_CHANGED deauthorisation) removes the token and stops
future work: without a token nothing is requested, swept or fetched for the seller (its pull plans' windows
wait for a token, and the coverage says so), and its sweep state (and
the sweep cursor when it names the seller) goes too. It reads nothing (no Scan), so the notifications
processor needs only DeleteItem on those keys. Records and stored documents stay until an operator erases
the seller.

Both are idempotent: a second call finds nothing and answers zeros. Nothing of another seller is read or
written: items are chosen by key prefix or SellerId equality, objects by the prefix `<seller>/` with the
slash (no seller id is a prefix of another's key).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sp_reports.analytics.table_schemas import TABLE_SCHEMAS, curated_seller_prefix
from sp_reports.pipeline.errors import TokenNotFoundError
from sp_reports.pipeline.pull_ledger import PullStore
from sp_reports.pipeline.pull_windows import PLAN_OBJECTS_PREFIX
from sp_reports.pipeline.report_budget import BUDGET_KEY_PREFIX
from sp_reports.pipeline.report_cooldowns import cooldown_key
from sp_reports.pipeline.token_store import validate_seller_id
from sp_reports.spapi.errors import LwaError, SpApiClientError, SpApiError
from sp_reports.spapi.notifications import REPORT_PROCESSING_FINISHED
from sp_reports.spapi.regions import REGIONS, region_of_marketplace

logger = logging.getLogger(__name__)

# DeleteObjects takes at most 1,000 keys per request (S3 API Reference, DeleteObjects).
DELETE_OBJECTS_BATCH = 1000
_INTENT_PREFIX = "request-intents#"
_SWEEP_SELLER_PREFIX = "sweep-seller#"
_SWEEP_CURSOR_KEY = "sweep-cursor#"


def seller_object_prefixes(seller_id: str) -> tuple[str, ...]:
    """The prefixes of the reports bucket that hold the seller's objects, each ending with "/" (so no
    seller id is a prefix of another's): one-off reports, pull plans' windows, each table's curated files."""
    return (
        f"{seller_id}/",
        f"{PLAN_OBJECTS_PREFIX}/{seller_id}/",
        *(curated_seller_prefix(table, seller_id) for table in sorted(TABLE_SCHEMAS)),
    )


class ObjectErasureError(Exception):
    """S3 refused to delete some of the seller's object versions; the message names the first key's error
    code and how many were refused (never a document's content)."""


@dataclass
class ErasureResult:
    """What an erasure removed, counted per kind; `problems` says what it could not reach (per region)."""

    seller_id: str
    tokens: int = 0
    report_records: int = 0
    request_intents: int = 0
    report_budgets: int = 0
    sweep_state: int = 0
    pull_plans: int = 0
    pull_windows: int = 0  # ledger entries: one per window version
    subscriptions: int = 0
    report_schedules: int = 0
    object_versions: int = 0
    delete_markers: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def erased_anything(self) -> bool:
        return any(self.counts().values())

    def counts(self) -> dict[str, int]:
        return {
            "tokens": self.tokens,
            "reportRecords": self.report_records,
            "requestIntents": self.request_intents,
            "reportBudgets": self.report_budgets,
            "sweepState": self.sweep_state,
            "pullPlans": self.pull_plans,
            "pullWindows": self.pull_windows,
            "subscriptions": self.subscriptions,
            "reportSchedules": self.report_schedules,
            "objectVersions": self.object_versions,
            "deleteMarkers": self.delete_markers,
        }

    def to_answer(self) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "sellerId": self.seller_id,
            "erased": self.counts(),
            "nothingToErase": not self.erased_anything,
        }
        if self.problems:
            answer["notErased"] = list(self.problems)
        return answer


# region code -> a Notifications client acting for the seller (raises TokenNotFoundError without a token).
NotificationsFor = Callable[[str], Any]
# region code -> a Reports client acting for the seller (raises TokenNotFoundError without a token).
ReportsFor = Callable[[str], Any]


class SellerErasure:
    def __init__(
        self,
        *,
        tokens_table: str,
        reports_table: str,
        dynamodb_client: Any,
        bucket: str | None = None,
        s3_client: Any = None,
        queue_arn: str | None = None,
        pull_plans_table: str | None = None,
    ) -> None:
        self._tokens_table = tokens_table
        self._reports_table = reports_table
        self._bucket = bucket
        self._dynamodb = dynamodb_client
        self._s3 = s3_client
        self._queue_arn = queue_arn
        self._pull_store = None if pull_plans_table is None else PullStore(pull_plans_table, dynamodb_client)

    # -- the two entry points ---------------------------------------------------------------------------

    def erase(
        self,
        seller_id: str,
        notifications_for: NotificationsFor | None = None,
        reports_for: ReportsFor | None = None,
    ) -> ErasureResult:
        validate_seller_id(seller_id)
        if self._bucket is None or self._s3 is None or self._pull_store is None:
            raise RuntimeError("this SellerErasure has no bucket or pull plans table: it can only revoke")
        result = ErasureResult(seller_id)
        if notifications_for is not None:
            self._erase_subscriptions(seller_id, notifications_for, result)  # before the token goes
        if reports_for is not None:
            self._cancel_schedules(seller_id, reports_for, result)  # before the token and the plans go
        result.tokens = self._delete_token(seller_id)
        self._erase_reports_table_items(seller_id, result)
        result.pull_plans, result.pull_windows = self._pull_store.erase_seller(seller_id)
        for prefix in seller_object_prefixes(seller_id):
            self._erase_objects(prefix, result)
        return result

    def revoke(self, seller_id: str) -> ErasureResult:
        validate_seller_id(seller_id)
        result = ErasureResult(seller_id)
        result.tokens = self._delete_token(seller_id)
        result.sweep_state = self._delete_item(f"{_SWEEP_SELLER_PREFIX}{seller_id}")
        self._forget_cursor(seller_id)
        return result

    # -- SP-API subscriptions ---------------------------------------------------------------------------

    def _erase_subscriptions(
        self, seller_id: str, notifications_for: NotificationsFor, result: ErasureResult
    ) -> None:
        for region_code in sorted(REGIONS):
            try:
                client = notifications_for(region_code)
            except TokenNotFoundError:
                return  # no token: nothing of ours can be found with it (and nothing is said about it)
            try:
                result.subscriptions += self._erase_region_subscription(client)
            except (SpApiError, LwaError) as refused:
                # Never the exception's text: an LWA refusal may quote its request.
                code = (
                    getattr(refused, "code", None)
                    or getattr(refused, "error", None)
                    or type(refused).__name__
                )
                status = getattr(refused, "status", None)
                what = f"{code} (HTTP {status})" if status else code
                result.problems.append(
                    f"subscriptions in {region_code}: SP-API or LWA refused or did not answer ({what}); "
                    f"delete the seller's {REPORT_PROCESSING_FINISHED} subscription there by hand"
                )
                logger.warning(
                    "seller's subscription not erased",
                    extra={"seller_id": seller_id, "region_code": region_code, "reason": what},
                )

    def _erase_region_subscription(self, client: Any) -> int:
        try:
            subscription = client.get_subscription(REPORT_PROCESSING_FINISHED)
        except SpApiClientError as refused:
            if refused.status == 404:
                return 0  # the seller has none in this region
            raise
        if self._queue_arn is not None:
            ours = client.find_destination(self._queue_arn)
            if ours is None or subscription.get("destinationId") != ours.get("destinationId"):
                return 0  # another stack's or tool's subscription: not ours to delete
        return int(client.delete_subscription(REPORT_PROCESSING_FINISHED, subscription["subscriptionId"]))

    # -- Amazon report schedules of the seller's pull plans ----------------------------------------------

    def _cancel_schedules(self, seller_id: str, reports_for: ReportsFor, result: ErasureResult) -> None:
        assert self._pull_store is not None
        for plan_id, marketplace_id, schedule_id in self._pull_store.seller_schedules(seller_id):
            region_code = region_of_marketplace(marketplace_id).code
            try:
                reports_for(region_code).cancel_report_schedule(schedule_id)
            except TokenNotFoundError:
                what = "no refresh token is stored"
            except SpApiClientError as refused:
                if refused.status != 404:  # 404: gone already
                    what = f"{refused.code} (HTTP {refused.status})"
                else:
                    continue
            except (SpApiError, LwaError) as failed:
                code = (
                    getattr(failed, "code", None) or getattr(failed, "error", None) or type(failed).__name__
                )
                status = getattr(failed, "status", None)
                what = f"{code} (HTTP {status})" if status else code
            else:
                result.report_schedules += 1
                continue
            result.problems.append(
                f"report schedule {schedule_id} of plan {plan_id} in {region_code}: not cancelled ({what}); "
                "the seller can delete it in Seller Central"
            )
            logger.warning(
                "seller's report schedule not cancelled",
                extra={"seller_id": seller_id, "plan_id": plan_id, "reason": what},
            )

    # -- DynamoDB ---------------------------------------------------------------------------------------

    def _delete_token(self, seller_id: str) -> int:
        answer = self._dynamodb.delete_item(
            TableName=self._tokens_table, Key={"SellerId": {"S": seller_id}}, ReturnValues="ALL_OLD"
        )
        return 1 if answer.get("Attributes") else 0

    def _erase_reports_table_items(self, seller_id: str, result: ErasureResult) -> None:
        intents = f"{_INTENT_PREFIX}{seller_id}#"
        budgets = f"{BUDGET_KEY_PREFIX}{seller_id}#"
        for key in self._seller_items(seller_id, intents, budgets):
            if key.startswith(intents):
                result.request_intents += self._delete_item(key)
            elif key.startswith(budgets):
                result.report_budgets += self._delete_item(key)
            else:
                result.report_records += self._delete_item(key)
        result.sweep_state += self._delete_item(f"{_SWEEP_SELLER_PREFIX}{seller_id}")
        self._delete_item(cooldown_key(seller_id))
        self._forget_cursor(seller_id)

    def _seller_items(self, seller_id: str, intents: str, budgets: str) -> Iterator[str]:
        """The keys of the seller's items, from a Scan (no index by seller; erasures are rare)."""
        pages = self._dynamodb.get_paginator("scan").paginate(
            TableName=self._reports_table,
            ProjectionExpression="ReportId",
            FilterExpression=(
                "begins_with(ReportId, :intents) OR begins_with(ReportId, :budgets) OR SellerId = :seller"
            ),
            ExpressionAttributeValues={
                ":intents": {"S": intents},
                ":budgets": {"S": budgets},
                ":seller": {"S": seller_id},
            },
            ConsistentRead=True,
        )
        for page in pages:
            for item in page.get("Items", []):
                yield item["ReportId"]["S"]

    def _delete_item(self, report_id: str) -> int:
        answer = self._dynamodb.delete_item(
            TableName=self._reports_table, Key={"ReportId": {"S": report_id}}, ReturnValues="ALL_OLD"
        )
        return 1 if answer.get("Attributes") else 0

    def _forget_cursor(self, seller_id: str) -> None:
        """The sweep's cursor names the seller the next run starts with: it must not keep an erased one."""
        # A failed condition: it names another seller, or there is none.
        with contextlib.suppress(self._dynamodb.exceptions.ConditionalCheckFailedException):
            self._dynamodb.delete_item(
                TableName=self._reports_table,
                Key={"ReportId": {"S": _SWEEP_CURSOR_KEY}},
                ConditionExpression="NextSellerId = :seller",
                ExpressionAttributeValues={":seller": {"S": seller_id}},
            )

    # -- S3 ---------------------------------------------------------------------------------------------

    def _erase_objects(self, prefix: str, result: ErasureResult) -> None:
        """Every version and delete marker under `prefix`."""
        batch: list[dict[str, str]] = []
        markers = 0
        for version, is_marker in self._versions(prefix):
            batch.append(version)
            markers += is_marker
            if len(batch) == DELETE_OBJECTS_BATCH:
                self._delete_batch(batch)
                result.object_versions += len(batch) - markers
                result.delete_markers += markers
                batch, markers = [], 0
        if batch:
            self._delete_batch(batch)
            result.object_versions += len(batch) - markers
            result.delete_markers += markers

    def _versions(self, prefix: str) -> Iterator[tuple[dict[str, str], bool]]:
        pages = self._s3.get_paginator("list_object_versions").paginate(Bucket=self._bucket, Prefix=prefix)
        for page in pages:
            for version in page.get("Versions", []):
                yield {"Key": version["Key"], "VersionId": version["VersionId"]}, False
            for marker in page.get("DeleteMarkers", []):
                yield {"Key": marker["Key"], "VersionId": marker["VersionId"]}, True

    def _delete_batch(self, batch: list[dict[str, str]]) -> None:
        # Deleting by version id removes the version for good (no new delete marker): S3 User Guide,
        # "Deleting object versions from a versioning-enabled bucket".
        answer = self._s3.delete_objects(Bucket=self._bucket, Delete={"Objects": batch, "Quiet": True})
        errors = answer.get("Errors") or []
        if errors:
            first = errors[0]
            raise ObjectErasureError(
                f"S3 refused to delete {len(errors)} of {len(batch)} object versions "
                f"(first: {first.get('Key')} version {first.get('VersionId')}: {first.get('Code')})"
            )
