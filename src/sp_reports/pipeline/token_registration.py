"""POST /tokens behind the door: check a seller's LWA refresh token with Login with Amazon, then store it
encrypted, unbound: that the token is this seller's is the caller's word until Amazon names the seller
(sp_reports.pipeline.token_store)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sp_reports.pipeline.api_requests import (
    ApiError,
    parse_json_body,
    parse_token_request,
    token_stored_answer,
)
from sp_reports.pipeline.telemetry import COUNT, MetricSink, StructuredLogger
from sp_reports.pipeline.tenancy import TenantBoundary
from sp_reports.pipeline.token_store import CachedTokenStore
from sp_reports.spapi.errors import LwaInvalidGrantError
from sp_reports.spapi.lwa import LwaClient


class TokenRegistration:
    def __init__(
        self,
        *,
        lwa: LwaClient,
        tokens: CachedTokenStore,
        boundary: TenantBoundary,
        logger: StructuredLogger,
        metrics: MetricSink,
    ) -> None:
        self._lwa = lwa
        # The container's token cache, so that storing a token forgets the seller's old one here.
        self._tokens = tokens
        self._boundary = boundary
        self._logger = logger
        self._metrics = metrics

    def register(self, event: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        """The API event's token checked and stored: (status, body) of the answer; ApiError when refused."""
        request = parse_token_request(parse_json_body(event))
        self._logger.append_keys(seller_id=request.seller_id)
        self._boundary.admit(event, request.seller_id)
        try:
            # A token LWA refuses now would only fail later, in the middle of a report: refuse it here.
            self._lwa.exchange_refresh_token(request.refresh_token)
        except LwaInvalidGrantError:
            raise ApiError(
                400,
                "InvalidRefreshToken",
                "RefreshToken: Login with Amazon refused it"
                " (revoked, expired or not issued to this application)",
            ) from None
        created = self._tokens.put(request.seller_id, request.refresh_token, bound=False)
        self._logger.info("refresh token stored", extra={"new_seller": created})
        self._metrics.add_metric(name="TokensStored", unit=COUNT, value=1)
        return token_stored_answer(request.seller_id)
