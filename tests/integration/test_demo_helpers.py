"""The demo's and the local deployment's building blocks that need no Terraform run (fast)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from sp_reports_harness.demo import mask_presigned_urls
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
