"""POST /tokens: a refresh token is checked with LWA, stored encrypted, never echoed."""

from __future__ import annotations

import json

import boto3
import pytest

from sp_reports.pipeline.token_store import TokenStore
from tests.support import api_events
from tests.support.canaries import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, SELLER_ID, assert_no_secrets


@pytest.fixture
def token_storage(spapi_emulator, load_handler):
    return load_handler("token_storage")


def _post(module, body, context):
    return module.handler(api_events.api_event("POST", "/tokens", body), context)


def _stored_token(resources) -> str:
    store = TokenStore(resources.tokens_table, "", boto3.client("dynamodb"), boto3.client("kms"))
    return store.get(SELLER_ID)


def test_new_token_is_checked_stored_encrypted_and_answered_200_without_the_token(
    token_storage, resources, spapi_emulator, lambda_context, capsys
):
    response = _post(token_storage, {"SellerId": SELLER_ID, "RefreshToken": REFRESH_TOKEN}, lambda_context)
    assert response["statusCode"] == 200
    assert api_events.answer_body(response) == {"sellerId": SELLER_ID}
    assert _stored_token(resources) == REFRESH_TOKEN
    item = boto3.client("dynamodb").get_item(
        TableName=resources.tokens_table, Key={"SellerId": {"S": SELLER_ID}}
    )["Item"]
    assert REFRESH_TOKEN.encode() not in item["EncryptedRefreshToken"]["B"]
    # Stored on the caller's word: unbound until Amazon names the seller (a notification of its report).
    assert item["Bound"] == {"BOOL": False}
    assert any(exchange.kind == "lwa" for exchange in spapi_emulator.exchanges)
    assert_no_secrets(response["body"] + capsys.readouterr().out)


def test_reauthorisation_replaces_the_token_and_answers_as_for_a_new_seller(
    token_storage, resources, spapi_emulator, lambda_context
):
    # The same status, headers and body for a new seller and a known one: the answer does not tell which
    # sellers the deployment serves.
    first = _post(token_storage, {"SellerId": SELLER_ID, "RefreshToken": REFRESH_TOKEN}, lambda_context)
    newer = "Atzr|CANARY-REFRESH-second-authorisation"
    spapi_emulator.register_seller(newer, SELLER_ID)
    second = _post(token_storage, {"SellerId": SELLER_ID, "RefreshToken": newer}, lambda_context)
    assert (
        (second["statusCode"], second["body"])
        == (first["statusCode"], first["body"])
        == (
            200,
            first["body"],
        )
    )
    assert second["headers"] == first["headers"]
    assert _stored_token(resources) == newer


def test_revoked_token_is_refused_with_400_and_not_stored(
    token_storage, resources, spapi_emulator, lambda_context, capsys
):
    spapi_emulator.revoke(REFRESH_TOKEN)
    response = _post(token_storage, {"SellerId": SELLER_ID, "RefreshToken": REFRESH_TOKEN}, lambda_context)
    assert response["statusCode"] == 400
    error = api_events.answer_body(response)["error"]
    assert error["code"] == "InvalidRefreshToken" and error["message"].startswith("RefreshToken:")
    item = boto3.client("dynamodb").get_item(
        TableName=resources.tokens_table, Key={"SellerId": {"S": SELLER_ID}}
    )
    assert "Item" not in item
    assert_no_secrets(response["body"] + capsys.readouterr().out)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"RefreshToken": REFRESH_TOKEN}, "SellerId"),
        ({"SellerId": "not a seller", "RefreshToken": REFRESH_TOKEN}, "SellerId"),
        ({"SellerId": 42, "RefreshToken": REFRESH_TOKEN}, "SellerId"),
        ({"SellerId": SELLER_ID}, "RefreshToken"),
        ({"SellerId": SELLER_ID, "RefreshToken": "Atza|CANARY-access-token-not-refresh"}, "RefreshToken"),
        ({"SellerId": SELLER_ID, "RefreshToken": "Atzr|CANARY with spaces"}, "RefreshToken"),
        ({"SellerId": SELLER_ID, "RefreshToken": ["Atzr|CANARY-in-a-list"]}, "RefreshToken"),
        ("not json {Atzr|CANARY-in-broken-json", "body"),
        ("[1, 2]", "body"),
        (None, "body"),
    ],
)
def test_invalid_request_is_refused_with_400_naming_the_field_and_never_echoing_the_token(
    token_storage, spapi_emulator, lambda_context, capsys, body, field
):
    response = _post(token_storage, body, lambda_context)
    assert response["statusCode"] == 400
    error = api_events.answer_body(response)["error"]
    assert error["code"] == "ValidationError"
    assert error["message"].startswith(f"{field}:")
    assert not [exchange for exchange in spapi_emulator.exchanges if exchange.kind == "lwa"]
    assert_no_secrets(response["body"] + capsys.readouterr().out)


def test_lwa_outage_is_a_502_and_nothing_is_stored(token_storage, resources, spapi_emulator, lambda_context):
    spapi_emulator.app.lwa_down(503, times=None)
    response = _post(token_storage, {"SellerId": SELLER_ID, "RefreshToken": REFRESH_TOKEN}, lambda_context)
    assert response["statusCode"] == 502
    assert api_events.answer_body(response)["error"]["code"] == "LwaUnavailable"
    item = boto3.client("dynamodb").get_item(
        TableName=resources.tokens_table, Key={"SellerId": {"S": SELLER_ID}}
    )
    assert "Item" not in item


def test_rejected_app_credentials_are_a_500_without_the_client_secret(
    token_storage, resources, spapi_emulator, lambda_context, capsys
):
    boto3.client("secretsmanager").put_secret_value(
        SecretId=resources.lwa_secret_arn,
        SecretString=json.dumps({"client_id": CLIENT_ID, "client_secret": "CANARY-wrong-secret"}),
    )
    response = _post(token_storage, {"SellerId": SELLER_ID, "RefreshToken": REFRESH_TOKEN}, lambda_context)
    assert response["statusCode"] == 500
    assert api_events.answer_body(response)["error"]["code"] == "ApplicationCredentialsRejected"
    assert_no_secrets(response["body"] + capsys.readouterr().out, CLIENT_SECRET)
