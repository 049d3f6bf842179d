"""The shape every API function shares: parse, call, answer JSON; any failure becomes one mapped error
answer."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from sp_reports.pipeline.api_requests import api_error_for, error_response, json_response
from sp_reports.pipeline.tenancy import TENANT_MAP_TABLE_VARIABLE, TenantBoundary, TenantMap

ApiOperation = Callable[[dict[str, Any], Any], tuple[int, Any]]


def api_answer(logger: Logger, metrics: Metrics) -> Callable[[ApiOperation], Callable[..., dict[str, Any]]]:
    """Turn `operation(event, context) -> (status, body)` into a Lambda proxy-integration handler."""

    def decorate(operation: ApiOperation) -> Callable[..., dict[str, Any]]:
        @functools.wraps(operation)
        def answer(event: dict[str, Any], context: Any) -> dict[str, Any]:
            request_id = (event.get("requestContext") or {}).get("requestId")
            try:
                status, body = operation(event, context)
            except Exception as exc:
                error = api_error_for(exc)
                if error.status >= 500:
                    logger.exception("request failed", extra={"status": error.status, "code": error.code})
                    metrics.add_metric(name="ServerErrors", unit=MetricUnit.Count, value=1)
                else:
                    logger.warning(
                        "request refused",
                        extra={"status": error.status, "code": error.code, "reason": error.message},
                    )
                    metrics.add_metric(name="ClientErrors", unit=MetricUnit.Count, value=1)
                return error_response(error, request_id)
            return json_response(status, body)

        return answer

    return decorate


def tenant_boundary(dynamodb_client: Any = None) -> TenantBoundary:
    """The tenant boundary every API route checks (sp_reports.pipeline.tenancy): on when Terraform gives the
    function the tenant map's table (root tenant_isolation), else off, admitting every caller."""
    table_name = os.environ.get(TENANT_MAP_TABLE_VARIABLE, "").strip()
    if not table_name:
        return TenantBoundary(None)
    if dynamodb_client is None:
        import boto3

        dynamodb_client = boto3.client("dynamodb")
    return TenantBoundary(TenantMap(table_name, dynamodb_client))
