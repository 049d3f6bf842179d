"""Notifications v1: destinations and subscriptions, wrapped in payload, with SP-API's 409 bodies."""

from __future__ import annotations

from spapi_emulator import SpApiEmulator
from tests.support.canaries import CLIENT_ID
from tests.support.emulator_api import SQS_ARN

DESTINATIONS = "/notifications/v1/destinations"
RPF = "/notifications/v1/subscriptions/REPORT_PROCESSING_FINISHED"


def test_create_destination_returns_it_in_payload(grantless):
    response = grantless.call(
        "POST", DESTINATIONS, json={"name": "reports", "resourceSpecification": {"sqs": {"arn": SQS_ARN}}}
    )

    assert response.status_code == 200
    destination = response.json()["payload"]
    assert destination["name"] == "reports"
    assert destination["resource"] == {"sqs": {"arn": SQS_ARN}}
    assert destination["destinationId"]


def test_duplicate_destination_arn_answers_409_conflict(spapi_emulator: SpApiEmulator, grantless):
    grantless.create_destination()

    response = grantless.call(
        "POST", DESTINATIONS, json={"name": "again", "resourceSpecification": {"sqs": {"arn": SQS_ARN}}}
    )

    assert response.status_code == 409
    error = response.json()["errors"][0]
    assert error["code"] == "Conflict"
    assert error["message"] == "The requested resource conflict with a resource in the server."
    assert error["details"].startswith(
        f"A destination with arn {SQS_ARN} already exists for the application "
    )


def test_destinations_can_be_listed_read_and_deleted(grantless):
    destination_id = grantless.create_destination()

    listed = grantless.call("GET", DESTINATIONS).json()["payload"]
    assert [d["destinationId"] for d in listed] == [destination_id]
    assert grantless.call("GET", f"{DESTINATIONS}/{destination_id}").json()["payload"]["name"] == "reports"

    assert grantless.call("DELETE", f"{DESTINATIONS}/{destination_id}").status_code == 200
    assert grantless.call("GET", f"{DESTINATIONS}/{destination_id}").status_code == 404
    assert grantless.call("GET", DESTINATIONS).json()["payload"] == []


def test_eventbridge_destinations_are_refused_naming_the_field(grantless):
    response = grantless.call(
        "POST",
        DESTINATIONS,
        json={
            "name": "eb",
            "resourceSpecification": {"eventBridge": {"region": "us-east-1", "accountId": "1"}},
        },
    )

    assert response.status_code == 400
    assert "eventBridge" in response.json()["errors"][0]["message"]


def test_subscription_is_created_and_read_back(seller, grantless):
    destination_id = grantless.create_destination()

    created = seller.subscribe(destination_id)

    assert created.status_code == 200
    subscription = created.json()["payload"]
    assert subscription["destinationId"] == destination_id
    assert subscription["payloadVersion"] == "1.0"
    assert seller.call("GET", RPF).json()["payload"] == subscription
    by_id = grantless.call("GET", f"{RPF}/{subscription['subscriptionId']}")
    assert by_id.json()["payload"] == subscription


def test_duplicate_subscription_answers_409_state_conflict(seller, grantless):
    destination_id = grantless.create_destination()
    seller.subscribe(destination_id)

    response = seller.subscribe(destination_id)

    assert response.status_code == 409
    assert response.json()["errors"] == [
        {
            "code": "StateConflict",
            "message": "The resource specified conflicts with the current state.",
            "details": "Subscription already exist for notification type REPORT_PROCESSING_FINISHED",
        }
    ]


def test_get_subscription_picks_the_requested_or_latest_payload_version(seller, grantless):
    destination_id = grantless.create_destination()
    seller.subscribe(destination_id, "1.0")
    seller.subscribe(destination_id, "2020-09-04")

    assert seller.call("GET", RPF).json()["payload"]["payloadVersion"] == "2020-09-04"
    assert (
        seller.call("GET", RPF, params={"payloadVersion": "1.0"}).json()["payload"]["payloadVersion"] == "1.0"
    )


def test_get_subscription_without_one_answers_404(seller):
    response = seller.call("GET", RPF)

    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "NotFound"


def test_get_subscriptions_lists_the_sellers_subscriptions(seller, grantless):
    destination_id = grantless.create_destination()
    subscription = seller.subscribe(destination_id).json()["payload"]

    response = seller.call(
        "GET", "/notifications/v1/subscriptions", params={"notificationTypes": "REPORT_PROCESSING_FINISHED"}
    )

    assert response.json() == {"payload": {"subscriptions": [subscription]}}


def test_subscription_to_an_unknown_destination_is_refused(spapi_emulator, seller):
    response = seller.subscribe("no-such-destination")

    assert response.status_code == 400
    application_id = spapi_emulator.app.state.application_id(CLIENT_ID)
    # The shape SP-API answers (selling-partner-api-models#2151, #2406).
    assert response.json() == {
        "errors": [
            {
                "code": "InvalidInput",
                "message": "Request has missing or invalid parameters and cannot be parsed.",
                "details": f"No destination with id no-such-destination for applicationId {application_id}",
            }
        ]
    }


def test_destinations_belong_to_the_regional_endpoint_they_were_created_at(spapi_emulator, seller, grantless):
    # createDestination is grantless, yet a destination exists only in its region: createSubscription with
    # another region's destinationId answers 400 "No destination with id" (selling-partner-api-models#4286,
    # #2151).
    eu = spapi_emulator.endpoint_url("EU")
    assert eu != spapi_emulator.url
    na_destination = grantless.create_destination()

    refused = seller.at(eu).subscribe(na_destination)

    assert refused.status_code == 400
    assert refused.json()["errors"][0]["details"].startswith(f"No destination with id {na_destination} ")
    assert grantless.at(eu).call("GET", f"{DESTINATIONS}/{na_destination}").status_code == 404
    assert grantless.at(eu).call("GET", DESTINATIONS).json() == {"payload": []}
    # The same queue can be registered in each region, each with its own id, and subscribed there.
    eu_destination = grantless.at(eu).create_destination()
    assert eu_destination != na_destination
    assert seller.at(eu).subscribe(eu_destination).status_code == 200
    assert seller.subscribe(na_destination).status_code == 200  # no conflict: another region's subscription


def test_a_report_notifies_the_subscriptions_of_its_own_region(spapi_emulator, seller, grantless):
    eu = spapi_emulator.endpoint_url("EU")
    seller.subscribe(grantless.create_destination(SQS_ARN))
    eu_queue = "arn:aws:sqs:eu-west-1:123456789012:sp-reports-notifications"
    seller.at(eu).subscribe(grantless.at(eu).create_destination(eu_queue))

    report_id = seller.at(eu).create_report(marketplaces=("A1PA6795UKMFR9",))
    spapi_emulator.finish_report(report_id, "DONE")

    assert [n.destination_arn for n in spapi_emulator.sent_notifications] == [eu_queue]


def test_destination_with_subscriptions_cannot_be_deleted_until_they_are(seller, grantless):
    destination_id = grantless.create_destination()
    subscription_id = seller.subscribe(destination_id).json()["payload"]["subscriptionId"]

    refused = grantless.call("DELETE", f"{DESTINATIONS}/{destination_id}")
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["details"] == "Destination has subscriptions"

    assert grantless.call("DELETE", f"{RPF}/{subscription_id}").status_code == 200
    assert grantless.call("GET", f"{RPF}/{subscription_id}").status_code == 404
    assert grantless.call("DELETE", f"{DESTINATIONS}/{destination_id}").status_code == 200


def test_another_applications_destination_is_invisible(spapi_emulator: SpApiEmulator, grantless):
    from tests.support.emulator_api import Api, lwa_token

    destination_id = grantless.create_destination()
    spapi_emulator.register_app("amzn1.application-oa2-client.other", "CANARY-CLIENT-SECRET-other")
    token = lwa_token(
        spapi_emulator,
        grant_type="client_credentials",
        scope="sellingpartnerapi::notifications",
        client_id="amzn1.application-oa2-client.other",
        client_secret="CANARY-CLIENT-SECRET-other",
    ).json()["access_token"]
    other = Api(spapi_emulator, token)

    assert other.call("GET", f"{DESTINATIONS}/{destination_id}").status_code == 404
    # The same ARN is free for another application.
    assert other.create_destination()


def test_unsupported_operation_answers_404_naming_it(seller, grantless):
    response = grantless.call(
        "POST",
        "/notifications/v1/subscriptions/REPORT_PROCESSING_FINISHED/testNotification",
        json={"destinationId": "d"},
    )

    assert response.status_code == 404
    assert "sendTestNotification is not supported" in response.json()["errors"][0]["message"]
