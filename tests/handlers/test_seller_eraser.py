"""DELETE /sellers/{sellerId}: the seller's subscription, token, records and objects are erased, counted."""

from __future__ import annotations

import boto3
import pytest

from tests.support import api_events
from tests.support.canaries import SELLER_ID, assert_no_secrets


@pytest.fixture
def eraser(spapi_emulator, load_handler, stored_seller, fast_spapi_retries):
    module = load_handler("seller_eraser")
    for region_code in ("NA", "EU", "FE"):
        fast_spapi_retries(module, region_code)
    return module


def _delete(module, seller_id, context):
    event = api_events.api_event("DELETE", f"/sellers/{seller_id}", path_parameters={"sellerId": seller_id})
    return module.handler(event, context)


def test_erasing_a_subscribed_seller_deletes_its_subscription_and_token(
    eraser, load_handler, resources, spapi_emulator, lambda_context, capsys
):
    subscriber = load_handler("notifications_subscriber")
    subscribed = subscriber.handler(
        api_events.api_event("POST", "/notifications", {"SellerId": SELLER_ID, "RegionCode": "NA"}),
        lambda_context,
    )
    assert subscribed["statusCode"] == 200
    boto3.client("s3").put_object(Bucket=resources.bucket, Key=f"{SELLER_ID}/T/1/report.txt", Body=b"x")

    response = _delete(eraser, SELLER_ID, lambda_context)

    assert response["statusCode"] == 200, response["body"]
    body = api_events.answer_body(response)
    assert body["erased"]["subscriptions"] == 1 and body["erased"]["tokens"] == 1
    assert body["erased"]["objectVersions"] == 1 and "notErased" not in body
    assert spapi_emulator.app.state.subscriptions == {}
    token = boto3.client("dynamodb").get_item(
        TableName=resources.tokens_table, Key={"SellerId": {"S": SELLER_ID}}
    )
    assert "Item" not in token
    assert_no_secrets(response["body"] + capsys.readouterr().out)
    # Again: nothing left, and the same status.
    again = _delete(eraser, SELLER_ID, lambda_context)
    assert again["statusCode"] == 200 and api_events.answer_body(again)["nothingToErase"] is True


def test_an_unknown_seller_is_200_with_zeros_not_404(eraser, lambda_context):
    response = _delete(eraser, "A9UNKNOWN9SELLER", lambda_context)
    assert response["statusCode"] == 200
    body = api_events.answer_body(response)
    assert body["nothingToErase"] is True and set(body["erased"].values()) == {0}


def test_lwa_refusing_the_token_is_reported_and_the_rest_erased(eraser, spapi_emulator, lambda_context):
    from tests.support.canaries import REFRESH_TOKEN

    spapi_emulator.app.state.revoke(REFRESH_TOKEN)
    response = _delete(eraser, SELLER_ID, lambda_context)
    assert response["statusCode"] == 200
    body = api_events.answer_body(response)
    assert body["erased"]["tokens"] == 1
    assert len(body["notErased"]) == 3 and "invalid_grant" in body["notErased"][0]


@pytest.mark.parametrize("seller_id", ["a3th9s8bh6gogm", "A3TH/../X", "SHORT", "A" * 21, "A3TH9S8BH6GOG%"])
def test_a_malformed_seller_id_is_a_400_naming_it(eraser, lambda_context, seller_id):
    response = _delete(eraser, seller_id, lambda_context)
    assert response["statusCode"] == 400
    assert api_events.answer_body(response)["error"]["message"].startswith("sellerId: ")
