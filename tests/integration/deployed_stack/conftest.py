"""The deployed stack, once for the whole package: the demo's code applies the real root module to local AWS.

Fixtures are package-scoped (this package), not session-scoped: only one LocalAws may run per process,
and the tests collected after this directory (``tests/local``, the fast ones next to it) start their own.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from canaries import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, SELLER_ID
from sp_reports_client import SpReportsClient
from sp_reports_local.acceptance import DEPLOYMENT_KEY, EMULATOR_OPTIONS, LAMBDA_SESSION_SECONDS
from sp_reports_local.stack import (
    MIRROR_ENV,
    REPO_ROOT,
    AppCredentials,
    DeploymentSettings,
    LocalDeployment,
    Seller,
)

from .stack_test_helpers import DONE_REPORT_TYPE, MARKETPLACE_ID, REGION_CODE, FinishedReport

DEFAULT_PROVIDER_MIRROR = Path("/opt/tf-plugins")


def _terraform_env() -> dict[str, str]:
    env = dict(os.environ)
    # Offline machines keep the provider mirror here; `make test` sets the variable itself.
    if not env.get(MIRROR_ENV) and DEFAULT_PROVIDER_MIRROR.is_dir():
        env[MIRROR_ENV] = str(DEFAULT_PROVIDER_MIRROR)
    return env


def _build_packages(out: Path) -> Path:
    """Zips of the current sources (what `make package` builds), so the tests never deploy stale code."""
    subprocess.run(  # noqa: S603 - our own packaging script
        [sys.executable, str(REPO_ROOT / "scripts" / "package_lambdas.py"), "--out", str(out)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return out


@pytest.fixture(scope="package")
def deployment(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, models_dir: Path
) -> Iterator[LocalDeployment]:
    applied = request.config.stash.get(DEPLOYMENT_KEY, None)
    if applied is not None:
        # `make acceptance` applied the stack (its own name_prefix) and destroys it after these tests.
        yield from _checked(applied)
        return
    if shutil.which("terraform") is None:
        pytest.skip("terraform is not installed")
    package_dir = _build_packages(tmp_path_factory.mktemp("lambda"))
    settings = DeploymentSettings(
        state_dir=tmp_path_factory.mktemp("stack"),
        package_dir=package_dir,
        models_dir=models_dir,
        emulator_options=EMULATOR_OPTIONS,
        lambda_session_seconds=LAMBDA_SESSION_SECONDS,
    )
    with LocalDeployment(
        settings,
        app=AppCredentials(CLIENT_ID, CLIENT_SECRET),
        seller=Seller(SELLER_ID, REFRESH_TOKEN),
        base_env=_terraform_env(),
    ) as stack:
        stack.terraform_init()
        stack.terraform_apply()
        yield from _checked(stack)
        _write_authorisation_figures(stack)


def _checked(stack: LocalDeployment) -> Iterator[LocalDeployment]:
    """Yield the stack (its emulator knows the test seller), then fail on broken SP-API exchanges."""
    emulator = stack.emulator
    assert emulator is not None
    emulator.register_seller(REFRESH_TOKEN, SELLER_ID)
    yield stack
    violations = emulator.contract_violations()
    errors = list(emulator.notification_errors)
    assert not violations, "SP-API exchanges broke the models:\n" + "\n".join(violations)
    assert not errors, f"notifications not delivered to SQS: {errors}"


AUTHORISATION_FIGURES = REPO_ROOT / ".build" / "reliability" / "authorisation.json"


def _write_authorisation_figures(stack: LocalDeployment) -> None:
    """Calls per principal under enforcement, for docs/reliability.md (tests/reliability/render_report.py)."""
    assert stack.aws is not None
    principals: dict[str, dict] = {}
    for decision, count in stack.aws.iam.decisions().items():
        row = principals.setdefault(decision.principal, {"allowed": 0, "refused": 0, "actions": []})
        row["allowed" if decision.allowed else "refused"] += count
        if decision.action not in row["actions"]:
            row["actions"].append(decision.action)
    for row in principals.values():
        row["actions"].sort()
    run = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d")
    AUTHORISATION_FIGURES.parent.mkdir(parents=True, exist_ok=True)
    AUTHORISATION_FIGURES.write_text(
        json.dumps({"run": run, "principals": principals}, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )


@pytest.fixture(scope="package")
def client(deployment: LocalDeployment) -> SpReportsClient:
    return deployment.client(assume_role=True)


@pytest.fixture(scope="package")
def subscribed_seller(deployment: LocalDeployment, client: SpReportsClient) -> tuple[str, str]:
    """The seller's token stored and REPORT_PROCESSING_FINISHED subscribed: (subscription, destination)."""
    client.put_token(SELLER_ID, REFRESH_TOKEN)
    subscription = client.subscribe_notifications(SELLER_ID, REGION_CODE)
    return subscription.subscription_id, subscription.destination_id


@pytest.fixture(scope="package")
def done_report(client: SpReportsClient, subscribed_seller: tuple[str, str]) -> FinishedReport:
    """One report through the whole pipeline, as a user runs it."""
    report_id = client.create_report(SELLER_ID, REGION_CODE, DONE_REPORT_TYPE, [MARKETPLACE_ID])
    report = client.wait_for_report(report_id, timeout=120, poll_interval=0.5)
    return FinishedReport(report_id, report, *subscribed_seller)
