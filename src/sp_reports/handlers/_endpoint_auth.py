"""How our functions authenticate to the SP-API and LWA endpoints they are configured with.

``SPAPI_ENDPOINT_AUTH=aws_iam`` is for endpoints behind a Lambda function URL with AWS_IAM auth (the SP-API
emulator deployed in the account under test): each request is signed with Signature Version 4 for the service
``lambda`` in the function's region, with the function's own credentials (Lambda Developer Guide, "Control
access to Lambda function URLs": with AWS_IAM, "users must sign each request with SigV4"; "Invoking Lambda
function URLs": the signature names the service ``lambda``). Unset or ``none``: nothing is signed, as real
SP-API wants (its requests carry the LWA access token only). The signature covers the request's headers,
so the x-amz-access-token header travels and is signed with the rest; the credentials are read at each
request (a Lambda's credentials are temporary and rotate) and never logged.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

AUTH_VARIABLE = "SPAPI_ENDPOINT_AUTH"
# botocore.auth logs the canonical request at DEBUG: with it the x-amz-access-token and the session token
# would reach the logs whenever a function runs at LOG_LEVEL=DEBUG. Its records stop at INFO, always.
logging.getLogger("botocore.auth").setLevel(logging.INFO)
MODES = ("none", "aws_iam")


class SigV4RequestAuth(requests.auth.AuthBase):
    """Signs a prepared request with SigV4 (``service``, ``region``) using botocore ``credentials``."""

    def __init__(self, credentials: Any, region: str, service: str = "lambda") -> None:
        self._credentials = credentials
        self.region = region
        self.service = service

    def __repr__(self) -> str:  # no credentials in any repr
        return f"SigV4RequestAuth(service={self.service!r}, region={self.region!r})"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        frozen = self._credentials.get_frozen_credentials()
        signed = AWSRequest(method=request.method, url=request.url, data=body, headers=dict(request.headers))
        SigV4Auth(frozen, self.service, self.region).add_auth(signed)
        request.headers.update(dict(signed.headers))
        return request


def endpoint_auth(
    environ: dict[str, str] | None = None, session_factory: Any = None
) -> requests.auth.AuthBase | None:
    """The request-signing hook ``SPAPI_ENDPOINT_AUTH`` asks for (None: unsigned); a ValueError naming the
    accepted values for anything else, so a mistyped setting fails at the first call instead of sending
    unsigned requests that the endpoint refuses with 403."""
    environ = os.environ if environ is None else environ
    mode = (environ.get(AUTH_VARIABLE) or "none").strip().lower()
    if mode not in MODES:
        raise ValueError(f"{AUTH_VARIABLE}={mode!r}: expected one of {', '.join(MODES)}")
    if mode == "none":
        return None
    if session_factory is None:
        import botocore.session

        session_factory = botocore.session.get_session
    session = session_factory()
    credentials = session.get_credentials()
    if credentials is None:
        raise ValueError(f"{AUTH_VARIABLE}=aws_iam but no AWS credentials were found to sign with")
    region = (
        environ.get("AWS_REGION")
        or environ.get("AWS_DEFAULT_REGION")
        or session.get_config_variable("region")
    )
    if not region:
        raise ValueError(f"{AUTH_VARIABLE}=aws_iam needs the function's region (AWS_REGION)")
    return SigV4RequestAuth(credentials, region)
