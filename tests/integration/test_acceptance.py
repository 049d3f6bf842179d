"""`make acceptance` on local AWS, as a user runs it (a subprocess): it passes and leaves nothing behind, and
interrupting it once the apply has started still leaves no process, no state and no temporary directory.
The real-account target's own code runs too, with local AWS standing in for the account (``local-account``):
the account guard, terraform/acceptance with the SP-API emulator as a Lambda behind its function URL, the
assertions driving it through that URL, and the destruction."""

from __future__ import annotations

import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sp_reports_harness.acceptance import seller as acceptance_seller
from sp_reports_harness.acceptance.runner import CLAIMS
from sp_reports_harness.acceptance.targets import ACCOUNT_ENV, TARGET_ENV
from sp_reports_harness.deployment.local_deployment import MIRROR_ENV
from sp_reports_harness.local_aws.server import DEFAULT_ACCOUNT_ID
from sp_reports_harness.repository import REPO_ROOT
from tests.support.canaries import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, SELLER_ID

pytestmark = pytest.mark.integration

RUN_TIMEOUT_SECONDS = 900


@pytest.fixture(scope="module")
def package_dir(lambda_package_dir: Path) -> Path:
    if shutil.which("terraform") is None:
        pytest.skip("terraform is not installed")
    return lambda_package_dir


def _start(package_dir: Path, temp_dir: Path, target: dict[str, str] | None = None) -> subprocess.Popen[str]:
    env = dict(os.environ)
    # The local target with the emulator unless asked otherwise, whatever the caller's shell says.
    for name in (TARGET_ENV, *acceptance_seller.REQUIRED_ENV, acceptance_seller.REPORT_TYPE_ENV):
        env.pop(name, None)
    env.update(target or {})
    env["TMPDIR"] = str(temp_dir)  # the run's work directory and local AWS's Lambda code land here
    # As the Makefile runs it: the product, the harness and the scripts it imports on the path.
    checkout = [str(REPO_ROOT / folder) for folder in ("src", "harness", "scripts")]
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [*checkout, env.get("PYTHONPATH")]))
    if not env.get(MIRROR_ENV) and Path("/opt/tf-plugins").is_dir():
        env[MIRROR_ENV] = "/opt/tf-plugins"
    return subprocess.Popen(  # noqa: S603 - the acceptance command, fixed arguments
        [sys.executable, "-m", "sp_reports_harness.acceptance.runner", "--package-dir", str(package_dir)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own session: every process it starts can be found afterwards
    )


def _processes_of_session(session_id: int) -> list[str]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # ended meanwhile
        fields = text.rsplit(")", 1)[1].split()
        if int(fields[3]) == session_id:  # field 6 of /proc/<pid>/stat (proc(5)): the session id
            found.append(text.split(")", 1)[0] + ")")
    return found


def _assert_nothing_left(process: subprocess.Popen[str], temp_dir: Path, output: str) -> None:
    assert _processes_of_session(process.pid) == [], output[-3000:]
    assert list(temp_dir.iterdir()) == [], output[-3000:]  # state, copies of terraform/, Lambda code


def _run_to_a_pass(
    package_dir: Path, tmp_path: Path, target: dict[str, str] | None = None
) -> tuple[str, str]:
    """Run make acceptance to its end; it must pass and leave nothing behind. (its output, its verdict)"""
    temp_dir = tmp_path / "tmp"
    temp_dir.mkdir()
    process = _start(package_dir, temp_dir, target)
    output, _ = process.communicate(timeout=RUN_TIMEOUT_SECONDS)

    assert process.returncode == 0, output[-6000:]
    verdict = output.strip().splitlines()[-1]
    assert verdict.startswith("acceptance PASSED on local AWS"), output[-6000:]
    assert "nothing left behind" in verdict  # for a real seller's run: nothing in SP-API either
    assert "terraform destroy: " in output and "the state is empty" in output
    _assert_nothing_left(process, temp_dir, output)
    return output, verdict


# What only local AWS can show (stack_under_test.local_aws_of): skipped on an account, with the reason.
LOCAL_AWS_ONLY_CHECKS = {
    "test_presigned_url_points_at_local_aws",
    "test_the_emailed_link_works_until_the_stated_expiry_and_not_after",
    "test_every_function_ran_as_its_own_role_and_nothing_it_needed_was_refused",
    "test_the_sweeper_and_the_schedules_role_needed_nothing_they_were_not_given",
    "test_the_plans_function_was_refused_nothing_it_did",
    "test_the_planner_was_refused_nothing_it_did",
}


# What only a real account's Athena can answer (stack_under_test.athena_of): skipped wherever local AWS is the
# account, also when it stands in for one.
REAL_ATHENA_ONLY_CHECKS = {"test_athena_counts_the_converted_rows_of_the_report_in_each_curated_table"}


def _athena_skips(output: str) -> set[str]:
    return set(
        re.findall(r"^  skipped (test_\w+): only a real account's Athena runs SQL", output, re.MULTILINE)
    )


def test_the_local_acceptance_run_passes_and_leaves_nothing_behind(package_dir, tmp_path):
    output, verdict = _run_to_a_pass(package_dir, tmp_path)

    # The Athena query is left to a real account, and the verdict claims only what passed.
    assert _athena_skips(output) == REAL_ATHENA_ONLY_CHECKS, output[-6000:]
    assert "Athena query" not in verdict


def test_the_real_account_target_passes_on_local_aws_standing_in_for_the_account(package_dir, tmp_path):
    target = {TARGET_ENV: "local-account", ACCOUNT_ENV: DEFAULT_ACCOUNT_ID}
    output, verdict = _run_to_a_pass(package_dir, tmp_path, target)

    # The guard ran first: the account and region from sts get-caller-identity.
    assert output.startswith(f"AWS account {DEFAULT_ACCOUNT_ID} as arn:aws:"), output[:2000]
    expected = f"acceptance PASSED on local AWS as account {DEFAULT_ACCOUNT_ID}"
    assert verdict.startswith(expected), output[-6000:]
    skipped = set(re.findall(r"^  skipped (test_\w+): only local AWS can show", output, re.MULTILINE))
    assert skipped == LOCAL_AWS_ONLY_CHECKS, output[-6000:]
    assert _athena_skips(output) == REAL_ATHENA_ONLY_CHECKS, output[-6000:]
    skipped_count = len(LOCAL_AWS_ONLY_CHECKS | REAL_ATHENA_ONLY_CHECKS)
    passed = re.search(rf"end-to-end assertions: (\d+) passed, {skipped_count} skipped on this", output)
    assert passed and int(passed.group(1)) >= 20, output[-6000:]
    claims = ", ".join(claim for claim, tests in CLAIMS if not set(tests) & REAL_ATHENA_ONLY_CHECKS)
    assert f"end-to-end assertions passed ({claims}); {skipped_count} skipped" in verdict, verdict


# What needs the SP-API emulator's powers (stack_under_test.emulator_of): skipped against real SP-API.
EMULATOR_ONLY_CHECKS = {
    "test_the_emulators_document_is_served_compressed",
    "test_stored_report_names_its_charset_and_the_status_answer_says_so",
    "test_fatal_report_stores_the_error_document_and_ends_failed_with_one_email",
    "test_cancelled_report_stores_nothing_and_ends_cancelled_with_one_email",
    "test_a_restricted_report_is_stored_with_a_restricted_data_token_that_no_log_or_history_holds",
    "test_a_range_beyond_the_report_types_maximum_becomes_one_report_per_window",
    "test_a_report_whose_notification_was_dropped_is_stored_when_the_sweep_schedule_fires",
    "test_the_sweeper_and_the_schedules_role_needed_nothing_they_were_not_given",
    "test_a_report_larger_than_one_part_is_stored_whole_through_the_bucket_policy",
    "test_an_erased_seller_leaves_nothing_and_the_other_seller_keeps_its_report",
    "test_a_settlement_report_of_a_discover_plan_is_found_and_stored_when_the_planner_ticks",
}


def test_a_real_sellers_run_calls_spapi_and_releases_its_subscription(package_dir, tmp_path):
    seller = {
        acceptance_seller.LWA_CLIENT_ID_ENV: CLIENT_ID,
        acceptance_seller.LWA_CLIENT_SECRET_ENV: CLIENT_SECRET,
        acceptance_seller.REFRESH_TOKEN_ENV: REFRESH_TOKEN,
        acceptance_seller.SELLER_ID_ENV: SELLER_ID,
        acceptance_seller.MARKETPLACE_ID_ENV: "A1F83G8C2ARO7P",
    }
    target = {TARGET_ENV: "local-account", ACCOUNT_ENV: DEFAULT_ACCOUNT_ID, **seller}
    output, verdict = _run_to_a_pass(package_dir, tmp_path, target)

    assert verdict.startswith(
        f"acceptance PASSED on local AWS as account {DEFAULT_ACCOUNT_ID} in us-east-1 "
        f"({_endpoint(output)}) with real SP-API (EU), seller {SELLER_ID}"
    ), output[-6000:]
    assert "the stack, calling real SP-API" in output  # no emulator in the account
    # The verdict claims what passed, not what the emulator alone can show.
    assert "(token as KMS ciphertext, subscription, DONE report equal to its source, one email," in verdict
    assert "FATAL" not in verdict and "multipart" not in verdict
    local_only = set(re.findall(r"^  skipped (test_\w+): only local AWS can show", output, re.MULTILINE))
    emulator_only = set(
        re.findall(r"^  skipped (test_\w+): only the SP-API emulator can", output, re.MULTILINE)
    )
    assert emulator_only == EMULATOR_ONLY_CHECKS, output[-6000:]
    assert local_only == LOCAL_AWS_ONLY_CHECKS - EMULATOR_ONLY_CHECKS, output[-6000:]
    assert _athena_skips(output) == REAL_ATHENA_ONLY_CHECKS, output[-6000:]
    skipped = len(local_only | emulator_only | REAL_ATHENA_ONLY_CHECKS)
    passed = re.search(rf"end-to-end assertions: (\d+) passed, {skipped} skipped on this target", output)
    assert passed and int(passed.group(1)) >= 12, output[-6000:]
    assert CLIENT_SECRET not in output and REFRESH_TOKEN not in output


def _endpoint(output: str) -> str:
    found = re.search(r"\((http://[^)]+)\) with ", output)
    return found.group(1) if found else "(no endpoint printed)"


def test_interrupting_the_run_after_the_apply_started_destroys_and_leaves_nothing(package_dir, tmp_path):
    temp_dir = tmp_path / "tmp"
    temp_dir.mkdir()
    process = _start(package_dir, temp_dir)
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
    # The first progress line with a created resource: the apply is under way.
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 5)
        line = process.stdout.readline() if ready else ""
        if line:
            lines.append(line)
        created = re.search(r"terraform apply: (\d+)/\d+ resources", line)
        if created and int(created.group(1)) > 0:
            break
        if process.poll() is not None:
            pytest.fail("the run ended before the apply started:\n" + "".join(lines)[-3000:])
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C on a terminal does: the whole process group
    rest, _ = process.communicate(timeout=RUN_TIMEOUT_SECONDS)
    output = "".join(lines) + rest

    assert process.returncode == 130, output[-6000:]
    verdict = output.strip().splitlines()[-1]
    assert verdict.startswith("acceptance INTERRUPTED (SIGINT) during: terraform apply"), output[-6000:]
    assert "nothing left behind" in verdict
    assert "the state is empty" in output
    _assert_nothing_left(process, temp_dir, output)
