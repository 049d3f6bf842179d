"""The report sweep: finds, with getReports, every finished report of ours that no notification brought in.

Notifications are not a complete record (nothing in SP-API's docs promises that each one arrives; a deleted
destination, a broken subscription, a message that outlived the DLQ lose them). Each run goes through the
sellers with stored tokens, round-robin from a stored cursor, and for each region where our API requested
reports of the seller lists, page by page, the reports created since the region's watermark (getReports:
reportTypes = the types we requested there, plus the Amazon-generated types opted into; all five
processingStatuses; createdSince; nextToken). One listing of every status instead of two (finished, then
unfinished) halves the calls in getReports' usage plan of 0.0222 requests a second, burst 10, per seller
(reports_2021-06-30.json), which the HTTP client's per-seller token bucket keeps to.

- A finished report (DONE, FATAL, CANCELLED) that we requested (recorded as requested, or vouched for by a
  request intent) and that has no outcome yet goes through the notifications processor exactly as its
  notification would: same record changes, same deterministic execution name (`execution_name`), so a late
  notification and the sweep never both store or both email; an execution already started, running or ended
  is found, not repeated.
- An unfinished report (IN_QUEUE, IN_PROGRESS) of ours holds the watermark at its createdTime, so its end is
  found by a later run; once older than `stuck_after` it is reported instead (`StuckReport`) and no longer
  holds the watermark: not waited on forever.
- Reports of other applications (same seller and types) are left alone, and nothing is written for them.
- Amazon-generated types (settlement) cannot be requested (selling-partner-api-docs#1633): those listed in
  `amazon_generated_report_types` are stored for every seller whatever the unrequested-reports policy.

The watermark moves to the earliest of: the listing's start less WATERMARK_LAG (reports created while the
listing ran, and clock skew), the createdTime of an unfinished report of ours, and that of a report whose
processing failed. A run stops before its timeout (`remaining_seconds`) between two pages, leaving that
region's watermark and the cursor on its seller; a seller whose refresh token LWA refuses (invalid_grant) is
recorded and skipped until POST /tokens stores another token.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from sp_reports.pipeline.errors import TokenNotFoundError
from sp_reports.pipeline.notifications_processing import (
    NotificationOutcome,
    ReportNotificationProcessor,
    ReportProcessingFinished,
    UnreportedFailureError,
)
from sp_reports.pipeline.report_records import ReportRecords
from sp_reports.pipeline.sweep_state import (
    REPORT_TYPE_MEMORY,
    RegionSweep,
    SweepState,
    format_time,
    parse_time,
)
from sp_reports.pipeline.token_store import StoredSeller, TokenStore
from sp_reports.spapi.errors import LwaInvalidGrantError, SpApiError, redact
from sp_reports.spapi.report_ids import REPORT_ID_PATTERN, is_key_segment
from sp_reports.spapi.reports import (
    FINISHED_STATUSES,
    GET_REPORTS_MAX_PAGE_SIZE,
    GET_REPORTS_MAX_TYPES,
    PROCESSING_STATUSES,
    ReportsClient,
    iter_report_pages,
)

WATERMARK_LAG = timedelta(minutes=15)
# How long one getReports call may take with its retries (the sweeper's HTTP client deadline): at 0.0222
# requests a second a call can wait 45 s for its token, and a 429 met on arrival (SP-API counts when a call
# arrives, the client when it leaves) another 45 s before its retry.
SWEEP_CALL_DEADLINE = 150.0
# Starting a workflow: the outcomes where the sweep, not a notification, set the report on its way.
_RECOVERED = frozenset({NotificationOutcome.STARTED, NotificationOutcome.FAILURE_REPORTED})
_UNFINISHED_STATUSES = PROCESSING_STATUSES - FINISHED_STATUSES


@dataclass(frozen=True)
class SweepSettings:
    stuck_after: timedelta
    amazon_generated_report_types: frozenset[str] = frozenset()
    # Stop when less than this is left besides the next call's rate-limit wait: one getReports call with
    # its retries (the HTTP client's deadline) and the processing of one page.
    call_allowance_seconds: float = SWEEP_CALL_DEADLINE
    page_allowance_seconds: float = 30.0
    page_size: int = GET_REPORTS_MAX_PAGE_SIZE


@dataclass(frozen=True)
class RecoveredReport:
    seller_id: str
    region_code: str
    report_id: str
    report_type: str
    processing_status: str
    outcome: NotificationOutcome
    execution_name: str | None


@dataclass(frozen=True)
class StuckReport:
    seller_id: str
    region_code: str
    report_id: str
    report_type: str
    processing_status: str
    created_time: str


@dataclass(frozen=True)
class SkippedSeller:
    seller_id: str
    reason: str  # "token-revoked" (found this run or earlier) | "token-missing"
    newly_revoked: bool = False


@dataclass(frozen=True)
class SweepFailure:
    """A seller's region (report_id None) or a report the run could not settle; retried next run."""

    seller_id: str
    region_code: str
    report_id: str | None
    error_type: str
    message: str


@dataclass
class SweepResult:
    sellers_swept: int = 0
    recovered: list[RecoveredReport] = field(default_factory=list)
    stuck: list[StuckReport] = field(default_factory=list)
    skipped: list[SkippedSeller] = field(default_factory=list)
    failures: list[SweepFailure] = field(default_factory=list)
    getreports_calls: int = 0
    stopped_early: bool = False


class _OutOfTime(Exception):
    pass


class ReportSweep:
    def __init__(
        self,
        *,
        tokens: TokenStore,
        state: SweepState,
        records: ReportRecords,
        processor: ReportNotificationProcessor,
        reports_for: Callable[[str, str], ReportsClient],
        settings: SweepSettings,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._tokens = tokens
        self._state = state
        self._records = records
        self._processor = processor
        self._reports_for = reports_for
        self._settings = settings
        self._clock = clock

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    def run(self, remaining_seconds: Callable[[], float]) -> SweepResult:
        """One sweep, until every seller was swept or the time is nearly up."""
        result = SweepResult()
        sellers = sorted(self._tokens.sellers())
        for seller in _round_robin(sellers, self._state.cursor()):
            try:
                self._sweep_seller(seller, result, remaining_seconds)
            except _OutOfTime:
                result.stopped_early = True
                self._state.set_cursor(seller.seller_id)
                return result
        # A complete run: the next starts where this one did, so the cursor stays.
        return result

    def _sweep_seller(
        self, seller: StoredSeller, result: SweepResult, remaining_seconds: Callable[[], float]
    ) -> None:
        sweep = self._state.seller(seller.seller_id)
        if sweep is None or not sweep.regions:
            return  # our API never requested a report for this seller: nothing of ours to find
        if sweep.revoked_token_updated_at == seller.token_updated_at:
            result.skipped.append(SkippedSeller(seller.seller_id, "token-revoked"))
            return
        result.sellers_swept += 1
        for region in sweep.regions.values():
            try:
                self._sweep_region(seller.seller_id, region, result, remaining_seconds)
            except LwaInvalidGrantError:
                self._state.mark_revoked(seller.seller_id, seller.token_updated_at)
                result.skipped.append(SkippedSeller(seller.seller_id, "token-revoked", newly_revoked=True))
                return
            except TokenNotFoundError:  # deleted since the scan
                result.skipped.append(SkippedSeller(seller.seller_id, "token-missing"))
                return
            except SpApiError as exc:  # throttled beyond retries, 5xx, refused: the next run tries again
                result.failures.append(
                    SweepFailure(seller.seller_id, region.region_code, None, type(exc).__name__, str(exc))
                )

    def _sweep_region(
        self,
        seller_id: str,
        region: RegionSweep,
        result: SweepResult,
        remaining_seconds: Callable[[], float],
    ) -> None:
        now = self._now()
        memory_start = now.timestamp() - REPORT_TYPE_MEMORY.total_seconds()
        requested = {t for t, last in region.report_types.items() if last >= memory_start}
        stale = set(region.report_types) - requested
        report_types = sorted(requested | self._settings.amazon_generated_report_types)
        if not report_types:
            self._state.advance(seller_id, region.region_code, now - WATERMARK_LAG, forget_types=stale)
            return
        reports = self._reports_for(seller_id, region.region_code)
        holds: list[datetime] = [now - WATERMARK_LAG]
        for group in _chunks(report_types, GET_REPORTS_MAX_TYPES):
            pages = iter_report_pages(
                reports,
                group,
                before_each_call=lambda: self._check_time(reports, remaining_seconds),
                processing_statuses=sorted(PROCESSING_STATUSES),
                created_since=format_time(region.since),
                page_size=self._settings.page_size,
            )
            for page in pages:
                result.getreports_calls += 1
                for report in page.reports:
                    hold = self._settle(seller_id, region.region_code, report, now, result)
                    if hold is not None:
                        holds.append(hold)
        self._state.advance(seller_id, region.region_code, min(holds), forget_types=stale)

    def _check_time(self, reports: ReportsClient, remaining_seconds: Callable[[], float]) -> None:
        needed = (
            reports.seconds_until_call("getReports")
            + self._settings.call_allowance_seconds
            + self._settings.page_allowance_seconds
        )
        if remaining_seconds() < needed:
            raise _OutOfTime

    def _settle(
        self, seller_id: str, region_code: str, report: dict[str, Any], now: datetime, result: SweepResult
    ) -> datetime | None:
        """Handle one listed report; returns the createdTime that must hold the watermark, if any."""
        report_id = report.get("reportId")
        report_type = report.get("reportType")
        status = report.get("processingStatus")
        if not (
            isinstance(report_id, str) and REPORT_ID_PATTERN.match(report_id) and is_key_segment(report_type)
        ):
            # Not a report id we could record or name an execution after, or a type that cannot be a segment
            # of the report's S3 key (sp_reports.spapi.report_ids): the listing is SP-API's answer, checked
            # as one.
            return None
        try:
            created = parse_time(str(report.get("createdTime")))
        except ValueError:
            created = None
        opted_in = report_type in self._settings.amazon_generated_report_types
        try:
            if status in FINISHED_STATUSES:
                self._settle_finished(seller_id, region_code, report, opted_in, result)
                return None
            if status in _UNFINISHED_STATUSES and created is not None:
                if not opted_in and not self._is_ours(report_id):
                    return None
                if now - created > self._settings.stuck_after:
                    result.stuck.append(
                        StuckReport(
                            seller_id, region_code, report_id, report_type, status, format_time(created)
                        )
                    )
                    return None
                return created
        except (ClientError, BotoCoreError, UnreportedFailureError) as exc:
            # AWS failed, or the report's execution and the one reporting its failure both ended without
            # success: recorded, and the report keeps the watermark so that the next run tries again.
            result.failures.append(
                SweepFailure(seller_id, region_code, report_id, type(exc).__name__, redact(str(exc)))
            )
            return created or now  # settled by a later run, which must list it again
        return None

    def _is_ours(self, report_id: str) -> bool:
        record = self._records.get(report_id)
        return record is not None and record.requested

    def _settle_finished(
        self,
        seller_id: str,
        region_code: str,
        report: dict[str, Any],
        opted_in: bool,
        result: SweepResult,
    ) -> None:
        report_id, report_type = report["reportId"], report["reportType"]
        record = self._records.get(report_id)
        if record is None:
            # Not recorded: ours only when a request intent vouches for it (its record write failed).
            if not opted_in and self._records.find_intent(seller_id, report_type) is None:
                return
        elif record.is_terminal or (not record.requested and not opted_in):
            return
        finished = ReportProcessingFinished(
            notification_id=f"sweep-{report_id}",
            event_time=str(report.get("processingEndTime") or format_time(self._now())),
            report_id=report_id,
            report_type=report_type,
            processing_status=report["processingStatus"],
            account_id=record.account_id if record else None,
            seller_id=seller_id,
            report_document_id=report.get("reportDocumentId") or None,
        )
        processed = self._processor.process(finished, process_unrequested=opted_in)
        if processed.outcome in _RECOVERED:
            result.recovered.append(
                RecoveredReport(
                    seller_id,
                    region_code,
                    report_id,
                    report_type,
                    finished.processing_status,
                    processed.outcome,
                    processed.execution_name,
                )
            )


def _round_robin(sellers: list[StoredSeller], cursor: str | None) -> list[StoredSeller]:
    """The sellers in order, starting at the cursor's seller (or the next one, if it has gone)."""
    if not cursor:
        return sellers
    start = bisect_left([seller.seller_id for seller in sellers], cursor)
    return sellers[start:] + sellers[:start]


def _chunks(values: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
