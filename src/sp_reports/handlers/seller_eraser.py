"""DELETE /sellers/{sellerId}: erase everything the stack keeps about a seller and answer what was erased.

An unknown seller is answered 200 with zeros, as a seller erased before: the status never tells a caller
which sellers the deployment serves. SP-API subscriptions, and the report schedules of the seller's pull
plans, are deleted with the seller's token before the token goes; when SP-API or LWA refuses, the answer
lists it under `notErased` and the rest is erased all the same.
"""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from sp_reports.handlers import _config
from sp_reports.handlers._api import api_answer
from sp_reports.handlers._observability import observability
from sp_reports.handlers._spapi_clients import SpApiClients
from sp_reports.pipeline.api_requests import parse_seller_id_path
from sp_reports.pipeline.seller_erasure import SellerErasure
from sp_reports.pipeline.token_store import TokenStore

logger, tracer, metrics = observability()
config = _config.required(
    [
        "TOKENS_TABLE_NAME",
        "REPORTS_TABLE_NAME",
        "REPORTS_BUCKET_NAME",
        "LWA_CREDENTIALS_SECRET_ARN",
        "NOTIFICATIONS_QUEUE_ARN",
        "PULL_PLANS_TABLE_NAME",
    ]
)
dynamodb = boto3.client("dynamodb")
# Reading the token needs only kms:Decrypt, whose key id is in the ciphertext: no key id to configure here.
token_store = TokenStore(config["TOKENS_TABLE_NAME"], "", dynamodb, boto3.client("kms"))
spapi_clients = SpApiClients(
    lwa_secret_arn=config["LWA_CREDENTIALS_SECRET_ARN"],
    secretsmanager_client=boto3.client("secretsmanager"),
    token_store=token_store,
    deadline_seconds=5.0,  # per region, three regions, within API Gateway's 29 s
)
erasure = SellerErasure(
    tokens_table=config["TOKENS_TABLE_NAME"],
    reports_table=config["REPORTS_TABLE_NAME"],
    bucket=config["REPORTS_BUCKET_NAME"],
    dynamodb_client=dynamodb,
    s3_client=boto3.client("s3"),
    queue_arn=config["NOTIFICATIONS_QUEUE_ARN"],
    pull_plans_table=config["PULL_PLANS_TABLE_NAME"],
)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
@api_answer(logger, metrics)
def handler(event: dict[str, Any], context: Any) -> tuple[int, dict[str, Any]]:
    seller_id = parse_seller_id_path(event)
    logger.append_keys(seller_id=seller_id)
    result = erasure.erase(
        seller_id,
        lambda region_code: spapi_clients.notifications(seller_id, region_code),
        lambda region_code: spapi_clients.reports(seller_id, region_code),
    )
    # This container forgets the token too; other containers' caches drop it within their short lifetime.
    spapi_clients.tokens.forget(seller_id)
    logger.info("seller erased", extra={"erased": result.counts(), "not_erased": result.problems})
    metrics.add_metric(name="SellersErased", unit=MetricUnit.Count, value=int(result.erased_anything))
    return 200, result.to_answer()
