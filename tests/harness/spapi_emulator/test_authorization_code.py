"""LWA's authorization_code grant: a seller's consent (`spapi_oauth_code`) becomes a refresh token.

The documented cases (SP-API "Website Authorization Workflow",
https://developer-docs.amazon.com/sp-api/docs/website-authorization-workflow: the code expires after five
minutes and is exchanged with grant_type, code, redirect_uri, client_id, client_secret; LWA "Authorization
Code Grant", https://developer.amazon.com/docs/login-with-amazon/authorization-code-grant.html; RFC 6749
sections 4.1.3 and 5.2 for the error codes and statuses).
"""

from __future__ import annotations

import pytest

from spapi_emulator import SpApiEmulator
from spapi_emulator import remote_control_routes as control_routes
from tests.support.canaries import CLIENT_ID, CLIENT_SECRET, assert_no_secrets
from tests.support.emulator_api import lwa_token

REDIRECT_URI = "https://onboarding.example.com/prod/authorization/redirect"
NEW_SELLER = "A1NEWSELLER0AB"
OTHER_CLIENT = "amzn1.application-oa2-client.other"


def _grant(issued: str, **overrides: str) -> dict[str, str]:
    fields = {
        "grant_type": "authorization_code",
        "code": issued,
        "redirect_uri": REDIRECT_URI,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    fields.update(overrides)
    return {name: value for name, value in fields.items() if value is not None}


def test_a_code_becomes_a_refresh_token_that_acts_for_the_consenting_seller(spapi_emulator: SpApiEmulator):
    code = spapi_emulator.authorize(CLIENT_ID, NEW_SELLER, REDIRECT_URI)

    response = lwa_token(spapi_emulator, **_grant(code))

    assert response.status_code == 200
    body = response.json()
    assert body["refresh_token"].startswith("Atzr|") and body["access_token"].startswith("Atza|")
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    refreshed = lwa_token(
        spapi_emulator,
        grant_type="refresh_token",
        refresh_token=body["refresh_token"],
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )
    assert refreshed.status_code == 200
    with spapi_emulator.app.state.lock:
        assert (
            spapi_emulator.app.state.access_tokens[refreshed.json()["access_token"]].seller_id == NEW_SELLER
        )


# (case, how the request differs, minutes waited, status, error)
CASES = [
    ("missing code", {"code": ""}, 0, 400, "invalid_request"),
    ("missing redirect_uri", {"redirect_uri": ""}, 0, 400, "invalid_request"),
    ("unknown code", {"code": "not-a-code"}, 0, 400, "invalid_grant"),
    (
        "redirect_uri other than the code's",
        {"redirect_uri": "https://evil.example.com/cb"},
        0,
        400,
        "invalid_grant",
    ),
    ("expired: five minutes after issue", {}, 5, 400, "invalid_grant"),
    ("wrong client secret", {"client_secret": "CANARY-CLIENT-SECRET-wrong"}, 0, 401, "invalid_client"),
    ("unknown client", {"client_id": "amzn1.application-oa2-client.unknown"}, 0, 401, "invalid_client"),
]


@pytest.mark.parametrize(
    ("case", "overrides", "minutes", "status", "error"), CASES, ids=[c[0] for c in CASES]
)
def test_documented_refusals(spapi_emulator: SpApiEmulator, case, overrides, minutes, status, error):
    code = spapi_emulator.authorize(CLIENT_ID, NEW_SELLER, REDIRECT_URI)
    spapi_emulator.advance_time(minutes * 60)

    response = lwa_token(spapi_emulator, **_grant(code, **overrides))

    assert (response.status_code, response.json()["error"]) == (status, error), case
    assert_no_secrets(response.text, code)


def test_a_code_is_still_good_just_before_five_minutes(spapi_emulator: SpApiEmulator):
    code = spapi_emulator.authorize(CLIENT_ID, NEW_SELLER, REDIRECT_URI)
    spapi_emulator.advance_time(299)

    assert lwa_token(spapi_emulator, **_grant(code)).status_code == 200


def test_a_code_works_once(spapi_emulator: SpApiEmulator):
    code = spapi_emulator.authorize(CLIENT_ID, NEW_SELLER, REDIRECT_URI)
    assert lwa_token(spapi_emulator, **_grant(code)).status_code == 200

    again = lwa_token(spapi_emulator, **_grant(code))

    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")


def test_a_code_issued_to_another_application_is_an_invalid_grant(spapi_emulator: SpApiEmulator):
    spapi_emulator.register_app(OTHER_CLIENT, "CANARY-CLIENT-SECRET-other")
    code = spapi_emulator.authorize(OTHER_CLIENT, NEW_SELLER, REDIRECT_URI)

    response = lwa_token(spapi_emulator, **_grant(code))

    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")


def test_a_refused_exchange_does_not_use_the_code_up(spapi_emulator: SpApiEmulator):
    code = spapi_emulator.authorize(CLIENT_ID, NEW_SELLER, REDIRECT_URI)
    assert (
        lwa_token(spapi_emulator, **_grant(code, redirect_uri="https://evil.example.com/cb")).status_code
        == 400
    )

    assert lwa_token(spapi_emulator, **_grant(code)).status_code == 200


def test_the_control_route_issues_codes_like_the_consent(spapi_emulator: SpApiEmulator):
    body = {"client_id": CLIENT_ID, "seller_id": NEW_SELLER, "redirect_uri": REDIRECT_URI}

    code = control_routes._route(spapi_emulator.app, "POST", ["authorizations"], body)["code"]

    assert lwa_token(spapi_emulator, **_grant(code)).status_code == 200


def test_the_control_route_names_an_unknown_client(spapi_emulator: SpApiEmulator):
    body = {"client_id": OTHER_CLIENT, "seller_id": NEW_SELLER, "redirect_uri": REDIRECT_URI}

    with pytest.raises(control_routes._BadRequest, match="client_id: no application"):
        control_routes._route(spapi_emulator.app, "POST", ["authorizations"], body)
