"""``SpApiOperationsViews``: a real seller's run reads SP-API's side through SP-API's own operations.

Each view is compared with the emulator's own view of the same report, document and subscription
(``InProcessControl``), so what the assertions check on real SP-API is what they check on the emulator.
The release removes exactly the run's subscription and destination."""

from __future__ import annotations

import pytest

from sp_reports.spapi.credentials import AppCredentials as LwaAppCredentials
from sp_reports.spapi.http import SpApiHttpClient
from sp_reports.spapi.lwa import LwaClient
from sp_reports.spapi.notifications import NotificationsClient
from sp_reports.spapi.reports import ReportsClient
from sp_reports_harness.acceptance.spapi_operation_views import HeldInSpApi, SpApiOperationsViews
from sp_reports_harness.acceptance.stack_under_test import SellerUnderTest
from sp_reports_harness.deployment.local_deployment import AppCredentials
from spapi_emulator.control_protocol import InProcessControl
from tests.support.canaries import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, SELLER_ID

QUEUE_ARN = "arn:aws:sqs:eu-west-1:123456789012:spacc-0001-notifications"
OTHER_QUEUE_ARN = "arn:aws:sqs:eu-west-1:123456789012:production-notifications"
UK = "A1F83G8C2ARO7P"
SELLER = SellerUnderTest(SELLER_ID, REFRESH_TOKEN, "EU", UK, "GET_MERCHANT_LISTINGS_ALL_DATA", 120.0)


@pytest.fixture
def views(spapi_emulator) -> SpApiOperationsViews:
    return SpApiOperationsViews(
        AppCredentials(CLIENT_ID, CLIENT_SECRET), SELLER, spapi_emulator.url, spapi_emulator.lwa_url
    )


@pytest.fixture
def lwa(spapi_emulator) -> LwaClient:
    return LwaClient(LwaAppCredentials(CLIENT_ID, CLIENT_SECRET), endpoint=spapi_emulator.lwa_url)


@pytest.fixture
def http(spapi_emulator) -> SpApiHttpClient:
    return SpApiHttpClient(spapi_emulator.url)


@pytest.fixture
def notifications(http, lwa) -> NotificationsClient:
    return NotificationsClient(http, lwa.grantless_token_provider(), lwa.seller_token_provider(REFRESH_TOKEN))


def _subscribed(notifications: NotificationsClient, queue_arn: str) -> tuple[str, str]:
    destination_id = notifications.ensure_destination(queue_arn, "sp-reports")
    return notifications.ensure_subscription("REPORT_PROCESSING_FINISHED", destination_id)[
        "subscriptionId"
    ], destination_id


def test_report_and_document_views_equal_the_emulators(views, spapi_emulator, http, lwa):
    reports = ReportsClient(http, lwa.seller_token_provider(REFRESH_TOKEN))
    report_id = reports.create_report("GET_MERCHANT_LISTINGS_ALL_DATA", [UK])
    spapi_emulator.finish_report(report_id, "DONE", None)
    control = InProcessControl(spapi_emulator)

    report = views.report(report_id)

    assert report == control.report(report_id)
    assert report.processing_status == "DONE" and report.report_document_id
    document = views.document(report.report_document_id)
    assert document == control.document(report.report_document_id)
    assert document.compression == "GZIP" and document.charset_label == "Cp1252"


def test_subscription_view_equals_the_emulators_and_names_the_seller_only_when_it_is_theirs(
    views, spapi_emulator, notifications
):
    subscription_id, destination_id = _subscribed(notifications, QUEUE_ARN)

    view = views.subscription(subscription_id)

    assert view == InProcessControl(spapi_emulator).subscription(subscription_id)
    assert (view.seller_id, view.destination_id, view.destination_arn) == (
        SELLER_ID,
        destination_id,
        QUEUE_ARN,
    )
    # Another seller's view: the grantless reads find it, but it is not that seller's subscription.
    spapi_emulator.register_seller("Atzr|another-seller", "A2OTHERSELLER")
    other = SpApiOperationsViews(
        AppCredentials(CLIENT_ID, CLIENT_SECRET),
        SellerUnderTest("A2OTHERSELLER", "Atzr|another-seller", "EU", UK, SELLER.report_type, 120.0),
        spapi_emulator.url,
        spapi_emulator.lwa_url,
    )
    assert other.subscription(subscription_id).seller_id == ""


@pytest.mark.parametrize(
    ("subscribed_to", "held_before"),
    [
        (None, False),  # the run never subscribed: nothing to release
        (QUEUE_ARN, True),  # the run's subscription and destination
        (OTHER_QUEUE_ARN, False),  # another stack's: never touched
    ],
)
def test_release_deletes_only_the_runs_subscription_and_destination(
    views, notifications, subscribed_to, held_before
):
    if subscribed_to is not None:
        _subscribed(notifications, subscribed_to)
    before = views.held(QUEUE_ARN)
    assert (before.subscription_id is not None) is held_before

    deleted = views.release(QUEUE_ARN)

    assert deleted == before.describe()
    assert views.held(QUEUE_ARN) == HeldInSpApi(None, None)
    if subscribed_to == OTHER_QUEUE_ARN:
        assert views.existing_subscription() is not None  # the other stack's subscription stays
        assert notifications.find_destination(OTHER_QUEUE_ARN) is not None
    else:
        assert views.existing_subscription() is None


def test_a_destination_without_the_sellers_subscription_is_still_released(views, notifications):
    notifications.ensure_destination(QUEUE_ARN, "sp-reports")  # the subscribe call failed after this

    held = views.held(QUEUE_ARN)

    assert held.subscription_id is None and held.destination_id is not None
    assert views.release(QUEUE_ARN) == [f"SP-API destination {held.destination_id} (the run's queue)"]
    assert notifications.find_destination(QUEUE_ARN) is None


def test_the_seller_views_never_show_the_refresh_token():
    assert REFRESH_TOKEN not in repr(SELLER)
