"""The synthetic listings report: one valid gzip member whose content is exactly the planned rows."""

from __future__ import annotations

import gzip
import shutil
import subprocess
import zlib

import pytest
from benchmarks.synthetic_report import COLUMNS, ReportPlan, cached_gzip_report, write_gzip_report

SMALL_PLAN = ReportPlan(target_size=300 * 1024, block_size=64 * 1024, distinct_blocks=3, seed=11)


def test_gzip_report_decompresses_to_the_planned_rows(tmp_path):
    report = write_gzip_report(tmp_path / "r.tsv.gz", SMALL_PLAN)
    expected = b"".join(SMALL_PLAN.plain_chunks())

    assert gzip.decompress(report.path.read_bytes()) == expected
    assert report.uncompressed_size == len(expected) >= SMALL_PLAN.target_size
    assert report.crc32 == zlib.crc32(expected)
    assert report.compressed_size == report.path.stat().st_size < len(expected) / 2


def test_gzip_report_is_a_single_member(tmp_path):
    # SP-API's documents are one gzip member; a multi-member file would favour readers that handle only one.
    report = write_gzip_report(tmp_path / "r.tsv.gz", SMALL_PLAN)
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    inflater.decompress(report.path.read_bytes())
    assert inflater.eof
    assert inflater.unused_data == b""


@pytest.mark.skipif(shutil.which("gzip") is None, reason="gzip(1) not installed")
def test_gzip_tool_accepts_the_report(tmp_path):
    report = write_gzip_report(tmp_path / "r.tsv.gz", SMALL_PLAN)
    command = ["gzip", "-t", str(report.path)]
    assert subprocess.run(command, check=False).returncode == 0  # noqa: S603 - gzip(1) from PATH


def test_every_row_has_the_listing_columns(tmp_path):
    report = write_gzip_report(tmp_path / "r.tsv.gz", SMALL_PLAN)
    lines = gzip.decompress(report.path.read_bytes()).decode().splitlines()

    assert lines[0].split("\t") == list(COLUMNS)
    assert len(lines) > 100
    assert all(len(line.split("\t")) == len(COLUMNS) for line in lines[1:])
    skus = {line.split("\t")[3] for line in lines[1:]}
    assert len(skus) > 50  # rows differ, as a real report's do


def test_cached_report_is_reused_until_damaged(tmp_path):
    first = cached_gzip_report(tmp_path, SMALL_PLAN)
    written_at = first.path.stat().st_mtime_ns

    again = cached_gzip_report(tmp_path, SMALL_PLAN)
    assert again == first
    assert again.path.stat().st_mtime_ns == written_at

    with first.path.open("r+b") as handle:
        handle.truncate(100)
    rebuilt = cached_gzip_report(tmp_path, SMALL_PLAN)
    assert rebuilt.compressed_size == first.compressed_size
    assert gzip.decompress(rebuilt.path.read_bytes()) == b"".join(SMALL_PLAN.plain_chunks())
