"""API Gateway REST (v1) proxy events as our API's Lambda functions receive them."""

from __future__ import annotations

import json
import uuid
from typing import Any

OPERATOR_ARN = "arn:aws:iam::123456789012:user/reports-operator"


def api_event(
    method: str,
    path: str,
    body: Any = None,
    path_parameters: dict[str, str] | None = None,
    caller_arn: str | None = OPERATOR_ARN,
) -> dict:
    """``caller_arn``: the IAM identity API Gateway authenticated (an assumed role arrives as its session's
    arn:aws:sts::...:assumed-role/ROLE/SESSION)."""
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": {"Content-Type": "application/json"},
        "pathParameters": path_parameters,
        "queryStringParameters": None,
        "body": body if isinstance(body, str) or body is None else json.dumps(body),
        "isBase64Encoded": False,
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "identity": {"userArn": caller_arn},
        },
    }


def answer_body(response: dict) -> dict:
    assert response["headers"]["Content-Type"] == "application/json"
    return json.loads(response["body"])
