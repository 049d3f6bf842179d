"""SigV4 and ``execute-api:Invoke`` checks for ``AWS_IAM`` methods of the local API Gateway.

Signatures are recomputed with botocore's signer from the secret moto knows for the access key: IAM users'
access keys and STS assumed-role sessions are looked up and evaluated by moto's own ``IAMRequest`` (which also
checks the session token and evaluates the caller's identity policies, including Resource patterns);
requests signed with local AWS's root credentials are verified here and allowed, as root is on AWS.
Failures raise ``AuthDenied`` carrying API Gateway's message for that case.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from .moto_internals import (
    AccessDeniedError,
    IAMRequest,
    InvalidClientTokenIdError,
    SignatureDoesNotMatchError,
    caller_arn,
)

MAX_CLOCK_SKEW = datetime.timedelta(minutes=5)

MISSING_TOKEN = "Missing Authentication Token"  # noqa: S105 - API Gateway message
INVALID_TOKEN = "The security token included in the request is invalid."  # noqa: S105 - message
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
    "Access Key and signing method. Consult the service documentation for details."
)


class AuthDenied(Exception):
    """The request is not authenticated or not authorized; the message is API Gateway's answer."""


@dataclass(frozen=True)
class CallerIdentity:
    access_key: str | None
    account_id: str | None
    arn: str | None

    @classmethod
    def anonymous(cls) -> CallerIdentity:
        return cls(None, None, None)

    def to_event(self, source_ip: str, user_agent: str) -> dict[str, Any]:
        caller = self.arn.rsplit("/", 1)[-1] if self.arn else None
        return {
            "accessKey": self.access_key,
            "accountId": self.account_id,
            "caller": caller,
            "user": caller,
            "userArn": self.arn,
            "sourceIp": source_ip,
            "userAgent": user_agent,
            "cognitoAuthenticationProvider": None,
            "cognitoAuthenticationType": None,
            "cognitoIdentityId": None,
            "cognitoIdentityPoolId": None,
            "principalOrgId": None,
        }


@dataclass(frozen=True)
class SigV4Authorization:
    access_key: str
    date: str
    region: str
    service: str
    signed_headers: list[str]
    signature: str


def parse_authorization(header: str | None) -> SigV4Authorization:
    if not header or not header.startswith("AWS4-HMAC-SHA256 "):
        raise AuthDenied(MISSING_TOKEN)
    fields: dict[str, str] = {}
    for part in header[len("AWS4-HMAC-SHA256 ") :].split(","):
        key, _, value = part.strip().partition("=")
        fields[key] = value
    scope = fields.get("Credential", "").split("/")
    if len(scope) != 5 or not fields.get("SignedHeaders") or not fields.get("Signature"):
        raise AuthDenied(
            f"Authorization header requires 'Credential', 'SignedHeaders' and 'Signature': {header[:40]}"
        )
    return SigV4Authorization(
        scope[0], scope[1], scope[2], scope[3], fields["SignedHeaders"].split(";"), fields["Signature"]
    )


def authenticate(
    *,
    account_id: str,
    method: str,
    raw_path_and_query: str,
    headers: dict[str, str],
    body: bytes,
    resource_arn: str,
    root_credentials: tuple[str, str],
) -> CallerIdentity:
    """Verify the caller may ``execute-api:Invoke`` ``resource_arn``; returns who the caller is."""
    authorization = parse_authorization(headers.get("Authorization"))
    if authorization.service != "execute-api":
        raise AuthDenied("Credential should be scoped to correct service: 'execute-api'.")
    check_clock(headers.get("X-Amz-Date"), datetime.datetime.now(datetime.UTC))

    root_key, root_secret = root_credentials
    if authorization.access_key == root_key:
        expected = expected_signature(
            Credentials(root_key, root_secret), authorization, method, raw_path_and_query, headers, body
        )
        if expected != authorization.signature:
            raise AuthDenied(SIGNATURE_MISMATCH)
        return CallerIdentity(root_key, account_id, f"arn:aws:iam::{account_id}:root")

    try:
        iam_request = IAMRequest(
            account_id=account_id,
            method=method,
            path=raw_path_and_query,
            data={},
            body=body,
            headers=headers,
            action="Invoke",
        )
        iam_request.check_signature()
        iam_request.check_action_permitted(resource_arn)
    except InvalidClientTokenIdError:
        raise AuthDenied(INVALID_TOKEN) from None
    except SignatureDoesNotMatchError:
        raise AuthDenied(SIGNATURE_MISMATCH) from None
    except AccessDeniedError:
        who = caller_arn(iam_request)
        raise AuthDenied(
            f"User: {who} is not authorized to perform: execute-api:Invoke on resource: {resource_arn}"
        ) from None
    return CallerIdentity(authorization.access_key, account_id, caller_arn(iam_request))


def check_clock(amz_date: str | None, now: datetime.datetime) -> None:
    if not amz_date:
        raise AuthDenied(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        )
    try:
        signed_at = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.UTC)
    except ValueError:
        raise AuthDenied(f"Invalid X-Amz-Date: {amz_date}") from None
    if abs(now - signed_at) > MAX_CLOCK_SKEW:
        raise AuthDenied(
            f"Signature expired: {amz_date} is now earlier than {(now - MAX_CLOCK_SKEW):%Y%m%dT%H%M%SZ}"
        )


def expected_signature(
    credentials: Credentials,
    authorization: SigV4Authorization,
    method: str,
    raw_path_and_query: str,
    headers: dict[str, str],
    body: bytes,
) -> str:
    signed = {name: value for name, value in headers.items() if name.lower() in authorization.signed_headers}
    request = AWSRequest(method=method, url=raw_path_and_query, data=body, headers=signed)
    request.context["timestamp"] = headers["X-Amz-Date"]
    signer = SigV4Auth(credentials, authorization.service, authorization.region)
    canonical = signer.canonical_request(request)
    return signer.signature(signer.string_to_sign(request, canonical), request)
