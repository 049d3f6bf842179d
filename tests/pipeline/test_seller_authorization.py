"""Seller onboarding through Amazon's authorization workflow: states, the code exchange, bound tokens.

Amazon's steps: SP-API "Website Authorization Workflow",
https://developer-docs.amazon.com/sp-api/docs/website-authorization-workflow. LWA is the emulator's
authorization_code grant; DynamoDB and KMS are moto.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest

from sp_reports.pipeline.api_requests import ApiError
from sp_reports.pipeline.seller_authorization import (
    STATE_KEY_PREFIX,
    AuthorizationStates,
    SellerAuthorization,
)
from sp_reports.pipeline.token_store import TokenBindings, TokenStore
from sp_reports.spapi.credentials import AppCredentials
from sp_reports.spapi.lwa import LwaClient
from tests.support.canaries import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, SELLER_ID, assert_no_secrets

TABLE = "sp-reports-tokens"
REDIRECT_URI = "https://abc123.execute-api.us-east-1.amazonaws.com/prod/authorization/redirect"
CALLBACK = "https://sellercentral.amazon.com/apps/authorize/confirm/amzn1.sellerapps.app.2eca283f-9f5a"
NEW_SELLER = "A1NEWSELLER0AB"
OTHER_SELLER = "A2OTHERSELLER9"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def dynamodb(aws):
    client = boto3.client("dynamodb", region_name="us-east-1")
    client.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "SellerId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "SellerId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return client


@pytest.fixture
def tokens(dynamodb) -> TokenStore:
    kms = boto3.client("kms", region_name="us-east-1")
    return TokenStore(TABLE, kms.create_key()["KeyMetadata"]["KeyId"], dynamodb, kms)


@pytest.fixture
def bindings(dynamodb) -> TokenBindings:
    return TokenBindings(TABLE, dynamodb)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def states(dynamodb, clock) -> AuthorizationStates:
    return AuthorizationStates(TABLE, dynamodb, clock=clock)


@pytest.fixture
def authorization(spapi_emulator, states, tokens) -> SellerAuthorization:
    lwa = LwaClient(AppCredentials(CLIENT_ID, CLIENT_SECRET), endpoint=spapi_emulator.lwa_url)
    return SellerAuthorization(states, REDIRECT_URI, lwa=lwa, tokens=tokens)


def _login(authorization: SellerAuthorization, seller_id: str = NEW_SELLER, **extra: str) -> dict[str, str]:
    location = authorization.login(
        {
            "amazon_callback_uri": CALLBACK,
            "amazon_state": "amazon-state-1",
            "selling_partner_id": seller_id,
            **extra,
        }
    )
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == CALLBACK
    return {name: values[0] for name, values in parse_qs(parts.query).items()}


def _refused(call, status: int, code: str) -> ApiError:
    with pytest.raises(ApiError) as raised:
        call()
    assert (raised.value.status, raised.value.code) == (status, code), raised.value.message
    return raised.value


def test_login_sends_the_browser_back_to_amazon_with_redirect_uri_amazon_state_and_a_state(authorization):
    sent = _login(authorization, version="beta")

    assert sent["redirect_uri"] == REDIRECT_URI
    assert sent["amazon_state"] == "amazon-state-1"
    assert sent["version"] == "beta"
    assert len(sent["state"]) == 43


def test_states_are_stored_hashed_with_an_expiry(authorization, dynamodb, clock):
    state = _login(authorization)["state"]

    items = dynamodb.scan(TableName=TABLE)["Items"]
    assert len(items) == 1
    assert items[0]["SellerId"]["S"].startswith(STATE_KEY_PREFIX)
    assert state not in str(items)
    assert int(items[0]["ExpiresAt"]["N"]) == int(clock.now) + 600


def test_the_redirect_stores_the_token_under_the_seller_amazon_named_bound(
    bindings, authorization, spapi_emulator, tokens
):
    state = _login(authorization)["state"]
    code = spapi_emulator.authorize(CLIENT_ID, NEW_SELLER, REDIRECT_URI)

    authorized = authorization.redirect(
        {"state": state, "selling_partner_id": NEW_SELLER, "spapi_oauth_code": code}
    )

    assert (authorized.seller_id, authorized.new_seller) == (NEW_SELLER, True)
    assert tokens.get(NEW_SELLER).startswith("Atzr|")
    assert bindings.is_bound(NEW_SELLER) is True


def test_a_state_works_once(authorization, spapi_emulator, tokens):
    state = _login(authorization)["state"]
    first = spapi_emulator.authorize(CLIENT_ID, NEW_SELLER, REDIRECT_URI)
    authorization.redirect({"state": state, "selling_partner_id": NEW_SELLER, "spapi_oauth_code": first})
    stored = tokens.get(NEW_SELLER)
    second = spapi_emulator.authorize(CLIENT_ID, NEW_SELLER, REDIRECT_URI)

    _refused(
        lambda: authorization.redirect(
            {"state": state, "selling_partner_id": NEW_SELLER, "spapi_oauth_code": second}
        ),
        403,
        "InvalidState",
    )
    assert tokens.get(NEW_SELLER) == stored


def test_an_expired_state_is_refused_and_nothing_is_stored(
    bindings, authorization, spapi_emulator, tokens, clock
):
    state = _login(authorization)["state"]
    code = spapi_emulator.authorize(CLIENT_ID, NEW_SELLER, REDIRECT_URI)
    clock.now += 600

    _refused(
        lambda: authorization.redirect(
            {"state": state, "selling_partner_id": NEW_SELLER, "spapi_oauth_code": code}
        ),
        403,
        "ExpiredState",
    )
    assert bindings.is_bound(NEW_SELLER) is None


@pytest.mark.parametrize("forged", ["A" * 43, "not-a-state", "x" * 500])
def test_a_forged_state_is_refused_and_nothing_is_stored(
    bindings, authorization, spapi_emulator, tokens, forged
):
    _login(authorization)
    code = spapi_emulator.authorize(CLIENT_ID, NEW_SELLER, REDIRECT_URI)

    error = _refused(
        lambda: authorization.redirect(
            {"state": forged, "selling_partner_id": NEW_SELLER, "spapi_oauth_code": code}
        ),
        403,
        "InvalidState",
    )
    assert forged not in error.message
    assert bindings.is_bound(NEW_SELLER) is None


def test_a_state_issued_for_another_seller_is_refused(bindings, authorization, spapi_emulator, tokens):
    state = _login(authorization, seller_id=OTHER_SELLER)["state"]
    code = spapi_emulator.authorize(CLIENT_ID, NEW_SELLER, REDIRECT_URI)

    _refused(
        lambda: authorization.redirect(
            {"state": state, "selling_partner_id": NEW_SELLER, "spapi_oauth_code": code}
        ),
        403,
        "InvalidState",
    )
    assert bindings.is_bound(NEW_SELLER) is None


@pytest.mark.parametrize(
    ("missing", "status", "code"),
    [
        ("state", 400, "MissingParameter"),
        ("selling_partner_id", 400, "MissingParameter"),
        ("spapi_oauth_code", 400, "MissingParameter"),
    ],
)
def test_a_redirect_missing_a_parameter_says_which_and_keeps_the_state(
    bindings, authorization, spapi_emulator, tokens, missing, status, code
):
    state = _login(authorization)["state"]
    oauth_code = spapi_emulator.authorize(CLIENT_ID, NEW_SELLER, REDIRECT_URI)
    query = {"state": state, "selling_partner_id": NEW_SELLER, "spapi_oauth_code": oauth_code}
    del query[missing]

    error = _refused(lambda: authorization.redirect(query), status, code)

    assert error.message.startswith(missing)
    assert bindings.is_bound(NEW_SELLER) is None


def test_a_code_lwa_refuses_is_a_400_that_stores_nothing(bindings, authorization, spapi_emulator, tokens):
    state = _login(authorization)["state"]
    code = spapi_emulator.authorize(CLIENT_ID, NEW_SELLER, "https://elsewhere.example.com/cb")

    error = _refused(
        lambda: authorization.redirect(
            {"state": state, "selling_partner_id": NEW_SELLER, "spapi_oauth_code": code}
        ),
        400,
        "InvalidAuthorizationCode",
    )
    assert code not in error.message
    assert bindings.is_bound(NEW_SELLER) is None


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ({"amazon_callback_uri": "https://evil.example.com/apps/authorize/confirm/x"}, "amazon_callback_uri"),
        (
            {"amazon_callback_uri": "http://sellercentral.amazon.com/apps/authorize/confirm/x"},
            "amazon_callback_uri",
        ),
        ({"amazon_callback_uri": "https://amazon.com.evil.example/x"}, "amazon_callback_uri"),
        ({"selling_partner_id": "not a seller"}, "selling_partner_id"),
        ({"amazon_state": ""}, "amazon_state"),
        ({"version": "gamma"}, "version"),
    ],
)
def test_login_refuses_what_amazon_would_not_send_and_issues_no_state(authorization, dynamodb, query, name):
    good = {"amazon_callback_uri": CALLBACK, "amazon_state": "s", "selling_partner_id": NEW_SELLER}

    error = _refused(lambda: authorization.login({**good, **query}), 400, error_code(query))

    assert error.message.startswith(name)
    assert dynamodb.scan(TableName=TABLE)["Items"] == []


def error_code(query: dict[str, str]) -> str:
    return "MissingParameter" if "" in query.values() else "InvalidParameter"


def test_nothing_secret_is_logged(authorization, spapi_emulator, caplog):
    caplog.set_level(logging.DEBUG)
    state = _login(authorization)["state"]
    code = spapi_emulator.authorize(CLIENT_ID, NEW_SELLER, REDIRECT_URI)
    authorization.redirect({"state": state, "selling_partner_id": NEW_SELLER, "spapi_oauth_code": code})

    assert_no_secrets(caplog.text, state, code)


def test_post_tokens_stores_unbound_and_mark_bound_binds_once(bindings, tokens):
    tokens.put(SELLER_ID, REFRESH_TOKEN)
    assert bindings.is_bound(SELLER_ID) is False

    assert bindings.mark_bound(SELLER_ID) is True
    assert bindings.is_bound(SELLER_ID) is True
    assert bindings.mark_bound(SELLER_ID) is False


def test_mark_bound_creates_nothing_for_an_unknown_seller(bindings, tokens):
    assert bindings.mark_bound(OTHER_SELLER) is False
    assert bindings.is_bound(OTHER_SELLER) is None


def test_replacing_a_token_through_post_tokens_unbinds_it(bindings, tokens):
    tokens.put(SELLER_ID, REFRESH_TOKEN, bound=True)

    tokens.put(SELLER_ID, "Atzr|another-token")

    assert bindings.is_bound(SELLER_ID) is False


def test_states_are_not_sellers(authorization, tokens):
    _login(authorization)
    tokens.put(SELLER_ID, REFRESH_TOKEN)

    assert [seller.seller_id for seller in tokens.sellers()] == [SELLER_ID]


def test_a_confirmation_about_an_earlier_token_binds_nothing(tokens, bindings):
    from datetime import UTC, datetime, timedelta

    tokens.put(SELLER_ID, REFRESH_TOKEN)

    assert bindings.mark_bound(SELLER_ID, stored_before=datetime.now(UTC) - timedelta(minutes=15)) is False
    assert bindings.is_bound(SELLER_ID) is False
    assert bindings.mark_bound(SELLER_ID, stored_before=datetime.now(UTC) + timedelta(seconds=1)) is True
