"""POST /notifications: make sure SP-API delivers the seller's REPORT_PROCESSING_FINISHED to our queue."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from sp_reports.handlers import _config
from sp_reports.handlers._api import api_answer, tenant_boundary
from sp_reports.handlers._observability import observability
from sp_reports.handlers._spapi_clients import SpApiClients
from sp_reports.pipeline.api_requests import parse_json_body, parse_subscription_request
from sp_reports.pipeline.token_store import TokenStore

logger, tracer, metrics = observability()
config = _config.required(
    ["TOKENS_TABLE_NAME", "LWA_CREDENTIALS_SECRET_ARN", "NOTIFICATIONS_QUEUE_ARN", "SPAPI_DESTINATION_NAME"]
)
# Reading tokens needs only kms:Decrypt, whose key id is inside the ciphertext: no key id to configure here.
token_store = TokenStore(config["TOKENS_TABLE_NAME"], "", boto3.client("dynamodb"), boto3.client("kms"))
spapi_clients = SpApiClients(
    lwa_secret_arn=config["LWA_CREDENTIALS_SECRET_ARN"],
    secretsmanager_client=boto3.client("secretsmanager"),
    token_store=token_store,
    deadline_seconds=20.0,  # API Gateway gives up after 29 s
)
boundary = tenant_boundary()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)  # no answers in traces: some carry presigned URLs
@metrics.log_metrics
@api_answer(logger, metrics)
def handler(event: dict[str, Any], context: Any) -> tuple[int, dict[str, Any]]:
    request = parse_subscription_request(parse_json_body(event))
    logger.append_keys(seller_id=request.seller_id, region_code=request.region_code)
    boundary.admit(event, request.seller_id)
    notifications = spapi_clients.notifications(request.seller_id, request.region_code)
    destination_id = notifications.ensure_destination(
        config["NOTIFICATIONS_QUEUE_ARN"], config["SPAPI_DESTINATION_NAME"]
    )
    subscription = notifications.ensure_subscription(
        request.notification_type, destination_id, replace_elsewhere=request.replace_existing
    )
    logger.info(
        "subscription ensured",
        extra={
            "destination_id": destination_id,
            "subscription_id": subscription["subscriptionId"],
            "outcome": subscription.get("outcome"),
        },
    )
    metrics.add_metric(name="SubscriptionsEnsured", unit=MetricUnit.Count, value=1)
    return 200, {"destinationId": destination_id, "subscriptionId": subscription["subscriptionId"]}
