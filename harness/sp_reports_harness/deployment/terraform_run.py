"""Run one terraform command with its output streamed line by line (for progress) and collected (for errors).

On an interrupt (Ctrl-C, or any exception in the caller's line callback) terraform gets SIGINT, which makes it
stop gracefully and write its state, and is killed only if it has not exited after a grace period.
Terraform runs in a process group of its own, so that SIGINT is the only one it gets: a Ctrl-C on the terminal
(or a signal to our process group) reaches it through us, never twice; a second interrupt would make terraform
exit at once without writing the state of what it had created.
"""

from __future__ import annotations

import signal
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

LineCallback = Callable[[str], None]
INTERRUPT_GRACE_SECONDS = 15.0


@dataclass(frozen=True)
class TerraformRun:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


class TerraformTimeoutError(RuntimeError):
    pass


def run_streaming(
    command: Sequence[str],
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    on_line: LineCallback | None = None,
) -> TerraformRun:
    """Run ``command``; ``on_line`` sees each stdout line as it comes. Raises TerraformTimeoutError after
    ``timeout`` seconds (the process is stopped first)."""
    process = subprocess.Popen(  # noqa: S603 - the caller passes a fixed terraform argv
        list(command),
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        bufsize=1,
        process_group=0,
    )
    stderr_lines: list[str] = []
    stderr_reader = threading.Thread(
        target=lambda: stderr_lines.extend(process.stderr or ()), name="terraform-stderr", daemon=True
    )
    stderr_reader.start()
    timed_out = threading.Event()

    def on_timeout() -> None:
        timed_out.set()
        _stop(process)

    timer = threading.Timer(timeout, on_timeout)
    timer.daemon = True
    timer.start()
    stdout_lines: list[str] = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            stdout_lines.append(line)
            if on_line is not None:
                on_line(line.rstrip("\n"))
        process.wait()
    except BaseException:
        _stop(process)
        raise
    finally:
        timer.cancel()
        stderr_reader.join(timeout=5)
    if timed_out.is_set():
        raise TerraformTimeoutError(f"terraform {command[1]} did not finish within {timeout:.0f} s")
    return TerraformRun(process.returncode, "".join(stdout_lines), "".join(stderr_lines))


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=INTERRUPT_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
