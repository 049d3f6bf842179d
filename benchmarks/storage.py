"""Benchmark 1: storing a report document, streaming (ours) vs naive vs `gzip -dc`.

This process serves: the SP-API emulator hands out the synthetic gzip document over loopback and moto's S3
server (ThreadedMotoServer) receives it. Each measured run is a child process (`benchmarks.storage_child`)
waited for with wait4(2), so its peak RSS and CPU time are its own; `gzip -dc file > /dev/null` is measured
the same way as the machine's decompression limit. Besides moto, the S3 stand-in (`benchmarks.s3_standin`)
receives the same stores over a link paced like Lambda -> S3 in the bucket's region.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from benchmarks.rss import MIB, run_child
from benchmarks.s3_standin import S3StandIn, s3_standin
from benchmarks.synthetic_report import ReportPlan, SyntheticReport, cached_gzip_report
from sp_reports.pipeline.report_storage import DEFAULT_PART_SIZE
from sp_reports.spapi.credentials import AppCredentials
from sp_reports.spapi.http import SpApiHttpClient
from sp_reports.spapi.lwa import LwaClient
from sp_reports.spapi.ratelimit import OperationRate, RateLimiter
from sp_reports.spapi.reports import ReportsClient
from sp_reports_harness.repository import BUILD_DIR, REPO_ROOT
from spapi_emulator import EmulatorConfig, SpApiEmulator

CLIENT_ID = "amzn1.application-oa2-client.bench"
CLIENT_SECRET = "bench-client-secret"  # noqa: S105 - the emulator's, not a real one
REFRESH_TOKEN = "Atzr|bench-refresh-token"  # noqa: S105
SELLER_ID = "A1BENCHSELLER01"
REPORT_TYPE = "GET_MERCHANT_LISTINGS_ALL_DATA"
MARKETPLACE_ID = "ATVPDKIKX0DER"
BUCKET = "sp-reports-bench"
PART_SIZE = DEFAULT_PART_SIZE  # the report_storer's default (REPORT_UPLOAD_PART_SIZE_MIB)


@dataclass
class StorageRun:
    size_label: str
    method: str  # "streaming", "naive" or "gzip -dc"
    sink: str  # "s3" (moto), "standin" (benchmarks.s3_standin), "discard" or "/dev/null"
    uncompressed_bytes: int
    wall_seconds: float
    cpu_seconds: float
    peak_rss_bytes: int
    baseline_rss_bytes: int = 0
    s3_seconds: float = 0.0
    s3_seconds_by_operation: dict[str, float] = field(default_factory=dict)
    repeats: int = 1
    samples: list[tuple[float, int]] = field(default_factory=list, repr=False)

    @classmethod
    def of_child(
        cls, size_label: str, method: str, sink: str, measured: dict, *, with_samples: bool = True
    ) -> StorageRun:
        """A run from what ``benchmarks.storage_child`` printed."""
        return cls(
            size_label,
            method,
            sink,
            measured["bytes"],
            measured["wall_seconds"],
            measured["cpu_seconds"],
            measured["peak_rss_bytes"],
            measured["baseline_rss_bytes"],
            measured["s3_seconds"],
            measured["s3_seconds_by_operation"],
            samples=[tuple(sample) for sample in measured["samples"]] if with_samples else [],
        )

    @property
    def mib_per_second(self) -> float:
        return self.uncompressed_bytes / MIB / self.wall_seconds

    @property
    def label(self) -> str:
        return self.method if self.method == "gzip -dc" else f"{self.method} → {SINK_NAMES[self.sink]}"

    @property
    def into_s3(self) -> bool:
        return self.sink in S3_SINKS


S3_SINKS = ("s3", "standin")
SINK_NAMES = {"s3": "moto S3", "standin": "S3 stand-in", "discard": "discard", "/dev/null": "/dev/null"}


@dataclass
class _Servers:
    emulator: SpApiEmulator
    s3_url: str
    s3: Any
    reports: ReportsClient
    standin: S3StandIn


@contextmanager
def _moto_server(log: Path) -> Iterator[str]:
    """The URL of a moto server running in its own process, stopped on exit."""
    with log.open("ab") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.moto_process"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log_file,
            cwd=REPO_ROOT,
        )
    try:
        line = process.stdout.readline().decode().split()
        if len(line) != 2 or line[0] != "port":
            raise RuntimeError(f"moto server did not start; see {log}")
        yield f"http://127.0.0.1:{line[1]}"
    finally:
        process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def _servers(log: Path) -> Iterator[_Servers]:
    config = EmulatorConfig(
        auto_advance=False,  # the benchmark finishes reports itself, with its own documents
        compress_documents=False,  # documents are handed over already gzipped
        record_exchanges=False,  # the log would keep a copy of every document served
        document_url_ttl=3600.0,
    )
    with _moto_server(log) as s3_url, SpApiEmulator(config=config) as emulator, s3_standin() as standin:
        emulator.register_app(CLIENT_ID, CLIENT_SECRET)
        emulator.register_seller(REFRESH_TOKEN, SELLER_ID)
        for operation in ("createReport", "getReportDocument"):
            emulator.set_rate(operation, 100.0, 100)
        s3 = boto3.client(
            "s3",
            endpoint_url=s3_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106 - moto's fake credentials
            config=Config(s3={"addressing_style": "path"}),
        )
        s3.create_bucket(Bucket=BUCKET)
        lwa = LwaClient(AppCredentials(CLIENT_ID, CLIENT_SECRET), endpoint=emulator.lwa_url)
        http = SpApiHttpClient(
            emulator.url, rate_limiter=RateLimiter(rates={"createReport": OperationRate(100.0, 100)})
        )
        reports = ReportsClient(http, lwa.seller_token_provider(REFRESH_TOKEN))
        yield _Servers(emulator, s3_url, s3, reports, standin)


def _publish(
    servers: _Servers, report: SyntheticReport, marketplace_id: str = MARKETPLACE_ID
) -> tuple[str, str]:
    """A DONE report in the emulator whose document is the synthetic gzip file (labelled GZIP, as SP-API
    labels its documents)."""
    report_id = servers.reports.create_report(REPORT_TYPE, [marketplace_id])
    servers.emulator.finish_report(report_id, "DONE", document=report.path.read_bytes())
    state = servers.emulator.app.state
    with state.lock:
        document_id = state.reports[report_id].report_document_id
        state.documents[document_id].compression = "GZIP"
    return report_id, document_id


def _run_storage_child(
    servers: _Servers,
    report_id: str,
    document_id: str,
    method: str,
    sink: str,
    work_dir: Path,
    log: Path,
    marketplace_id: str = MARKETPLACE_ID,
) -> dict[str, Any]:
    result_path = work_dir / f"result-{method}-{sink}.json"
    key = f"{SELLER_ID}/{REPORT_TYPE}/{report_id}/report-{method}.tsv"
    spec = {
        "method": method,
        "sink": sink,
        "spapi_url": servers.emulator.url,
        "lwa_url": servers.emulator.lwa_url,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": REFRESH_TOKEN,
        "report_id": report_id,
        "report_document_id": document_id,
        "marketplace_id": marketplace_id,
        "s3_url": servers.standin.url if sink == "standin" else servers.s3_url,
        "bucket": BUCKET,
        "key": key,
        "part_size": PART_SIZE,
        "result_path": str(result_path),
    }
    # The emulator serves the documents over http from its own host: a test deployment
    # (sp_reports.spapi.regions).
    env = {**os.environ, "BENCH_STORAGE_SPEC": json.dumps(spec), "SP_REPORTS_TEST_ENDPOINTS": "true"}
    with log.open("ab") as log_file:
        child = run_child(
            [sys.executable, "-m", "benchmarks.storage_child"],
            env=env,
            stdout=log_file,
            stderr=log_file,
            cwd=REPO_ROOT,
        )
    if child.returncode != 0:
        raise RuntimeError(f"storage child {method} → {sink} failed ({child.returncode}); see {log}")
    result = json.loads(result_path.read_text())
    result_path.unlink()
    # The child's own VmHWM at the end, or the parent's last reading of it, whichever is higher.
    result["peak_rss_bytes"] = max(result["peak_rss_bytes"], child.peak_rss_bytes)
    started, finished = result["started_monotonic"], result["started_monotonic"] + result["wall_seconds"]
    result["samples"] = [
        (moment - started, rss) for moment, rss in child.samples if started <= moment <= finished
    ]
    if sink == "s3":
        stored = servers.s3.head_object(Bucket=BUCKET, Key=key)["ContentLength"]
        servers.s3.delete_object(Bucket=BUCKET, Key=key)
    elif sink == "standin":
        stored = servers.standin.object_size(BUCKET, key)
        servers.standin.forget(BUCKET, key)
    if sink in S3_SINKS and stored != result["bytes"]:
        raise RuntimeError(f"{method} → {sink} stored {stored} bytes, expected {result['bytes']}")
    return result


def _gzip_limit(report: SyntheticReport, size_label: str) -> StorageRun:
    child = run_child(["gzip", "-dc", str(report.path)])
    if child.returncode != 0:
        raise RuntimeError(f"gzip -dc {report.path} failed ({child.returncode})")
    return StorageRun(
        size_label,
        "gzip -dc",
        "/dev/null",
        report.uncompressed_size,
        child.wall_seconds,
        child.cpu_seconds,
        child.peak_rss_bytes,
    )


def _median_run(runs: list[StorageRun]) -> StorageRun:
    """The run with the median wall time (its own figures, not a mix of runs), plus how many were taken."""
    chosen = sorted(runs, key=lambda run: run.wall_seconds)[len(runs) // 2]
    chosen.repeats = len(runs)
    chosen.peak_rss_bytes = max(run.peak_rss_bytes for run in runs)
    return chosen


# Naive into a discard sink is left out: its cost without S3 is its S3 run minus the time in S3 calls, and at
# 1 GiB it would add half a minute of shuffling gigabytes for no new figure.
CASES = (
    ("gzip -dc", "/dev/null"),
    ("streaming", "discard"),
    ("streaming", "standin"),
    ("naive", "standin"),
    ("streaming", "s3"),
    ("naive", "s3"),
)


def run(work_dir: Path, sizes: dict[str, int], repeats: dict[str, int]) -> list[StorageRun]:
    """Every case for every size; `repeats[label]` runs of each (the median is kept)."""
    work_dir.mkdir(parents=True, exist_ok=True)
    log = work_dir / "storage-children.log"
    log.write_bytes(b"")
    results: list[StorageRun] = []
    with _servers(log) as servers:
        for label, target in sizes.items():
            report = cached_gzip_report(work_dir, ReportPlan(target))
            report_id, document_id = _publish(servers, report)
            print(
                f"  {label}: {report.uncompressed_size / MIB:.0f} MiB, "
                f"{report.compressed_size / MIB:.0f} MiB gzipped"
            )
            for method, sink in CASES:
                runs = []
                for _ in range(repeats.get(label, 1)):
                    if method == "gzip -dc":
                        runs.append(_gzip_limit(report, label))
                        continue
                    measured = _run_storage_child(
                        servers, report_id, document_id, method, sink, work_dir, log
                    )
                    if measured["bytes"] != report.uncompressed_size:
                        raise RuntimeError(
                            f"{method} → {sink} read {measured['bytes']} bytes of {report.uncompressed_size}"
                        )
                    runs.append(StorageRun.of_child(label, method, sink, measured))
                chosen = _median_run(runs)
                print(
                    f"    {chosen.label:<22} {chosen.wall_seconds:7.2f} s "
                    f"{chosen.mib_per_second:7.1f} MiB/s  "
                    f"peak {chosen.peak_rss_bytes / MIB:7.1f} MiB"
                )
                results.append(chosen)
    return results


# The Japanese marketplace: its downloads say charset=windows-31j (spapi_emulator.document_charsets), so the
# transcoding run decodes cp932. The synthetic report is ASCII, which cp932 reads unchanged: the stored size
# must equal the document's, as in the other runs.
TRANSCODING_MARKETPLACE_ID = "A1VC38T7YXB528"


def run_transcoding(work_dir: Path, size_label: str, target: int) -> StorageRun:
    """One streaming store into S3 with TRANSCODE_REPORTS_TO_UTF8 on: its peak RSS against the same bound."""
    work_dir.mkdir(parents=True, exist_ok=True)
    log = work_dir / "storage-children.log"
    with _servers(log) as servers:
        report = cached_gzip_report(work_dir, ReportPlan(target))
        report_id, document_id = _publish(servers, report, TRANSCODING_MARKETPLACE_ID)
        measured = _run_storage_child(
            servers, report_id, document_id, "transcoding", "s3", work_dir, log, TRANSCODING_MARKETPLACE_ID
        )
    if measured["bytes"] != report.uncompressed_size:
        raise RuntimeError(f"transcoding stored {measured['bytes']} bytes of {report.uncompressed_size}")
    return StorageRun.of_child(size_label, "transcoding", "s3", measured, with_samples=False)


if __name__ == "__main__":
    # python -m benchmarks.storage [MiB]: the transcoding store alone (make bench runs the others).
    mib = int(sys.argv[1]) if len(sys.argv) > 1 else 1024
    run = run_transcoding(BUILD_DIR / "bench", f"{mib} MiB", mib * MIB)
    print(
        f"transcoding → s3, {run.uncompressed_bytes / MIB:.0f} MiB: {run.wall_seconds:.1f} s, "
        f"{run.cpu_seconds:.1f} CPU s, peak RSS {run.peak_rss_bytes / MIB:.1f} MiB "
        f"(baseline {run.baseline_rss_bytes / MIB:.1f} MiB)"
    )
