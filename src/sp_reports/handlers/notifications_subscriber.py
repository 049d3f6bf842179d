"""POST /notifications: make sure SP-API delivers the seller's REPORT_PROCESSING_FINISHED to our queue."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools.logging import correlation_paths

from sp_reports.handlers import _config
from sp_reports.handlers._api import api_answer, tenant_boundary
from sp_reports.handlers._observability import observability
from sp_reports.handlers._spapi_clients import SpApiClients
from sp_reports.pipeline.notification_subscriptions import NotificationSubscriptions
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
subscriptions = NotificationSubscriptions(
    notifications_for=spapi_clients.notifications,
    queue_arn=config["NOTIFICATIONS_QUEUE_ARN"],
    destination_name=config["SPAPI_DESTINATION_NAME"],
    boundary=boundary,
    logger=logger,
    metrics=metrics,
)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)  # no answers in traces: some carry presigned URLs
@metrics.log_metrics
@api_answer(logger, metrics)
def handler(event: dict[str, Any], context: Any) -> tuple[int, dict[str, Any]]:
    return subscriptions.subscribe(event)
