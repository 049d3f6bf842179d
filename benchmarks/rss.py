"""Memory and CPU of a process: an RSS sampler for the measured process itself, and a runner for a child.

The child's CPU time comes from wait4(2). Its peak RSS does not: on Linux a child's ru_maxrss starts from the
parent's high-water mark (exec records the forked address space's peak), so a 2 MiB `gzip` started by a
100 MiB Python process reports 100 MiB. The runner reads the child's own VmHWM from /proc/<pid>/status while
it runs instead; exec gives the child a fresh address space, so that figure is the child's alone.
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


def status_field_bytes(name: str, status_path: Path = Path("/proc/self/status")) -> int:
    """A memory line of /proc/<pid>/status (`VmRSS`, `VmHWM`, ...) in bytes."""
    for line in status_path.read_text().splitlines():
        if line.startswith(name + ":"):
            value, unit = line.split(":", 1)[1].split()
            if unit != "kB":
                raise ValueError(f"unexpected unit {unit!r} for {name}")
            return int(value) * KIB
    raise KeyError(f"{name} not in {status_path}")


@dataclass
class RssSampler:
    """Samples this process's VmRSS every `interval` seconds from a daemon thread.

    `samples` holds (seconds since start, bytes); reading /proc is cheap enough (tens of microseconds) that
    sampling every 20 ms does not slow the measured work.
    """

    interval: float = 0.02
    samples: list[tuple[float, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._started = 0.0

    def start(self) -> RssSampler:
        self._started = time.perf_counter()
        self._sample()
        self._thread.start()
        return self

    def stop(self) -> list[tuple[float, int]]:
        self._stop.set()
        self._thread.join()
        self._sample()
        return self.samples

    @property
    def peak(self) -> int:
        return max((rss for _, rss in self.samples), default=0)

    def _sample(self) -> None:
        self.samples.append((time.perf_counter() - self._started, status_field_bytes("VmRSS")))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> RssSampler:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


@dataclass(frozen=True)
class ChildRun:
    returncode: int
    wall_seconds: float
    cpu_seconds: float  # user + system
    peak_rss_bytes: int


def run_child(
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    stdout: int | object = subprocess.DEVNULL,
    stderr: int | object = None,
    cwd: str | os.PathLike[str] | None = None,
) -> ChildRun:
    """Run `command` and return its exit code, wall time and its own CPU time and peak RSS."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=stdout, stderr=stderr, cwd=cwd)  # noqa: S603
    watcher = _HighWaterWatcher(process.pid)
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
    )


class _HighWaterWatcher(threading.Thread):
    """Keeps the last VmHWM read from a running process (the high-water mark only grows, so the last
    reading before the process exits is its peak, give or take the final polling interval)."""

    def __init__(self, pid: int, interval: float = 0.005) -> None:
        super().__init__(name=f"hwm-{pid}", daemon=True)
        self._status = Path(f"/proc/{pid}/status")
        self._interval = interval
        self.peak = 0

    def run(self) -> None:
        while True:
            try:
                self.peak = max(self.peak, status_field_bytes("VmHWM", self._status))
            except (OSError, KeyError, ValueError):
                return  # gone, or a zombie (no memory lines any more)
            time.sleep(self._interval)
