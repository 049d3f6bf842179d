"""The step lines and progress lines of `make demo` and `make acceptance`: one line per finished step with its
duration, a progress line while a long step runs, and a shutdown that a second Ctrl-C cannot interrupt."""

from __future__ import annotations

import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TextIO


@dataclass
class StepTimer:
    """Prints one line per finished step: its duration and what it did; keeps them for the summary."""

    out: TextIO
    steps: list[tuple[str, float]] = field(default_factory=list)
    current: str | None = None

    @contextmanager
    def step(self, title: str) -> Iterator[Callable[[str], None]]:
        """Run a step; the yielded callback sets the line's final text (defaults to ``title``)."""
        self.current = title
        summary = [title]
        started = time.monotonic()
        yield lambda text: summary.__setitem__(0, text)
        elapsed = time.monotonic() - started
        self.steps.append((summary[0], elapsed))
        clear_progress(self.out)
        print(f"{elapsed:7.1f} s  {summary[0]}", file=self.out, flush=True)
        self.current = None

    @property
    def total(self) -> float:
        return sum(seconds for _, seconds in self.steps)


class Progress:
    """A progress line: rewritten in place on a terminal, printed only when it changes otherwise."""

    def __init__(self, out: TextIO, prefix: str) -> None:
        self._out = out
        self._prefix = prefix
        self._tty = out.isatty()
        self._last = ""
        self._started = time.monotonic()

    def update(self, text: str) -> None:
        elapsed = time.monotonic() - self._started
        if self._tty:
            line = f"  ... {self._prefix}: {text} ({elapsed:.0f} s)"
            self._out.write("\r\033[K" + line[:110])
            self._out.flush()
        elif text != self._last:
            print(f"  ... {self._prefix}: {text} ({elapsed:.0f} s)", file=self._out, flush=True)
        self._last = text


def clear_progress(out: TextIO) -> None:
    if out.isatty():
        out.write("\r\033[K")


class TerraformProgress:
    """Counts finished resources in ``terraform apply`` output for the progress line."""

    def __init__(self, progress: Progress, total: int | None = None) -> None:
        self._progress = progress
        self.done = 0
        self.total = total
        self._last_report = 0.0

    def __call__(self, line: str) -> None:
        if match := re.search(r"Plan: (\d+) to add", line):
            self.total = int(match.group(1))
        if "Creation complete" in line or "Modifications complete" in line:
            self.done += 1
        # Off a terminal, a line per resource would flood the log: report every 10 s at most.
        now = time.monotonic()
        if self._progress._tty or now - self._last_report >= 10 or self.done == self.total:
            self._last_report = now
            of_total = f"/{self.total}" if self.total else ""
            self._progress.update(f"{self.done}{of_total} resources")


@contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Shutdown takes a few seconds; a second Ctrl-C then would leave workers and servers behind."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
