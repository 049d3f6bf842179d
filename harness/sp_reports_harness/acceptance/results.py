"""What the acceptance steps produce and how they are judged: the end-to-end assertions run against a
deployed stack and their outcome, the failure a step reports, and the count a plan step prints.

``acceptance`` (the runner) and its targets (``acceptance.targets``, ``acceptance.account_target``) all use
these; the runner imports the targets, the targets import this module, and nothing here imports either.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from sp_reports_harness.acceptance.stack_under_test import StackUnderTest
from sp_reports_harness.repository import REPO_ROOT

ASSERTIONS_DIR = REPO_ROOT / "tests" / "integration" / "deployed_stack"
# tests/integration/deployed_stack's stack fixture yields the stack stored here instead of applying its own.
DEPLOYMENT_KEY = pytest.StashKey[StackUnderTest]()
# What the assertions need from the emulator and local AWS, whoever deploys the stack: time to drive a report
# (finish_report) before the emulator's clock does, and Lambda sessions (900 s, STS's minimum) shorter than
# a download link's lifetime, so a link signed with a function's own session is caught.
EMULATOR_OPTIONS: Mapping[str, Any] = {"in_queue_seconds": 2.0, "in_progress_seconds": 1.0}
LAMBDA_SESSION_SECONDS = 900


class AcceptanceFailed(Exception):
    """A step's result was wrong; the message says what."""


@dataclass
class AssertionsOutcome:
    exit_code: int
    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    # (test, reason): checks this target cannot offer (local AWS's own, on a real account)
    skipped: list[tuple[str, str]] = field(default_factory=list)


class _Collector:
    """A pytest plugin: hands the stack to the fixtures and counts the outcomes."""

    def __init__(self, stack: StackUnderTest) -> None:
        self.stack = stack
        self.outcome = AssertionsOutcome(exit_code=-1)

    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[DEPLOYMENT_KEY] = self.stack

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        name = report.nodeid.rsplit("::", 1)[-1]
        if report.failed:
            self.outcome.failed.append(name)
        elif report.when == "call" and report.passed:
            self.outcome.passed.append(name)
        elif report.skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            self.outcome.skipped.append((name, reason.removeprefix("Skipped: ")))


def run_assertions_against(stack: StackUnderTest) -> AssertionsOutcome:
    """tests/integration/deployed_stack, in this process, against ``stack`` (already applied)."""
    collector = _Collector(stack)
    code = pytest.main(
        [
            str(ASSERTIONS_DIR),
            "-q",
            "--no-header",
            "-p",
            "no:cacheprovider",
            f"--rootdir={REPO_ROOT}",
            "-c",
            str(REPO_ROOT / "pyproject.toml"),
        ],
        plugins=[collector],
    )
    collector.outcome.exit_code = int(code)
    return collector.outcome


def planned_additions(plan_output: str) -> int:
    """The N of Terraform's "Plan: N to add" line."""
    match = re.search(r"Plan: (\d+) to add", plan_output)
    if match is None:
        raise AcceptanceFailed("terraform plan printed no 'Plan: N to add' line")
    return int(match.group(1))
