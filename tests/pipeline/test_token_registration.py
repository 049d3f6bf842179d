"""POST /tokens' service, called as the token_storage handler calls it, against the emulator's LWA and moto:
a token LWA accepts is stored encrypted and unbound, one it refuses is not, and no token reaches a log."""

from __future__ import annotations

import boto3
import pytest

from sp_reports.pipeline.api_requests import ApiError, ValidationError
from sp_reports.pipeline.tenancy import TenantBoundary
from sp_reports.pipeline.token_registration import TokenRegistration
from sp_reports.pipeline.token_store import CachedTokenStore, TokenStore
from sp_reports.spapi.credentials import AppCredentials
from sp_reports.spapi.lwa import LwaClient
from tests.support.api_events import api_event
from tests.support.canaries import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, SELLER_ID, assert_no_secrets


@pytest.fixture
def store(resources) -> TokenStore:
    return TokenStore(
        resources.tokens_table, resources.tokens_key_id, boto3.client("dynamodb"), boto3.client("kms")
    )


@pytest.fixture
def registration(spapi_emulator, store, telemetry) -> TokenRegistration:
    return TokenRegistration(
        lwa=LwaClient(lambda: AppCredentials(CLIENT_ID, CLIENT_SECRET)),
        tokens=CachedTokenStore(store),
        boundary=TenantBoundary(None),
        logger=telemetry.logger,
        metrics=telemetry.metrics,
    )


def _event(body) -> dict:
    return api_event("POST", "/tokens", body)


def test_a_token_lwa_accepts_is_stored_unbound_answered_logged_and_counted(
    registration, store, resources, telemetry
):
    answer = registration.register(_event({"SellerId": SELLER_ID, "RefreshToken": REFRESH_TOKEN}))

    assert answer == (200, {"sellerId": SELLER_ID})
    assert store.get(SELLER_ID) == REFRESH_TOKEN
    item = boto3.client("dynamodb").get_item(
        TableName=resources.tokens_table, Key={"SellerId": {"S": SELLER_ID}}
    )["Item"]
    assert item["Bound"] == {"BOOL": False}
    (stored,) = [line for line in telemetry.lines() if line["message"] == "refresh token stored"]
    assert (stored["seller_id"], stored["new_seller"]) == (SELLER_ID, True)
    assert telemetry.counts() == {"TokensStored": 1}
    assert_no_secrets(telemetry.output.getvalue())


def test_a_token_lwa_refuses_is_a_400_invalid_refresh_token_and_nothing_is_stored(
    registration, spapi_emulator, resources, telemetry
):
    spapi_emulator.revoke(REFRESH_TOKEN)

    with pytest.raises(ApiError) as refused:
        registration.register(_event({"SellerId": SELLER_ID, "RefreshToken": REFRESH_TOKEN}))

    assert (refused.value.status, refused.value.code) == (400, "InvalidRefreshToken")
    assert refused.value.message.startswith("RefreshToken: Login with Amazon refused it")
    assert REFRESH_TOKEN not in refused.value.message
    item = boto3.client("dynamodb").get_item(
        TableName=resources.tokens_table, Key={"SellerId": {"S": SELLER_ID}}
    )
    assert "Item" not in item
    assert telemetry.counts() == {}


def test_a_request_without_a_refresh_token_is_refused_before_lwa_is_asked(registration, spapi_emulator):
    with pytest.raises(ValidationError) as refused:
        registration.register(_event({"SellerId": SELLER_ID}))

    assert refused.value.status == 400 and "RefreshToken" in refused.value.message
    assert not [exchange for exchange in spapi_emulator.exchanges if exchange.kind == "lwa"]
