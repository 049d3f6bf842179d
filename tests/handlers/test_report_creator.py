"""POST /reports: validated, created at SP-API, recorded; SP-API's failures become honest statuses."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from sp_reports.pipeline.report_records import ReportRecords, ReportStatus
from tests.support import api_events
from tests.support import notification_messages as messages
from tests.support.canaries import SELLER_ID, assert_no_secrets

VALID = {
    "SellerId": SELLER_ID,
    "RegionCode": "EU",
    "ReportType": "GET_MERCHANT_LISTINGS_ALL_DATA",
    "MarketplaceIds": "A1F83G8C2ARO7P",
    "ReportDataStartTime": "2024-05-01T00:00:00Z",
    "ReportDataEndTime": "2024-05-02T00:00:00Z",
    "ReportOptions": '{"custom": "true"}',
}


@pytest.fixture
def report_creator(spapi_emulator, load_handler, stored_seller, fast_spapi_retries):
    module = load_handler("report_creator")
    fast_spapi_retries(module, "EU", read_timeout=0.3)
    return module


def _post(module, body, context):
    return module.handler(api_events.api_event("POST", "/reports", body), context)


def _record(resources, report_id):
    return ReportRecords(resources.reports_table, boto3.client("dynamodb")).get(report_id)


def _create_report_calls(emulator):
    return [
        e
        for e in emulator.exchanges
        if e.kind == "spapi" and e.method == "POST" and e.path.endswith("/reports")
    ]


def test_seed_request_creates_the_report_and_records_it_as_requested(
    report_creator, resources, spapi_emulator, lambda_context, capsys
):
    response = _post(report_creator, VALID, lambda_context)
    assert response["statusCode"] == 202
    report_id = api_events.answer_body(response)["reportId"]
    (call,) = _create_report_calls(spapi_emulator)
    assert json.loads(call.request_body) == {
        "reportType": "GET_MERCHANT_LISTINGS_ALL_DATA",
        "marketplaceIds": ["A1F83G8C2ARO7P"],
        "dataStartTime": "2024-05-01T00:00:00Z",
        "dataEndTime": "2024-05-02T00:00:00Z",
        "reportOptions": {"custom": "true"},
    }
    record = _record(resources, report_id)
    assert record.status is ReportStatus.REQUESTED and record.requested
    assert (record.seller_id, record.region_code, record.report_type) == (
        SELLER_ID,
        "EU",
        "GET_MERCHANT_LISTINGS_ALL_DATA",
    )
    assert record.marketplace_ids == ("A1F83G8C2ARO7P",)
    assert record.report_options == {"custom": "true"}
    assert (record.data_start_time, record.data_end_time) == ("2024-05-01T00:00:00Z", "2024-05-02T00:00:00Z")
    assert record.expires_at is not None  # REPORT_RECORD_TTL_DAYS applies
    assert_no_secrets(response["body"] + capsys.readouterr().out)


def test_natural_json_forms_are_accepted(report_creator, resources, spapi_emulator, lambda_context):
    body = {
        **VALID,
        # several marketplaces in one report: a type that is not single-marketplace
        "ReportType": "GET_MERCHANT_LISTINGS_DATA",
        "MarketplaceIds": ["A1F83G8C2ARO7P", "A1PA6795UKMFR9", "A1F83G8C2ARO7P"],
        "ReportOptions": {"custom": "true"},
        "ReportDataStartTime": "2024-05-01T02:00:00+02:00",
        "ReportDataEndTime": None,
    }
    response = _post(report_creator, body, lambda_context)
    assert response["statusCode"] == 202
    (call,) = _create_report_calls(spapi_emulator)
    sent = json.loads(call.request_body)
    assert sent["marketplaceIds"] == ["A1F83G8C2ARO7P", "A1PA6795UKMFR9"]
    assert sent["dataStartTime"] == "2024-05-01T00:00:00Z"
    assert "dataEndTime" not in sent


@pytest.mark.parametrize(
    "marketplace",
    # EU marketplaces on developer-docs "marketplace-ids" that an older copy of the list refused with a 400.
    ["AMEN7PMS3EDWL", "A28R8C7NBKEWEA", "A17E79C6D8DWNP", "AE08WJ6YKNBMC"],
    ids=["Belgium", "Ireland", "Saudi Arabia", "South Africa"],
)
def test_every_eu_marketplace_on_amazons_page_can_be_requested(
    report_creator, spapi_emulator, lambda_context, marketplace
):
    response = _post(report_creator, {**VALID, "MarketplaceIds": [marketplace]}, lambda_context)
    assert response["statusCode"] == 202, response["body"]
    (call,) = _create_report_calls(spapi_emulator)
    assert json.loads(call.request_body)["marketplaceIds"] == [marketplace]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"SellerId": None}, "SellerId"),
        ({"SellerId": "lower-case"}, "SellerId"),
        ({"RegionCode": "US"}, "RegionCode"),
        ({"RegionCode": None}, "RegionCode"),
        ({"ReportType": None}, "ReportType"),
        ({"ReportType": "get merchant listings"}, "ReportType"),
        # Segments of the report's S3 key: no path steps, separators or line breaks
        # (sp_reports.spapi.report_ids).
        ({"ReportType": ".."}, "ReportType"),
        ({"ReportType": "GET_A/../B"}, "ReportType"),
        ({"ReportType": "GET_MERCHANT\nLISTINGS"}, "ReportType"),
        ({"SellerId": ".."}, "SellerId"),
        ({"SellerId": "A3TH9S8BH6GOGM/.."}, "SellerId"),
        ({"SellerId": "A3TH9S8BH6\nGOGM"}, "SellerId"),
        ({"MarketplaceIds": [".."]}, "MarketplaceIds"),
        ({"MarketplaceIds": ["A1F83G8C2ARO7P/.."]}, "MarketplaceIds"),
        ({"MarketplaceIds": ""}, "MarketplaceIds"),
        ({"MarketplaceIds": []}, "MarketplaceIds"),
        ({"MarketplaceIds": "ATVPDKIKX0DER"}, "MarketplaceIds"),  # a US marketplace in an EU request
        ({"MarketplaceIds": "NOTAMARKETPLACE"}, "MarketplaceIds"),
        ({"MarketplaceIds": [1, 2]}, "MarketplaceIds"),
        ({"MarketplaceIds": {"UK": "A1F83G8C2ARO7P"}}, "MarketplaceIds"),
        ({"MarketplaceIds": ",".join(f"A{n:013d}" for n in range(26))}, "MarketplaceIds"),
        ({"ReportDataStartTime": "yesterday"}, "ReportDataStartTime"),
        ({"ReportDataEndTime": "2024-13-01T00:00:00Z"}, "ReportDataEndTime"),
        ({"ReportDataStartTime": "2024-05-03T00:00:00Z"}, "ReportDataEndTime"),  # start after end
        ({"ReportOptions": "{not json"}, "ReportOptions"),
        ({"ReportOptions": "[1]"}, "ReportOptions"),
        ({"ReportOptions": {"nested": {"a": "b"}}}, "ReportOptions"),
    ],
)
def test_invalid_request_is_refused_with_400_naming_the_field_and_nothing_is_created(
    report_creator, resources, spapi_emulator, lambda_context, change, field
):
    response = _post(report_creator, {**VALID, **change}, lambda_context)
    assert response["statusCode"] == 400, response["body"]
    error = api_events.answer_body(response)["error"]
    assert error["code"] == "ValidationError"
    assert error["message"].startswith(f"{field}:"), error["message"]
    assert _create_report_calls(spapi_emulator) == []
    assert boto3.client("dynamodb").scan(TableName=resources.reports_table)["Count"] == 0


def test_unknown_seller_is_a_404(spapi_emulator, load_handler, resources, lambda_context):
    module = load_handler("report_creator")
    response = _post(module, VALID, lambda_context)
    assert response["statusCode"] == 404
    assert api_events.answer_body(response)["error"]["code"] == "SellerNotFound"


def test_revoked_seller_authorisation_is_a_403(report_creator, spapi_emulator, lambda_context):
    from tests.support.canaries import REFRESH_TOKEN

    spapi_emulator.revoke(REFRESH_TOKEN)
    response = _post(report_creator, VALID, lambda_context)
    assert response["statusCode"] == 403
    assert api_events.answer_body(response)["error"]["code"] == "SellerAuthorizationRevoked"


def _store_app_secret(resources, secret: str) -> None:
    from tests.support.canaries import CLIENT_ID

    boto3.client("secretsmanager").put_secret_value(
        SecretId=resources.lwa_secret_arn,
        SecretString=json.dumps({"client_id": CLIENT_ID, "client_secret": secret}),
    )


def test_a_rotated_secret_sp_api_reports_expired_is_re_read_and_the_report_created(
    report_creator, resources, spapi_emulator, lambda_context
):
    from tests.support.canaries import CLIENT_ID, CLIENT_SECRET

    assert _post(report_creator, VALID, lambda_context)["statusCode"] == 202  # warm: secret and token cached
    spapi_emulator.rotate_client_secret(CLIENT_ID, "CANARY-CLIENT-SECRET-rotated")
    _store_app_secret(resources, "CANARY-CLIENT-SECRET-rotated")
    # selling-partner-api-models#4489: SP-API refuses tokens of the expired secret, LWA may still issue them.
    spapi_emulator.expire_client_secret(CLIENT_ID, CLIENT_SECRET, signals=("spapi",))

    response = _post(report_creator, VALID, lambda_context)

    assert response["statusCode"] == 202, response["body"]
    assert [e.status for e in _create_report_calls(spapi_emulator)] == [202, 403, 202]


def test_an_expired_stored_secret_is_a_500_that_says_what_to_do(
    report_creator, spapi_emulator, lambda_context, capsys
):
    from tests.support.canaries import CLIENT_ID, CLIENT_SECRET

    assert _post(report_creator, VALID, lambda_context)["statusCode"] == 202
    spapi_emulator.expire_client_secret(CLIENT_ID, CLIENT_SECRET, signals=("spapi",))

    response = _post(report_creator, VALID, lambda_context)

    assert response["statusCode"] == 500
    error = api_events.answer_body(response)["error"]
    assert error["code"] == "ApplicationCredentialsExpired"
    assert "store the application's current client secret" in error["message"]
    assert_no_secrets(response["body"] + capsys.readouterr().out)


def test_throttling_that_outlasts_the_retries_is_a_429_with_retry_after(
    report_creator, resources, spapi_emulator, lambda_context
):
    spapi_emulator.inject("createReport", 429, times=None)
    response = _post(report_creator, VALID, lambda_context)
    assert response["statusCode"] == 429
    # createReport refills one call a minute (0.0167/s): no retry fits the function's 20 s, so it says when.
    assert int(response["headers"]["Retry-After"]) == 60
    assert api_events.answer_body(response)["error"]["code"] == "Throttled"
    assert len(_create_report_calls(spapi_emulator)) == 1
    # No record, and the seller's daily budget got its report back (SP-API made none).
    assert boto3.client("dynamodb").scan(TableName=resources.reports_table)["Count"] == 0


@pytest.mark.allow_contract_violations
@pytest.mark.parametrize(
    ("spapi_status", "api_status"), [(400, 400), (401, 403), (403, 403), (404, 404), (415, 400)]
)
def test_spapi_client_errors_keep_their_meaning_and_message(
    report_creator, spapi_emulator, lambda_context, spapi_status, api_status
):
    spapi_emulator.inject("createReport", spapi_status, times=None)
    response = _post(report_creator, VALID, lambda_context)
    assert response["statusCode"] == api_status
    message = api_events.answer_body(response)["error"]["message"]
    if spapi_status == 400:  # a refused report also names what was asked for
        assert message.startswith(
            "SP-API refused report type GET_MERCHANT_LISTINGS_ALL_DATA for marketplace(s)"
        )
    assert f"SP-API answered {spapi_status}" in message
    assert "Traceback" not in response["body"]


def test_a_marketplace_the_seller_does_not_sell_in_is_a_400_naming_it(
    report_creator, resources, spapi_emulator, lambda_context
):
    from tests.support.canaries import REFRESH_TOKEN

    # The seller sells in the UK only; SP-API's refusal names no marketplace (models#1021).
    spapi_emulator.register_seller(REFRESH_TOKEN, SELLER_ID, marketplaces=["A1F83G8C2ARO7P"])
    response = _post(report_creator, {**VALID, "MarketplaceIds": ["A1PA6795UKMFR9"]}, lambda_context)
    assert response["statusCode"] == 400, response["body"]
    error = api_events.answer_body(response)["error"]
    assert error["code"] == "ReportRequestRefused"
    assert "A1PA6795UKMFR9" in error["message"] and "GET_MERCHANT_LISTINGS_ALL_DATA" in error["message"]
    assert "could not be applied to any marketplaces" in error["message"]
    assert boto3.client("dynamodb").scan(TableName=resources.reports_table)["Count"] == 0


def test_a_report_type_sp_api_refuses_is_a_400_naming_it(report_creator, spapi_emulator, lambda_context):
    # A type the catalogue does not know reaches SP-API; SP-API's refusal (as it refused settlement) is named.
    spapi_emulator.refuse_report_type(
        "GET_SOME_NEW_REPORT_TYPE", "Request for report type 1118 is not allowed at this time"
    )
    body = {**VALID, "ReportType": "GET_SOME_NEW_REPORT_TYPE"}
    response = _post(report_creator, body, lambda_context)
    assert response["statusCode"] == 400, response["body"]
    error = api_events.answer_body(response)["error"]
    assert error["code"] == "ReportRequestRefused"
    # SP-API says "report type 1118" (selling-partner-api-models#1265); the caller reads the name it sent.
    assert "GET_SOME_NEW_REPORT_TYPE" in error["message"] and "1118" in error["message"]


def test_spapi_server_errors_after_retries_are_a_502(report_creator, spapi_emulator, lambda_context):
    spapi_emulator.inject("createReport", 503, times=None)
    response = _post(report_creator, VALID, lambda_context)
    assert response["statusCode"] == 502
    assert api_events.answer_body(response)["error"]["code"] == "SpApiUnavailable"


def test_spapi_timeouts_after_retries_are_a_504(report_creator, spapi_emulator, lambda_context, capsys):
    spapi_emulator.delay("createReport", 1.0, times=None)
    response = _post(report_creator, VALID, lambda_context)
    assert response["statusCode"] == 504
    assert api_events.answer_body(response)["error"]["code"] == "SpApiTimeout"
    assert_no_secrets(response["body"] + capsys.readouterr().out)


def test_transient_server_error_is_retried_and_the_report_is_created(
    report_creator, resources, spapi_emulator, lambda_context
):
    spapi_emulator.inject("createReport", 500, times=1)
    response = _post(report_creator, VALID, lambda_context)
    assert response["statusCode"] == 202
    assert _record(resources, api_events.answer_body(response)["reportId"]) is not None


def test_a_record_write_failing_after_create_report_loses_no_report(
    report_creator, resources, spapi_emulator, load_handler, state_machine_arn, lambda_context, capsys, caplog
):
    """DynamoDB refuses the record write after SP-API accepted the report: the caller still gets the report
    id, and when SP-API announces the report, the processor starts its workflow as a requested report."""

    def throttled(**kwargs):
        raise ClientError(
            {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "throttled"}}, "PutItem"
        )

    report_creator.dynamodb.meta.events.register_first("before-call.dynamodb.PutItem", throttled)

    response = _post(report_creator, VALID, lambda_context)

    assert response["statusCode"] == 202  # a 5xx would make the caller create a second report
    report_id = api_events.answer_body(response)["reportId"]
    assert len(_create_report_calls(spapi_emulator)) == 1
    assert _record(resources, report_id) is None
    out = capsys.readouterr().out
    assert '"ReportRecordsDeferred"' in out  # the metric an alarm can watch
    assert "accepted by SP-API but not recorded" in caplog.text
    assert_no_secrets(response["body"] + out + caplog.text)

    processor = load_handler("notifications_processor", STATE_MACHINE_ARN=state_machine_arn)
    notification = messages.notification(report_id, report_type=VALID["ReportType"])
    assert processor.handler(messages.sqs_event(notification), lambda_context) == {"batchItemFailures": []}

    record = _record(resources, report_id)
    assert record.requested and record.status is ReportStatus.PROCESSING  # not SKIPPED
    assert (record.seller_id, record.region_code) == (SELLER_ID, "EU")
    assert record.marketplace_ids == ("A1F83G8C2ARO7P",)
    sfn = boto3.client("stepfunctions")
    (execution,) = sfn.list_executions(stateMachineArn=state_machine_arn)["executions"]
    started = json.loads(sfn.describe_execution(executionArn=execution["executionArn"])["input"])
    assert (started["reportId"], started["regionCode"]) == (report_id, "EU")


def test_a_requested_report_type_is_noted_for_the_sweep_and_a_refused_one_is_not(
    report_creator, resources, spapi_emulator, lambda_context
):
    from sp_reports.pipeline.sweep_state import SweepState

    state = SweepState(resources.reports_table, boto3.client("dynamodb"))
    spapi_emulator.inject("createReport", 400, times=1)
    assert _post(report_creator, VALID, lambda_context)["statusCode"] == 400
    assert state.seller(SELLER_ID) is None

    assert _post(report_creator, VALID, lambda_context)["statusCode"] == 202
    (region,) = state.seller(SELLER_ID).regions.values()
    assert region.region_code == "EU" and set(region.report_types) == {"GET_MERCHANT_LISTINGS_ALL_DATA"}
    (call,) = [c for c in _create_report_calls(spapi_emulator) if c.status == 202]
    created = json.loads(call.response_body)  # the sweep's first watermark lies before the report
    assert created["reportId"] and region.since < spapi_emulator.app.now()
