"""REPORT_PROCESSING_FINISHED: built in the documented camelCase shape, valid, sent only to subscribers."""

from __future__ import annotations

import time

import pytest

from spapi_emulator import ModelContract, SpApiEmulator
from tests.support.emulator_api import SQS_ARN, Api, seller_token


@pytest.fixture
def manual(spapi_emulator: SpApiEmulator) -> SpApiEmulator:
    spapi_emulator.config.auto_advance = False
    return spapi_emulator


def _subscribe(seller, grantless, payload_version: str = "1.0") -> dict:
    destination_id = grantless.create_destination()
    return seller.subscribe(destination_id, payload_version).json()["payload"]


def test_finished_report_is_announced_to_the_subscribed_destination(manual, seller, grantless, contract):
    subscription = _subscribe(seller, grantless)
    report_id = seller.create_report()

    manual.finish_report(report_id, "DONE")

    [sent] = manual.sent_notifications
    assert sent.destination_arn == SQS_ARN
    message = sent.message
    contract.validate_notification(message)
    assert message["notificationType"] == "REPORT_PROCESSING_FINISHED"
    assert message["payloadVersion"] == "1.0"
    finished = message["payload"]["reportProcessingFinishedNotification"]
    report = seller.get_report(report_id)
    assert finished == {
        "sellerId": "A3TH9S8BH6GOGM",
        "accountId": "amzn1.merchant.o.A3TH9S8BH6GOGM",
        "reportId": report_id,
        "reportType": "GET_MERCHANT_LISTINGS_ALL_DATA",
        "processingStatus": "DONE",
        "reportDocumentId": report["reportDocumentId"],
    }
    metadata = message["notificationMetadata"]
    assert metadata["subscriptionId"] == subscription["subscriptionId"]
    assert metadata["applicationId"].startswith("amzn1.sellerapps.app.")
    assert metadata["notificationId"]
    assert metadata["publishTime"].endswith("Z")


def test_no_subscription_means_no_notification(manual, seller):
    report_id = seller.create_report()

    manual.finish_report(report_id, "DONE")

    assert manual.sent_notifications == []


def test_another_sellers_subscription_does_not_hear_about_the_report(manual, seller, grantless):
    _subscribe(seller, grantless)
    manual.register_seller("Atzr|CANARY-REFRESH-second", "A2SECONDSELLER")
    other = Api(manual, seller_token(manual, "Atzr|CANARY-REFRESH-second"))
    report_id = other.create_report()

    manual.finish_report(report_id, "DONE")

    assert manual.sent_notifications == []


def test_cancelled_report_is_announced_without_document(manual, seller, grantless):
    _subscribe(seller, grantless)
    report_id = seller.create_report()

    assert seller.call("DELETE", f"/reports/2021-06-30/reports/{report_id}").status_code == 200

    [sent] = manual.sent_notifications
    finished = sent.message["payload"]["reportProcessingFinishedNotification"]
    assert finished["processingStatus"] == "CANCELLED"
    assert "reportDocumentId" not in finished


def test_fatal_report_is_announced_with_its_error_document(manual, seller, grantless):
    _subscribe(seller, grantless)
    report_id = seller.create_report()

    manual.finish_report(report_id, "FATAL", document=b"error")

    finished = manual.sent_notifications[0].message["payload"]["reportProcessingFinishedNotification"]
    assert finished["processingStatus"] == "FATAL"
    assert finished["reportDocumentId"] == seller.get_report(report_id)["reportDocumentId"]


def test_each_payload_version_subscription_gets_its_own_message(manual, seller, grantless):
    destination_id = grantless.create_destination()
    seller.subscribe(destination_id, "1.0")
    seller.subscribe(destination_id, "2020-09-04")
    report_id = seller.create_report()

    manual.finish_report(report_id, "DONE")

    assert sorted(sent.message["payloadVersion"] for sent in manual.sent_notifications) == [
        "1.0",
        "2020-09-04",
    ]


def test_time_driven_reports_announce_themselves_without_polling(
    spapi_emulator: SpApiEmulator, seller, grantless
):
    _subscribe(seller, grantless)
    seller.create_report()

    deadline = time.monotonic() + 3
    while not spapi_emulator.sent_notifications and time.monotonic() < deadline:
        time.sleep(0.02)

    assert len(spapi_emulator.sent_notifications) == 1


def test_pluggable_sink_receives_arn_and_raw_json_body(manual, seller, grantless):
    received: list[tuple[str, str]] = []
    manual.notification_sink = lambda arn, body: received.append((arn, body))
    _subscribe(seller, grantless)
    report_id = seller.create_report()

    manual.finish_report(report_id, "DONE")

    [(arn, body)] = received
    assert arn == SQS_ARN
    assert f'"reportId":"{report_id}"' in body
    assert manual.sent_notifications == []


def test_failing_sink_is_recorded_not_lost(manual, seller, grantless):
    def broken_sink(_arn: str, _body: str) -> None:
        raise ConnectionError("queue unreachable")

    manual.notification_sink = broken_sink
    _subscribe(seller, grantless)
    report_id = seller.create_report()

    manual.finish_report(report_id, "DONE")

    assert manual.notification_errors == ["ConnectionError: queue unreachable"]
    assert seller.get_report(report_id)["processingStatus"] == "DONE"


def test_notification_the_schema_rejects_is_not_sent(manual, seller, grantless, monkeypatch):
    _subscribe(seller, grantless)
    report_id = seller.create_report()

    def reject(_self, _message):
        from spapi_emulator import ContractViolation

        raise ContractViolation("broken notification", kind="notification")

    monkeypatch.setattr(ModelContract, "validate_notification", reject)
    manual.finish_report(report_id, "DONE")

    assert manual.sent_notifications == []
    assert manual.notification_errors == ["ContractViolation: broken notification"]
