"""Benchmark 7: the analytics conversion of one stored report into its typed Parquet table.

    python -m benchmarks.conversion <result.json> [--sizes 100 1024]     (MiB of raw TSV, one run each)

`sp_reports.analytics.conversion.convert_report`, as the converter step runs it, converts an all-orders
report (the `all_orders` table, the report type sellers pull most) stored raw in S3: it streams the object,
parses every cell by its column's type in the marketplace's format, writes bounded row groups into a local
Parquet file, uploads it under `curated-staging/` and copies it to its curated key. S3 is moto's server in a
process of its own (benchmarks.moto_process); the conversion runs alone in a child process, so its peak RSS
(VmHWM) is its own, measured against its RSS after its imports (the baseline).

The document: the table's columns as Amazon heads them (`table_schemas.json`), every cell a value of its
column's type as a US report writes it, rows repeated from a block of distinct ones up to the size. The
figures: MiB/s of raw document (wall and CPU), rows per second, peak RSS and what the conversion added to the
baseline, the Parquet file's size. Compare the peak with the converter's memory (terraform/functions.tf).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.rss import status_field_bytes

MIB = 1024 * 1024
TABLE = "all_orders"
REPORT_TYPE = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"
MARKETPLACE_ID = "ATVPDKIKX0DER"
SELLER_ID = "A1BENCHCONVERT"
BUCKET = "sp-reports-bench-conversion"
RAW_KEY = f"reports/{SELLER_ID}/bench/report.tsv"
REGION = "us-east-1"
FUNCTION = "report_converter"  # its memory, in terraform/functions.tf, bounds the peak
FULL_SIZES_MIB = (100, 1024)
QUICK_SIZES_MIB = (20,)
BLOCK_ROWS = 5_000  # distinct rows, repeated up to the size
SPEC_ENV = "BENCH_CONVERSION_SPEC"


@dataclass(frozen=True)
class ConversionRun:
    raw_bytes: int
    rows: int
    status: str
    problem_count: int
    wall_seconds: float
    cpu_seconds: float
    baseline_rss_bytes: int
    peak_rss_bytes: int
    parquet_bytes: int

    @property
    def mib_per_second(self) -> float:
        return self.raw_bytes / MIB / self.wall_seconds

    @property
    def cpu_mib_per_second(self) -> float:
        return self.raw_bytes / MIB / self.cpu_seconds

    @property
    def added_rss_mib(self) -> float:
        return (self.peak_rss_bytes - self.baseline_rss_bytes) / MIB


def _cell(column_type: str, name: str, row: int, rng: random.Random, day: datetime) -> str:
    """A value of `column_type` as a US report writes it."""
    if column_type == "string":
        return "USD" if "currency" in name else f"{name[:8]}-{row:07d}"
    if column_type == "bigint":
        return str(rng.randint(0, 9))
    if column_type == "double":
        return f"{rng.random() * 100:.3f}"
    if column_type == "boolean":
        return rng.choice(("true", "false"))
    if column_type == "date":
        return (day + timedelta(days=rng.randint(0, 6))).date().isoformat()
    if column_type == "timestamp":
        return (day + timedelta(seconds=rng.randint(0, 86_399))).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    if column_type.startswith("decimal("):
        precision, scale = (int(part) for part in column_type[8:-1].split(","))
        whole = rng.randint(0, 10 ** min(precision - scale, 5) - 1)
        return f"{whole}.{rng.randint(0, 10**scale - 1):0{scale}d}" if scale else str(whole)
    raise ValueError(f"no synthetic value for {column_type}")


def write_document(path: Path, size: int) -> int:
    """An all-orders TSV of at least `size` bytes at `path`; returns its size."""
    from sp_reports.analytics.table_schemas import TABLE_SCHEMAS

    schema = TABLE_SCHEMAS[TABLE]
    rng = random.Random(26)
    day = datetime(2026, 11, 1, tzinfo=UTC)
    header = "\t".join(column.header for column in schema.columns) + "\n"
    block = "".join(
        "\t".join(_cell(column.type, column.name, row, rng, day) for column in schema.columns) + "\n"
        for row in range(BLOCK_ROWS)
    ).encode()
    with path.open("wb") as document:
        document.write(header.encode())
        written = len(header)
        while written < size:
            document.write(block)
            written += len(block)
    return written


def _measure(spec: dict[str, Any]) -> dict[str, Any]:
    """The child: convert the stored document once and report its figures."""
    import boto3

    from sp_reports.analytics.conversion import ConversionRequest, convert_report

    s3 = boto3.client("s3", region_name=REGION, endpoint_url=spec["endpoint"])
    baseline = status_field_bytes("VmRSS")
    request = ConversionRequest(
        bucket=BUCKET,
        raw_key=RAW_KEY,
        kms_key_id=spec["kms_key_id"],
        seller_id=SELLER_ID,
        report_id="bench-conversion",
        report_type=REPORT_TYPE,
        marketplace_ids=(MARKETPLACE_ID,),
        data_start=datetime(2026, 11, 1, tzinfo=UTC),
        data_end=datetime(2026, 11, 7, 23, 59, 59, tzinfo=UTC),
        created=datetime(2026, 11, 8, tzinfo=UTC),
        charset=None,
        tags={},
    )
    started, started_cpu = time.perf_counter(), time.process_time()
    outcome = convert_report(s3, request)
    wall, cpu = time.perf_counter() - started, time.process_time() - started_cpu
    parquet = sum(s3.head_object(Bucket=BUCKET, Key=file.key)["ContentLength"] for file in outcome.files)
    return {
        "rows": sum(file.rows for file in outcome.files),
        "status": outcome.status,
        "problem_count": outcome.problem_count,
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "baseline_rss_bytes": baseline,
        "peak_rss_bytes": status_field_bytes("VmHWM"),
        "parquet_bytes": parquet,
    }


def run(sizes_mib: tuple[int, ...], work_dir: Path) -> list[ConversionRun]:
    import boto3

    from benchmarks.storage import _moto_server

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")  # moto's; no real account is reached
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    work_dir.mkdir(parents=True, exist_ok=True)
    runs = []
    with _moto_server(work_dir / "conversion-moto.log") as endpoint:
        s3 = boto3.client("s3", region_name=REGION, endpoint_url=endpoint)
        kms = boto3.client("kms", region_name=REGION, endpoint_url=endpoint)
        s3.create_bucket(Bucket=BUCKET)
        key_id = kms.create_key(Description="reports")["KeyMetadata"]["KeyId"]
        for size_mib in sizes_mib:
            with tempfile.TemporaryDirectory(dir=work_dir) as directory:
                document = Path(directory) / "report.tsv"
                raw_bytes = write_document(document, size_mib * MIB)
                s3.upload_file(str(document), BUCKET, RAW_KEY)
            spec = {"endpoint": endpoint, "kms_key_id": key_id}
            completed = subprocess.run(
                [sys.executable, "-m", "benchmarks.conversion", "--measure"],
                env={**os.environ, SPEC_ENV: json.dumps(spec)},
                capture_output=True,
                text=True,
                check=False,
            )
            if completed.returncode != 0:
                raise SystemExit(f"the conversion child failed:\n{completed.stderr[-4000:]}")
            figures = json.loads(completed.stdout.strip().splitlines()[-1])
            run = ConversionRun(raw_bytes=raw_bytes, **figures)
            print(
                f"{size_mib} MiB: {run.rows:,} rows {run.status}, {run.mib_per_second:.1f} MiB/s, "
                f"peak RSS {run.peak_rss_bytes / MIB:.0f} MiB (+{run.added_rss_mib:.0f}), "
                f"Parquet {run.parquet_bytes / MIB:.1f} MiB",
                flush=True,
            )
            runs.append(run)
            s3.delete_object(Bucket=BUCKET, Key=RAW_KEY)
    return runs


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("result", type=Path, nargs="?", help="where to write the runs' JSON")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(FULL_SIZES_MIB), help="MiB of raw TSV")
    parser.add_argument("--measure", action="store_true", help="(the child) convert once, print JSON")
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(_measure(json.loads(os.environ[SPEC_ENV]))))
        return
    if args.result is None:
        parser.error("the result path is required")
    runs = run(tuple(args.sizes), args.result.parent / "conversion")
    args.result.write_text(json.dumps([asdict(run) for run in runs]))


if __name__ == "__main__":
    main()
