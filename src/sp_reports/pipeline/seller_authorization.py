"""Seller onboarding through Amazon's OAuth authorization workflow: our log-in URI and our redirect URI.

The steps (SP-API "Website Authorization Workflow",
https://developer-docs.amazon.com/sp-api/docs/website-authorization-workflow, and "Selling Partner Appstore
Authorization Workflow",
https://developer-docs.amazon.com/sp-api/docs/selling-partner-appstore-authorization-workflow):

1. The seller consents on Seller Central (from our Authorize link, or the Appstore's Authorize Now).
2. Amazon loads our log-in URI with `amazon_callback_uri`, `amazon_state`, `selling_partner_id` (and
   `version=beta` while the application is a draft). `login` issues a `state` and sends the browser back to
   `amazon_callback_uri` with `redirect_uri`, `amazon_state` and `state` (and `version=beta` when Amazon
   sent it).
3. Amazon loads our redirect URI with `state`, `selling_partner_id` and `spapi_oauth_code`. `redirect` checks
   the state, exchanges the code with LWA (grant_type=authorization_code, the same `redirect_uri`) and stores
   the refresh token under the `selling_partner_id` Amazon named, bound to it.

Why states are random values kept hashed in DynamoDB rather than HMAC-signed values: a state must be
single-use, which needs a record on the server whatever the format; with the record, a signature adds a secret
to keep and rotate and proves nothing more. Only a SHA-256 of the state is stored, so reading the table gives
no usable state; the item's `ExpiresAt` bounds its life (checked on use: DynamoDB's TTL deletes late) and
lets DynamoDB's TTL remove it. Consuming is one DeleteItem returning the old item: of two redirects carrying
the same state, exactly one gets it.

States, codes and tokens never reach a log line or an answer: answers name the parameter and what to fix.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sp_reports.pipeline.api_requests import ApiError
from sp_reports.pipeline.token_store import validate_seller_id
from sp_reports.spapi.errors import LwaInvalidGrantError
from sp_reports.spapi.lwa import AuthorizationCodeGrant

# Long enough for the seller to confirm on Amazon's page between our log-in URI and the redirect; LWA's code,
# issued at the end of that, then has its own 5 minutes (website authorization workflow page).
STATE_TTL_SECONDS = 600
STATE_KEY_PREFIX = "authorization-state#"
# secrets.token_urlsafe(32): 43 URL-safe base64 characters. Anything else was not issued here.
_STATE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}\Z")
# amazon_state and spapi_oauth_code are Amazon's opaque values: bounded and printable before they go anywhere.
_OPAQUE_PATTERN = re.compile(r"^[\x21-\x7e]{1,2048}\Z")
# Where Amazon's callback URI may send the browser: Seller Central and Vendor Central hosts of Amazon's
# marketplaces (amazon.com/apps/authorize/confirm/... in Amazon's example). Any other host would make the
# log-in URI an open redirect that hands out states.
_AMAZON_HOST = re.compile(
    r"^(?:[a-z0-9-]+\.)*amazon\.(?:com|ca|com\.mx|com\.br|co\.uk|de|fr|it|es|nl|se|pl|com\.tr|com\.be|ae|sa|"
    r"eg|in|co\.jp|com\.au|sg|co\.za|ie)\Z"
)


class States(Protocol):
    def issue(self, selling_partner_id: str) -> str: ...

    def consume(self, state: str, selling_partner_id: str) -> None: ...


class TokenWriter(Protocol):
    def put(self, seller_id: str, refresh_token: str, *, bound: bool = False) -> bool: ...


class CodeExchanger(Protocol):
    def exchange_authorization_code(self, code: str, redirect_uri: str) -> AuthorizationCodeGrant: ...


def _state_key(state: str) -> str:
    return STATE_KEY_PREFIX + hashlib.sha256(state.encode()).hexdigest()


class AuthorizationStates:
    """Single-use states in the tokens table (partition keys `authorization-state#<sha256>`)."""

    def __init__(
        self,
        table_name: str,
        dynamodb_client: Any,
        *,
        ttl_seconds: int = STATE_TTL_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._table = table_name
        self._dynamodb = dynamodb_client
        self._ttl = ttl_seconds
        self._clock = clock

    def __repr__(self) -> str:
        return f"AuthorizationStates(table_name={self._table!r}, ttl_seconds={self._ttl})"

    def issue(self, selling_partner_id: str) -> str:
        """A new state for the authorization Amazon started for `selling_partner_id`."""
        state = secrets.token_urlsafe(32)
        self._dynamodb.put_item(
            TableName=self._table,
            Item={
                "SellerId": {"S": _state_key(state)},
                "SellingPartnerId": {"S": selling_partner_id},
                "ExpiresAt": {"N": str(int(self._clock()) + self._ttl)},
            },
            ConditionExpression="attribute_not_exists(SellerId)",
        )
        return state

    def consume(self, state: str, selling_partner_id: str) -> None:
        """Use the state up (whatever the outcome); ApiError 403 when it was not issued here, is used,
        expired, or was issued for another selling partner."""
        if not _STATE_PATTERN.match(state):
            raise ApiError(403, "InvalidState", "state: not a state this deployment's log-in URI issued")
        old = self._dynamodb.delete_item(
            TableName=self._table,
            Key={"SellerId": {"S": _state_key(state)}},
            ReturnValues="ALL_OLD",
        ).get("Attributes")
        if not old:
            raise ApiError(
                403,
                "InvalidState",
                "state: unknown or already used; start the authorization again from Seller Central",
            )
        if int(old["ExpiresAt"]["N"]) <= self._clock():
            raise ApiError(
                403,
                "ExpiredState",
                f"state: expired ({self._ttl // 60} minutes after the log-in); start the authorization again",
            )
        if old["SellingPartnerId"]["S"] != selling_partner_id:
            raise ApiError(
                403,
                "InvalidState",
                "state: issued for another selling partner than selling_partner_id names",
            )


@dataclass(frozen=True)
class Authorized:
    seller_id: str
    new_seller: bool


def _required(query: Mapping[str, str], name: str, pattern: re.Pattern[str] = _OPAQUE_PATTERN) -> str:
    value = query.get(name)
    if not value:
        raise ApiError(400, "MissingParameter", f"{name}: is required (Amazon adds it to this URI)")
    if not pattern.match(value):
        raise ApiError(400, "InvalidParameter", f"{name}: malformed")
    return value


def _selling_partner_id(query: Mapping[str, str]) -> str:
    value = query.get("selling_partner_id")
    if not value:
        raise ApiError(
            400, "MissingParameter", "selling_partner_id: is required (Amazon adds it to this URI)"
        )
    try:
        return validate_seller_id(value)
    except ValueError:
        raise ApiError(
            400, "InvalidParameter", "selling_partner_id: expected 8-20 upper-case letters or digits"
        ) from None


def _version(query: Mapping[str, str]) -> str | None:
    version = query.get("version")
    if version not in (None, "", "beta"):
        raise ApiError(400, "InvalidParameter", "version: only 'beta' (a draft application) is defined")
    return version or None


def _callback_uri(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not _AMAZON_HOST.match((parts.hostname or "").lower()) or parts.fragment:
        raise ApiError(
            400,
            "InvalidParameter",
            "amazon_callback_uri: expected an https URI of an Amazon Seller Central host",
        )
    return value


def _with_query(uri: str, parameters: Mapping[str, str]) -> str:
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(parameters.items())
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


class SellerAuthorization:
    """`login` needs the states alone (the log-in function holds no LWA client and no token writer);
    `redirect` needs `lwa` and `tokens` too."""

    def __init__(
        self,
        states: States,
        redirect_uri: str,
        *,
        lwa: CodeExchanger | None = None,
        tokens: TokenWriter | None = None,
        callback_uri_check: Callable[[str], str] = _callback_uri,
    ) -> None:
        self._states = states
        self._lwa = lwa
        self._tokens = tokens
        self._redirect_uri = redirect_uri
        self._callback_uri_check = callback_uri_check

    def login(self, query: Mapping[str, str]) -> str:
        """Where the log-in URI sends the browser: Amazon's callback URI with `redirect_uri`, `amazon_state`,
        a new `state` (and `version=beta` when Amazon sent it)."""
        callback = self._callback_uri_check(_required(query, "amazon_callback_uri"))
        amazon_state = _required(query, "amazon_state")
        seller_id = _selling_partner_id(query)
        version = _version(query)
        state = self._states.issue(seller_id)
        parameters = {"redirect_uri": self._redirect_uri, "amazon_state": amazon_state, "state": state}
        if version:
            parameters["version"] = version
        return _with_query(callback, parameters)

    def redirect(self, query: Mapping[str, str]) -> Authorized:
        """Check the state, exchange `spapi_oauth_code`, store the seller's refresh token bound to it."""
        state = query.get("state")
        if not state:
            raise ApiError(400, "MissingParameter", "state: is required (Amazon returns the one we issued)")
        seller_id = _selling_partner_id(query)
        code = _required(query, "spapi_oauth_code")
        if self._lwa is None or self._tokens is None:
            raise RuntimeError("redirect needs an LWA client and a token writer")
        self._states.consume(state, seller_id)
        try:
            grant = self._lwa.exchange_authorization_code(code, self._redirect_uri)
        except LwaInvalidGrantError:
            raise ApiError(
                400,
                "InvalidAuthorizationCode",
                "spapi_oauth_code: Login with Amazon refused it (it expires 5 minutes after Amazon issues it "
                "and works once); start the authorization again from Seller Central",
            ) from None
        new_seller = self._tokens.put(seller_id, grant.refresh_token, bound=True)
        return Authorized(seller_id, new_seller)
