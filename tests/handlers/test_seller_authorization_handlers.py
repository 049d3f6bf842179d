"""GET /authorization/login and GET /authorization/redirect: a seller's browser through Amazon's
authorization workflow (https://developer-docs.amazon.com/sp-api/docs/website-authorization-workflow),
answered with redirects and text, never echoing a state, code or token."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest

from sp_reports.pipeline.token_store import TokenBindings, TokenStore
from tests.support.canaries import CLIENT_ID, assert_no_secrets

REDIRECT_URI = "https://abc123.execute-api.us-east-1.amazonaws.com/prod/authorization/redirect"
CALLBACK = "https://sellercentral.amazon.com/apps/authorize/confirm/amzn1.sellerapps.app.2eca283f-9f5a"
NEW_SELLER = "A1NEWSELLER0AB"


def browser_event(path: str, query: dict[str, str] | None, multi: dict[str, list[str]] | None = None) -> dict:
    """A REST API proxy event of a browser's GET, as API Gateway builds it (no IAM identity)."""
    return {
        "resource": path,
        "path": path,
        "httpMethod": "GET",
        "headers": {"Accept": "text/html"},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi or ({k: [v] for k, v in query.items()} if query else None),
        "pathParameters": None,
        "body": None,
        "isBase64Encoded": False,
        "requestContext": {"requestId": str(uuid.uuid4()), "identity": {"userArn": None}},
    }


@pytest.fixture
def login(load_handler):
    return load_handler("authorization_login", SELLER_AUTHORIZATION_REDIRECT_URI=REDIRECT_URI)


@pytest.fixture
def redirect(spapi_emulator, load_handler):
    return load_handler("authorization_redirect", SELLER_AUTHORIZATION_REDIRECT_URI=REDIRECT_URI)


def _log_in(login, lambda_context, seller_id: str = NEW_SELLER) -> dict:
    query = {"amazon_callback_uri": CALLBACK, "amazon_state": "amzn-state", "selling_partner_id": seller_id}
    return login.handler(browser_event("/authorization/login", query), lambda_context)


def test_the_browser_goes_from_log_in_to_amazon_to_a_stored_bound_token(
    login, redirect, spapi_emulator, resources, lambda_context, capsys
):
    answer = _log_in(login, lambda_context)
    assert answer["statusCode"] == 302
    assert answer["headers"]["Cache-Control"] == "no-store"
    assert answer["headers"]["Referrer-Policy"] == "no-referrer"
    sent = {k: v[0] for k, v in parse_qs(urlsplit(answer["headers"]["Location"]).query).items()}
    assert sent["redirect_uri"] == REDIRECT_URI and sent["amazon_state"] == "amzn-state"
    # Amazon, once the seller confirmed, loads the redirect URI with the state and its code.
    code = spapi_emulator.authorize(CLIENT_ID, NEW_SELLER, REDIRECT_URI)
    query = {"state": sent["state"], "selling_partner_id": NEW_SELLER, "spapi_oauth_code": code}

    done = redirect.handler(browser_event("/authorization/redirect", query), lambda_context)

    assert done["statusCode"] == 200
    assert done["headers"]["Content-Type"].startswith("text/plain")
    assert NEW_SELLER in done["body"]
    dynamodb = boto3.client("dynamodb")
    assert (
        TokenStore(resources.tokens_table, "", dynamodb, boto3.client("kms"))
        .get(NEW_SELLER)
        .startswith("Atzr|")
    )
    assert TokenBindings(resources.tokens_table, dynamodb).is_bound(NEW_SELLER) is True
    assert_no_secrets(done["body"] + capsys.readouterr().out, sent["state"], code)


def test_a_replayed_redirect_is_refused_in_text(login, redirect, spapi_emulator, lambda_context, capsys):
    sent = parse_qs(urlsplit(_log_in(login, lambda_context)["headers"]["Location"]).query)
    state = sent["state"][0]
    code = spapi_emulator.authorize(CLIENT_ID, NEW_SELLER, REDIRECT_URI)
    query = {"state": state, "selling_partner_id": NEW_SELLER, "spapi_oauth_code": code}
    assert (
        redirect.handler(browser_event("/authorization/redirect", query), lambda_context)["statusCode"] == 200
    )

    again = redirect.handler(browser_event("/authorization/redirect", query), lambda_context)

    assert again["statusCode"] == 403
    assert again["body"].startswith("InvalidState: state: unknown or already used")
    assert_no_secrets(again["body"] + capsys.readouterr().out, state, code)


@pytest.mark.parametrize(
    ("query", "status", "starts"),
    [
        (None, 400, "MissingParameter: state"),
        ({"state": "x" * 43, "selling_partner_id": NEW_SELLER}, 400, "MissingParameter: spapi_oauth_code"),
        ({"state": "A" * 43, "selling_partner_id": NEW_SELLER, "spapi_oauth_code": "c"}, 403, "InvalidState"),
    ],
)
def test_bad_redirects_say_what_is_wrong_and_store_nothing(
    redirect, resources, lambda_context, query, status, starts
):
    answer = redirect.handler(browser_event("/authorization/redirect", query), lambda_context)

    assert (answer["statusCode"], answer["body"][: len(starts)]) == (status, starts)
    assert TokenBindings(resources.tokens_table, boto3.client("dynamodb")).is_bound(NEW_SELLER) is None


def test_a_parameter_given_twice_is_refused(redirect, lambda_context):
    event = browser_event(
        "/authorization/redirect",
        {"state": "b" * 43, "selling_partner_id": NEW_SELLER, "spapi_oauth_code": "c"},
        multi={"state": ["a" * 43, "b" * 43], "selling_partner_id": [NEW_SELLER], "spapi_oauth_code": ["c"]},
    )

    answer = redirect.handler(event, lambda_context)

    assert (answer["statusCode"], answer["body"]) == (400, "RepeatedParameter: state: given more than once\n")


def test_the_log_in_uri_refuses_a_callback_outside_amazon(login, lambda_context):
    query = {
        "amazon_callback_uri": "https://evil.example.com/x",
        "amazon_state": "s",
        "selling_partner_id": NEW_SELLER,
    }

    answer = login.handler(browser_event("/authorization/login", query), lambda_context)

    assert answer["statusCode"] == 400
    assert "Location" not in answer["headers"]
    assert answer["body"].startswith("InvalidParameter: amazon_callback_uri")


def test_the_functions_need_the_redirect_uri_configured(load_handler, monkeypatch):
    monkeypatch.delenv("SELLER_AUTHORIZATION_REDIRECT_URI", raising=False)
    with pytest.raises(Exception, match="SELLER_AUTHORIZATION_REDIRECT_URI"):
        load_handler("authorization_login")
