"""POST /tokens: check a seller's LWA refresh token with Login with Amazon, then store it encrypted.

For self-authorised applications, whose tokens come from Seller Central's "Authorize app" page, not from the
authorization workflow (handlers.seller_authorization): the token is stored unbound.
"""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools.logging import correlation_paths

from sp_reports.handlers import _config
from sp_reports.handlers._api import api_answer, tenant_boundary
from sp_reports.handlers._observability import observability
from sp_reports.handlers._spapi_clients import SpApiClients
from sp_reports.pipeline.token_registration import TokenRegistration
from sp_reports.pipeline.token_store import TokenStore

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
registration = TokenRegistration(
    lwa=spapi_clients.lwa, tokens=spapi_clients.tokens, boundary=boundary, logger=logger, metrics=metrics
)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)  # no answers in traces: some carry presigned URLs
@metrics.log_metrics
@api_answer(logger, metrics)
def handler(event: dict[str, Any], context: Any) -> tuple[int, dict[str, Any]]:
    return registration.register(event)
