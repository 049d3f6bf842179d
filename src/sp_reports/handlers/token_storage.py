"""POST /tokens: check a seller's LWA refresh token with Login with Amazon, then store it encrypted.

For self-authorised applications, whose tokens come from Seller Central's "Authorize app" page, not from the
authorization workflow (handlers.seller_authorization): the token is stored unbound.
"""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from sp_reports.handlers import _config
from sp_reports.handlers._api import api_answer, tenant_boundary
from sp_reports.handlers._observability import observability
from sp_reports.handlers._spapi_clients import SpApiClients
from sp_reports.pipeline.api_requests import (
    ApiError,
    parse_json_body,
    parse_token_request,
    token_stored_answer,
)
from sp_reports.pipeline.token_store import TokenStore
from sp_reports.spapi.errors import LwaInvalidGrantError

logger, tracer, metrics = observability()
config = _config.required(["TOKENS_TABLE_NAME", "TOKENS_KMS_KEY_ID", "LWA_CREDENTIALS_SECRET_ARN"])
token_store = TokenStore(
    config["TOKENS_TABLE_NAME"], config["TOKENS_KMS_KEY_ID"], boto3.client("dynamodb"), boto3.client("kms")
)
spapi_clients = SpApiClients(
    lwa_secret_arn=config["LWA_CREDENTIALS_SECRET_ARN"],
    secretsmanager_client=boto3.client("secretsmanager"),
    token_store=token_store,
)
boundary = tenant_boundary()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)  # no answers in traces: some carry presigned URLs
@metrics.log_metrics
@api_answer(logger, metrics)
def handler(event: dict[str, Any], context: Any) -> tuple[int, dict[str, Any]]:
    request = parse_token_request(parse_json_body(event))
    logger.append_keys(seller_id=request.seller_id)
    boundary.admit(event, request.seller_id)
    try:
        # A token LWA refuses now would only fail later, in the middle of a report: refuse it here instead.
        spapi_clients.lwa.exchange_refresh_token(request.refresh_token)
    except LwaInvalidGrantError:
        raise ApiError(
            400,
            "InvalidRefreshToken",
            "RefreshToken: Login with Amazon refused it (revoked, expired or not issued to this application)",
        ) from None
    # Through the container's token cache, which forgets the seller's old token. Unbound: that the token is
    # this seller's is the caller's word until Amazon names the seller (sp_reports.pipeline.token_store).
    created = spapi_clients.tokens.put(request.seller_id, request.refresh_token, bound=False)
    logger.info("refresh token stored", extra={"new_seller": created})
    metrics.add_metric(name="TokensStored", unit=MetricUnit.Count, value=1)
    return token_stored_answer(request.seller_id)
