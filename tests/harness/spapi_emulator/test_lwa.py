"""The LWA token endpoint: grants, LWA's error bodies, counting, revocation and expiry."""

from __future__ import annotations

import logging

import pytest
import requests

from spapi_emulator import SpApiEmulator
from tests.support.canaries import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, SELLER_ID, assert_no_secrets
from tests.support.emulator_api import (
    GRANTLESS_GRANT,
    SELLER_GRANT,
    Api,
    grantless_token,
    lwa_token,
    seller_token,
)


def test_refresh_token_grant_returns_a_bearer_access_token(spapi_emulator: SpApiEmulator):
    response = lwa_token(spapi_emulator, **SELLER_GRANT)

    assert response.status_code == 200
    body = response.json()
    assert body["access_token"].startswith("Atza|")
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert "no-store" in response.headers["Cache-Control"]


def test_client_credentials_grant_returns_a_token_without_refresh_token(spapi_emulator: SpApiEmulator):
    body = lwa_token(spapi_emulator, **GRANTLESS_GRANT).json()

    assert body["access_token"].startswith("Atza|")
    assert "refresh_token" not in body


def test_json_token_requests_are_accepted(spapi_emulator: SpApiEmulator):
    response = requests.post(spapi_emulator.lwa_url, json=SELLER_GRANT, timeout=5)

    assert response.status_code == 200


def test_each_exchange_issues_a_new_token(spapi_emulator: SpApiEmulator):
    assert seller_token(spapi_emulator) != seller_token(spapi_emulator)


def test_access_token_lifetime_is_configurable(models_dir):
    with SpApiEmulator(models_dir=models_dir, access_token_ttl=120) as emulator:
        emulator.register_app(CLIENT_ID, CLIENT_SECRET)
        assert lwa_token(emulator, **GRANTLESS_GRANT).json()["expires_in"] == 120


@pytest.mark.parametrize(
    ("overrides", "status", "error"),
    [
        ({"refresh_token": "Atzr|CANARY-REFRESH-unknown"}, 400, "invalid_grant"),
        ({"client_secret": "CANARY-CLIENT-SECRET-wrong"}, 401, "invalid_client"),
        ({"client_id": "amzn1.application-oa2-client.unknown"}, 401, "invalid_client"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        ({"grant_type": ""}, 400, "invalid_request"),
        ({"refresh_token": ""}, 400, "invalid_request"),
    ],
)
def test_refresh_grant_errors_look_like_lwa(spapi_emulator: SpApiEmulator, overrides, status, error):
    response = lwa_token(spapi_emulator, **{**SELLER_GRANT, **overrides})

    assert response.status_code == status
    body = response.json()
    assert body["error"] == error
    assert body["error_description"]
    assert_no_secrets(response.text)


@pytest.mark.parametrize(
    ("scope", "error"), [("sellingpartnerapi::migration", "invalid_scope"), ("", "invalid_request")]
)
def test_client_credentials_needs_the_notifications_scope(spapi_emulator: SpApiEmulator, scope, error):
    response = lwa_token(spapi_emulator, **{**GRANTLESS_GRANT, "scope": scope})

    assert response.status_code == 400
    assert response.json()["error"] == error


def test_revoked_refresh_token_is_an_invalid_grant_and_kills_its_access_tokens(spapi_emulator: SpApiEmulator):
    api = Api(spapi_emulator, seller_token(spapi_emulator))
    assert (
        api.call(
            "GET", "/reports/2021-06-30/reports", params={"reportTypes": "GET_MERCHANT_LISTINGS_ALL_DATA"}
        ).status_code
        == 200
    )

    spapi_emulator.revoke(REFRESH_TOKEN)

    response = lwa_token(spapi_emulator, **SELLER_GRANT)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert "revoked" in response.json()["error_description"]
    assert (
        api.call(
            "GET", "/reports/2021-06-30/reports", params={"reportTypes": "GET_MERCHANT_LISTINGS_ALL_DATA"}
        ).status_code
        == 403
    )


def test_refresh_token_bound_to_another_app_is_an_invalid_grant(spapi_emulator: SpApiEmulator):
    spapi_emulator.register_app("amzn1.application-oa2-client.other", "CANARY-CLIENT-SECRET-other")
    spapi_emulator.register_seller(
        "Atzr|CANARY-REFRESH-bound", SELLER_ID, client_id="amzn1.application-oa2-client.other"
    )

    response = lwa_token(spapi_emulator, **{**SELLER_GRANT, "refresh_token": "Atzr|CANARY-REFRESH-bound"})

    assert response.json()["error"] == "invalid_grant"


def test_exchanges_are_counted_per_grant(spapi_emulator: SpApiEmulator):
    seller_token(spapi_emulator)
    seller_token(spapi_emulator)
    grantless_token(spapi_emulator)
    lwa_token(spapi_emulator, **{**SELLER_GRANT, "client_secret": "CANARY-CLIENT-SECRET-wrong"})

    assert spapi_emulator.lwa_exchanges == {"refresh_token": 3, "client_credentials": 1}
    assert spapi_emulator.lwa_exchange_count == 4


def test_expired_access_token_is_refused_with_403(spapi_emulator: SpApiEmulator, seller):
    spapi_emulator.advance_time(3601)

    response = seller.call(
        "GET", "/reports/2021-06-30/reports", params={"reportTypes": "GET_MERCHANT_LISTINGS_ALL_DATA"}
    )

    assert response.status_code == 403
    assert "expired" in response.json()["errors"][0]["details"]


def test_lwa_secrets_are_neither_recorded_nor_logged(spapi_emulator: SpApiEmulator, caplog):
    caplog.set_level(logging.DEBUG)
    token = seller_token(spapi_emulator)
    lwa_token(spapi_emulator, **{**SELLER_GRANT, "refresh_token": "Atzr|CANARY-REFRESH-unknown"})

    recorded = repr(spapi_emulator.exchanges)
    assert_no_secrets(recorded, token)
    assert_no_secrets(caplog.text, token)


NEW_SECRET = "CANARY-CLIENT-SECRET-rotated"
REPORTS = "/reports/2021-06-30/reports"
SEVEN_DAYS = 7 * 24 * 3600


def _with_secret(secret: str) -> dict[str, str]:
    return {**SELLER_GRANT, "client_secret": secret}


def _seller_report_listing(emulator: SpApiEmulator, token: str) -> requests.Response:
    return Api(emulator, token).call("GET", REPORTS, params={"reportTypes": "GET_MERCHANT_LISTINGS_ALL_DATA"})


def test_after_a_rotation_both_secrets_work_for_seven_days_then_only_the_new_one(spapi_emulator):
    # developer-docs "rotating-your-apps-lwa-credentials": the old secret expires seven days after the new one
    # is generated; LWA then answers 401 invalid_client (jlevers/selling-partner-api#595).
    spapi_emulator.rotate_client_secret(CLIENT_ID, NEW_SECRET)

    spapi_emulator.advance_time(SEVEN_DAYS - 60)
    assert lwa_token(spapi_emulator, **SELLER_GRANT).status_code == 200
    new_token = lwa_token(spapi_emulator, **_with_secret(NEW_SECRET)).json()["access_token"]

    spapi_emulator.advance_time(61)
    refused = lwa_token(spapi_emulator, **SELLER_GRANT)
    assert refused.status_code == 401
    assert refused.json() == {"error_description": "Client authentication failed", "error": "invalid_client"}
    assert lwa_token(spapi_emulator, **_with_secret(NEW_SECRET)).status_code == 200
    assert _seller_report_listing(spapi_emulator, new_token).status_code == 200


@pytest.mark.parametrize(
    ("signals", "lwa_status", "spapi_status"),
    [
        # Each side on its own and both together: SP-API refused tokens with 403 "The LWA secret token you
        # provided has expired." while LWA still issued them (selling-partner-api-models#4489); LWA refuses an
        # expired secret with 401 invalid_client (jlevers/selling-partner-api#595).
        (("lwa",), 401, 200),
        (("spapi",), 200, 403),
        (("lwa", "spapi"), 401, 403),
    ],
)
def test_an_expired_secret_is_refused_by_the_sides_that_know(
    spapi_emulator: SpApiEmulator, signals, lwa_status, spapi_status
):
    token = seller_token(spapi_emulator)

    spapi_emulator.expire_client_secret(CLIENT_ID, CLIENT_SECRET, signals=signals)

    assert lwa_token(spapi_emulator, **SELLER_GRANT).status_code == lwa_status
    answer = _seller_report_listing(spapi_emulator, token)
    assert answer.status_code == spapi_status
    if spapi_status == 403:
        assert answer.json() == {
            "errors": [
                {
                    "code": "Unauthorized",
                    "message": "Access to requested resource is denied.",
                    "details": "The LWA secret token you provided has expired.",
                }
            ]
        }


def test_tokens_issued_with_the_new_secret_survive_the_old_ones_expiry(spapi_emulator: SpApiEmulator):
    old = seller_token(spapi_emulator)
    spapi_emulator.rotate_client_secret(CLIENT_ID, NEW_SECRET)
    new = lwa_token(spapi_emulator, **_with_secret(NEW_SECRET)).json()["access_token"]

    spapi_emulator.expire_client_secret(CLIENT_ID, CLIENT_SECRET)

    assert _seller_report_listing(spapi_emulator, old).status_code == 403
    assert _seller_report_listing(spapi_emulator, new).status_code == 200


def test_expiring_needs_a_known_secret_and_a_side(spapi_emulator: SpApiEmulator):
    with pytest.raises(KeyError):
        spapi_emulator.expire_client_secret(CLIENT_ID, "CANARY-never-issued")
    with pytest.raises(ValueError, match="signals"):
        spapi_emulator.expire_client_secret(CLIENT_ID, CLIENT_SECRET, signals=("s3",))


@pytest.mark.parametrize(
    "grant", [GRANTLESS_GRANT, SELLER_GRANT], ids=["client_credentials", "refresh_token"]
)
def test_an_application_denied_a_grant_gets_unauthorized_client(spapi_emulator: SpApiEmulator, grant):
    # jlevers/selling-partner-api#31, jrl84/amazon-sp-api#34: LWA's answer when the application may not use
    # the grant; its credentials are fine.
    spapi_emulator.deny_grant(CLIENT_ID, grant["grant_type"])

    response = lwa_token(spapi_emulator, **grant)

    assert response.status_code == 400
    assert response.json() == {
        "error_description": "Not authorized for requested operation",
        "error": "unauthorized_client",
    }
    other = SELLER_GRANT if grant is GRANTLESS_GRANT else GRANTLESS_GRANT
    assert lwa_token(spapi_emulator, **other).status_code == 200
