"""The shape of the functions a seller's browser calls (GET /authorization/login and /redirect): query
parameters in, a redirect or a line of text out; any failure becomes a text answer with its status.

Their URLs carry OAuth states and codes, so no answer is cached or sends a Referer onward, and nothing of the
query reaches a log line (the warning names the error code and message, which never hold a value).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from sp_reports.pipeline.api_requests import ApiError, api_error_for
from sp_reports.spapi.errors import redact

# No cache keeps an answer, no page it leads to learns the URL that carried a state or code.
PRIVATE_HEADERS = {"Cache-Control": "no-store", "Pragma": "no-cache", "Referrer-Policy": "no-referrer"}

BrowserOperation = Callable[[dict[str, Any], Any], dict[str, Any]]


def query_parameters(event: Mapping[str, Any]) -> dict[str, str]:
    """The query's parameters; a parameter given twice is refused (which one would count is ambiguous)."""
    multi = event.get("multiValueQueryStringParameters") or {}
    repeated = sorted(name for name, values in multi.items() if values and len(values) > 1)
    if repeated:
        raise ApiError(400, "RepeatedParameter", f"{repeated[0]}: given more than once")
    return dict(event.get("queryStringParameters") or {})


def redirect_to(location: str) -> dict[str, Any]:
    return {"statusCode": 302, "headers": {"Location": location, **PRIVATE_HEADERS}, "body": ""}


def text_answer(status: int, text: str) -> dict[str, Any]:
    headers = {"Content-Type": "text/plain; charset=utf-8", **PRIVATE_HEADERS}
    return {"statusCode": status, "headers": headers, "body": text + "\n"}


def browser_answer(logger: Logger, metrics: Metrics) -> Callable[[BrowserOperation], Callable[..., dict]]:
    def decorate(operation: BrowserOperation) -> Callable[..., dict[str, Any]]:
        @functools.wraps(operation)
        def answer(event: dict[str, Any], context: Any) -> dict[str, Any]:
            try:
                return operation(event, context)
            except Exception as exc:
                error = api_error_for(exc)
                if error.status >= 500:
                    logger.exception("request failed", extra={"status": error.status, "code": error.code})
                    metrics.add_metric(name="ServerErrors", unit=MetricUnit.Count, value=1)
                    return text_answer(
                        error.status, "The authorization could not be completed; try again later."
                    )
                logger.warning(
                    "request refused",
                    extra={"status": error.status, "code": error.code, "reason": error.message},
                )
                metrics.add_metric(name="ClientErrors", unit=MetricUnit.Count, value=1)
                return text_answer(error.status, redact(f"{error.code}: {error.message}"))

        return answer

    return decorate
