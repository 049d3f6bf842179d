"""``EmulatorControl``: the deployed-stack assertions' view of the emulator, wherever it runs.

Every scenario runs twice: against ``InProcessControl`` over an emulator in this process, and against
``RemoteEmulatorControl`` over the emulator deployed in local AWS as issue 15 deploys it in an account (a
Lambda behind an AWS_IAM function URL, state in its bucket, notifications to an SQS queue). Each view is
checked against what SP-API's own operations answered for the same report, document or subscription, so a
view cannot drift from the emulator's state, and both implementations are held to the same behaviour."""

from __future__ import annotations

import dataclasses
import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import requests

from sp_reports_harness.local_aws import LocalAws
from spapi_emulator.control_protocol import DocumentView, EmulatorControl, InProcessControl, ReportView
from tests.support.canaries import REFRESH_TOKEN, SELLER_ID
from tests.support.deployed_emulator import DeployedEmulator, deploy_emulator
from tests.support.emulator_api import LISTINGS, SQS_ARN, Api

RDT_PATH = "/tokens/2021-03-01/restrictedDataToken"


@dataclass
class Side:
    """One emulator as the scenarios see it: its control, two token holders, what reached the queue."""

    control: EmulatorControl
    seller: Api
    grantless: Api
    destination_arn: str
    delivered: Callable[[], list[str]]


class _RemoteApi(Api):
    """``Api`` against the function URL: SigV4-signed, with time for a cold start."""

    def __init__(self, deployed: DeployedEmulator, access_token: str) -> None:
        super().__init__(None, access_token, deployed.base_url)  # type: ignore[arg-type]
        self.session = deployed.session(access_token)

    def call(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.session.request(method, self.base_url + path, timeout=60, **kwargs)


@pytest.fixture
def deployed(module_local_aws: LocalAws, emulator_code: bytes) -> DeployedEmulator:
    return deploy_emulator(module_local_aws, emulator_code)


@pytest.fixture(params=["in-process", "lambda"])
def side(request: pytest.FixtureRequest) -> Side:
    if request.param == "in-process":
        emulator = request.getfixturevalue("spapi_emulator")
        return Side(
            InProcessControl(emulator),
            request.getfixturevalue("seller"),
            request.getfixturevalue("grantless"),
            SQS_ARN,
            lambda: [n.body for n in emulator.sent_notifications],
        )
    deployed: DeployedEmulator = request.getfixturevalue("deployed")
    seller_token = deployed.token(grant_type="refresh_token", refresh_token=REFRESH_TOKEN)
    grantless_token = deployed.token(
        grant_type="client_credentials", scope="sellingpartnerapi::notifications"
    )
    return Side(
        deployed.control(),
        _RemoteApi(deployed, seller_token),
        _RemoteApi(deployed, grantless_token),
        deployed.queue_arn,
        deployed.delivered,
    )


def test_report_and_document_views_match_what_sp_api_serves(side):
    control, seller = side.control, side.seller
    report_id = seller.create_report()
    assert control.report(report_id).processing_status in ("IN_QUEUE", "IN_PROGRESS")

    control.finish_report(report_id, "DONE", document=b"item-name\tprice\nA\t1.00\n")

    served = seller.get_report(report_id)
    view = control.report(report_id)
    assert view == ReportView(report_id, SELLER_ID, LISTINGS, "DONE", served["reportDocumentId"])
    document = seller.call("GET", f"/reports/2021-06-30/documents/{view.report_document_id}").json()
    downloaded = requests.get(document["url"], timeout=30).content
    plain = gzip.decompress(downloaded) if document.get("compressionAlgorithm") == "GZIP" else downloaded
    assert control.document(view.report_document_id) == DocumentView(
        view.report_document_id, plain, document.get("compressionAlgorithm"), "utf8"
    )
    assert plain == b"item-name\tprice\nA\t1.00\n"


def test_a_document_set_before_the_report_ends_is_the_one_it_ends_with(side):
    control, seller = side.control, side.seller
    report_id = seller.create_report()

    control.set_report_document(report_id, b"item-name\nset early\n")
    control.finish_report(report_id)

    assert control.document(control.report(report_id).report_document_id).plain == b"item-name\nset early\n"


def test_fatal_and_cancelled_reports(side):
    control, seller = side.control, side.seller
    fatal, cancelled = seller.create_report(), seller.create_report()

    control.finish_report(fatal, "FATAL", document=b'{"errorDetails":"no"}')
    control.finish_report(cancelled, "CANCELLED")

    assert control.report(fatal).processing_status == "FATAL"
    assert control.document(control.report(fatal).report_document_id).plain == b'{"errorDetails":"no"}'
    assert control.report(cancelled).processing_status == "CANCELLED"
    assert control.report(cancelled).report_document_id is None


def test_subscription_view_names_the_destinations_queue(side):
    control, seller = side.control, side.seller
    destination_id = side.grantless.create_destination(side.destination_arn)
    subscription = seller.subscribe(destination_id).json()["payload"]

    view = control.subscription(subscription["subscriptionId"])

    assert (view.seller_id, view.notification_type) == (SELLER_ID, "REPORT_PROCESSING_FINISHED")
    assert (view.destination_id, view.destination_arn) == (destination_id, side.destination_arn)


def test_exchanges_and_restricted_data_tokens(side):
    control, seller = side.control, side.seller
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


def test_held_notifications_are_collected_not_delivered_then_delivery_resumes(side):
    control, seller = side.control, side.seller
    seller.subscribe(side.grantless.create_destination(side.destination_arn))
    held_report, delivered_report = seller.create_report(), seller.create_report()

    with control.hold_notifications() as held:
        control.finish_report(held_report)
    control.finish_report(delivered_report)

    assert [held_report in body for body in held] == [True]
    delivered = side.delivered()
    assert not any(held_report in body for body in delivered)
    assert any(delivered_report in body for body in delivered)
    assert control.notification_errors() == []


def test_a_seller_deauthorizing_the_app_is_announced_and_its_tokens_stop_working(side):
    # APPLICATION_OAUTH_CHANGED as SP-API's "Notification Type Values" page gives it (PascalCase).
    destination_id = side.grantless.create_destination(side.destination_arn)
    subscribed = side.seller.call(
        "POST",
        "/notifications/v1/subscriptions/APPLICATION_OAUTH_CHANGED",
        json={"payloadVersion": "1.0", "destinationId": destination_id},
    )
    assert subscribed.status_code == 200, subscribed.text
    subscription_id = subscribed.json()["payload"]["subscriptionId"]

    side.control.deauthorize_seller(SELLER_ID)

    (body,) = [body for body in side.delivered() if "APPLICATION_OAUTH_CHANGED" in body]
    message = json.loads(body)
    assert set(message) == {
        "NotificationVersion",
        "NotificationType",
        "PayloadVersion",
        "EventTime",
        "Payload",
        "NotificationMetadata",
    }
    assert message["Payload"] == {
        "ApplicationOAuthChanged": {
            "SellerId": SELLER_ID,
            "AuthorizationChange": {"ChangeType": "Deauthorization", "ChangeReason": "User request"},
        }
    }
    metadata = message["NotificationMetadata"]
    assert metadata["SubscriptionId"] == subscription_id
    assert metadata["ApplicationId"].startswith("amzn1.sellerapps.app.")
    # The seller's access token was withdrawn with the authorisation.
    refused = side.seller.call("GET", "/reports/2021-06-30/reports", params={"reportTypes": LISTINGS})
    assert refused.status_code in (401, 403)
    # Once deauthorised, there is nobody left to deauthorise.
    with pytest.raises(Exception, match=r"unknown seller|404"):
        side.control.deauthorize_seller(SELLER_ID)


def test_opened_settlements_make_a_report_for_each_period_past(side: Side):
    from datetime import UTC, datetime

    from spapi_emulator.settlements import PUBLICATION_DELAY, SETTLEMENT_PERIOD, V2_FLAT_FILE

    start = datetime.now(UTC).replace(microsecond=0) - 2 * SETTLEMENT_PERIOD - 2 * PUBLICATION_DELAY
    made = side.control.open_settlements(SELLER_ID, "ATVPDKIKX0DER", start)

    listed = side.seller.call("GET", "/reports/2021-06-30/reports", params={"reportTypes": V2_FLAT_FILE})
    assert listed.status_code == 200, listed.text
    reports = sorted(listed.json()["reports"], key=lambda report: report["dataStartTime"])
    assert [report["dataStartTime"] for report in reports] == [
        start.isoformat(),
        (start + SETTLEMENT_PERIOD).isoformat(),
    ]
    assert [report["reportId"] for report in reports] == made
    assert side.control.report(made[0]).report_type == V2_FLAT_FILE
