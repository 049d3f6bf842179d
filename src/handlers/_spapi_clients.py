"""SP-API clients for a Lambda container: one LWA client and one HTTP client per region, reused across
invocations so that access tokens and rate-limit buckets survive between them."""

from __future__ import annotations

import threading
from typing import Any

from handlers import _config
from reports_pipeline.token_store import TokenStore
from spapi.credentials import DEFAULT_MAX_AGE_SECONDS, SecretsManagerAppCredentials
from spapi.http import SpApiHttpClient
from spapi.lwa import LwaClient
from spapi.notifications import NotificationsClient
from spapi.regions import spapi_endpoint
from spapi.reports import ReportsClient


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
        self.lwa = LwaClient(
            SecretsManagerAppCredentials(lwa_secret_arn, secretsmanager_client, max_age=max_age)
        )
        self._token_store = token_store
        self._deadline = deadline_seconds
        self._http: dict[str, SpApiHttpClient] = {}
        self._lock = threading.Lock()

    def http(self, region_code: str) -> SpApiHttpClient:
        with self._lock:
            client = self._http.get(region_code)
            if client is None:
                client = SpApiHttpClient(spapi_endpoint(region_code), deadline=self._deadline)
                self._http[region_code] = client
            return client

    def _seller_tokens(self, seller_id: str):
        if self._token_store is None:
            raise RuntimeError("this function has no token store configured")
        return self.lwa.seller_token_provider(self._token_store.get(seller_id))

    def reports(self, seller_id: str, region_code: str) -> ReportsClient:
        """A Reports client acting for the seller (TokenNotFoundError when none is stored)."""
        return ReportsClient(self.http(region_code), self._seller_tokens(seller_id))

    def notifications(self, seller_id: str, region_code: str) -> NotificationsClient:
        """A Notifications client with both the grantless and the seller's tokens."""
        return NotificationsClient(
            self.http(region_code), self.lwa.grantless_token_provider(), self._seller_tokens(seller_id)
        )
