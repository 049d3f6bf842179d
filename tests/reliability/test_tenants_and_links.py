"""Attacks on who may see a seller's reports: a tenant reaching for another tenant's seller through the API
(tenant_isolation on), and a subscriber of the notifications topic collecting download links.

Cross-tenant: tenant B's role, which the tenant map grants its own seller only, asks for tenant A's seller on
every route (GET A's report, POST /reports, /tokens and /notifications naming A's seller). Each must be a 403
TenantBoundary that names the rule and not A's seller (GET: the caller did not name it), with no table
write and no SP-API or LWA call.

Link collection: the topic admits subscriptions of the protocols notification_subscription_protocols lists
(an SQS queue when "sqs" is listed); whoever subscribes receives every outcome. By default (no
email_download_links) what arrives names the report and the command that fetches it, never a presigned URL.
"""

from __future__ import annotations

import json
import re

import boto3
import pytest

from sp_reports.pipeline.report_records import ReportRecords
from sp_reports.pipeline.report_specifications import ReportSpecification
from sp_reports.pipeline.tenancy import TenantMap
from tests.support.canaries import REFRESH_TOKEN, SELLER_ID
from tests.support.reliability import DOCUMENT, api_events, aws_resources, check_output_for_secrets

TENANT_A_ROLE = "arn:aws:iam::123456789012:role/tenants/tenant-a-invoke"
TENANT_B_ROLE = "arn:aws:iam::123456789012:role/tenants/tenant-b-invoke"
TENANT_B_SESSION = "arn:aws:sts::123456789012:assumed-role/tenant-b-invoke/botocore-session-7"
TENANT_B_SELLER = "A2TENANTBSELLER"
A_REPORT = "50000000001"
URL = re.compile(r"https?://\S+|X-Amz-", re.IGNORECASE)


def _tables(resources) -> dict:
    dynamodb = boto3.client("dynamodb")
    return {
        table: dynamodb.scan(TableName=table)["Items"]
        for table in (resources.tokens_table, resources.reports_table)
    }


def test_a_tenant_can_neither_read_another_tenants_report_nor_act_for_its_seller(
    pipeline_resources, spapi_emulator, fresh_handler, lambda_context, monkeypatch, attack_results, capsys
):
    resources = pipeline_resources
    tenants = TenantMap(aws_resources.create_tenant_map_table(), boto3.client("dynamodb"))
    tenants.grant(TENANT_A_ROLE, SELLER_ID)
    tenants.grant(TENANT_B_ROLE, TENANT_B_SELLER)
    monkeypatch.setenv("TENANT_MAP_TABLE_NAME", aws_resources.TENANT_MAP_TABLE)
    ReportRecords(resources.reports_table, boto3.client("dynamodb")).record_requested(
        A_REPORT, ReportSpecification(SELLER_ID, "NA", "GET_MERCHANT_LISTINGS_ALL_DATA", ["ATVPDKIKX0DER"])
    )
    before = _tables(resources)
    attempts = [
        (
            "report_status",
            api_events.api_event(
                "GET",
                f"/reports/{A_REPORT}",
                path_parameters={"reportId": A_REPORT},
                caller_arn=TENANT_B_SESSION,
            ),
        ),
        (
            "report_creator",
            api_events.api_event(
                "POST",
                "/reports",
                {
                    "SellerId": SELLER_ID,
                    "RegionCode": "NA",
                    "ReportType": "GET_MERCHANT_LISTINGS_ALL_DATA",
                    "MarketplaceIds": ["ATVPDKIKX0DER"],
                },
                caller_arn=TENANT_B_SESSION,
            ),
        ),
        (
            "token_storage",
            api_events.api_event(
                "POST",
                "/tokens",
                {"SellerId": SELLER_ID, "RefreshToken": REFRESH_TOKEN},
                caller_arn=TENANT_B_SESSION,
            ),
        ),
        (
            "notifications_subscriber",
            api_events.api_event(
                "POST",
                "/notifications",
                {"SellerId": SELLER_ID, "RegionCode": "NA"},
                caller_arn=TENANT_B_SESSION,
            ),
        ),
    ]
    for function, event in attempts:
        answer = fresh_handler(function).handler(event, lambda_context)
        assert answer["statusCode"] == 403, (function, answer["body"])
        error = json.loads(answer["body"])["error"]
        assert error["code"] == "TenantBoundary", function
        assert "arn:aws:iam::123456789012:role/tenant-b-invoke" in error["message"]
        if function == "report_status":
            assert SELLER_ID not in answer["body"]  # the caller did not name it: not told whose report it is
    assert _tables(resources) == before
    assert spapi_emulator.exchanges == []
    # Tenant B still reads its own seller's reports.
    own = fresh_handler("report_creator").handler(
        api_events.api_event(
            "POST",
            "/reports",
            {
                "SellerId": TENANT_B_SELLER,
                "RegionCode": "NA",
                "ReportType": "GET_MERCHANT_LISTINGS_ALL_DATA",
                "MarketplaceIds": ["ATVPDKIKX0DER"],
            },
            caller_arn=TENANT_B_SESSION,
        ),
        lambda_context,
    )
    assert json.loads(own["body"])["error"]["code"] == "SellerNotFound"  # past the boundary: no token stored
    check_output_for_secrets(capsys)
    attack_results.record(
        "8-cross-tenant-read",
        attack="Cross-tenant: tenant B's role reads tenant A's report and requests, stores and subscribes "
        "for tenant A's seller (tenant_isolation on)",
        cases=len(attempts),
        outcome="403 TenantBoundary naming the rule, not A's seller; 0 table writes, 0 SP-API/LWA calls",
        lost=None,
    )


def _subscribe_a_queue(topic_arn: str) -> str:
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName="collector")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    boto3.client("sns").subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    return queue_url


def _collected(queue_url: str) -> list[str]:
    messages = (
        boto3.client("sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    )
    return [json.loads(message["Body"])["Message"] for message in messages]


def test_a_subscriber_to_the_topic_collects_no_download_link_by_default(
    report_pipeline, attack_results, capsys
):
    pipeline = report_pipeline
    queue_url = _subscribe_a_queue(pipeline.workflow.resources.topic_arn)
    report_ids = [pipeline.request_report() for _ in range(2)]
    for report_id in report_ids:
        assert pipeline.run(report_id, "DONE", DOCUMENT)["status"] == "SUCCEEDED"
    collected = _collected(queue_url)
    assert len(collected) == len(report_ids)
    for report_id in report_ids:
        (message,) = [m for m in collected if report_id in m]
        assert f"sp-reports reports get {report_id}" in message
        assert URL.search(message) is None, "a bearer link reached the subscriber"
    assert not pipeline.workflow.notifier.sts.created  # no link signed at all
    check_output_for_secrets(capsys)
    attack_results.record(
        "8-link-collection",
        attack="Link collection: an SQS queue subscribed to the notifications topic (a protocol the topic "
        "admits) collects every 'ready' outcome",
        cases=len(report_ids),
        outcome="0 presigned URLs received (email_download_links off by default): each message names the "
        "report, its S3 location and `sp-reports reports get <reportId>`",
        lost=pipeline.lost_reports(),
    )


@pytest.mark.parametrize("workflow_environment", [{"EMAIL_DOWNLOAD_LINKS": "true"}])
def test_with_emailed_links_on_a_subscriber_does_collect_the_link(report_pipeline):
    # What the default prevents: with the option on, every subscriber of the topic holds the bearer link.
    pipeline = report_pipeline
    queue_url = _subscribe_a_queue(pipeline.workflow.resources.topic_arn)
    report_id = pipeline.request_report()
    assert pipeline.run(report_id, "DONE", DOCUMENT)["status"] == "SUCCEEDED"
    (message,) = _collected(queue_url)
    assert "X-Amz-Signature=" in message
