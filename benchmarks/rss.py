"""Memory and CPU of a child process, measured from outside it.

The child's CPU time comes from wait4(2). Its peak RSS does not: on Linux a child's ru_maxrss starts from the
parent's high-water mark (exec records the forked address space's peak), so a 2 MiB `gzip` started by a
100 MiB Python process reports 100 MiB. The runner polls the child's own /proc/<pid>/status instead (exec
gives the child a fresh address space, so its VmHWM is its alone) and keeps its VmRSS over time. Polling from
the parent also sees what a sampling thread inside a Python child would miss: while the child copies a
gigabyte in one C call it holds its interpreter lock, and its own threads cannot run.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

KIB = 1024
MIB = 1024 * 1024


def memory_fields(status_path: Path = Path("/proc/self/status")) -> dict[str, int]:
    """The memory lines of /proc/<pid>/status (`VmRSS`, `VmHWM`, ...) in bytes; empty for a zombie."""
    fields = {}
    for line in status_path.read_text().splitlines():
        name, _, value = line.partition(":")
        parts = value.split()
        if name.startswith("Vm") and len(parts) == 2 and parts[1] == "kB":
            fields[name] = int(parts[0]) * KIB
    return fields


def status_field_bytes(name: str, status_path: Path = Path("/proc/self/status")) -> int:
    """One memory line of /proc/<pid>/status in bytes."""
    try:
        return memory_fields(status_path)[name]
    except KeyError:
        raise KeyError(f"{name} not in {status_path}") from None


@dataclass(frozen=True)
class ChildRun:
    returncode: int
    wall_seconds: float
    cpu_seconds: float  # user + system
    peak_rss_bytes: int
    samples: list[tuple[float, int]] = field(default_factory=list, repr=False)  # (time.monotonic(), VmRSS)


def run_child(
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    stdout: int | object = subprocess.DEVNULL,
    stderr: int | object = None,
    cwd: str | os.PathLike[str] | None = None,
    interval: float = 0.005,
) -> ChildRun:
    """Run `command`; return its exit code, wall time, CPU time, peak RSS and RSS samples."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=stdout, stderr=stderr, cwd=cwd)  # noqa: S603
    watcher = _MemoryWatcher(process.pid, interval)
    watcher.start()
    _pid, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    watcher.join()
    process.returncode = os.waitstatus_to_exitcode(status)  # Popen must not wait for it again
    return ChildRun(
        returncode=process.returncode,
        wall_seconds=wall,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        peak_rss_bytes=watcher.peak,
        samples=watcher.samples,
    )


class _MemoryWatcher(threading.Thread):
    """Polls a running process's VmRSS and VmHWM until it exits. The high-water mark only grows, so the last
    reading is the peak, give or take the final polling interval."""

    def __init__(self, pid: int, interval: float) -> None:
        super().__init__(name=f"memory-{pid}", daemon=True)
        self._status = Path(f"/proc/{pid}/status")
        self._interval = interval
        self.peak = 0
        self.samples: list[tuple[float, int]] = []

    def run(self) -> None:
        while True:
            try:
                fields = memory_fields(self._status)
            except OSError:
                return  # reaped
            if "VmHWM" not in fields:
                return  # a zombie: its memory is gone
            self.peak = max(self.peak, fields["VmHWM"])
            self.samples.append((time.monotonic(), fields["VmRSS"]))
            time.sleep(self._interval)
