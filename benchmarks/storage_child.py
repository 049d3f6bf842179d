"""The measured process of the storage benchmark: fetch one report document and store it, one way.

    BENCH_STORAGE_SPEC='{"method": "streaming", "sink": "s3", ...}' python -m benchmarks.storage_child

Runs alone in its process, so that its peak RSS is its own: the SP-API emulator and moto's S3 serve it from
the parent. `method` is `streaming` (our store step: `sp_reports.spapi.documents.iter_report_document` into
`sp_reports.pipeline.report_storage.store_report_document`), `transcoding` (the same with
TRANSCODE_REPORTS_TO_UTF8 on: `sp_reports.pipeline.document_charsets` decodes it into UTF-8 on the way) or
`naive` (what the reference samples do: download the whole body, `gzip.decompress` it, one `put_object`).
`sink` is `s3` (moto), `standin` (benchmarks.s3_standin: S3 over a paced link) or `discard` (the bytes are
counted and dropped, to show what S3 costs). The spec comes through the environment, not argv, because it
carries the (emulator's) LWA credentials. The result is written as JSON to `result_path`.
"""

from __future__ import annotations

import gzip
import json
import os
import time
from collections.abc import Callable, Iterable
from typing import Any

import boto3
import requests
from botocore.config import Config

from benchmarks.rss import status_field_bytes
from sp_reports.pipeline.document_charsets import DocumentForStorage
from sp_reports.pipeline.report_storage import store_report_document
from sp_reports.spapi.credentials import AppCredentials
from sp_reports.spapi.documents import iter_report_document
from sp_reports.spapi.http import SpApiHttpClient
from sp_reports.spapi.lwa import LwaClient
from sp_reports.spapi.ratelimit import OperationRate, RateLimiter
from sp_reports.spapi.reports import ReportsClient

SPEC_ENV = "BENCH_STORAGE_SPEC"


class TimedCalls:
    """Wraps a boto3 client and adds up the time spent inside its calls (request, moto, response)."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.seconds_by_operation: dict[str, float] = {}
        self.calls = 0

    @property
    def seconds(self) -> float:
        return sum(self.seconds_by_operation.values())

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._client, name)
        if not callable(target) or name.startswith("_"):
            return target

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return target(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - started
                self.seconds_by_operation[name] = self.seconds_by_operation.get(name, 0.0) + elapsed
                self.calls += 1

        return timed


def reports_client(spec: dict[str, Any]) -> ReportsClient:
    lwa = LwaClient(AppCredentials(spec["client_id"], spec["client_secret"]), endpoint=spec["lwa_url"])
    # The emulator's getReportDocument plan is raised for the benchmark; mirror it so no call waits.
    limiter = RateLimiter(rates={"getReportDocument": OperationRate(100.0, 100)})
    http = SpApiHttpClient(spec["spapi_url"], rate_limiter=limiter)
    return ReportsClient(http, lwa.seller_token_provider(spec["refresh_token"]))


def s3_client(spec: dict[str, Any]) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=spec["s3_url"],
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto's fake credentials
        config=Config(s3={"addressing_style": "path"}, retries={"mode": "standard"}),
    )


def streaming(spec: dict[str, Any], reports: ReportsClient, s3: TimedCalls | None) -> int:
    chunks = iter_report_document(reports, spec["report_document_id"])
    if s3 is None:
        return _discard(chunks)
    stored = store_report_document(
        chunks,
        s3,
        spec["bucket"],
        spec["key"],
        {"report-id": spec["report_id"]},
        spec["part_size"],
    )
    return stored.size


def transcoding(spec: dict[str, Any], reports: ReportsClient, s3: TimedCalls | None) -> int:
    document = DocumentForStorage(
        lambda: iter_report_document(reports, spec["report_document_id"]),
        [spec["marketplace_id"]],
        transcode=True,
    )
    if s3 is None:
        return _discard(document)
    stored = store_report_document(
        document,
        s3,
        spec["bucket"],
        spec["key"],
        {"report-id": spec["report_id"]},
        spec["part_size"],
        late_headers=lambda: (document.charset.content_type("text/tab-separated-values"), {}),
    )
    if not document.charset.transcoded:
        raise RuntimeError(f"the document was not transcoded: {document.charset}")
    return stored.size


def naive(spec: dict[str, Any], reports: ReportsClient, s3: TimedCalls | None) -> int:
    # As in the reference samples: the whole body, then the whole decompressed report, both in memory.
    document = reports.get_report_document(spec["report_document_id"])
    body = requests.get(document.url, timeout=(3.05, 600)).content
    report = gzip.decompress(body)
    if s3 is not None:
        s3.put_object(Bucket=spec["bucket"], Key=spec["key"], Body=report)
    return len(report)


def _discard(chunks: Iterable[bytes]) -> int:
    return sum(len(chunk) for chunk in chunks)


METHODS: dict[str, Callable[[dict[str, Any], ReportsClient, TimedCalls | None], int]] = {
    "streaming": streaming,
    "transcoding": transcoding,
    "naive": naive,
}


def main() -> None:
    spec = json.loads(os.environ[SPEC_ENV])
    method = METHODS[spec["method"]]
    reports = reports_client(spec)
    s3 = TimedCalls(s3_client(spec)) if spec["sink"] in ("s3", "standin") else None
    baseline = status_field_bytes("VmRSS")
    # CLOCK_MONOTONIC is system-wide on Linux: the parent places its RSS samples on this time line.
    started, cpu_started = time.monotonic(), time.process_time()
    size = method(spec, reports, s3)
    finished, cpu = time.monotonic(), time.process_time() - cpu_started
    result = {
        "bytes": size,
        "started_monotonic": started,
        "wall_seconds": finished - started,
        "cpu_seconds": cpu,
        "s3_seconds": s3.seconds if s3 else 0.0,
        "s3_calls": s3.calls if s3 else 0,
        "s3_seconds_by_operation": s3.seconds_by_operation if s3 else {},
        "baseline_rss_bytes": baseline,
        "peak_rss_bytes": status_field_bytes("VmHWM"),
    }
    with open(spec["result_path"], "w") as out:
        json.dump(result, out)


if __name__ == "__main__":
    main()
