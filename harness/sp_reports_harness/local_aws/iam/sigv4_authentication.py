"""SigV4 and ``execute-api:Invoke`` checks for ``AWS_IAM`` methods of the local API Gateway.

Signatures are recomputed with botocore's signer from the secret moto knows for the access key: IAM users'
access keys and STS assumed-role sessions are authenticated by moto's own ``IAMRequest`` (which also checks
the session token); requests signed with local AWS's root credentials are verified here. Whether the caller
may ``execute-api:Invoke`` the method is decided as API Gateway does, from the caller's identity-based
policies and the REST API's resource policy (``invoke_authorization``, with
``local_aws.iam.policy_evaluation``'s rules). Failures raise ``AuthDenied`` carrying API Gateway's message for
that case.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from sp_reports_harness.local_aws.iam.policy_evaluation import (
    Authorization,
    AuthorizationRequest,
    Decision,
    PolicyEvaluationError,
    Principal,
    authorize,
)
from sp_reports_harness.local_aws.iam.request_context import GLOBAL_CONTEXT
from sp_reports_harness.local_aws.iam.request_principals import (
    Caller,
    CredentialRefused,
    Credentials,
    SignedBy,
    identify,
)
from sp_reports_harness.local_aws.moto_internals import (
    IAMRequest,
    InvalidClientTokenIdError,
    SignatureDoesNotMatchError,
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
    resource_policy: Any = None,
) -> CallerIdentity:
    """Verify the caller may ``execute-api:Invoke`` ``resource_arn`` under its identity-based policies and
    the REST API's ``resource_policy`` (None: the API has none); returns who the caller is."""
    authorization = parse_authorization(headers.get("Authorization"))
    if authorization.service != "execute-api":
        raise AuthDenied("Credential should be scoped to correct service: 'execute-api'.")
    now = datetime.datetime.now(datetime.UTC)
    check_clock(headers.get("X-Amz-Date"), now)

    root_key, root_secret = root_credentials
    if authorization.access_key == root_key:
        expected = expected_signature(
            BotoCredentials(root_key, root_secret), authorization, method, raw_path_and_query, headers, body
        )
        if expected != authorization.signature:
            raise AuthDenied(SIGNATURE_MISMATCH)
    else:
        try:
            IAMRequest(
                account_id=account_id,
                method=method,
                path=raw_path_and_query,
                data={},
                body=body,
                headers=headers,
                action="Invoke",
            ).check_signature()
        except InvalidClientTokenIdError:
            raise AuthDenied(INVALID_TOKEN) from None
        except SignatureDoesNotMatchError:
            raise AuthDenied(SIGNATURE_MISMATCH) from None
    try:
        caller = identify(
            SignedBy(authorization.access_key, _header(headers, "x-amz-security-token"), presigned=False),
            Credentials(account_id, root_key, service_access_keys={}),
            now,
        )
    except CredentialRefused:
        raise AuthDenied(INVALID_TOKEN) from None
    verdict = invoke_authorization(caller, resource_arn, resource_policy, now)
    if not verdict.allowed:
        explicitly = " with an explicit deny" if verdict.decision is Decision.EXPLICIT_DENY else ""
        raise AuthDenied(
            f"User: {caller.arn} is not authorized to perform: execute-api:Invoke on resource: "
            f"{resource_arn}{explicitly}"
        )
    return CallerIdentity(authorization.access_key, account_id, caller.arn)


def invoke_authorization(
    caller: Caller, resource_arn: str, resource_policy: Any, now: datetime.datetime
) -> Authorization:
    """Whether ``caller`` may ``execute-api:Invoke`` ``resource_arn``, as API Gateway decides for AWS_IAM
    methods (API Gateway Developer Guide, "How API Gateway resource policies affect authorization workflow":
    https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-authorization-flow.html): in the
    API's account an Allow from either the caller's IAM policies or the resource policy suffices, across
    accounts both must allow, and an explicit Deny in either refuses. Those are IAM's rules for a resource
    with a resource-based policy, which ``iam_evaluation.authorize`` implements; the resource policy sees
    aws:PrincipalArn (a session's role) and aws:PrincipalAccount. A policy it cannot read refuses."""
    request = AuthorizationRequest(
        action="execute-api:Invoke",
        resource=resource_arn,
        principal=Principal(arn=caller.arn, account_id=caller.account_id, role_arn=caller.role_arn),
        context={
            **GLOBAL_CONTEXT,
            "aws:CurrentTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "aws:EpochTime": str(int(now.timestamp())),
            "aws:PrincipalArn": caller.role_arn or caller.arn,
            "aws:PrincipalAccount": caller.account_id,
        },
    )
    try:
        return authorize(request, caller.policies, resource_policy or None)
    except PolicyEvaluationError as error:
        return Authorization(Decision.IMPLICIT_DENY, f"unreadable policy: {error}")


def anonymous_invoke(resource_arn: str, resource_policy: Any, now: datetime.datetime) -> None:
    """An unsigned request to a method without authorisation (NONE) on an API with a resource policy: API
    Gateway lets it through only when the resource policy allows everyone ("Principal": "*") and nothing
    denies it (API Gateway Developer Guide, "How API Gateway resource policies affect authorization workflow",
    "API Gateway resource policy only": an implicit deny when the policy does not allow;
    https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-authorization-flow.html),
    answering
    "User: anonymous is not authorized to perform: execute-api:Invoke on resource: <arn>" otherwise."""
    request = AuthorizationRequest(
        action="execute-api:Invoke",
        resource=resource_arn,
        principal=Principal(arn="*", account_id=""),
        context={
            **GLOBAL_CONTEXT,
            "aws:CurrentTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "aws:EpochTime": str(int(now.timestamp())),
        },
    )
    try:
        verdict = authorize(request, [], resource_policy)
    except PolicyEvaluationError:
        verdict = Authorization(Decision.IMPLICIT_DENY, "unreadable policy")
    if not verdict.allowed:
        explicitly = " with an explicit deny" if verdict.decision is Decision.EXPLICIT_DENY else ""
        raise AuthDenied(
            f"User: anonymous is not authorized to perform: execute-api:Invoke on resource: {resource_arn}"
            f"{explicitly}"
        )


def _header(headers: dict[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


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
    credentials: BotoCredentials,
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
