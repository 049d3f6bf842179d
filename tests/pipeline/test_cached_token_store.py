"""The per-container cache of decrypted refresh tokens: hits, expiry, forgetting on replacement and deletion,
and no plaintext in its repr. AWS calls are counted on moto's clients (botocore event hooks)."""

from __future__ import annotations

from collections import Counter

import boto3
import pytest

from sp_reports.pipeline.errors import TokenNotFoundError
from sp_reports.pipeline.token_store import DEFAULT_TOKEN_CACHE_SECONDS, CachedTokenStore, TokenStore
from tests.support.canaries import REFRESH_TOKEN, SELLER_ID, assert_no_secrets

TABLE = "sp-reports-tokens"
REPLACEMENT = "Atzr|replacement-token"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def counted(aws):
    """The token store on moto, and a Counter of the AWS operations its clients call."""
    calls: Counter[str] = Counter()
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    kms = boto3.client("kms", region_name="us-east-1")
    dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "SellerId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "SellerId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    store = TokenStore(TABLE, kms.create_key()["KeyMetadata"]["KeyId"], dynamodb, kms)
    store.put(SELLER_ID, REFRESH_TOKEN)
    for client in (dynamodb, kms):
        client.meta.events.register("before-call", lambda model, **_: calls.update([model.name]))
    return store, calls


def test_a_fresh_token_is_read_and_decrypted_once(counted):
    store, calls = counted
    cache = CachedTokenStore(store, clock=Clock())

    assert [cache.get(SELLER_ID) for _ in range(100)] == [REFRESH_TOKEN] * 100
    assert (calls["GetItem"], calls["Decrypt"]) == (1, 1)


def test_an_expired_token_is_read_again(counted):
    store, calls = counted
    clock = Clock()
    cache = CachedTokenStore(store, max_age=300, clock=clock)
    cache.get(SELLER_ID)

    clock.now += 299.9
    cache.get(SELLER_ID)
    assert calls["Decrypt"] == 1
    clock.now += 0.1
    cache.get(SELLER_ID)
    assert (calls["GetItem"], calls["Decrypt"]) == (2, 2)


def test_forget_makes_the_next_get_read_the_stored_token(counted):
    store, calls = counted
    cache = CachedTokenStore(store, clock=Clock())
    cache.get(SELLER_ID)
    store.put(SELLER_ID, REPLACEMENT)  # replaced elsewhere: this cache cannot know
    assert cache.get(SELLER_ID) == REFRESH_TOKEN

    cache.forget(SELLER_ID)
    assert cache.get(SELLER_ID) == REPLACEMENT
    assert calls["Decrypt"] == 2


def test_replacing_through_the_cache_drops_the_old_token(counted):
    store, _calls = counted
    cache = CachedTokenStore(store, clock=Clock())
    cache.get(SELLER_ID)

    assert cache.put(SELLER_ID, REPLACEMENT) is False  # replaced, not new
    assert cache.get(SELLER_ID) == REPLACEMENT


def test_deleting_through_the_cache_drops_the_token(counted):
    store, _calls = counted
    cache = CachedTokenStore(store, clock=Clock())
    cache.get(SELLER_ID)

    assert cache.delete(SELLER_ID) is True
    with pytest.raises(TokenNotFoundError):
        cache.get(SELLER_ID)


def test_a_missing_token_is_not_cached(counted):
    store, calls = counted
    cache = CachedTokenStore(store, clock=Clock())
    other = "A1B2C3D4E5F6G7"
    for _ in range(2):
        with pytest.raises(TokenNotFoundError):
            cache.get(other)
    assert calls["GetItem"] == 2


def test_the_repr_shows_no_token(counted):
    store, _calls = counted
    cache = CachedTokenStore(store, clock=Clock())
    cache.get(SELLER_ID)

    assert_no_secrets(repr(cache) + str(cache) + repr(cache._cached))
    assert "cached=1" in repr(cache)


def test_the_lifetime_is_short_and_positive(counted):
    store, _calls = counted
    assert 0 < DEFAULT_TOKEN_CACHE_SECONDS <= 900
    with pytest.raises(ValueError, match="max_age"):
        CachedTokenStore(store, max_age=0)
