"""`python -m benchmarks`: run every benchmark, print the table, write docs/benchmarks.md and its chart.

    python -m benchmarks            # the full run (make bench)
    python -m benchmarks --quick    # smaller sizes and fewer repeats, written to .build/bench/docs

The in-process benchmarks (token economy, rate limiting, notifications, pull planner) each run in a child
process of their own, so that moto's global mock, the emulator's threads and Powertools' log output stay out
of the others' way; their output goes to .build/bench/logs.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import cold_start, conversion, cost_model, pull_planner, storage
from benchmarks.cold_start import VARIANT_HANDLER
from benchmarks.conversion import ConversionRun
from benchmarks.machine import describe_machine
from benchmarks.notifications import NotificationRun, OverheadProbe
from benchmarks.png_chart import Guide, Series, write_line_chart
from benchmarks.pull_planner import PullPlannerRun
from benchmarks.rate_limiting import RateLimitRun
from benchmarks.report import CHART_NAME, RSS_TARGET_MIB, Results, console, markdown
from benchmarks.rss import MIB
from benchmarks.sizing import processor_batch_size, read_terraform_defaults, root_functions, store_memory
from benchmarks.token_economy import TokenEconomy
from sp_reports_harness.repository import BUILD_DIR, LAMBDA_PACKAGE_DIR, REPO_ROOT, TERRAFORM_DIR

WORK_DIR = BUILD_DIR / "bench"
GIB = 1024 * MIB
STREAMING_COLOUR = (31, 119, 180)
NAIVE_COLOUR = (214, 39, 40)
TARGET_COLOUR = (44, 160, 44)


def _child_phase(module: str, logs: Path, *arguments: str) -> Any:
    """Run `python -m benchmarks.<module> <result.json> [arguments]` and return the JSON it wrote."""
    result = WORK_DIR / f"{module}.json"
    log = logs / f"{module}.log"
    with log.open("wb") as output:
        completed = subprocess.run(  # noqa: S603
            [sys.executable, "-m", f"benchmarks.{module}", str(result), *arguments],
            stdout=output,
            stderr=output,
            cwd=REPO_ROOT,
            check=False,
        )
    if completed.returncode != 0:
        raise SystemExit(f"benchmarks.{module} failed ({completed.returncode}); see {log}")
    return json.loads(result.read_text())


class _Phases:
    """Prints each phase's name and, when the next begins, how long it took."""

    def __init__(self, started: float) -> None:
        self._started = started
        self._current: tuple[str, float] | None = None

    def begin(self, name: str) -> None:
        now = time.perf_counter()
        if self._current:
            print(f"   ({now - self._current[1]:.0f} s; {now - self._started:.0f} s so far)", flush=True)
        print(name, flush=True)
        self._current = (name, now)


def _memory_chart(results: list[storage.StorageRun], size_label: str, path: Path) -> None:
    series = []
    for method, colour, label in (
        ("streaming", STREAMING_COLOUR, "streaming (ours)"),
        ("naive", NAIVE_COLOUR, "naive"),
    ):
        run = next(
            r for r in results if r.size_label == size_label and r.method == method and r.sink == "standin"
        )
        points = [(seconds, rss / MIB) for seconds, rss in run.samples]
        series.append(Series(f"{label}: peak {run.peak_rss_bytes / MIB:.0f} MIB", points, colour))
    write_line_chart(
        path,
        series,
        title=f"RSS over time: {size_label} report into the S3 stand-in",
        x_label="seconds",
        y_label="RSS (MIB)",
        guides=[Guide(f"target {RSS_TARGET_MIB} MIB", RSS_TARGET_MIB, TARGET_COLOUR)],
    )


def _costs(
    storage_runs: list[storage.StorageRun], tokens: TokenEconomy, notification_runs: list[NotificationRun]
) -> tuple[list[cost_model.ReportCost], list[str]]:
    """Cost per 1,000 reports for each size stored into the S3 stand-in."""
    deployment = cost_model.read_deployment(TERRAFORM_DIR, storage.PART_SIZE)
    transitions = cost_model.states_entered(
        TERRAFORM_DIR / "modules" / "state_machine" / "report_workflow.asl.json",
        {"processingStatus": "DONE", "reportDocumentId": "amzn1.spdoc.1.4.na.bench"},
    )
    message_seconds = sum(run.seconds for run in notification_runs) / sum(
        run.messages for run in notification_runs
    )
    others = {
        "report_creator": 1 / tokens.calls_per_second,
        "notifications_processor": message_seconds,
        "report_notifier": message_seconds,
    }
    costs = []
    for run in storage_runs:
        if run.method == "streaming" and run.sink == "standin":
            seconds = cost_model.store_duration(
                run.wall_seconds, run.cpu_seconds, deployment.memory_mb["report_storer"]
            )
            costs.append(
                cost_model.report_cost(
                    run.size_label, run.uncompressed_bytes, seconds, others, deployment, len(transitions)
                )
            )
    return costs, transitions


def _planner_cost(runs: list[PullPlannerRun]) -> cost_model.PlannerCost:
    """Per 1,000 windows, from the largest run."""
    run = max(runs, key=lambda run: run.plans)
    deployment = cost_model.read_deployment(TERRAFORM_DIR, storage.PART_SIZE)
    return cost_model.planner_cost(
        seconds_per_window=run.seconds_per_window,
        ticks_per_window=1 / run.windows_per_backlog_tick,
        read_units_per_window=run.read_units / run.windows_started,
        write_units_per_window=run.write_units / run.windows_started,
        kms_decrypts_per_window=run.kms_decrypts / run.windows_started,
        memory_mb=run.memory_mb,
        architecture=deployment.architecture,
    )


def _converter_memory_mb() -> int:
    return int(root_functions(TERRAFORM_DIR)[conversion.FUNCTION]["memory_size"])


def _conversion_costs(runs: list[ConversionRun]) -> list[cost_model.ConversionCost]:
    deployment = cost_model.read_deployment(TERRAFORM_DIR, storage.PART_SIZE)
    return [
        cost_model.conversion_cost(
            raw_bytes=run.raw_bytes,
            parquet_bytes=run.parquet_bytes,
            wall_seconds=run.wall_seconds,
            cpu_seconds=run.cpu_seconds,
            memory_mb=_converter_memory_mb(),
            architecture=deployment.architecture,
        )
        for run in runs
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, few repeats (for development)")
    parser.add_argument("--docs", type=Path, help="where to write benchmarks.md and the chart")
    args = parser.parse_args(argv)
    docs = args.docs or (WORK_DIR / "docs" if args.quick else REPO_ROOT / "docs")
    logs = WORK_DIR / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    docs.mkdir(parents=True, exist_ok=True)

    started = time.perf_counter()
    machine = describe_machine(REPO_ROOT)
    print(f"sp-reports benchmarks at {machine.commit} on {machine.describe()}", flush=True)
    if args.quick:
        sizes, repeats, cold_repeats, chart_size = (
            {"1 MiB": MIB, "20 MiB": 20 * MIB, "100 MiB": 100 * MIB},
            {},
            2,
            "100 MiB",
        )
    else:
        sizes, repeats, cold_repeats, chart_size = (
            {"1 MiB": MIB, "100 MiB": 100 * MIB, "1 GiB": GIB},
            {"1 MiB": 3, "100 MiB": 3},
            10,
            "1 GiB",
        )

    phase = _Phases(started)
    phase.begin("1. report storage")
    storage_runs = storage.run(WORK_DIR, sizes, repeats)
    phase.begin(f"2. cold start ({cold_repeats} interpreters per import)")
    timings = cold_start.run(WORK_DIR / "cold-start", LAMBDA_PACKAGE_DIR, cold_repeats)
    phase.begin("3. token economy")
    tokens = TokenEconomy(**_child_phase("token_economy", logs))
    phase.begin("4. rate limiting")
    rate_runs = [RateLimitRun(**run) for run in _child_phase("rate_limiting", logs)]
    phase.begin("5. notification throughput")
    notification_result = _child_phase("notifications", logs)
    notification_runs = [NotificationRun(**run) for run in notification_result["runs"]]
    overhead_probes = [OverheadProbe(**probe) for probe in notification_result["overhead"]]
    plan_counts = pull_planner.QUICK_RUN_PLANS if args.quick else pull_planner.FULL_RUN_PLANS
    phase.begin(f"6. pull planner ({', '.join(f'{count:,}' for count in plan_counts)} plans due at once)")
    planner_runs = [
        PullPlannerRun(**run)
        for run in _child_phase("pull_planner", logs, "--plans", *(str(count) for count in plan_counts))
    ]
    conversion_sizes = conversion.QUICK_SIZES_MIB if args.quick else conversion.FULL_SIZES_MIB
    phase.begin(f"7. analytics conversion ({', '.join(f'{size} MiB' for size in conversion_sizes)})")
    conversion_runs = [
        ConversionRun(**run)
        for run in _child_phase("conversion", logs, "--sizes", *(str(size) for size in conversion_sizes))
    ]
    phase.begin("report")

    terraform = read_terraform_defaults(TERRAFORM_DIR)
    streaming_s3 = [run for run in storage_runs if run.method == "streaming" and run.sink == "standin"]
    largest = max(streaming_s3, key=lambda run: run.uncompressed_bytes)
    storer = next(timing for timing in timings if timing.name == VARIANT_HANDLER and not timing.variant)
    memory_advice = store_memory(
        handler_rss_bytes=storer.median_rss_bytes,
        working_set_bytes=max(run.peak_rss_bytes - run.baseline_rss_bytes for run in streaming_s3),
        cpu_seconds_per_gib=largest.cpu_seconds / (largest.uncompressed_bytes / GIB),
        timeout_seconds=terraform.store_timeout_seconds or 300,
    )
    batch_advice = processor_batch_size(
        [(probe.invocations, probe.messages, probe.cpu_seconds) for probe in overhead_probes],
        message_seconds=sum(run.seconds for run in notification_runs)
        / sum(run.messages for run in notification_runs),
        timeout_seconds=terraform.processor_timeout_seconds or 60,
    )
    costs, transitions = _costs(storage_runs, tokens, notification_runs)
    planner_cost = _planner_cost(planner_runs)
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    results = Results(
        machine=machine,
        storage=storage_runs,
        cold_start=timings,
        tokens=tokens,
        rate_limits=rate_runs,
        notifications=notification_runs,
        overhead_probes=overhead_probes,
        store_memory=memory_advice,
        batch=batch_advice,
        terraform=terraform,
        costs=costs,
        transitions=transitions,
        seconds=time.perf_counter() - started,
        cpu_seconds=own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime,
        pull_planner=planner_runs,
        planner_cost=planner_cost,
        conversion=conversion_runs,
        conversion_costs=_conversion_costs(conversion_runs),
        converter_memory_mb=_converter_memory_mb(),
    )
    _memory_chart(storage_runs, chart_size, docs / CHART_NAME)
    (docs / "benchmarks.md").write_text(markdown(results))
    print()
    print(console(results))
    print(f"\nwrote {docs / 'benchmarks.md'} and {docs / CHART_NAME} in {results.seconds / 60:.1f} min")


if __name__ == "__main__":
    main()
