"""Where ``make acceptance`` deploys: local AWS (the default) or a real account, chosen by the environment.

- ``SP_REPORTS_ACCEPTANCE_TARGET`` unset or ``local``: local AWS and the SP-API emulator in this process.
- ``SP_REPORTS_ACCEPTANCE_TARGET=aws``: the account of the standard AWS credential chain (environment,
  profile, SSO, instance role). Its account id and region (``sts get-caller-identity``) are printed before
  anything is created, and the run starts only when ``SP_REPORTS_ACCEPTANCE_ACCOUNT_ID`` names that
  same account.
- ``SP_REPORTS_ACCEPTANCE_TARGET=local-account``: the real-account target's code with local AWS standing in
  for the account (``acceptance.account``): the same guard, configuration, emulator Lambda and assertions.
  ``make test`` runs it, so the path into an account is proven on every change.

With a real seller's LWA credentials and refresh token in the environment (``acceptance.seller``), the
account targets call real SP-API instead of deploying the emulator (``local-account``: the emulator stands
in for SP-API, outside the account). The ``local`` target refuses them: it has no real-SP-API mode.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TextIO

import boto3
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from sp_reports_harness.acceptance.account import AccountAccess
from sp_reports_harness.acceptance.account_target import AwsTarget
from sp_reports_harness.acceptance.local_stack_under_test import LocalStackUnderTest
from sp_reports_harness.acceptance.results import (
    EMULATOR_OPTIONS,
    LAMBDA_SESSION_SECONDS,
    AssertionsOutcome,
    planned_additions,
    run_assertions_against,
)
from sp_reports_harness.acceptance.seller import SellerRefused, real_seller_from_env
from sp_reports_harness.deployment.local_deployment import DeploymentSettings, LocalDeployment

TARGET_ENV = "SP_REPORTS_ACCEPTANCE_TARGET"
ACCOUNT_ENV = "SP_REPORTS_ACCEPTANCE_ACCOUNT_ID"
# 14 characters: the longest names built on it (e.g. "<prefix>-reports-<account>-<region>") stay within
# S3's 63 and IAM's 64 characters.
PREFIX_STEM = "spacc"


class TargetRefused(Exception):
    """The target may not be used as configured; the message says what to set."""


def unique_name_prefix() -> str:
    """A name_prefix no other run uses: a run never touches another stack or an earlier run's leftovers."""
    return f"{PREFIX_STEM}-{secrets.token_hex(4)}"


class LocalTarget:
    """Local AWS (moto, IAM enforced) and the SP-API emulator, in this process: ``LocalDeployment``."""

    description = "local AWS with the SP-API emulator"

    def __init__(
        self, work_dir: Path, package_dir: Path, base_env: Mapping[str, str], plan_only: bool = False
    ) -> None:
        self.name_prefix = unique_name_prefix()
        self.plan_only = plan_only
        self.deployment = LocalDeployment(
            DeploymentSettings(
                state_dir=work_dir,
                package_dir=package_dir,
                name_prefix=self.name_prefix,
                emulator_options=EMULATOR_OPTIONS,
                lambda_session_seconds=LAMBDA_SESSION_SECONDS,
            ),
            base_env=base_env,
        )

    def start(self) -> str:
        self.deployment.start()
        assert self.deployment.aws is not None and self.deployment.emulator is not None
        return (
            f"started local AWS ({self.deployment.aws.endpoint_url}) and the SP-API emulator "
            f"({self.deployment.emulator.url})"
        )

    def terraform_init(self) -> None:
        self.deployment.terraform_init()

    def terraform_plan_count(self) -> int:
        return planned_additions(self.deployment.terraform_plan().output)

    def terraform_apply(self, on_line: Callable[[str], None]) -> None:
        self.deployment.terraform_apply(on_line=on_line)

    def run_assertions(self) -> AssertionsOutcome:
        return run_assertions_against(LocalStackUnderTest(self.deployment))

    def terraform_destroy(self, on_line: Callable[[str], None]) -> None:
        self.deployment.terraform_destroy(on_line=on_line)

    def after_destroy(self) -> str:
        return ""  # local AWS stops with the run: nothing of the account outlives it

    def remaining_resources(self) -> list[str]:
        return self.deployment.terraform_state_list()

    def removal_instructions(self) -> str:
        return (
            "  nothing to do: local AWS lived in this process and ended with it; "
            f"remove the state with: rm -rf {self.deployment.settings.state_dir}"
        )

    def stop(self) -> None:
        self.deployment.stop()


def confirm_account(
    env: Mapping[str, str], session: Any, out: TextIO, endpoint_url: str | None = None
) -> tuple[str, str]:
    """The (account id, region) of the credential chain, printed; refused unless ``ACCOUNT_ENV`` names it."""
    region = session.region_name
    if not region:
        raise TargetRefused("no AWS region configured: set AWS_REGION (or a profile's region)")
    endpoint = {"endpoint_url": endpoint_url} if endpoint_url else {}
    try:
        identity = session.client("sts", region_name=region, **endpoint).get_caller_identity()
    except NoCredentialsError:
        raise TargetRefused(
            "no AWS credentials found in the standard chain (environment, profile, SSO, instance role)"
        ) from None
    except (ClientError, BotoCoreError) as error:
        raise TargetRefused(f"sts get-caller-identity failed, so the account is unknown: {error}") from None
    account = str(identity["Account"])
    print(f"AWS account {account} as {identity['Arn']}, region {region}", file=out, flush=True)
    named = env.get(ACCOUNT_ENV, "").strip()
    if not named:
        raise TargetRefused(f"set {ACCOUNT_ENV}={account} to confirm that this is the account to deploy into")
    if named != account:
        raise TargetRefused(
            f"{ACCOUNT_ENV} names account {named}, but the credentials are of account {account}: "
            "nothing was created"
        )
    return account, region


def select_target(
    env: Mapping[str, str],
    work_dir: Path,
    package_dir: Path,
    plan_only: bool,
    out: TextIO,
    session_factory: Callable[[], Any] = boto3.Session,
) -> Any:
    """The target the environment asks for; raises TargetRefused with what to set when it may not run."""
    name = env.get(TARGET_ENV, "").strip().lower() or "local"
    try:
        seller = real_seller_from_env(env)
    except SellerRefused as refused:
        raise TargetRefused(str(refused)) from None
    if name == "local":
        if seller is not None:
            raise TargetRefused(
                f"a real seller's credentials are set, but the local target only runs the emulator: set "
                f"{TARGET_ENV}=aws (or local-account), or unset them"
            )
        return LocalTarget(work_dir, package_dir, env, plan_only=plan_only)
    if name == "aws":
        access = AccountAccess.of_session(session_factory())
    elif name == "local-account":
        access = AccountAccess.local_account(LAMBDA_SESSION_SECONDS, seller)
    else:
        raise TargetRefused(
            f"{TARGET_ENV} must be 'local' (the default), 'aws' or 'local-account', not {name!r}"
        )
    try:
        account, _ = confirm_account(env, access.session, out, access.endpoint_url)
    except BaseException:
        access.stop()
        raise
    return AwsTarget(
        access, account, work_dir, package_dir, env, plan_only, unique_name_prefix(), seller=seller
    )
