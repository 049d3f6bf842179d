"""App credentials come from a Secrets Manager JSON secret, read once, never echoed."""

from __future__ import annotations

import json

import boto3
import pytest

from sp_reports.spapi.credentials import DEFAULT_MAX_AGE_SECONDS, AppCredentials, SecretsManagerAppCredentials
from sp_reports.spapi.errors import ConfigurationError
from tests.support.canaries import CLIENT_ID, CLIENT_SECRET, assert_no_secrets


class CountingClient:
    def __init__(self, client) -> None:
        self.client = client
        self.calls = 0

    def get_secret_value(self, **kwargs):
        self.calls += 1
        return self.client.get_secret_value(**kwargs)


@pytest.fixture
def secrets(aws):
    return boto3.client("secretsmanager", region_name="us-east-1")


def test_reads_the_secret_once_and_caches_it(secrets) -> None:
    secrets.create_secret(
        Name="app", SecretString=json.dumps({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
    )
    client = CountingClient(secrets)
    provider = SecretsManagerAppCredentials("app", client)
    first, second = provider(), provider.get()
    assert first is second
    assert (first.client_id, first.client_secret) == (CLIENT_ID, CLIENT_SECRET)
    assert client.calls == 1


def test_accepts_the_sample_solutions_key_names(secrets) -> None:
    secrets.create_secret(
        Name="app", SecretString=json.dumps({"AppClientId": CLIENT_ID, "AppClientSecret": CLIENT_SECRET})
    )
    assert SecretsManagerAppCredentials("app", secrets)().client_secret == CLIENT_SECRET


def test_missing_key_names_the_key_without_echoing_the_secret(secrets) -> None:
    secrets.create_secret(
        Name="app", SecretString=json.dumps({"client_id": CLIENT_ID, "secret": CLIENT_SECRET})
    )
    with pytest.raises(ConfigurationError, match="lacks client_secret") as raised:
        SecretsManagerAppCredentials("app", secrets)()
    assert_no_secrets(str(raised.value) + repr(raised.value))


def test_non_json_secret_is_a_configuration_error_without_its_text(secrets) -> None:
    secrets.create_secret(Name="app", SecretString=f"client_secret={CLIENT_SECRET}")
    with pytest.raises(ConfigurationError, match="is not a JSON object") as raised:
        SecretsManagerAppCredentials("app", secrets)()
    assert raised.value.__cause__ is None and raised.value.__context__ is not None
    assert_no_secrets(str(raised.value))


def test_missing_secret_is_a_configuration_error(secrets) -> None:
    with pytest.raises(ConfigurationError, match="cannot read secret absent: ResourceNotFoundException"):
        SecretsManagerAppCredentials("absent", secrets)()


def test_repr_hides_the_client_secret() -> None:
    credentials = AppCredentials(CLIENT_ID, CLIENT_SECRET)
    assert CLIENT_ID in repr(credentials)
    assert_no_secrets(repr(credentials) + str(credentials))
    with pytest.raises(ConfigurationError, match="client_secret is missing"):
        AppCredentials(CLIENT_ID, "")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _store(secrets, secret: str, *, create: bool = False) -> None:
    value = json.dumps({"client_id": CLIENT_ID, "client_secret": secret})
    if create:
        secrets.create_secret(Name="app", SecretString=value)
    else:
        secrets.put_secret_value(SecretId="app", SecretString=value)


def test_cached_credentials_are_re_read_after_their_lifetime(secrets) -> None:
    _store(secrets, CLIENT_SECRET, create=True)
    client, clock = CountingClient(secrets), Clock()
    provider = SecretsManagerAppCredentials("app", client, max_age=600, clock=clock)
    assert provider().client_secret == CLIENT_SECRET
    _store(secrets, "CANARY-rotated")
    clock.now += 599
    assert provider().client_secret == CLIENT_SECRET and client.calls == 1
    clock.now += 1
    assert provider().client_secret == "CANARY-rotated" and client.calls == 2


def test_the_default_lifetime_is_an_hour_far_inside_the_rotation_overlap() -> None:
    # An old client secret keeps working for seven days after a rotation (developer-docs
    # "rotating-your-apps-lwa-credentials"); one hour is the AWS Secrets Manager cache's default refresh.
    assert DEFAULT_MAX_AGE_SECONDS == 3600
    with pytest.raises(ValueError, match="max_age"):
        SecretsManagerAppCredentials("app", object(), max_age=0)


def test_a_failed_re_read_keeps_the_cached_credentials_and_tries_again_soon(secrets) -> None:
    _store(secrets, CLIENT_SECRET, create=True)
    client, clock = CountingClient(secrets), Clock()
    provider = SecretsManagerAppCredentials("app", client, max_age=600, clock=clock)
    provider()
    secrets.delete_secret(SecretId="app", ForceDeleteWithoutRecovery=True)
    clock.now += 601
    assert provider().client_secret == CLIENT_SECRET  # Secrets Manager failed: the held ones still work
    assert provider().client_secret == CLIENT_SECRET and client.calls == 2  # not re-read on every call
    clock.now += 60
    with pytest.raises(ConfigurationError):
        provider.invalidate()
        provider()


def test_invalidate_forces_a_re_read(secrets) -> None:
    _store(secrets, CLIENT_SECRET, create=True)
    client = CountingClient(secrets)
    provider = SecretsManagerAppCredentials("app", client)
    provider()
    _store(secrets, "CANARY-rotated")
    provider.invalidate()
    assert provider().client_secret == "CANARY-rotated" and client.calls == 2
