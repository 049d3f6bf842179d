"""The Terraform AWS provider applies against local AWS and a second plan shows no changes.

These run the real ``terraform`` (1.11.4, hashicorp/aws 5.100.0 from the provider mirror) against LocalAws:
they prove the Step Functions actions, the managed policies and the drift fixes where it matters.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from sp_reports_harness.local_aws import (
    STACK_SERVICES,
    LocalAws,
    write_local_provider,
    write_provider_override,
)

PROVIDER_MIRROR = Path(os.environ.get("SP_REPORTS_TF_PROVIDER_MIRROR", "/opt/tf-plugins"))

VERSIONS_TF = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "5.100.0" }
  }
}
provider "aws" {
  region = "eu-west-1"
}
"""

LAMBDA_AND_STATE_MACHINE_TF = """
resource "aws_iam_role" "this" {
  name = "drift-check"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "lambda.amazonaws.com" }
    }]
  })
}
resource "aws_iam_role_policy_attachment" "logs" {
  role       = aws_iam_role.this.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}
resource "aws_lambda_function" "this" {
  function_name    = "drift-check"
  role             = aws_iam_role.this.arn
  handler          = "app.handler"
  runtime          = "python3.13"
  filename         = "${path.module}/fn.zip"
  source_code_hash = filebase64sha256("${path.module}/fn.zip")
  logging_config {
    log_format = "JSON"
  }
}
resource "aws_sfn_state_machine" "this" {
  name     = "drift-check"
  role_arn = aws_iam_role.this.arn
  definition = jsonencode({
    StartAt = "Call"
    States  = { Call = { Type = "Task", Resource = aws_lambda_function.this.arn, End = true } }
  })
}
"""

QUEUE_TF = """
variable "dlq_arn" {
  type = string
}
resource "aws_sqs_queue" "this" {
  name           = "drift-check"
  redrive_policy = jsonencode({ deadLetterTargetArn = var.dlq_arn, maxReceiveCount = 3 })
}
"""


def _terraform_available() -> bool:
    return shutil.which("terraform") is not None and PROVIDER_MIRROR.is_dir()


needs_terraform = pytest.mark.skipif(
    not _terraform_available(), reason="terraform or the provider mirror missing"
)


def _terraform(aws: LocalAws, directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cli_config = directory / "terraform.rc"
    cli_config.write_text(
        f'provider_installation {{\n  filesystem_mirror {{\n    path = "{PROVIDER_MIRROR}"\n  }}\n}}\n'
    )
    env = aws.env({"PATH": os.environ["PATH"], "HOME": str(directory)})
    env.update({"TF_CLI_CONFIG_FILE": str(cli_config), "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"})
    return subprocess.run(  # noqa: S603 - fixed terraform arguments
        [str(shutil.which("terraform")), *args, "-input=false", "-no-color"],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def _apply_then_plan(aws: LocalAws, directory: Path, *variables: str) -> subprocess.CompletedProcess[str]:
    write_provider_override(directory, aws.endpoint_url, region="eu-west-1")
    for step in (("init",), ("apply", "-auto-approve", *variables)):
        result = _terraform(aws, directory, *step)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return _terraform(aws, directory, "plan", "-detailed-exitcode", *variables)


def test_override_gives_every_stack_service_the_local_endpoint(tmp_path):
    path = write_provider_override(tmp_path, "http://127.0.0.1:4566")

    text = path.read_text()
    assert path.name == "local_aws_override.tf"
    for service in (
        "apigateway",
        "athena",
        "dynamodb",
        "glue",
        "iam",
        "kms",
        "lambda",
        "logs",
        "s3",
        "scheduler",
        "secretsmanager",
        "sfn",
        "sns",
        "sqs",
        "sts",
    ):
        assert service in STACK_SERVICES
        assert f'{service} = "http://127.0.0.1:4566"' in text
    assert "skip_requesting_account_id  = false" in text
    assert "s3_use_path_style           = true" in text
    assert "  region " not in text  # the root module's region stays


def test_local_provider_makes_a_module_copy_a_root_in_the_stated_region(tmp_path):
    path = write_local_provider(tmp_path, "http://127.0.0.1:4566", region="eu-west-1")

    text = path.read_text()
    # Not an override: the root module has no provider block for an override to merge into.
    assert path.name == "local_aws_provider.tf"
    assert not path.name.endswith("_override.tf")
    assert 'region                      = "eu-west-1"' in text
    assert 'sts = "http://127.0.0.1:4566"' in text


def test_override_can_pin_the_region(tmp_path):
    text = write_provider_override(tmp_path, "http://127.0.0.1:4566", region="eu-west-1").read_text()
    assert 'region                      = "eu-west-1"' in text


@needs_terraform
@pytest.mark.integration
def test_second_plan_after_apply_is_clean(tmp_path):
    """Slow (~1 min on a loaded 2-core machine): the provider starts twice per command and waits a fixed ~25 s
    for a new queue's attributes to propagate. The DLQ is created beforehand so only one queue pays that."""
    (tmp_path / "main.tf").write_text(VERSIONS_TF + LAMBDA_AND_STATE_MACHINE_TF + QUEUE_TF)
    with zipfile.ZipFile(tmp_path / "fn.zip", "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return event\n")

    with LocalAws(region="eu-west-1") as aws:
        sqs = aws.boto3_client("sqs")
        dlq_url = sqs.create_queue(QueueName="drift-check-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        plan = _apply_then_plan(aws, tmp_path, f"-var=dlq_arn={dlq_arn}")
        configuration = aws.boto3_client("lambda").get_function_configuration(FunctionName="drift-check")
        queue_url = sqs.get_queue_url(QueueName="drift-check")["QueueUrl"]
        redrive = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["RedrivePolicy"])["Attributes"]

    assert plan.returncode == 0, plan.stdout[-3000:]
    assert configuration["LoggingConfig"]["LogFormat"] == "JSON"
    assert json.loads(redrive["RedrivePolicy"]) == {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3}


def test_redrive_policy_and_logging_config_come_back_as_given(local_aws, create_function):
    """The fast check of the same fixes, for every run of the test suite."""
    sqs = local_aws.boto3_client("sqs")
    sqs.create_queue(QueueName="dlq")
    policy = '{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:dlq","maxReceiveCount":3}'
    url = sqs.create_queue(QueueName="main", Attributes={"RedrivePolicy": policy})["QueueUrl"]
    assert (
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]["RedrivePolicy"]
        == policy
    )

    lam = local_aws.boto3_client("lambda")
    create_function("logged", "echo")
    lam.update_function_configuration(FunctionName="logged", LoggingConfig={"LogFormat": "JSON"})
    assert lam.get_function_configuration(FunctionName="logged")["LoggingConfig"] == {
        "LogFormat": "JSON",
        "LogGroup": "/aws/lambda/logged",
    }


def test_a_rest_api_policy_comes_back_escaped_as_api_gateway_returns_it(local_aws):
    """The provider reads a REST API's policy as the text of a JSON string (aws_api_gateway_rest_api_policy:
    it parses '"' + policy + '"'); moto's policy as given made that read fail."""
    apigw = local_aws.boto3_client("apigateway")
    api_id = apigw.create_rest_api(name="with-policy")["id"]
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*"}]})

    apigw.update_rest_api(
        restApiId=api_id, patchOperations=[{"op": "replace", "path": "/policy", "value": policy}]
    )

    returned = apigw.get_rest_api(restApiId=api_id)["policy"]
    assert returned.startswith('{\\"Version\\":')
    assert json.loads(json.loads(f'"{returned}"')) == json.loads(policy)


API_MODULE_TF = """
variable "account_settings" {
  type = bool
}
resource "aws_kms_key" "this" {}
module "account_settings" {
  source = "%(account_settings)s"
  count  = var.account_settings ? 1 : 0

  current_cloudwatch_role_arn = ""
}
module "api" {
  source      = "%(api)s"
  name_prefix = "logging-check"
  kms_key_arn = aws_kms_key.this.arn
  functions = {
    for f, route in {
      token_storage = "create_token", notifications_subscriber = "create_subscription",
      report_creator = "create_report", report_status = "get_report", seller_eraser = "delete_seller"
    } : f => {
      route = route
      package = {
        filename = "${path.module}/fn.zip", source_sha256 = filebase64sha256("${path.module}/fn.zip")
      }
    }
  }
  account_cloudwatch_role_arn = one(module.account_settings[*].cloudwatch_role_arn)
}
"""


@needs_terraform
def test_the_api_stage_applies_on_a_fresh_account_only_once_account_settings_set_the_role(tmp_path):
    """Slow (~1-2 min): the real api and account_settings modules on one fresh local account. Without the
    account's CloudWatch role the provider's UpdateStage (access logs) is refused as AWS refuses it; with
    modules/account_settings in the same configuration the stage waits for the setting and the apply
    completes; the destroy resets the setting (reset_on_delete) instead of leaving it naming a deleted
    role."""
    modules = Path(__file__).resolve().parents[3] / "terraform" / "modules"
    sources = {name: os.path.relpath(modules / name, tmp_path) for name in ("api", "account_settings")}
    versions = VERSIONS_TF.replace('region = "eu-west-1"', 'region = "us-east-1"')
    (tmp_path / "main.tf").write_text(versions + API_MODULE_TF % sources)
    with zipfile.ZipFile(tmp_path / "fn.zip", "w") as archive:
        archive.writestr("handlers/__init__.py", "")

    with LocalAws() as aws:
        apigateway = aws.boto3_client("apigateway")
        write_provider_override(tmp_path, aws.endpoint_url, region="us-east-1")
        assert _terraform(aws, tmp_path, "init").returncode == 0
        refused = _terraform(aws, tmp_path, "apply", "-auto-approve", "-var=account_settings=false")
        applied = _terraform(aws, tmp_path, "apply", "-auto-approve", "-var=account_settings=true")
        account = apigateway.get_account()
        stage = apigateway.get_stages(restApiId=apigateway.get_rest_apis()["items"][0]["id"])["item"][0]
        destroyed = _terraform(aws, tmp_path, "destroy", "-auto-approve", "-var=account_settings=true")
        after_destroy = apigateway.get_account()
        roles = [r["RoleName"] for r in aws.boto3_client("iam").list_roles()["Roles"]]

    assert refused.returncode != 0
    assert (
        "CloudWatch Logs role ARN must be set in account settings to enable logging"
        in refused.stdout + refused.stderr
    )
    assert applied.returncode == 0, applied.stdout[-3000:] + applied.stderr[-3000:]
    assert account["cloudwatchRoleArn"].endswith(":role/api-gateway-cloudwatch-logs-us-east-1")
    assert stage["accessLogSettings"]["destinationArn"].endswith(
        ":log-group:/aws/apigateway/logging-check-api"
    )
    assert destroyed.returncode == 0, destroyed.stdout[-3000:] + destroyed.stderr[-3000:]
    assert not after_destroy.get("cloudwatchRoleArn")  # reset, not naming the deleted role
    assert "api-gateway-cloudwatch-logs-us-east-1" not in roles


def test_email_subscription_applies_pending_and_plans_clean(tmp_path):
    """The stack subscribes its notification address by email: with local SNS keeping it pending (as AWS
    does), the provider must still create it, read it back and plan no changes."""
    (tmp_path / "main.tf").write_text(
        VERSIONS_TF
        + """
resource "aws_sns_topic" "this" {
  name = "pending-check"
}
resource "aws_sns_topic_subscription" "email" {
  topic_arn = aws_sns_topic.this.arn
  protocol  = "email"
  endpoint  = "reports@example.com"
}
"""
    )
    with LocalAws(region="eu-west-1", aws_managed_policies=False) as aws:
        plan = _apply_then_plan(aws, tmp_path)
        state = json.loads((tmp_path / "terraform.tfstate").read_text())
        sns = aws.boto3_client("sns")
        (topic,) = sns.list_topics()["Topics"]
        listed = sns.list_subscriptions_by_topic(TopicArn=topic["TopicArn"])["Subscriptions"]

    assert plan.returncode == 0, plan.stdout[-3000:]
    (subscription,) = [r for r in state["resources"] if r["type"] == "aws_sns_topic_subscription"]
    assert subscription["instances"][0]["attributes"]["pending_confirmation"] is True
    assert [s["SubscriptionArn"] for s in listed] == ["PendingConfirmation"]
