"""A rotated or expiring LWA client secret: re-read on LWA's and on SP-API's signal, once, then a clear error.

After a rotation the old secret works for seven more days (developer-docs
"rotating-your-apps-lwa-credentials"). An expired secret shows up as LWA 401 invalid_client
(jlevers/selling-partner-api#595) or as SP-API 403 "The LWA secret token you provided has expired."
(selling-partner-api-models#4489), the latter also while LWA still issues tokens for it.
"""

from __future__ import annotations

import json

import boto3
import pytest

from sp_reports.spapi.credentials import SecretsManagerAppCredentials
from sp_reports.spapi.errors import LwaClientSecretExpiredError, LwaInvalidClientError
from sp_reports.spapi.http import SpApiHttpClient
from sp_reports.spapi.lwa import LwaClient
from sp_reports.spapi.regions import lwa_endpoint, spapi_endpoint
from sp_reports.spapi.reports import ReportsClient
from tests.support.canaries import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, assert_no_secrets
from tests.support.spapi_exchanges import spapi_exchanges

NEW_SECRET = "CANARY-CLIENT-SECRET-rotated"
LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def secrets(aws):
    client = boto3.client("secretsmanager", region_name="us-east-1")
    client.create_secret(
        Name="app", SecretString=json.dumps({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
    )
    return client


def _store(secrets, secret: str) -> None:
    secrets.put_secret_value(
        SecretId="app", SecretString=json.dumps({"client_id": CLIENT_ID, "client_secret": secret})
    )


@pytest.fixture
def credentials_clock() -> Clock:
    """The client's clock (cached credentials and access tokens); the emulator keeps its own."""
    return Clock()


@pytest.fixture
def reports(spapi_emulator, secrets, session, credentials_clock) -> ReportsClient:
    credentials = SecretsManagerAppCredentials("app", secrets, clock=credentials_clock)
    lwa = LwaClient(
        credentials, endpoint=lwa_endpoint(), session=session, clock=credentials_clock, sleep=lambda _s: None
    )
    http = SpApiHttpClient(spapi_endpoint("NA"), session=session, sleep=lambda _s: None)
    return ReportsClient(http, lwa.seller_token_provider(REFRESH_TOKEN))


def _lwa_statuses(emulator) -> list[int]:
    return [e.status for e in emulator.exchanges if e.kind == "lwa"]


def test_a_warm_container_picks_up_the_rotated_secret_before_the_old_one_expires(
    reports, spapi_emulator, secrets, credentials_clock
) -> None:
    reports.create_report(LISTINGS, ["ATVPDKIKX0DER"])
    spapi_emulator.rotate_client_secret(CLIENT_ID, NEW_SECRET)
    _store(secrets, NEW_SECRET)
    credentials_clock.now += 3600  # the cached credentials' default lifetime; the access token's too
    spapi_emulator.advance_time(3600)

    reports.create_report(LISTINGS, ["ATVPDKIKX0DER"])
    spapi_emulator.expire_client_secret(CLIENT_ID, CLIENT_SECRET)  # the seven days are over
    reports.create_report(LISTINGS, ["ATVPDKIKX0DER"])

    # The second exchange already sent the new secret: LWA never had to refuse the old one.
    assert _lwa_statuses(spapi_emulator) == [200, 200]
    assert [e.status for e in spapi_exchanges(spapi_emulator, "createReport")] == [202, 202, 202]


def test_sp_api_saying_the_secret_expired_makes_the_client_re_read_it_and_retry_once(
    reports, spapi_emulator, secrets
) -> None:
    reports.create_report(LISTINGS, ["ATVPDKIKX0DER"])
    spapi_emulator.rotate_client_secret(CLIENT_ID, NEW_SECRET)
    _store(secrets, NEW_SECRET)
    # Only SP-API has noticed so far (selling-partner-api-models#4489): LWA still accepts the old secret, so
    # a fresh access token from the cached secret would be refused again.
    spapi_emulator.expire_client_secret(CLIENT_ID, CLIENT_SECRET, signals=("spapi",))

    assert reports.create_report(LISTINGS, ["ATVPDKIKX0DER"])

    assert [e.status for e in spapi_exchanges(spapi_emulator, "createReport")] == [202, 403, 202]
    assert _lwa_statuses(spapi_emulator) == [200, 200]


def test_a_stored_secret_sp_api_still_calls_expired_fails_clearly_after_one_re_read(
    reports, spapi_emulator
) -> None:
    reports.create_report(LISTINGS, ["ATVPDKIKX0DER"])
    spapi_emulator.expire_client_secret(CLIENT_ID, CLIENT_SECRET, signals=("spapi",))  # nobody rotated

    with pytest.raises(LwaClientSecretExpiredError) as raised:
        reports.create_report(LISTINGS, ["ATVPDKIKX0DER"])

    assert [e.status for e in spapi_exchanges(spapi_emulator, "createReport")] == [202, 403, 403]
    message = str(raised.value)
    assert "The LWA secret token you provided has expired." in message
    assert "also after re-reading the app credentials" in message
    assert "store the application's current LWA client secret in the app credentials secret" in message
    assert "x-amzn-RequestId" in message
    assert_no_secrets(message + repr(raised.value))


def test_an_expired_stored_secret_seen_by_both_sides_fails_clearly_without_looping(
    reports, spapi_emulator
) -> None:
    reports.create_report(LISTINGS, ["ATVPDKIKX0DER"])
    spapi_emulator.expire_client_secret(CLIENT_ID, CLIENT_SECRET)

    with pytest.raises(LwaInvalidClientError) as raised:
        reports.create_report(LISTINGS, ["ATVPDKIKX0DER"])

    # SP-API's 403 made us re-read the secret; LWA then refused it (the same one): no second exchange with it.
    assert [e.status for e in spapi_exchanges(spapi_emulator, "createReport")] == [202, 403]
    assert _lwa_statuses(spapi_emulator) == [200, 401]
    assert "store the application's current LWA client id and client secret" in str(raised.value)
    assert_no_secrets(str(raised.value) + repr(raised.value))


def test_lwa_refusing_the_cached_secret_makes_the_client_use_the_rotated_one(
    reports, spapi_emulator, secrets
) -> None:
    reports.create_report(LISTINGS, ["ATVPDKIKX0DER"])  # caches the credentials: the old secret
    spapi_emulator.rotate_client_secret(CLIENT_ID, NEW_SECRET)
    _store(secrets, NEW_SECRET)
    spapi_emulator.advance_time(3600)  # SP-API's side: the access token expired, a new one is needed
    spapi_emulator.expire_client_secret(CLIENT_ID, CLIENT_SECRET)

    reports.create_report(LISTINGS, ["ATVPDKIKX0DER"])

    assert _lwa_statuses(spapi_emulator) == [200, 401, 200]
    assert [e.status for e in spapi_exchanges(spapi_emulator, "createReport")] == [202, 403, 202]
