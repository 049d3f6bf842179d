"""``InProcessControl``: the deployed-stack assertions' view of an emulator in this process.

Each view is checked against what SP-API's own operations answered for the same report, document or
subscription, so a view cannot drift from the emulator's state."""

from __future__ import annotations

import dataclasses
import gzip
import json

import requests
from emulator_api import LISTINGS, SQS_ARN

from canaries import SELLER_ID
from spapi_emulator.control import DocumentView, EmulatorControl, InProcessControl, ReportView

RDT_PATH = "/tokens/2021-03-01/restrictedDataToken"


def test_report_and_document_views_match_what_sp_api_serves(spapi_emulator, seller):
    control: EmulatorControl = InProcessControl(spapi_emulator)
    report_id = seller.create_report()
    assert control.report(report_id).processing_status in ("IN_QUEUE", "IN_PROGRESS")

    control.finish_report(report_id, "DONE", document=b"item-name\tprice\nA\t1.00\n")

    served = seller.get_report(report_id)
    view = control.report(report_id)
    assert view == ReportView(report_id, SELLER_ID, LISTINGS, "DONE", served["reportDocumentId"])
    document = seller.call("GET", f"/reports/2021-06-30/documents/{view.report_document_id}").json()
    downloaded = requests.get(document["url"], timeout=5).content
    plain = gzip.decompress(downloaded) if document.get("compressionAlgorithm") == "GZIP" else downloaded
    assert control.document(view.report_document_id) == DocumentView(
        view.report_document_id, plain, document.get("compressionAlgorithm"), "utf8"
    )
    assert plain == b"item-name\tprice\nA\t1.00\n"


def test_a_document_set_before_the_report_ends_is_the_one_it_ends_with(spapi_emulator, seller):
    control = InProcessControl(spapi_emulator)
    report_id = seller.create_report()

    control.set_report_document(report_id, b"item-name\nset early\n")
    control.finish_report(report_id)

    assert control.document(control.report(report_id).report_document_id).plain == b"item-name\nset early\n"


def test_fatal_and_cancelled_reports(spapi_emulator, seller):
    control = InProcessControl(spapi_emulator)
    fatal, cancelled = seller.create_report(), seller.create_report()

    control.finish_report(fatal, "FATAL", document=b'{"errorDetails":"no"}')
    control.finish_report(cancelled, "CANCELLED")

    assert control.report(fatal).processing_status == "FATAL"
    assert control.document(control.report(fatal).report_document_id).plain == b'{"errorDetails":"no"}'
    assert control.report(cancelled).processing_status == "CANCELLED"
    assert control.report(cancelled).report_document_id is None


def test_subscription_view_names_the_destinations_queue(spapi_emulator, seller, grantless):
    control = InProcessControl(spapi_emulator)
    destination_id = grantless.create_destination()
    subscription = seller.subscribe(destination_id).json()["payload"]

    view = control.subscription(subscription["subscriptionId"])

    assert (view.seller_id, view.notification_type) == (SELLER_ID, "REPORT_PROCESSING_FINISHED")
    assert (view.destination_id, view.destination_arn) == (destination_id, SQS_ARN)


def test_exchanges_and_restricted_data_tokens(spapi_emulator, seller):
    control = InProcessControl(spapi_emulator)
    report_id = seller.create_report()
    path = f"/reports/2021-06-30/reports/{report_id}"
    response = seller.call("POST", RDT_PATH, json={"restrictedResources": [{"method": "GET", "path": path}]})
    assert response.status_code == 200, response.text

    (call,) = [e for e in control.exchanges() if e.operation_id == "createRestrictedDataToken"]

    assert (call.kind, call.method, call.status) == ("spapi", "POST", 200)
    assert json.loads(str(call.request_body))["restrictedResources"][0]["path"] == path
    assert control.restricted_data_tokens() == [response.json()["restrictedDataToken"]]
    assert control.contract_violations() == []
    assert all(dataclasses.is_dataclass(view) for view in control.exchanges())


def test_held_notifications_are_collected_not_delivered_then_delivery_resumes(
    spapi_emulator, seller, grantless
):
    control = InProcessControl(spapi_emulator)
    seller.subscribe(grantless.create_destination())
    held_report, delivered_report = seller.create_report(), seller.create_report()

    with control.hold_notifications() as held:
        control.finish_report(held_report)
    control.finish_report(delivered_report)

    assert [held_report in body for body in held] == [True]
    delivered = [n.body for n in spapi_emulator.sent_notifications]
    assert not any(held_report in body for body in delivered)
    assert any(delivered_report in body for body in delivered)
    assert control.notification_errors() == []
