"""Notifications client against the emulator: idempotent destination and subscription, 409 recoveries."""

from __future__ import annotations

import json

import pytest

from sp_reports.spapi.errors import LwaInvalidGrantError, SpApiClientError, SubscriptionElsewhereError
from sp_reports.spapi.http import SpApiHttpClient
from sp_reports.spapi.notifications import NotificationsClient
from sp_reports.spapi.regions import spapi_endpoint
from tests.support.canaries import REFRESH_TOKEN
from tests.support.spapi_exchanges import spapi_exchanges

QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:sp-reports-notifications"
OTHER_ARN = "arn:aws:sqs:us-east-1:123456789012:someone-elses-queue"
TYPE = "REPORT_PROCESSING_FINISHED"


@pytest.fixture
def notifications(http, lwa) -> NotificationsClient:
    return NotificationsClient(http, lwa.grantless_token_provider(), lwa.seller_token_provider(REFRESH_TOKEN))


def test_ensure_destination_creates_it_with_the_model_body(notifications, spapi_emulator) -> None:
    destination_id = notifications.ensure_destination(QUEUE_ARN, "sp-reports")
    exchange = spapi_exchanges(spapi_emulator, "createDestination")[-1]
    assert json.loads(exchange.request_body) == {
        "name": "sp-reports",
        "resourceSpecification": {"sqs": {"arn": QUEUE_ARN}},
    }
    assert json.loads(exchange.response_body)["payload"]["destinationId"] == destination_id
    assert spapi_emulator.lwa_exchanges == {"client_credentials": 1}


def test_ensure_destination_finds_the_existing_one_after_a_conflict(notifications, spapi_emulator) -> None:
    notifications.ensure_destination(OTHER_ARN, "other")
    first = notifications.ensure_destination(QUEUE_ARN, "sp-reports")
    again = notifications.ensure_destination(QUEUE_ARN, "sp-reports")
    assert again == first
    assert [e.status for e in spapi_exchanges(spapi_emulator, "createDestination")] == [200, 200, 409]
    assert len(spapi_exchanges(spapi_emulator, "getDestinations")) == 1


@pytest.mark.parametrize(
    ("arn", "name", "field"),
    [
        ("arn:aws:sns:us-east-1:1:topic", "n", "sqsArn"),
        ("not-an-arn", "n", "sqsArn"),
        (QUEUE_ARN, "", "name"),
        (QUEUE_ARN, "x" * 257, "name"),
    ],
)
def test_bad_destination_arguments_fail_before_any_call(
    notifications, spapi_emulator, arn, name, field
) -> None:
    with pytest.raises(ValueError, match=field):
        notifications.ensure_destination(arn, name)
    assert spapi_emulator.exchanges == []


def test_ensure_subscription_creates_then_reports_it_existing(notifications, spapi_emulator) -> None:
    destination_id = notifications.ensure_destination(QUEUE_ARN, "sp-reports")
    created = notifications.ensure_subscription(TYPE, destination_id)
    assert created["outcome"] == "created"
    assert (created["destinationId"], created["payloadVersion"]) == (destination_id, "1.0")
    body = json.loads(spapi_exchanges(spapi_emulator, "createSubscription")[-1].request_body)
    assert body == {"payloadVersion": "1.0", "destinationId": destination_id}
    existing = notifications.ensure_subscription(TYPE, destination_id)
    assert existing["outcome"] == "existing" and existing["subscriptionId"] == created["subscriptionId"]
    assert [e.status for e in spapi_exchanges(spapi_emulator, "createSubscription")] == [200, 409]
    assert spapi_exchanges(spapi_emulator, "getSubscription")[-1].query == {"payloadVersion": ["1.0"]}
    assert spapi_emulator.lwa_exchanges == {"client_credentials": 1, "refresh_token": 1}


def test_a_subscription_to_another_destination_is_left_alone_unless_told(
    notifications, spapi_emulator
) -> None:
    # SP-API keeps one subscription per type and application: moving it silences the other destination.
    other = notifications.ensure_destination(OTHER_ARN, "another-stack")
    ours = notifications.ensure_destination(QUEUE_ARN, "sp-reports")
    theirs = notifications.ensure_subscription(TYPE, other)
    with pytest.raises(SubscriptionElsewhereError) as raised:
        notifications.ensure_subscription(TYPE, ours)
    assert (raised.value.subscription_id, raised.value.destination_id) == (theirs["subscriptionId"], other)
    assert spapi_exchanges(spapi_emulator, "deleteSubscriptionById") == []
    assert notifications.get_subscription(TYPE, "1.0")["destinationId"] == other


def test_a_subscription_to_another_destination_is_repointed_when_told(notifications, spapi_emulator) -> None:
    old = notifications.ensure_destination(OTHER_ARN, "old")
    new = notifications.ensure_destination(QUEUE_ARN, "sp-reports")
    before = notifications.ensure_subscription(TYPE, old)
    after = notifications.ensure_subscription(TYPE, new, replace_elsewhere=True)
    assert after["outcome"] == "repointed" and after["previousDestinationId"] == old
    assert after["destinationId"] == new and after["subscriptionId"] != before["subscriptionId"]
    deleted = spapi_exchanges(spapi_emulator, "deleteSubscriptionById")
    assert [e.path for e in deleted] == [f"/notifications/v1/subscriptions/{TYPE}/{before['subscriptionId']}"]
    assert notifications.get_subscription(TYPE, "1.0")["destinationId"] == new


def test_delete_subscription_removes_it(notifications, spapi_emulator) -> None:
    destination_id = notifications.ensure_destination(QUEUE_ARN, "sp-reports")
    subscription = notifications.ensure_subscription(TYPE, destination_id)
    notifications.delete_subscription(TYPE, subscription["subscriptionId"])
    with pytest.raises(SpApiClientError) as raised:
        notifications.get_subscription(TYPE)
    assert raised.value.status == 404
    assert notifications.ensure_subscription(TYPE, destination_id)["outcome"] == "created"


def test_deleting_a_subscription_that_is_already_gone_is_harmless(notifications, spapi_emulator) -> None:
    destination_id = notifications.ensure_destination(QUEUE_ARN, "sp-reports")
    subscription_id = notifications.ensure_subscription(TYPE, destination_id)["subscriptionId"]
    assert notifications.delete_subscription(TYPE, subscription_id) is True
    assert notifications.delete_subscription(TYPE, subscription_id) is False  # SP-API: 404, already gone
    assert [e.status for e in spapi_exchanges(spapi_emulator, "deleteSubscriptionById")] == [200, 404]


def test_delete_subscription_is_grantless(http, lwa, notifications, spapi_emulator) -> None:
    # notifications.json: "The `deleteSubscriptionById` operation is grantless." No seller token is needed,
    # and the emulator refuses a seller token on it (403), as SP-API refuses the wrong kind of token.
    destination_id = notifications.ensure_destination(QUEUE_ARN, "sp-reports")
    subscription_id = notifications.ensure_subscription(TYPE, destination_id)["subscriptionId"]
    grantless_only = NotificationsClient(http, lwa.grantless_token_provider())
    assert grantless_only.delete_subscription(TYPE, subscription_id) is True
    with pytest.raises(SpApiClientError) as raised:
        notifications.get_subscription(TYPE)
    assert raised.value.status == 404


def test_a_failed_delete_other_than_404_is_still_an_error(notifications, spapi_emulator) -> None:
    spapi_emulator.inject("deleteSubscriptionById", 403)
    with pytest.raises(SpApiClientError) as raised:
        notifications.delete_subscription(TYPE, "7fcacc7e-727b-11e9-8848-1681be663d3e")
    assert raised.value.status == 403


def test_a_subscription_to_an_unknown_destination_is_a_client_error(notifications) -> None:
    with pytest.raises(SpApiClientError) as raised:
        notifications.ensure_subscription(TYPE, "no-such-destination")
    assert raised.value.status == 400 and raised.value.code == "InvalidInput"
    assert raised.value.details.startswith("No destination with id no-such-destination")


def test_destinations_are_per_region_so_each_region_needs_its_own(
    lwa, session, spapi_emulator, monkeypatch
) -> None:
    # SP-API keeps destinations per region although createDestination is grantless
    # (selling-partner-api-models#4286, #2151): another region's destinationId gets 400 "No destination".
    monkeypatch.setenv("SPAPI_ENDPOINT_URL_EU", spapi_emulator.endpoint_url("EU"))

    def client(region: str) -> NotificationsClient:
        http = SpApiHttpClient(spapi_endpoint(region), session=session, sleep=lambda _s: None)
        return NotificationsClient(
            http, lwa.grantless_token_provider(), lwa.seller_token_provider(REFRESH_TOKEN)
        )

    na, eu = client("NA"), client("EU")
    assert eu.http.endpoint == spapi_emulator.endpoint_url("EU") != na.http.endpoint
    na_destination = na.ensure_destination(QUEUE_ARN, "sp-reports")
    with pytest.raises(SpApiClientError) as reused:
        eu.ensure_subscription(TYPE, na_destination)  # the regression: one destination id for every region
    assert reused.value.status == 400
    assert reused.value.details.startswith(f"No destination with id {na_destination}")

    eu_destination = eu.ensure_destination(QUEUE_ARN, "sp-reports")
    assert eu_destination != na_destination
    assert eu.ensure_subscription(TYPE, eu_destination)["outcome"] == "created"
    assert na.ensure_subscription(TYPE, na_destination)["outcome"] == "created"


def test_a_revoked_seller_cannot_subscribe(notifications, spapi_emulator) -> None:
    destination_id = notifications.ensure_destination(QUEUE_ARN, "sp-reports")
    spapi_emulator.revoke(REFRESH_TOKEN)
    with pytest.raises(LwaInvalidGrantError):
        notifications.ensure_subscription(TYPE, destination_id)
    assert spapi_exchanges(spapi_emulator, "createSubscription") == []


def test_seller_operations_need_a_seller_token_provider(http, lwa) -> None:
    grantless_only = NotificationsClient(http, lwa.grantless_token_provider())
    with pytest.raises(ValueError, match="seller_token_provider"):
        grantless_only.get_subscription(TYPE)


def test_a_subscription_and_its_destination_are_read_by_id_and_deleted_grantless(
    notifications, spapi_emulator
) -> None:
    destination_id = notifications.ensure_destination(QUEUE_ARN, "sp-reports")
    created = notifications.ensure_subscription(TYPE, destination_id)

    by_id = notifications.get_subscription_by_id(TYPE, created["subscriptionId"])
    destination = notifications.get_destination(destination_id)

    assert (by_id["subscriptionId"], by_id["destinationId"]) == (created["subscriptionId"], destination_id)
    assert destination["resource"]["sqs"]["arn"] == QUEUE_ARN
    assert notifications.delete_subscription(TYPE, created["subscriptionId"]) is True
    assert notifications.delete_destination(destination_id) is True
    assert notifications.delete_destination(destination_id) is False  # 404: already gone
    assert notifications.find_destination(QUEUE_ARN) is None
    # Only the seller's createSubscription needed the seller's token; everything else was grantless.
    assert spapi_emulator.lwa_exchanges == {"client_credentials": 1, "refresh_token": 1}
    assert [e.status for e in spapi_exchanges(spapi_emulator, "deleteDestination")] == [200, 404]
