"""One scheduled run of the report sweep (sp_reports.pipeline.report_sweep), told: each recovered report, each
report still unfinished long after its request and each skipped seller is logged with the seller and report
ids (never a token) and counted (ReportsRecoveredBySweep, SweepReportsStuck, SweepSellersSkipped,
SweepFailures, SweepSellersSwept, SweepGetReportsCalls); the counts and StoppedEarly are the run's answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sp_reports.pipeline.report_sweep import ReportSweep, SweepResult
from sp_reports.pipeline.telemetry import COUNT, MetricSink, StructuredLogger

# SkippedSeller.reason -> the log line; any other reason is a token deleted during the sweep.
_WHY_SKIPPED = {
    "token-revoked": (
        "seller skipped: its refresh token was refused by LWA (invalid_grant) and has not been replaced"
    ),
}
_DELETED_DURING_THE_SWEEP = "seller skipped: its token was deleted during the sweep"


class ScheduledSweep:
    def __init__(
        self, sweep: ReportSweep, *, stuck_after_hours: int, logger: StructuredLogger, metrics: MetricSink
    ) -> None:
        self._sweep = sweep
        self._stuck_after_hours = stuck_after_hours  # the sweep's SweepSettings.stuck_after, as named in logs
        self._logger = logger
        self._metrics = metrics

    def run(self, remaining_seconds: Callable[[], float]) -> dict[str, Any]:
        """Sweep until done or the time is nearly up; log and count what the sweep found."""
        result = self._sweep.run(remaining_seconds)
        self._log(result)
        counts = {
            "ReportsRecoveredBySweep": len(result.recovered),
            "SweepReportsStuck": len(result.stuck),
            "SweepSellersSkipped": len(result.skipped),
            "SweepFailures": len(result.failures),
            "SweepSellersSwept": result.sellers_swept,
            "SweepGetReportsCalls": result.getreports_calls,
        }
        for name, value in counts.items():
            self._metrics.add_metric(name=name, unit=COUNT, value=value)
        return {**counts, "StoppedEarly": result.stopped_early}

    def _log(self, result: SweepResult) -> None:
        for report in result.recovered:
            self._logger.info(
                "finished report no notification brought in: workflow started by the sweep",
                extra={
                    "seller_id": report.seller_id,
                    "region_code": report.region_code,
                    "report_id": report.report_id,
                    "report_type": report.report_type,
                    "processing_status": report.processing_status,
                    "outcome": report.outcome.value,
                    "execution_name": report.execution_name,
                },
            )
        for report in result.stuck:
            self._logger.warning(
                f"report {report.report_id} of seller {report.seller_id} is still {report.processing_status} "
                f"more than {self._stuck_after_hours} h after its request",
                extra={
                    "seller_id": report.seller_id,
                    "region_code": report.region_code,
                    "report_id": report.report_id,
                    "report_type": report.report_type,
                    "processing_status": report.processing_status,
                    "created_time": report.created_time,
                },
            )
        for seller in result.skipped:
            self._logger.warning(
                _WHY_SKIPPED.get(seller.reason, _DELETED_DURING_THE_SWEEP),
                extra={"seller_id": seller.seller_id, "reason": seller.reason, "newly": seller.newly_revoked},
            )
        for failure in result.failures:
            self._logger.error(
                "sweep could not settle a seller's region or report; the next run tries again",
                extra={
                    "seller_id": failure.seller_id,
                    "region_code": failure.region_code,
                    "report_id": failure.report_id,
                    "error_type": failure.error_type,
                    "reason": failure.message,
                },
            )
        if result.stopped_early:
            self._logger.info(
                "sweep stopped before its timeout; the next run resumes with the seller it left"
            )
