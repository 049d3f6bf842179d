"""The conversion benchmark measures a real conversion of a document its table accepts, and prices it."""

from __future__ import annotations

import pytest

from benchmarks import conversion, cost_model
from sp_reports.analytics.table_schemas import TABLE_SCHEMAS


def test_the_synthetic_document_has_the_table_s_headers_and_reaches_its_size(tmp_path):
    path = tmp_path / "report.tsv"
    written = conversion.write_document(path, 3 * conversion.MIB)
    assert written == path.stat().st_size >= 3 * conversion.MIB
    header = path.read_text().splitlines()[0].split("\t")
    assert header == [column.header for column in TABLE_SCHEMAS[conversion.TABLE].columns]


def test_a_run_converts_every_row_without_a_problem(tmp_path):
    (run,) = conversion.run((1,), tmp_path)
    assert conversion.write_document(tmp_path / "again.tsv", conversion.MIB) == run.raw_bytes
    assert run.status == "CONVERTED"
    assert run.problem_count == 0
    assert run.rows == (tmp_path / "again.tsv").read_text().count("\n") - 1  # every line but the header
    assert 0 < run.parquet_bytes < run.raw_bytes
    assert run.peak_rss_bytes >= run.baseline_rss_bytes > 0


def test_the_conversion_is_priced_per_1000_reports_at_the_converter_s_memory():
    cost = cost_model.conversion_cost(
        raw_bytes=conversion.MIB,
        parquet_bytes=10**9 // 1000,
        wall_seconds=2.0,
        cpu_seconds=1.0,
        memory_mb=2048,
        architecture="arm64",
    )
    lines = {line.item: line for line in cost.lines}
    assert lines["Lambda report_converter duration"].quantity == pytest.approx(1000 * 2.0 * 2)
    assert lines["S3 Standard, one month (Parquet)"].quantity == pytest.approx(1.0)
    assert lines["Lambda requests"].quantity == 1000
    assert cost.total == pytest.approx(sum(line.usd for line in cost.lines))


def test_the_converter_s_memory_is_read_from_the_function_map():
    from benchmarks.__main__ import _converter_memory_mb
    from benchmarks.sizing import root_functions

    from sp_reports_harness.repository import REPO_ROOT

    functions = root_functions(REPO_ROOT / "terraform")
    assert _converter_memory_mb() == functions["report_converter"]["memory_size"]
    assert _converter_memory_mb() >= 1024
