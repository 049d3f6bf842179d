"""REPORT_PROCESSING_FINISHED notifications: parse and validate them, and decide what each one starts.

The checks mirror Amazon's schema (`ReportProcessingFinishedNotification.json`, draft-07) field by field, so
the Lambda needs no schema library; a contract test proves that this parser and the schema agree. Three
deliberate differences:
- `sellerId` may be null (SP-API sends null for vendor groups, although the schema types it as a string);
- `accountId` may be missing when `sellerId` is there: the schema requires it only since it was added on
  2024-03-20 (developer-docs changelog "update-feed_processing_finished-and-report_processing_finished-
  notifications": "a new accountId property"); messages from before carried sellerId alone
  (selling-partner-api-models#2181 shows one), and such a report is still the seller's to process. A message
  with neither says nobody the report belongs to: it is refused, naming the report;
- identifiers that become parts of S3 keys and execution names must be made of safe characters.

SP-API delivers the same notification several times and announces reports nobody requested through our API
(scheduled ones). One execution per report, named after the report id, makes duplicates harmless; a duplicate
that finds the report's execution ended without success has that failure recorded and emailed; unrequested
reports are recorded and, unless configuration says otherwise, left alone.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sp_reports.pipeline.report_records import PullWindowRef, ReportRecord, ReportRecords, ReportStatus
from sp_reports.pipeline.token_store import MAX_TOKEN_CACHE_SECONDS, SELLER_ID_PATTERN, TokenBindings
from sp_reports.spapi.errors import redact
from sp_reports.spapi.notifications import REPORT_PROCESSING_FINISHED
from sp_reports.spapi.report_ids import REPORT_ID_PATTERN, is_key_segment
from sp_reports.spapi.report_types import report_type as report_type_rules
from sp_reports.spapi.reports import FINISHED_STATUSES

# A notification carries only a finished status (docs/spapi-notes.md#statuses).
NOTIFIED_STATUSES = FINISHED_STATUSES
_EXECUTION_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
MAX_EXECUTION_NAME_LENGTH = 80


class InvalidNotificationError(ValueError):
    """The message is not a well-formed REPORT_PROCESSING_FINISHED notification. The message names the JSON
    path at fault and never repeats the body."""


class UnsupportedNotificationError(InvalidNotificationError):
    """A well-formed notification of another type (the queue should only receive ours)."""

    def __init__(self, notification_type: str) -> None:
        super().__init__(f"notificationType: {notification_type!r} is not {REPORT_PROCESSING_FINISHED}")
        self.notification_type = notification_type


@dataclass(frozen=True)
class ReportProcessingFinished:
    notification_id: str
    event_time: str
    report_id: str
    report_type: str
    processing_status: str
    account_id: str | None  # None only in pre-2024-03-20 messages, which always name the seller
    seller_id: str | None
    report_document_id: str | None
    # notificationMetadata.applicationId: the SP-API application whose subscription sent it (None: not a
    # delivered notification, e.g. one the sweep builds from getReports).
    application_id: str | None = None

    @property
    def partner_id(self) -> str:
        """Who the report belongs to: the seller, or for vendors (no sellerId) the account. The parser
        guarantees one of them."""
        return self.seller_id or self.account_id or ""


def parse_report_processing_finished(body: str | bytes) -> ReportProcessingFinished:
    """Parse an SQS message body. Raises InvalidNotificationError (or UnsupportedNotificationError)."""
    try:
        document = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidNotificationError(f"body: not valid JSON ({type(exc).__name__})") from None
    root = _object(document, "$")
    for name in ("notificationVersion", "notificationType", "payloadVersion", "eventTime"):
        _string(root, name, "$")
    if root["notificationType"] != REPORT_PROCESSING_FINISHED:
        raise UnsupportedNotificationError(root["notificationType"])
    metadata = _object(_required(root, "notificationMetadata", "$"), "$.notificationMetadata")
    for name in ("applicationId", "subscriptionId", "publishTime", "notificationId"):
        _string(metadata, name, "$.notificationMetadata")
    payload = _object(_required(root, "payload", "$"), "$.payload")
    path = "$.payload.reportProcessingFinishedNotification"
    report = _object(_required(payload, "reportProcessingFinishedNotification", "$.payload"), path)
    for name in ("reportId", "reportType", "processingStatus"):
        _string(report, name, path)
    if report["processingStatus"] not in NOTIFIED_STATUSES:
        raise InvalidNotificationError(
            f"{path}.processingStatus: {report['processingStatus']!r} is not one of "
            f"{', '.join(sorted(NOTIFIED_STATUSES))}"
        )
    account_id = _optional_string(report, "accountId", path)
    seller_id = _optional_string(report, "sellerId", path)
    document_id = _optional_string(report, "reportDocumentId", path)
    if not REPORT_ID_PATTERN.match(report["reportId"]):
        raise InvalidNotificationError(
            f"{path}.reportId: expected letters, digits, '.', '_' or '-', not dots only"
        )
    for name, value in (
        ("reportType", report["reportType"]),
        ("accountId", account_id),
        ("sellerId", seller_id),
    ):
        # Each becomes a segment of the report's S3 key (sp_reports.spapi.report_ids says what one may be).
        if value is not None and not is_key_segment(value):
            raise InvalidNotificationError(
                f"{path}.{name}: expected letters, digits, '.', '_' or '-', not dots only"
            )
    if account_id is None and seller_id is None:
        # Before 2024-03-20 sellerId alone said whose report it was, since then accountId (required): with
        # neither, nobody can be told. Refused naming the report (a safe identifier by now), so that the
        # failure can be traced to it.
        raise InvalidNotificationError(
            f"{path}.accountId: is required (no sellerId either), so report {report['reportId']} cannot be "
            "attributed to a selling partner"
        )
    return ReportProcessingFinished(
        notification_id=metadata["notificationId"],
        event_time=root["eventTime"],
        report_id=report["reportId"],
        report_type=report["reportType"],
        processing_status=report["processingStatus"],
        account_id=account_id,
        seller_id=seller_id,
        report_document_id=document_id,
        application_id=metadata["applicationId"],
    )


def _required(parent: Mapping[str, Any], name: str, path: str) -> Any:
    if name not in parent:
        raise InvalidNotificationError(f"{path}.{name}: is required")
    return parent[name]


def _object(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise InvalidNotificationError(f"{path}: must be an object")
    return value


def _string(parent: Mapping[str, Any], name: str, path: str) -> str:
    value = _required(parent, name, path)
    if not isinstance(value, str):
        raise InvalidNotificationError(f"{path}.{name}: must be a string")
    return value


def _optional_string(parent: Mapping[str, Any], name: str, path: str) -> str | None:
    value = parent.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidNotificationError(f"{path}.{name}: must be a string or null")
    return value or None


def execution_name(report_id: str, prefix: str = "report", *, attempt: int = 1) -> str:
    """The Step Functions execution name for a report: the same id always gives the same name, so a duplicate
    notification cannot start a second workflow. StartExecution with the name (and input) of a running
    execution returns that execution; once it has finished, or with another input, it is refused with
    ExecutionAlreadyExists (StartExecution API reference; names are unique for 90 days).

    ``prefix`` names the purpose: ``report`` for the report's workflow, FAILURE_EXECUTION_PREFIX for the
    execution that reports its failure. A report id can never make one name look like the other, as every
    name starts with its prefix and a dash.

    ``attempt`` names a later store of the same report (a discovered report whose store failed is stored
    again while SP-API keeps its document: sp_reports.pipeline.pull_discovery): the first keeps the plain
    name, a later one is named after ``<report id>#<attempt>``. No report id holds '#', so the name takes
    the digest branch below and no other report's name can equal it, while one attempt keeps one name."""
    if attempt > 1:
        report_id = f"{report_id}#{attempt}"
    sanitised = _EXECUTION_NAME_UNSAFE.sub("-", report_id)
    name = f"{prefix}-{sanitised}"
    if sanitised != report_id or len(name) > MAX_EXECUTION_NAME_LENGTH:
        # Sanitising or truncating can make two ids collide; a digest of the original keeps them apart.
        digest = hashlib.sha256(report_id.encode()).hexdigest()[:12]
        name = f"{name[: MAX_EXECUTION_NAME_LENGTH - len(digest) - 1]}-{digest}"
    return name


@dataclass(frozen=True)
class ReportContext:
    """What a report's workflow knows about it, decided once by the processor and carried by the execution
    input to every task: whose report (the recorded seller, else the notification's seller or account) and
    which region (the recorded one; None for a report nobody requested, whose region the storer finds). The
    workflow's functions parse it with `from_execution_input` and decide neither again. It holds no secret:
    the execution history keeps it."""

    report_id: str
    seller_id: str
    report_type: str
    processing_status: str | None
    account_id: str | None = None
    region_code: str | None = None
    report_document_id: str | None = None
    # The recorded marketplaces (none for a report nobody requested): a document served without a charset
    # is read in their documented default (sp_reports.spapi.charsets).
    marketplace_ids: tuple[str, ...] = ()
    # The pull plan window the report was requested for (sp_reports.pipeline.pull_planner), from the record:
    # the storer also places a plan's report at its window's key (sp_reports.pipeline.pull_window_objects).
    pull_window: PullWindowRef | None = None

    @classmethod
    def settle(cls, notification: ReportProcessingFinished, record: ReportRecord) -> ReportContext:
        """The recorded seller and region win: they are what our API was asked for."""
        return cls(
            report_id=notification.report_id,
            seller_id=record.seller_id or notification.partner_id,
            report_type=notification.report_type,
            processing_status=notification.processing_status,
            account_id=notification.account_id,
            region_code=record.region_code,
            report_document_id=notification.report_document_id,
            marketplace_ids=tuple(record.marketplace_ids),
            pull_window=record.pull_window,
        )

    def to_execution_input(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "reportId": self.report_id,
            "sellerId": self.seller_id,
            "accountId": self.account_id,
            "regionCode": self.region_code,
            "reportType": self.report_type,
            "processingStatus": self.processing_status,
        }
        if self.report_document_id:
            document["reportDocumentId"] = self.report_document_id
        if self.marketplace_ids:
            document["marketplaceIds"] = list(self.marketplace_ids)
        if self.pull_window is not None:
            document["pullWindow"] = self.pull_window.describe()
        return document

    @classmethod
    def from_execution_input(cls, document: Mapping[str, Any]) -> ReportContext:
        """The context from an execution's input (or a task's view of the state, which keeps the input's
        fields). ValueError names a missing field; other fields of the state (stored, error) are ignored."""
        for name in ("reportId", "sellerId", "reportType"):
            if not isinstance(document.get(name), str) or not document[name]:
                raise ValueError(f"{name}: the execution input must name the report's {name}")
        return cls(
            report_id=document["reportId"],
            seller_id=document["sellerId"],
            report_type=document["reportType"],
            processing_status=document.get("processingStatus"),
            account_id=document.get("accountId"),
            region_code=document.get("regionCode") or None,
            report_document_id=document.get("reportDocumentId") or None,
            marketplace_ids=tuple(
                marketplace_id
                for marketplace_id in document.get("marketplaceIds") or ()
                if isinstance(marketplace_id, str)
            ),
            pull_window=PullWindowRef.from_description(document.get("pullWindow")),
        )


class NotificationOutcome(StrEnum):
    STARTED = "STARTED"
    DUPLICATE_OF_RUNNING = "DUPLICATE_OF_RUNNING"  # the report's execution is still running
    DUPLICATE = "DUPLICATE"  # the report's execution already succeeded
    # The report's execution failed, timed out or was aborted without recording an outcome: the workflow now
    # records and emails that failure.
    FAILURE_REPORTED = "FAILURE_REPORTED"
    ALREADY_FINISHED = "ALREADY_FINISHED"  # the report already reached DONE, FAILED or CANCELLED
    UNREQUESTED_SKIPPED = "UNREQUESTED_SKIPPED"
    # Sent for another SP-API application: dropped before any read or write.
    FOREIGN_APPLICATION = "FOREIGN_APPLICATION"
    # Names another selling partner than the one the report was requested for: recorded FAILED, not stored.
    SELLER_MISMATCH = "SELLER_MISMATCH"


SELLER_MISMATCH_REASON = (
    "seller mismatch: the notification names another selling partner than the report was requested for, "
    "so its document was not stored"
)


FAILURE_EXECUTION_PREFIX = "failure-report"
# DescribeExecution statuses (Step Functions API reference). PENDING_REDRIVE: a redrive is about to run it.
_STILL_RUNNING = frozenset({"RUNNING", "PENDING_REDRIVE"})
_ENDED_WITHOUT_SUCCESS = frozenset({"FAILED", "TIMED_OUT", "ABORTED"})
_MAX_CAUSE_CHARS = 500


class UnreportedFailureError(Exception):
    """A report's execution ended without success and so did the execution that was to report it: the
    notification goes back to the queue (and, after maxReceiveCount deliveries, to the DLQ and its alarm)."""


@dataclass(frozen=True)
class ProcessingResult:
    outcome: NotificationOutcome
    requested: bool
    execution_name: str | None = None
    execution_status: str | None = None  # of the existing execution, for duplicates and reported failures
    seller_bound: bool = False  # this notification bound the seller's stored token (`_confirm_token`)


class ReportNotificationProcessor:
    """Turns one validated notification into at most one workflow execution.

    A duplicate notification finds the report's execution by its name: still running (a duplicate of a
    running execution), succeeded (a plain duplicate), or ended FAILED, TIMED_OUT or ABORTED. That last one
    would otherwise block the report for the 90 days its name is taken, the record left PROCESSING: the
    processor starts a second, differently named execution that goes straight to NotifyFailed with why,
    which records the failure and emails it once (see `_report_failed_execution`)."""

    def __init__(
        self,
        records: ReportRecords,
        stepfunctions_client: Any,
        state_machine_arn: str,
        *,
        process_unrequested: bool,
        application_id: str | None = None,
        restricted_allowed: bool = False,
        token_bindings: TokenBindings | None = None,
    ) -> None:
        self._records = records
        self._token_bindings = token_bindings
        self._stepfunctions = stepfunctions_client
        self._state_machine_arn = state_machine_arn
        self._process_unrequested = process_unrequested
        self._application_id = application_id or None
        self._restricted_allowed = restricted_allowed

    def process(
        self,
        notification: ReportProcessingFinished,
        *,
        process_unrequested: bool | None = None,
        attempt: int = 1,
    ) -> ProcessingResult:
        """``process_unrequested`` overrides the configured policy for this report (the sweep stores the
        Amazon-generated report types sellers opted into, whatever the policy for other reports).
        ``attempt`` > 1 is a later store of a report whose store failed (its record reopened first): its
        executions are named for the attempt (`execution_name`)."""
        if process_unrequested is None:
            process_unrequested = self._process_unrequested
        if not self._restricted_allowed and _is_restricted(notification.report_type):
            # A restricted (PII) report nobody requested through our API (POST /reports refuses them unless
            # the deployment allows them) is recorded and left alone, whatever the policy for other reports.
            process_unrequested = False
        if self.is_foreign(notification):
            # Our queue's policy lets SP-API's account send to it for any application; only our own
            # subscriptions' notifications may start anything.
            return ProcessingResult(NotificationOutcome.FOREIGN_APPLICATION, requested=False)
        record = self._records.get(notification.report_id)
        if record is not None and not _same_partner(record, notification):
            # Whoever the notification names, the report was requested for (and its token belongs to)
            # another selling partner: its document is not fetched or stored under either.
            if not record.is_terminal:
                self._records.quarantine(notification.report_id, SELLER_MISMATCH_REASON)
            return ProcessingResult(NotificationOutcome.SELLER_MISMATCH, record.requested)
        bound = self._confirm_token(record, notification) if record is not None else False
        result = self._process(notification, record, process_unrequested, attempt)
        return replace(result, seller_bound=bound) if bound else result

    def _confirm_token(self, record: ReportRecord, notification: ReportProcessingFinished) -> bool:
        """Bind the seller's stored token (sp_reports.pipeline.token_store): Amazon's notification of a
        report we
        requested with the token stored under `record.seller_id` names that seller as the report's owner, so
        the token is that seller's. Only a token stored long enough before the request that no container could
        still have been using the one it replaced (MAX_TOKEN_CACHE_SECONDS) counts."""
        if (
            self._token_bindings is None
            or not record.requested
            or notification.seller_id != record.seller_id
            or not SELLER_ID_PATTERN.match(record.seller_id)
        ):
            return False
        requested_at = datetime.strptime(record.created_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        stored_before = requested_at - timedelta(seconds=MAX_TOKEN_CACHE_SECONDS)
        return self._token_bindings.mark_bound(record.seller_id, stored_before=stored_before)

    def _process(
        self,
        notification: ReportProcessingFinished,
        record: ReportRecord | None,
        process_unrequested: bool,
        attempt: int = 1,
    ) -> ProcessingResult:
        created = False
        if record is None:
            # Requested through our API but not recorded (the write after createReport failed): an intent of
            # this seller and report type vouches for it (report_records, "Request intents").
            record = self._records.record_requested_from_intent(
                notification.report_id, notification.partner_id, notification.report_type
            )
        if record is None:
            record, created = self._records.record_unrequested(
                report_id=notification.report_id,
                seller_id=notification.partner_id,
                account_id=notification.account_id,
                report_type=notification.report_type,
                processing_status=notification.processing_status,
                report_document_id=notification.report_document_id,
                status=ReportStatus.PROCESSING if process_unrequested else ReportStatus.SKIPPED,
            )
        if record.is_terminal:
            return ProcessingResult(NotificationOutcome.ALREADY_FINISHED, record.requested)
        if not record.requested and not process_unrequested:
            return ProcessingResult(NotificationOutcome.UNREQUESTED_SKIPPED, requested=False)
        # An earlier delivery moved the report to PROCESSING, so its execution probably exists: look before
        # starting, as StartExecution answers a duplicate of a running execution exactly as a new start.
        seen_before = record.status is ReportStatus.PROCESSING and not created
        if not self._records.mark_processing(
            notification.report_id,
            processing_status=notification.processing_status,
            report_document_id=notification.report_document_id,
            account_id=notification.account_id,
        ):
            return ProcessingResult(NotificationOutcome.ALREADY_FINISHED, record.requested)
        name = execution_name(notification.report_id, attempt=attempt)
        document = ReportContext.settle(notification, record).to_execution_input()
        existing = self._describe(name) if seen_before else None
        if existing is None:
            try:
                self._start(name, document)
            except self._stepfunctions.exceptions.ExecutionAlreadyExists:
                existing = self._describe(name)
                if existing is None:  # pragma: no cover - refused, yet not found: let SQS retry
                    raise
            else:
                # A concurrent delivery may have started it an instant earlier: StartExecution then returns
                # that execution, and this one is counted as a start (rare, and only a count is wrong).
                return ProcessingResult(NotificationOutcome.STARTED, record.requested, name)
        return self._settle_existing(existing, document, record.requested, attempt)

    def is_foreign(self, notification: ReportProcessingFinished) -> bool:
        """Whether a delivered notification belongs to another application than ours (when ours is known)."""
        return (
            self._application_id is not None
            and notification.application_id is not None
            and notification.application_id != self._application_id
        )

    def _settle_existing(
        self, existing: Mapping[str, Any], document: dict[str, Any], requested: bool, attempt: int = 1
    ) -> ProcessingResult:
        status = existing["status"]
        name = existing["name"]
        if status in _STILL_RUNNING:
            return ProcessingResult(NotificationOutcome.DUPLICATE_OF_RUNNING, requested, name, status)
        if status not in _ENDED_WITHOUT_SUCCESS:
            return ProcessingResult(NotificationOutcome.DUPLICATE, requested, name, status)
        return self._report_failed_execution(existing, document, requested, attempt)

    def _report_failed_execution(
        self, failed: Mapping[str, Any], document: dict[str, Any], requested: bool, attempt: int = 1
    ) -> ProcessingResult:
        """Start the execution that records and emails why the report's execution ended without success.

        Its name is fixed per report, so duplicates start it once; its input carries `error`, which the
        workflow's first Choice rule sends to NotifyFailed (the path a caught error takes).

        Why not RedriveExecution: it resumes only within 14 days of the execution's end and repeats the
        failed state with the same input (Step Functions API reference), so a failure in the definition or
        the data fails again, and an older execution would still block its report; moto 5.2.5 cannot run it
        either. Reporting the failure works at any age and ends every report with a recorded outcome."""
        report_id = document["reportId"]
        name = execution_name(report_id, FAILURE_EXECUTION_PREFIX, attempt=attempt)
        reporting = self._describe(name)
        if reporting is None:
            try:
                self._start(name, {**document, "error": previous_execution_error(failed)})
            except self._stepfunctions.exceptions.ExecutionAlreadyExists:
                reporting = self._describe(name)
            else:
                return ProcessingResult(
                    NotificationOutcome.FAILURE_REPORTED, requested, failed["name"], failed["status"]
                )
        status = reporting["status"] if reporting else None
        if status in _ENDED_WITHOUT_SUCCESS:
            raise UnreportedFailureError(
                f"report {report_id}: executions {failed['name']} and {name} both ended {status}"
            )
        if status in _STILL_RUNNING:
            return ProcessingResult(NotificationOutcome.DUPLICATE_OF_RUNNING, requested, name, status)
        return ProcessingResult(NotificationOutcome.DUPLICATE, requested, name, status)

    def _start(self, name: str, document: dict[str, Any]) -> None:
        self._stepfunctions.start_execution(
            stateMachineArn=self._state_machine_arn,
            name=name,
            input=json.dumps(document, separators=(",", ":")),
        )

    def _describe(self, name: str) -> dict[str, Any] | None:
        arn = execution_arn(self._state_machine_arn, name)
        try:
            return self._stepfunctions.describe_execution(executionArn=arn)
        except self._stepfunctions.exceptions.ExecutionDoesNotExist:
            return None


def _is_restricted(report_type_name: str) -> bool:
    rules = report_type_rules(report_type_name)
    return rules is not None and rules.restricted


def _same_partner(record: ReportRecord, notification: ReportProcessingFinished) -> bool:
    """Whether the notification names the selling partner the report is recorded for: its sellerId or, for
    vendors and since 2024-03-20 for everyone, its accountId."""
    return record.seller_id in {notification.seller_id, notification.account_id} - {None}


def execution_arn(state_machine_arn: str, name: str) -> str:
    """The execution's ARN: the state machine's with `execution` for `stateMachine`, then `:name`."""
    return f"{state_machine_arn.replace(':stateMachine:', ':execution:', 1)}:{name}"


def previous_execution_error(described: Mapping[str, Any]) -> dict[str, str]:
    """The `error` (as a Catch would set it) for an execution that ended without success: which execution,
    how it ended and, for FAILED, Step Functions' error and the cause's message (not its stack trace)."""
    status = str(described["status"])
    words = status.title().replace("_", "")
    reason = f"the workflow execution {described['name']} ended {status}"
    error = described.get("error")
    message = _cause_message(described.get("cause"))
    if error:
        reason += f" with {error}"
    if message:
        reason += f": {message}"
    return {"Error": f"WorkflowExecution{words}", "Cause": redact(reason)}


def _cause_message(cause: Any) -> str:
    if not isinstance(cause, str) or not cause:
        return ""
    try:
        parsed = json.loads(cause)
    except json.JSONDecodeError:
        return cause[:_MAX_CAUSE_CHARS]
    if isinstance(parsed, dict) and parsed.get("errorMessage"):
        return str(parsed["errorMessage"])[:_MAX_CAUSE_CHARS]
    return cause[:_MAX_CAUSE_CHARS]
