"""App credentials come from a Secrets Manager JSON secret, read once, never echoed."""

from __future__ import annotations

import json

import boto3
import pytest

from canaries import CLIENT_ID, CLIENT_SECRET, assert_no_secrets
from spapi.credentials import AppCredentials, SecretsManagerAppCredentials
from spapi.errors import ConfigurationError


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
