"""Login with Amazon: access tokens for a seller (refresh-token grant) and grantless (client-credentials).

Tokens are cached per process, keyed by the sha256 of the refresh token (the token itself is never a key, so
it never shows up in a dump of the cache or a debug print) or by grantless scope, and refreshed 60 s before
they expire. One lock per key: concurrent callers for the same seller wait for a single exchange.
"""

from __future__ import annotations

import hashlib
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import requests

from sp_reports.spapi.credentials import AppCredentials
from sp_reports.spapi.errors import (
    LwaError,
    LwaInvalidClientError,
    LwaInvalidGrantError,
    LwaUnauthorizedClientError,
    LwaUnavailableError,
)
from sp_reports.spapi.http import default_session
from sp_reports.spapi.regions import lwa_endpoint

logger = logging.getLogger("sp_reports.spapi.lwa")

NOTIFICATIONS_SCOPE = "sellingpartnerapi::notifications"
REFRESH_MARGIN_SECONDS = 60.0
_TRANSIENT_CODES = frozenset({"server_error", "temporarily_unavailable"})

CredentialsProvider = Callable[[], AppCredentials]


@dataclass(frozen=True)
class AuthorizationCodeGrant:
    """What LWA gives for a seller's authorization code; both are secrets (no repr)."""

    refresh_token: str = field(repr=False)
    access_token: str = field(repr=False)


@dataclass(frozen=True)
class _CachedToken:
    access_token: str = field(repr=False)
    refresh_at: float


def _fingerprint(refresh_token: str) -> str:
    return hashlib.sha256(refresh_token.encode()).hexdigest()


class _Retryable(Exception):
    def __init__(self, error: LwaUnavailableError) -> None:
        self.error = error


class LwaClient:
    def __init__(
        self,
        credentials_provider: CredentialsProvider | AppCredentials,
        endpoint: str | None = None,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.monotonic,
        *,
        sleep: Callable[[float], None] = time.sleep,
        timeout: tuple[float, float] = (3.05, 10.0),
        max_attempts: int = 3,
        base_delay: float = 0.25,
        max_delay: float = 2.0,
        refresh_margin: float = REFRESH_MARGIN_SECONDS,
        rng: Callable[[], float] = random.random,
        request_auth: requests.auth.AuthBase | None = None,
    ) -> None:
        self._credentials = credentials_provider
        self._request_auth = request_auth  # as SpApiHttpClient's: signs each token request when set
        self.endpoint = endpoint or lwa_endpoint()
        self._session = session if session is not None else default_session()
        self._clock = clock
        self._sleep = sleep
        self._timeout = timeout
        self._max_attempts = max(1, max_attempts)
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._refresh_margin = refresh_margin
        self._rng = rng
        self._cache: dict[str, _CachedToken] = {}
        self._key_locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def __repr__(self) -> str:
        return f"LwaClient(endpoint={self.endpoint!r}, cached={len(self._cache)})"

    # Public API --------------------------------------------------------------------------------------------

    def access_token(self, refresh_token: str) -> str:
        """A valid access token for the seller whose refresh token this is (cached)."""
        self._check_refresh_token(refresh_token)
        return self._cached_or_fetch(
            "seller:" + _fingerprint(refresh_token),
            {"grant_type": "refresh_token", "refresh_token": refresh_token},
        )

    def grantless_access_token(self, scope: str = NOTIFICATIONS_SCOPE) -> str:
        """A valid access token for grantless operations in `scope` (cached)."""
        return self._cached_or_fetch("scope:" + scope, {"grant_type": "client_credentials", "scope": scope})

    def exchange_refresh_token(self, refresh_token: str) -> str:
        """Exchange the refresh token now, bypassing the cache: proves the token works (POST /tokens).

        The fresh access token seeds the cache, so the next call for this seller needs no second exchange.
        """
        self._check_refresh_token(refresh_token)
        key = "seller:" + _fingerprint(refresh_token)
        with self._lock_for(key):
            started = self._clock()
            token, expires_in = self._exchange(
                {"grant_type": "refresh_token", "refresh_token": refresh_token}
            )
            self._store(key, token, expires_in, started)
            return token

    def exchange_authorization_code(self, code: str, redirect_uri: str) -> AuthorizationCodeGrant:
        """Exchange the LWA authorization code a seller's authorization produced (`spapi_oauth_code`) for the
        seller's refresh token: grant_type=authorization_code with the code, the redirect URI the code was
        delivered to and the app credentials (SP-API "Website Authorization Workflow",
        https://developer-docs.amazon.com/sp-api/docs/website-authorization-workflow; LWA "Authorization Code
        Grant", https://developer.amazon.com/docs/login-with-amazon/authorization-code-grant.html). Never
        cached: a code is good for one exchange. `LwaInvalidGrantError` when LWA refuses the code (expired,
        used, or delivered to another redirect URI)."""
        if not isinstance(code, str) or not code:
            raise ValueError("code: a non-empty LWA authorization code is required")
        if not isinstance(redirect_uri, str) or not redirect_uri:
            raise ValueError("redirect_uri: the redirect URI the code was delivered to is required")
        body = self._exchange_body(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        )
        refresh_token = body.get("refresh_token")
        if not isinstance(refresh_token, str) or not refresh_token:
            # Retrying would spend the code again; a refresh token is what the exchange is for.
            raise LwaError("LWA answered the authorization_code grant without a refresh_token", status=200)
        return AuthorizationCodeGrant(refresh_token=refresh_token, access_token=str(body["access_token"]))

    def client_secret_expired(self) -> bool:
        """SP-API refused our access tokens because the client secret behind them expired (403 "The LWA secret
        token you provided has expired.", selling-partner-api-models#4489): re-read the app credentials and
        forget every cached access token, all issued with that secret. False when the credentials cannot be
        re-read (fixed `AppCredentials`), so retrying would change nothing."""
        if not self._forget_credentials():
            return False
        with self._locks_guard:
            self._cache.clear()
        logger.warning("SP-API says the LWA client secret expired; re-reading the app credentials")
        return True

    def invalidate(
        self, *, refresh_token: str | None = None, scope: str | None = None, access_token: str | None = None
    ) -> None:
        """Drop a cached token SP-API rejected; with `access_token`, only while it is still the cached one."""
        if (refresh_token is None) == (scope is None):
            raise ValueError("invalidate: pass exactly one of refresh_token and scope")
        key = "seller:" + _fingerprint(refresh_token) if refresh_token is not None else f"scope:{scope}"
        with self._locks_guard:
            cached = self._cache.get(key)
            if cached is not None and (access_token is None or cached.access_token == access_token):
                del self._cache[key]

    def seller_token_provider(self, refresh_token: str) -> SellerTokenProvider:
        return SellerTokenProvider(self, refresh_token)

    def grantless_token_provider(self, scope: str = NOTIFICATIONS_SCOPE) -> GrantlessTokenProvider:
        return GrantlessTokenProvider(self, scope)

    # Internals ---------------------------------------------------------------------------------------------

    @staticmethod
    def _check_refresh_token(refresh_token: str) -> None:
        if not isinstance(refresh_token, str) or not refresh_token:
            raise ValueError("refresh_token: a non-empty LWA refresh token is required")

    def _lock_for(self, key: str) -> threading.Lock:
        with self._locks_guard:
            lock = self._key_locks.get(key)
            if lock is None:
                lock = self._key_locks[key] = threading.Lock()
            return lock

    def _fresh(self, key: str) -> str | None:
        cached = self._cache.get(key)
        if cached is not None and self._clock() < cached.refresh_at:
            return cached.access_token
        return None

    def _cached_or_fetch(self, key: str, grant: dict[str, str]) -> str:
        token = self._fresh(key)
        if token is not None:
            return token
        with self._lock_for(key):
            # Another thread may have refreshed it while we waited for the lock.
            token = self._fresh(key)
            if token is not None:
                return token
            started = self._clock()
            token, expires_in = self._exchange(grant)
            self._store(key, token, expires_in, started)
            return token

    def _store(self, key: str, token: str, expires_in: float, started: float) -> None:
        # Count from before the request went out, so network time never makes us use a token past expiry.
        refresh_at = started + max(0.0, expires_in - self._refresh_margin)
        with self._locks_guard:
            self._cache[key] = _CachedToken(token, refresh_at)

    def _forget_credentials(self) -> bool:
        """Make the next `_credentials_now()` re-read the app credentials; False when they cannot be re-read
        (fixed `AppCredentials`)."""
        forget = getattr(self._credentials, "invalidate", None)
        if forget is None:
            return False
        forget()
        return True

    def _credentials_now(self) -> AppCredentials:
        provider = self._credentials
        return provider if isinstance(provider, AppCredentials) else provider()

    def _exchange(self, grant: dict[str, str]) -> tuple[str, float]:
        body = self._exchange_body(grant)
        return body["access_token"], float(body["expires_in"])

    def _exchange_body(self, grant: dict[str, str]) -> dict:
        refused = self._credentials_now()
        try:
            return self._exchange_with(refused, grant)
        except LwaInvalidClientError as rejected:
            # The client secret may have been rotated since we cached it (the old one stops working seven
            # days after a rotation, developer-docs "rotating-your-apps-lwa-credentials"): re-read it once.
            if not self._forget_credentials():
                raise _credentials_rejected(rejected, reread=False) from None
            current = self._credentials_now()
            if current == refused:
                raise _credentials_rejected(rejected, reread=True) from None
            logger.warning("LWA rejected the app credentials; trying the re-read ones once")
            try:
                return self._exchange_with(current, grant)
            except LwaInvalidClientError as again:
                raise _credentials_rejected(again, reread=True) from None

    def _exchange_with(self, credentials: AppCredentials, grant: dict[str, str]) -> dict:
        form = {**grant, "client_id": credentials.client_id, "client_secret": credentials.client_secret}
        grant_type = grant["grant_type"]
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._post(form, grant_type)
            except _Retryable as retryable:
                if attempt >= self._max_attempts:
                    raise retryable.error from None
                delay = self._rng() * min(self._max_delay, self._base_delay * 2 ** (attempt - 1))
                logger.warning(
                    "LWA token exchange failed, retrying",
                    extra={
                        "grant_type": grant_type,
                        "attempt": attempt,
                        "delay_seconds": round(delay, 3),
                        "reason": retryable.error.message,
                    },
                )
                self._sleep(delay)

    def _post(self, form: dict[str, str], grant_type: str) -> dict:
        try:
            response = self._session.post(
                self.endpoint,
                data=form,
                headers={
                    "content-type": "application/x-www-form-urlencoded;charset=UTF-8",
                    "accept": "application/json",
                },
                timeout=self._timeout,
                auth=self._request_auth,
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise _Retryable(LwaUnavailableError(f"LWA unreachable: {type(exc).__name__}")) from None
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = None
        if status >= 500 or status == 429:
            error = body.get("error") if isinstance(body, dict) else None
            raise _Retryable(
                LwaUnavailableError(
                    f"LWA answered HTTP {status}", error=str(error) if error else None, status=status
                )
            )
        if not isinstance(body, dict):
            raise _Retryable(
                LwaUnavailableError(f"LWA answered HTTP {status} without a JSON object", status=status)
            )
        if status == 200:
            token = body.get("access_token")
            expires_in = body.get("expires_in")
            if not isinstance(token, str) or not token or not isinstance(expires_in, int | float):
                raise _Retryable(
                    LwaUnavailableError("LWA answered 200 without access_token/expires_in", status=200)
                )
            logger.info("LWA token exchanged", extra={"grant_type": grant_type, "expires_in": expires_in})
            return body
        error = str(body.get("error") or "")
        description = str(body.get("error_description") or "")
        message = f"LWA refused the {grant_type} grant: {error or f'HTTP {status}'}"
        if description:
            message += f" ({description})"
        logger.warning(
            "LWA refused a token exchange",
            extra={"grant_type": grant_type, "status": status, "lwa_error": error},
        )
        if error == "invalid_grant":
            raise LwaInvalidGrantError(message, error=error, status=status)
        if error == "unauthorized_client":
            # Not a credentials problem: the application may not use this grant (no re-read, no retry).
            raise LwaUnauthorizedClientError(message, error=error, status=status)
        if error == "invalid_client" or (status == 401 and not error):
            raise LwaInvalidClientError(message, error=error or None, status=status)
        if error in _TRANSIENT_CODES:
            raise _Retryable(LwaUnavailableError(message, error=error, status=status))
        raise LwaError(message, error=error or None, status=status)


def _credentials_rejected(error: LwaInvalidClientError, *, reread: bool) -> LwaInvalidClientError:
    """LWA's refusal of the app credentials, saying what the operator has to do about it."""
    when = "also after re-reading the app credentials" if reread else "and they cannot be re-read"
    return LwaInvalidClientError(
        f"{error.message}, {when}: store the application's current LWA client id and client secret in the "
        "app credentials secret (after a rotation the old client secret stops working within seven days)",
        error=error.error,
        status=error.status,
    )


class SellerTokenProvider:
    """Callable giving the seller's access token; `invalidate` lets the HTTP client drop a rejected one."""

    def __init__(self, lwa: LwaClient, refresh_token: str) -> None:
        self._lwa = lwa
        self._refresh_token = refresh_token
        # SP-API rate-limits per selling partner: the HTTP client keeps separate buckets per partition.
        self.rate_limit_partition = "seller:" + _fingerprint(refresh_token)[:16]

    def __repr__(self) -> str:
        return "SellerTokenProvider(refresh_token=[redacted])"

    def __call__(self) -> str:
        return self._lwa.access_token(self._refresh_token)

    def invalidate(self, access_token: str) -> None:
        self._lwa.invalidate(refresh_token=self._refresh_token, access_token=access_token)

    def client_secret_expired(self) -> bool:
        return self._lwa.client_secret_expired()


class GrantlessTokenProvider:
    def __init__(self, lwa: LwaClient, scope: str = NOTIFICATIONS_SCOPE) -> None:
        self._lwa = lwa
        self.scope = scope
        self.rate_limit_partition = f"scope:{scope}"

    def __repr__(self) -> str:
        return f"GrantlessTokenProvider(scope={self.scope!r})"

    def __call__(self) -> str:
        return self._lwa.grantless_access_token(self.scope)

    def invalidate(self, access_token: str) -> None:
        self._lwa.invalidate(scope=self.scope, access_token=access_token)

    def client_secret_expired(self) -> bool:
        return self._lwa.client_secret_expired()
