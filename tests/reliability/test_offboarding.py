"""Offboarding: what an erased or deauthorised seller leaves behind.

Two sellers authorise the app, subscribe and have a report stored each (the real handlers, the workflow in
moto's Step Functions, the SP-API emulator). The reports bucket is versioned, as Terraform makes it, and the
erased seller's document also has a noncurrent version and a delete marker; each seller has a pull plan with a
ledger entry and a stored window. DELETE /sellers/{sellerId} must leave no object version, delete marker,
record, request intent, token, sweep state, pull plan, ledger entry or SP-API subscription of that seller, and
change nothing of the other. A seller that removes the app in Seller Central
(APPLICATION_OAUTH_CHANGED, Deauthorization, as the emulator delivers it) loses its token and sweep state:
POST /reports for it is refused, and its stored reports stay until an operator erases it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3

from sp_reports.pipeline.pull_ledger import PullStore
from sp_reports.pipeline.pull_plans import PullPlan, plan_from_request
from sp_reports.pipeline.pull_windows import Window
from sp_reports.pipeline.report_records import ReportStatus
from sp_reports.pipeline.sweep_state import SweepState
from sp_reports.pipeline.token_store import TokenStore
from tests.support.aws_resources import PULL_PLANS_TABLE
from tests.support.canaries import SELLER_ID
from tests.support.reliability import DOCUMENT, api_events, check_output_for_secrets, scan_for_secrets

OTHER_SELLER = "A2OTHERSELLER0X"
OTHER_REFRESH_TOKEN = "Atzr|IwEBIOther-seller-refresh-token-0000000000"
PLANNED = datetime(2026, 12, 7, tzinfo=UTC)


def _pull_plan(seller_id: str) -> PullPlan:
    """The seller's daily plan (its id is a hash of this definition: the same in setup and in the checks)."""
    body = {
        "sellerId": seller_id,
        "marketplaceIds": ["ATVPDKIKX0DER"],
        "reportType": "GET_MERCHANT_LISTINGS_ALL_DATA",
        "cadence": "daily",
        "startDate": "2026-12-01",
    }
    return plan_from_request(body, now=PLANNED)


def _two_sellers_with_stored_reports(pipeline, load_handler, lambda_context) -> dict[str, str]:
    resources = pipeline.workflow.resources
    s3 = boto3.client("s3")
    s3.put_bucket_versioning(Bucket=resources.bucket, VersioningConfiguration={"Status": "Enabled"})
    pipeline.emulator.register_seller(OTHER_REFRESH_TOKEN, OTHER_SELLER)
    TokenStore(
        resources.tokens_table, resources.tokens_key_id, boto3.client("dynamodb"), boto3.client("kms")
    ).put(OTHER_SELLER, OTHER_REFRESH_TOKEN)
    subscriber = load_handler("notifications_subscriber")
    for notification_type in ("REPORT_PROCESSING_FINISHED", "APPLICATION_OAUTH_CHANGED"):
        for seller_id in (SELLER_ID, OTHER_SELLER):
            body = {"SellerId": seller_id, "RegionCode": "NA", "NotificationType": notification_type}
            answer = subscriber.handler(api_events.api_event("POST", "/notifications", body), lambda_context)
            assert answer["statusCode"] == 200, answer["body"]
    reports = {seller_id: pipeline.request_report(seller_id) for seller_id in (SELLER_ID, OTHER_SELLER)}
    for report_id in reports.values():
        assert pipeline.run(report_id, "DONE", DOCUMENT)["status"] == "SUCCEEDED"
    # The erased seller's document gets a noncurrent version and a delete marker too.
    key = pipeline.records.get(reports[SELLER_ID]).s3_key
    s3.put_object(Bucket=resources.bucket, Key=key, Body=b"a later version")
    s3.delete_object(Bucket=resources.bucket, Key=key)
    pulls = PullStore(PULL_PLANS_TABLE, boto3.client("dynamodb"))
    for seller_id in (SELLER_ID, OTHER_SELLER):
        plan = _pull_plan(seller_id)
        pulls.put_plan(plan)
        window = Window(PLANNED - timedelta(days=1), PLANNED, plan.marketplace_ids)
        pulls.claim(plan.plan_id, window, 1, now=PLANNED)
        window_key = f"plans/{seller_id}/{plan.report_type}/{window.start:%Y-%m-%d}_{window.end:%Y-%m-%d}"
        s3.put_object(Bucket=resources.bucket, Key=f"{window_key}/v001/report.tsv", Body=DOCUMENT)
    return reports


def _what_remains(pipeline, seller_id: str) -> dict[str, int]:
    resources = pipeline.workflow.resources
    dynamodb = boto3.client("dynamodb")
    items = dynamodb.scan(TableName=resources.reports_table)["Items"]
    listings = [
        boto3.client("s3").list_object_versions(Bucket=resources.bucket, Prefix=prefix)
        for prefix in (f"{seller_id}/", f"plans/{seller_id}/")
    ]
    versions = {
        kind: [v for listing in listings for v in listing.get(kind, [])]
        for kind in ("Versions", "DeleteMarkers")
    }
    plan_key = {":plan": {"S": f"plan#{_pull_plan(seller_id).plan_id}"}}
    pull_items = dynamodb.query(
        TableName=PULL_PLANS_TABLE, KeyConditionExpression="PK = :plan", ExpressionAttributeValues=plan_key
    )["Items"]
    token = dynamodb.get_item(TableName=resources.tokens_table, Key={"SellerId": {"S": seller_id}})
    with pipeline.emulator.app.state.lock:
        subscriptions = [
            s for s in pipeline.emulator.app.state.subscriptions.values() if s.seller_id == seller_id
        ]
    return {
        "object versions": len(versions.get("Versions", [])),
        "delete markers": len(versions.get("DeleteMarkers", [])),
        "items": sum(seller_id in json.dumps(item) for item in items),
        "pull plan items": len(pull_items),
        "token": int("Item" in token),
        "sweep state": int(SweepState(resources.reports_table, dynamodb).seller(seller_id) is not None),
        "report subscriptions": sum(
            s.notification_type == "REPORT_PROCESSING_FINISHED" for s in subscriptions
        ),
    }


def test_erasure_leaves_nothing_of_the_seller_and_the_other_seller_intact(
    report_pipeline, load_handler, lambda_context, capsys, attack_results
):
    pipeline = report_pipeline
    reports = _two_sellers_with_stored_reports(pipeline, load_handler, lambda_context)
    other_before = _what_remains(pipeline, OTHER_SELLER)
    assert _what_remains(pipeline, SELLER_ID) == {
        "object versions": 3,  # the report's two and the plan window's
        "delete markers": 1,
        "items": 3,  # the report record, the day's report budget and the sweep state
        "pull plan items": 2,  # the plan and its window's ledger entry
        "token": 1,
        "sweep state": 1,
        "report subscriptions": 1,
    }
    eraser = load_handler("seller_eraser")
    event = api_events.api_event("DELETE", f"/sellers/{SELLER_ID}", path_parameters={"sellerId": SELLER_ID})

    answer = eraser.handler(event, lambda_context)

    assert answer["statusCode"] == 200, answer["body"]
    scan_for_secrets(answer["body"], "API answers")
    erased = json.loads(answer["body"])
    assert "notErased" not in erased
    assert erased["erased"] == {
        "tokens": 1,
        "reportRecords": 1,
        "requestIntents": 0,
        "reportBudgets": 1,
        "sweepState": 1,
        "pullPlans": 1,
        "pullWindows": 1,
        "subscriptions": 1,
        "reportSchedules": 0,
        "objectVersions": 3,
        "deleteMarkers": 1,
    }
    assert set(_what_remains(pipeline, SELLER_ID).values()) == {0}
    assert _what_remains(pipeline, OTHER_SELLER) == other_before
    other = pipeline.records.get(reports[OTHER_SELLER])
    assert other.status is ReportStatus.DONE and other.s3_key in pipeline.stored_objects()
    # Asked again: nothing is left, and the answer says so with the same status.
    again = eraser.handler(event, lambda_context)
    assert again["statusCode"] == 200 and json.loads(again["body"])["nothingToErase"] is True
    check_output_for_secrets(capsys)
    attack_results.record(
        "9-erasure",
        attack="Erasure leaves nothing: DELETE /sellers/{sellerId} of one of two sellers with stored reports",
        cases=2,
        outcome=(
            "no object version, delete marker, record, budget, token, sweep state or subscription of the "
            "seller left; the other seller intact; asked again, nothing to erase"
        ),
        lost=pipeline.lost_reports() - 1,  # the erased seller's report is gone by request
    )


def test_a_deauthorization_stops_the_sellers_work_and_keeps_the_other_seller(
    report_pipeline, load_handler, lambda_context, capsys, attack_results
):
    pipeline = report_pipeline
    reports = _two_sellers_with_stored_reports(pipeline, load_handler, lambda_context)
    other_before = _what_remains(pipeline, OTHER_SELLER)
    ours = json.loads(pipeline.notification_bodies(reports[SELLER_ID])[0])["notificationMetadata"]
    processor = load_handler(
        "notifications_processor",
        STATE_MACHINE_ARN=pipeline.workflow.state_machine_arn,
        SPAPI_APPLICATION_ID=ours["applicationId"],
    )

    pipeline.emulator.deauthorize_seller(SELLER_ID)
    (deauthorization,) = [
        sent.body
        for sent in pipeline.emulator.sent_notifications
        if sent.message.get("NotificationType") == "APPLICATION_OAUTH_CHANGED"
    ]
    from tests.support.notification_messages import sqs_event

    assert processor.handler(sqs_event(deauthorization), lambda_context) == {"batchItemFailures": []}

    left = _what_remains(pipeline, SELLER_ID)
    assert (left["token"], left["sweep state"]) == (0, 0)
    # Stored reports and plan windows, and the plan with its ledger, stay until an operator erases the seller.
    assert (left["object versions"], left["pull plan items"]) == (3, 2)
    assert _what_remains(pipeline, OTHER_SELLER) == other_before
    body = {"SellerId": SELLER_ID, "RegionCode": "NA", "ReportType": "GET_MERCHANT_LISTINGS_ALL_DATA"}
    body["MarketplaceIds"] = ["ATVPDKIKX0DER"]
    requested_before = len(pipeline.emulator.reports)
    # A warm creator still holding the token in its cache hears LWA refuse it; a cold one finds none.
    warm = pipeline.creator.handler(api_events.api_event("POST", "/reports", body), lambda_context)
    assert warm["statusCode"] == 403, warm["body"]
    cold = load_handler("report_creator").handler(
        api_events.api_event("POST", "/reports", body), lambda_context
    )
    assert cold["statusCode"] == 404, cold["body"]
    assert len(pipeline.emulator.reports) == requested_before
    assert pipeline.request_report(OTHER_SELLER)  # the other seller goes on
    check_output_for_secrets(capsys)
    attack_results.record(
        "9-deauthorization",
        attack="Deauthorization: APPLICATION_OAUTH_CHANGED (Deauthorization) of one of two sellers",
        cases=1,
        outcome="the seller's token and sweep state erased, POST /reports for it refused; the other intact",
        lost=None,
    )
