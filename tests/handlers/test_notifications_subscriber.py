"""POST /notifications: our queue becomes the seller's REPORT_PROCESSING_FINISHED destination (idempotent)."""

from __future__ import annotations

import pytest

from tests.support import api_events
from tests.support.canaries import SELLER_ID, assert_no_secrets


@pytest.fixture
def subscriber(spapi_emulator, load_handler, stored_seller, fast_spapi_retries):
    module = load_handler("notifications_subscriber")
    fast_spapi_retries(module, "NA")
    return module


def _post(module, body, context):
    return module.handler(api_events.api_event("POST", "/notifications", body), context)


def _calls(emulator, operation_path_suffix, method):
    return [
        e
        for e in emulator.exchanges
        if e.kind == "spapi" and e.method == method and e.path.endswith(operation_path_suffix)
    ]


def test_subscribing_creates_the_destination_and_subscription(
    subscriber, resources, spapi_emulator, lambda_context, capsys
):
    response = _post(subscriber, {"SellerId": SELLER_ID, "RegionCode": "NA"}, lambda_context)
    assert response["statusCode"] == 200
    body = api_events.answer_body(response)
    assert set(body) == {"destinationId", "subscriptionId"}
    (destination,) = spapi_emulator.app.state.destinations.values()
    assert destination.arn == resources.queue_arn
    assert destination.destination_id == body["destinationId"]
    assert _calls(spapi_emulator, "/subscriptions/REPORT_PROCESSING_FINISHED", "POST")
    assert_no_secrets(response["body"] + capsys.readouterr().out)


def test_subscribing_twice_answers_the_same_ids(subscriber, spapi_emulator, lambda_context):
    request = {"SellerId": SELLER_ID, "RegionCode": "na", "NotificationType": "REPORT_PROCESSING_FINISHED"}
    first = api_events.answer_body(_post(subscriber, request, lambda_context))
    second_response = _post(subscriber, request, lambda_context)
    assert second_response["statusCode"] == 200
    assert api_events.answer_body(second_response) == first
    assert len(spapi_emulator.app.state.destinations) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"RegionCode": "NA"}, "SellerId"),
        ({"SellerId": SELLER_ID}, "RegionCode"),
        ({"SellerId": SELLER_ID, "RegionCode": "MARS"}, "RegionCode"),
        (
            {"SellerId": SELLER_ID, "RegionCode": "NA", "NotificationType": "ANY_OFFER_CHANGED"},
            "NotificationType",
        ),
        ({"SellerId": SELLER_ID, "RegionCode": "NA", "NotificationType": 7}, "NotificationType"),
        (
            {"SellerId": SELLER_ID, "RegionCode": "NA", "ReplaceExistingSubscription": "yes"},
            "ReplaceExistingSubscription",
        ),
    ],
)
def test_invalid_request_is_refused_with_400_naming_the_field(
    subscriber, spapi_emulator, lambda_context, body, field
):
    response = _post(subscriber, body, lambda_context)
    assert response["statusCode"] == 400
    assert api_events.answer_body(response)["error"]["message"].startswith(f"{field}:")
    assert [e for e in spapi_emulator.exchanges if e.kind == "spapi"] == []


def test_unknown_seller_is_a_404(spapi_emulator, load_handler, resources, lambda_context):
    module = load_handler("notifications_subscriber")
    response = _post(module, {"SellerId": "A1B2C3D4E5F6G7", "RegionCode": "EU"}, lambda_context)
    assert response["statusCode"] == 404
    assert api_events.answer_body(response)["error"]["code"] == "SellerNotFound"


def test_a_seller_is_subscribed_in_each_region_at_that_regions_own_destination(
    spapi_emulator, load_handler, stored_seller, lambda_context, monkeypatch
):
    # Destinations are per region (selling-partner-api-models#4286, #2151): the EU subscription must use a
    # destination created at the EU endpoint, not the NA one (which SP-API answers with 400).
    monkeypatch.setenv("SPAPI_ENDPOINT_URL_EU", spapi_emulator.endpoint_url("EU"))
    subscriber = load_handler("notifications_subscriber")

    answers = {
        region: _post(subscriber, {"SellerId": SELLER_ID, "RegionCode": region}, lambda_context)
        for region in ("NA", "EU")
    }

    assert {region: answer["statusCode"] for region, answer in answers.items()} == {"NA": 200, "EU": 200}
    bodies = {region: api_events.answer_body(answer) for region, answer in answers.items()}
    assert bodies["NA"]["destinationId"] != bodies["EU"]["destinationId"]
    destinations = spapi_emulator.app.state.destinations
    assert (
        destinations[bodies["EU"]["destinationId"]].endpoint
        == spapi_emulator.endpoint_url("EU").split("//")[1]
    )


def test_an_application_lwa_will_not_give_a_grantless_token_is_a_403_saying_so(
    subscriber, spapi_emulator, lambda_context, capsys
):
    from tests.support.canaries import CLIENT_ID

    spapi_emulator.deny_grant(CLIENT_ID, "client_credentials")  # LWA: 400 unauthorized_client
    response = _post(subscriber, {"SellerId": SELLER_ID, "RegionCode": "NA"}, lambda_context)
    assert response["statusCode"] == 403, response["body"]
    error = api_events.answer_body(response)["error"]
    assert error["code"] == "ApplicationNotAuthorized"
    assert "role" in error["message"]
    assert spapi_emulator.lwa_exchanges == {"client_credentials": 1}  # no re-read, no retry
    assert_no_secrets(response["body"] + capsys.readouterr().out)


def test_throttled_subscription_is_a_429_with_retry_after(subscriber, spapi_emulator, lambda_context):
    spapi_emulator.inject("createDestination", 429, times=None)
    response = _post(subscriber, {"SellerId": SELLER_ID, "RegionCode": "NA"}, lambda_context)
    assert response["statusCode"] == 429
    assert int(response["headers"]["Retry-After"]) >= 1


def test_spapi_outage_is_a_502(subscriber, spapi_emulator, lambda_context):
    spapi_emulator.inject("createSubscription", 500, times=None)
    response = _post(subscriber, {"SellerId": SELLER_ID, "RegionCode": "NA"}, lambda_context)
    assert response["statusCode"] == 502


def test_grantless_token_outage_is_a_502(subscriber, spapi_emulator, lambda_context):
    spapi_emulator.app.lwa_down(503, times=None)
    response = _post(subscriber, {"SellerId": SELLER_ID, "RegionCode": "NA"}, lambda_context)
    assert response["statusCode"] == 502
    assert api_events.answer_body(response)["error"]["code"] == "LwaUnavailable"


def test_a_subscription_that_delivers_elsewhere_is_a_409_until_the_caller_says_move_it(
    subscriber, resources, spapi_emulator, lambda_context, capsys
):
    notifications = subscriber.spapi_clients.notifications(SELLER_ID, "NA")
    other = notifications.ensure_destination("arn:aws:sqs:us-east-1:123456789012:another-stack", "another")
    theirs = notifications.ensure_subscription("REPORT_PROCESSING_FINISHED", other)

    refused = _post(subscriber, {"SellerId": SELLER_ID, "RegionCode": "NA"}, lambda_context)

    assert refused["statusCode"] == 409, refused["body"]
    error = api_events.answer_body(refused)["error"]
    assert error["code"] == "SubscriptionElsewhere"
    assert theirs["subscriptionId"] in error["message"] and "ReplaceExistingSubscription" in error["message"]
    assert notifications.get_subscription("REPORT_PROCESSING_FINISHED")["destinationId"] == other

    moved = _post(
        subscriber,
        {"SellerId": SELLER_ID, "RegionCode": "NA", "ReplaceExistingSubscription": True},
        lambda_context,
    )

    assert moved["statusCode"] == 200, moved["body"]
    ours = api_events.answer_body(moved)["destinationId"]
    assert ours != other
    assert notifications.get_subscription("REPORT_PROCESSING_FINISHED")["destinationId"] == ours
    assert_no_secrets(refused["body"] + moved["body"] + capsys.readouterr().out)


def test_subscribing_to_deauthorizations_delivers_them_to_our_queue_too(
    subscriber, resources, spapi_emulator, lambda_context
):
    request = {"SellerId": SELLER_ID, "RegionCode": "NA", "NotificationType": "APPLICATION_OAUTH_CHANGED"}
    response = _post(subscriber, request, lambda_context)
    assert response["statusCode"] == 200, response["body"]
    (subscription,) = spapi_emulator.app.state.subscriptions.values()
    assert subscription.notification_type == "APPLICATION_OAUTH_CHANGED"
    spapi_emulator.deauthorize_seller(SELLER_ID)
    (sent,) = spapi_emulator.sent_notifications
    assert sent.destination_arn == resources.queue_arn
    assert sent.message["NotificationType"] == "APPLICATION_OAUTH_CHANGED"
