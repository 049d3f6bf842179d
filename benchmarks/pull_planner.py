"""Benchmark 6: the pull planner with N daily plans (one seller each) all due at the same minute.

`PullPlanner.tick()` (sp_reports.pipeline.pull_planner) runs as its Lambda does (`SpApiClients`, the tokens,
reports and pull plans tables, the Terraform default per-tick cap, the function's timeout as the tick's time
budget) against moto in-process (the three tables shaped as terraform/modules/storage/main.tf creates them,
KMS, Secrets Manager, S3) and the SP-API emulator, which enforces createReport's documented rate per seller
(0.0167/s, burst 15, sp_reports.spapi.ratelimit.OPERATION_RATES) and answers 429 beyond it. Ticks run one
after another, the planner's clock moving by the schedule's rate between them, until every due window is
requested.

Figures: ticks needed, windows started, wall and CPU seconds of the ticks (moto's and the emulator's work
included: they run in this process), windows started per minute (in-process compute rate, and the fleet's
rate given the per-tick cap and the schedule), DynamoDB calls per window by table and operation and the
request units they bill, 429s the emulator answered and 429s that reached the planner, peak RSS.

Every seller's jitter (sp_reports.pipeline.pull_windows.seller_jitter, 0-15 minutes) spreads the windows'
due times; the clock starts at the minute by which every plan's window is due, so all N are due in the first
tick: the herd the jitter softens, at its worst.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.fake_aws import REGION, CallCounter, use_fake_aws_environment
from benchmarks.rss import status_field_bytes
from benchmarks.sizing import root_functions
from sp_reports.pipeline.pull_planner import STOP_WITH_SECONDS_LEFT
from sp_reports_harness import table_shapes
from sp_reports_harness.local_aws.dynamodb.partition_reads import partition_read_patches

CLIENT_ID = "amzn1.application-oa2-client.bench"
CLIENT_SECRET = "bench-client-secret"  # noqa: S105 - the emulator's, not a real one
# No publication hold-back and no cooldown in the catalogue: a window is due at its end plus the jitter.
REPORT_TYPE = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"
MARKETPLACE_ID = "ATVPDKIKX0DER"
TOKENS_TABLE = "sp-reports-tokens"
REPORTS_TABLE = "sp-reports-reports"
PULL_PLANS_TABLE = "sp-reports-pull-plans"
BUCKET = "sp-reports-documents"
FUNCTION = "pull_planner"
CREATE_REPORT = "createReport"
TRANSIENT_FAILURE = "createReport for a plan window failed; the claim is taken over later"
# The fleet the issue asks about: this many plans due at the same minute, measured by the full run (about
# 8 minutes on 2 cores, set-up included); 1,000 beside it shows the time per window does not grow with the
# fleet. The quick run projects the fleet's figures from its smaller one (benchmarks.report.planner_findings).
FLEET_PLANS = 10_000
FULL_RUN_PLANS = (1_000, FLEET_PLANS)
QUICK_RUN_PLANS = (300,)
# A tick that starts nothing while work is left is a planner bug; stop rather than loop.
MAX_IDLE_TICKS = 3


@dataclass(frozen=True)
class PlannerDefaults:
    """What the run takes from Terraform: the function's memory and timeout, the tick cap and schedule."""

    memory_mb: int
    timeout_seconds: int
    max_reports_per_tick: int
    schedule_minutes: float


def read_planner_defaults(terraform_dir: Path) -> PlannerDefaults:
    """The planner's settings from terraform/functions.tf (`local.functions.pull_planner`, read as
    sizing.root_functions reads the others) and terraform/variables.tf (the cap and the schedule's rate)."""
    settings = root_functions(terraform_dir).get(FUNCTION, {})
    variables = (terraform_dir / "variables.tf").read_text()
    cap = re.search(
        r'variable "pull_planner_max_reports_per_tick"\s*\{[^}]*?default\s*=\s*(\d+)', variables, re.DOTALL
    )
    schedule = re.search(
        r'variable "pull_planner_schedule_expression"\s*\{[^}]*?'
        r'default\s*=\s*"rate\((\d+) (minute|hour)s?\)"',
        variables,
        re.DOTALL,
    )
    if not (cap and schedule and "memory_size" in settings and "timeout" in settings):
        raise ValueError("the pull planner's memory, timeout, tick cap or schedule not found in terraform/")
    minutes = int(schedule.group(1)) * (60 if schedule.group(2) == "hour" else 1)
    return PlannerDefaults(settings["memory_size"], settings["timeout"], int(cap.group(1)), float(minutes))


@dataclass
class PullPlannerRun:
    plans: int
    ticks: int
    windows_due: int
    windows_started: int  # window versions whose ledger entry names a report
    reports_created: int  # reports the emulator holds: one per window version when none is requested twice
    windows_reported: int  # distinct (seller, type, marketplaces, data start, data end) among those reports
    wall_seconds: float  # the ticks' wall time
    cpu_seconds: float  # this process's CPU time in the ticks (moto and the emulator included)
    memory_mb: int
    timeout_seconds: int
    max_reports_per_tick: int
    schedule_minutes: float
    throttled_seen: int  # createReport 429s the emulator answered
    surfaced_429: int  # createReport 429s that reached the planner (its transient-failure path)
    peak_rss_bytes: int
    dynamodb_calls: dict[str, int] = field(default_factory=dict)  # "<table> <Operation>" -> calls
    write_units: float = 0.0
    read_units: float = 0.0
    kms_decrypts: int = 0  # the sellers' refresh tokens (one per seller per container)
    lwa_exchanges: int = 0
    tick_seconds: list[float] = field(default_factory=list)

    @property
    def seconds_per_window(self) -> float:
        return self.wall_seconds / self.windows_started

    @property
    def compute_windows_per_minute(self) -> float:
        """How fast one planner starts windows while it runs (its ticks back to back)."""
        return self.windows_started / self.wall_seconds * 60

    @property
    def windows_per_backlog_tick(self) -> int:
        """The windows one tick starts while a backlog lasts: the cap, or what fits in the tick's time budget
        (the timeout less STOP_WITH_SECONDS_LEFT) at the measured seconds per window, the fewer."""
        budget = self.timeout_seconds - STOP_WITH_SECONDS_LEFT
        return max(1, min(self.max_reports_per_tick, int(budget / self.seconds_per_window)))

    @property
    def fleet_windows_per_minute(self) -> float:
        """How fast the deployed schedule works through a backlog: a backlog tick's windows per schedule
        interval."""
        return self.windows_per_backlog_tick / self.schedule_minutes

    def minutes_to_start(self, windows: int) -> float:
        """From the first tick to the one that starts the last of `windows` due at once."""
        ticks = -(-windows // self.windows_per_backlog_tick)
        return (ticks - 1) * self.schedule_minutes

    def calls_per_window(self) -> dict[str, float]:
        return {name: count / self.windows_started for name, count in sorted(self.dynamodb_calls.items())}


class _Logger:
    """The planner's logger: keeps the transient createReport failures (with their HTTP status)."""

    def __init__(self) -> None:
        self.transient_statuses: Counter[Any] = Counter()

    def append_keys(self, **_keys: Any) -> None:
        pass

    def remove_keys(self, _keys: Any) -> None:
        pass

    def info(self, msg: object, *args: Any, **kwargs: Any) -> None:
        pass

    def warning(self, msg: object, *args: Any, **kwargs: Any) -> None:
        if msg == TRANSIENT_FAILURE:
            self.transient_statuses[kwargs.get("extra", {}).get("status")] += 1

    def error(self, msg: object, *args: Any, **kwargs: Any) -> None:
        pass

    def exception(self, msg: object, *args: Any, **kwargs: Any) -> None:
        pass


class _Metrics:
    def add_metric(self, name: str, unit: Any, value: float) -> None:
        pass


class DynamoDbMeter:
    """Counts a DynamoDB client's calls by table and operation, and the request units they bill on demand.

    Units (https://aws.amazon.com/dynamodb/pricing/on-demand/; the developer guide's read/write capacity mode,
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.ReadWriteCapacityMode.html,
    and its global secondary indexes' throughput considerations,
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.ThroughputConsiderations):
    a strongly consistent read of up to 4 KB is one read request unit, an eventually consistent one half (a
    Query: its items' total size, rounded up to 4 KB); a write of up to 1 KB is one write request unit, and
    each global secondary index the write changes
    costs more: one to put, update or delete the index's item, two when an indexed key attribute changes
    (delete the old index item, put the new one). Each call is counted as one unit (half for an eventually
    consistent read), taking the plan, ledger and report items as under 1 KB and a Query's page as under 4 KB
    (not measured: a larger item bills more). The pull plans table's plan item
    (SK `plan`) is in two indexes: `due` (sparse, keyed by DueAt, which set_next_due changes) and `seller`
    (projection ALL), so an update of it writes 2 + 1 index items besides.
    """

    READS = {"GetItem", "Query", "Scan"}
    WRITES = {"PutItem", "UpdateItem", "DeleteItem"}

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.read_units = 0.0
        self.write_units = 0.0

    def watch(self, client: Any) -> Any:
        client.meta.events.register("provide-client-params.dynamodb", self._count)
        return client

    def reset(self) -> None:
        self.calls.clear()
        self.read_units = self.write_units = 0.0

    def _count(self, params: dict[str, Any], model: Any, **_kwargs: Any) -> None:
        table = params.get("TableName", "?")
        self.calls[f"{table} {model.name}"] += 1
        if model.name in self.READS:
            self.read_units += 1.0 if params.get("ConsistentRead") else 0.5
        elif model.name in self.WRITES:
            self.write_units += 1.0
            if table == PULL_PLANS_TABLE and params.get("Key", {}).get("SK", {}).get("S") == "plan":
                self.write_units += 3.0  # the `due` index's item replaced (2), the `seller` index's updated


def _seller(index: int) -> tuple[str, str]:
    return f"A{index:07d}PULLBENCH", f"Atzr|bench-pull-refresh-token-{index:07d}"


def _create_tables(dynamodb: Any) -> None:
    """The three tables the planner uses, shaped as terraform/modules/storage/main.tf creates them."""
    for table, key in ((TOKENS_TABLE, "SellerId"), (REPORTS_TABLE, "ReportId")):
        dynamodb.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    table_shapes.create_pull_plans_table(dynamodb, PULL_PLANS_TABLE)


@contextmanager
def _partition_reads() -> Iterator[None]:
    """DynamoDB's Query reads the partition it names; pinned moto walks and sorts the whole table for each
    (sp_reports_harness.local_aws.dynamodb.partition_reads), which would make the fleet's size, not the
    planner, set the time per window."""
    patches = partition_read_patches()
    patches.install()
    try:
        yield
    finally:
        patches.uninstall()


def run(plans: int, terraform_dir: Path, *, max_reports_per_tick: int | None = None) -> PullPlannerRun:
    """N plans due at once, ticked until every due window is requested; `max_reports_per_tick`: instead of
    the Terraform default (a test's smaller cap spreads a few plans over several ticks)."""
    import boto3
    from moto import mock_aws

    from sp_reports.handlers._spapi_clients import SpApiClients
    from sp_reports.pipeline.pull_ledger import PullStore
    from sp_reports.pipeline.pull_planner import PlannerSettings, PullPlanner
    from sp_reports.pipeline.pull_plans import plan_from_request
    from sp_reports.pipeline.pull_window_objects import WindowObjects
    from sp_reports.pipeline.pull_window_outcomes import PullWindowOutcomes
    from sp_reports.pipeline.pull_windows import available_at, due_versions, windows_between
    from sp_reports.pipeline.report_cooldowns import ReportCooldowns
    from sp_reports.pipeline.report_records import ReportRecords
    from sp_reports.pipeline.sweep_state import SweepState
    from sp_reports.pipeline.token_store import TokenStore
    from spapi_emulator import EmulatorConfig, SpApiEmulator

    defaults = read_planner_defaults(terraform_dir)
    if max_reports_per_tick is not None:
        defaults = replace(defaults, max_reports_per_tick=max_reports_per_tick)
    use_fake_aws_environment()
    # The day before yesterday is the window: over for the emulator's real clock too (it checks dataEndTime).
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start_date = (today - timedelta(days=2)).date()
    created = today - timedelta(days=2)
    # Reports stay IN_QUEUE (the planner's phase ends at createReport): the emulator's lifecycle pass over
    # every active report would otherwise run beside the planner every few milliseconds.
    config = EmulatorConfig(record_exchanges=False, auto_advance=False)
    with mock_aws(), SpApiEmulator(config=config) as emulator, _partition_reads():
        os.environ["SP_REPORTS_TEST_ENDPOINTS"] = "true"  # the emulator stands in for SP-API and LWA
        os.environ["SPAPI_ENDPOINT_URL"] = emulator.url
        os.environ["LWA_ENDPOINT_URL"] = emulator.lwa_url
        emulator.register_app(CLIENT_ID, CLIENT_SECRET)
        limiter = emulator.app.rate_limiter  # its documented rates, per seller; count what it refuses
        refused: Counter[str] = Counter()
        allow = limiter.allow

        def counting_allow(operation: str, principal: str) -> bool:
            allowed = allow(operation, principal)
            if not allowed:
                refused[operation] += 1
            return allowed

        limiter.allow = counting_allow

        meter = DynamoDbMeter()
        dynamodb = meter.watch(boto3.client("dynamodb", region_name=REGION))
        others = CallCounter()
        kms = others.watch(boto3.client("kms", region_name=REGION))
        secrets = boto3.client("secretsmanager", region_name=REGION)
        s3 = boto3.client("s3", region_name=REGION)
        _create_tables(dynamodb)
        s3.create_bucket(Bucket=BUCKET)
        key_id = kms.create_key(Description="tokens")["KeyMetadata"]["KeyId"]
        secret_arn = secrets.create_secret(
            Name="sp-reports/lwa",
            SecretString=json.dumps({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}),
        )["ARN"]
        token_store = TokenStore(TOKENS_TABLE, key_id, dynamodb, kms)
        store = PullStore(PULL_PLANS_TABLE, dynamodb)
        every_plan = []
        for index in range(plans):
            seller_id, refresh_token = _seller(index)
            emulator.register_seller(refresh_token, seller_id)
            token_store.put(seller_id, refresh_token)
            plan = plan_from_request(
                {
                    "sellerId": seller_id,
                    "marketplaceIds": [MARKETPLACE_ID],
                    "reportType": REPORT_TYPE,
                    "cadence": "daily",
                    "startDate": start_date.isoformat(),
                },
                now=created,
            )
            every_plan.append(store.put_plan(plan)[0])
        # The minute by which every plan's window is due.
        window_end = today - timedelta(days=1)
        latest = max(available_at(plan, windows_between(plan, created, window_end)[0]) for plan in every_plan)
        clock_now = [latest.replace(second=0) + timedelta(minutes=1)]
        windows_due = sum(
            1
            for plan in every_plan
            for window in windows_between(plan, created, clock_now[0])
            if due_versions(plan, window, clock_now[0])
        )

        logger = _Logger()
        metrics = _Metrics()
        clients = SpApiClients(
            lwa_secret_arn=secret_arn, secretsmanager_client=secrets, token_store=token_store
        )
        planner = PullPlanner(
            store=store,
            records=ReportRecords(REPORTS_TABLE, dynamodb),
            sweep_state=SweepState(REPORTS_TABLE, dynamodb),
            reports_for=clients.reports,
            window_objects=WindowObjects(s3, bucket=BUCKET, kms_key_id=key_id, clock=lambda: clock_now[0]),
            outcomes=PullWindowOutcomes(store, logger=logger, metrics=metrics, clock=lambda: clock_now[0]),
            logger=logger,
            metrics=metrics,
            cooldowns=ReportCooldowns(REPORTS_TABLE, dynamodb),
            settings=PlannerSettings(max_reports_per_tick=defaults.max_reports_per_tick),
            clock=lambda: clock_now[0],
        )
        meter.reset()
        others.calls.clear()
        exchanges_before = emulator.lwa_exchange_count
        tick_seconds: list[float] = []
        started_cpu = time.process_time()
        created_so_far, idle = 0, 0
        while created_so_far < windows_due and idle < MAX_IDLE_TICKS:
            tick_started = time.perf_counter()
            summary = planner.tick(
                lambda started=tick_started: defaults.timeout_seconds - (time.perf_counter() - started)
            )
            tick_seconds.append(time.perf_counter() - tick_started)
            created_so_far += summary["reportsCreated"]
            idle = 0 if summary["reportsCreated"] else idle + 1
            clock_now[0] += timedelta(minutes=defaults.schedule_minutes)
        cpu_seconds = time.process_time() - started_cpu
        calls, read_units, write_units = dict(meter.calls), meter.read_units, meter.write_units
        kms_decrypts, lwa_exchanges = others.calls["Decrypt"], emulator.lwa_exchange_count - exchanges_before

        started_windows = sum(
            1 for plan in every_plan for entry in store.entries(plan.plan_id) if entry.report_id
        )
        reports = emulator.reports.values()
        windows_reported = {
            (r.seller_id, r.report_type, tuple(r.marketplace_ids), r.data_start_time, r.data_end_time)
            for r in reports
        }
        return PullPlannerRun(
            plans=plans,
            ticks=len(tick_seconds),
            windows_due=windows_due,
            windows_started=started_windows,
            reports_created=len(reports),
            windows_reported=len(windows_reported),
            wall_seconds=sum(tick_seconds),
            cpu_seconds=cpu_seconds,
            memory_mb=defaults.memory_mb,
            timeout_seconds=defaults.timeout_seconds,
            max_reports_per_tick=defaults.max_reports_per_tick,
            schedule_minutes=defaults.schedule_minutes,
            throttled_seen=refused[CREATE_REPORT],
            surfaced_429=logger.transient_statuses[429],
            peak_rss_bytes=status_field_bytes("VmHWM"),
            dynamodb_calls=calls,
            write_units=write_units,
            read_units=read_units,
            kms_decrypts=kms_decrypts,
            lwa_exchanges=lwa_exchanges,
            tick_seconds=tick_seconds,
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.pull_planner", description=__doc__.splitlines()[0]
    )
    parser.add_argument("result", type=Path, help="where to write the runs' JSON")
    parser.add_argument(
        "--plans", type=int, nargs="+", default=list(FULL_RUN_PLANS), help="plan counts, one run each"
    )
    parser.add_argument("--terraform", type=Path, default=Path(__file__).resolve().parents[1] / "terraform")
    args = parser.parse_args(argv)
    runs = []
    for count in args.plans:
        result = run(count, args.terraform)
        print(
            f"{count} plans: {result.windows_started} windows started in {result.ticks} ticks, "
            f"{result.wall_seconds:.1f} s wall, {result.cpu_seconds:.1f} s CPU",
            flush=True,
        )
        runs.append(asdict(result))
    args.result.write_text(json.dumps(runs))


if __name__ == "__main__":
    main()
