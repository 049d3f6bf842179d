"""The demo's and the local deployment's building blocks that need no Terraform run (fast)."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from sp_reports.pipeline.pull_plans import plan_from_request
from sp_reports.pipeline.pull_windows import due_versions, hold_back, seller_jitter, windows_between
from sp_reports_harness.demo import (
    MARKETPLACE_ID,
    PLAN_DAYS,
    PLAN_LOOK_BACK_DAYS,
    PLAN_REPORT_TYPE,
    SELLER_ID,
    PlanDays,
    _coverage_table,
    coverage_problems,
    mask_presigned_urls,
    plan_days,
)
from sp_reports_harness.deployment.local_deployment import (
    DeploymentError,
    DeploymentSettings,
    LocalDeployment,
    SqsNotificationSink,
    StackOutputs,
    copy_root_module,
    terraform_cli_env,
)
from sp_reports_harness.deployment.step_progress import Progress, StepTimer, TerraformProgress
from sp_reports_harness.local_aws import LocalAws


def test_presigned_url_keeps_its_address_and_loses_its_signature():
    text = (
        "Download link:\nhttp://127.0.0.1:4566/bucket/seller/report.tsv?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=KEY%2F20261127&X-Amz-Signature=abc123\nAfter that, ask again."
    )

    masked = mask_presigned_urls(text)

    assert "http://127.0.0.1:4566/bucket/seller/report.tsv?[signature masked]" in masked
    assert "X-Amz-" not in masked and "abc123" not in masked
    assert masked.endswith("After that, ask again.")


def test_plain_urls_are_left_alone():
    assert mask_presigned_urls("see https://example.com/a?b=c") == "see https://example.com/a?b=c"


def test_apply_progress_counts_finished_resources_against_the_plan():
    out = io.StringIO()
    progress = TerraformProgress(Progress(out, "terraform apply"))
    for line in (
        "Plan: 3 to add, 0 to change, 0 to destroy.",
        "aws_sqs_queue.dlq: Creation complete after 25s",
        "aws_iam_role.x: Still creating... [10s elapsed]",
        "aws_iam_role.x: Creation complete after 1s",
        "aws_lambda_function.f: Creation complete after 5s",
    ):
        progress(line)

    assert (progress.done, progress.total) == (3, 3)
    assert "3/3 resources" in out.getvalue().splitlines()[-1]


def test_each_step_prints_one_line_with_its_duration_and_failed_steps_stay_current():
    out = io.StringIO()
    timer = StepTimer(out)
    with timer.step("first") as done:
        done("first, with details")
    with pytest.raises(RuntimeError), timer.step("second"):
        raise RuntimeError("boom")

    assert out.getvalue().count("\n") == 1
    assert out.getvalue().strip().endswith("s  first, with details")
    assert timer.current == "second"
    assert [title for title, _ in timer.steps] == ["first, with details"]


def test_mirror_variable_writes_a_mirror_only_cli_config_when_the_preset_one_is_missing(tmp_path):
    env = terraform_cli_env(
        {"SP_REPORTS_TF_PROVIDER_MIRROR": "/mirror", "TF_CLI_CONFIG_FILE": str(tmp_path / "missing.rc")},
        plugin_cache=tmp_path / "cache",
    )

    config = Path(env["TF_CLI_CONFIG_FILE"]).read_text()
    assert 'path    = "/mirror"' in config
    assert "direct" in config
    assert env["TF_PLUGIN_CACHE_DIR"] == str(tmp_path / "cache")
    assert env["TF_IN_AUTOMATION"] == "1"


def test_an_existing_cli_config_wins_over_the_mirror(tmp_path):
    own = tmp_path / "own.rc"
    own.write_text("")

    env = terraform_cli_env(
        {"SP_REPORTS_TF_PROVIDER_MIRROR": "/mirror", "TF_CLI_CONFIG_FILE": str(own)}, tmp_path / "cache"
    )

    assert env["TF_CLI_CONFIG_FILE"] == str(own)


def test_missing_lambda_zips_are_named_before_anything_starts(tmp_path):
    deployment = LocalDeployment(DeploymentSettings(state_dir=tmp_path, package_dir=tmp_path / "none"))

    with pytest.raises(DeploymentError, match="make package") as error:
        deployment.start()

    assert "token_storage" in str(error.value)
    assert deployment.aws is None


def test_stage_name_comes_from_the_output_or_the_base_url():
    assert StackOutputs({"api_stage_name": "v2", "api_base_url": "https://x/prod"}).stage_name == "v2"
    assert (
        StackOutputs({"api_base_url": "https://a.execute-api.eu-west-1.amazonaws.com/prod"}).stage_name
        == "prod"
    )
    with pytest.raises(DeploymentError, match="api_base_url"):
        _ = StackOutputs({}).stage_name


def test_notification_sink_sends_as_spapis_account_where_the_queue_policy_lets_it():
    with LocalAws(aws_managed_policies=False) as aws:
        sqs = aws.boto3_client("sqs", region_name="eu-west-1")
        url = sqs.create_queue(QueueName="destination")["QueueUrl"]
        arn = f"arn:aws:sqs:eu-west-1:{aws.account_id}:destination"
        sink = SqsNotificationSink(aws)

        with pytest.raises(ClientError, match="437568002678"):  # no queue policy: SP-API may not send
            sink(arn, '{"n": 0}')
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::437568002678:root"},
                    "Action": "sqs:SendMessage",
                    "Resource": arn,
                }
            ],
        }
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
        sink(arn, '{"n": 1}')
        messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]

        assert [message["Body"] for message in messages] == ['{"n": 1}']
        with pytest.raises(ValueError, match="not an SQS queue ARN"):
            sink("arn:aws:sns:eu-west-1:123456789012:topic", "{}")


def test_root_module_copy_leaves_out_user_state_tfvars_overrides_and_lock_file_but_keeps_providers(tmp_path):
    source = tmp_path / "terraform"
    (source / "modules" / "api" / ".terraform").mkdir(parents=True)
    (source / "modules" / "api" / "main.tf").write_text("# module")
    for name in ("main.tf", ".terraform.lock.hcl", "terraform.tfvars", "terraform.tfstate", "my_override.tf"):
        (source / name).write_text(name)
    destination = tmp_path / "state" / "terraform"
    (destination / ".terraform").mkdir(parents=True)
    (destination / ".terraform" / "providers").write_text("kept")
    (destination / "stale.tf").write_text("from an earlier run")

    copy_root_module(source, destination)

    assert sorted(path.name for path in destination.iterdir()) == [
        ".terraform",
        "main.tf",
        "modules",
    ]
    assert (destination / ".terraform" / "providers").read_text() == "kept"
    assert (destination / "modules" / "api" / "main.tf").read_text() == "# module"
    assert not (destination / "modules" / "api" / ".terraform").exists()


DEMO_DAYS = PlanDays(first=date(2026, 12, 4), last=date(2026, 12, 6), repulled=date(2026, 12, 4))


def _window(day: str, versions: list[int], status: str = "stored", state: str = "STORED") -> dict:
    start = date.fromisoformat(day)
    current = versions[-1] if versions and state == "STORED" else None
    return {
        "start": f"{day}T00:00:00Z",
        "end": f"{start + timedelta(days=1)}T00:00:00Z",
        "marketplaceIds": [MARKETPLACE_ID],
        "status": status,
        "currentVersion": current,
        "s3Key": f"plans/{day}/v{current:03d}" if current else None,
        "versions": [
            {"version": v, "state": state, "reportId": f"r-{day}-{v}", "s3Key": f"plans/{day}/v{v:03d}"}
            for v in versions
        ],
    }


def _coverage(*windows: dict) -> dict:
    return {"planId": "pp-demo", "windows": list(windows)}


def test_the_demos_coverage_passes_with_every_day_stored_once_and_the_oldest_re_pulled():
    answer = _coverage(_window("2026-12-04", [1, 2]), _window("2026-12-05", [1]), _window("2026-12-06", [1]))

    assert coverage_problems(answer, DEMO_DAYS) == []


def test_the_demos_coverage_fails_for_a_missing_window():
    answer = _coverage(_window("2026-12-04", [1, 2]), _window("2026-12-06", [1]))

    assert coverage_problems(answer, DEMO_DAYS) == ["the window of 2026-12-05 is missing"]


def test_the_demos_coverage_fails_for_a_window_stored_twice():
    twice = _window("2026-12-05", [1])
    twice["versions"].append(dict(twice["versions"][0]))

    problems = coverage_problems(
        _coverage(_window("2026-12-04", [1, 2]), twice, _window("2026-12-06", [1])), DEMO_DAYS
    )

    assert "the window of 2026-12-05 has versions [1, 1], expected [1]" in problems
    assert "stored twice: report r-2026-12-05-1" in problems


def test_the_demos_coverage_fails_when_one_report_is_stored_for_two_windows():
    second = _window("2026-12-05", [1])
    second["versions"][0]["reportId"] = "r-2026-12-04-1"

    problems = coverage_problems(
        _coverage(_window("2026-12-04", [1, 2]), second, _window("2026-12-06", [1])), DEMO_DAYS
    )

    assert problems == ["stored twice: report r-2026-12-04-1"]


def test_the_demos_coverage_fails_without_the_re_pull_or_with_one_in_flight():
    not_re_pulled = _coverage(
        _window("2026-12-04", [1]), _window("2026-12-05", [1]), _window("2026-12-06", [1])
    )
    in_flight = _window("2026-12-04", [1, 2])
    in_flight["versions"][1]["state"] = "REQUESTED"
    in_flight["currentVersion"] = 1

    assert coverage_problems(not_re_pulled, DEMO_DAYS) == [
        "the window of 2026-12-04 has versions [1], expected [1, 2]",
        "the window of 2026-12-04 reads version 1, expected 2",
    ]
    assert coverage_problems(
        _coverage(in_flight, _window("2026-12-05", [1]), _window("2026-12-06", [1])), DEMO_DAYS
    ) == ["the window of 2026-12-04 reads version 1, expected 2", "version 2 of 2026-12-04 is REQUESTED"]


def test_the_demos_coverage_fails_for_a_window_not_stored_or_not_expected():
    answer = _coverage(
        _window("2026-12-03", [1]),
        _window("2026-12-04", [1, 2]),
        _window("2026-12-05", [1], status="failed", state="FAILED"),
        _window("2026-12-06", [1]),
    )

    assert coverage_problems(answer, DEMO_DAYS) == [
        "a window of 2026-12-03 was not expected",
        "the window of 2026-12-05 is failed, not stored",
        "the window of 2026-12-05 reads version None, expected 1",
        "version 1 of 2026-12-05 is FAILED",
    ]


class _CoverageClient:
    def __init__(self, answer: dict) -> None:
        self.answer = answer
        self.asked: list[tuple] = []

    def plan_coverage(self, plan_id: str, from_date: str | None = None, to_date: str | None = None) -> dict:
        self.asked.append((plan_id, from_date, to_date))
        return self.answer


def test_the_demo_prints_the_coverage_as_the_cli_does():
    answer = _coverage(_window("2026-12-04", [1, 2]), _window("2026-12-05", [1]), _window("2026-12-06", [1]))
    answer.update({"from": "2026-12-04", "to": "2026-12-06", "summary": {"stored": 3}})
    client = _CoverageClient(answer)

    lines = _coverage_table(client, "pp-demo", DEMO_DAYS).splitlines()

    assert client.asked == [("pp-demo", "2026-12-04", "2026-12-06")]
    assert lines[0] == "Plan pp-demo, 2026-12-04 to 2026-12-06:"
    assert lines[1].split() == ["WINDOW", "MARKETPLACES", "STATUS", "VERSION", "CONVERSION", "DETAIL"]
    assert lines[2].split() == [
        "2026-12-04..2026-12-05",
        MARKETPLACE_ID,
        "stored",
        "v2",
        "(2",
        "pulls)",
        "-",  # no conversion in this answer
        "plans/2026-12-04/v002",
    ]
    assert lines[-1] == "Windows: 3 stored"


@pytest.mark.parametrize(
    ("now", "last"),
    [
        (datetime(2026, 12, 7, 21, 0, tzinfo=UTC), date(2026, 12, 6)),
        # Before midnight's jitter has passed (7 min 31 s for the demo's seller), yesterday is not due yet.
        (datetime(2026, 12, 7, 0, 5, tzinfo=UTC), date(2026, 12, 5)),
    ],
)
def test_the_demos_plan_days_are_those_the_planner_finds_due_and_only_the_oldest_is_re_pulled(now, last):
    """The demo's expectation against the planner's own arithmetic (pull_windows): with the look-back, the
    oldest day has versions 1 and 2 due, the other days version 1, and no later day is due."""
    plan = plan_from_request(
        {
            "sellerId": SELLER_ID,
            "marketplaceIds": [MARKETPLACE_ID],
            "reportType": PLAN_REPORT_TYPE,
            "cadence": "daily",
            "lookBackDays": [PLAN_LOOK_BACK_DAYS],
            "startDate": "2026-11-01",
        },
        now=now,
    )
    days = plan_days(now, hold_back(plan) + seller_jitter(SELLER_ID))

    due = {
        window.start.date(): due_versions(plan, window, now)
        for window in windows_between(plan, datetime.combine(days.first, time(0), tzinfo=UTC), now)
    }

    assert (days.last, len(days.days), days.repulled) == (last, PLAN_DAYS, days.first)
    assert {day: count for day, count in due.items() if count} == {
        day: 2 if day == days.repulled else 1 for day in days.days
    }
