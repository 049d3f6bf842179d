"""Sellers' refresh tokens, encrypted with KMS (encryption context {"SellerId": id}) and kept in DynamoDB.

The encryption context binds each ciphertext to its seller: a ciphertext copied onto another seller's item
fails to decrypt instead of silently yielding the wrong seller's token.

`Bound` says whether Amazon has confirmed that the token belongs to the seller it is stored under: true when
the token came from the authorization workflow (LWA issued it for the `selling_partner_id` Amazon named,
sp_reports.pipeline.seller_authorization), false when POST /tokens stored it on the caller's word, until
`mark_bound` records Amazon's confirmation (a notification of a report requested with it names that seller,
sp_reports.pipeline.notifications_processing). `CachedTokenStore` keeps decrypted
tokens in a container's memory for a few minutes, so that a warm container does not pay a DynamoDB read and a
KMS request per call.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sp_reports.pipeline.errors import TokenNotFoundError

# Selling partner (merchant) ids are upper-case alphanumerics, e.g. A3TH9S8BH6GOGM (14 characters); observed
# lengths vary, so accept 8-20 and reject anything else before it reaches KMS or DynamoDB.
SELLER_ID_PATTERN = re.compile(r"^[A-Z0-9]{8,20}\Z")
REFRESH_TOKEN_PREFIX = "Atzr|"  # noqa: S105 - a prefix to check, not a credential
# LWA refresh tokens are a few hundred characters; anything huge is not a token (KMS Encrypt caps at 4096 B).
MAX_REFRESH_TOKEN_LENGTH = 4096


def validate_seller_id(seller_id: Any) -> str:
    if not isinstance(seller_id, str) or not SELLER_ID_PATTERN.match(seller_id):
        raise ValueError("sellerId: expected 8-20 upper-case letters or digits, e.g. A3TH9S8BH6GOGM")
    return seller_id


def validate_refresh_token(refresh_token: Any) -> str:
    # Never include the value in the message: it is a secret even when malformed.
    if not isinstance(refresh_token, str) or not refresh_token.startswith(REFRESH_TOKEN_PREFIX):
        raise ValueError("refreshToken: expected an LWA refresh token starting with 'Atzr|'")
    if len(refresh_token) <= len(REFRESH_TOKEN_PREFIX) or any(ch.isspace() for ch in refresh_token):
        raise ValueError("refreshToken: malformed LWA refresh token")
    if len(refresh_token.encode()) > MAX_REFRESH_TOKEN_LENGTH:
        raise ValueError(f"refreshToken: longer than {MAX_REFRESH_TOKEN_LENGTH} bytes")
    return refresh_token


@dataclass(frozen=True, order=True)
class StoredSeller:
    """A seller with a stored token; `token_updated_at` changes whenever POST /tokens replaces the token."""

    seller_id: str
    token_updated_at: str


def _iso(moment: datetime) -> str:
    # One format for UpdatedAt and the bounds compared with it: strings of it sort as the moments do.
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _now_iso() -> str:
    return _iso(datetime.now(UTC))


class TokenStore:
    def __init__(self, table_name: str, kms_key_id: str, dynamodb_client: Any, kms_client: Any) -> None:
        self._table = table_name
        self._key_id = kms_key_id
        self._dynamodb = dynamodb_client
        self._kms = kms_client

    def __repr__(self) -> str:
        return f"TokenStore(table_name={self._table!r}, kms_key_id={self._key_id!r})"

    def put(self, seller_id: str, refresh_token: str, *, bound: bool = False) -> bool:
        """Store (or replace) the seller's refresh token, `bound` when Amazon named the seller it belongs to.
        Returns True when the seller had none before."""
        validate_seller_id(seller_id)
        validate_refresh_token(refresh_token)
        encrypted = self._kms.encrypt(
            KeyId=self._key_id,
            Plaintext=refresh_token.encode(),
            EncryptionContext={"SellerId": seller_id},
        )
        now = _now_iso()
        # One atomic update: CreatedAt survives a replacement (if_not_exists) and UPDATED_OLD tells new from
        # replaced without a read-then-write race between two concurrent POST /tokens.
        answer = self._dynamodb.update_item(
            TableName=self._table,
            Key={"SellerId": {"S": seller_id}},
            UpdateExpression=(
                "SET EncryptedRefreshToken = :token, KmsKeyId = :key, UpdatedAt = :now, "
                "CreatedAt = if_not_exists(CreatedAt, :now), Bound = :bound"
                + (", BoundAt = :now" if bound else " REMOVE BoundAt")
            ),
            ExpressionAttributeValues={
                ":token": {"B": encrypted["CiphertextBlob"]},
                ":key": {"S": encrypted.get("KeyId") or self._key_id},
                ":now": {"S": now},
                ":bound": {"BOOL": bound},
            },
            ReturnValues="UPDATED_OLD",
        )
        previous = answer.get("Attributes") or {}
        return "EncryptedRefreshToken" not in previous

    def get(self, seller_id: str) -> str:
        """The seller's refresh token; `TokenNotFoundError` when none is stored."""
        validate_seller_id(seller_id)
        answer = self._dynamodb.get_item(
            TableName=self._table,
            Key={"SellerId": {"S": seller_id}},
            ConsistentRead=True,
            ProjectionExpression="EncryptedRefreshToken, KmsKeyId",
        )
        item = answer.get("Item")
        if not item or "EncryptedRefreshToken" not in item:
            raise TokenNotFoundError(seller_id)
        decrypt_args: dict[str, Any] = {
            "CiphertextBlob": item["EncryptedRefreshToken"]["B"],
            "EncryptionContext": {"SellerId": seller_id},
        }
        if "KmsKeyId" in item:
            # Pinning the key makes KMS refuse a ciphertext produced under any other key.
            decrypt_args["KeyId"] = item["KmsKeyId"]["S"]
        plaintext = self._kms.decrypt(**decrypt_args)["Plaintext"]
        return plaintext.decode()

    def sellers(self) -> Iterator[StoredSeller]:
        """Every seller with a stored token and when it was last stored, read without decrypting anything
        (a Scan projecting two attributes, page by page)."""
        paginator = self._dynamodb.get_paginator("scan")
        pages = paginator.paginate(
            TableName=self._table,
            ProjectionExpression="SellerId, UpdatedAt",
            FilterExpression="attribute_exists(EncryptedRefreshToken)",
        )
        for page in pages:
            for item in page.get("Items", []):
                if "SellerId" in item:
                    yield StoredSeller(item["SellerId"]["S"], item.get("UpdatedAt", {}).get("S", ""))

    def has_token(self, seller_id: str) -> bool:
        """Whether a token is stored for the seller, read without the token: the item's key and the key id
        and time written with every token (`put`), nothing to decrypt."""
        validate_seller_id(seller_id)
        item = self._dynamodb.get_item(
            TableName=self._table,
            Key={"SellerId": {"S": seller_id}},
            ConsistentRead=True,
            ProjectionExpression="SellerId, KmsKeyId, UpdatedAt",
        ).get("Item")
        return bool(item) and ("KmsKeyId" in item or "UpdatedAt" in item)

    def delete(self, seller_id: str) -> bool:
        """Forget the seller's token. Returns True when one was stored."""
        validate_seller_id(seller_id)
        answer = self._dynamodb.delete_item(
            TableName=self._table,
            Key={"SellerId": {"S": seller_id}},
            ReturnValues="ALL_OLD",
        )
        return bool(answer.get("Attributes"))


class TokenBindings:
    """Whether each seller's stored token is bound: read and set without KMS (no token is decrypted)."""

    def __init__(self, table_name: str, dynamodb_client: Any) -> None:
        self._table = table_name
        self._dynamodb = dynamodb_client

    def __repr__(self) -> str:
        return f"TokenBindings(table_name={self._table!r})"

    def mark_bound(self, seller_id: str, *, stored_before: datetime | None = None) -> bool:
        """Record that Amazon confirmed the stored token belongs to the seller. True when it was unbound until
        now; False when it was bound already, no token is stored (nothing is created), or the token was
        stored at `stored_before` or later (the confirmation is about an earlier token)."""
        validate_seller_id(seller_id)
        condition = (
            "attribute_exists(EncryptedRefreshToken) AND (attribute_not_exists(Bound) OR Bound = :false)"
        )
        values: dict[str, Any] = {
            ":true": {"BOOL": True},
            ":false": {"BOOL": False},
            ":now": {"S": _now_iso()},
        }
        if stored_before is not None:
            condition += " AND UpdatedAt < :stored_before"
            values[":stored_before"] = {"S": _iso(stored_before)}
        try:
            self._dynamodb.update_item(
                TableName=self._table,
                Key={"SellerId": {"S": seller_id}},
                UpdateExpression="SET Bound = :true, BoundAt = :now",
                # Tokens stored before `Bound` existed lack it: unbound, as POST /tokens stored them.
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def is_bound(self, seller_id: str) -> bool | None:
        """Whether the seller's stored token is bound; None when none is stored."""
        validate_seller_id(seller_id)
        item = self._dynamodb.get_item(
            TableName=self._table,
            Key={"SellerId": {"S": seller_id}},
            ConsistentRead=True,
            ProjectionExpression="EncryptedRefreshToken, Bound",
        ).get("Item")
        if not item or "EncryptedRefreshToken" not in item:
            return None
        return bool(item.get("Bound", {}).get("BOOL", False))


# How long a container trusts a refresh token it decrypted. Short, because this cache cannot hear a
# replacement made by another function (POST /tokens runs in token_storage's containers, not the reader's):
# for up to this long a reader keeps using the token it holds. That is harmless while the old token still
# works, and when LWA refuses it (invalid_grant) the reader drops it and re-reads at once
# (sp_reports.handlers._spapi_clients). The bound also limits how long a deleted seller's token stays usable
# and the
# plaintext stays in memory. 5 minutes: a warm container then decrypts each active seller's token at most 12
# times an hour instead of once per call (KMS requests are billed and share a per-account request quota).
DEFAULT_TOKEN_CACHE_SECONDS = 300
# Longest REFRESH_TOKEN_CACHE_SECONDS accepted (sp_reports.handlers._spapi_clients): the cache must stay
# short-lived. It
# also bounds how long after a replacement a container may still act with the replaced token.
MAX_TOKEN_CACHE_SECONDS = 900


@dataclass(frozen=True)
class _CachedRefreshToken:
    refresh_token: str = field(repr=False)  # plaintext: memory only, never logged or shown in a repr
    read_at: float


class CachedTokenStore:
    """A per-container cache of decrypted refresh tokens in front of a `TokenStore`.

    `get` answers from memory for `max_age` seconds after a read; `forget` drops a seller's token (LWA
    refused it, or this container replaced or deleted it: `put` and `delete` forget it themselves). The
    plaintext lives only in this object's memory: the repr shows how many sellers are cached, never
    a token."""

    def __init__(
        self,
        store: TokenStore,
        max_age: float = DEFAULT_TOKEN_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not max_age > 0:
            raise ValueError("max_age: the token cache lifetime must be a positive number of seconds")
        self._store = store
        self._max_age = float(max_age)
        self._clock = clock
        self._cached: dict[str, _CachedRefreshToken] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"CachedTokenStore({self._store!r}, max_age={self._max_age:g}, cached={len(self._cached)})"

    def get(self, seller_id: str) -> str:
        """The seller's refresh token, from memory while fresh; `TokenNotFoundError` when none is stored."""
        cached = self._cached.get(seller_id)
        if cached is not None and self._clock() - cached.read_at < self._max_age:
            return cached.refresh_token
        read_at = self._clock()
        refresh_token = self._store.get(seller_id)
        with self._lock:
            self._cached[seller_id] = _CachedRefreshToken(refresh_token, read_at)
        return refresh_token

    def forget(self, seller_id: str) -> None:
        with self._lock:
            self._cached.pop(seller_id, None)

    def put(self, seller_id: str, refresh_token: str, *, bound: bool = False) -> bool:
        """Store (or replace) the seller's token (`TokenStore.put`); the next `get` reads the stored one."""
        try:
            return self._store.put(seller_id, refresh_token, bound=bound)
        finally:
            self.forget(seller_id)

    def delete(self, seller_id: str) -> bool:
        try:
            return self._store.delete(seller_id)
        finally:
            self.forget(seller_id)
