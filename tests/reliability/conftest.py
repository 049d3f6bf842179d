"""Fixtures for the reliability and security suite.

The workflow fixtures (moto's Step Functions engine running the ASL with the real handlers in-process) are
shared with tests/workflow: its conftest is loaded by path and its fixtures re-exported here, so both suites
run the workflow the same way. Every attack records what it tried in `attack_results`; at the end of the
session the figures go to .build/reliability/results.json, which render_report.py turns into
docs/reliability.md.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace

import boto3
import pytest

from canaries import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, SELLER_ID, assert_no_secrets

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
