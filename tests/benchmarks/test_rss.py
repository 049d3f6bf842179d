"""Memory measurement from outside the child: its peak is its own, and its RSS is sampled over time."""

from __future__ import annotations

import sys

from benchmarks.rss import MIB, memory_fields, run_child, status_field_bytes


def test_memory_fields_read_resident_set_in_bytes():
    fields = memory_fields()
    assert 5 * MIB < fields["VmRSS"] < 10_000 * MIB
    assert fields["VmHWM"] >= fields["VmRSS"]
    assert status_field_bytes("VmRSS") > 5 * MIB


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


def test_samples_follow_the_child_while_it_holds_its_interpreter_lock():
    # One C call copying 300 MiB holds the child's GIL throughout; a thread inside it could not sample.
    code = (
        "import time\n"
        "time.sleep(0.1)\n"
        "block = bytes(bytearray(300 * 1024 * 1024))\n"
        "time.sleep(0.1)\n"
        "del block\n"
        "time.sleep(0.1)\n"
    )
    run = run_child([sys.executable, "-c", code])
    sizes = [rss for _, rss in run.samples]
    moments = [moment for moment, _ in run.samples]

    assert run.returncode == 0
    assert max(sizes) > 500 * MIB  # the bytearray and its bytes copy, alive at once
    assert sizes[-1] < max(sizes) - 250 * MIB
    assert run.peak_rss_bytes >= max(sizes)
    assert moments == sorted(moments)


def test_child_cpu_time_and_exit_code_are_reported():
    code = "import sys, time\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass\nsys.exit(3)"
    busy = run_child([sys.executable, "-c", code])
    assert busy.returncode == 3
    assert busy.cpu_seconds >= 0.3
    assert busy.wall_seconds >= busy.cpu_seconds * 0.9
