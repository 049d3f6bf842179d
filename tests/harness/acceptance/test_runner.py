"""make acceptance's runner and target guard, with fake targets and fake AWS sessions (fast, no Terraform).

What the runner promises: each step on one timed line, destruction after a pass, a failure, SIGINT or
SIGTERM, what remains and how to remove it when destruction fails, and a one-line verdict. What the guard
promises: the real-account target starts only when asked for, with credentials, for the account named.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, NoCredentialsError

from sp_reports_harness.acceptance import results as acceptance_results
from sp_reports_harness.acceptance import runner as acceptance
from sp_reports_harness.acceptance.account import AccountAccess
from sp_reports_harness.acceptance.permissions_boundary import (
    BOUNDARY_POLICY_NAME,
    boundary_document,
    ensure_boundary,
)
from sp_reports_harness.acceptance.results import AcceptanceFailed, AssertionsOutcome
from sp_reports_harness.acceptance.runner import run_acceptance
from sp_reports_harness.acceptance.seller import (
    LWA_CLIENT_ID_ENV,
    LWA_CLIENT_SECRET_ENV,
    MARKETPLACE_ID_ENV,
    REFRESH_TOKEN_ENV,
    SELLER_ID_ENV,
)
from sp_reports_harness.acceptance.spapi_operation_views import HeldInSpApi, SpApiOperationsViews
from sp_reports_harness.acceptance.stack_under_test import SellerUnderTest
from sp_reports_harness.acceptance.targets import (
    ACCOUNT_ENV,
    TARGET_ENV,
    LocalTarget,
    TargetRefused,
    confirm_account,
    select_target,
    unique_name_prefix,
)
from sp_reports_harness.deployment.local_deployment import AppCredentials
from tests.support.canaries import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, SELLER_ID


class FakeTarget:
    description = "a fake target"
    name_prefix = "spacc-fake"

    def __init__(self, plan_only: bool = False, **behaviour: Any) -> None:
        self.plan_only = plan_only
        self.behaviour = behaviour
        self.calls: list[str] = []
        self.state: list[str] = []

    def start(self) -> str:
        self.calls.append("start")
        return "started the fake"

    def terraform_init(self) -> None:
        self.calls.append("init")

    def terraform_plan_count(self) -> int:
        self.calls.append("plan")
        return 7

    def terraform_apply(self, on_line: Any) -> None:
        self.calls.append("apply")
        self.state = ["aws_sqs_queue.this", "aws_s3_bucket.reports"]
        on_line("Plan: 2 to add, 0 to change, 0 to destroy.")
        on_line("aws_sqs_queue.this: Creation complete after 1s")
        if "signal_during_apply" in self.behaviour:
            os.kill(os.getpid(), self.behaviour["signal_during_apply"])
        on_line("aws_s3_bucket.reports: Creation complete after 1s")

    def run_assertions(self) -> AssertionsOutcome:
        self.calls.append("assertions")
        return self.behaviour.get("outcome", AssertionsOutcome(0, passed=["test_a", "test_b"]))

    def terraform_destroy(self, on_line: Any) -> None:
        self.calls.append("destroy")
        if self.behaviour.get("destroy_fails"):
            raise RuntimeError("DeleteBucket: BucketNotEmpty")
        for address in self.state:
            on_line(f"{address}: Destruction complete after 1s")
        self.state = []

    def after_destroy(self) -> str:
        return ""

    def remaining_resources(self) -> list[str]:
        return list(self.state)

    def removal_instructions(self) -> str:
        return "  cd /the/state && terraform destroy"

    def stop(self) -> None:
        self.calls.append("stop")


@pytest.fixture
def signals() -> Any:
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    handlers = acceptance._Signals()
    handlers.install()
    yield handlers
    for sig, handler in previous.items():
        signal.signal(sig, handler)


def _run(target: FakeTarget, tmp_path: Path, signals: Any) -> tuple[int, str, Path]:
    work_dir = tmp_path / "work"
    work_dir.mkdir()
    out = io.StringIO()
    code = run_acceptance(target, work_dir, out, signals)
    return code, out.getvalue(), work_dir


def test_a_passing_run_prints_each_step_with_its_time_destroys_and_ends_with_the_verdict(tmp_path, signals):
    target = FakeTarget()

    code, out, work_dir = _run(target, tmp_path, signals)

    assert code == 0
    assert target.calls == ["start", "init", "apply", "assertions", "destroy", "stop"]
    lines = out.strip().splitlines()
    assert lines[-1].startswith("acceptance PASSED on a fake target in ")
    assert "2 end-to-end assertions passed" in lines[-1] and "nothing left behind" in lines[-1]
    timed = [line for line in lines if line.strip() and line.split()[0].replace(".", "").isdigit()]
    assert [line.split(" s  ", 1)[1].split(":")[0] for line in timed] == [
        "started the fake",
        "terraform init",
        "terraform apply",
        "end-to-end assertions",
        "terraform destroy",
        "stopped a fake target",
    ]
    assert "terraform destroy: 2 resources destroyed, the state is empty" in out
    assert not work_dir.exists()


def test_assertions_skipped_on_the_target_are_named_with_their_reason_and_counted_in_the_verdict(
    tmp_path, signals
):
    skipped = [("test_iam_decisions", "local AWS's own check: no record of decisions in AWS account 1")]
    target = FakeTarget(outcome=AssertionsOutcome(0, passed=["test_a"], skipped=skipped))

    code, out, _ = _run(target, tmp_path, signals)

    assert code == 0
    assert "end-to-end assertions: 1 passed, 1 skipped on this target" in out
    assert (
        "  skipped test_iam_decisions: local AWS's own check: no record of decisions in AWS account 1" in out
    )
    assert "1 skipped (listed above)" in out.strip().splitlines()[-1]


def test_failed_assertions_still_destroy_and_name_the_failures(tmp_path, signals):
    target = FakeTarget(outcome=AssertionsOutcome(1, passed=["test_a"], failed=["test_presigned_url"]))

    code, out, work_dir = _run(target, tmp_path, signals)

    assert code == 1
    assert target.calls[-2:] == ["destroy", "stop"]
    verdict = out.strip().splitlines()[-1]
    assert verdict.startswith("acceptance FAILED during: end-to-end assertions")
    assert "test_presigned_url" in verdict and "nothing left behind" in verdict
    assert not work_dir.exists()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_apply_destroys_what_was_created_and_exits_130(tmp_path, signals, signum):
    target = FakeTarget(signal_during_apply=signum)

    code, out, work_dir = _run(target, tmp_path, signals)

    assert code == 130
    assert target.calls == ["start", "init", "apply", "destroy", "stop"]
    verdict = out.strip().splitlines()[-1]
    assert verdict.startswith(f"acceptance INTERRUPTED ({signum.name}) during: terraform apply")
    assert "nothing left behind" in verdict
    assert not work_dir.exists()


def test_a_failed_destruction_lists_what_remains_and_how_to_remove_it_and_keeps_the_state(tmp_path, signals):
    target = FakeTarget(destroy_fails=True)

    code, out, work_dir = _run(target, tmp_path, signals)

    assert code == 1
    assert "still deployed (terraform state list):\n  aws_sqs_queue.this\n  aws_s3_bucket.reports" in out
    assert "to remove them:\n  cd /the/state && terraform destroy" in out
    assert out.strip().splitlines()[-1].endswith("2 resources LEFT BEHIND (listed above)")
    assert work_dir.exists()  # the state is what removing the rest needs


def test_plan_only_plans_and_neither_applies_nor_destroys(tmp_path, signals):
    target = FakeTarget(plan_only=True)

    code, out, work_dir = _run(target, tmp_path, signals)

    assert code == 0
    assert target.calls == ["start", "init", "plan", "stop"]
    assert "plan only: 7 resources would be created, nothing was applied" in out
    assert not work_dir.exists()


# -- the target guard ---------------------------------------------------------------------------------


class FakeSts:
    """STS's identity; also SQS and IAM, for what an account target looks for after destruction, and API
    Gateway's account setting, which an account target reads before and after."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.leftovers: set[str] = set()
        self.cloudwatch_role = ""  # the account's API Gateway CloudWatch role ("" none)
        # The account's sp-reports-acceptance-boundary policy (None: missing), as the run's IAM reads it.
        self.boundary: dict[str, Any] | None = boundary_document()
        self.created_policies: list[str] = []

    def get_policy(self, PolicyArn: str) -> dict[str, Any]:
        if self.boundary is None or not PolicyArn.endswith(f":policy/{BOUNDARY_POLICY_NAME}"):
            raise ClientError({"Error": {"Code": "NoSuchEntity"}}, "GetPolicy")
        return {"Policy": {"Arn": PolicyArn, "DefaultVersionId": "v2"}}

    def get_policy_version(self, PolicyArn: str, VersionId: str) -> dict[str, Any]:
        assert VersionId == "v2"
        # IAM answers the document URL-encoded; boto3 decodes it into a dict.
        return {"PolicyVersion": {"Document": self.boundary, "VersionId": VersionId}}

    def create_policy(self, PolicyName: str, PolicyDocument: str, **_: Any) -> dict[str, Any]:
        self.created_policies.append(PolicyName)
        self.boundary = json.loads(PolicyDocument)
        return {"Policy": {"PolicyName": PolicyName}}

    def get_account(self) -> dict[str, Any]:
        return {"cloudwatchRoleArn": self.cloudwatch_role} if self.cloudwatch_role else {}

    def get_queue_url(self, QueueName: str) -> dict[str, str]:
        if "sqs" not in self.leftovers:
            raise ClientError({"Error": {"Code": "AWS.SimpleQueueService.NonExistentQueue"}}, "GetQueueUrl")
        return {"QueueUrl": f"https://sqs/{QueueName}"}

    def get_user(self, UserName: str) -> dict[str, Any]:
        if "iam" not in self.leftovers:
            raise ClientError({"Error": {"Code": "NoSuchEntity"}}, "GetUser")
        return {"User": {"UserName": UserName}}

    def get_caller_identity(self) -> dict[str, str]:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


class FakeSession:
    def __init__(self, answer: Any, region: str | None = "eu-west-1") -> None:
        self.region_name = region
        self.sts = FakeSts(answer)
        self.clients: list[str] = []

    def client(self, service: str, region_name: str | None = None) -> FakeSts:
        self.clients.append(service)
        return self.sts


IDENTITY = {"Account": "111122223333", "Arn": "arn:aws:iam::111122223333:user/ci", "UserId": "AIDA"}


def test_the_default_target_is_local_aws_with_a_unique_prefix(tmp_path):
    target = select_target({}, tmp_path, tmp_path / "zips", False, io.StringIO(), lambda: pytest.fail("AWS"))

    assert isinstance(target, LocalTarget)
    assert target.name_prefix.startswith("spacc-") and target.name_prefix != unique_name_prefix()
    assert target.deployment.settings.name_prefix == target.name_prefix
    assert target.deployment.settings.state_dir == tmp_path


@pytest.mark.parametrize(
    ("env", "session", "refusal"),
    [
        (
            {TARGET_ENV: "prod"},
            FakeSession(IDENTITY),
            "must be 'local' (the default), 'aws' or 'local-account'",
        ),
        ({TARGET_ENV: "aws"}, FakeSession(NoCredentialsError()), "no AWS credentials found"),
        (
            {TARGET_ENV: "aws"},
            FakeSession(ClientError({"Error": {"Code": "ExpiredToken", "Message": "expired"}}, "Get")),
            "sts get-caller-identity failed",
        ),
        ({TARGET_ENV: "aws"}, FakeSession(IDENTITY, region=None), "no AWS region configured"),
        ({TARGET_ENV: "aws"}, FakeSession(IDENTITY), f"set {ACCOUNT_ENV}=111122223333 to confirm"),
        (
            {TARGET_ENV: "aws", ACCOUNT_ENV: "444455556666"},
            FakeSession(IDENTITY),
            "names account 444455556666, but the credentials are of account 111122223333",
        ),
    ],
)
def test_the_real_account_target_refuses_to_start(tmp_path, env, session, refusal):
    with pytest.raises(TargetRefused, match=refusal.replace("(", r"\(").replace(")", r"\)")):
        select_target(env, tmp_path, tmp_path, False, io.StringIO(), lambda: session)


def test_the_account_and_region_are_printed_before_the_account_is_checked():
    out = io.StringIO()

    with pytest.raises(TargetRefused):
        confirm_account({ACCOUNT_ENV: "444455556666"}, FakeSession(IDENTITY), out)

    assert (
        out.getvalue() == "AWS account 111122223333 as arn:aws:iam::111122223333:user/ci, region eu-west-1\n"
    )


def test_the_named_account_is_confirmed():
    session = FakeSession(IDENTITY)

    assert confirm_account({ACCOUNT_ENV: " 111122223333 "}, session, io.StringIO()) == (
        "111122223333",
        "eu-west-1",
    )
    assert session.clients == ["sts"]


def test_a_refused_start_exits_2_and_leaves_no_work_directory(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        code = acceptance.main([], environ={TARGET_ENV: "elsewhere"})
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    assert code == 2
    assert "acceptance refused to start" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


# -- the real-account target's plan-only path ---------------------------------------------------------


class RecordingTerraform:
    def __init__(self, failing: str | None = None, state: str = "") -> None:
        self.commands: list[tuple[list[str], Path, dict[str, str]]] = []
        self.failing = failing  # the subcommand that fails
        self.state = state  # what `terraform state list` prints

    def __call__(self, command: list[str], cwd: Path, env: Any, timeout: float, on_line: Any = None) -> Any:
        from sp_reports_harness.deployment.terraform_run import TerraformRun

        self.commands.append((command[1:], cwd, dict(env)))
        # What terraform would read there: the acceptance configuration and, one level up, the root it calls.
        self.files_seen = sorted(
            path.relative_to(cwd.parent).as_posix() for path in cwd.parent.rglob("*.tf") if path.is_file()
        )
        if command[1] == self.failing:
            return TerraformRun(1, "", f"Error: {command[1]} went wrong\n")
        answers = {"plan": "Plan: 114 to add, 0 to change, 0 to destroy.\n", "state": self.state}
        out = answers.get(command[1], "")
        return TerraformRun(0, out, "")


def _aws_target(
    tmp_path: Path, plan_only: bool, env: dict[str, str] | None = None, runner: Any = None
) -> Any:
    session = FakeSession(IDENTITY)
    env = {TARGET_ENV: "aws", ACCOUNT_ENV: "111122223333", **(env or {})}
    target = select_target(
        env, tmp_path / "work", tmp_path / "zips", plan_only, io.StringIO(), lambda: session
    )
    if runner is not None:
        target._runner = runner
    return target


def test_a_failed_apply_on_an_account_destroys_and_says_what_remains_and_how_to_remove_it(tmp_path, signals):
    terraform = RecordingTerraform(failing="apply", state="module.sp_reports.aws_sqs_queue.notifications\n")
    _emulator_zip(tmp_path)
    # A stray setting in the shell must not deploy the stack without the emulator the assertions drive.
    target = _aws_target(
        tmp_path, False, env={"PATH": os.environ["PATH"], "TF_VAR_spapi_emulator": "false"}, runner=terraform
    )
    session = target.access.session
    session.sts.leftovers = {"sqs", "iam"}  # a killed earlier attempt of this run left both behind
    (tmp_path / "work").mkdir()
    out = io.StringIO()

    code = run_acceptance(target, tmp_path / "work", out, signals)

    text = out.getvalue()
    assert code == 1
    assert [command[0] for command, _, _ in terraform.commands] == ["init", "apply", "destroy", "state"]
    apply_env = terraform.commands[1][2]
    # The run's own LWA app, stored by Terraform and registered with the emulator; the emulator's timing.
    assert apply_env["TF_VAR_lwa_client_id"] == target.app.client_id
    assert apply_env["TF_VAR_lwa_client_secret"] == target.app.client_secret
    assert '"SPAPI_EMULATOR_IN_QUEUE_SECONDS": "2.0"' in apply_env["TF_VAR_emulator_environment"]
    assert apply_env["TF_VAR_spapi_emulator"] == "true"
    assert "acceptance FAILED during: terraform apply: terraform apply failed (exit 1)" in text
    prefix = target.name_prefix
    assert "module.sp_reports.aws_sqs_queue.notifications" in text
    assert f"sqs queue {prefix}-email-observer" in text and f"iam user {prefix}-no-api-access" in text
    assert f"cd {target.working_dir} && TF_VAR_region=eu-west-1 TF_VAR_name_prefix={prefix}" in text
    assert f"aws iam delete-user --user-name {prefix}-no-api-access" in text
    assert target.app.client_secret not in text
    assert (tmp_path / "work").exists()  # the state is what removing the rest needs


def _emulator_zip(tmp_path: Path) -> None:
    (tmp_path / "zips").mkdir()
    (tmp_path / "zips" / "spapi_emulator.zip").write_bytes(b"PK")


def test_plan_only_plans_the_stack_with_the_emulator_in_a_copy_with_a_unique_prefix(tmp_path, signals):
    terraform = RecordingTerraform()
    _emulator_zip(tmp_path)
    target = _aws_target(
        tmp_path,
        True,
        env={"TF_VAR_spapi_endpoint_url": "http://127.0.0.1:1", "PATH": os.environ["PATH"]},
        runner=terraform,
    )
    (tmp_path / "work").mkdir()

    code = run_acceptance(target, tmp_path / "work", io.StringIO(), signals)

    assert code == 0
    assert [command[0] for command, _, _ in terraform.commands] == ["init", "plan"]
    plan, cwd, env = terraform.commands[1]
    assert "-lock=false" in plan and "apply" not in plan
    # terraform/acceptance inside the copy of terraform/: its module "sp_reports" (source "../") is the root.
    assert cwd == tmp_path / "work" / "terraform" / "acceptance"
    expected = {
        "acceptance/main.tf",
        "acceptance/variables.tf",
        "acceptance/modules/spapi_emulator/main.tf",
        "main.tf",
        "modules/lambda_function/main.tf",
    }
    assert expected <= set(terraform.files_seen)
    assert not any("tests/" in name for name in terraform.files_seen)
    assert env["TF_VAR_region"] == "eu-west-1"
    assert env["TF_VAR_name_prefix"] == target.name_prefix and target.name_prefix.startswith("spacc-")
    assert env["TF_VAR_lambda_package_dir"] == str((tmp_path / "zips").resolve())
    # The acceptance configuration sets the endpoints (the emulator's URL) and deletion_protection itself.
    assert "TF_VAR_spapi_endpoint_url" not in env and "TF_VAR_lwa_endpoint_url" not in env
    assert "TF_VAR_deletion_protection" not in env
    assert target.description == "AWS account 111122223333 in eu-west-1 with the SP-API emulator"
    assert not (tmp_path / "work").exists()


def test_plan_only_without_the_emulator_zip_says_how_to_build_it(tmp_path, signals):
    terraform = RecordingTerraform()
    target = _aws_target(tmp_path, True, env={"PATH": os.environ["PATH"]}, runner=terraform)
    (tmp_path / "work").mkdir()
    out = io.StringIO()

    code = run_acceptance(target, tmp_path / "work", out, signals)

    assert code != 0
    assert terraform.commands == []
    assert "spapi_emulator.zip is missing" in out.getvalue()
    assert "package_lambdas.py --emulator" in out.getvalue()


# -- a real seller's run: real SP-API instead of the emulator -------------------------------------------

QUEUE_ARN = "arn:aws:sqs:eu-west-1:111122223333:spacc-0123abcd-notifications"
SELLER = SellerUnderTest(
    SELLER_ID, REFRESH_TOKEN, "EU", "A1F83G8C2ARO7P", "GET_MERCHANT_LISTINGS_ALL_DATA", 60
)


def _seller_env() -> dict[str, str]:
    return {
        LWA_CLIENT_ID_ENV: CLIENT_ID,
        LWA_CLIENT_SECRET_ENV: CLIENT_SECRET,
        REFRESH_TOKEN_ENV: REFRESH_TOKEN,
        SELLER_ID_ENV: SELLER_ID,
        MARKETPLACE_ID_ENV: "A1F83G8C2ARO7P",
    }


def test_the_local_target_refuses_a_real_sellers_credentials(tmp_path):
    with pytest.raises(TargetRefused, match="the local target only runs the emulator"):
        select_target(_seller_env(), tmp_path, tmp_path, False, io.StringIO(), lambda: pytest.fail("AWS"))


def test_a_real_sellers_plan_deploys_no_emulator_and_stores_the_sellers_app(
    tmp_path, signals, spapi_emulator
):
    # spapi_emulator stands in for SP-API and LWA (SPAPI_ENDPOINT_URL, LWA_ENDPOINT_URL): the start's check
    # that the seller has no subscription yet is a real getSubscription.
    terraform = RecordingTerraform()
    stray = {"TF_VAR_emulator_environment": "{}", "TF_VAR_spapi_emulator": "true"}
    target = _aws_target(
        tmp_path, True, env={**_seller_env(), **stray, "PATH": os.environ["PATH"]}, runner=terraform
    )
    (tmp_path / "work").mkdir()
    out = io.StringIO()

    code = run_acceptance(target, tmp_path / "work", out, signals)

    assert code == 0, out.getvalue()  # no spapi_emulator.zip needed
    _, _, env = terraform.commands[1]
    assert env["TF_VAR_spapi_emulator"] == "false"
    assert (env["TF_VAR_lwa_client_id"], env["TF_VAR_lwa_client_secret"]) == (CLIENT_ID, CLIENT_SECRET)
    assert "TF_VAR_emulator_environment" not in env
    # A real account: SP-API's and LWA's own endpoints (the root's defaults), no stand-in.
    assert "TF_VAR_spapi_endpoint_url" not in env and "TF_VAR_lwa_endpoint_url" not in env
    assert target.description == (
        "AWS account 111122223333 in eu-west-1 with real SP-API (EU), seller "
        f"{SELLER_ID}, marketplace A1F83G8C2ARO7P, report type GET_MERCHANT_LISTINGS_ALL_DATA"
    )
    assert "calling real SP-API" in out.getvalue()
    assert CLIENT_SECRET not in out.getvalue() and REFRESH_TOKEN not in out.getvalue()
    assert [e.operation_id for e in spapi_emulator.exchanges if e.kind == "spapi"] == ["getSubscription"]


def test_a_seller_already_subscribed_with_the_app_is_refused_before_anything_is_created(
    tmp_path, signals, spapi_emulator
):
    views = SpApiOperationsViews(AppCredentials(CLIENT_ID, CLIENT_SECRET), SELLER)
    subscribed = _subscribe(views, "arn:aws:sqs:eu-west-1:111122223333:production-notifications")
    terraform = RecordingTerraform()
    target = _aws_target(tmp_path, False, env={**_seller_env(), "PATH": os.environ["PATH"]}, runner=terraform)
    (tmp_path / "work").mkdir()
    out = io.StringIO()

    code = run_acceptance(target, tmp_path / "work", out, signals)

    assert code == 1
    assert terraform.commands == []
    assert f"subscription ({subscribed}) with this LWA app" in out.getvalue()
    assert views.existing_subscription() == subscribed  # untouched


def test_destroying_a_real_sellers_run_releases_its_subscription_and_destination_first(
    tmp_path, signals, spapi_emulator
):
    views = SpApiOperationsViews(AppCredentials(CLIENT_ID, CLIENT_SECRET), SELLER)
    terraform = RecordingTerraform()
    target = _aws_target(tmp_path, False, env={**_seller_env(), "PATH": os.environ["PATH"]}, runner=terraform)
    target.outputs = {"queue_arn": QUEUE_ARN}  # applied; POST /notifications subscribed the seller there
    target.account_role_before = ""  # started: the account had no API Gateway CloudWatch role
    target.permissions_boundary_arn = BOUNDARY_ARN  # and its boundary policy
    _subscribe(views, QUEUE_ARN)

    target.terraform_destroy(lambda _line: None)

    assert views.held(QUEUE_ARN) == HeldInSpApi(None, None)
    assert target.remaining_resources() == []
    deletes = [e.operation_id for e in spapi_emulator.exchanges if e.method == "DELETE"]
    assert deletes == ["deleteSubscriptionById", "deleteDestination"]
    assert [command[0] for command, _, _ in terraform.commands] == ["destroy", "state"]


def test_what_sp_api_refused_to_release_is_listed_with_how_to_remove_it(tmp_path, signals, spapi_emulator):
    views = SpApiOperationsViews(AppCredentials(CLIENT_ID, CLIENT_SECRET), SELLER)
    terraform = RecordingTerraform()
    target = _aws_target(tmp_path, False, env={**_seller_env(), "PATH": os.environ["PATH"]}, runner=terraform)
    target.outputs = {"queue_arn": QUEUE_ARN}
    target.account_role_before = ""  # started: the account had no API Gateway CloudWatch role
    target.permissions_boundary_arn = BOUNDARY_ARN  # and its boundary policy
    subscription_id = _subscribe(views, QUEUE_ARN)
    spapi_emulator.stop()  # SP-API unreachable: nothing could be released or checked

    target.terraform_destroy(lambda _line: None)
    remaining = target.remaining_resources()

    assert len(remaining) == 1 and remaining[0].startswith("SP-API: the run's subscription and destination (")
    assert "deleteSubscriptionById" in target.removal_instructions()
    assert terraform.commands[0][0][0] == "destroy"  # the AWS resources are destroyed regardless
    assert subscription_id and REFRESH_TOKEN not in remaining[0] and CLIENT_SECRET not in remaining[0]


def _subscribe(views: SpApiOperationsViews, queue_arn: str) -> str:
    """What the stack's POST /notifications does in SP-API (sp_reports.spapi.notifications)."""
    notifications = views._notifications
    destination_id = notifications.ensure_destination(queue_arn, "sp-reports")
    return notifications.ensure_subscription("REPORT_PROCESSING_FINISHED", destination_id)["subscriptionId"]


def test_every_claim_of_the_verdict_names_assertions_that_exist():
    names = set()
    for path in acceptance_results.ASSERTIONS_DIR.glob("test_*.py"):
        names |= set(re.findall(r"^def (test_\w+)\(", path.read_text(encoding="utf-8"), re.MULTILINE))

    for claim, tests in acceptance.CLAIMS:
        assert set(tests) <= names, (claim, set(tests) - names)


def test_the_verdict_claims_only_what_passed():
    every = [test for _, tests in acceptance.CLAIMS for test in tests]
    without_fatal = [test for test in every if "fatal" not in test]

    assert acceptance.proved_claims(every) == [claim for claim, _ in acceptance.CLAIMS]
    assert "FATAL" not in acceptance.proved_claims(without_fatal)
    # One of the three refused calls missing: the claim is not made.
    assert "refused calls" not in acceptance.proved_claims([t for t in every if "wrong_secret" not in t])


class _StandIn:
    def __init__(self, violations: list[str], errors: list[str]) -> None:
        self._violations = violations
        self.notification_errors = errors

    def contract_violations(self) -> list[str]:
        return self._violations


@pytest.mark.parametrize(
    ("violations", "errors", "problems"),
    [
        ([], [], []),
        (["getReport: response breaks the model"], [], ["getReport: response breaks the model"]),
        ([], ["AccessDenied: queue policy"], ["notification not delivered: AccessDenied: queue policy"]),
    ],
)
def test_what_the_stand_in_of_spapi_saw_break_is_reported(violations, errors, problems):
    access = AccountAccess(session=None, spapi_stand_in=_StandIn(violations, errors))  # type: ignore[arg-type]

    assert access.spapi_stand_in_problems() == problems
    assert AccountAccess(session=None).spapi_stand_in_problems() == []


# -- the account's API Gateway CloudWatch setting (account-wide): read first, as it was after the run -------

BASELINE_ROLE = "arn:aws:iam::111122223333:role/landing-zone/ApiGatewayCloudWatchLogs"


def _planned_env(tmp_path: Path, signals: Any, cloudwatch_role: str) -> tuple[dict[str, str], str, Any]:
    terraform = RecordingTerraform()
    _emulator_zip(tmp_path)
    target = _aws_target(tmp_path, True, env={"PATH": os.environ["PATH"]}, runner=terraform)
    target.access.session.sts.cloudwatch_role = cloudwatch_role
    (tmp_path / "work").mkdir()
    out = io.StringIO()

    assert run_acceptance(target, tmp_path / "work", out, signals) == 0
    return terraform.commands[1][2], out.getvalue(), target


def test_an_account_without_a_cloudwatch_role_gets_the_runs_own(tmp_path, signals):
    env, out, _ = _planned_env(tmp_path, signals, "")

    # terraform/acceptance then deploys modules/account_settings for the run.
    assert env["TF_VAR_account_cloudwatch_role_arn"] == ""
    assert "the account's API Gateway CloudWatch role in eu-west-1: none, so the run sets its own" in out


def test_a_cloudwatch_role_already_set_is_left_alone(tmp_path, signals):
    env, out, _ = _planned_env(tmp_path, signals, BASELINE_ROLE)

    assert env["TF_VAR_account_cloudwatch_role_arn"] == BASELINE_ROLE
    assert f"the account's API Gateway CloudWatch role in eu-west-1: {BASELINE_ROLE}, left alone" in out


def _started_target(tmp_path: Path, cloudwatch_role: str) -> Any:
    _emulator_zip(tmp_path)
    target = _aws_target(tmp_path, False, env={"PATH": os.environ["PATH"]}, runner=RecordingTerraform())
    target.access.session.sts.cloudwatch_role = cloudwatch_role
    target.start()
    return target


@pytest.mark.parametrize("before", ["", BASELINE_ROLE])
def test_after_the_destroy_the_setting_is_as_before_the_run(tmp_path, before):
    target = _started_target(tmp_path, before)

    assert target.after_destroy() == (
        f"the account's API Gateway CloudWatch role in eu-west-1 is as before the run ({before or 'unset'})"
    )


@pytest.mark.parametrize(
    ("before", "after", "restore"),
    [
        # The run's own role left in the setting (the reset did not happen).
        (
            "",
            "arn:aws:iam::111122223333:role/spacc-x-apigw-cloudwatch",
            "op=replace,path=/cloudwatchRoleArn\n",
        ),
        # A baseline role the run was to leave alone was replaced or cleared.
        (BASELINE_ROLE, "", f"op=replace,path=/cloudwatchRoleArn,value={BASELINE_ROLE}\n"),
    ],
)
def test_a_setting_not_as_before_fails_the_run_and_says_how_to_restore_it(tmp_path, before, after, restore):
    target = _started_target(tmp_path, before)
    target.access.session.sts.cloudwatch_role = after

    with pytest.raises(AcceptanceFailed) as failed:
        target.after_destroy()

    changed = (
        f"apigateway account setting in eu-west-1: cloudwatchRoleArn is {after or 'unset'}, "
        f"was {before or 'unset'} before the run"
    )
    assert str(failed.value) == f"the destroy did not leave the account as it was: {changed}"
    assert changed in target.remaining_resources()
    instructions = target.removal_instructions() + "\n"
    assert f"aws apigateway update-account --region eu-west-1 --patch-operations {restore}" in instructions
    assert f"TF_VAR_account_cloudwatch_role_arn='{before}'" in instructions


# -- the permissions boundary of every role the run creates ----------------------------------------------

BOUNDARY_ARN = f"arn:aws:iam::111122223333:policy/{BOUNDARY_POLICY_NAME}"


def test_the_runs_roles_are_bounded_by_the_accounts_boundary_policy(tmp_path, signals):
    env, _, target = _planned_env(tmp_path, signals, "")

    assert env["TF_VAR_permissions_boundary_arn"] == BOUNDARY_ARN
    assert target.access.session.sts.created_policies == []  # a real account's: the operator made it
    assert f"TF_VAR_permissions_boundary_arn={BOUNDARY_ARN}" in target.removal_instructions()


@pytest.mark.parametrize(
    ("stored", "instruction"),
    [
        (None, "aws iam create-policy --policy-name sp-reports-acceptance-boundary"),
        (
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
            "aws iam create-policy-version --policy-arn " + BOUNDARY_ARN,
        ),
    ],
    ids=["missing", "widened"],
)
def test_a_missing_or_changed_boundary_stops_the_run_before_terraform(tmp_path, stored, instruction):
    _emulator_zip(tmp_path)
    terraform = RecordingTerraform()
    target = _aws_target(tmp_path, False, env={"PATH": os.environ["PATH"]}, runner=terraform)
    target.access.session.sts.boundary = stored

    with pytest.raises(AcceptanceFailed) as refused:
        target.start()

    assert instruction in str(refused.value) and "nothing was created" in str(refused.value)
    assert terraform.commands == []


def test_local_aws_standing_in_for_the_account_gets_the_boundary_made_for_it():
    iam = FakeSts(IDENTITY)
    iam.boundary = None

    assert ensure_boundary(iam, "111122223333", create=True) == BOUNDARY_ARN
    assert iam.created_policies == [BOUNDARY_POLICY_NAME]
    assert iam.boundary == boundary_document()
    assert ensure_boundary(iam, "111122223333", create=True) == BOUNDARY_ARN  # the next run finds it
    assert iam.created_policies == [BOUNDARY_POLICY_NAME]
