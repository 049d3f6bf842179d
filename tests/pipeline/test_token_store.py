"""Refresh tokens are KMS-encrypted per seller (encryption context) in DynamoDB."""

from __future__ import annotations

import re

import boto3
import pytest
from botocore.exceptions import ClientError

from sp_reports.pipeline.errors import TokenNotFoundError
from sp_reports.pipeline.token_store import TokenStore
from tests.support.canaries import REFRESH_TOKEN, SELLER_ID

TABLE = "sp-reports-tokens"
OTHER_SELLER = "A1B2C3D4E5F6G7"
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


@pytest.fixture
def clients(aws):
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    kms = boto3.client("kms", region_name="us-east-1")
    dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "SellerId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "SellerId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    return dynamodb, kms, key_id


@pytest.fixture
def store(clients) -> TokenStore:
    dynamodb, kms, key_id = clients
    return TokenStore(TABLE, key_id, dynamodb, kms)


def _item(dynamodb, seller_id: str) -> dict:
    return dynamodb.get_item(TableName=TABLE, Key={"SellerId": {"S": seller_id}})["Item"]


def test_put_stores_an_encrypted_item_and_get_decrypts_it(store, clients) -> None:
    dynamodb, _kms, key_id = clients
    assert store.put(SELLER_ID, REFRESH_TOKEN) is True
    item = _item(dynamodb, SELLER_ID)
    assert set(item) == {"SellerId", "EncryptedRefreshToken", "KmsKeyId", "CreatedAt", "UpdatedAt", "Bound"}
    assert item["Bound"] == {"BOOL": False}  # stored on the caller's word until Amazon confirms it
    ciphertext = item["EncryptedRefreshToken"]["B"]
    assert isinstance(ciphertext, bytes) and REFRESH_TOKEN.encode() not in ciphertext
    assert key_id in item["KmsKeyId"]["S"]
    assert ISO_UTC.match(item["CreatedAt"]["S"]) and ISO_UTC.match(item["UpdatedAt"]["S"])
    assert store.get(SELLER_ID) == REFRESH_TOKEN


def test_replacing_a_token_returns_false_and_keeps_created_at(store, clients) -> None:
    dynamodb, _kms, _key = clients
    store.put(SELLER_ID, REFRESH_TOKEN)
    created = _item(dynamodb, SELLER_ID)["CreatedAt"]["S"]
    assert store.put(SELLER_ID, "Atzr|second-token") is False
    item = _item(dynamodb, SELLER_ID)
    assert item["CreatedAt"]["S"] == created
    assert item["UpdatedAt"]["S"] >= created
    assert store.get(SELLER_ID) == "Atzr|second-token"


def test_ciphertext_is_bound_to_its_seller_by_the_encryption_context(store, clients) -> None:
    dynamodb, _kms, _key = clients
    store.put(SELLER_ID, REFRESH_TOKEN)
    stolen = _item(dynamodb, SELLER_ID)
    dynamodb.put_item(TableName=TABLE, Item={**stolen, "SellerId": {"S": OTHER_SELLER}})
    with pytest.raises(ClientError, match="InvalidCiphertext"):
        store.get(OTHER_SELLER)


def test_get_of_an_unknown_seller_raises_token_not_found(store) -> None:
    with pytest.raises(TokenNotFoundError) as raised:
        store.get(OTHER_SELLER)
    assert raised.value.seller_id == OTHER_SELLER


def test_delete_forgets_the_token(store) -> None:
    store.put(SELLER_ID, REFRESH_TOKEN)
    assert store.delete(SELLER_ID) is True
    assert store.delete(SELLER_ID) is False
    with pytest.raises(TokenNotFoundError):
        store.get(SELLER_ID)


@pytest.mark.parametrize("seller_id", ["", "a3th9s8bh6gogm", "A3TH-9S8BH6", "SHORT", "A" * 21, None])
def test_bad_seller_ids_are_rejected_naming_the_field(store, seller_id) -> None:
    with pytest.raises(ValueError, match="sellerId"):
        store.put(seller_id, REFRESH_TOKEN)


@pytest.mark.parametrize("token", ["", "Atza|access-not-refresh", "Atzr|", "Atzr|has space", "x" * 10, None])
def test_bad_refresh_tokens_are_rejected_without_echoing_them(store, token) -> None:
    with pytest.raises(ValueError, match="refreshToken") as raised:
        store.put(SELLER_ID, token)
    if token:
        assert token not in str(raised.value)


def test_has_token_tells_a_stored_seller_without_reading_or_decrypting_the_token(store, clients) -> None:
    store.put(SELLER_ID, REFRESH_TOKEN)
    # Without a KMS client: the check decrypts nothing.
    reader = TokenStore(TABLE, "", clients[0], None)

    assert reader.has_token(SELLER_ID) is True
    assert reader.has_token(OTHER_SELLER) is False
    store.delete(SELLER_ID)
    assert reader.has_token(SELLER_ID) is False
