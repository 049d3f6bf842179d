"""POST /notifications' service, called as the notifications_subscriber handler calls it, against the SP-API
emulator: our queue becomes the seller's destination once, the subscription is ensured, and no token reaches
a log."""

from __future__ import annotations

import pytest

from sp_reports.pipeline.api_requests import ValidationError
from sp_reports.pipeline.notification_subscriptions import NotificationSubscriptions
from sp_reports.pipeline.tenancy import TenantBoundary
from sp_reports.spapi.credentials import AppCredentials
from sp_reports.spapi.http import SpApiHttpClient
from sp_reports.spapi.lwa import LwaClient
from sp_reports.spapi.notifications import NotificationsClient
from sp_reports.spapi.regions import spapi_endpoint
from tests.support.api_events import api_event
from tests.support.canaries import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, SELLER_ID, assert_no_secrets

DESTINATION_NAME = "sp-reports-test"


@pytest.fixture
def subscriptions(spapi_emulator, resources, telemetry) -> NotificationSubscriptions:
    lwa = LwaClient(lambda: AppCredentials(CLIENT_ID, CLIENT_SECRET))

    def notifications_for(seller_id: str, region_code: str) -> NotificationsClient:
        assert seller_id == SELLER_ID  # the emulator knows this seller's token only
        return NotificationsClient(
            SpApiHttpClient(spapi_endpoint(region_code)),
            lwa.grantless_token_provider(),
            lwa.seller_token_provider(REFRESH_TOKEN),
        )

    return NotificationSubscriptions(
        notifications_for=notifications_for,
        queue_arn=resources.queue_arn,
        destination_name=DESTINATION_NAME,
        boundary=TenantBoundary(None),
        logger=telemetry.logger,
        metrics=telemetry.metrics,
    )


def _event(body) -> dict:
    return api_event("POST", "/notifications", body)


def test_subscribing_makes_our_queue_the_destination_logs_the_ids_and_counts(
    subscriptions, spapi_emulator, resources, telemetry
):
    status, body = subscriptions.subscribe(_event({"SellerId": SELLER_ID, "RegionCode": "NA"}))

    assert status == 200 and set(body) == {"destinationId", "subscriptionId"}
    (destination,) = spapi_emulator.app.state.destinations.values()
    assert (destination.arn, destination.destination_id) == (resources.queue_arn, body["destinationId"])
    (ensured,) = [line for line in telemetry.lines() if line["message"] == "subscription ensured"]
    assert (ensured["seller_id"], ensured["region_code"]) == (SELLER_ID, "NA")
    assert (ensured["destination_id"], ensured["subscription_id"]) == (
        body["destinationId"],
        body["subscriptionId"],
    )
    assert telemetry.counts() == {"SubscriptionsEnsured": 1}
    assert_no_secrets(telemetry.output.getvalue())


def test_subscribing_twice_answers_the_same_ids_through_one_destination(subscriptions, spapi_emulator):
    request = {"SellerId": SELLER_ID, "RegionCode": "na", "NotificationType": "REPORT_PROCESSING_FINISHED"}

    first = subscriptions.subscribe(_event(request))
    second = subscriptions.subscribe(_event(request))

    assert second == first
    assert len(spapi_emulator.app.state.destinations) == 1


def test_an_unknown_region_is_refused_before_sp_api_is_called(subscriptions, spapi_emulator):
    with pytest.raises(ValidationError) as refused:
        subscriptions.subscribe(_event({"SellerId": SELLER_ID, "RegionCode": "MARS"}))

    assert refused.value.status == 400 and "RegionCode" in refused.value.message
    assert not [exchange for exchange in spapi_emulator.exchanges if exchange.kind == "spapi"]
