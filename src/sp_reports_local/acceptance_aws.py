"""The real-account target of ``make acceptance``: so far ``--plan-only`` (plan, apply nothing).

The account was confirmed by ``acceptance_targets.confirm_account`` before this target exists. Terraform
plans ``terraform/acceptance`` - the root module (``module.sp_reports``, deletion protection off) beside our
SP-API emulator deployed as a Lambda behind an AWS_IAM function URL (``modules/spapi_emulator``), the stack's
SP-API and LWA endpoints on that URL - from a copy in the run's work directory (the copy of ``terraform/``
with ``acceptance/`` inside it, so its ``source = "../"`` is the copied root; the user's own state is never
touched), with the standard AWS credential chain and a unique ``name_prefix``. The emulator's code is
``spapi_emulator.zip`` in the package directory (``scripts/package_lambdas.py --emulator``).

A full run on a real account (apply, the end-to-end assertions, destroy) is refused until the assertions can
drive the emulator in the account (its control routes through the function URL) and are proven against it on
local AWS; until then this target only plans rather than deploy something it cannot prove and clean up.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from pathlib import Path

from .acceptance import AcceptanceFailed, AssertionsOutcome
from .stack import TERRAFORM_SOURCE, copy_root_module, terraform_cli_env
from .terraform_run import TerraformRun, run_streaming

PLAN_TIMEOUT_SECONDS = 900.0
# The configuration planned on a real account, under terraform/ (its module "sp_reports" is source "../").
ACCEPTANCE_DIR = "acceptance"
EMULATOR_ZIP = "spapi_emulator.zip"
Runner = Callable[[list[str], Path, Mapping[str, str], float], TerraformRun]


def copy_acceptance_configuration(source: Path, destination: Path) -> None:
    """Copy terraform/acceptance's configuration (its .tf files and lock file, not its tests) to
    destination, inside a copy of the root module."""
    destination.mkdir(parents=True, exist_ok=True)
    for path in [*source.glob("*.tf"), source / ".terraform.lock.hcl"]:
        if path.is_file() and not path.name.endswith("_override.tf") and path.name != "override.tf":
            shutil.copy2(path, destination / path.name)


def _run(command: list[str], cwd: Path, env: Mapping[str, str], timeout: float) -> TerraformRun:
    return run_streaming(command, cwd, env, timeout)


class AwsTarget:
    def __init__(
        self,
        account: str,
        region: str,
        work_dir: Path,
        package_dir: Path,
        base_env: Mapping[str, str],
        plan_only: bool,
        name_prefix: str,
        runner: Runner = _run,
    ) -> None:
        if not plan_only:
            from .acceptance_targets import TargetRefused

            raise TargetRefused(
                "a full run on a real account (apply, assertions, destroy) is not available yet: the "
                "deployment with the SP-API emulator in the account (terraform/acceptance) can be planned, "
                "but the end-to-end assertions do not drive that emulator yet; run with --plan-only to "
                "plan it"
            )
        self.account = account
        self.region = region
        self.description = f"AWS account {account} in {region}"
        self.name_prefix = name_prefix
        self.plan_only = plan_only
        self.root_copy = work_dir / "terraform"
        self.working_dir = self.root_copy / ACCEPTANCE_DIR
        self.package_dir = package_dir
        self._base_env = dict(base_env)
        self._runner = runner

    def terraform_env(self) -> dict[str, str]:
        env = terraform_cli_env(self._base_env)
        env.update(
            {
                "TF_VAR_region": self.region,
                "TF_VAR_name_prefix": self.name_prefix,
                "TF_VAR_lambda_package_dir": str(self.package_dir.resolve()),
            }
        )
        # terraform/acceptance sets the endpoints (the emulator's URL) and deletion_protection itself: values
        # left in the environment for the local target must not look as if they applied here.
        for name in ("TF_VAR_spapi_endpoint_url", "TF_VAR_lwa_endpoint_url", "TF_VAR_deletion_protection"):
            env.pop(name, None)
        return env

    def start(self) -> str:
        emulator_zip = self.package_dir / EMULATOR_ZIP
        if not emulator_zip.is_file():
            raise AcceptanceFailed(
                f"{emulator_zip} is missing: the real-account target deploys the SP-API emulator; build it "
                f"with python scripts/package_lambdas.py --emulator --out {self.package_dir}"
            )
        copy_root_module(TERRAFORM_SOURCE, self.root_copy)
        copy_acceptance_configuration(TERRAFORM_SOURCE / ACCEPTANCE_DIR, self.working_dir)
        return (
            f"copied terraform/ to {self.root_copy}, planning {self.working_dir} (the stack and the SP-API "
            "emulator; credentials: the standard AWS chain)"
        )

    def terraform_init(self) -> None:
        self._terraform("init", "-no-color", "-input=false")

    def terraform_plan_count(self) -> int:
        from .acceptance_targets import planned_additions

        plan = self._terraform("plan", "-no-color", "-input=false", "-lock=false")
        return planned_additions(plan.stdout)

    def terraform_apply(self, on_line: Callable[[str], None]) -> None:
        raise AcceptanceFailed("this target only plans")

    def run_assertions(self) -> AssertionsOutcome:
        raise AcceptanceFailed("this target only plans")

    def terraform_destroy(self, on_line: Callable[[str], None]) -> None:
        raise AcceptanceFailed("this target only plans: nothing was applied")

    def remaining_resources(self) -> list[str]:
        return []

    def removal_instructions(self) -> str:
        return f"  cd {self.working_dir} && terraform destroy  (same AWS credentials and TF_VAR_ settings)"

    def stop(self) -> None:
        return None

    def _terraform(self, *args: str) -> TerraformRun:
        terraform = shutil.which("terraform", path=self._base_env.get("PATH"))
        if terraform is None:
            raise AcceptanceFailed("terraform is not on PATH: install Terraform 1.11 (see README)")
        run = self._runner([terraform, *args], self.working_dir, self.terraform_env(), PLAN_TIMEOUT_SECONDS)
        if run.returncode != 0:
            tail = "\n".join(run.output.strip().splitlines()[-40:])
            raise AcceptanceFailed(f"terraform {args[0]} failed (exit {run.returncode}):\n{tail}")
        return run
