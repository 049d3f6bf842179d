"""Deploy the real root module against local AWS and the SP-API emulator: shared by the demo and the tests.

    with LocalDeployment(DeploymentSettings(state_dir=Path(".demo"))) as deployment:
        deployment.terraform_init()
        outputs = deployment.terraform_apply()
        client = deployment.client()          # SigV4, as the stack's invoke role (assumed via local STS)

``terraform/`` is copied into ``<state_dir>/terraform`` with a provider override pointing every service at
local AWS, so a user's own state and ``terraform/.terraform`` are never touched. Local AWS starts empty on
every run, so an earlier run's state file is discarded before applying; the copy's ``.terraform`` is kept.

The emulator's REPORT_PROCESSING_FINISHED notifications go to the SQS queue whose ARN the subscriber
registered, through local AWS (``SqsNotificationSink``): the same path as Amazon's delivery.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import boto3

from sp_reports.client import SpReportsClient
from sp_reports.handlers import FUNCTIONS
from sp_reports_harness.deployment.terraform_run import (
    LineCallback,
    TerraformRun,
    TerraformTimeoutError,
    run_streaming,
)
from sp_reports_harness.local_aws.account_baseline import apply_account_baseline
from sp_reports_harness.local_aws.server import LocalAws
from sp_reports_harness.local_aws.terraform_provider import write_local_provider
from sp_reports_harness.repository import BUILD_DIR, LAMBDA_PACKAGE_DIR, TERRAFORM_DIR
from spapi_emulator import SpApiEmulator

# One cache per pytest-xdist worker, as scripts/terraform_checks.py (Terraform's cache is not safe for
# installs running side by side).
DEFAULT_PLUGIN_CACHE = BUILD_DIR / "-".join(
    filter(None, ("tf-plugin-cache", os.environ.get("PYTEST_XDIST_WORKER")))
)
MIRROR_ENV = "SP_REPORTS_TF_PROVIDER_MIRROR"
# Copied: the root module's own files and its modules. Not copied: a user's state, .terraform, *.tfvars and
# override files, which would change what the demo deploys (tfvars files outrank our TF_VAR_ settings), and a
# lock file a user's init left there (the copy is a root of its own: its init writes its own).
_MODULES_DIR = "modules"
NOT_COPIED_FROM_MODULES = shutil.ignore_patterns(".terraform", "*.tfstate", "*.tfstate.*", "tests", "*.md")
# Root variables every local deployment sets, whatever the root's defaults: each run is a fresh account.
LOCAL_ACCOUNT_VARIABLES = {
    # A throwaway stack: its tables and buckets may be destroyed.
    "deletion_protection": "false",
    # The emulator's sellers are fictitious: the acceptance runs store a restricted (PII) report type to prove
    # the Restricted Data Token path, which the root refuses unless a deployment opts in.
    "allow_restricted_report_types": "true",
    # The harness reads what SNS would email through an SQS queue it subscribes to the topic
    # (email_observer): the topic accepts email subscriptions only unless told otherwise.
    "notification_subscription_protocols": '["email", "sqs"]',
    # The deployed-stack tests prove the emailed download link (its stated expiry, a tampered copy refused),
    # which emails leave out by default: the local deployment opts in.
    "email_download_links": "true",
}


class DeploymentError(RuntimeError):
    """A step of the local deployment failed; the message says which and why (never a secret)."""


@dataclass(frozen=True)
class AppCredentials:
    """The LWA app the emulator knows and Terraform stores in the stack's secret (random per run)."""

    client_id: str
    client_secret: str = field(repr=False)
    # The application's id, which the emulator's notifications carry (notificationMetadata.applicationId) and
    # the stack's processor checks (root spapi_application_id); None lets the emulator draw one.
    application_id: str | None = None

    @classmethod
    def generate(cls) -> AppCredentials:
        return cls(
            client_id=f"amzn1.application-oa2-client.local{secrets.token_hex(8)}",
            client_secret=f"local-secret-{secrets.token_urlsafe(24)}",
            application_id=f"amzn1.sellerapps.app.{uuid.uuid4()}",
        )


@dataclass(frozen=True)
class Seller:
    """A seller the emulator knows; the refresh token is random per run and never printed."""

    seller_id: str
    refresh_token: str = field(repr=False)

    @classmethod
    def generate(cls, seller_id: str = "A3LOCALDEMO0SELLER") -> Seller:
        return cls(seller_id=seller_id, refresh_token=f"Atzr|local-{secrets.token_urlsafe(32)}")


@dataclass(frozen=True)
class StackOutputs:
    """``terraform output -json`` of the applied root module, values only."""

    values: Mapping[str, Any]

    def __getitem__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise DeploymentError(f"the root module has no output {name!r}") from None

    @property
    def stage_name(self) -> str:
        if self.values.get("api_stage_name"):
            return str(self.values["api_stage_name"])
        # api_base_url is https://<id>.execute-api.<region>.amazonaws.com/<stage>
        return str(self["api_base_url"]).rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class PlanResult:
    has_changes: bool
    output: str


@dataclass
class DeploymentSettings:
    state_dir: Path
    package_dir: Path = LAMBDA_PACKAGE_DIR
    terraform_source: Path = TERRAFORM_DIR
    models_dir: Path | None = None  # None: the emulator's choice (spapi_emulator.contract.models_source)
    region: str = "us-east-1"
    # Every resource name starts with it; the acceptance run picks a unique one per run.
    name_prefix: str = "sp-reports"
    notification_email: str = "reports@example.com"
    # Terraform's default is 10; the stack's ~90 resources wait mostly on fixed provider delays.
    parallelism: int = 30
    terraform_timeout: float = 600.0
    emulator_options: Mapping[str, Any] = field(default_factory=dict)
    # Lifetime of each Lambda container's execution-role session (local STS); see LocalAws.
    lambda_session_seconds: int = 3600
    # Root variables beyond LOCAL_ACCOUNT_VARIABLES (name -> HCL value): an opt-in feature a test deploys.
    extra_variables: Mapping[str, str] = field(default_factory=dict)


def terraform_cli_env(base: Mapping[str, str], plugin_cache: Path = DEFAULT_PLUGIN_CACHE) -> dict[str, str]:
    """Terraform's CLI settings: the provider mirror when configured, a shared plugin cache, no prompts.

    A preset ``TF_CLI_CONFIG_FILE`` that exists wins; with ``SP_REPORTS_TF_PROVIDER_MIRROR`` set and no usable
    CLI config, a mirror-only config is written (as the Makefile does)."""
    env = dict(base)
    env.update({"TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1", "TF_INPUT": "0"})
    plugin_cache.mkdir(parents=True, exist_ok=True)
    env.setdefault("TF_PLUGIN_CACHE_DIR", str(plugin_cache))
    mirror = env.get(MIRROR_ENV, "").strip()
    configured = env.get("TF_CLI_CONFIG_FILE", "")
    if mirror and not (configured and Path(configured).is_file()):
        config = plugin_cache.parent / "terraform.rc"
        config.write_text(
            "provider_installation {\n"
            f'  filesystem_mirror {{\n    path    = "{mirror}"\n'
            '    include = ["registry.terraform.io/*/*"]\n  }\n'
            '  direct {\n    exclude = ["registry.terraform.io/*/*"]\n  }\n'
            "}\n",
            encoding="utf-8",
        )
        env["TF_CLI_CONFIG_FILE"] = str(config)
    return env


def copy_root_module(source: Path, destination: Path) -> None:
    """Replace ``destination``'s copy of the root module with ``source``'s, keeping its ``.terraform``."""
    destination.mkdir(parents=True, exist_ok=True)
    for entry in destination.iterdir():
        if entry.name == ".terraform":
            continue  # providers and modules from an earlier run: init reuses them
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    for path in source.glob("*.tf"):
        if path.is_file() and not _is_override(path.name):
            shutil.copy2(path, destination / path.name)
    shutil.copytree(source / _MODULES_DIR, destination / _MODULES_DIR, ignore=NOT_COPIED_FROM_MODULES)


def _is_override(file_name: str) -> bool:
    stem = file_name.removesuffix(".tf")
    return stem == "override" or stem.endswith("_override")


class SqsNotificationSink:
    """Delivers the emulator's notifications to the SQS queue named by the destination ARN, via local AWS.

    Failures raise: the emulator logs them and keeps them in ``notification_errors``."""

    def __init__(self, aws: LocalAws) -> None:
        self._aws = aws
        self._clients: dict[str, Any] = {}

    def __call__(self, destination_arn: str, body: str) -> None:
        parts = destination_arn.split(":")
        if len(parts) != 6 or parts[2] != "sqs":
            raise ValueError(f"destination is not an SQS queue ARN: {destination_arn}")
        region, account_id, queue_name = parts[3], parts[4], parts[5]
        client = self._clients.get(region)
        if client is None:
            # As SP-API's account: the queue policy and the data key's policy must let it send.
            client = self._clients[region] = self._aws.spapi_sender_client("sqs", region_name=region)
        # The queue's URL follows from its ARN; SP-API is allowed SendMessage, not GetQueueUrl.
        url = f"{self._aws.endpoint_url}/{account_id}/{queue_name}"
        client.send_message(QueueUrl=url, MessageBody=body)


def start_emulator(
    aws: LocalAws,
    app: AppCredentials,
    seller: Seller,
    models_dir: str | os.PathLike[str] | None = None,
    options: Mapping[str, Any] | None = None,
) -> SpApiEmulator:
    """The SP-API emulator in this process, knowing ``app`` and ``seller``, delivering its notifications into
    local AWS as SP-API's account (``SqsNotificationSink``). The caller stops it before local AWS."""
    emulator = SpApiEmulator(models_dir=models_dir, **dict(options or {})).start()
    try:
        emulator.register_app(app.client_id, app.client_secret, app.application_id)
        emulator.register_seller(seller.refresh_token, seller.seller_id)
        emulator.notification_sink = SqsNotificationSink(aws)
    except BaseException:
        emulator.stop()
        raise
    return emulator


class LocalDeployment:
    """Local AWS + the SP-API emulator + the root module applied to them; a context manager.

    ``start()`` runs the servers and registers the app and the seller; ``terraform_init()``,
    ``terraform_apply()`` and ``terraform_plan()`` drive Terraform; ``stop()`` ends everything (idempotent).
    """

    def __init__(
        self,
        settings: DeploymentSettings,
        app: AppCredentials | None = None,
        seller: Seller | None = None,
        base_env: Mapping[str, str] | None = None,
    ) -> None:
        self.settings = settings
        self.app = app or AppCredentials.generate()
        self.seller = seller or Seller.generate()
        self._base_env = dict(os.environ if base_env is None else base_env)
        self.aws: LocalAws | None = None
        self.emulator: SpApiEmulator | None = None
        self.outputs: StackOutputs | None = None
        self.working_dir = settings.state_dir.resolve() / "terraform"
        # The account's API Gateway CloudWatch role, set in local AWS by start() (the root is given its ARN).
        self.account_cloudwatch_role_arn: str | None = None

    # -- lifecycle --------------------------------------------------------------------------------------
    def start(self) -> LocalDeployment:
        self._check_packages()
        try:
            self.aws = LocalAws(
                region=self.settings.region, lambda_session_seconds=self.settings.lambda_session_seconds
            ).start()
            self.account_cloudwatch_role_arn = apply_account_baseline(self.aws)
            self.emulator = start_emulator(
                self.aws, self.app, self.seller, self.settings.models_dir, self.settings.emulator_options
            )
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        # The emulator first: it must not deliver into a local AWS that is going away.
        if self.emulator is not None:
            self.emulator.stop()
            self.emulator = None
        if self.aws is not None:
            self.aws.stop()
            self.aws = None

    def __enter__(self) -> LocalDeployment:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    # -- Terraform --------------------------------------------------------------------------------------
    def terraform_init(self, on_line: LineCallback | None = None) -> None:
        """Copy the root module into the state directory, point it at local AWS and ``terraform init``."""
        self._prepare_working_dir()
        self._terraform("init", "-no-color", on_line=on_line)

    def terraform_apply(self, on_line: LineCallback | None = None) -> StackOutputs:
        """``terraform apply``; ``on_line`` sees Terraform's output lines as they come (for progress)."""
        self._terraform(
            "apply",
            "-auto-approve",
            "-no-color",
            f"-parallelism={self.settings.parallelism}",
            on_line=on_line,
        )
        result = self._terraform("output", "-json", "-no-color")
        try:
            raw = json.loads(result.stdout)
        except ValueError as error:
            raise DeploymentError(f"terraform output -json did not answer JSON: {error}") from None
        self.outputs = StackOutputs({name: entry.get("value") for name, entry in raw.items()})
        return self.outputs

    def terraform_plan(self, on_line: LineCallback | None = None) -> PlanResult:
        """``terraform plan -detailed-exitcode`` with refresh: exit 0 no changes, 2 changes, else an error."""
        result = self._terraform(
            "plan",
            "-detailed-exitcode",
            "-no-color",
            f"-parallelism={self.settings.parallelism}",
            accept=(0, 2),
            on_line=on_line,
        )
        return PlanResult(has_changes=result.returncode == 2, output=result.stdout)

    def terraform_destroy(self, on_line: LineCallback | None = None) -> None:
        """``terraform destroy`` of everything the state holds (a throwaway stack: no deletion protection)."""
        self._terraform(
            "destroy",
            "-auto-approve",
            "-no-color",
            f"-parallelism={self.settings.parallelism}",
            on_line=on_line,
        )

    def terraform_state_list(self) -> list[str]:
        """The resource addresses the state still holds (empty once destroyed)."""
        result = self._terraform("state", "list", accept=(0, 1))
        return [line for line in result.stdout.splitlines() if line.strip()] if result.returncode == 0 else []

    def terraform_env(self) -> dict[str, str]:
        aws, emulator = self._running()
        env = terraform_cli_env(aws.env(self._base_env))
        env.update(
            {
                "TF_VAR_name_prefix": self.settings.name_prefix,
                "TF_VAR_lambda_package_dir": str(self.settings.package_dir.resolve()),
                # The emulator stands in for SP-API and LWA: the root accepts the endpoints (and the
                # functions honour them) only in a test deployment (variables.tf, test_endpoint_overrides).
                "TF_VAR_test_endpoint_overrides": "true",
                "TF_VAR_spapi_endpoint_url": emulator.url,
                "TF_VAR_lwa_endpoint_url": emulator.lwa_url,
                "TF_VAR_lwa_client_id": self.app.client_id,
                "TF_VAR_lwa_client_secret": self.app.client_secret,
                "TF_VAR_notification_email": self.settings.notification_email,
                "TF_VAR_api_gateway_cloudwatch_role_arn": str(self.account_cloudwatch_role_arn),
                **{f"TF_VAR_{name}": value for name, value in LOCAL_ACCOUNT_VARIABLES.items()},
                **{f"TF_VAR_{name}": value for name, value in self.settings.extra_variables.items()},
                # The harness signs as the account root and reads the stored documents to check them; the
                # bucket policy denies object reads to every principal the stack does not name.
                "TF_VAR_report_reader_principal_arns": json.dumps([f"arn:aws:iam::{aws.account_id}:root"]),
            }
        )
        if self.app.application_id:
            # The processor drops notifications of any other application.
            env["TF_VAR_spapi_application_id"] = self.app.application_id
        return env

    def _terraform(
        self, *args: str, accept: tuple[int, ...] = (0,), on_line: LineCallback | None = None
    ) -> TerraformRun:
        terraform = shutil.which("terraform", path=self._base_env.get("PATH"))
        if terraform is None:
            raise DeploymentError("terraform is not on PATH: install Terraform 1.11 (see README)")
        try:
            run = run_streaming(
                [terraform, *args],
                self.working_dir,
                self.terraform_env(),
                self.settings.terraform_timeout,
                on_line,
            )
        except TerraformTimeoutError as error:
            raise DeploymentError(str(error)) from None
        if run.returncode not in accept:
            # Terraform never prints sensitive or ephemeral values; its error is what the user needs.
            tail = "\n".join(run.output.strip().splitlines()[-40:])
            aws, _ = self._running()
            journal = "".join(f"\n  {entry}" for entry in aws.server_journal)
            server = f"\nlocal AWS answered:{journal}" if journal else ""
            raise DeploymentError(f"terraform {args[0]} failed (exit {run.returncode}):\n{tail}{server}")
        return run

    def _prepare_working_dir(self) -> None:
        aws, _ = self._running()
        copy_root_module(self.settings.terraform_source, self.working_dir)
        write_local_provider(self.working_dir, aws.endpoint_url, self.settings.region)

    # -- using the stack --------------------------------------------------------------------------------
    def invoke_url(self) -> str:
        aws, _ = self._running()
        outputs = self._applied()
        return aws.invoke_url(str(outputs["api_id"]), outputs.stage_name)

    def client(self, assume_role: bool = True, **options: Any) -> SpReportsClient:
        """The sp-reports client on the local data plane, signing as the invoke role (assumed via local STS)
        or, with ``assume_role=False``, as local AWS's root credentials."""
        aws, _ = self._running()
        outputs = self._applied()
        session = boto3.Session(
            aws_access_key_id=aws.access_key_id,
            aws_secret_access_key=aws.secret_access_key,
            region_name=aws.region,
        )
        return SpReportsClient(
            self.invoke_url(),
            aws.region,
            session=session,
            role_arn=str(outputs["api_invoke_role_arn"]) if assume_role else None,
            sts_endpoint_url=aws.endpoint_url,
            **options,
        )

    def _running(self) -> tuple[LocalAws, SpApiEmulator]:
        if self.aws is None or self.emulator is None:
            raise DeploymentError("the local deployment is not started")
        return self.aws, self.emulator

    def _applied(self) -> StackOutputs:
        if self.outputs is None:
            raise DeploymentError("the stack is not applied yet")
        return self.outputs

    def _check_packages(self) -> None:
        missing = [f for f in FUNCTIONS if not (self.settings.package_dir / f"{f}.zip").is_file()]
        if missing:
            raise DeploymentError(
                f"Lambda zips missing in {self.settings.package_dir} ({', '.join(missing)}): "
                "run `make package`"
            )
