"""The real-account target of ``make acceptance``: apply, prove and destroy the stack in an AWS account.

The account was confirmed by ``acceptance_targets.confirm_account`` before this target exists. Terraform
applies ``terraform/acceptance`` - the root module (``module.sp_reports``, deletion protection off) beside our
SP-API emulator deployed as a Lambda behind an AWS_IAM function URL (``acceptance/modules/spapi_emulator``),
the stack's SP-API and LWA endpoints on that URL - from a copy in the run's work directory (the copy of
``terraform/`` with ``acceptance/`` inside it, so its ``source = "../"`` is the copied root; the user's own
state is never touched), with the standard AWS credential chain and a unique ``name_prefix``. The emulator's
code is ``spapi_emulator.zip`` in the package directory (``scripts/package_lambdas.py --emulator``).

After the apply the run registers a fresh LWA app with the emulator (the one whose id and secret Terraform
stored in the stack's secret), then runs tests/integration/deployed_stack against ``AccountStackUnderTest``,
then destroys. Besides Terraform's state, "what remains" covers the two things the assertions create
outside Terraform (the email observer's queue, the unauthorised test user), should a run be killed before
removing them.

With a real seller's credentials in the environment (``acceptance.seller``) there is no emulator: Terraform
stores the seller's app in the stack's secret and the stack calls SP-API and LWA (``spapi_emulator = false``;
with local AWS as the account, the stand-in of ``AccountAccess.spapi_stand_in``). The run refuses to start
while the seller already has a REPORT_PROCESSING_FINISHED subscription with that app (another stack's, which
the run would have to take over), reads SP-API's side through SP-API's own operations
(``acceptance.spapi_operation_views``), skips with their reason the checks that need the emulator's powers,
and before destroying deletes the subscription and destination it made; any it could not delete is listed with
what remains.

The account's API Gateway CloudWatch role is account-wide (one setting per account and region, every REST API
there logs through it). The run reads it first (``apigateway get-account``): a role already set is left
alone (the stage logs with it); with none, ``terraform/acceptance`` sets one for the run
(``modules/account_settings``, role ``<prefix>-apigw-cloudwatch``), which its destroy resets. After the
destroy the run reads the setting again and fails, listing it with what remains and how to restore it, unless
it is as it was before the run.

With ``--plan-only`` it plans the same configuration and applies nothing. ``AccountAccess`` says how the
account is reached; with local AWS standing in for it, this same code is part of ``make test``.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from sp_reports_harness.acceptance.account import AccountAccess
from sp_reports_harness.acceptance.account_stack_under_test import AccountStackUnderTest
from sp_reports_harness.acceptance.permissions_boundary import ensure_boundary
from sp_reports_harness.acceptance.readiness import api_answers, retry_while_refused
from sp_reports_harness.acceptance.results import (
    EMULATOR_OPTIONS,
    AcceptanceFailed,
    AssertionsOutcome,
    planned_additions,
    run_assertions_against,
)
from sp_reports_harness.acceptance.seller import RealSeller
from sp_reports_harness.acceptance.spapi_operation_views import SpApiOperationsViews
from sp_reports_harness.acceptance.stack_under_test import unauthorised_user_name
from sp_reports_harness.deployment.email_observer import observer_queue_name
from sp_reports_harness.deployment.local_deployment import (
    NOT_COPIED_FROM_MODULES,
    AppCredentials,
    PlanResult,
    copy_root_module,
    terraform_cli_env,
)
from sp_reports_harness.deployment.terraform_run import (
    LineCallback,
    TerraformRun,
    TerraformTimeoutError,
    run_streaming,
)
from sp_reports_harness.repository import EMULATOR_ZIP, TERRAFORM_DIR
from spapi_emulator.control_protocol import SpApiViews
from spapi_emulator.remote_control import RemoteEmulatorControl

PLAN_TIMEOUT_SECONDS = 900.0
# API Gateway, CloudWatch and IAM's eventual consistency make a real apply or destroy take minutes.
APPLY_TIMEOUT_SECONDS = 1800.0
PARALLELISM = 20
# The configuration applied to an account, under terraform/ (its module "sp_reports" is source "../").
ACCEPTANCE_DIR = "acceptance"
# Modules only the acceptance configuration calls (the SP-API emulator's), under terraform/acceptance; they
# call the root's modules (../../../modules/...), which the copy of the root module holds.
ACCEPTANCE_MODULES_DIR = "modules"
# The emulator function's environment names for EMULATOR_OPTIONS (harness/spapi_emulator/lambda_function.py).
_EMULATOR_ENVIRONMENT = {
    "in_queue_seconds": "SPAPI_EMULATOR_IN_QUEUE_SECONDS",
    "in_progress_seconds": "SPAPI_EMULATOR_IN_PROGRESS_SECONDS",
}
Runner = Callable[[list[str], Path, Mapping[str, str], float, LineCallback | None], TerraformRun]


def copy_acceptance_configuration(source: Path, destination: Path) -> None:
    """Copy terraform/acceptance's configuration (its .tf files, lock file and own modules, such as the
    SP-API emulator's, not its tests) to destination, inside a copy of the root module."""
    destination.mkdir(parents=True, exist_ok=True)
    for path in [*source.glob("*.tf"), source / ".terraform.lock.hcl"]:
        if path.is_file() and not path.name.endswith("_override.tf") and path.name != "override.tf":
            shutil.copy2(path, destination / path.name)
    if (source / ACCEPTANCE_MODULES_DIR).is_dir():
        shutil.copytree(
            source / ACCEPTANCE_MODULES_DIR,
            destination / ACCEPTANCE_MODULES_DIR,
            ignore=NOT_COPIED_FROM_MODULES,
            dirs_exist_ok=True,
        )


def emulator_environment(options: Mapping[str, Any]) -> str:
    """``TF_VAR_emulator_environment``: the emulator's timing options as its environment (an HCL map)."""
    return json.dumps({_EMULATOR_ENVIRONMENT[name]: str(value) for name, value in options.items()})


class AwsTarget:
    def __init__(
        self,
        access: AccountAccess,
        account: str,
        work_dir: Path,
        package_dir: Path,
        base_env: Mapping[str, str],
        plan_only: bool,
        name_prefix: str,
        runner: Runner = run_streaming,
        seller: RealSeller | None = None,
    ) -> None:
        if access.region is None:
            raise ValueError("the account's session has no region")
        self.access = access
        self.account = account
        self.region: str = access.region
        self.seller = seller
        spapi = seller.summary() if seller is not None else "the SP-API emulator"
        self.description = f"{access.description(account)} with {spapi}"
        self.name_prefix = name_prefix
        self.plan_only = plan_only
        self.root_copy = work_dir / "terraform"
        self.working_dir = self.root_copy / ACCEPTANCE_DIR
        self.package_dir = package_dir
        # The LWA app of this run: Terraform stores it in the stack's secret, the run registers it with the
        # emulator (random per run), or the real seller authorised it. Never printed.
        self.app = seller.app if seller is not None else AppCredentials.generate()
        self.outputs: Mapping[str, Any] | None = None
        # SP-API's side of a real seller's run; what SP-API still holds of the run when it could not release.
        self.spapi_views = (
            SpApiOperationsViews(
                seller.app, seller.seller, access.spapi_endpoint_url, access.lwa_endpoint_url
            )
            if seller is not None
            else None
        )
        self._held_in_spapi: list[str] = []
        # The account's API Gateway CloudWatch role in the region before the run ("" none), read by start().
        self.account_role_before: str | None = None
        # The permissions boundary of every role the run creates, found (or made) by start().
        self.permissions_boundary_arn: str | None = None
        self._base_env = dict(base_env)
        self._runner = runner

    def terraform_env(self) -> dict[str, str]:
        env = terraform_cli_env(self.access.terraform_env(self._base_env))
        # terraform/acceptance sets the endpoints (the emulator's URL) and deletion_protection itself: values
        # left in the environment for the local target must not look as if they applied here.
        for name in ("TF_VAR_spapi_endpoint_url", "TF_VAR_lwa_endpoint_url", "TF_VAR_deletion_protection"):
            env.pop(name, None)
        env.update(
            {
                "TF_VAR_region": self.region,
                "TF_VAR_name_prefix": self.name_prefix,
                "TF_VAR_lambda_package_dir": str(self.package_dir.resolve()),
                "TF_VAR_lwa_client_id": self.app.client_id,
                "TF_VAR_lwa_client_secret": self.app.client_secret,
                "TF_VAR_account_cloudwatch_role_arn": self._account_role_before(),
                "TF_VAR_permissions_boundary_arn": self._permissions_boundary(),
            }
        )
        if self.access.local_aws is not None:
            # The run reads the stored documents as local AWS's root credentials, the account root (moto's STS
            # names them otherwise); on AWS terraform/acceptance names the caller itself.
            root = f"arn:aws:iam::{self.access.local_aws.account_id}:root"
            env["TF_VAR_report_reader_principal_arns"] = json.dumps([root])
        # Whether the emulator is deployed follows from the seller alone: never from a stray setting.
        if self.seller is None:
            env["TF_VAR_spapi_emulator"] = "true"
            env["TF_VAR_emulator_environment"] = emulator_environment(EMULATOR_OPTIONS)
            return env
        env["TF_VAR_spapi_emulator"] = "false"
        env.pop("TF_VAR_emulator_environment", None)
        for name, url in (
            ("spapi_endpoint_url", self.access.spapi_endpoint_url),
            ("lwa_endpoint_url", self.access.lwa_endpoint_url),
        ):
            if url is not None:  # a stand-in of SP-API (local AWS as the account); otherwise SP-API's own
                env[f"TF_VAR_{name}"] = url
        return env

    def start(self) -> str:
        if self.spapi_views is not None:
            self._refuse_a_subscribed_seller(self.spapi_views)
        emulator_zip = self.package_dir / EMULATOR_ZIP
        if self.seller is None and not emulator_zip.is_file():
            raise AcceptanceFailed(
                f"{emulator_zip} is missing: the real-account target deploys the SP-API emulator; build it "
                f"with python scripts/package_lambdas.py --emulator --out {self.package_dir}"
            )
        self.account_role_before = self.account_cloudwatch_role()
        self.permissions_boundary_arn = ensure_boundary(
            self.access.client("iam"), self.account, create=self.access.local_aws is not None
        )
        copy_root_module(TERRAFORM_DIR, self.root_copy)
        copy_acceptance_configuration(TERRAFORM_DIR / ACCEPTANCE_DIR, self.working_dir)
        # Only terraform/acceptance has a provider to point at the account: the root copy is its module.
        self.access.prepare_terraform(self.working_dir)
        verb = "planning" if self.plan_only else "deploying"
        what = (
            "the stack and the SP-API emulator" if self.seller is None else "the stack, calling real SP-API"
        )
        if self.account_role_before:
            role = f"{self.account_role_before}, left alone"
        else:
            role = "none, so the run sets its own (modules/account_settings) and its destroy resets it"
        return (
            f"copied terraform/ to {self.root_copy}, {verb} {self.working_dir} ({what}; credentials: "
            f"{self.access.credentials_source}); the account's API Gateway CloudWatch role in {self.region}: "
            f"{role}"
        )

    def account_cloudwatch_role(self) -> str:
        """The account's API Gateway CloudWatch role in the run's region now ("" when none is set)."""
        return str(self.access.client("apigateway").get_account().get("cloudwatchRoleArn") or "")

    def _account_role_before(self) -> str:
        if self.account_role_before is None:
            raise AcceptanceFailed("the account's API Gateway setting was not read before Terraform ran")
        return self.account_role_before

    def _permissions_boundary(self) -> str:
        if self.permissions_boundary_arn is None:
            raise AcceptanceFailed("the run's permissions boundary was not found before Terraform ran")
        return self.permissions_boundary_arn

    def _account_setting_changed(self) -> str | None:
        """What differs in the account's API Gateway CloudWatch setting from before the run, or None."""
        if self.plan_only or self.account_role_before is None:
            return None
        now = self.account_cloudwatch_role()
        if now == self.account_role_before:
            return None
        return (
            f"apigateway account setting in {self.region}: cloudwatchRoleArn is {now or 'unset'}, "
            f"was {self.account_role_before or 'unset'} before the run"
        )

    def _refuse_a_subscribed_seller(self, views: SpApiOperationsViews) -> None:
        existing = views.existing_subscription()
        if existing is not None:
            raise AcceptanceFailed(
                f"the seller already has a REPORT_PROCESSING_FINISHED subscription ({existing}) with this "
                "LWA app (another stack's, which the run would have to take over): delete it "
                "(deleteSubscriptionById) or run with another app; nothing was created"
            )

    def terraform_init(self) -> None:
        self._terraform(("init", "-no-color", "-input=false"))

    def terraform_plan_count(self) -> int:
        plan = self._terraform(("plan", "-no-color", "-input=false", "-lock=false"))
        return planned_additions(plan.stdout)

    def terraform_apply(self, on_line: LineCallback) -> None:
        self._terraform(
            ("apply", "-auto-approve", "-no-color", "-input=false", f"-parallelism={PARALLELISM}"),
            timeout=APPLY_TIMEOUT_SECONDS,
            on_line=on_line,
        )
        raw = self._terraform(("output", "-json", "-no-color")).stdout
        try:
            self.outputs = {name: entry.get("value") for name, entry in json.loads(raw).items()}
        except (ValueError, AttributeError) as error:
            raise AcceptanceFailed(f"terraform output -json did not answer JSON: {error}") from None

    def second_plan(self) -> PlanResult:
        run = self._terraform(
            ("plan", "-detailed-exitcode", "-no-color", "-input=false", f"-parallelism={PARALLELISM}"),
            accept=(0, 2),
        )
        return PlanResult(has_changes=run.returncode == 2, output=run.stdout)

    def run_assertions(self) -> AssertionsOutcome:
        if self.outputs is None:
            raise AcceptanceFailed("the stack is not applied")
        spapi: SpApiViews
        emulator: RemoteEmulatorControl | None = None
        if self.spapi_views is not None:  # a real seller's run: SP-API's own operations
            spapi = self.spapi_views
        else:
            spapi = emulator = RemoteEmulatorControl(
                str(self.outputs["spapi_emulator_function_url"]), self.access.session, self.region
            )
            # As Amazon knows an app once it is registered: the stack's LWA exchanges use this id and secret.
            retry_while_refused(
                lambda: emulator.register_app(self.app.client_id, self.app.client_secret),
                "the emulator's function URL",
            )
        stack = AccountStackUnderTest(
            self.access,
            self.description,
            self.name_prefix,
            self.outputs,
            spapi,
            emulator,
            self.second_plan,
            self.seller.seller if self.seller is not None else None,
        )
        retry_while_refused(lambda: api_answers(stack.client()), "the API, called as its invoke role")
        outcome = run_assertions_against(stack)
        problems = self.access.spapi_stand_in_problems()
        if problems:
            raise AcceptanceFailed("the stand-in of SP-API saw broken exchanges:\n" + "\n".join(problems))
        return outcome

    def release_spapi(self) -> None:
        """Delete the subscription and destination the run made in SP-API (a real seller's run), before the
        queue goes: kept in ``remaining_resources`` when SP-API refused."""
        if self.spapi_views is None or self.outputs is None:
            return
        try:
            self.spapi_views.release(str(self.outputs["queue_arn"]))
            self._held_in_spapi = []
        except Exception as error:  # listed with what remains; the AWS resources are destroyed regardless
            self._held_in_spapi = [
                f"SP-API: the run's subscription and destination ({type(error).__name__}: {error})"
            ]

    def terraform_destroy(self, on_line: LineCallback) -> None:
        self.release_spapi()
        self._terraform(
            ("destroy", "-auto-approve", "-no-color", "-input=false", f"-parallelism={PARALLELISM}"),
            timeout=APPLY_TIMEOUT_SECONDS,
            on_line=on_line,
        )

    def after_destroy(self) -> str:
        """The account's API Gateway CloudWatch setting is as it was before the run, or the run fails."""
        if self.plan_only:
            return ""
        changed = self._account_setting_changed()
        if changed is not None:
            raise AcceptanceFailed(f"the destroy did not leave the account as it was: {changed}")
        before = self.account_role_before or "unset"
        return f"the account's API Gateway CloudWatch role in {self.region} is as before the run ({before})"

    def remaining_resources(self) -> list[str]:
        """Terraform's state, then what the assertions create outside it, if a run left it."""
        if self.plan_only:
            return []
        state = self._terraform(("state", "list"), accept=(0, 1))
        listed = state.stdout.splitlines() if state.returncode == 0 else []
        return [line for line in listed if line.strip()] + self._leftovers_outside_terraform()

    def _leftovers_outside_terraform(self) -> list[str]:
        found = list(self._held_in_spapi)
        try:
            changed = self._account_setting_changed()
        except Exception as error:  # unknown is reported as possibly changed, never as restored
            changed = f"apigateway account setting: could not read it ({type(error).__name__}: {error})"
        if changed is not None:
            found.append(changed)
        if self.spapi_views is not None and self.outputs is not None and not found:
            try:
                found = self.spapi_views.held(str(self.outputs["queue_arn"])).describe()
            except Exception as error:  # unknown is reported as possibly held, never as gone
                found = [f"SP-API: could not check the run's subscription ({type(error).__name__}: {error})"]
        queue = observer_queue_name(self.name_prefix)
        try:
            self.access.client("sqs").get_queue_url(QueueName=queue)
            found.append(f"sqs queue {queue} (the email observer's, subscribed to the topic)")
        except ClientError as error:
            if "NonExistentQueue" not in error.response["Error"]["Code"]:
                raise
        user = unauthorised_user_name(self.name_prefix)
        try:
            self.access.client("iam").get_user(UserName=user)
            found.append(f"iam user {user} (the unauthorised caller, with an access key)")
        except ClientError as error:
            if error.response["Error"]["Code"] != "NoSuchEntity":
                raise
        return found

    def removal_instructions(self) -> str:
        variables = " ".join(
            f"TF_VAR_{name}={value}"
            for name, value in (
                ("region", self.region),
                ("name_prefix", self.name_prefix),
                ("lambda_package_dir", self.package_dir.resolve()),
                ("account_cloudwatch_role_arn", f"'{self.account_role_before or ''}'"),
                ("permissions_boundary_arn", self.permissions_boundary_arn or "<the boundary's ARN>"),
            )
        )
        # Back to the role it named, or (no value) unset, as the provider's reset does.
        value = f",value={self.account_role_before}" if self.account_role_before else ""
        restore_command = (
            f"aws apigateway update-account --region {self.region} --patch-operations "
            f"op=replace,path=/cloudwatchRoleArn{value}"
        )
        queue = observer_queue_name(self.name_prefix)
        user = unauthorised_user_name(self.name_prefix)
        return (
            f"  with the same AWS credentials, in {self.region}:\n"
            f"  cd {self.working_dir} && {variables} terraform destroy\n"
            f"  aws sqs delete-queue --queue-url $(aws sqs get-queue-url --queue-name {queue} "
            "--query QueueUrl --output text)\n"
            f"  aws iam list-access-keys --user-name {user}   # delete each: aws iam delete-access-key "
            f"--user-name {user} --access-key-id <id>\n"
            f"  aws iam delete-user --user-name {user}\n"
            f"  if the account's API Gateway CloudWatch setting is not as before the run: {restore_command}"
            + (
                ""
                if self.seller is None
                else "\n  SP-API (with the seller's app): deleteSubscriptionById for "
                "REPORT_PROCESSING_FINISHED, then deleteDestination, for the destination of the run's queue "
                "(both grantless)"
            )
        )

    def stop(self) -> None:
        self.access.stop()

    def _terraform(
        self,
        args: tuple[str, ...],
        timeout: float = PLAN_TIMEOUT_SECONDS,
        accept: tuple[int, ...] = (0,),
        on_line: LineCallback | None = None,
    ) -> TerraformRun:
        terraform = shutil.which("terraform", path=self._base_env.get("PATH"))
        if terraform is None:
            raise AcceptanceFailed("terraform is not on PATH: install Terraform 1.11 (see README)")
        try:
            run = self._runner([terraform, *args], self.working_dir, self.terraform_env(), timeout, on_line)
        except TerraformTimeoutError as error:
            raise AcceptanceFailed(str(error)) from None
        if run.returncode not in accept:
            # Terraform never prints sensitive or ephemeral values; its error is what the user needs.
            tail = "\n".join(run.output.strip().splitlines()[-40:])
            raise AcceptanceFailed(f"terraform {args[0]} failed (exit {run.returncode}):\n{tail}")
        return run
