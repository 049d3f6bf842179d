"""Bucket policies evaluate ``s3:x-amz-server-side-encryption*`` conditions from the request's headers.

The reports bucket denies ``s3:PutObject`` unless the upload asks for SSE-KMS with the bucket's key
(``StringNotEqualsIfExists`` on ``s3:x-amz-server-side-encryption`` and ``...-aws-kms-key-id``). moto 5.2.5
evaluates only ``StringEquals`` and treats every other condition as matched, so those Deny statements refuse
every upload, also the correctly encrypted ones, although AWS accepts them. Before moto evaluates a bucket
policy for an object request, we resolve these conditions with the request's ``x-amz-server-side-encryption*``
headers, with AWS's operator semantics (``...IfExists`` holds when the header is absent): a statement whose
condition cannot hold is dropped, a satisfied condition is removed. Other conditions are left to moto.

Parts of a multipart upload (requests with ``uploadId``) carry no encryption headers: the encryption was fixed
by CreateMultipartUpload, whose request was checked. For them the statements resting on these keys are
dropped. ``aws:SecureTransport`` is resolved as ``secure_transport`` does (this patch replaces its hook).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs, urlparse

from moto.iam.access_control import IAMPolicy, PermissionResult
from moto.s3.models import FakeBucket
from moto.s3.responses import S3Response

from .moto_patch import PatchSet
from .secure_transport import resolve_secure_transport

ENCRYPTION_KEY_PREFIX = "s3:x-amz-server-side-encryption"

_request = threading.local()


def _string_equals(expected: list[str], actual: str | None) -> bool:
    return actual is not None and actual in expected


_OPERATORS: dict[str, Callable[[list[str], str | None], bool]] = {
    "StringEquals": _string_equals,
    "StringNotEquals": lambda expected, actual: actual is not None and actual not in expected,
    "StringEqualsIfExists": lambda expected, actual: actual is None or actual in expected,
    "StringNotEqualsIfExists": lambda expected, actual: actual is None or actual not in expected,
    "Null": lambda expected, actual: (actual is None) == (expected[0].lower() == "true"),
}


def resolve_encryption_conditions(
    policy: dict[str, Any], headers: Mapping[str, str], multipart_part: bool = False
) -> dict[str, Any]:
    """The policy with its encryption-header conditions evaluated for a request with ``headers``
    (lower-case names)."""
    statements = policy.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    kept = []
    for statement in statements:
        resolved = _resolve_statement(statement, headers, multipart_part)
        if resolved is not None:
            kept.append(resolved)
    return {**policy, "Statement": kept}


def _resolve_statement(
    statement: dict[str, Any], headers: Mapping[str, str], multipart_part: bool
) -> dict[str, Any] | None:
    """The statement with satisfied encryption conditions removed, or None when one cannot hold."""
    condition: dict[str, Any] = {}
    for operator, entries in (statement.get("Condition") or {}).items():
        remaining = {}
        for key, expected in entries.items():
            if not key.lower().startswith(ENCRYPTION_KEY_PREFIX) or operator not in _OPERATORS:
                remaining[key] = expected
                continue
            if multipart_part:
                return None
            values = [str(value) for value in (expected if isinstance(expected, list) else [expected])]
            if not _OPERATORS[operator](values, headers.get(key.lower().removeprefix("s3:"))):
                return None
        if remaining:
            condition[operator] = remaining
    if condition:
        return {**statement, "Condition": condition}
    return {key: value for key, value in statement.items() if key != "Condition"}


def s3_encryption_condition_patches() -> PatchSet:
    original_key_response = S3Response._key_response

    def key_response(self: S3Response, request: Any, full_url: str) -> Any:
        _request.headers = {name.lower(): value for name, value in request.headers.items()}
        _request.multipart_part = "uploadId" in parse_qs(urlparse(full_url).query)
        try:
            return original_key_response(self, request, full_url)
        finally:
            _request.headers, _request.multipart_part = None, False

    def get_permission(self: FakeBucket, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        policy = resolve_secure_transport(json.loads(self.policy.decode()))
        headers = getattr(_request, "headers", None)
        if headers is not None:
            multipart_part = getattr(_request, "multipart_part", False)
            policy = resolve_encryption_conditions(policy, headers, multipart_part)
        return IAMPolicy(json.dumps(policy)).is_action_permitted(action, resource)

    patches = PatchSet("s3_encryption_conditions")
    patches.replace(S3Response, "_key_response", key_response)
    patches.replace(FakeBucket, "get_permission", get_permission)
    return patches
