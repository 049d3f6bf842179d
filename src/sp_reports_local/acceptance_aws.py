"""The real-account target of ``make acceptance``: so far ``--plan-only`` (plan the root, apply nothing).

The account was confirmed by ``acceptance_targets.confirm_account`` before this target exists. Terraform
runs on a copy of ``terraform/`` in the run's work directory (the user's own state is never touched) with the
standard AWS credential chain, a unique ``name_prefix`` and ``deletion_protection = false``; the SP-API and
LWA endpoints are left at their real defaults.

A full run on a real account (apply, the end-to-end assertions, destroy) needs the SP-API emulator deployed
in the account (issue 15); until it exists this target refuses to apply rather than deploy something it
cannot prove and clean up.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from pathlib import Path

from .acceptance import AcceptanceFailed, AssertionsOutcome
from .stack import TERRAFORM_SOURCE, copy_root_module, terraform_cli_env
from .terraform_run import TerraformRun, run_streaming

PLAN_TIMEOUT_SECONDS = 900.0
Runner = Callable[[list[str], Path, Mapping[str, str], float], TerraformRun]


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
                "a full run on a real account (apply, assertions, destroy) is not available yet: the SP-API "
                "emulator cannot run in the account so far; run with --plan-only to plan the deployment"
            )
        self.account = account
        self.region = region
        self.description = f"AWS account {account} in {region}"
        self.name_prefix = name_prefix
        self.plan_only = plan_only
        self.working_dir = work_dir / "terraform"
        self.package_dir = package_dir
        self._base_env = dict(base_env)
        self._runner = runner

    def terraform_env(self) -> dict[str, str]:
        env = terraform_cli_env(self._base_env)
        env.update(
            {
                "TF_VAR_region": self.region,
                "TF_VAR_name_prefix": self.name_prefix,
                "TF_VAR_deletion_protection": "false",
                "TF_VAR_lambda_package_dir": str(self.package_dir.resolve()),
            }
        )
        # The real SP-API and LWA endpoints: an emulator URL left in the environment must not leak in.
        for name in ("TF_VAR_spapi_endpoint_url", "TF_VAR_lwa_endpoint_url"):
            env.pop(name, None)
        return env

    def start(self) -> str:
        copy_root_module(TERRAFORM_SOURCE, self.working_dir)
        return f"copied terraform/ to {self.working_dir} (credentials: the standard AWS chain)"

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
