"""Fixtures for the reliability and security suite.

The workflow fixtures (moto's Step Functions engine running the ASL with the real handlers in-process) are
shared with tests/workflow: its conftest is loaded by path and its fixtures re-exported here, so both suites
run the workflow the same way. Every attack records what it tried in `attack_results`; at the end of the
session the figures go to .build/reliability/results.json, which render_report.py turns into
docs/reliability.md.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace

import boto3
import pytest
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

from canaries import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, SELLER_ID, assert_no_secrets
from spapi.ratelimit import RateLimiter

_TESTS = Path(__file__).resolve().parents[1]
REPO_ROOT = _TESTS.parent
RESULTS_PATH = REPO_ROOT / ".build" / "reliability" / "results.json"


def _load_by_path(name: str, path: Path) -> ModuleType:
    # Test helper directories are not packages (a tests/handlers package would shadow `handlers`).
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


aws_resources = _load_by_path("aws_resources", _TESTS / "handlers" / "aws_resources.py")
api_events = _load_by_path("api_events", _TESTS / "handlers" / "api_events.py")
notification_messages = _load_by_path(
    "notification_messages", _TESTS / "handlers" / "notification_messages.py"
)
_workflow_fixtures = _load_by_path("reliability_workflow_fixtures", _TESTS / "workflow" / "conftest.py")

workflow = _workflow_fixtures.workflow
load_handler = _workflow_fixtures.load_handler


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "terraform: plans the Terraform root with the mocked provider (needs the terraform binary)"
    )


# -- attack figures --------------------------------------------------------------------------------------


class AttackResults:
    """Rows of docs/reliability.md, filled by the tests that pass (a failing test records nothing)."""

    def __init__(self) -> None:
        self.rows: dict[str, dict] = {}

    def record(self, row: str, *, attack: str, cases: int, outcome: str, lost: int = 0) -> None:
        entry = self.rows.setdefault(
            row, {"attack": attack, "cases": 0, "outcomes": [], "lost": 0, "tests": 0}
        )
        entry["cases"] += cases
        entry["lost"] += lost
        entry["tests"] += 1
        if outcome not in entry["outcomes"]:
            entry["outcomes"].append(outcome)


_RESULTS = AttackResults()


@pytest.fixture(scope="session")
def attack_results() -> AttackResults:
    return _RESULTS


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not _RESULTS.rows:
        return
    # A partial run (one file, -k) updates its own rows and keeps the others from the last full run.
    previous = {}
    if RESULTS_PATH.is_file():
        try:
            previous = json.loads(RESULTS_PATH.read_text(encoding="utf-8")).get("rows", {})
        except (json.JSONDecodeError, AttributeError):
            previous = {}
    previous.update(_RESULTS.rows)
    RESULTS_PATH.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_PATH.write_text(json.dumps({"rows": previous}, indent=1, sort_keys=True) + "\n", encoding="utf-8")


# -- secrets ---------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def no_secret_in_any_log(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> Iterator[None]:
    """Whatever a test leaves in stdout, stderr or the log records must hold no canary or secret marker."""
    yield
    captured = capsys.readouterr()
    assert_no_secrets(captured.out + captured.err)
    assert_no_secrets("\n".join(record.getMessage() for record in caplog.records) + caplog.text)


def check_output_for_secrets(capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    """Read (and so consume) what was printed so far, fail on a secret, return it for further checks."""
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert_no_secrets(text, *extra)
    return text


# -- the API's door --------------------------------------------------------------------------------------


@pytest.fixture
def lambda_context() -> SimpleNamespace:
    return SimpleNamespace(
        function_name="sp-reports-reliability",
        memory_limit_in_mb=256,
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:sp-reports-reliability",
        aws_request_id=str(uuid.uuid4()),
        get_remaining_time_in_millis=lambda: 30_000,
    )


@pytest.fixture
def pipeline_resources(aws, spapi_emulator, monkeypatch):
    """moto with the pipeline's resources, the functions' environment and the canary seller's token."""
    resources = aws_resources.create_pipeline_resources(CLIENT_ID, CLIENT_SECRET)
    for name, value in aws_resources.function_environment(resources).items():
        monkeypatch.setenv(name, value)
    from spapi.token_store import TokenStore

    TokenStore(
        resources.tokens_table, resources.tokens_key_id, boto3.client("dynamodb"), boto3.client("kms")
    ).put(SELLER_ID, REFRESH_TOKEN)
    return resources


@pytest.fixture
def fresh_handler(pipeline_resources, monkeypatch):
    """Import `handlers.<name>` afresh (a cold start) in the pipeline's environment."""
    import importlib

    def load(name: str, **environment: str) -> ModuleType:
        for variable, value in environment.items():
            monkeypatch.setenv(variable, value)
        monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", f"{name}-{uuid.uuid4().hex[:8]}")
        sys.modules.pop(f"handlers.{name}", None)
        return importlib.import_module(f"handlers.{name}")

    return load


# -- the whole workflow ----------------------------------------------------------------------------------

REPORT_TYPE = "GET_MERCHANT_LISTINGS_ALL_DATA"
DOCUMENT = b"".join(b"sku-%05d\tItem %05d\t%d.99\n" % (n, n, n % 100) for n in range(2000))
TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


class ReportPipeline:
    """The seller authorised and subscribed; reports are requested through POST /reports, finished in the
    emulator, announced to the processor and run through the workflow (moto SFN + real handlers)."""

    def __init__(self, workflow, emulator, load_handler, lambda_context) -> None:
        self.workflow = workflow
        self.emulator = emulator
        self.lambda_context = lambda_context
        self.creator = load_handler("report_creator")
        self.processor = load_handler("notifications_processor", STATE_MACHINE_ARN=workflow.state_machine_arn)
        from spapi.report_records import ReportRecords

        self.records = ReportRecords(workflow.resources.reports_table, boto3.client("dynamodb"))

    def request_report(self) -> str:
        body = {
            "SellerId": SELLER_ID,
            "RegionCode": "NA",
            "ReportType": REPORT_TYPE,
            "MarketplaceIds": ["ATVPDKIKX0DER"],
        }
        response = self.creator.handler(api_events.api_event("POST", "/reports", body), self.lambda_context)
        assert response["statusCode"] == 202, response["body"]
        assert_no_secrets(response["body"])
        return json.loads(response["body"])["reportId"]

    def notification_bodies(self, report_id: str) -> list[str]:
        bodies = [
            sent.body
            for sent in self.emulator.sent_notifications
            if sent.message["payload"]["reportProcessingFinishedNotification"]["reportId"] == report_id
        ]
        assert bodies, f"SP-API sent no notification for report {report_id}"
        return bodies

    def deliver(self, report_id: str, processor: ModuleType | None = None) -> dict:
        """One SQS delivery of the report's notification; returns the processor's batch answer."""
        event = notification_messages.sqs_event(*self.notification_bodies(report_id))
        return (processor or self.processor).handler(event, self.lambda_context)

    def executions_of(self, report_id: str) -> list[dict]:
        from spapi.notifications_processing import execution_name

        return [e for e in self.workflow.executions() if e["name"] == execution_name(report_id)]

    def run(self, report_id: str, status: str = "DONE", document: bytes | None = DOCUMENT) -> dict:
        """Finish the report in SP-API, deliver its notification, wait for its execution to end."""
        self.emulator.finish_report(report_id, status, document if status != "CANCELLED" else None)
        assert self.deliver(report_id) == {"batchItemFailures": []}
        (execution,) = self.executions_of(report_id)
        return self.workflow.wait(execution["executionArn"], timeout=120)

    def emails_about(self, report_id: str) -> list[dict]:
        return [email for email in self.workflow.emails() if report_id in email["message"]]

    def stored_objects(self) -> list[str]:
        listing = boto3.client("s3").list_objects_v2(Bucket=self.workflow.resources.bucket)
        return [item["Key"] for item in listing.get("Contents", [])]

    def open_uploads(self) -> list[dict]:
        return (
            boto3.client("s3")
            .list_multipart_uploads(Bucket=self.workflow.resources.bucket)
            .get("Uploads", [])
        )

    def assert_nothing_stuck(self) -> None:
        statuses = [e["status"] for e in self.workflow.executions()]
        assert all(status in TERMINAL for status in statuses), f"executions still running: {statuses}"

    def assert_no_secret_in_history(self, execution: dict) -> None:
        history = json.dumps(self.workflow.history(execution["executionArn"]), default=str)
        assert_no_secrets(history + json.dumps(execution, default=str))
        assert "/documents/" not in history  # no document URL, signed or not


class VirtualClock:
    """time.monotonic plus every second slept so far."""

    def __init__(self) -> None:
        self.slept = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.slept

    def sleep(self, seconds: float) -> None:
        self.slept += max(0.0, seconds)


@pytest.fixture
def report_pipeline(workflow, spapi_emulator, load_handler, lambda_context, monkeypatch) -> ReportPipeline:
    spapi_emulator.app.config.auto_advance = False  # each test finishes its reports explicitly
    resources = workflow.resources
    from spapi import documents
    from spapi.token_store import TokenStore

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
    clock = VirtualClock()
    storer_http = workflow.storer.spapi_clients.http("NA")
    storer_http.clock = clock
    storer_http.sleep = clock.sleep
    storer_http.rate_limiter = RateLimiter(clock=clock)
    workflow.storer.spapi_clients.lwa._sleep = clock.sleep

    def workflow_retry_wait(seconds: float) -> None:
        # The workflow's Retry waits pass on the same clock, so the storer's buckets refill meanwhile.
        workflow.retry_sleeps.append(seconds)
        clock.sleep(seconds)

    monkeypatch.setattr(retrier_decl, "time", SimpleNamespace(sleep=workflow_retry_wait))
    for module in (pipeline.creator,):
        module.spapi_clients.http("NA").sleep = lambda seconds: None
        module.spapi_clients.lwa._sleep = lambda seconds: None
    monkeypatch.setattr(
        workflow.storer,
        "iter_report_document",
        functools.partial(documents.iter_report_document, sleep=lambda seconds: None),
    )
    return pipeline
