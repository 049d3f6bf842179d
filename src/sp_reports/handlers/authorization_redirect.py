"""GET /authorization/redirect: the redirect URI Amazon loads in the seller's browser at the end of the
authorization workflow; checks the state, exchanges `spapi_oauth_code` with LWA and stores the seller's
refresh token, bound (sp_reports.pipeline.seller_authorization).

Served without IAM authorisation (a seller's browser calls it) and only where the deployment enables seller
authorization (root variable seller_authorization_redirect_uri).
"""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit

from sp_reports.handlers import _config
from sp_reports.handlers._browser import browser_answer, query_parameters, text_answer
from sp_reports.handlers._observability import observability
from sp_reports.handlers._spapi_clients import SpApiClients
from sp_reports.pipeline.seller_authorization import AuthorizationStates, SellerAuthorization
from sp_reports.pipeline.token_store import TokenStore

logger, tracer, metrics = observability()
config = _config.required(
    [
        "TOKENS_TABLE_NAME",
        "TOKENS_KMS_KEY_ID",
        "LWA_CREDENTIALS_SECRET_ARN",
        "SELLER_AUTHORIZATION_REDIRECT_URI",
    ]
)
dynamodb = boto3.client("dynamodb")
spapi_clients = SpApiClients(
    lwa_secret_arn=config["LWA_CREDENTIALS_SECRET_ARN"],
    secretsmanager_client=boto3.client("secretsmanager"),
    token_store=TokenStore(
        config["TOKENS_TABLE_NAME"], config["TOKENS_KMS_KEY_ID"], dynamodb, boto3.client("kms")
    ),
)
authorization = SellerAuthorization(
    AuthorizationStates(config["TOKENS_TABLE_NAME"], dynamodb),
    config["SELLER_AUTHORIZATION_REDIRECT_URI"],
    lwa=spapi_clients.lwa,
    tokens=spapi_clients.tokens,
)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
@browser_answer(logger, metrics)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    authorized = authorization.redirect(query_parameters(event))
    logger.append_keys(seller_id=authorized.seller_id)
    logger.info(
        "seller authorized the application: refresh token stored", extra={"new_seller": authorized.new_seller}
    )
    metrics.add_metric(name="SellersAuthorized", unit=MetricUnit.Count, value=1)
    return text_answer(
        200, f"Seller {authorized.seller_id} authorized the application. You can close this window."
    )
