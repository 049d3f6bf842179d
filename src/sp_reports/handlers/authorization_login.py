"""GET /authorization/login: the log-in URI Amazon loads in the seller's browser during the authorization
workflow; sends the browser back to Amazon with a new single-use state
(sp_reports.pipeline.seller_authorization).

Served without IAM authorisation (a seller's browser calls it) and only where the deployment enables seller
authorization (root variable seller_authorization_redirect_uri).
"""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit

from sp_reports.handlers import _config
from sp_reports.handlers._browser import browser_answer, query_parameters, redirect_to
from sp_reports.handlers._observability import observability
from sp_reports.pipeline.seller_authorization import AuthorizationStates, SellerAuthorization

logger, tracer, metrics = observability()
config = _config.required(["TOKENS_TABLE_NAME", "SELLER_AUTHORIZATION_REDIRECT_URI"])
# The log-in step exchanges nothing and stores no token: no LWA client, no token writer, no KMS.
authorization = SellerAuthorization(
    AuthorizationStates(config["TOKENS_TABLE_NAME"], boto3.client("dynamodb")),
    config["SELLER_AUTHORIZATION_REDIRECT_URI"],
)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)  # the answer's Location carries the state
@metrics.log_metrics
@browser_answer(logger, metrics)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    location = authorization.login(query_parameters(event))
    metrics.add_metric(name="AuthorizationsStarted", unit=MetricUnit.Count, value=1)
    return redirect_to(location)
