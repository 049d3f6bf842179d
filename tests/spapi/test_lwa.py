"""LWA client against the emulator: grants, caching, expiry, concurrency and typed errors."""

from __future__ import annotations

import logging
import threading

import pytest
import requests

from sp_reports.spapi.credentials import AppCredentials
from sp_reports.spapi.errors import (
    LwaError,
    LwaInvalidClientError,
    LwaInvalidGrantError,
    LwaUnauthorizedClientError,
    LwaUnavailableError,
)
from sp_reports.spapi.lwa import NOTIFICATIONS_SCOPE, LwaClient
from sp_reports.spapi.regions import lwa_endpoint
from tests.support.canaries import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, assert_no_secrets
from tests.support.spapi_exchanges import CannedAdapter


def test_refresh_token_grant_is_form_encoded_with_app_credentials(lwa, spapi_emulator, session) -> None:
    token = lwa.access_token(REFRESH_TOKEN)
    assert token.startswith("Atza|")
    sent = session.sent[-1]
    assert sent.method == "POST" and sent.url == spapi_emulator.lwa_url
    assert sent.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert sent.data == {
        "grant_type": "refresh_token",
        "refresh_token": REFRESH_TOKEN,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    assert spapi_emulator.lwa_exchanges == {"refresh_token": 1}


def test_grantless_token_uses_client_credentials_and_the_notifications_scope(
    lwa, spapi_emulator, session
) -> None:
    lwa.grantless_access_token()
    assert session.sent[-1].data == {
        "grant_type": "client_credentials",
        "scope": NOTIFICATIONS_SCOPE,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    assert spapi_emulator.lwa_exchanges == {"client_credentials": 1}


def test_tokens_are_cached_per_seller_and_per_scope(lwa, spapi_emulator) -> None:
    other = "Atzr|CANARY-second-seller"
    spapi_emulator.register_seller(other, "A1B2C3D4E5F6G7")
    first = lwa.access_token(REFRESH_TOKEN)
    assert lwa.access_token(REFRESH_TOKEN) == first
    assert lwa.access_token(other) != first
    grantless = lwa.grantless_access_token()
    assert lwa.grantless_access_token() == grantless
    assert spapi_emulator.lwa_exchanges == {"refresh_token": 2, "client_credentials": 1}


def test_cache_keys_hold_a_hash_never_the_refresh_token(lwa) -> None:
    lwa.access_token(REFRESH_TOKEN)
    keys = list(lwa._cache)
    assert len(keys) == 1 and REFRESH_TOKEN not in keys[0] and keys[0].startswith("seller:")
    assert_no_secrets(repr(lwa) + repr(lwa._cache) + repr(lwa.seller_token_provider(REFRESH_TOKEN)))


def test_cached_token_is_refreshed_sixty_seconds_before_expiry(
    spapi_emulator, app_credentials, clock
) -> None:
    lwa = LwaClient(app_credentials, endpoint=lwa_endpoint(), clock=clock)
    first = lwa.access_token(REFRESH_TOKEN)
    clock.advance(3600 - 61)
    assert lwa.access_token(REFRESH_TOKEN) == first
    clock.advance(2)  # now 59 s before expiry
    assert lwa.access_token(REFRESH_TOKEN) != first
    assert spapi_emulator.lwa_exchange_count == 2


def test_concurrent_callers_share_one_exchange(spapi_emulator, app_credentials) -> None:
    spapi_emulator.delay("lwa", 0.3)  # keep the first exchange in flight while the others arrive
    lwa = LwaClient(app_credentials, endpoint=lwa_endpoint())
    barrier = threading.Barrier(8)
    tokens: list[str] = []

    def fetch() -> None:
        barrier.wait()
        tokens.append(lwa.access_token(REFRESH_TOKEN))

    threads = [threading.Thread(target=fetch) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(tokens) == 8 and len(set(tokens)) == 1
    assert spapi_emulator.lwa_exchanges == {"refresh_token": 1}


def test_exchange_refresh_token_always_asks_lwa_and_seeds_the_cache(lwa, spapi_emulator) -> None:
    lwa.access_token(REFRESH_TOKEN)
    checked = lwa.exchange_refresh_token(REFRESH_TOKEN)
    assert spapi_emulator.lwa_exchange_count == 2
    assert lwa.access_token(REFRESH_TOKEN) == checked
    assert spapi_emulator.lwa_exchange_count == 2


def test_revoked_refresh_token_raises_invalid_grant_without_retrying(lwa, spapi_emulator) -> None:
    spapi_emulator.revoke(REFRESH_TOKEN)
    with pytest.raises(LwaInvalidGrantError) as raised:
        lwa.exchange_refresh_token(REFRESH_TOKEN)
    assert raised.value.error == "invalid_grant" and raised.value.status == 400
    assert spapi_emulator.lwa_exchange_count == 1
    assert_no_secrets(str(raised.value) + repr(raised.value))


def test_unknown_refresh_token_raises_invalid_grant(lwa) -> None:
    with pytest.raises(LwaInvalidGrantError):
        lwa.access_token("Atzr|CANARY-never-issued")


def test_bad_client_secret_raises_invalid_client(spapi_emulator) -> None:
    wrong = AppCredentials(CLIENT_ID, "CANARY-wrong-secret")
    lwa = LwaClient(wrong, endpoint=lwa_endpoint())
    with pytest.raises(LwaInvalidClientError) as raised:
        lwa.access_token(REFRESH_TOKEN)
    assert raised.value.status == 401
    assert_no_secrets(str(raised.value) + repr(raised.value), "CANARY-wrong-secret")
    with pytest.raises(LwaInvalidClientError):
        lwa.grantless_access_token()


def test_unknown_scope_is_an_lwa_error(lwa) -> None:
    with pytest.raises(LwaError, match="invalid_scope") as raised:
        lwa.grantless_access_token("sellingpartnerapi::nonsense")
    assert type(raised.value) is LwaError


def test_lwa_down_is_retried_then_reported_unavailable(spapi_emulator, app_credentials) -> None:
    sleeps: list[float] = []
    lwa = LwaClient(app_credentials, endpoint=lwa_endpoint(), sleep=sleeps.append, max_attempts=3)
    spapi_emulator.lwa_down(503)
    with pytest.raises(LwaUnavailableError) as raised:
        lwa.access_token(REFRESH_TOKEN)
    assert raised.value.error == "temporarily_unavailable"
    assert spapi_emulator.lwa_exchange_count == 3
    assert len(sleeps) == 2 and all(0 <= s <= 2.0 for s in sleeps)


def test_lwa_recovering_within_the_retries_succeeds(spapi_emulator, app_credentials) -> None:
    lwa = LwaClient(app_credentials, endpoint=lwa_endpoint(), sleep=lambda _s: None)
    spapi_emulator.lwa_down(500, times=2)
    assert lwa.access_token(REFRESH_TOKEN).startswith("Atza|")
    assert spapi_emulator.lwa_exchange_count == 3


def test_unreachable_lwa_is_unavailable(app_credentials) -> None:
    lwa = LwaClient(
        app_credentials,
        endpoint="http://127.0.0.1:9/auth/o2/token",
        sleep=lambda _s: None,
        timeout=(0.5, 0.5),
    )
    with pytest.raises(LwaUnavailableError, match="LWA unreachable: ConnectionError"):
        lwa.access_token(REFRESH_TOKEN)


def test_lwa_timeouts_are_retried_then_unavailable(spapi_emulator, app_credentials) -> None:
    spapi_emulator.delay("lwa", 0.6, times=2)
    lwa = LwaClient(
        app_credentials, endpoint=lwa_endpoint(), sleep=lambda _s: None, timeout=(1.0, 0.2), max_attempts=2
    )
    with pytest.raises(LwaUnavailableError, match="Timeout"):
        lwa.access_token(REFRESH_TOKEN)


@pytest.mark.parametrize(
    "body", [b"<html>gateway</html>", b'{"token_type": "bearer"}', b'["not", "an", "object"]']
)
def test_garbage_from_lwa_is_retried_then_unavailable(app_credentials, body: bytes) -> None:
    adapter = CannedAdapter([(200, body, {})])
    session = requests.Session()
    session.mount("https://", adapter)
    lwa = LwaClient(app_credentials, session=session, sleep=lambda _s: None, max_attempts=3)
    with pytest.raises(LwaUnavailableError):
        lwa.access_token(REFRESH_TOKEN)
    assert adapter.calls == 3


def test_lwa_logs_never_contain_secrets(lwa, spapi_emulator, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    token = lwa.access_token(REFRESH_TOKEN)
    spapi_emulator.revoke(REFRESH_TOKEN)
    with pytest.raises(LwaInvalidGrantError):
        lwa.exchange_refresh_token(REFRESH_TOKEN)
    text = caplog.text + " ".join(str(r.__dict__) for r in caplog.records)
    assert "LWA refused a token exchange" in caplog.text
    assert_no_secrets(text, token)


def test_a_rotated_client_secret_is_re_read_once(aws, spapi_emulator) -> None:
    import json

    import boto3

    from sp_reports.spapi.credentials import SecretsManagerAppCredentials

    secrets = boto3.client("secretsmanager", region_name="us-east-1")
    secrets.create_secret(
        Name="app", SecretString=json.dumps({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
    )
    lwa = LwaClient(
        SecretsManagerAppCredentials("app", secrets), endpoint=lwa_endpoint(), sleep=lambda _s: None
    )
    lwa.grantless_access_token()
    rotated = "CANARY-rotated-secret"
    spapi_emulator.register_app(CLIENT_ID, rotated)
    secrets.put_secret_value(
        SecretId="app", SecretString=json.dumps({"client_id": CLIENT_ID, "client_secret": rotated})
    )
    assert lwa.exchange_refresh_token(REFRESH_TOKEN).startswith("Atza|")
    assert spapi_emulator.lwa_exchanges == {"client_credentials": 1, "refresh_token": 2}
    spapi_emulator.register_app(CLIENT_ID, "CANARY-unknown-to-us")
    with pytest.raises(LwaInvalidClientError) as raised:
        lwa.exchange_refresh_token(REFRESH_TOKEN)
    # One re-read, not a loop; and the re-read secret is the one just refused, so it is not sent again.
    assert spapi_emulator.lwa_exchanges["refresh_token"] == 3
    message = str(raised.value)
    assert "invalid_client" in message and "also after re-reading the app credentials" in message
    assert "store the application's current LWA client id and client secret" in message
    assert_no_secrets(message + repr(raised.value), rotated)


def test_unauthorized_client_is_not_a_credentials_problem_and_is_not_retried(aws, spapi_emulator) -> None:
    # LWA 400 unauthorized_client "Not authorized for requested operation" (jlevers/selling-partner-api#31):
    # the application may not use the grant. Re-reading its secret would change nothing.
    import json

    import boto3

    from sp_reports.spapi.credentials import SecretsManagerAppCredentials

    secrets = boto3.client("secretsmanager", region_name="us-east-1")
    secrets.create_secret(
        Name="app", SecretString=json.dumps({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
    )
    reads: list[str] = []

    class CountingSecrets:
        def get_secret_value(self, **kwargs):
            reads.append(kwargs["SecretId"])
            return secrets.get_secret_value(**kwargs)

    lwa = LwaClient(
        SecretsManagerAppCredentials("app", CountingSecrets()), endpoint=lwa_endpoint(), sleep=lambda _s: None
    )
    spapi_emulator.deny_grant(CLIENT_ID, "client_credentials")

    with pytest.raises(LwaUnauthorizedClientError) as raised:
        lwa.grantless_access_token()

    assert not isinstance(raised.value, LwaInvalidClientError)
    assert (raised.value.error, raised.value.status) == ("unauthorized_client", 400)
    assert "Not authorized for requested operation" in str(raised.value)
    assert spapi_emulator.lwa_exchanges == {"client_credentials": 1} and reads == ["app"]


# The authorization_code grant (SP-API "Website Authorization Workflow",
# https://developer-docs.amazon.com/sp-api/docs/website-authorization-workflow): a seller's consent becomes
# the seller's refresh token.
AUTHORIZATION_REDIRECT_URI = "https://onboarding.example.com/prod/authorization/redirect"


def test_an_authorization_code_is_exchanged_once_for_the_sellers_refresh_token(
    lwa, spapi_emulator, session, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    code = spapi_emulator.authorize(CLIENT_ID, "A1NEWSELLER0AB", AUTHORIZATION_REDIRECT_URI)

    grant = lwa.exchange_authorization_code(code, AUTHORIZATION_REDIRECT_URI)

    assert grant.refresh_token.startswith("Atzr|") and grant.access_token.startswith("Atza|")
    assert session.sent[-1].data == {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": AUTHORIZATION_REDIRECT_URI,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    assert "refresh_token" not in repr(grant) and grant.refresh_token not in repr(grant)
    with pytest.raises(LwaInvalidGrantError):  # never cached: the second exchange reaches LWA, which refuses
        lwa.exchange_authorization_code(code, AUTHORIZATION_REDIRECT_URI)
    assert spapi_emulator.lwa_exchanges == {"authorization_code": 2}
    assert_no_secrets(caplog.text, code, grant.access_token)


def test_an_authorization_code_answer_without_a_refresh_token_is_an_error_not_a_retry(
    app_credentials,
) -> None:
    adapter = CannedAdapter(
        [(200, b'{"access_token": "Atza|x", "token_type": "bearer", "expires_in": 3600}', {})]
    )
    session = requests.Session()
    session.mount("https://", adapter)
    lwa = LwaClient(app_credentials, session=session, sleep=lambda _s: None, max_attempts=3)

    with pytest.raises(LwaError, match="without a refresh_token"):
        lwa.exchange_authorization_code("a-code", AUTHORIZATION_REDIRECT_URI)
    assert adapter.calls == 1
