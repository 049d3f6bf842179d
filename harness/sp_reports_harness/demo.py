"""``make demo``: the real stack applied to local AWS, one report end to end, with the signed client.

    python -m sp_reports_harness.demo [--state-dir .demo] [--package-dir .build/lambda]

Steps (each prints one line with its duration): start local AWS and the SP-API emulator; ``terraform init``
and ``apply`` of a copy of ``terraform/`` in the state directory; as the API's invoke role (assumed through
local STS, every request SigV4-signed): store a seller's refresh token, subscribe to
REPORT_PROCESSING_FINISHED, create a report and wait for the workflow; print the email SNS would send and the
report's first lines, downloaded through the presigned URL; drop the notification of a second report and
fire the sweep's schedule, which stores it anyway; prove the deployment idempotent with
``terraform plan -detailed-exitcode``; then recurring pulls over three days: create a daily pull plan
through the API, fire the pull planner's schedule, add a look-back, fire it again, and print the plan's
coverage as ``sp-reports plans coverage`` does: every window stored once, one re-pulled as version 2, none
missing, the re-pulled window's manifest naming version 2 (see ``_recurring_pulls`` for what is simulated);
last, the windows' typed table: the curated Parquet files queried with DuckDB (units and revenue per day) and
the Athena SQL that asks the same on a real account.
Everything stops on success, failure, Ctrl-C or SIGTERM; the exit code is 0, 1 (a step failed) or 130
(interrupted).

Secrets stay out of the output: the refresh token and app secret are random per run and never printed,
and the presigned URL's signature is masked in the printed email.
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

import requests

from sp_reports.client import Report, SpReportsClient, SpReportsError
from sp_reports.client.cli import coverage_table
from sp_reports.pipeline.pull_window_objects import manifest_key
from sp_reports.pipeline.pull_windows import seller_jitter
from sp_reports.spapi.report_types import report_type
from sp_reports_harness.curated_query import (
    athena_sql,
    daily_orders,
    download_curated,
    orders_in_several_reports,
    totals_table,
)
from sp_reports_harness.deployment.local_deployment import (
    DeploymentError,
    DeploymentSettings,
    LocalDeployment,
)
from sp_reports_harness.deployment.step_progress import (
    Progress,
    StepTimer,
    TerraformProgress,
    clear_progress,
    interrupts_deferred,
)
from sp_reports_harness.local_aws.scheduler.delivery import fire_schedule
from sp_reports_harness.local_aws.sns.messages import published_messages
from sp_reports_harness.repository import LAMBDA_PACKAGE_DIR, REPO_ROOT
from spapi_emulator import ModelsNotFoundError
from spapi_emulator.state import synthetic_listings_report_of_size

SELLER_ID = "A3LOCALDEMO0SELLER"
REGION_CODE = "EU"
MARKETPLACE_ID = "A1F83G8C2ARO7P"  # amazon.co.uk
REPORT_TYPE = "GET_MERCHANT_LISTINGS_ALL_DATA"
SWEPT_REPORT_TYPE = "GET_MERCHANT_LISTINGS_DATA"
REPORT_LINES_SHOWN = 6
# Larger than two of the storer's parts (report_storage.DEFAULT_PART_SIZE): the report takes the multipart
# path, each of whose parts the bucket policy and SSE-KMS check on a real account.
REPORT_BYTES = 20 * 1024 * 1024
WORKFLOW_TIMEOUT_SECONDS = 120.0
# The recurring pulls: a daily plan of a type with no publication hold-back (its day is due at midnight plus
# the seller's jitter), over PLAN_DAYS days, whose oldest day alone has passed its look-back.
PLAN_REPORT_TYPE = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"
PLAN_DAYS = 3
PLAN_LOOK_BACK_DAYS = PLAN_DAYS - 1
# The emulator keeps the report IN_QUEUE, then IN_PROGRESS, for a moment: the wait shows real progress.
EMULATOR_OPTIONS = {"in_queue_seconds": 1.0, "in_progress_seconds": 2.0}

_PRESIGNED_QUERY = re.compile(r"(https?://[^\s?\"'<>]+)\?[^\s\"'<>]*X-Amz-[^\s\"'<>]*", re.IGNORECASE)


@dataclass(frozen=True)
class PlanDays:
    """The days of the demo's plan: `first`..`last`, each due now, and `repulled`, the one day whose
    look-back of PLAN_LOOK_BACK_DAYS days has passed too."""

    first: date
    last: date
    repulled: date

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def plan_days(now: datetime, delay: timedelta, count: int = PLAN_DAYS) -> PlanDays:
    """The `count` newest days whose daily window is due at `now` (a day is due `delay` after it ends: the
    type's hold-back and the seller's jitter). With a look-back of `count - 1` days only the oldest of them
    has its version 2 due: it falls due with the newest day's version 1, the next day's a day later."""
    last = (now - delay).date() - timedelta(days=1)
    first = last - timedelta(days=count - 1)
    return PlanDays(first=first, last=last, repulled=first)


def coverage_problems(answer: Mapping[str, Any], days: PlanDays) -> list[str]:
    """What is wrong with a plan's coverage (GET /plans/{planId}/coverage) for the demo: every day's window
    stored, once per version, version 1 only except `days.repulled` (versions 1 and 2, the current one 2),
    no report or key twice. Empty when all is as expected."""
    problems: list[str] = []
    windows = [w for w in answer.get("windows") or () if isinstance(w, Mapping)]
    by_day: dict[str, list[Mapping[str, Any]]] = {}
    for window in windows:
        by_day.setdefault(str(window.get("start", ""))[:10], []).append(window)
    expected = {day.isoformat() for day in days.days}
    for day in sorted(expected - by_day.keys()):
        problems.append(f"the window of {day} is missing")
    for day in sorted(by_day.keys() - expected):
        problems.append(f"a window of {day} was not expected")
    report_ids: list[str] = []
    keys: list[str] = []
    for day in sorted(expected & by_day.keys()):
        if len(by_day[day]) > 1:
            problems.append(f"the window of {day} is listed {len(by_day[day])} times")
        window = by_day[day][0]
        versions = [v for v in window.get("versions") or () if isinstance(v, Mapping)]
        wanted = [1, 2] if day == days.repulled.isoformat() else [1]
        numbers = [v.get("version") for v in versions]
        if numbers != wanted:
            problems.append(f"the window of {day} has versions {numbers}, expected {wanted}")
        if window.get("status") != "stored":
            problems.append(f"the window of {day} is {window.get('status')}, not stored")
        if window.get("currentVersion") != wanted[-1]:
            problems.append(
                f"the window of {day} reads version {window.get('currentVersion')}, expected {wanted[-1]}"
            )
        for version in versions:
            if version.get("state") != "STORED":
                problems.append(f"version {version.get('version')} of {day} is {version.get('state')}")
            report_ids.append(str(version.get("reportId")))
            keys.append(str(version.get("s3Key")))
    for name, values in (("report", report_ids), ("S3 key", keys)):
        twice = sorted({value for value in values if values.count(value) > 1})
        if twice:
            problems.append(f"stored twice: {name} {', '.join(twice)}")
    return problems


class DemoInterrupted(Exception):
    """SIGTERM arrived: shut down as for Ctrl-C."""


class DemoFailed(Exception):
    """A step's result was wrong (not an error raised by a library)."""


def mask_presigned_urls(text: str) -> str:
    """Keep a presigned URL's address, mask its query (the signature is a bearer credential)."""
    return _PRESIGNED_QUERY.sub(r"\1?[signature masked]", text)


def run_demo(state_dir: Path, package_dir: Path, out: TextIO = sys.stdout) -> int:
    timer = StepTimer(out)
    settings = DeploymentSettings(
        state_dir=state_dir, package_dir=package_dir, emulator_options=EMULATOR_OPTIONS
    )
    print(
        "sp-reports demo: the real Terraform stack on local AWS, one SP-API report end to end and a "
        "recurring pull "
        f"(state in {_shown(state_dir)})",
        file=out,
        flush=True,
    )
    deployment = LocalDeployment(settings)
    exit_code = 1
    try:
        _run_steps(deployment, timer, out)
        exit_code = 0
    except (KeyboardInterrupt, DemoInterrupted):
        clear_progress(out)
        print(f"\ninterrupted during: {timer.current or 'shutdown'}; shutting down", file=out, flush=True)
        exit_code = 130
    except (DeploymentError, SpReportsError, DemoFailed, ModelsNotFoundError) as error:
        clear_progress(out)
        out.flush()
        print(f"\ndemo failed during: {timer.current}\n{error}", file=sys.stderr, flush=True)
    except Exception as error:  # anything else still ends in a clean shutdown and a one-line reason
        clear_progress(out)
        out.flush()
        print(
            f"\ndemo failed during: {timer.current}\n{type(error).__name__}: {error}",
            file=sys.stderr,
            flush=True,
        )
    finally:
        stop_started = time.monotonic()
        with interrupts_deferred():
            deployment.stop()
        print(f"{time.monotonic() - stop_started:7.1f} s  stopped local AWS and the emulator", file=out)
    if exit_code == 0:
        print(f"\ndemo finished in {timer.total:.0f} s: every step passed", file=out, flush=True)
    return exit_code


def _run_steps(deployment: LocalDeployment, timer: StepTimer, out: TextIO) -> None:
    with timer.step("start local AWS and the SP-API emulator") as done:
        deployment.start()
        assert deployment.aws is not None and deployment.emulator is not None
        done(
            f"started local AWS ({deployment.aws.endpoint_url}) and the SP-API emulator "
            f"({deployment.emulator.url})"
        )

    with timer.step("terraform init") as done:
        deployment.terraform_init()
        done(f"terraform init (a copy of terraform/ in {_shown(deployment.working_dir)})")

    with timer.step("terraform apply") as done:
        counter = TerraformProgress(Progress(out, "terraform apply"))
        outputs = deployment.terraform_apply(on_line=counter)
        done(f"terraform apply: {counter.done} resources created (API {outputs['api_id']})")

    client = deployment.client(assume_role=True)
    seller = deployment.seller

    with timer.step("store the seller's refresh token") as done:
        stored = client.put_token(seller.seller_id, seller.refresh_token)
        done(
            f"POST /tokens as {outputs['api_invoke_role_arn'].rsplit('/', 1)[-1]} (assumed via STS): "
            f"seller {stored.seller_id} stored, encrypted with KMS"
        )

    with timer.step("subscribe to REPORT_PROCESSING_FINISHED") as done:
        subscription = client.subscribe_notifications(seller.seller_id, REGION_CODE)
        done(
            f"POST /notifications: subscription {subscription.subscription_id} to the stack's SQS queue "
            f"(destination {subscription.destination_id})"
        )

    with timer.step("create a report") as done:
        document = synthetic_listings_report_of_size("sp-reports demo", REPORT_BYTES)
        report_id = client.create_report(seller.seller_id, REGION_CODE, REPORT_TYPE, [MARKETPLACE_ID])
        assert deployment.emulator is not None
        # Within the emulator's IN_QUEUE time: the document it serves when the report is DONE.
        deployment.emulator.set_report_document(report_id, document)
        done(f"POST /reports: {REPORT_TYPE} for {MARKETPLACE_ID} is report {report_id} (about 20 MiB)")

    with timer.step("wait for the workflow") as done:
        report = _wait_for_report(client, report_id, out)
        execution = _execution_status(deployment, report_id)
        if not report.succeeded:
            reason = report.raw.get("failureReason", "no reason given")
            raise DemoFailed(f"the report ended {report.status} (execution {execution}): {reason}")
        done(f"GET /reports/{report_id}: {report.status} (Step Functions execution {execution})")

    with timer.step("read the email SNS would send") as done:
        email = _wait_for_email(str(outputs["notifications_topic_arn"]))
        done(f"SNS email to {deployment.settings.notification_email} (one message on the topic)")
    _print_block(out, "email", mask_presigned_urls(email))

    with timer.step("download the report through the presigned URL") as done:
        lines, size = _download_first_lines(report)
        done(f"downloaded s3://{report.s3_bucket}/{report.s3_key} ({size:,} bytes) from local S3")
    _print_block(out, f"first {len(lines)} lines of the report", "\n".join(lines))

    with timer.step("lose a notification; the sweep's schedule fires") as done:
        swept_id, schedule = _sweep_a_report_whose_notification_was_lost(deployment, client, seller.seller_id)
        done(
            f"report {swept_id}: its notification dropped on the way; schedule {schedule} fired, the sweeper "
            "found it with getReports: DONE, stored and emailed"
        )

    with timer.step("terraform plan -detailed-exitcode") as done:
        plan = deployment.terraform_plan()
        if plan.has_changes:
            raise DemoFailed("the second plan wants changes:\n" + plan.output[-4000:])
        done("terraform plan -detailed-exitcode: no changes (the deployment is idempotent)")

    _recurring_pulls(deployment, client, timer, out)


def _recurring_pulls(
    deployment: LocalDeployment, client: SpReportsClient, timer: StepTimer, out: TextIO
) -> None:
    """Three days of a daily pull plan with a look-back, on real clocks.

    No clock is shifted: local AWS checks each request's SigV4 date within 5 minutes of its own clock, as AWS
    does (local_aws.iam.sigv4_authentication.MAX_CLOCK_SKEW), so a planner whose clock ran days ahead would be
    refused every call. What is simulated is which days have passed: the plan starts PLAN_DAYS days back, so
    the first tick finds those days' windows due (as the ticks of those mornings would have) and requests
    version 1 of each; the look-back is added to the plan after that tick, so the second tick finds the oldest
    day's look-back passed (a re-pull as version 2) and the newer days' not yet: the ledger a plan with that
    look-back from its start has today."""
    aws, seller = deployment.aws, deployment.seller
    assert aws is not None and deployment.outputs is not None
    schedule = str(deployment.outputs["pull_planner_schedule_name"])
    rules = report_type(PLAN_REPORT_TYPE)
    hold_back = rules.hold_back if rules is not None else timedelta(0)
    days = plan_days(datetime.now(UTC), hold_back + seller_jitter(seller.seller_id))
    print(
        f"          simulated: {PLAN_DAYS} days ({days.first}..{days.last}) by the plan's start date, its "
        "look-back added after the first tick; clocks are real",
        file=out,
        flush=True,
    )

    with timer.step("create a daily pull plan") as done:
        plan = client.create_plan(
            seller.seller_id, MARKETPLACE_ID, PLAN_REPORT_TYPE, "daily", days.first.isoformat()
        )
        done(
            f"POST /plans: plan {plan.plan_id}, {PLAN_REPORT_TYPE} daily for {MARKETPLACE_ID} from "
            f"{days.first} ({'created' if plan.created else 'already there'})"
        )

    with timer.step("the pull planner's first tick") as done:
        fire_schedule(aws, schedule)
        stored = _wait_for_coverage(client, plan.plan_id, days, lambda w: _stored_versions(w) >= 1)
        done(
            f"schedule {schedule} fired: the planner requested the {len(stored)} due windows, "
            "the workflow stored each as version 1"
        )

    with timer.step("a look-back; the planner's second tick") as done:
        client.update_plan(plan.plan_id, look_back_days=[PLAN_LOOK_BACK_DAYS])
        fire_schedule(aws, schedule)
        _wait_for_coverage(
            client,
            plan.plan_id,
            days,
            lambda w: _stored_versions(w) >= (2 if w["start"][:10] == days.repulled.isoformat() else 1),
        )
        done(
            f"PATCH /plans: lookBackDays [{PLAN_LOOK_BACK_DAYS}]; schedule {schedule} fired again: "
            f"{days.repulled} re-pulled as version 2"
        )

    with timer.step("check the coverage and the manifest") as done:
        answer = client.plan_coverage(plan.plan_id, days.first.isoformat(), days.last.isoformat())
        problems = coverage_problems(answer, days)
        table = _coverage_table(client, plan.plan_id, days)
        if problems:
            _print_block(out, "sp-reports plans coverage", table)
            raise DemoFailed("the coverage is not as expected:\n" + "\n".join(problems))
        manifest = _read_manifest(deployment, seller.seller_id, plan.plan_id, days.repulled)
        if manifest.get("currentVersion") != 2:
            raise DemoFailed(
                f"the manifest of {days.repulled} names version {manifest.get('currentVersion')}"
            )
        done(
            f"GET /plans/{plan.plan_id}/coverage: {len(days.days)} windows stored once, {days.repulled} "
            f"re-pulled as version 2, none missing; its manifest.json names {manifest.get('key')}"
        )
    _print_block(out, f"sp-reports plans coverage {plan.plan_id} --from {days.first} --to {days.last}", table)
    _query_curated(deployment, client, plan.plan_id, days, timer, out)


def _query_curated(
    deployment: LocalDeployment,
    client: SpReportsClient,
    plan_id: str,
    days: PlanDays,
    timer: StepTimer,
    out: TextIO,
) -> None:
    """The plan's windows as a typed table: wait for each window's current version to be converted, copy the
    seller's `all_orders` Parquet files from local S3 and query them with DuckDB (curated_query), then print
    the Athena SQL that asks the same on a real account."""
    assert deployment.aws is not None and deployment.outputs is not None
    seller_id = deployment.seller.seller_id
    with timer.step("query the curated table with DuckDB") as done:
        _wait_for_coverage(
            client, plan_id, days, lambda w: (w.get("conversion") or {}).get("status") == "CONVERTED"
        )
        with tempfile.TemporaryDirectory(prefix="curated-") as directory:
            root = Path(directory)
            keys = download_curated(
                deployment.aws.boto3_client("s3"),
                str(deployment.outputs["reports_bucket_name"]),
                "all_orders",
                seller_id,
                root,
            )
            totals = daily_orders(root, seller_id, days.first, days.last)
            repeated = orders_in_several_reports(root, seller_id)
        if sorted({total.day for total in totals}) != [day.isoformat() for day in days.days]:
            raise DemoFailed(f"the curated table has the days {[t.day for t in totals]}, not {days.days}")
        if repeated:
            raise DemoFailed(f"{repeated} orders appear in more than one report in the curated table")
        done(
            f"{len(keys)} Parquet files under curated/all_orders/ (one per window, the re-pulled day's "
            f"replaced by version 2): {sum(t.order_lines for t in totals):,} order lines, each order in one "
            "report"
        )
    _print_block(
        out, "DuckDB over all_orders_latest (units and revenue per day of purchase)", totals_table(totals)
    )
    database = deployment.outputs["analytics_database_name"]
    workgroup = deployment.outputs["athena_workgroup_name"]
    _print_block(
        out,
        f"the same in Athena on a real account (workgroup {workgroup})",
        athena_sql(str(database), seller_id, days.first, days.last),
    )


def _stored_versions(window: Mapping[str, Any]) -> int:
    return sum(1 for version in window.get("versions") or () if version.get("state") == "STORED")


def _wait_for_coverage(
    client: SpReportsClient, plan_id: str, days: PlanDays, ready: Callable[[Mapping[str, Any]], bool]
) -> Sequence[Mapping[str, Any]]:
    """Poll the plan's coverage until every day's window is `ready`; DemoFailed with the statuses after
    WORKFLOW_TIMEOUT_SECONDS."""
    deadline = time.monotonic() + WORKFLOW_TIMEOUT_SECONDS
    while True:
        answer = client.plan_coverage(plan_id, days.first.isoformat(), days.last.isoformat())
        windows = [w for w in answer.get("windows") or () if isinstance(w, Mapping)]
        if len(windows) == len(days.days) and all(ready(window) for window in windows):
            return windows
        if time.monotonic() > deadline:
            statuses = ", ".join(f"{w.get('start', '')[:10]} {w.get('status')}" for w in windows)
            raise DemoFailed(
                f"the plan's windows were not stored within {WORKFLOW_TIMEOUT_SECONDS:.0f} s: {statuses}"
            )
        time.sleep(1.0)


def _coverage_table(client: SpReportsClient, plan_id: str, days: PlanDays) -> str:
    """The coverage as the CLI's `sp-reports plans coverage PLAN_ID --from --to` prints it."""
    return coverage_table(client.plan_coverage(plan_id, days.first.isoformat(), days.last.isoformat()))


def _read_manifest(deployment: LocalDeployment, seller_id: str, plan_id: str, day: date) -> Mapping[str, Any]:
    assert deployment.aws is not None and deployment.outputs is not None
    start = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    lane = (MARKETPLACE_ID,)
    key = manifest_key(seller_id, PLAN_REPORT_TYPE, plan_id, lane, start, start + timedelta(days=1))
    s3 = deployment.aws.boto3_client("s3")
    body = s3.get_object(Bucket=str(deployment.outputs["reports_bucket_name"]), Key=key)["Body"].read()
    manifest = json.loads(body)
    if not isinstance(manifest, Mapping):
        raise DemoFailed(f"s3://.../{key} is not a JSON object")
    return manifest


def _sweep_a_report_whose_notification_was_lost(
    deployment: LocalDeployment, client: SpReportsClient, seller_id: str
) -> tuple[str, str]:
    """A report whose REPORT_PROCESSING_FINISHED never reaches the queue, stored by the sweep when its
    schedule fires (as EventBridge Scheduler would, hourly by default)."""
    aws, emulator = deployment.aws, deployment.emulator
    assert aws is not None and emulator is not None and deployment.outputs is not None
    deliver = emulator.notification_sink
    emulator.notification_sink = lambda _destination, _body: None  # lost on the way
    try:
        report_id = client.create_report(seller_id, REGION_CODE, SWEPT_REPORT_TYPE, [MARKETPLACE_ID])
        deadline = time.monotonic() + 30
        while emulator.report(report_id).processing_status != "DONE":
            if time.monotonic() > deadline:
                raise DemoFailed(f"SP-API did not finish report {report_id} within 30 s")
            time.sleep(0.1)
    finally:
        emulator.notification_sink = deliver
    schedule = str(deployment.outputs["sweep_schedule_name"])
    fire_schedule(aws, schedule)
    report = client.wait_for_report(report_id, timeout=WORKFLOW_TIMEOUT_SECONDS, poll_interval=0.5)
    if not report.succeeded:
        raise DemoFailed(f"the swept report ended {report.status}")
    return report_id, schedule


def _wait_for_report(client: SpReportsClient, report_id: str, out: TextIO) -> Report:
    progress = Progress(out, "waiting for the workflow")

    def on_progress(report: Report, _elapsed: float) -> None:
        progress.update(report.status)

    return client.wait_for_report(
        report_id, timeout=WORKFLOW_TIMEOUT_SECONDS, poll_interval=1.0, on_progress=on_progress
    )


def _execution_status(deployment: LocalDeployment, report_id: str) -> str:
    assert deployment.aws is not None and deployment.outputs is not None
    sfn = deployment.aws.boto3_client("stepfunctions")
    executions = sfn.list_executions(stateMachineArn=deployment.outputs["state_machine_arn"])["executions"]
    matching = [e for e in executions if report_id in e["name"]] or executions
    if not matching:
        raise DemoFailed("no Step Functions execution was started for the report")
    return str(matching[0]["status"])


def _wait_for_email(topic_arn: str, timeout: float = 10.0) -> str:
    # The notifier publishes before it records the final status, so the message is normally there already.
    deadline = time.monotonic() + timeout
    while True:
        messages = published_messages(topic_arn)
        if messages:
            message = messages[-1]
            subject = f"Subject: {message.subject}\n\n" if message.subject else ""
            return subject + message.body_for("email")
        if time.monotonic() > deadline:
            raise DemoFailed(f"no message was published to {topic_arn} within {timeout:.0f} s")
        time.sleep(0.2)


def _download_first_lines(report: Report) -> tuple[list[str], int]:
    if not report.download_url:
        raise DemoFailed("GET /reports answered no downloadUrl for a DONE report")
    response = requests.get(report.download_url, timeout=30)
    if response.status_code != 200:
        # The status only: the URL is a credential and the body may echo it.
        raise DemoFailed(f"the presigned URL answered HTTP {response.status_code}")
    text = response.content.decode("utf-8", errors="replace")
    return [line[:120] for line in text.splitlines()[:REPORT_LINES_SHOWN]], len(response.content)


def _print_block(out: TextIO, title: str, text: str) -> None:
    print(f"          --- {title} ---", file=out)
    for line in text.strip().splitlines():
        print(f"          | {line}", file=out)
    print(file=out, flush=True)


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _raise_interrupted(signum: int, _frame: FrameType | None) -> Any:
    raise DemoInterrupted(signal.Signals(signum).name)


def main(argv: list[str] | None = None) -> int:
    description = (__doc__ or "").split("\n")[0]
    parser = argparse.ArgumentParser(prog="python -m sp_reports_harness.demo", description=description)
    parser.add_argument("--state-dir", type=Path, default=REPO_ROOT / ".demo", help="default: .demo")
    parser.add_argument("--package-dir", type=Path, default=LAMBDA_PACKAGE_DIR, help="default: .build/lambda")
    args = parser.parse_args(argv)
    # Ctrl-C must shut down cleanly even when the demo was started with SIGINT ignored (a background job).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_interrupted)
    return run_demo(args.state_dir, args.package_dir)


if __name__ == "__main__":
    sys.exit(main())
