"""Terraform defaults derived from the figures: the store function's memory and the processor's batch size.

Store memory. Lambda gives a function CPU in proportion to its memory (one vCPU at 1,769 MB). The store step
is CPU-bound (gunzip, checksums, HTTP), so its memory buys both room and speed. We pick the smallest size
that (a) holds twice the projected peak RSS (the handler's RSS after its cold start plus the streaming
working set measured on the 1 GiB report), and (b) stores a DESIGN_REPORT_GIB report within half the
function's timeout at that CPU share, from the CPU seconds per GiB measured here.

Processor batch size. The per-invocation overhead of the handler (Powertools decorators, the batch
processor, the metrics flush) is fitted from its CPU time on messages it drops without an AWS call, in
batches of 1 and of 10 (seconds = overhead x invocations + cost x messages). Batches above 10 need a
batching window of at least one second, which delays every notification; we take 10 unless ten messages
would not fit well inside the timeout.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

FULL_VCPU_MB = 1769
MEMORY_CHOICES_MB = (256, 512, 1024, 1769, 3008)
DESIGN_REPORT_GIB = 5
HEADROOM = 2.0
MAX_BATCH_WITHOUT_WINDOW = 10
GIB = 1024**3
MIB = 1024**2


@dataclass(frozen=True)
class StoreMemoryAdvice:
    projected_peak_mib: float
    cpu_seconds_per_gib: float
    memory_mb: int
    design_report_seconds: float  # projected CPU time for DESIGN_REPORT_GIB at memory_mb
    timeout_seconds: int


def store_memory(
    handler_rss_bytes: int, working_set_bytes: int, cpu_seconds_per_gib: float, timeout_seconds: int
) -> StoreMemoryAdvice:
    peak_mib = (handler_rss_bytes + working_set_bytes) / MIB
    for memory in MEMORY_CHOICES_MB:
        share = min(1.0, memory / FULL_VCPU_MB)
        seconds = DESIGN_REPORT_GIB * cpu_seconds_per_gib / share
        if peak_mib * HEADROOM <= memory and seconds <= timeout_seconds / 2:
            return StoreMemoryAdvice(peak_mib, cpu_seconds_per_gib, memory, seconds, timeout_seconds)
    memory = MEMORY_CHOICES_MB[-1]
    seconds = DESIGN_REPORT_GIB * cpu_seconds_per_gib / min(1.0, memory / FULL_VCPU_MB)
    return StoreMemoryAdvice(peak_mib, cpu_seconds_per_gib, memory, seconds, timeout_seconds)


@dataclass(frozen=True)
class BatchAdvice:
    overhead_seconds: float  # per invocation
    message_seconds: float  # per message
    batch_size: int
    timeout_seconds: int

    @property
    def overhead_share(self) -> float:
        """The share of an invocation's time that is per-invocation overhead, at the advised batch size."""
        total = self.overhead_seconds + self.batch_size * self.message_seconds
        return self.overhead_seconds / total if total else 0.0


def fit_overhead(runs: Sequence[tuple[int, int, float]]) -> tuple[float, float]:
    """Least squares of seconds = overhead x invocations + cost x messages over (invocations, messages,
    seconds); both results clamped at zero (noise can make a tiny overhead come out negative)."""
    a11 = sum(i * i for i, _, _ in runs)
    a12 = sum(i * m for i, m, _ in runs)
    a22 = sum(m * m for _, m, _ in runs)
    b1 = sum(i * s for i, _, s in runs)
    b2 = sum(m * s for _, m, s in runs)
    determinant = a11 * a22 - a12 * a12
    if not determinant:
        total_messages = sum(m for _, m, _ in runs)
        return 0.0, sum(s for _, _, s in runs) / total_messages
    overhead = (b1 * a22 - b2 * a12) / determinant
    cost = (a11 * b2 - a12 * b1) / determinant
    return max(0.0, overhead), max(0.0, cost)


def processor_batch_size(
    own_time_runs: Sequence[tuple[int, int, float]], message_seconds: float, timeout_seconds: int
) -> BatchAdvice:
    """`own_time_runs`: (invocations, messages, CPU seconds) of the handler's own work (no AWS calls), which
    the fit splits into per-invocation overhead and per-message cost; `message_seconds`: a message's whole
    cost, AWS calls included."""
    overhead, _own_cost = fit_overhead(own_time_runs)
    batch = MAX_BATCH_WITHOUT_WINDOW
    # Ten times the measured per-message cost is the budget we hold a batch to (real AWS calls are slower
    # than moto in-process); shrink the batch only if that would not fit in a tenth of the timeout.
    while batch > 1 and overhead + batch * message_seconds * 10 > timeout_seconds / 10:
        batch -= 1
    return BatchAdvice(overhead, message_seconds, batch, timeout_seconds)


@dataclass(frozen=True)
class TerraformDefaults:
    store_memory_mb: int | None
    store_timeout_seconds: int | None
    processor_timeout_seconds: int | None
    batch_size: int | None


def root_functions(terraform_dir: Path) -> dict[str, dict[str, int]]:
    """The numeric settings (memory_size, timeout) of each function in the root's `local.functions` map,
    the one list of functions: `<name> = {` to its brace at the same indent, inside `functions = {` (or
    `functions = merge({`, the opt-in functions merged after it, which a default deployment does not have)."""
    try:
        main = (terraform_dir / "functions.tf").read_text()
    except OSError:
        return {}
    block = re.search(r"\n(\s*)functions = (?:merge\()?\{\n(.*?)\n\1\}", main, re.DOTALL)
    if not block:
        return {}
    functions = {}
    for entry in re.finditer(r"(?m)^(\s*)(\w+) = \{\n(.*?)\n\1\}", block.group(2), re.DOTALL):
        if entry.group(1) != block.group(1) + "  ":
            continue
        settings = re.findall(r"(?m)^\s*(memory_size|timeout)\s*=\s*(\d+)", entry.group(3))
        functions[entry.group(2)] = {name: int(value) for name, value in settings}
    return functions


def read_terraform_defaults(terraform_dir: Path) -> TerraformDefaults:
    """The current defaults, read from the Terraform sources (None where the pattern is not found)."""

    def read(path: Path) -> str:
        try:
            return path.read_text()
        except OSError:
            return ""

    def find(text: str, pattern: str) -> int | None:
        match = re.search(pattern, text, re.DOTALL)
        return int(match.group(1)) if match else None

    def function_setting(function: str, setting: str) -> int | None:
        return root_functions(terraform_dir).get(function, {}).get(setting)

    return TerraformDefaults(
        store_memory_mb=function_setting("report_storer", "memory_size"),
        store_timeout_seconds=function_setting("report_storer", "timeout"),
        processor_timeout_seconds=function_setting("notifications_processor", "timeout"),
        batch_size=find(
            read(terraform_dir / "modules" / "queue" / "variables.tf"),
            r'variable "batch_size"\s*\{[^}]*?default\s*=\s*(\d+)',
        ),
    )
