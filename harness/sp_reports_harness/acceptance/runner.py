"""``make acceptance``: deploy the root module, prove it end to end, destroy it; nothing is left behind.

    python -m sp_reports_harness.acceptance.runner [--plan-only] [--package-dir .build/lambda]

Steps (each prints one line with its duration): start the target; ``terraform init``; ``terraform apply`` of
the root module with a unique ``name_prefix`` and ``deletion_protection = false``; the end-to-end assertions,
which are tests/integration/deployed_stack run against this deployment (its ``stack`` fixture takes the
``StackUnderTest`` from ``DEPLOYMENT_KEY`` instead of applying one: one set of assertions for ``make test``
and for this command, on either target); then ``terraform destroy``, also after a failure, Ctrl-C or
SIGTERM, and the state is checked empty. The last line is the verdict; when destruction failed it is
preceded by what remains (``terraform state list``) and how to remove it.

Targets (``acceptance.targets``): local AWS and the SP-API emulator in this process (the default, part of
``make test``), or a real AWS account (``SP_REPORTS_ACCEPTANCE_TARGET=aws``; see
``acceptance.account_target``), whose code ``make test`` also runs with local AWS standing in for the account
(``local-account``). Exit code: 0 passed, 1 failed (or destruction failed), 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, Protocol, TextIO

import pytest

from sp_reports_harness.acceptance.results import AcceptanceFailed, AssertionsOutcome
from sp_reports_harness.acceptance.targets import TargetRefused, select_target
from sp_reports_harness.deployment.local_deployment import DeploymentError
from sp_reports_harness.deployment.step_progress import (
    Progress,
    StepTimer,
    TerraformProgress,
    clear_progress,
    interrupts_deferred,
)
from sp_reports_harness.repository import LAMBDA_PACKAGE_DIR

EXIT_PASSED, EXIT_FAILED, EXIT_INTERRUPTED = 0, 1, 130


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived: everything is destroyed, then the run ends with 130.

    A BaseException, so no ``except Exception`` on the way (a library's, a test's) swallows it."""


class Target(Protocol):
    """Where the stack is deployed: local AWS or a real account. One runner drives both."""

    description: str
    name_prefix: str

    plan_only: bool

    def start(self) -> str: ...
    def terraform_plan_count(self) -> int: ...
    def terraform_init(self) -> None: ...
    def terraform_apply(self, on_line: Any) -> None: ...
    def run_assertions(self) -> AssertionsOutcome: ...
    def terraform_destroy(self, on_line: Any) -> None: ...
    def after_destroy(
        self,
    ) -> str: ...  # what it checked once destroyed ("": nothing); AcceptanceFailed if off
    def remaining_resources(self) -> list[str]: ...
    def removal_instructions(self) -> str: ...
    def stop(self) -> None: ...


@dataclass
class _Signals:
    """The signal that interrupted the run (None: none did)."""

    received: str | None = None

    def install(self) -> None:
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.received = signal.Signals(signum).name
        # KeyboardInterrupt, also for SIGTERM: pytest (the assertions step) stops its session on it.
        raise KeyboardInterrupt(self.received)


def run_acceptance(
    target: Target, work_dir: Path, out: TextIO = sys.stdout, signals: _Signals | None = None
) -> int:
    """Drive ``target`` through every step; destroy what was applied whatever happens; remove ``work_dir``."""
    signals = signals or _Signals()
    timer = _AcceptanceTimer(out)
    started = time.monotonic()
    print(
        f"sp-reports acceptance on {target.description} (name_prefix {target.name_prefix})",
        file=out,
        flush=True,
    )
    failure: str | None = None
    proved = ""
    try:
        proved = _run_steps(target, timer, out, signals)
    except (KeyboardInterrupt, Interrupted) as interrupt:
        failure = f"INTERRUPTED ({signals.received or interrupt}) during: {timer.current or 'shutdown'}"
    except (AcceptanceFailed, DeploymentError) as error:
        failure = f"FAILED during: {timer.current}: {error}"
    except Exception as error:  # anything else still ends in destruction and a one-line reason
        failure = f"FAILED during: {timer.current}: {type(error).__name__}: {error}"
    finally:
        clear_progress(out)
        with interrupts_deferred():
            remaining = _tear_down(target, timer, out, timer.steps_started_apply)
            if not remaining:  # kept otherwise: the state is what removing the rest needs
                shutil.rmtree(work_dir, ignore_errors=True)
    elapsed = time.monotonic() - started
    left = (
        "nothing left behind" if not remaining else f"{len(remaining)} resources LEFT BEHIND (listed above)"
    )
    if failure is None and not remaining:
        print(
            f"\nacceptance PASSED on {target.description} in {elapsed:.0f} s: {proved}; {left}",
            file=out,
            flush=True,
        )
        return EXIT_PASSED
    verdict = failure or "FAILED: destruction failed"
    print(f"\nacceptance {verdict} (after {elapsed:.0f} s); {left}", file=out, flush=True)
    interrupted = failure is not None and failure.startswith("INTERRUPTED")
    return EXIT_INTERRUPTED if interrupted and not remaining else EXIT_FAILED


class _AcceptanceTimer(StepTimer):
    """The step timer, plus whether ``terraform apply`` began (from then on something may exist)."""

    steps_started_apply: bool = False


def _run_steps(target: Target, timer: _AcceptanceTimer, out: TextIO, signals: _Signals) -> str:
    """The steps up to destruction; returns what was proved."""
    with timer.step("start the target") as done:
        done(target.start())
    with timer.step("terraform init"):
        target.terraform_init()
    if target.plan_only:
        with timer.step("terraform plan") as done:
            planned = target.terraform_plan_count()
            done(f"terraform plan: {planned} resources to add")
        return f"plan only: {planned} resources would be created, nothing was applied"
    with timer.step("terraform apply") as done:
        timer.steps_started_apply = True
        counter = TerraformProgress(Progress(out, "terraform apply"))
        target.terraform_apply(counter)
        done(f"terraform apply: {counter.done} resources created")
    with timer.step("end-to-end assertions (tests/integration/deployed_stack)") as done:
        outcome = target.run_assertions()
        if signals.received or outcome.exit_code == pytest.ExitCode.INTERRUPTED:
            raise Interrupted(signals.received or "SIGINT")
        if outcome.exit_code != 0 or outcome.failed:
            failed = ", ".join(outcome.failed) or "(see pytest's output above)"
            raise AcceptanceFailed(f"{len(outcome.failed)} assertion(s) failed: {failed}")
        skipped = f", {len(outcome.skipped)} skipped on this target" if outcome.skipped else ""
        done(f"end-to-end assertions: {len(outcome.passed)} passed{skipped}")
    for name, reason in outcome.skipped:
        print(f"  skipped {name}: {reason}", file=out, flush=True)
    shown = ", ".join(proved_claims(outcome.passed)) or "none of the named claims"
    proved = f"{len(outcome.passed)} end-to-end assertions passed ({shown})"
    return proved + (f"; {len(outcome.skipped)} skipped (listed above)" if outcome.skipped else "")


# What the verdict says a run proved: each claim of the acceptance run with the assertions (tests/integration/
# deployed_stack) that prove it. A claim is named only when every one of its assertions passed, so a run that
# skipped some (a real seller's: no FATAL on demand) never claims them.
CLAIMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("token as KMS ciphertext", ("test_refresh_token_is_stored_as_kms_ciphertext_not_plain_text",)),
    ("subscription", ("test_subscription_points_spapi_at_the_stacks_queue",)),
    (
        "DONE report equal to its source",
        ("test_stored_object_is_spapis_document_unzipped_and_kms_encrypted",),
    ),
    ("multipart report", ("test_a_report_larger_than_one_part_is_stored_whole_through_the_bucket_policy",)),
    ("one email", ("test_exactly_one_email_announces_the_report",)),
    ("presigned download", ("test_presigned_url_downloads_the_stored_report",)),
    ("FATAL", ("test_fatal_report_stores_the_error_document_and_ends_failed_with_one_email",)),
    ("CANCELLED", ("test_cancelled_report_stores_nothing_and_ends_cancelled_with_one_email",)),
    (
        "refused calls",
        (
            "test_unsigned_request_is_rejected_with_403",
            "test_request_signed_with_a_wrong_secret_is_rejected_with_403",
            "test_request_signed_by_a_user_without_invoke_permission_is_rejected_with_403",
        ),
    ),
    ("clean second plan", ("test_second_plan_shows_no_changes",)),
    (
        "Athena query of the curated tables",
        ("test_athena_counts_the_converted_rows_of_the_report_in_each_curated_table",),
    ),
)


def proved_claims(passed: list[str]) -> list[str]:
    done = set(passed)
    return [claim for claim, tests in CLAIMS if set(tests) <= done]


def _tear_down(target: Target, timer: StepTimer, out: TextIO, applied: bool) -> list[str]:
    """Destroy, check the state is empty, stop the target; returns what remains (empty: nothing)."""
    remaining: list[str] = []
    if applied:
        try:
            with timer.step("terraform destroy") as done:
                counter = _DestroyCounter()
                target.terraform_destroy(counter)
                remaining = target.remaining_resources()
                if remaining:
                    raise AcceptanceFailed(f"the state still holds {len(remaining)} resources")
                checked = target.after_destroy()
                done(
                    f"terraform destroy: {counter.destroyed} resources destroyed, the state is empty"
                    + (f"; {checked}" if checked else "")
                )
        except Exception as error:
            clear_progress(out)
            print(f"terraform destroy failed: {error}", file=out, flush=True)
            try:
                remaining = remaining or target.remaining_resources() or ["(the state could not be read)"]
            except Exception as state_error:
                remaining = [f"(terraform state list failed: {state_error})"]
    with timer.step("stop the target") as done:
        target.stop()
        done(f"stopped {target.description}")
    if remaining:
        print("\nstill deployed (terraform state list):", file=out)
        for address in remaining:
            print(f"  {address}", file=out)
        print(f"\nto remove them:\n{target.removal_instructions()}", file=out, flush=True)
    return remaining


class _DestroyCounter:
    def __init__(self) -> None:
        self.destroyed = 0

    def __call__(self, line: str) -> None:
        if "Destruction complete" in line:
            self.destroyed += 1


def main(argv: list[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    description = (__doc__ or "").split("\n")[0]
    parser = argparse.ArgumentParser(
        prog="python -m sp_reports_harness.acceptance.runner", description=description
    )
    parser.add_argument(
        "--plan-only",
        action="store_true",
        help="real-account target only: plan the deployment, apply nothing (what a cautious user runs first)",
    )
    parser.add_argument("--package-dir", type=Path, default=LAMBDA_PACKAGE_DIR, help="default: .build/lambda")
    args = parser.parse_args(argv)
    env = dict(os.environ if environ is None else environ)
    signals = _Signals()
    signals.install()
    work_dir = Path(tempfile.mkdtemp(prefix="sp-reports-acceptance-"))
    try:
        target = select_target(env, work_dir, args.package_dir, args.plan_only, sys.stdout)
    except TargetRefused as refused:
        shutil.rmtree(work_dir, ignore_errors=True)
        print(f"acceptance refused to start: {refused}", file=sys.stderr, flush=True)
        return 2
    return run_acceptance(target, work_dir, signals=signals)


if __name__ == "__main__":
    sys.exit(main())
