"""Canary secrets for tests: distinctive values whose presence in any output proves a leak.

Import with `from canaries import ...` (tests/ is on sys.path through the root conftest).
"""

from __future__ import annotations

CLIENT_ID = "amzn1.application-oa2-client.test"
CLIENT_SECRET = "CANARY-CLIENT-SECRET-7f3c9d2e41b84a56"
SELLER_ID = "A3TH9S8BH6GOGM"
REFRESH_TOKEN = "Atzr|CANARY-REFRESH-5b1e0c8a93d24f77"

# Fragments only secrets carry: LWA and restricted data token prefixes, presigned URL signatures
# (our emulator's document URLs carry `sig=`, S3's carry `X-Amz-Signature=`).
SECRET_MARKERS = ("Atza|", "Atzr|", "Atz.sprdt|", "X-Amz-Signature=", "&sig=", "CANARY-")


def assert_no_secrets(text: str, *extra: str) -> None:
    """Fail when `text` holds a canary, a secret marker or one of the `extra` secrets (an access token…)."""
    for secret in (CLIENT_SECRET, REFRESH_TOKEN, *SECRET_MARKERS, *extra):
        if secret and secret in text:
            raise AssertionError(
                f"a secret leaked: found {_describe(secret)} in output of {len(text)} characters"
            )


def _describe(secret: str) -> str:
    # Never echo the secret itself into the failure message.
    if secret in SECRET_MARKERS:
        return f"the marker {secret!r}"
    return f"a secret starting {secret[:4]!r}"
