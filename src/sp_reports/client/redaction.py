"""Removes secrets from text before it is printed, logged or put into an exception.

The shapes of secrets (LWA tokens, presigned URL signatures) are known in one place,
`sp_reports.spapi.errors.redact`;
the client adds the literal secrets it holds (a refresh token it was given, its session token).
"""

from __future__ import annotations

from collections.abc import Iterable

from sp_reports.spapi.errors import REDACTED
from sp_reports.spapi.errors import redact as redact_secret_shapes


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Returns `text` with the given literal secrets and known secret shapes replaced."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return redact_secret_shapes(text)


__all__ = ["REDACTED", "redact"]
