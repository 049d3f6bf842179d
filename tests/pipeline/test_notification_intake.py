"""One queue message taken in, as the notifications_processor handler hands it over, against moto: a report
notification starts its workflow, what cannot ever succeed is dropped and counted, another application's
deauthorisation is dropped and ours erases the seller's token, and a failure worth retrying is raised."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from sp_reports.pipeline.notification_intake import NotificationIntake
from sp_reports.pipeline.notifications_processing import ReportNotificationProcessor
from sp_reports.pipeline.report_records import ReportRecords, ReportStatus
from sp_reports.pipeline.report_specifications import ReportSpecification
from sp_reports.pipeline.seller_erasure import SellerErasure
from sp_reports.pipeline.token_store import TokenStore
from tests.support.canaries import REFRESH_TOKEN, SELLER_ID, assert_no_secrets
from tests.support.notification_messages import notification

OURS = notification()["notificationMetadata"]["applicationId"]
ANOTHER_APPLICATION = "amzn1.sellerapps.app.0badc0de-0000-4000-8000-000000000000"
REPORT_ID = "54517018502"


class World:
    def __init__(self, resources, telemetry) -> None:
        dynamodb = boto3.client("dynamodb")
        self.records = ReportRecords(resources.reports_table, dynamodb)
        self.tokens = TokenStore(
            resources.tokens_table, resources.tokens_key_id, dynamodb, boto3.client("kms")
        )
        self.stepfunctions = boto3.client("stepfunctions")
        self.state_machine_arn = self.stepfunctions.create_state_machine(
            name="sp-reports-report-workflow",
            definition='{"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}',
            roleArn="arn:aws:iam::123456789012:role/sp-reports-workflow",
        )["stateMachineArn"]
        self.intake = NotificationIntake(
            processor=ReportNotificationProcessor(
                self.records,
                self.stepfunctions,
                self.state_machine_arn,
                process_unrequested=False,
                application_id=OURS,
            ),
            seller_erasure=SellerErasure(
                tokens_table=resources.tokens_table,
                reports_table=resources.reports_table,
                dynamodb_client=dynamodb,
            ),
            application_id=OURS,
            logger=telemetry.logger,
            metrics=telemetry.metrics,
        )

    def executions(self) -> list[str]:
        listed = self.stepfunctions.list_executions(stateMachineArn=self.state_machine_arn)["executions"]
        return [execution["name"] for execution in listed]


@pytest.fixture
def world(resources, telemetry) -> World:
    return World(resources, telemetry)


def _oauth_changed(application_id: str, change_type: str = "Deauthorization") -> str:
    return json.dumps(
        {
            "NotificationVersion": "1.0",
            "NotificationType": "APPLICATION_OAUTH_CHANGED",
            "PayloadVersion": "1.0",
            "EventTime": "2026-12-07T14:00:00.000Z",
            "Payload": {
                "ApplicationOAuthChanged": {
                    "SellerId": SELLER_ID,
                    "AuthorizationChange": {"ChangeType": change_type, "ChangeReason": "User request"},
                }
            },
            "NotificationMetadata": {
                "ApplicationId": application_id,
                "SubscriptionId": "7d78cc50-95c8-4641-add7-10af4b1fedc9",
                "PublishTime": "2026-12-07T14:00:01.000Z",
                "NotificationId": "0e999936-da2c-4f9c-9fc2-02b67bae5f4a",
            },
        }
    )


def test_a_requested_reports_notification_starts_its_workflow_logged_with_its_ids_and_counted(
    world, telemetry
):
    world.records.record_requested(
        REPORT_ID, ReportSpecification(SELLER_ID, "NA", "GET_MERCHANT_LISTINGS_ALL_DATA", ["ATVPDKIKX0DER"])
    )

    world.intake.take("message-1", json.dumps(notification(REPORT_ID)))

    assert world.executions() == [f"report-{REPORT_ID}"]
    assert world.records.get(REPORT_ID).status is ReportStatus.PROCESSING
    (started,) = [line for line in telemetry.lines() if line["message"].endswith("execution started")]
    assert (started["message_id"], started["report_id"], started["seller_id"]) == (
        "message-1",
        REPORT_ID,
        SELLER_ID,
    )
    assert telemetry.counts() == {"ExecutionsStarted": 1}


@pytest.mark.parametrize(
    ("body", "message", "metric"),
    [
        ("not json", "malformed notification dropped", "InvalidNotifications"),
        (
            json.dumps({**notification(), "notificationType": "ANY_OFFER_CHANGED"}),
            "notification of another type dropped",
            "UnsupportedNotifications",
        ),
    ],
)
def test_a_message_that_can_never_succeed_is_dropped_logged_without_its_body_and_counted(
    world, telemetry, body, message, metric
):
    world.intake.take("message-1", body)

    assert world.executions() == []
    (dropped,) = [line for line in telemetry.lines() if line["message"] == message]
    assert dropped["level"] == "WARNING" and body not in json.dumps(dropped)
    assert telemetry.counts() == {metric: 1}


def test_our_applications_deauthorisation_erases_the_sellers_token_and_anothers_is_dropped(world, telemetry):
    world.tokens.put(SELLER_ID, REFRESH_TOKEN)

    world.intake.take("message-1", _oauth_changed(ANOTHER_APPLICATION))
    assert list(world.tokens.sellers())  # another application's change touches nothing of ours

    world.intake.take("message-2", _oauth_changed(OURS))

    assert list(world.tokens.sellers()) == []
    assert telemetry.counts() == {"ForeignApplicationNotifications": 1, "SellersDeauthorized": 1}
    assert_no_secrets(telemetry.output.getvalue())


def test_a_failure_worth_retrying_is_logged_counted_and_raised(world, telemetry):
    def refuse(**_kwargs):
        from botocore.exceptions import ClientError

        raise ClientError(
            {"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "StartExecution"
        )

    world.stepfunctions.meta.events.register_first("before-call.states.StartExecution", refuse)
    world.records.record_requested(
        REPORT_ID, ReportSpecification(SELLER_ID, "NA", "GET_MERCHANT_LISTINGS_ALL_DATA", ["ATVPDKIKX0DER"])
    )

    with pytest.raises(ClientError, match="slow down"):
        world.intake.take("message-1", json.dumps(notification(REPORT_ID)))

    assert telemetry.counts() == {"NotificationFailures": 1}
    assert any(line["message"].endswith("it will be retried") for line in telemetry.lines())
