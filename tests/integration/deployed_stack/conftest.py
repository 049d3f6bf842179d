"""The deployed stack, once for the whole package: the demo's code applies the real root module to local AWS,
or ``make acceptance`` hands over the stack it deployed (local AWS or a real account).

The tests reach the stack only through ``StackUnderTest`` (sp_reports_harness.acceptance.stack_under_test),
so the same
assertions run on either target, against the SP-API emulator (with the tests' seller, ``EMULATOR_SELLER``) or
against real SP-API (with the stack's real seller, ``StackUnderTest.seller``). Fixtures are package-scoped
(this package), not session-scoped: only one LocalAws may run per process, and the tests collected after this
directory (``tests/harness``, for one) start their own.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from sp_reports.client import SpReportsClient
from sp_reports_harness.acceptance.local_stack_under_test import LocalStackUnderTest
from sp_reports_harness.acceptance.results import DEPLOYMENT_KEY, EMULATOR_OPTIONS, LAMBDA_SESSION_SECONDS
from sp_reports_harness.acceptance.stack_under_test import EmailObserver, SellerUnderTest, StackUnderTest
from sp_reports_harness.deployment.local_deployment import (
    MIRROR_ENV,
    AppCredentials,
    DeploymentSettings,
    LocalDeployment,
    Seller,
)
from sp_reports_harness.repository import REPO_ROOT
from tests.support.canaries import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, SELLER_ID
from tests.support.deployed_stack import EMULATOR_SELLER, FinishedReport, local_aws_of

DEFAULT_PROVIDER_MIRROR = Path("/opt/tf-plugins")


def _terraform_env() -> dict[str, str]:
    env = dict(os.environ)
    # Offline machines keep the provider mirror here; `make test` sets the variable itself.
    if not env.get(MIRROR_ENV) and DEFAULT_PROVIDER_MIRROR.is_dir():
        env[MIRROR_ENV] = str(DEFAULT_PROVIDER_MIRROR)
    return env


@pytest.fixture(scope="package")
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, models_dir: Path
) -> Iterator[StackUnderTest]:
    applied = request.config.stash.get(DEPLOYMENT_KEY, None)
    if applied is not None:
        # `make acceptance` applied the stack (its own name_prefix) and destroys it after these tests.
        yield from _checked(applied)
        if applied.local_aws is not None:
            _write_authorisation_figures(applied)
        return
    if shutil.which("terraform") is None:
        pytest.skip("terraform is not installed")
    # Requested only here: the stack `make acceptance` applied above needs no zips of these tests.
    package_dir = request.getfixturevalue("lambda_package_dir")
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
    ) as deployment:
        deployment.terraform_init()
        deployment.terraform_apply()
        local = LocalStackUnderTest(deployment)
        yield from _checked(local)
        _write_authorisation_figures(local)


def _checked(stack: StackUnderTest) -> Iterator[StackUnderTest]:
    """Yield the stack (its emulator knows the test seller), then fail on broken SP-API exchanges. Real SP-API
    knows its seller and keeps no record we could check."""
    if stack.emulator is None:
        yield stack
        return
    stack.emulator.register_seller(EMULATOR_SELLER.refresh_token, EMULATOR_SELLER.seller_id)
    yield stack
    violations = stack.emulator.contract_violations()
    errors = stack.emulator.notification_errors()
    assert not violations, "SP-API exchanges broke the models:\n" + "\n".join(violations)
    assert not errors, f"notifications not delivered to SQS: {errors}"


AUTHORISATION_FIGURES = REPO_ROOT / ".build" / "reliability" / "authorisation.json"


def _write_authorisation_figures(stack: StackUnderTest) -> None:
    """Calls per principal under enforcement, for docs/reliability.md (tests/reliability/render_report.py)."""
    aws = local_aws_of(stack, "the calls per principal under enforcement (docs/reliability.md)")
    principals: dict[str, dict] = {}
    for decision, count in aws.iam.decisions().items():
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
def emails(stack: StackUnderTest) -> Iterator[EmailObserver]:
    """What the notifications topic delivers, from before the first report until the package ends."""
    with stack.observe_emails() as observer:
        yield observer


@pytest.fixture(scope="package")
def client(stack: StackUnderTest, emails: EmailObserver) -> SpReportsClient:
    # Every report is requested through this client: the topic is observed before the first outcome.
    return stack.client()


@pytest.fixture(scope="package")
def seller(stack: StackUnderTest) -> SellerUnderTest:
    """The seller whose reports the tests request: the stack's real one, or the emulator's."""
    return stack.seller or EMULATOR_SELLER


@pytest.fixture(scope="package")
def subscribed_seller(client: SpReportsClient, seller: SellerUnderTest) -> tuple[str, str]:
    """The seller's token stored and REPORT_PROCESSING_FINISHED subscribed: (subscription, destination)."""
    client.put_token(seller.seller_id, seller.refresh_token)
    subscription = client.subscribe_notifications(seller.seller_id, seller.region_code)
    return subscription.subscription_id, subscription.destination_id


@pytest.fixture(scope="package")
def done_report(
    client: SpReportsClient, seller: SellerUnderTest, subscribed_seller: tuple[str, str]
) -> FinishedReport:
    """One report through the whole pipeline, as a user runs it."""
    report_id = client.create_report(
        seller.seller_id, seller.region_code, seller.report_type, [seller.marketplace_id]
    )
    # Real SP-API polls are cheap for us (our API's getReport reads the record) but a report takes minutes.
    interval = 0.5 if seller.report_timeout <= 300 else 5.0
    report = client.wait_for_report(report_id, timeout=seller.report_timeout, poll_interval=interval)
    assert report.status == "DONE", (
        f"report {report_id} of {seller.report_type} ended {report.status} (a seller without such data gets "
        "CANCELLED: choose another type with SP_REPORTS_ACCEPTANCE_REPORT_TYPE)"
    )
    return FinishedReport(report_id, report, *subscribed_seller)
