"""SP-API clients for a Lambda container: one LWA client and one HTTP client per region, reused across
invocations so that access tokens and rate-limit buckets survive between them, and a short-lived cache of
the sellers' decrypted refresh tokens (sp_reports.pipeline.token_store.CachedTokenStore) so that a warm
container
does not read and decrypt the seller's token at every call."""

from __future__ import annotations

import logging
import threading
from typing import Any

from sp_reports.handlers import _config
from sp_reports.handlers._endpoint_auth import endpoint_auth
from sp_reports.pipeline.errors import TokenNotFoundError
from sp_reports.pipeline.token_store import (
    DEFAULT_TOKEN_CACHE_SECONDS,
    MAX_TOKEN_CACHE_SECONDS,
    CachedTokenStore,
    TokenStore,
)
from sp_reports.spapi.credentials import DEFAULT_MAX_AGE_SECONDS, SecretsManagerAppCredentials
from sp_reports.spapi.errors import LwaInvalidGrantError
from sp_reports.spapi.http import SpApiHttpClient
from sp_reports.spapi.lwa import LwaClient
from sp_reports.spapi.notifications import NotificationsClient
from sp_reports.spapi.regions import REGIONS, spapi_endpoint
from sp_reports.spapi.reports import ReportsClient

# Under sp_reports so that _observability gives it the Powertools logger's JSON format and redaction.
logger = logging.getLogger(__name__)


class SpApiClients:
    def __init__(
        self,
        *,
        lwa_secret_arn: str,
        secretsmanager_client: Any,
        token_store: TokenStore | None = None,
        deadline_seconds: float = 60.0,
    ) -> None:
        # How long a warm container trusts the app credentials it read (LWA_CREDENTIALS_CACHE_SECONDS).
        max_age = _config.positive_int(
            "LWA_CREDENTIALS_CACHE_SECONDS", int(DEFAULT_MAX_AGE_SECONDS), maximum=24 * 3600
        )
        # SPAPI_ENDPOINT_AUTH: SigV4 on SP-API, Tokens API and LWA requests (never on document downloads).
        self._auth = endpoint_auth()
        # An endpoint override that is not Amazon's outside a test deployment fails the cold start, as LWA's
        # does below, instead of the first call to its region (sp_reports.spapi.regions).
        for region_code in REGIONS:
            spapi_endpoint(region_code)
        self.lwa = LwaClient(
            SecretsManagerAppCredentials(lwa_secret_arn, secretsmanager_client, max_age=max_age),
            request_auth=self._auth,
        )
        # How long a warm container trusts a seller's decrypted refresh token (REFRESH_TOKEN_CACHE_SECONDS).
        token_max_age = _config.positive_int(
            "REFRESH_TOKEN_CACHE_SECONDS", DEFAULT_TOKEN_CACHE_SECONDS, maximum=MAX_TOKEN_CACHE_SECONDS
        )
        self.tokens = CachedTokenStore(token_store, token_max_age) if token_store is not None else None
        self._deadline = deadline_seconds
        self._http: dict[str, SpApiHttpClient] = {}
        self._lock = threading.Lock()

    def http(self, region_code: str) -> SpApiHttpClient:
        with self._lock:
            client = self._http.get(region_code)
            if client is None:
                client = SpApiHttpClient(
                    spapi_endpoint(region_code), deadline=self._deadline, request_auth=self._auth
                )
                self._http[region_code] = client
            return client

    def _seller_tokens(self, seller_id: str) -> StoredSellerTokens:
        if self.tokens is None:
            raise RuntimeError("this function has no token store configured")
        return StoredSellerTokens(self.lwa, self.tokens, seller_id)

    def reports(self, seller_id: str, region_code: str) -> ReportsClient:
        """A Reports client acting for the seller (TokenNotFoundError when none is stored)."""
        return ReportsClient(self.http(region_code), self._seller_tokens(seller_id))

    def notifications(self, seller_id: str, region_code: str) -> NotificationsClient:
        """A Notifications client with both the grantless and the seller's tokens."""
        return NotificationsClient(
            self.http(region_code), self.lwa.grantless_token_provider(), self._seller_tokens(seller_id)
        )


class StoredSellerTokens:
    """The seller's access tokens, from the refresh token in the (cached) token store.

    When LWA refuses the refresh token (invalid_grant: revoked, or replaced and no longer valid), the cached
    copy is dropped and the stored one read again, once: if POST /tokens replaced it since this container
    read it, the new one is used; if it is the same token, LWA's refusal stands and is raised as before."""

    def __init__(self, lwa: LwaClient, tokens: CachedTokenStore, seller_id: str) -> None:
        self._lwa = lwa
        self._tokens = tokens
        self._seller_id = seller_id
        self._refresh_token = tokens.get(seller_id)  # TokenNotFoundError now, as before the cache
        self._provider = lwa.seller_token_provider(self._refresh_token)
        self._reread = False

    def __repr__(self) -> str:
        return f"StoredSellerTokens(seller_id={self._seller_id!r}, refresh_token=[redacted])"

    @property
    def rate_limit_partition(self) -> str:
        return self._provider.rate_limit_partition

    def __call__(self) -> str:
        try:
            return self._provider()
        except LwaInvalidGrantError as refused:
            if self._reread:
                raise
            self._reread = True
            self._tokens.forget(self._seller_id)
            try:
                stored = self._tokens.get(self._seller_id)
            except TokenNotFoundError:
                raise refused from None  # deleted meanwhile: LWA's refusal is still the answer
            if stored == self._refresh_token:
                raise
            logger.warning(
                "LWA refused the cached refresh token; the stored one was replaced since: using it",
                extra={"seller_id": self._seller_id},
            )
            self._refresh_token, self._provider = stored, self._lwa.seller_token_provider(stored)
            return self._provider()

    def invalidate(self, access_token: str) -> None:
        self._provider.invalidate(access_token)

    def client_secret_expired(self) -> bool:
        return self._provider.client_secret_expired()
