"""The notifications processor: one execution per report; duplicates and strangers handled; retries."""

from __future__ import annotations

import json
import time

import boto3
import pytest

from sp_reports.pipeline.report_records import ReportRecords, ReportStatus
from sp_reports.pipeline.report_specifications import ReportSpecification
from sp_reports.pipeline.token_store import TokenBindings
from tests.support import notification_messages as messages
from tests.support.canaries import SELLER_ID, assert_no_secrets


@pytest.fixture
def records(resources):
    return ReportRecords(resources.reports_table, boto3.client("dynamodb"))


@pytest.fixture
def processor(load_handler, state_machine_arn):
    def load(process_unrequested: str = "false"):
        return load_handler(
            "notifications_processor",
            STATE_MACHINE_ARN=state_machine_arn,
            PROCESS_UNREQUESTED_REPORTS=process_unrequested,
        )

    return load


def _request(records, report_id="54517018502", seller_id=SELLER_ID):
    records.record_requested(
        report_id, ReportSpecification(seller_id, "NA", "GET_MERCHANT_LISTINGS_ALL_DATA", ["ATVPDKIKX0DER"])
    )


def _executions(state_machine_arn):
    client = boto3.client("stepfunctions")
    found = client.list_executions(stateMachineArn=state_machine_arn)["executions"]
    return [
        {
            "name": e["name"],
            "input": json.loads(client.describe_execution(executionArn=e["executionArn"])["input"]),
        }
        for e in found
    ]


def test_requested_report_starts_one_named_execution_and_moves_to_processing(
    processor, records, state_machine_arn, lambda_context, capsys
):
    _request(records)
    answer = processor().handler(messages.sqs_event(messages.notification()), lambda_context)
    assert answer == {"batchItemFailures": []}
    (execution,) = _executions(state_machine_arn)
    assert execution["name"] == "report-54517018502"
    assert execution["input"] == {
        "reportId": "54517018502",
        "sellerId": SELLER_ID,
        "accountId": f"amzn1.merchant.o.{SELLER_ID}",
        "regionCode": "NA",
        "reportType": "GET_MERCHANT_LISTINGS_ALL_DATA",
        "processingStatus": "DONE",
        "reportDocumentId": "amzn1.tortuga.3.edbcd0d8-3434-8222-1234-52ad8ade1208.REP4567URI9BMZ",
        # The recorded marketplaces: the storer reads a document without a charset in their default.
        "marketplaceIds": ["ATVPDKIKX0DER"],
    }
    record = records.get("54517018502")
    assert record.status is ReportStatus.PROCESSING and record.processing_status == "DONE"
    out = capsys.readouterr().out
    assert '"ExecutionsStarted"' in out
    assert_no_secrets(out)


def test_duplicate_deliveries_start_one_execution(
    processor, records, state_machine_arn, lambda_context, capsys
):
    _request(records)
    module = processor()
    duplicates = [messages.notification() for _ in range(3)]  # same report, distinct notification ids
    assert module.handler(messages.sqs_event(*duplicates), lambda_context) == {"batchItemFailures": []}
    assert module.handler(messages.sqs_event(messages.notification()), lambda_context) == {
        "batchItemFailures": []
    }
    assert len(_executions(state_machine_arn)) == 1


def _metric_counts(out: str) -> dict[str, float]:
    """Sum of each metric in the Embedded Metric Format documents Powertools printed."""
    counts: dict[str, float] = {}
    for line in out.splitlines():
        try:
            document = json.loads(line)
        except ValueError:
            continue
        if not isinstance(document, dict) or "_aws" not in document:
            continue
        for directive in document["_aws"]["CloudWatchMetrics"]:
            for metric in directive["Metrics"]:
                values = document[metric["Name"]]
                counts[metric["Name"]] = counts.get(metric["Name"], 0) + sum(
                    values if isinstance(values, list) else [values]
                )
    return counts


def _log_messages(out: str) -> list[str]:
    messages_logged = []
    for line in out.splitlines():
        try:
            document = json.loads(line)
        except ValueError:
            continue
        if isinstance(document, dict) and "message" in document:
            messages_logged.append(document["message"])
    return messages_logged


def test_a_duplicate_while_the_execution_runs_is_counted_as_such_not_as_a_start(
    processor, records, state_machine_arn, lambda_context, capsys
):
    # StartExecution with the name and input of a running execution returns it (StartExecution API
    # reference, idempotency): only a look at the execution tells the two apart.
    _request(records)
    module = processor()
    same = messages.notification()
    for _ in range(2):
        assert module.handler(messages.sqs_event(same), lambda_context) == {"batchItemFailures": []}
    assert module.handler(messages.sqs_event(messages.notification(), same), lambda_context) == {
        "batchItemFailures": []
    }
    assert len(_executions(state_machine_arn)) == 1
    out = capsys.readouterr().out
    counts = _metric_counts(out)
    assert counts.get("ExecutionsStarted") == 1
    assert counts.get("DuplicatesOfRunningExecutions") == 3
    logged = _log_messages(out)
    assert logged.count("notification processed: execution started") == 1
    assert logged.count("duplicate notification: the report's execution still runs") == 3


def test_a_duplicate_of_an_aborted_execution_has_its_failure_reported_once(
    processor, records, state_machine_arn, lambda_context, capsys
):
    # The execution name stays taken for 90 days: without this, every later delivery would be refused with
    # ExecutionAlreadyExists and the report would stay PROCESSING with nobody told.
    _request(records)
    module = processor()
    module.handler(messages.sqs_event(messages.notification()), lambda_context)
    sfn = boto3.client("stepfunctions")
    (first,) = sfn.list_executions(stateMachineArn=state_machine_arn)["executions"]
    sfn.stop_execution(executionArn=first["executionArn"], error="Operator", cause="stopped by hand")

    for _ in range(2):  # SP-API delivers again, twice
        assert module.handler(messages.sqs_event(messages.notification()), lambda_context) == {
            "batchItemFailures": []
        }

    executions = {e["name"]: e["input"] for e in _executions(state_machine_arn)}
    assert set(executions) == {"report-54517018502", "failure-report-54517018502"}
    reporting = executions["failure-report-54517018502"]
    assert reporting["reportId"] == "54517018502" and reporting["processingStatus"] == "DONE"
    assert reporting["error"]["Error"] == "WorkflowExecutionAborted"
    assert reporting["error"]["Cause"].startswith("the workflow execution report-54517018502 ended ABORTED")
    counts = _metric_counts(capsys.readouterr().out)
    assert counts.get("FailedExecutionsReported") == 1
    assert counts.get("DuplicatesOfRunningExecutions") == 1  # the second delivery finds the report running


def test_a_duplicate_of_a_succeeded_execution_starts_nothing(
    processor, records, state_machine_arn, lambda_context
):
    _request(records)
    module = processor()
    module.handler(messages.sqs_event(messages.notification()), lambda_context)
    backend_execution = _moto_execution(state_machine_arn)
    backend_execution.status = "SUCCEEDED"  # the workflow ran (these tests do not execute it)
    assert module.handler(messages.sqs_event(messages.notification()), lambda_context) == {
        "batchItemFailures": []
    }
    assert [e["name"] for e in _executions(state_machine_arn)] == ["report-54517018502"]


@pytest.mark.parametrize("status", ["FAILED", "TIMED_OUT", "ABORTED"])
def test_when_the_failure_report_itself_ended_badly_the_message_is_retried(
    processor, records, state_machine_arn, lambda_context, status
):
    _request(records)
    module = processor()
    module.handler(messages.sqs_event(messages.notification()), lambda_context)
    _moto_execution(state_machine_arn).status = status
    module.handler(messages.sqs_event(messages.notification()), lambda_context)
    _moto_execution(state_machine_arn, "failure-report-54517018502").status = status
    event = messages.sqs_event(messages.notification(), messages.notification("unrequested-1"))
    answer = module.handler(event, lambda_context)
    assert answer == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    assert records.get("54517018502").status is ReportStatus.PROCESSING


def _moto_execution(state_machine_arn: str, name: str = "report-54517018502"):
    from sp_reports_harness.local_aws.moto_internals import stepfunctions_backends

    backend = stepfunctions_backends["123456789012"]["us-east-1"]
    (execution,) = [e for e in backend.describe_state_machine(state_machine_arn).executions if e.name == name]
    return execution


def test_duplicate_with_a_different_body_after_the_first_is_still_one_execution(
    processor, records, state_machine_arn, lambda_context, capsys
):
    _request(records)
    module = processor()
    module.handler(messages.sqs_event(messages.notification()), lambda_context)
    changed = messages.notification(report_document_id="amzn1.tortuga.3.another-document")
    assert module.handler(messages.sqs_event(changed), lambda_context) == {"batchItemFailures": []}
    assert len(_executions(state_machine_arn)) == 1
    assert _metric_counts(capsys.readouterr().out).get("DuplicatesOfRunningExecutions") == 1


def test_notification_for_a_finished_report_starts_nothing(
    processor, records, state_machine_arn, lambda_context
):
    _request(records)
    records.mark_finished("54517018502", ReportStatus.DONE, notified=True)
    assert processor().handler(messages.sqs_event(messages.notification()), lambda_context) == {
        "batchItemFailures": []
    }
    assert _executions(state_machine_arn) == []
    assert records.get("54517018502").status is ReportStatus.DONE


def test_unrequested_report_is_recorded_and_skipped(
    processor, records, state_machine_arn, lambda_context, capsys
):
    answer = processor().handler(messages.sqs_event(messages.notification("777")), lambda_context)
    assert answer == {"batchItemFailures": []}
    assert _executions(state_machine_arn) == []
    record = records.get("777")
    assert record.status is ReportStatus.SKIPPED and not record.requested
    assert record.seller_id == SELLER_ID and record.processing_status == "DONE"
    assert '"UnrequestedReportsSkipped"' in capsys.readouterr().out


def test_unrequested_report_is_processed_when_configured(
    processor, records, state_machine_arn, lambda_context
):
    answer = processor("true").handler(messages.sqs_event(messages.notification("778")), lambda_context)
    assert answer == {"batchItemFailures": []}
    (execution,) = _executions(state_machine_arn)
    assert execution["input"]["sellerId"] == SELLER_ID and execution["input"]["regionCode"] is None
    record = records.get("778")
    assert record.status is ReportStatus.PROCESSING and not record.requested


def test_vendor_report_without_seller_id_is_processed_for_the_account(
    processor, records, state_machine_arn, lambda_context
):
    vendor = messages.notification("779", seller_id=None, account_id="amzn1.vg.6213651")
    vendor["payload"]["reportProcessingFinishedNotification"]["sellerId"] = None
    assert processor("true").handler(messages.sqs_event(vendor), lambda_context) == {"batchItemFailures": []}
    (execution,) = _executions(state_machine_arn)
    assert execution["input"]["sellerId"] == "amzn1.vg.6213651"
    assert execution["input"]["accountId"] == "amzn1.vg.6213651"
    assert records.get("779").account_id == "amzn1.vg.6213651"


@pytest.mark.parametrize("status", ["FATAL", "CANCELLED"])
def test_fatal_and_cancelled_reports_start_their_execution(
    processor, records, state_machine_arn, lambda_context, status
):
    _request(records)
    event = messages.sqs_event(messages.notification(processing_status=status, report_document_id=None))
    assert processor().handler(event, lambda_context) == {"batchItemFailures": []}
    (execution,) = _executions(state_machine_arn)
    assert execution["input"]["processingStatus"] == status
    assert "reportDocumentId" not in execution["input"]


def test_malformed_and_foreign_messages_are_dropped_counted_and_never_logged(
    processor, records, state_machine_arn, lambda_context, capsys
):
    _request(records)
    foreign = messages.replaced(messages.notification(), "ANY_OFFER_CHANGED", "notificationType")
    broken = messages.replaced(messages.notification(), "Atzr|CANARY-leaked-into-a-message", "payload")
    event = messages.sqs_event("{not json Atzr|CANARY-raw", foreign, broken, messages.notification())
    assert processor().handler(event, lambda_context) == {"batchItemFailures": []}
    assert len(_executions(state_machine_arn)) == 1
    out = capsys.readouterr().out
    assert out.count('"InvalidNotifications"') >= 1 and '"UnsupportedNotifications"' in out
    assert_no_secrets(out)


@pytest.mark.parametrize(
    ("field", "value"), [("reportId", ".."), ("reportType", "."), ("sellerId", "A/B"), ("reportId", "1\n")]
)
def test_a_message_with_an_id_unsafe_for_keys_is_dropped_and_counted_not_retried(
    processor, records, state_machine_arn, lambda_context, capsys, field, value
):
    _request(records)
    unsafe = messages.replaced(
        messages.notification(), value, "payload", "reportProcessingFinishedNotification", field
    )
    event = messages.sqs_event(unsafe)
    assert processor().handler(event, lambda_context) == {"batchItemFailures": []}
    assert _executions(state_machine_arn) == []
    assert '"InvalidNotifications"' in capsys.readouterr().out


def test_a_failing_message_alone_is_returned_for_retry(processor, records, resources, lambda_context, capsys):
    _request(records)
    module = processor()
    module.notification_processor._state_machine_arn = (
        "arn:aws:states:us-east-1:123456789012:stateMachine:does-not-exist"
    )
    event = messages.sqs_event(messages.notification(), messages.notification("unrequested-1"))
    answer = module.handler(event, lambda_context)
    assert answer == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    # Recorded as PROCESSING: the retry finds it there and starts the execution then.
    assert records.get("54517018502").status is ReportStatus.PROCESSING
    assert '"NotificationFailures"' in capsys.readouterr().out


def test_missing_configuration_fails_the_cold_start_with_a_clear_message(load_handler, monkeypatch):
    from sp_reports.spapi.errors import ConfigurationError

    monkeypatch.delenv("STATE_MACHINE_ARN")
    with pytest.raises(ConfigurationError, match="STATE_MACHINE_ARN"):
        load_handler("notifications_processor")


def test_malformed_flag_fails_the_cold_start(load_handler, state_machine_arn):
    from sp_reports.spapi.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="PROCESS_UNREQUESTED_REPORTS"):
        load_handler(
            "notifications_processor",
            STATE_MACHINE_ARN=state_machine_arn,
            PROCESS_UNREQUESTED_REPORTS="maybe",
        )


OUR_APPLICATION = "amzn1.sellerapps.app.aacccfff-4455-4b7c-4422-664ecacdd336"  # notification_messages'


def test_a_configured_application_id_drops_other_applications_notifications_before_any_write(
    load_handler, records, state_machine_arn, lambda_context, capsys
):
    module = load_handler(
        "notifications_processor",
        STATE_MACHINE_ARN=state_machine_arn,
        PROCESS_UNREQUESTED_REPORTS="true",
        SPAPI_APPLICATION_ID=OUR_APPLICATION,
    )
    _request(records)
    requested = records.get("54517018502")
    foreign = messages.replaced(
        messages.notification(),
        "amzn1.sellerapps.app.0badc0de-0000-4000-8000-000000000000",
        "notificationMetadata",
        "applicationId",
    )
    unrequested = messages.replaced(
        messages.notification("777"),
        "amzn1.sellerapps.app.0badc0de-0000-4000-8000-000000000000",
        "notificationMetadata",
        "applicationId",
    )

    assert module.handler(messages.sqs_event(foreign, unrequested), lambda_context) == {
        "batchItemFailures": []
    }

    assert _executions(state_machine_arn) == []
    assert records.get("54517018502") == requested and records.get("777") is None
    out = capsys.readouterr().out
    assert _metric_counts(out)["ForeignApplicationNotifications"] == 2
    assert "notification of another SP-API application dropped" in _log_messages(out)
    assert_no_secrets(out)
    # Ours still starts its execution.
    assert module.handler(messages.sqs_event(messages.notification()), lambda_context) == {
        "batchItemFailures": []
    }
    assert len(_executions(state_machine_arn)) == 1


def test_without_an_application_id_any_application_is_accepted_and_the_cold_start_warns(
    processor, records, state_machine_arn, lambda_context, capsys
):
    module = processor()
    assert "SPAPI_APPLICATION_ID is not set" in capsys.readouterr().out
    _request(records)
    foreign = messages.replaced(
        messages.notification(),
        "amzn1.sellerapps.app.0badc0de-0000-4000-8000-000000000000",
        "notificationMetadata",
        "applicationId",
    )

    assert module.handler(messages.sqs_event(foreign), lambda_context) == {"batchItemFailures": []}
    assert len(_executions(state_machine_arn)) == 1


def test_a_notification_naming_another_seller_quarantines_the_report(
    processor, records, state_machine_arn, lambda_context, capsys
):
    _request(records)
    other = messages.notification(seller_id="A2OTHERSELLER0X")

    assert processor().handler(messages.sqs_event(other), lambda_context) == {"batchItemFailures": []}

    assert _executions(state_machine_arn) == []
    record = records.get("54517018502")
    assert record.status is ReportStatus.FAILED and record.failure_reason.startswith("seller mismatch")
    assert _metric_counts(capsys.readouterr().out)["SellerMismatchesQuarantined"] == 1


RESTRICTED = "GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING"  # restricted (PII) in the catalogue


def test_an_unrequested_restricted_report_is_left_alone_unless_the_deployment_allows_them(
    load_handler, records, state_machine_arn, lambda_context
):
    def processor_with(**environment):
        return load_handler(
            "notifications_processor",
            STATE_MACHINE_ARN=state_machine_arn,
            PROCESS_UNREQUESTED_REPORTS="true",
            **environment,
        )

    unrequested = messages.notification("888", report_type=RESTRICTED)
    assert processor_with().handler(messages.sqs_event(unrequested), lambda_context) == {
        "batchItemFailures": []
    }
    assert _executions(state_machine_arn) == []
    assert records.get("888").status is ReportStatus.SKIPPED

    allowed = messages.notification("889", report_type=RESTRICTED)
    module = processor_with(ALLOW_RESTRICTED_REPORT_TYPES="true")
    assert module.handler(messages.sqs_event(allowed), lambda_context) == {"batchItemFailures": []}
    assert [e["name"] for e in _executions(state_machine_arn)] == ["report-889"]


def _request_later(resources, seconds: float, report_id: str = "54517018502", seller_id: str = SELLER_ID):
    """Record a request made `seconds` after now (long enough after the token was stored, or not)."""
    later = ReportRecords(
        resources.reports_table, boto3.client("dynamodb"), clock=lambda: time.time() + seconds
    )
    _request(later, report_id, seller_id)


def test_a_notification_of_a_requested_report_binds_the_sellers_token(
    processor, resources, stored_seller, lambda_context, capsys
):
    bindings = TokenBindings(resources.tokens_table, boto3.client("dynamodb"))
    assert bindings.is_bound(stored_seller) is False  # stored by POST /tokens, on the caller's word
    _request_later(resources, 16 * 60)

    processor().handler(messages.sqs_event(messages.notification()), lambda_context)

    assert bindings.is_bound(stored_seller) is True
    assert _metric_counts(capsys.readouterr().out)["TokensBound"] == 1


def test_a_report_requested_while_the_replaced_token_may_still_be_cached_binds_nothing(
    processor, resources, stored_seller, lambda_context
):
    _request_later(resources, 60)

    processor().handler(messages.sqs_event(messages.notification()), lambda_context)

    assert TokenBindings(resources.tokens_table, boto3.client("dynamodb")).is_bound(stored_seller) is False


def test_unrequested_reports_and_mismatched_sellers_bind_nothing(
    processor, resources, stored_seller, lambda_context
):
    bindings = TokenBindings(resources.tokens_table, boto3.client("dynamodb"))
    processor("true").handler(messages.sqs_event(messages.notification()), lambda_context)
    assert bindings.is_bound(stored_seller) is False

    _request_later(resources, 16 * 60, report_id="54517018503", seller_id=stored_seller)
    other = messages.notification(seller_id="A2OTHERSELLER0X", report_id="54517018503")
    processor().handler(messages.sqs_event(other), lambda_context)

    assert bindings.is_bound(stored_seller) is False


# -- APPLICATION_OAUTH_CHANGED ---------------------------------------------------------------------------


def _oauth_changed(change_type="Deauthorization", application_id=None, partner_field="SellerId"):
    return {
        "NotificationVersion": "1.0",
        "NotificationType": "APPLICATION_OAUTH_CHANGED",
        "PayloadVersion": "1.0",
        "EventTime": "2026-12-07T14:00:00.000Z",
        "Payload": {
            "ApplicationOAuthChanged": {
                partner_field: SELLER_ID,
                "AuthorizationChange": {"ChangeType": change_type, "ChangeReason": "User request"},
            }
        },
        "NotificationMetadata": {
            "ApplicationId": application_id
            or messages.notification()["notificationMetadata"]["applicationId"],
            "SubscriptionId": "7d78cc50-95c8-4641-add7-10af4b1fedc9",
            "PublishTime": "2026-12-07T14:00:01.000Z",
            "NotificationId": "0e999936-da2c-4f9c-9fc2-02b67bae5f4a",
        },
    }


@pytest.fixture
def deauthorizable(resources, records, stored_seller):
    from sp_reports.pipeline.sweep_state import SweepState

    _request(records)
    SweepState(resources.reports_table, boto3.client("dynamodb")).note_request(
        SELLER_ID, "NA", "GET_MERCHANT_LISTINGS_ALL_DATA"
    )
    return resources


def _seller_state(resources):
    from sp_reports.pipeline.sweep_state import SweepState

    dynamodb = boto3.client("dynamodb")
    token = dynamodb.get_item(TableName=resources.tokens_table, Key={"SellerId": {"S": SELLER_ID}})
    return "Item" in token, SweepState(resources.reports_table, dynamodb).seller(SELLER_ID) is not None


@pytest.mark.parametrize("partner_field", ["SellerId", "SellingPartnerId"])
def test_a_deauthorization_erases_the_token_and_the_sweep_state(
    processor, deauthorizable, records, lambda_context, capsys, partner_field
):
    event = messages.sqs_event(_oauth_changed(partner_field=partner_field))
    assert processor().handler(event, lambda_context) == {"batchItemFailures": []}
    assert _seller_state(deauthorizable) == (False, False)
    assert records.get("54517018502") is not None  # records stay until an operator erases the seller
    out = capsys.readouterr().out
    assert '"SellersDeauthorized"' in out
    assert_no_secrets(out)
    # A duplicate delivery finds nothing left and succeeds.
    assert processor().handler(event, lambda_context) == {"batchItemFailures": []}


def test_an_authorization_changes_nothing(processor, deauthorizable, lambda_context):
    event = messages.sqs_event(_oauth_changed("Authorization"))
    assert processor().handler(event, lambda_context) == {"batchItemFailures": []}
    assert _seller_state(deauthorizable) == (True, True)


def test_another_applications_deauthorization_is_dropped(
    load_handler, state_machine_arn, deauthorizable, lambda_context, capsys
):
    ours = messages.notification()["notificationMetadata"]["applicationId"]
    module = load_handler(
        "notifications_processor", STATE_MACHINE_ARN=state_machine_arn, SPAPI_APPLICATION_ID=ours
    )
    other = "amzn1.sellerapps.app.0badc0de-0000-4000-8000-000000000000"
    event = messages.sqs_event(_oauth_changed(application_id=other))
    assert module.handler(event, lambda_context) == {"batchItemFailures": []}
    assert _seller_state(deauthorizable) == (True, True)
    assert '"ForeignApplicationNotifications"' in capsys.readouterr().out


@pytest.mark.parametrize(
    ("path", "value", "reason"),
    [
        (("Payload", "ApplicationOAuthChanged", "SellerId"), None, "SellerId: is required"),
        (("Payload", "ApplicationOAuthChanged", "SellerId"), "a/../b", "SellerId: expected 8-20"),
        (
            ("Payload", "ApplicationOAuthChanged", "AuthorizationChange", "ChangeType"),
            "Revoked",
            "ChangeType",
        ),
        (("Payload", "ApplicationOAuthChanged", "AuthorizationChange"), "x", "AuthorizationChange: must be"),
        (("NotificationMetadata", "ApplicationId"), 7, "ApplicationId: must be"),
    ],
)
def test_a_malformed_authorization_change_is_dropped_naming_its_path(
    processor, deauthorizable, lambda_context, capsys, path, value, reason
):
    message = messages.replaced(_oauth_changed(), value, *path)
    assert processor().handler(messages.sqs_event(message), lambda_context) == {"batchItemFailures": []}
    assert _seller_state(deauthorizable) == (True, True)
    out = capsys.readouterr().out
    assert "malformed notification dropped" in out and reason in out
