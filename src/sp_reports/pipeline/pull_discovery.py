"""Discovery for pull plans of mode discover: the reports Amazon makes by itself fill the plan's ledger.

Settlement reports cannot be requested or scheduled; Amazon makes one at the end of each settlement period and
getReports lists it (selling-partner-api-docs#1633, selling-partner-api-models#339), for 90 days: "Reports are
retained for a maximum of 90 days" (reports_2021-06-30.json, getReports' createdSince). Settlement periods are
Amazon's, about two weeks and not calendar-aligned (selling-partner-api-docs#969 shows one from
2022-03-10T08:24:51 to 2022-03-24T08:24:50), so a discover plan's windows are the reports themselves: each
window is [the report's dataStartTime, its dataEndTime + 1 s) in the report's marketplaces, the same [start,
end) convention as a calendar window's (SP-API's dataEndTime is the period's last second).

When a discover plan is due, the planner's tick (sp_reports.pipeline.pull_planner) calls `discover`:

1. getReports for the plan's type and marketplaces, every processing status, created since the plan's
   watermark (`DiscoveredSince`; the plan's start date at first), page by page. The listing never starts
   further back than LISTING_HORIZON: SP-API keeps reports 90 days, and a createdSince on that boundary is a
   race with SP-API's own clock (airbytehq/airbyte#76265).
2. Each DONE report of the plan's marketplaces with a data range is recorded once in the ledger
   (`PullStore.record_discovered`, a conditional write: REQUESTED with its report id, only where the window
   has no entry), and in the reports table as requested, with PlanId, WindowKey and WindowVersion
   (report_records.PullWindowRef), and its store workflow is started as the sweep starts one for a report
   whose notification never came (`ReportNotificationProcessor.process`: same record changes, same
   execution name). A report listed again whose entry holds it and is not stored yet is set on its way again:
   the processor finds its execution instead of starting a second one, so a discovery that stopped between
   the ledger and the workflow finishes the job and nothing is stored twice.
3. The watermark moves to the earliest of the listing's start less WATERMARK_LAG, an unfinished report's
   createdTime (it is listed again until it is DONE) and a report that could not be set on its way.
4. A discovered report whose store failed (the workflow settled its entry FAILED, sp_reports.pipeline.
   pull_window_outcomes) cannot be requested again, but its document stays downloadable for the type's
   document retention, so it is stored again: once its retry time has passed (the type's cooldown or an
   hour, as a FATAL report's retry), `PullStore.claim_store_retry` takes it (one caller wins) with one more
   attempt, `ReportRecords.reopen_for_retry` reopens its record (the failure kept in FailureHistory) and the
   processor starts a workflow execution named for the attempt. The third failure parks the window
   (`PullWindowOutcomes.fail_attempt`: WindowsParked, its alarm, the coverage's reason); a report whose
   document SP-API has dropped is parked at once. A retry stopped between the claim and the execution is
   finished by the next discovery (the entry is REQUESTED with a later attempt).
5. Every entry not yet stored whose document SP-API drops within EXPIRY_MARGIN (createdTime + the type's
   document retention, 30 days: the catalogue's documentRetentionDays, SP-API changelog
   "report-document-retention-policy-is-changing-to-a-maximum-of-30-days") is logged and counted
   `DiscoveredReportsNearExpiry`: the `<prefix>-pull-reports-near-expiry` alarm watches it
   (terraform/pull_planner.tf), since such a report is lost for good once SP-API drops its document.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from sp_reports.pipeline.errors import TokenNotFoundError
from sp_reports.pipeline.notifications_processing import (
    ReportNotificationProcessor,
    ReportProcessingFinished,
    UnreportedFailureError,
)
from sp_reports.pipeline.pull_ledger import (
    FINAL_STATES,
    LedgerConflictError,
    LedgerEntry,
    PullStore,
    WindowState,
)
from sp_reports.pipeline.pull_plans import PullPlan
from sp_reports.pipeline.pull_windows import Window, iso_second
from sp_reports.pipeline.report_records import (
    PullWindowRef,
    ReportAlreadyRecordedError,
    ReportNotRecordedError,
    ReportRecords,
)
from sp_reports.pipeline.report_specifications import ReportSpecification
from sp_reports.pipeline.sweep_state import parse_time
from sp_reports.pipeline.telemetry import COUNT, MetricSink, StructuredLogger
from sp_reports.spapi.errors import LwaInvalidGrantError, SpApiError, redact
from sp_reports.spapi.regions import region_of_marketplace
from sp_reports.spapi.report_ids import REPORT_ID_PATTERN
from sp_reports.spapi.report_types import catalogue, report_type
from sp_reports.spapi.reports import (
    GET_REPORTS_MAX_PAGE_SIZE,
    PROCESSING_STATUSES,
    ReportsClient,
    iter_report_pages,
)

# SP-API lists a report 90 days from its creation (reports_2021-06-30.json, getReports' createdSince: "Reports
# are retained for a maximum of 90 days"); its document is kept for the type's document retention only (the
# catalogue's documentRetentionDays, `document_retention`), which is what bounds a store.
REPORT_RETENTION = timedelta(days=90)
# Longer than any settlement period (about two weeks, selling-partner-api-docs#969): how far before a range a
# coverage looks for a window that overlaps it.
SETTLEMENT_PERIOD_AT_MOST = timedelta(days=31)
# How far back a listing reaches at most: a day inside the retention, so that a createdSince computed here is
# not already past SP-API's boundary when the request arrives (airbytehq/airbyte#76265).
LISTING_HORIZON = REPORT_RETENTION - timedelta(days=1)
# A report not stored this long before SP-API drops its document raises the alarm: a week leaves an operator
# time to fix what keeps it from being stored (a refused token, a failing workflow) over a weekend and a few
# days' leave, while the report can still be fetched.
EXPIRY_MARGIN = timedelta(days=7)
# Reports created while the listing ran, and a little clock skew between SP-API and us, as the sweep's.
WATERMARK_LAG = timedelta(minutes=15)
# How often a discover plan lists its type: a settlement report appears about every two weeks, and half an
# hour puts one getReports call per plan in each half hour of getReports' 0.0222 requests a second per seller
# (reports_2021-06-30.json), and a point of DiscoveredReportsNearExpiry in every hour the alarm looks at.
DISCOVERY_INTERVAL = timedelta(minutes=30)
# After SP-API failed (throttled, 5xx), LWA refused the token or the seller's getReports quota was spent: the
# next tick that may try again.
RETRY_AFTER_FAILURE = timedelta(minutes=5)
GET_REPORTS = "getReports"
_DONE = "DONE"
_UNFINISHED = frozenset({"IN_QUEUE", "IN_PROGRESS"})
_SECOND = timedelta(seconds=1)


def document_retention(type_name: str) -> timedelta:
    """How long SP-API keeps a report's document after the report is created: the catalogue's
    documentRetentionDays for the type (its default for a type it does not list)."""
    rules = report_type(type_name)
    if rules is not None:
        return timedelta(days=rules.document_retention_days)
    return timedelta(days=catalogue().document_retention_days)


def document_expiry(type_name: str, created: datetime) -> datetime:
    """When SP-API drops the document of a report of the type created at `created`."""
    return created + document_retention(type_name)


class _QuotaSpent(Exception):
    pass


@dataclass
class DiscoveryResult:
    listed: int = 0
    discovered: int = 0  # new ledger entries
    resumed: int = 0  # entries recorded earlier whose workflow was set on its way again
    stores_retried: int = 0  # failed stores taken for another attempt
    near_expiry: int = 0
    failed: str | None = None  # why the listing stopped (SP-API, LWA), retried at `next_due`
    deferred: bool = False  # the seller's getReports quota would have made the tick wait
    next_due: datetime | None = None


def report_window(report: dict[str, Any], plan: PullPlan) -> Window | None:
    """The window a listed report fills: [dataStartTime, dataEndTime + 1 s) in its marketplaces, or None when
    it has no data range or covers a marketplace the plan does not."""
    marketplaces = tuple(sorted(report.get("marketplaceIds") or ()))
    if not marketplaces or not set(marketplaces) <= set(plan.marketplace_ids):
        return None
    try:
        start = parse_time(str(report["dataStartTime"]))
        last_second = parse_time(str(report["dataEndTime"]))
    except (KeyError, ValueError):
        return None
    end = last_second.replace(microsecond=0) + _SECOND
    if end <= start:
        return None
    return Window(start.replace(microsecond=0), end, marketplaces)


class PullDiscovery:
    def __init__(
        self,
        *,
        store: PullStore,
        records: ReportRecords,
        processor: ReportNotificationProcessor,
        reports_for: Callable[[str, str], ReportsClient],
        logger: StructuredLogger,
        metrics: MetricSink,
        page_size: int = GET_REPORTS_MAX_PAGE_SIZE,
    ) -> None:
        self._store = store
        self._records = records
        self._processor = processor
        self._reports_for = reports_for  # (seller_id, region_code) -> the seller's Reports client there
        self._logger = logger
        self._metrics = metrics
        self._page_size = page_size

    def discover(self, plan: PullPlan, now: datetime) -> DiscoveryResult:
        """List the plan's new reports, set each DONE one on its way once, and count what nears expiry."""
        result = DiscoveryResult()
        try:
            self._list(plan, now, result)
            # After a listing that worked only: a refused token or a failing SP-API would fail the store too,
            # and spend one of the report's attempts.
            self._retry_failed_stores(plan, now, result)
        except LwaInvalidGrantError as refused:
            result.failed = f"LWA refused the seller's refresh token: {refused}"
        except TokenNotFoundError:
            result.failed = "no refresh token is stored for the seller (POST /tokens)"
        except SpApiError as failure:
            result.failed = f"getReports failed: {type(failure).__name__}: {redact(str(failure))}"
        except _QuotaSpent:
            result.deferred = True
        if result.failed:
            self._logger.warning(
                "discovery for a plan stopped; the plan is due again shortly",
                extra={"plan_id": plan.plan_id, "seller_id": plan.seller_id, "reason": result.failed},
            )
            self._metrics.add_metric(name="DiscoveryFailures", unit=COUNT, value=1)
        result.near_expiry = self._count_near_expiry(plan, now)
        self._metrics.add_metric(name="ReportsDiscovered", unit=COUNT, value=result.discovered)
        self._metrics.add_metric(name="DiscoveredReportsNearExpiry", unit=COUNT, value=result.near_expiry)
        soon = result.failed or result.deferred
        result.next_due = now + (RETRY_AFTER_FAILURE if soon else DISCOVERY_INTERVAL)
        return result

    # -- the listing ------------------------------------------------------------------------------------

    def _since(self, plan: PullPlan, now: datetime) -> datetime:
        since = self._store.discovered_since(plan.plan_id) or datetime.combine(
            plan.start_date, time(0), tzinfo=now.tzinfo
        )
        return max(since, now - LISTING_HORIZON)

    def _list(self, plan: PullPlan, now: datetime, result: DiscoveryResult) -> None:
        region_code = region_of_marketplace(plan.marketplace_ids[0]).code
        reports = self._reports_for(plan.seller_id, region_code)
        holds = [now - WATERMARK_LAG]
        pages = iter_report_pages(
            reports,
            [plan.report_type],
            before_each_call=lambda: self._check_quota(reports),
            processing_statuses=sorted(PROCESSING_STATUSES),
            marketplace_ids=list(plan.marketplace_ids),
            created_since=iso_second(self._since(plan, now)),
            page_size=self._page_size,
        )
        for page in pages:
            for report in page.reports:
                result.listed += 1
                hold = self._settle(plan, region_code, report, now, result)
                if hold is not None:
                    holds.append(hold)
        self._store.set_discovered_since(plan.plan_id, min(holds))

    @staticmethod
    def _check_quota(reports: ReportsClient) -> None:
        """The tick never waits for the seller's getReports quota (0.0222 a second: up to 45 s a call); the
        plan is tried again shortly instead."""
        if reports.seconds_until_call(GET_REPORTS) > 0:
            raise _QuotaSpent

    def _settle(
        self, plan: PullPlan, region_code: str, report: dict[str, Any], now: datetime, result: DiscoveryResult
    ) -> datetime | None:
        """Handle one listed report; the createdTime that must hold the watermark, if any."""
        report_id = report.get("reportId")
        try:
            created = parse_time(str(report.get("createdTime")))
        except ValueError:
            return None
        if not isinstance(report_id, str) or not REPORT_ID_PATTERN.match(report_id):
            return None
        status = report.get("processingStatus")
        if status in _UNFINISHED:
            return created  # listed again until it is DONE
        if status != _DONE or report.get("reportType") != plan.report_type:
            return None  # FATAL or CANCELLED: Amazon made nothing to store
        window = report_window(report, plan)
        if window is None:
            self._logger.warning(
                "discovered report has no data range in the plan's marketplaces; not recorded",
                extra={"plan_id": plan.plan_id, "report_id": report_id},
            )
            return None
        entry = self._store.record_discovered(plan.plan_id, window, report_id, created_time=created, now=now)
        if entry is not None:
            result.discovered += 1
        else:
            entry = self._store.entry(plan.plan_id, window.key, 1)
            if (
                entry is None
                or entry.report_id != report_id
                or entry.state is not WindowState.REQUESTED
                or entry.attempts > 1
            ):
                # Stored already, failed (its retry is `_retry_failed_stores`'), or the window holds another
                # report of the same period.
                return None
            result.resumed += 1
        try:
            self._set_on_its_way(plan, region_code, report, window, entry)
        except (ClientError, BotoCoreError, UnreportedFailureError) as failure:
            self._logger.error(
                "discovered report not set on its way; the next discovery tries again",
                extra={"plan_id": plan.plan_id, "report_id": report_id, "error": type(failure).__name__},
            )
            return created
        return None

    def _set_on_its_way(
        self, plan: PullPlan, region_code: str, report: dict[str, Any], window: Window, entry: LedgerEntry
    ) -> None:
        """Record the report with its window (as requested: the plan asked for it) and start its store
        workflow, exactly as the sweep does for a report whose notification never came."""
        report_id = str(report["reportId"])
        pull_window = PullWindowRef(plan.plan_id, window.key, 1, entry.attempts)
        specification = ReportSpecification(
            seller_id=plan.seller_id,
            region_code=region_code,
            report_type=plan.report_type,
            marketplace_ids=window.lane,
            data_start_time=window.data_start_time,
            data_end_time=window.data_end_time,
        )
        try:
            self._records.record_requested(report_id, specification, pull_window=pull_window)
        except ReportAlreadyRecordedError:
            # Recorded before (an earlier discovery, or the sweep's opted-in Amazon-generated types): it is
            # given its window; one already stored without it is placed by the planner's read-back.
            self._records.mark_pull_window(report_id, pull_window)
        # The plan asked for the report: it is processed although a notification may have recorded it as
        # unrequested first (SP-API announces Amazon-generated reports too), as the sweep's opted-in types
        # are.
        processed = self._processor.process(
            ReportProcessingFinished(
                notification_id=f"discovery-{report_id}",
                event_time=str(report.get("processingEndTime") or report.get("createdTime")),
                report_id=report_id,
                report_type=plan.report_type,
                processing_status=_DONE,
                account_id=None,
                seller_id=plan.seller_id,
                report_document_id=report.get("reportDocumentId") or None,
            ),
            process_unrequested=True,
        )
        self._logger.info(
            "discovered report set on its way",
            extra={
                "plan_id": plan.plan_id,
                "window_key": window.key,
                "report_id": report_id,
                "outcome": processed.outcome.value,
                "execution_name": processed.execution_name,
            },
        )

    # -- failed stores ------------------------------------------------------------------------------------

    def _retry_failed_stores(self, plan: PullPlan, now: datetime, result: DiscoveryResult) -> None:
        for entry in self._store.entries(plan.plan_id):
            if entry.report_id is None or entry.report_created_at is None:
                continue
            if entry.state is WindowState.FAILED:
                if entry.retry_after and parse_time(entry.retry_after) > now:
                    continue
                expires = document_expiry(plan.report_type, parse_time(entry.report_created_at))
                if now >= expires:
                    self._park_expired(entry, expires, now)
                    continue
                claimed = self._store.claim_store_retry(
                    plan.plan_id, entry.window_key, entry.version, entry.report_id, now=now
                )
                if claimed is None:
                    continue  # another tick took it
                entry = claimed
                result.stores_retried += 1
            elif entry.state is not WindowState.REQUESTED or entry.attempts < 2:
                continue
            try:
                self._store_again(plan, entry)
            except (ClientError, BotoCoreError, UnreportedFailureError, ReportNotRecordedError) as failure:
                self._logger.error(
                    "failed store not set on its way again; the next discovery tries again",
                    extra={
                        "plan_id": plan.plan_id,
                        "report_id": entry.report_id,
                        "error": type(failure).__name__,
                    },
                )

    def _store_again(self, plan: PullPlan, entry: LedgerEntry) -> None:
        """Another store of the entry's report, as attempt `entry.attempts`: its record reopened (a no-op when
        an earlier try reopened it) and a workflow execution of the attempt's own name started (found, when
        an earlier try started it)."""
        report_id = str(entry.report_id)
        pull_window = PullWindowRef(plan.plan_id, entry.window_key, entry.version, entry.attempts)
        self._records.reopen_for_retry(report_id, pull_window)
        record = self._records.get(report_id)
        if record is None:
            raise ReportNotRecordedError(report_id)
        processed = self._processor.process(
            ReportProcessingFinished(
                notification_id=f"discovery-{report_id}-attempt-{entry.attempts}",
                event_time=record.updated_at,
                report_id=report_id,
                report_type=plan.report_type,
                processing_status=_DONE,
                account_id=None,
                seller_id=plan.seller_id,
                report_document_id=record.report_document_id,
            ),
            process_unrequested=True,
            attempt=entry.attempts,
        )
        self._logger.info(
            "discovered report's failed store set on its way again",
            extra={
                "plan_id": plan.plan_id,
                "window_key": entry.window_key,
                "report_id": report_id,
                "attempt": entry.attempts,
                "outcome": processed.outcome.value,
                "execution_name": processed.execution_name,
            },
        )

    def _park_expired(self, entry: LedgerEntry, expires: datetime, now: datetime) -> None:
        """A failed store whose document SP-API has dropped: no retry can succeed, so the window is parked."""
        try:
            self._store.settle(
                entry.plan_id,
                entry.window_key,
                entry.version,
                WindowState.PARKED,
                reason=(
                    f"SP-API dropped the report's document at {iso_second(expires)} (document retention) "
                    f"before a store succeeded; the last failure: {entry.reason or 'unknown'}"
                ),
                report_id=entry.report_id,
                now=now,
                if_report_id=entry.report_id,
            )
        except LedgerConflictError:
            return  # another tick settled it
        self._metrics.add_metric(name="WindowsParked", unit=COUNT, value=1)
        self._logger.error(
            "discovered report's window parked: its document expired before a store succeeded",
            extra={"plan_id": entry.plan_id, "window_key": entry.window_key, "report_id": entry.report_id},
        )

    # -- expiry -----------------------------------------------------------------------------------------

    def _count_near_expiry(self, plan: PullPlan, now: datetime) -> int:
        """Entries not stored whose report SP-API drops within EXPIRY_MARGIN (or has dropped), each logged."""
        near = 0
        for entry in self._store.entries(plan.plan_id):
            if entry.state in FINAL_STATES or not entry.report_created_at:
                continue
            expires = document_expiry(plan.report_type, parse_time(entry.report_created_at))
            if expires - now > EXPIRY_MARGIN:
                continue
            near += 1
            self._logger.error(
                "discovered report not stored and near SP-API's document retention: it is lost once SP-API "
                "drops its document",
                extra={
                    "plan_id": plan.plan_id,
                    "seller_id": plan.seller_id,
                    "window_key": entry.window_key,
                    "report_id": entry.report_id,
                    "state": str(entry.state),
                    "reason": entry.reason,
                    "expires_at": iso_second(expires),
                },
            )
        return near
