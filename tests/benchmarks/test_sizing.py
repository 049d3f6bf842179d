"""Terraform defaults from the figures: the fit, the memory rule, and reading the current defaults."""

from __future__ import annotations

import pytest
from benchmarks.sizing import (
    MIB,
    fit_overhead,
    processor_batch_size,
    read_terraform_defaults,
    store_memory,
)

from sp_reports_harness.repository import REPO_ROOT


def test_fit_recovers_per_invocation_overhead_and_per_message_cost():
    overhead, cost = 0.004, 0.012
    runs = [(invocations, 1000, invocations * overhead + 1000 * cost) for invocations in (1000, 100, 10)]
    fitted_overhead, fitted_cost = fit_overhead(runs)
    assert fitted_overhead == pytest.approx(overhead)
    assert fitted_cost == pytest.approx(cost)


def test_batch_stays_at_ten_when_messages_are_cheap_and_shrinks_when_they_are_slow():
    own_time = [(1000, 1000, 4.0), (100, 1000, 3.0), (10, 1000, 2.9)]
    cheap = processor_batch_size(own_time, message_seconds=0.014, timeout_seconds=60)
    assert cheap.batch_size == 10
    assert cheap.overhead_seconds == pytest.approx(0.00111, rel=0.05)
    assert processor_batch_size(own_time, message_seconds=0.25, timeout_seconds=60).batch_size == 2


def test_store_memory_follows_peak_rss_and_cpu_cost():
    light = store_memory(80 * MIB, 40 * MIB, cpu_seconds_per_gib=2.0, timeout_seconds=300)
    assert light.memory_mb == 256
    cpu_bound = store_memory(80 * MIB, 40 * MIB, cpu_seconds_per_gib=6.0, timeout_seconds=300)
    assert cpu_bound.memory_mb == 512
    assert cpu_bound.design_report_seconds <= 150
    memory_bound = store_memory(200 * MIB, 100 * MIB, cpu_seconds_per_gib=2.0, timeout_seconds=300)
    assert memory_bound.memory_mb == 1024


def test_current_terraform_defaults_are_found():
    # The docs compare the figures with these; a refactor of the Terraform must not silently hide them.
    defaults = read_terraform_defaults(REPO_ROOT / "terraform")
    assert defaults.store_memory_mb and defaults.store_memory_mb >= 128
    assert defaults.store_timeout_seconds and defaults.processor_timeout_seconds
    assert defaults.batch_size and 1 <= defaults.batch_size <= 10_000
