"""Fixtures for the reliability and security suite.

The workflow fixtures (moto's Step Functions engine running the ASL with the real handlers in-process) are
shared with tests/workflow: its conftest is loaded by path and its fixtures re-exported here, so both suites
run the workflow the same way. Every attack records what it tried in `attack_results`; at the end of the
session the figures go to .build/reliability/results.json, which render_report.py turns into
docs/reliability.md.
"""

from __future__ import annotations

import functools
import json
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace

import boto3
import pytest

from sp_reports.pipeline import report_document_storer
from sp_reports_harness.local_aws.moto_internals import replace_workflow_retry_sleep
from tests.support.canaries import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, SELLER_ID
from tests.support.lambda_testing import lambda_context as make_lambda_context
from tests.support.lambda_testing import sleep_on_virtual_time
from tests.support.reliability import (
    RESULTS_PATH,
    SECRET_SCANS,
    AttackResults,
    ReportPipeline,
    api_events,
    aws_resources,
    scan_for_secrets,
)

# The workflow suite's fixtures, run here against the same in-process workflow.
from tests.workflow.conftest import (  # noqa: F401
    load_handler,
    local_sns,
    local_stepfunctions,
    workflow,
    workflow_environment,
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "terraform: plans the Terraform root with the mocked provider (needs the terraform binary)"
    )


# -- attack figures --------------------------------------------------------------------------------------


_RESULTS = AttackResults()


@pytest.fixture(scope="session")
def attack_results() -> AttackResults:
    return _RESULTS


_RUN = {"passed": 0, "failed": 0, "skipped": 0, "seconds": 0.0}
_HERE = Path(__file__).resolve().parent


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if not Path(report.fspath).resolve().is_relative_to(_HERE):
        return
    _RUN["seconds"] += report.duration  # setup, call and teardown of this suite's tests only
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        _RUN[report.outcome] += 1


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not _RESULTS.rows:
        return
    previous: dict = {}
    if RESULTS_PATH.is_file():
        try:
            previous = json.loads(RESULTS_PATH.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            previous = {}
    previous_rows = previous.get("rows", {})
    complete = set(previous_rows) - {SECRETS_ROW} <= set(_RESULTS.rows)
    if complete:
        # Every attack ran: these figures replace the last ones, secret scans and run totals included.
        rows = dict(_RESULTS.rows)
        if SECRET_SCANS:
            rows[SECRETS_ROW] = _secrets_row()
        last_run = {
            "tests_passed": _RUN["passed"],
            "tests_failed": _RUN["failed"],
            "tests_skipped": _RUN["skipped"],
            "seconds": round(_RUN["seconds"]),
        }
    else:
        # A partial run (one file, -k) updates its own rows; the totals stay those of the last full run.
        rows = {**previous_rows, **_RESULTS.rows}
        last_run = previous.get("last_run")
    RESULTS_PATH.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_PATH.write_text(
        json.dumps({"rows": rows, "last_run": last_run}, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )


SECRETS_ROW = "5-secrets"


def _secrets_row() -> dict:
    return {
        "attack": "Secrets: canary refresh token and client secret, Atza|/Atzr| tokens, presigned URL"
        " signatures, searched in every output above",
        "cases": sum(SECRET_SCANS.values()),
        "outcomes": ["0 found in " + ", ".join(f"{n} {kind}" for kind, n in sorted(SECRET_SCANS.items()))],
        "lost": None,
        "tests": 0,
    }


# -- secrets ---------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def no_secret_in_any_log(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> Iterator[None]:
    """Whatever a test leaves in stdout, stderr or the log records must hold no canary or secret marker."""
    yield
    captured = capsys.readouterr()
    scan_for_secrets(captured.out + captured.err, "logs (stdout/stderr)")
    scan_for_secrets("\n".join(record.getMessage() for record in caplog.records) + caplog.text, "log records")


# -- the API's door --------------------------------------------------------------------------------------


@pytest.fixture
def lambda_context() -> SimpleNamespace:
    return make_lambda_context("sp-reports-reliability")


@pytest.fixture
def pipeline_resources(aws, spapi_emulator, monkeypatch):
    """moto with the pipeline's resources, the functions' environment and the canary seller's token."""
    resources = aws_resources.create_pipeline_resources(CLIENT_ID, CLIENT_SECRET)
    for name, value in aws_resources.function_environment(resources).items():
        monkeypatch.setenv(name, value)
    from sp_reports.pipeline.token_store import TokenStore

    TokenStore(
        resources.tokens_table, resources.tokens_key_id, boto3.client("dynamodb"), boto3.client("kms")
    ).put(SELLER_ID, REFRESH_TOKEN)
    return resources


@pytest.fixture
def fresh_handler(pipeline_resources, monkeypatch):
    """Import `sp_reports.handlers.<name>` afresh (a cold start) in the pipeline's environment."""
    import importlib

    def load(name: str, **environment: str) -> ModuleType:
        for variable, value in environment.items():
            monkeypatch.setenv(variable, value)
        monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", f"{name}-{uuid.uuid4().hex[:8]}")
        sys.modules.pop(f"sp_reports.handlers.{name}", None)
        return importlib.import_module(f"sp_reports.handlers.{name}")

    return load


# -- the whole workflow ----------------------------------------------------------------------------------


@pytest.fixture
def report_pipeline(workflow, spapi_emulator, load_handler, lambda_context, monkeypatch) -> ReportPipeline:  # noqa: F811
    spapi_emulator.app.config.auto_advance = False  # each test finishes its reports explicitly
    resources = workflow.resources
    from sp_reports.pipeline.token_store import TokenStore
    from sp_reports.spapi import documents

    TokenStore(
        resources.tokens_table, resources.tokens_key_id, boto3.client("dynamodb"), boto3.client("kms")
    ).put(SELLER_ID, REFRESH_TOKEN)
    subscriber = load_handler("notifications_subscriber")
    subscribed = subscriber.handler(
        api_events.api_event("POST", "/notifications", {"SellerId": SELLER_ID, "RegionCode": "NA"}),
        lambda_context,
    )
    assert subscribed["statusCode"] == 200, subscribed["body"]
    pipeline = ReportPipeline(workflow, spapi_emulator, load_handler, lambda_context)
    # Backoff sleeps and client-side rate-limit waits pass on a virtual clock: the storer behaves as with
    # real time (its token buckets refill while it "sleeps"), the test does not wait for it.
    clock = sleep_on_virtual_time(workflow.storer.spapi_clients.http("NA"))
    workflow.storer.spapi_clients.lwa._sleep = clock.sleep

    def workflow_retry_wait(seconds: float) -> None:
        # The workflow's Retry waits pass on the same clock, so the storer's buckets refill meanwhile.
        workflow.retry_sleeps.append(seconds)
        clock.sleep(seconds)

    replace_workflow_retry_sleep(monkeypatch, workflow_retry_wait)
    for module in (pipeline.creator,):
        module.spapi_clients.http("NA").sleep = lambda seconds: None
        module.spapi_clients.lwa._sleep = lambda seconds: None
    monkeypatch.setattr(
        report_document_storer,
        "iter_report_document",
        functools.partial(documents.iter_report_document, sleep=lambda seconds: None),
    )
    return pipeline


# -- the Terraform plan ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def terraform_plan() -> dict:
    """The root module planned with the mocked aws provider (`terraform test` with a plan run, see
    scripts/terraform_checks.py: mock_plan_json), in Terraform's JSON plan format."""
    if shutil.which("terraform") is None:
        pytest.skip("terraform is not installed: the policy and alarm checks read Terraform's plan")
    import terraform_checks

    return terraform_checks.mock_plan_json()
