"""``make demo``: the real stack applied to local AWS, one report end to end, with the signed client.

    python -m sp_reports_harness.demo [--state-dir .demo] [--package-dir .build/lambda]

Steps (each prints one line with its duration): start local AWS and the SP-API emulator; ``terraform init``
and ``apply`` of a copy of ``terraform/`` in the state directory; as the API's invoke role (assumed through
local STS, every request SigV4-signed): store a seller's refresh token, subscribe to
REPORT_PROCESSING_FINISHED, create a report and wait for the workflow; print the email SNS would send and the
report's first lines, downloaded through the presigned URL; drop the notification of a second report and
fire the sweep's schedule, which stores it anyway; prove the deployment idempotent with
``terraform plan -detailed-exitcode``. Everything stops on success, failure, Ctrl-C or SIGTERM; the exit
code is 0, 1 (a step failed) or 130 (interrupted).

Secrets stay out of the output: the refresh token and app secret are random per run and never printed,
and the presigned URL's signature is masked in the printed email.
"""

from __future__ import annotations

import argparse
import re
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

import requests

from sp_reports.client import Report, SpReportsClient, SpReportsError
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
# The emulator keeps the report IN_QUEUE, then IN_PROGRESS, for a moment: the wait shows real progress.
EMULATOR_OPTIONS = {"in_queue_seconds": 1.0, "in_progress_seconds": 2.0}

_PRESIGNED_QUERY = re.compile(r"(https?://[^\s?\"'<>]+)\?[^\s\"'<>]*X-Amz-[^\s\"'<>]*", re.IGNORECASE)


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
        "sp-reports demo: the real Terraform stack on local AWS, one SP-API report end to end "
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
