"""The AWS resources the pipeline's Lambdas use, created in moto (shared by handler and workflow tests)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from sp_reports_harness import table_shapes

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"


@dataclass(frozen=True)
class PipelineResources:
    tokens_table: str
    reports_table: str
    bucket: str
    tokens_key_id: str
    reports_key_id: str
    lwa_secret_arn: str
    queue_url: str
    queue_arn: str
    topic_arn: str
    email_subscriber: str


def create_pipeline_resources(client_id: str, client_secret: str) -> PipelineResources:
    """Create the tables, bucket, keys, secret, queue and topic with the shapes Terraform gives them."""
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    for table, key in (("sp-reports-tokens", "SellerId"), ("sp-reports-reports", "ReportId")):
        dynamodb.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    create_pull_plans_table()
    kms = boto3.client("kms", region_name=REGION)
    tokens_key = kms.create_key(Description="tokens")["KeyMetadata"]["KeyId"]
    reports_key = kms.create_key(Description="reports")["KeyMetadata"]["Arn"]
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="sp-reports-documents")
    secret_arn = boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name="sp-reports/lwa",
        SecretString=json.dumps({"client_id": client_id, "client_secret": client_secret}),
    )["ARN"]
    sqs = boto3.client("sqs", region_name=REGION)
    queue_url = sqs.create_queue(QueueName="sp-reports-notifications")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns = boto3.client("sns", region_name=REGION)
    topic_arn = sns.create_topic(Name="sp-reports-ready")["TopicArn"]
    email = "ops@example.com"
    sns.subscribe(TopicArn=topic_arn, Protocol="email", Endpoint=email)
    return PipelineResources(
        tokens_table="sp-reports-tokens",
        reports_table="sp-reports-reports",
        bucket="sp-reports-documents",
        tokens_key_id=tokens_key,
        reports_key_id=reports_key,
        lwa_secret_arn=secret_arn,
        queue_url=queue_url,
        queue_arn=queue_arn,
        topic_arn=topic_arn,
        email_subscriber=email,
    )


TENANT_MAP_TABLE = "sp-reports-tenants"


def create_tenant_map_table(name: str = TENANT_MAP_TABLE) -> str:
    """The tenant map as Terraform creates it with tenant_isolation on (hash PrincipalArn, range SellerId)."""
    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "PrincipalArn", "KeyType": "HASH"},
            {"AttributeName": "SellerId", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "PrincipalArn", "AttributeType": "S"},
            {"AttributeName": "SellerId", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


PULL_PLANS_TABLE = "sp-reports-pull-plans"


def create_pull_plans_table(name: str = PULL_PLANS_TABLE) -> str:
    """The pull plans table as terraform/modules/storage creates it (sp_reports_harness.table_shapes). A table
    of that name that exists already (create_pipeline_resources makes one) is left as it is."""
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    if name in dynamodb.list_tables()["TableNames"]:
        return name
    return table_shapes.create_pull_plans_table(dynamodb, name)


def published_emails(topic_arn: str) -> list[dict[str, Any]]:
    """What SNS would have emailed: moto keeps the published messages in its backend."""
    from sp_reports_harness.local_aws.moto_internals import sns_backends

    backend = sns_backends[ACCOUNT_ID][REGION]
    return [
        {"subject": subject, "message": message}
        for _id, message, subject, *_rest in backend.topics[topic_arn].sent_notifications
    ]


WORKFLOW_PATH = (
    Path(__file__).resolve().parents[2] / "terraform/modules/state_machine/report_workflow.asl.json"
)


def render_workflow(
    store_function_arn: str,
    notify_function_arn: str,
    *,
    convert_function_arn: str,
    store_task_timeout_seconds: int = 330,
    convert_task_timeout_seconds: int = 930,
    notify_task_timeout_seconds: int = 90,
) -> dict[str, Any]:
    """The ASL as templatefile renders it with the variables the state_machine module passes: the ARN of the
    function doing each task (store: the report storer, convert: the report converter, notify: the report
    notifier) and each task's timeout (the defaults are the root's function timeouts, 300 s, 900 s and 60 s,
    plus the module's 30 s margin). The one reader of the template: every test that needs the workflow
    definition renders it here."""
    variables = {
        "store_function_arn": store_function_arn,
        "convert_function_arn": convert_function_arn,
        "notify_function_arn": notify_function_arn,
        "store_task_timeout_seconds": str(store_task_timeout_seconds),
        "convert_task_timeout_seconds": str(convert_task_timeout_seconds),
        "notify_task_timeout_seconds": str(notify_task_timeout_seconds),
    }
    rendered = WORKFLOW_PATH.read_text()
    for name, value in variables.items():
        rendered = rendered.replace("${" + name + "}", value)
    leftover = re.search(r"\$\{[^}]*\}", rendered)
    if leftover:
        raise AssertionError(f"templatefile would fail on {leftover.group(0)}")
    return json.loads(rendered)


def function_environment(resources: PipelineResources, state_machine_arn: str = "") -> dict[str, str]:
    return {
        "POWERTOOLS_METRICS_NAMESPACE": "SpReportsTest",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "LOG_LEVEL": "INFO",
        "TOKENS_TABLE_NAME": resources.tokens_table,
        "TOKENS_KMS_KEY_ID": resources.tokens_key_id,
        "REPORTS_TABLE_NAME": resources.reports_table,
        "REPORTS_BUCKET_NAME": resources.bucket,
        "REPORTS_KMS_KEY_ID": resources.reports_key_id,
        "LWA_CREDENTIALS_SECRET_ARN": resources.lwa_secret_arn,
        "NOTIFICATIONS_QUEUE_ARN": resources.queue_arn,
        "NOTIFICATIONS_TOPIC_ARN": resources.topic_arn,
        "SPAPI_DESTINATION_NAME": "sp-reports-test",
        "REPORT_RECORD_TTL_DAYS": "30",
        "PRESIGNED_URL_TTL_SECONDS": "3600",
        "DOWNLOAD_LINK_SIGNER_ROLE_ARN": "arn:aws:iam::123456789012:role/sp-reports-download-link-signer",
        "PROCESS_UNREQUESTED_REPORTS": "false",
        "STATE_MACHINE_ARN": state_machine_arn or "arn:aws:states:us-east-1:123456789012:stateMachine:unused",
        "PULL_PLANS_TABLE_NAME": PULL_PLANS_TABLE,  # create_pipeline_resources creates it
    }
