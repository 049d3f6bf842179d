"""Bucket policies see local AWS's plain-HTTP loopback requests as TLS requests.

Our buckets deny ``s3:*`` when ``aws:SecureTransport`` is ``false``, as AWS's security guidance asks. moto
5.2.5 evaluates only the ``StringEquals`` condition operator and treats every other condition as matched, so
that Deny would refuse every request, although local AWS stands in for AWS's TLS-only endpoints. Before moto
evaluates a bucket policy, we resolve ``Bool`` conditions on ``aws:SecureTransport`` as AWS would for a TLS
request: a statement whose condition cannot hold is dropped, and the satisfied condition is removed from the
others. All other conditions are left to moto, unchanged.
"""

from __future__ import annotations

from typing import Any

SECURE_TRANSPORT_KEY = "aws:securetransport"


def resolve_secure_transport(policy: dict[str, Any], secure: bool = True) -> dict[str, Any]:
    """The policy with its ``Bool``/``aws:SecureTransport`` conditions evaluated for a request over TLS."""
    statements = policy.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    kept = []
    for statement in statements:
        condition = dict(statement.get("Condition") or {})
        bool_condition = {
            key: value
            for key, value in (condition.get("Bool") or {}).items()
            if key.lower() != SECURE_TRANSPORT_KEY
        }
        expected = [
            value
            for key, value in (condition.get("Bool") or {}).items()
            if key.lower() == SECURE_TRANSPORT_KEY
        ]
        if any(_as_bools(value) and str(secure).lower() not in _as_bools(value) for value in expected):
            continue  # the condition cannot hold for this request: the statement does not apply
        if expected:
            if bool_condition:
                condition["Bool"] = bool_condition
            else:
                condition.pop("Bool", None)
            statement = {**statement, "Condition": condition} if condition else _without_condition(statement)
        kept.append(statement)
    return {**policy, "Statement": kept}


def _as_bools(value: Any) -> set[str]:
    values = value if isinstance(value, list) else [value]
    return {str(item).lower() for item in values}


def _without_condition(statement: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in statement.items() if key != "Condition"}
