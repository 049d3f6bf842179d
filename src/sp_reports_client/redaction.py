"""Removes secrets from text before it is printed, logged or put into an exception."""

from __future__ import annotations

import re
from collections.abc import Iterable

REDACTED = "[redacted]"

# LWA refresh and access tokens, and any URL that carries a SigV4 query signature (a presigned URL).
_SECRET_PATTERNS = (
    re.compile(r"Atz[ra]\|[^\s\"',;]+"),
    re.compile(r"https?://[^\s\"'<>]*[?&]X-Amz-(?:Signature|Credential|Security-Token)=[^\s\"'<>]*", re.I),
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Returns `text` with known secret shapes and the given literal secrets replaced."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(REDACTED, text)
    return text
