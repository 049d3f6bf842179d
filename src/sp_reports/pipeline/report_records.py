"""The reports table: one item per SP-API report, keyed by `ReportId`.

The item is the user-visible history of a report: `POST /reports` records it as REQUESTED, the notifications
processor moves it to PROCESSING (or records a report we did not request), the workflow records where the
document was stored and, at the end, one of the terminal statuses DONE, FAILED or CANCELLED, with when its
email was published and whether anybody could receive it.
Every write after the first is conditional, so a late or duplicate notification never moves a finished report
back to PROCESSING.

Request intents: SP-API gives the report id only in createReport's answer, so the record cannot be written
before the report exists, and a record write that fails after createReport would leave a report SP-API
accepted for us looking unrequested. `create_and_record` therefore writes an *intent* first (the report's
specification, `report_specifications`; one item per seller and report type, keyed
`request-intents#<seller>#<type>`, which no report id can be), calls createReport with that specification,
records the report and only then forgets the intent. When the record write fails, the intent stays for
REQUEST_INTENT_LIFETIME_SECONDS and the notifications processor records the announced report as requested from
it (`record_requested_from_intent`), so the report is processed like any other. An intent is not consumed by
a match: a scheduled report of the same seller and type announced in that window is processed too, rather than
risking that it takes our report's place.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from sp_reports.pipeline.document_charsets import StoredCharset
from sp_reports.pipeline.report_specifications import ReportSpecification

DEFAULT_TTL_DAYS = 90  # SP-API keeps reports for 90 days; a record older than its report is of no use.
FAILURE_REASON_MAX_CHARS = 1000
# How long an intent whose record write failed still vouches for a notification of its seller and report type.
# Reports usually finish within minutes; three days covers slow ones and a queue backlog (SQS keeps
# notifications four days by default) while bounding how long same-type scheduled reports are processed too.
REQUEST_INTENT_LIFETIME_SECONDS = 3 * 86400
# BatchGetItem reads at most 100 items per request (DynamoDB API Reference, BatchGetItem); keys it leaves
# unprocessed (throttling) are asked again, with a growing pause, this many times in all.
BATCH_GET_LIMIT = 100
BATCH_GET_ATTEMPTS = 5
_INTENT_KEY_PREFIX = (
    "request-intents#"  # '#' is in no report id (API and notification ids are [A-Za-z0-9._-])
)
_INTENT_ATTRIBUTE_PREFIX = "Intent-"
_INTENT_CREATED_EPOCH = "CreatedEpoch"  # beside the specification's attributes in an intent's map


class ReportStatus(StrEnum):
    REQUESTED = "REQUESTED"
    PROCESSING = "PROCESSING"
    DONE = "DONE"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    # A report SP-API announced that nobody requested through our API (e.g. a scheduled one), left alone
    # because configuration says not to process those.
    SKIPPED = "SKIPPED"


TERMINAL_STATUSES = frozenset({ReportStatus.DONE, ReportStatus.FAILED, ReportStatus.CANCELLED})


class ReportAlreadyRecordedError(Exception):
    def __init__(self, report_id: str) -> None:
        super().__init__(f"report {report_id} is already recorded")
        self.report_id = report_id


@dataclass(frozen=True)
class PullWindowRef:
    """The pull plan window (and version) a report was requested for: its ledger entry
    (sp_reports.pipeline.pull_ledger) is found from the report's record by these. Stored flat on the record as
    PlanId, WindowKey, WindowVersion and WindowAttempt.

    `attempt` is the ledger entry's attempt the report belongs to: an outcome reaching the entry before the
    planner recorded the report id in it settles the entry only when it is still that attempt, so a late
    outcome of a superseded report never settles a newer attempt. It names the same window version, so it
    takes no part in equality."""

    plan_id: str
    window_key: str
    version: int
    attempt: int | None = field(default=None, compare=False)

    def describe(self) -> dict[str, Any]:
        described: dict[str, Any] = {
            "planId": self.plan_id,
            "windowKey": self.window_key,
            "version": self.version,
        }
        if self.attempt is not None:
            described["attempt"] = self.attempt
        return described

    @classmethod
    def from_description(cls, value: Any) -> PullWindowRef | None:
        """From `describe()`'s form (an execution input's); None when absent, ValueError when malformed."""
        if value is None:
            return None
        if (
            not isinstance(value, Mapping)
            or not isinstance(value.get("planId"), str)
            or not isinstance(value.get("windowKey"), str)
            or not isinstance(value.get("version"), int)
            or not isinstance(value.get("attempt", 0), int)
        ):
            raise ValueError("pullWindow: must be {planId, windowKey, version[, attempt]}")
        return cls(value["planId"], value["windowKey"], value["version"], value.get("attempt"))


_PULL_WINDOW_ATTRIBUTES = ("PlanId", "WindowKey", "WindowVersion")


@dataclass(frozen=True)
class ReportRecord:
    report_id: str
    seller_id: str
    report_type: str
    status: ReportStatus
    requested: bool
    created_at: str
    updated_at: str
    region_code: str | None = None
    account_id: str | None = None
    marketplace_ids: tuple[str, ...] = ()
    report_options: Mapping[str, str] = field(default_factory=dict)
    data_start_time: str | None = None
    data_end_time: str | None = None
    processing_status: str | None = None
    report_document_id: str | None = None
    s3_bucket: str | None = None
    s3_key: str | None = None
    object_size: int | None = None
    # The stored document's character set, and how it was decided (document_charsets).
    charset: StoredCharset | None = None
    failure_reason: str | None = None
    # When the outcome email was published, and to how many confirmed subscriptions (None: SNS could not
    # say). NotifiedAt is set only when at least one confirmed subscription received it.
    outcome_published_at: str | None = None
    outcome_recipients: int | None = None
    notified_at: str | None = None
    expires_at: int | None = None
    pull_window: PullWindowRef | None = None
    # The earlier attempts' failures of a report stored again (`reopen_for_retry`), oldest first: each the
    # attempt, its FailureReason, when it finished and when its outcome was published.
    failure_history: tuple[Mapping[str, Any], ...] = ()
    # The analytics conversion's outcome (sp_reports.pipeline.report_conversion): status, curated files and
    # problems, as ConversionOutcome.as_record() gives it. Seller erasure finds the curated objects here.
    conversion: Mapping[str, Any] | None = None

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES


@dataclass(frozen=True)
class ReportRequestIntent:
    """A report about to be (or being) created through our API, before its record exists."""

    intent_id: str
    created_epoch: int
    specification: ReportSpecification


@dataclass(frozen=True)
class CreatedReport:
    """What `create_and_record` did: the report SP-API accepted, and whether its record was written (False:
    the write failed and the intent stands in for it until the notification arrives)."""

    report_id: str
    recorded: bool
    intent_id: str


# A report specification's fields as attributes: a record's (ReportRecord has fields of the same names) and
# the map of an intent.
_SPECIFICATION_ATTRIBUTE_NAMES = {
    "seller_id": "SellerId",
    "region_code": "RegionCode",
    "report_type": "ReportType",
    "marketplace_ids": "MarketplaceIds",
    "report_options": "ReportOptions",
    "data_start_time": "DataStartTime",
    "data_end_time": "DataEndTime",
}
_ATTRIBUTE_NAMES = {
    "report_id": "ReportId",
    **_SPECIFICATION_ATTRIBUTE_NAMES,
    "status": "Status",
    "requested": "Requested",
    "created_at": "CreatedAt",
    "updated_at": "UpdatedAt",
    "account_id": "AccountId",
    "processing_status": "ProcessingStatus",
    "report_document_id": "ReportDocumentId",
    "s3_bucket": "S3Bucket",
    "s3_key": "S3Key",
    "object_size": "ObjectSize",
    "charset": "Charset",
    "failure_reason": "FailureReason",
    "outcome_published_at": "OutcomePublishedAt",
    "outcome_recipients": "OutcomeRecipients",
    "notified_at": "NotifiedAt",
    "expires_at": "ExpiresAt",
    "failure_history": "FailureHistory",
    "conversion": "Conversion",
}
_FIELDS_BY_ATTRIBUTE = {attribute: name for name, attribute in _ATTRIBUTE_NAMES.items()}


def _utc_now_iso(clock: Callable[[], float]) -> str:
    return datetime.fromtimestamp(clock(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _specification_values(specification: ReportSpecification) -> dict[str, Any]:
    """The specification's fields by name, as plain values (a tuple, a dict) for ReportRecord and the item."""
    values = {name: getattr(specification, name) for name in _SPECIFICATION_ATTRIBUTE_NAMES}
    values["report_options"] = dict(specification.report_options)
    return values


class ReportRecords:
    """Records and updates reports in DynamoDB (low-level client, so it works with any boto3 session)."""

    def __init__(
        self,
        table_name: str,
        dynamodb_client: Any,
        *,
        ttl_days: int = DEFAULT_TTL_DAYS,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if ttl_days < 1:
            raise ValueError("ttl_days must be at least 1")
        self._table_name = table_name
        self._dynamodb = dynamodb_client
        self._ttl_seconds = ttl_days * 86400
        self._clock = clock
        self._sleep = sleep
        self._serializer = TypeSerializer()
        self._deserializer = TypeDeserializer()

    # -- creating records -------------------------------------------------------------------------------

    def record_requested(
        self,
        report_id: str,
        specification: ReportSpecification,
        *,
        pull_window: PullWindowRef | None = None,
    ) -> ReportRecord:
        """Record a report created through our API (or by the pull planner for `pull_window`). Raises
        ReportAlreadyRecordedError on a second call."""
        now = _utc_now_iso(self._clock)
        record = ReportRecord(
            report_id=report_id,
            status=ReportStatus.REQUESTED,
            requested=True,
            created_at=now,
            updated_at=now,
            expires_at=int(self._clock()) + self._ttl_seconds,
            pull_window=pull_window,
            **_specification_values(specification),
        )
        self._put_new(record)
        return record

    def create_and_record(
        self,
        specification: ReportSpecification,
        create_report: Callable[[ReportSpecification], str],
        *,
        pull_window: PullWindowRef | None = None,
    ) -> CreatedReport:
        """Record an intent of `specification`, call `create_report` with it (SP-API's createReport,
        returning the report id), record the report as REQUESTED and forget the intent.

        An intent write that fails raises before SP-API is called (nothing was requested). A failing
        `create_report` forgets the intent and raises. A record write that still fails after botocore's
        retries is not raised: SP-API accepted the report, so the answer must carry its id (a retried POST
        would create a second report); the intent makes the notifications processor record it. `recorded`
        says which.
        """
        intent = self.record_intent(specification)
        try:
            report_id = create_report(specification)
        except Exception:
            self._forget_intent_if_possible(intent)
            raise
        try:
            self.record_requested(report_id, specification, pull_window=pull_window)
        except ReportAlreadyRecordedError:
            # The processor recorded it from the intent first: the report is recorded all the same (a plan's
            # window is then added to the record by the planner, which holds the report id in its ledger).
            pass
        except (ClientError, BotoCoreError):
            return CreatedReport(report_id, recorded=False, intent_id=intent.intent_id)
        self._forget_intent_if_possible(intent)
        return CreatedReport(report_id, recorded=True, intent_id=intent.intent_id)

    def record_intent(self, specification: ReportSpecification) -> ReportRequestIntent:
        """Write the intent of a report request (before createReport)."""
        now = int(self._clock())
        intent = ReportRequestIntent(uuid.uuid4().hex, now, specification)
        # An open window's ends are left out; empty options stay an empty map, as intents were always written.
        value = {
            _SPECIFICATION_ATTRIBUTE_NAMES[name]: list(value) if isinstance(value, tuple) else value
            for name, value in _specification_values(specification).items()
            if value is not None
        }
        value[_INTENT_CREATED_EPOCH] = now
        self._dynamodb.update_item(
            TableName=self._table_name,
            Key={"ReportId": {"S": _intent_key(specification.seller_id, specification.report_type)}},
            # ExpiresAt (the table's TTL) lets DynamoDB drop the item once its newest intent is stale; Pending
            # counts the intents, so the last one forgotten can delete the item without racing a new one.
            UpdateExpression="SET #intent = :intent, #expires = :expires ADD #pending :one",
            ExpressionAttributeNames={
                "#intent": _INTENT_ATTRIBUTE_PREFIX + intent.intent_id,
                "#expires": "ExpiresAt",
                "#pending": "Pending",
            },
            ExpressionAttributeValues={
                ":intent": self._serializer.serialize(value),
                ":expires": {"N": str(now + REQUEST_INTENT_LIFETIME_SECONDS)},
                ":one": {"N": "1"},
            },
        )
        return intent

    def find_intent(self, seller_id: str, report_type: str) -> ReportRequestIntent | None:
        """The oldest intent of this seller and report type still within REQUEST_INTENT_LIFETIME_SECONDS."""
        response = self._dynamodb.get_item(
            TableName=self._table_name,
            Key={"ReportId": {"S": _intent_key(seller_id, report_type)}},
            ConsistentRead=True,
        )
        oldest_allowed = int(self._clock()) - REQUEST_INTENT_LIFETIME_SECONDS
        intents = [
            self._intent_from_attribute(name, raw)
            for name, raw in (response.get("Item") or {}).items()
            if name.startswith(_INTENT_ATTRIBUTE_PREFIX)
        ]
        fresh = [intent for intent in intents if intent.created_epoch >= oldest_allowed]
        return min(fresh, key=lambda intent: intent.created_epoch) if fresh else None

    def record_requested_from_intent(
        self, report_id: str, seller_id: str, report_type: str
    ) -> ReportRecord | None:
        """Record an announced report as REQUESTED when a fresh intent of its seller and type vouches for it
        (its record write failed after createReport). None when no intent does."""
        intent = self.find_intent(seller_id, report_type)
        if intent is None:
            return None
        try:
            return self.record_requested(report_id, intent.specification)
        except ReportAlreadyRecordedError:
            return self.get(report_id)

    def _forget_intent_if_possible(self, intent: ReportRequestIntent) -> None:
        """Remove a settled intent, and its item with the last one. Not raised when it fails: the intent then
        expires on its own, and until then it only makes reports of its seller and type count as requested."""
        specification = intent.specification
        key = {"ReportId": {"S": _intent_key(specification.seller_id, specification.report_type)}}
        with contextlib.suppress(ClientError, BotoCoreError):
            left = self._dynamodb.update_item(
                TableName=self._table_name,
                Key=key,
                UpdateExpression="REMOVE #intent ADD #pending :minus_one",
                # Once only (and never creating an item for an intent DynamoDB's TTL already removed).
                ConditionExpression="attribute_exists(#intent)",
                ExpressionAttributeNames={
                    "#intent": _INTENT_ATTRIBUTE_PREFIX + intent.intent_id,
                    "#pending": "Pending",
                },
                ExpressionAttributeValues={":minus_one": {"N": "-1"}},
                ReturnValues="UPDATED_NEW",
            )
            if int(left["Attributes"]["Pending"]["N"]) <= 0:
                self._dynamodb.delete_item(
                    TableName=self._table_name,
                    Key=key,
                    ConditionExpression="#pending <= :zero",  # no intent was added meanwhile
                    ExpressionAttributeNames={"#pending": "Pending"},
                    ExpressionAttributeValues={":zero": {"N": "0"}},
                )

    def _intent_from_attribute(self, name: str, raw: Mapping[str, Any]) -> ReportRequestIntent:
        value = self._deserializer.deserialize(raw)
        specification = ReportSpecification(
            **{
                field_name: value[attribute]
                for field_name, attribute in _SPECIFICATION_ATTRIBUTE_NAMES.items()
                if attribute in value  # an open window's ends are left out
            }
        )
        return ReportRequestIntent(
            name.removeprefix(_INTENT_ATTRIBUTE_PREFIX), int(value[_INTENT_CREATED_EPOCH]), specification
        )

    def record_unrequested(
        self,
        *,
        report_id: str,
        seller_id: str,
        account_id: str,
        report_type: str,
        processing_status: str,
        report_document_id: str | None,
        status: ReportStatus,
    ) -> tuple[ReportRecord, bool]:
        """Record a report announced by SP-API that our API did not create.

        Returns the record as stored and whether this call created it (False: it was already recorded).
        """
        now = _utc_now_iso(self._clock)
        record = ReportRecord(
            report_id=report_id,
            seller_id=seller_id,
            account_id=account_id,
            report_type=report_type,
            status=status,
            requested=False,
            created_at=now,
            updated_at=now,
            processing_status=processing_status,
            report_document_id=report_document_id,
            expires_at=int(self._clock()) + self._ttl_seconds,
        )
        try:
            self._put_new(record)
        except ReportAlreadyRecordedError:
            existing = self.get(report_id)
            if existing is None:  # deleted (TTL) between the two calls: record it now
                self._put_new(record)
                return record, True
            return existing, False
        return record, True

    def _put_new(self, record: ReportRecord) -> None:
        try:
            self._dynamodb.put_item(
                TableName=self._table_name,
                Item=self._to_item(record),
                ConditionExpression="attribute_not_exists(ReportId)",
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException as exc:
            raise ReportAlreadyRecordedError(record.report_id) from exc

    # -- reading ----------------------------------------------------------------------------------------

    def get(self, report_id: str) -> ReportRecord | None:
        response = self._dynamodb.get_item(
            TableName=self._table_name, Key={"ReportId": {"S": report_id}}, ConsistentRead=True
        )
        item = response.get("Item")
        return self._from_item(item) if item else None

    def conversions(self, report_ids: Iterable[str]) -> dict[str, Mapping[str, Any] | None]:
        """Each report's recorded conversion (None: none recorded, or no record), read in batches of 100
        (BatchGetItem's most: DynamoDB API Reference, BatchGetItem) with only ReportId and Conversion."""
        ids = list(dict.fromkeys(report_ids))
        found: dict[str, Mapping[str, Any] | None] = dict.fromkeys(ids)
        for start in range(0, len(ids), BATCH_GET_LIMIT):
            request: dict[str, Any] = {
                self._table_name: {
                    "Keys": [
                        {"ReportId": {"S": report_id}} for report_id in ids[start : start + BATCH_GET_LIMIT]
                    ],
                    "ProjectionExpression": "ReportId, #conversion",
                    "ExpressionAttributeNames": {"#conversion": "Conversion"},
                    "ConsistentRead": True,
                }
            }
            for attempt in range(BATCH_GET_ATTEMPTS):
                answer = self._dynamodb.batch_get_item(RequestItems=request)
                for item in answer.get("Responses", {}).get(self._table_name, []):
                    if "Conversion" in item:
                        conversion = self._deserializer.deserialize(item["Conversion"])
                        found[item["ReportId"]["S"]] = _plain(conversion)
                request = answer.get("UnprocessedKeys") or {}
                if not request:
                    break
                self._sleep(min(2**attempt * 0.05, 1.0))  # throttled: what DynamoDB asks, back off and retry
            else:
                raise ReportRecordsUnavailableError("DynamoDB left report records unread after retries")
        return found

    # -- status changes ---------------------------------------------------------------------------------

    def mark_processing(
        self, report_id: str, *, processing_status: str, report_document_id: str | None, account_id: str
    ) -> bool:
        """Move a report to PROCESSING unless it already finished. Returns False when it had finished."""
        return self._update(
            report_id,
            {
                "Status": ReportStatus.PROCESSING.value,
                "ProcessingStatus": processing_status,
                "ReportDocumentId": report_document_id,
                "AccountId": account_id,
            },
            only_unfinished=True,
        )

    def mark_stored(
        self,
        report_id: str,
        *,
        bucket: str,
        key: str,
        size: int,
        report_document_id: str | None,
        charset: StoredCharset | None = None,
    ) -> None:
        """Record where the document (or FATAL error document) was stored, and its charset when known."""
        values: dict[str, Any] = {
            "S3Bucket": bucket,
            "S3Key": key,
            "ObjectSize": size,
            "ReportDocumentId": report_document_id,
        }
        if charset is not None:
            values["Charset"] = charset.describe()
        self._update(report_id, values)

    def mark_finished(
        self,
        report_id: str,
        status: ReportStatus,
        *,
        failure_reason: str | None = None,
        notified: bool,
        recipients: int | None = None,
    ) -> None:
        """Record a terminal status and, when the outcome email was published (``notified``), when and to how
        many confirmed subscriptions of the topic (``recipients``; None when SNS could not say).

        NotifiedAt says somebody could read the email, so it is set only for at least one confirmed
        recipient: an email subscription receives nothing until its owner confirms it, and SNS deletes it
        unconfirmed after 48 hours (SNS Developer Guide, "Deleting an Amazon SNS subscription and topic")."""
        if status not in TERMINAL_STATUSES:
            raise ValueError(f"{status} is not a terminal status")
        values: dict[str, Any] = {"Status": status.value}
        if failure_reason is not None:
            values["FailureReason"] = failure_reason[:FAILURE_REASON_MAX_CHARS]
        if notified:
            now = _utc_now_iso(self._clock)
            values["OutcomePublishedAt"] = now
            values["OutcomeRecipients"] = recipients  # None removes a stale count
            if recipients:
                values["NotifiedAt"] = now
        self._update(report_id, values)

    def mark_converted(self, report_id: str, conversion: Mapping[str, Any]) -> None:
        """Record the analytics conversion's outcome (a JSON-safe map), replacing an earlier run's: a re-run
        converts again and overwrites the same curated keys. ReportNotRecordedError: not recorded."""
        self._update(report_id, {"Conversion": json.loads(json.dumps(conversion), parse_float=Decimal)})

    def mark_pull_window(self, report_id: str, pull_window: PullWindowRef) -> None:
        """Name the plan window of a recorded report whose record was written without it (recorded from its
        intent, or found by the planner with getReports). ReportNotRecordedError when it is not recorded."""
        values: dict[str, Any] = {
            "PlanId": pull_window.plan_id,
            "WindowKey": pull_window.window_key,
            "WindowVersion": pull_window.version,
        }
        if pull_window.attempt is not None:
            values["WindowAttempt"] = pull_window.attempt
        self._update(report_id, values)

    def reopen_for_retry(self, report_id: str, pull_window: PullWindowRef) -> bool:
        """Reopen a FAILED report of a plan window for another store of the same report (attempt
        `pull_window.attempt`): PROCESSING again with the new WindowAttempt, its failure (reason, when,
        the published outcome) appended to FailureHistory and cleared from the record, so the new attempt's
        outcome is delivered and recorded as its own. Conditional: only a FAILED record of an earlier
        attempt, so one attempt reopens it once. False: not FAILED, or already reopened for the attempt;
        ReportNotRecordedError when it is not recorded."""
        if pull_window.attempt is None:
            raise ValueError("reopen_for_retry: the pull window must name the new attempt")
        record = self.get(report_id)
        if record is None:
            raise ReportNotRecordedError(report_id)
        previous = record.pull_window.attempt if record.pull_window and record.pull_window.attempt else 1
        if record.status is not ReportStatus.FAILED or previous >= pull_window.attempt:
            return False
        failure = {
            "Attempt": previous,
            "FailureReason": record.failure_reason or "",
            "FinishedAt": record.updated_at,
        }
        if record.outcome_published_at:
            failure["OutcomePublishedAt"] = record.outcome_published_at
        try:
            self._dynamodb.update_item(
                TableName=self._table_name,
                Key={"ReportId": {"S": report_id}},
                UpdateExpression=(
                    "SET #status = :processing, WindowAttempt = :attempt, UpdatedAt = :now, "
                    "FailureHistory = list_append(if_not_exists(FailureHistory, :none), :failure) "
                    "REMOVE FailureReason, OutcomePublishedAt, OutcomeRecipients, NotifiedAt"
                ),
                ConditionExpression=(
                    "#status = :failed AND (attribute_not_exists(WindowAttempt) OR WindowAttempt < :attempt)"
                ),
                ExpressionAttributeNames={"#status": "Status"},
                ExpressionAttributeValues={
                    ":processing": {"S": ReportStatus.PROCESSING.value},
                    ":failed": {"S": ReportStatus.FAILED.value},
                    ":attempt": {"N": str(pull_window.attempt)},
                    ":now": {"S": _utc_now_iso(self._clock)},
                    ":none": {"L": []},
                    ":failure": {"L": [self._serializer.serialize(failure)]},
                },
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def quarantine(self, report_id: str, reason: str) -> bool:
        """Record a report FAILED with ``reason`` unless it already finished, storing nothing; returns False
        when it had finished."""
        return self._update(
            report_id,
            {"Status": ReportStatus.FAILED.value, "FailureReason": reason[:FAILURE_REASON_MAX_CHARS]},
            only_unfinished=True,
        )

    def _update(self, report_id: str, values: Mapping[str, Any], *, only_unfinished: bool = False) -> bool:
        values = {**values, "UpdatedAt": _utc_now_iso(self._clock)}
        set_parts, remove_parts = [], []
        names: dict[str, str] = {}
        attribute_values: dict[str, Any] = {}
        for index, (attribute, value) in enumerate(sorted(values.items())):
            names[f"#a{index}"] = attribute
            if value is None:
                remove_parts.append(f"#a{index}")
            else:
                set_parts.append(f"#a{index} = :v{index}")
                attribute_values[f":v{index}"] = self._serializer.serialize(value)
        expression = "SET " + ", ".join(set_parts)
        if remove_parts:
            expression += " REMOVE " + ", ".join(remove_parts)
        condition = "attribute_exists(ReportId)"
        if only_unfinished:
            names["#status"] = "Status"
            for index, status in enumerate(sorted(TERMINAL_STATUSES)):
                attribute_values[f":t{index}"] = {"S": status.value}
            terminal = ", ".join(f":t{index}" for index in range(len(TERMINAL_STATUSES)))
            condition += f" AND NOT #status IN ({terminal})"
        try:
            self._dynamodb.update_item(
                TableName=self._table_name,
                Key={"ReportId": {"S": report_id}},
                UpdateExpression=expression,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=attribute_values,
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException:
            if only_unfinished and self.get(report_id) is not None:
                return False
            raise ReportNotRecordedError(report_id) from None
        return True

    # -- item mapping -----------------------------------------------------------------------------------

    def _to_item(self, record: ReportRecord) -> dict[str, Any]:
        item: dict[str, Any] = {}
        for name, attribute in _ATTRIBUTE_NAMES.items():
            value = getattr(record, name)
            if value is None or (isinstance(value, tuple | dict) and not value):
                continue  # DynamoDB rejects empty sets; absent means "none"
            if isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, ReportStatus):
                value = value.value
            elif isinstance(value, StoredCharset):
                value = value.describe()
            item[attribute] = self._serializer.serialize(value)
        if record.pull_window is not None:
            item.update(_pull_window_attributes(record.pull_window))
        return item

    def _from_item(self, item: Mapping[str, Any]) -> ReportRecord:
        values: dict[str, Any] = {}
        if all(attribute in item for attribute in _PULL_WINDOW_ATTRIBUTES):
            values["pull_window"] = PullWindowRef(
                item["PlanId"]["S"],
                item["WindowKey"]["S"],
                int(item["WindowVersion"]["N"]),
                int(item["WindowAttempt"]["N"]) if "WindowAttempt" in item else None,
            )
        for attribute, raw in item.items():
            name = _FIELDS_BY_ATTRIBUTE.get(attribute)
            if name is None:
                continue  # attributes written by a newer version are ignored, not fatal
            values[name] = self._deserializer.deserialize(raw)
        values["status"] = ReportStatus(values["status"])
        values["marketplace_ids"] = tuple(values.get("marketplace_ids", ()))
        values["report_options"] = dict(values.get("report_options", {}))
        values["failure_history"] = tuple(values.get("failure_history", ()))
        if isinstance(values.get("charset"), Mapping):
            values["charset"] = StoredCharset.from_description(values["charset"])
        else:
            values.pop("charset", None)
        if isinstance(values.get("conversion"), Mapping):
            values["conversion"] = _plain(values["conversion"])
        else:
            values.pop("conversion", None)
        for integer_field in ("object_size", "outcome_recipients", "expires_at"):
            if values.get(integer_field) is not None:
                values[integer_field] = int(values[integer_field])
        return ReportRecord(**values)


def _plain(value: Any) -> Any:
    """A deserialized map as JSON would hold it: DynamoDB's numbers (Decimal) as int or float."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _pull_window_attributes(pull_window: PullWindowRef) -> dict[str, Any]:
    attributes = {
        "PlanId": {"S": pull_window.plan_id},
        "WindowKey": {"S": pull_window.window_key},
        "WindowVersion": {"N": str(pull_window.version)},
    }
    if pull_window.attempt is not None:
        attributes["WindowAttempt"] = {"N": str(pull_window.attempt)}
    return attributes


def _intent_key(seller_id: str, report_type: str) -> str:
    return f"{_INTENT_KEY_PREFIX}{seller_id}#{report_type}"


class ReportRecordsUnavailableError(Exception):
    """DynamoDB did not answer a read of report records within the retries (throttled)."""


class ReportNotRecordedError(Exception):
    def __init__(self, report_id: str) -> None:
        super().__init__(f"report {report_id} is not recorded")
        self.report_id = report_id
