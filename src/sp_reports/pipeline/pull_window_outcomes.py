"""A plan window's report ended: its ledger entry (sp_reports.pipeline.pull_ledger) says how.

- DONE: STORED, with the window's S3 key (sp_reports.pipeline.pull_window_objects);
- CANCELLED: NO_DATA. SP-API cancels a report that has no data for its window ("CANCELLED: The report was
  cancelled. There are two ways a report can be cancelled: an explicit cancellation request before the report
  starts processing, or an automatic cancellation if there is no data to return", Reports API v2021-06-30,
  processingStatus), and nobody cancels a planner's report: the window is complete, not a gap;
- FATAL (or a workflow failure): FAILED with one more attempt and a retry after the report type's cooldown
  (the catalogue's; SP-API makes at most one report of such a type per that interval, so an earlier retry
  would only be refused or answered with the same report), else after DEFAULT_RETRY_DELAY. The
  PARK_AFTER_FAILURES-th failure PARKS the window instead: the planner leaves it alone, the WindowsParked
  metric counts it (an alarm watches it, terraform/pull_planner.tf) and the coverage shows the reason.

Settling is idempotent: a re-run of the workflow, or the outcome of an earlier report of the window version
(one that failed and was retried since), changes nothing. An outcome settles the entry only while the entry
holds its report, or holds no report yet and is still the attempt the report was made for (the record's
WindowAttempt; the outcome can arrive before the planner records the report id): the ledger checks it in the
same conditional write (PullStore.settle's if_report_id / if_attempt), so a late or repeated outcome of a
superseded report never settles the fresh claim of a retry.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sp_reports.pipeline.pull_ledger import LedgerConflictError, LedgerEntry, PullStore, WindowState
from sp_reports.pipeline.report_records import PullWindowRef, ReportStatus
from sp_reports.pipeline.telemetry import COUNT, MetricSink, StructuredLogger
from sp_reports.spapi.report_types import report_type as report_type_rules

PARK_AFTER_FAILURES = 3
# A type without a documented cooldown: a FATAL is often Amazon's transient failure, and an hour keeps a
# window that keeps failing from spending much of the seller's createReport quota.
DEFAULT_RETRY_DELAY = timedelta(hours=1)
SETTLED_STATES = frozenset({WindowState.STORED, WindowState.NO_DATA, WindowState.PARKED})


def retry_delay(report_type: str) -> timedelta:
    rules = report_type_rules(report_type)
    return rules.cooldown if rules is not None and rules.cooldown else DEFAULT_RETRY_DELAY


def _utc_now() -> datetime:
    return datetime.now(UTC)


class PullWindowOutcomes:
    def __init__(
        self,
        store: PullStore,
        *,
        logger: StructuredLogger,
        metrics: MetricSink,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._store = store
        self._logger = logger
        self._metrics = metrics
        self._clock = clock

    def settle(
        self,
        report_id: str,
        report_type: str,
        window: PullWindowRef,
        status: ReportStatus,
        *,
        s3_key: str | None = None,
        reason: str | None = None,
    ) -> LedgerEntry | None:
        """Record the report's final `status` in its window's entry; the entry as left (None: not in the
        ledger). `s3_key` is the window's key of a DONE report."""
        entry = self._store.entry(window.plan_id, window.window_key, window.version)
        details = {
            "plan_id": window.plan_id,
            "window_key": window.window_key,
            "window_version": window.version,
        }
        if entry is None:
            self._logger.warning("report names a plan window the ledger does not hold", extra=details)
            return None
        if entry.report_id not in (None, report_id) or (
            entry.report_id is None and window.attempt != entry.attempts
        ):
            return self._superseded(entry, details)
        if entry.state in SETTLED_STATES or (
            entry.state is WindowState.FAILED and entry.report_id == report_id
        ):
            return entry  # a re-run of the workflow: already settled
        try:
            if status is ReportStatus.DONE:
                if not s3_key:
                    # Its execution started before the record named the window, so the storer did not place
                    # it: the planner places and settles it (sp_reports.pipeline.pull_planner, reconciling).
                    self._logger.warning(
                        "plan window's report stored but not placed in the window", extra=details
                    )
                    return entry
                settled = self._store.settle(
                    window.plan_id,
                    window.window_key,
                    window.version,
                    WindowState.STORED,
                    s3_key=s3_key,
                    report_id=report_id,
                    now=self._clock(),
                    if_report_id=report_id,
                    if_attempt=window.attempt,
                )
                self._metrics.add_metric(name="WindowsStored", unit=COUNT, value=1)
            elif status is ReportStatus.CANCELLED:
                settled = self._store.settle(
                    window.plan_id,
                    window.window_key,
                    window.version,
                    WindowState.NO_DATA,
                    reason="SP-API cancelled the report: no data for the window",
                    report_id=report_id,
                    now=self._clock(),
                    if_report_id=report_id,
                    if_attempt=window.attempt,
                )
                self._metrics.add_metric(name="WindowsWithoutData", unit=COUNT, value=1)
            elif status is ReportStatus.FAILED:
                settled = self.fail_attempt(
                    entry, report_type, reason or "the report failed", report_id=report_id
                )
            else:
                raise ValueError(f"{status} is not a final status")
        except LedgerConflictError:
            # A newer attempt took the entry between the read and the write.
            current = self._store.entry(window.plan_id, window.window_key, window.version)
            return self._superseded(current or entry, details)
        self._logger.info("plan window settled", extra={**details, "state": settled.state.value})
        return settled

    def _superseded(self, entry: LedgerEntry, details: dict[str, object]) -> LedgerEntry:
        # An earlier report of the window version that failed and was retried: the retry owns the entry.
        self._logger.info(
            "outcome of a superseded report of the window; the ledger keeps its newer attempt",
            extra={**details, "ledger_report_id": entry.report_id, "ledger_attempt": entry.attempts},
        )
        self._metrics.add_metric(name="WindowOutcomesSuperseded", unit=COUNT, value=1)
        return entry

    def fail_attempt(
        self, entry: LedgerEntry, report_type: str, reason: str, *, report_id: str | None = None
    ) -> LedgerEntry:
        """The entry's attempt failed (a FATAL report `report_id`, or createReport refused): FAILED with a
        retry time, or PARKED when it was the PARK_AFTER_FAILURES-th attempt (each claim is one attempt).
        Written only while the entry is still that attempt (LedgerConflictError otherwise)."""
        failures = entry.attempts
        parked = failures >= PARK_AFTER_FAILURES
        settled = self._store.settle(
            entry.plan_id,
            entry.window_key,
            entry.version,
            WindowState.PARKED if parked else WindowState.FAILED,
            reason=f"parked after {failures} failed attempts; the last: {reason}" if parked else reason,
            retry_after=None if parked else self._clock() + retry_delay(report_type),
            report_id=report_id,
            now=self._clock(),
            if_report_id=report_id,
            if_attempt=entry.attempts,
        )
        if parked:
            self._metrics.add_metric(name="WindowsParked", unit=COUNT, value=1)
            self._logger.error(
                "plan window parked after repeated failures",
                extra={"plan_id": entry.plan_id, "window_key": entry.window_key, "failures": failures},
            )
        else:
            self._metrics.add_metric(name="WindowsFailed", unit=COUNT, value=1)
        return settled
