"""Memory measurement: the sampler sees this process grow, and a child's peak is its own."""

from __future__ import annotations

import sys
import time

from benchmarks.rss import MIB, RssSampler, run_child, status_field_bytes


def test_status_field_reads_resident_set_in_bytes():
    rss = status_field_bytes("VmRSS")
    assert 5 * MIB < rss < 10_000 * MIB
    assert status_field_bytes("VmHWM") >= rss


def test_sampler_sees_memory_grow_and_shrink():
    with RssSampler(interval=0.005) as sampler:
        time.sleep(0.05)
        block = bytearray(96 * MIB)  # zero-filled: every page is touched
        time.sleep(0.05)
        del block
        time.sleep(0.05)
    first, last = sampler.samples[0][1], sampler.samples[-1][1]
    assert sampler.peak - first > 80 * MIB
    assert last < sampler.peak - 80 * MIB
    times = [moment for moment, _ in sampler.samples]
    assert times == sorted(times)


def test_child_peak_is_its_own_not_the_parents():
    ballast = bytearray(200 * MIB)  # Linux's ru_maxrss would credit a child with this
    small = run_child([sys.executable, "-c", "pass"])
    large = run_child(
        [sys.executable, "-c", "b = bytearray(150 * 1024 * 1024); import time; time.sleep(0.1)"]
    )
    del ballast

    assert small.returncode == large.returncode == 0
    assert small.peak_rss_bytes < 60 * MIB
    assert 150 * MIB < large.peak_rss_bytes < 250 * MIB


def test_child_cpu_time_and_exit_code_are_reported():
    busy = run_child(
        [
            sys.executable,
            "-c",
            "import sys, time\nt = time.process_time()\n"
            "while time.process_time() - t < 0.3: pass\nsys.exit(3)",
        ]
    )
    assert busy.returncode == 3
    assert busy.cpu_seconds >= 0.3
    assert busy.wall_seconds >= busy.cpu_seconds * 0.9
