"""Who signed a request to local AWS: the account root, an IAM user, an STS session, or nobody.

AWS authenticates every request by its access key before it authorises anything (IAM User Guide, "How IAM
works": authentication, then the request context, then authorisation). Pinned moto accepts any key unless its
own enforcement is on, and then it knows neither our root key nor session expiry. This module answers the
first question for ``authorization``: which principal is asking, and is its credential still valid.

- A header-signed request names its key in ``Authorization: AWS4-HMAC-SHA256 Credential=KEY/...``; a presigned
  URL in ``X-Amz-Credential`` (S3 API reference, "Authenticating Requests: Using Query Parameters").
- An STS session's token must come with its key (``X-Amz-Security-Token``), and a session past its expiration
  is refused with ``ExpiredToken`` (STS API reference, AssumeRole: "The temporary security credentials ... are
  valid for the duration that you specified"). A presigned URL stops working when its signer's session ends
  (AWS Knowledge Center, "presigned-url-s3-bucket-expiration").
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlparse

from sp_reports_harness.local_aws.moto_internals import AssumedRole, iam_backends, sts_backends

PARTITION = "aws"


@dataclass(frozen=True)
class SignedBy:
    """The credential a request carries, as read from its headers or its presigned query string."""

    access_key_id: str
    session_token: str | None
    presigned: bool
    # Presigned URLs only: when the URL was signed and for how many seconds.
    signed_at: datetime.datetime | None = None
    expires_seconds: int | None = None


@dataclass(frozen=True)
class Caller:
    """The principal a request is evaluated as."""

    kind: str  # "root", "service", "user", "session", "external", "anonymous"
    arn: str
    account_id: str
    role_arn: str | None = None
    service: str | None = None
    policies: tuple[Any, ...] = field(default=(), repr=False)
    # The managed policy that bounds a role's or user's identity-based policies, when it has one.
    permissions_boundary: Any | None = field(default=None, repr=False)
    # The secret that signed the request (IAM users and sessions), for checking presigned URLs' signatures.
    secret_access_key: str | None = field(default=None, repr=False)
    session_token: str | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        """A short label for counts and messages: the role name, user name, "root" or the service."""
        if self.role_arn:
            return self.role_arn.rsplit("/", 1)[-1]
        if self.kind == "service":
            return self.service or "service"
        if self.kind == "external":
            return f"account {self.account_id}"
        return self.arn.rsplit("/", 1)[-1] if "/" in self.arn else self.kind


class CredentialRefused(Exception):
    """The request's credential is unknown, does not match its token, or has expired."""

    def __init__(self, code: str, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


def signed_by(headers: Mapping[str, str], url: str) -> SignedBy | None:
    """The credential of a request, or None for an anonymous one."""
    authorization = _header(headers, "authorization")
    if authorization and "Credential=" in authorization:
        key = authorization.split("Credential=", 1)[1].split("/", 1)[0]
        return SignedBy(key, _header(headers, "x-amz-security-token"), presigned=False)
    query = {name: values[0] for name, values in parse_qs(urlparse(url).query).items()}
    credential = query.get("X-Amz-Credential")
    if not credential:
        return None
    signed_at = datetime.datetime.strptime(query.get("X-Amz-Date", ""), "%Y%m%dT%H%M%SZ").replace(
        tzinfo=datetime.UTC
    )
    return SignedBy(
        credential.split("/", 1)[0],
        query.get("X-Amz-Security-Token"),
        presigned=True,
        signed_at=signed_at,
        expires_seconds=int(query.get("X-Amz-Expires", "0")),
    )


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


@dataclass(frozen=True)
class Credentials:
    """Local AWS's own keys: the root of the account (Terraform, the harness) and services that call it."""

    account_id: str
    root_access_key_id: str
    service_access_keys: Mapping[str, str]  # access key id -> service principal name
    # Principals of other accounts that call into this one (SP-API delivering notifications), by access key.
    external_principals: Mapping[str, Caller] = field(default_factory=dict)


def identify(signature: SignedBy | None, credentials: Credentials, now: datetime.datetime) -> Caller:
    """The principal behind ``signature``; raises ``CredentialRefused`` as AWS would refuse it."""
    account = credentials.account_id
    if signature is None:
        return Caller("anonymous", "*", account_id="")
    if signature.presigned:
        _refuse_expired_url(signature, now)
    key = signature.access_key_id
    if key == credentials.root_access_key_id:
        return Caller("root", f"arn:{PARTITION}:iam::{account}:root", account)
    if key in credentials.external_principals:
        return credentials.external_principals[key]
    if key in credentials.service_access_keys:
        service = credentials.service_access_keys[key]
        return Caller("service", service, account, service=service)
    session = _session_of(key)
    if session is not None:
        return _session_caller(session, signature, now)
    user = _user_of(key, account)
    if user is not None:
        return user
    raise CredentialRefused("InvalidClientTokenId", "The security token included in the request is invalid.")


def _refuse_expired_url(signature: SignedBy, now: datetime.datetime) -> None:
    # S3 API reference, "Authenticating Requests: Using Query Parameters": X-Amz-Expires is the time, in
    # seconds, for which the URL is valid after X-Amz-Date; S3 answers 403 AccessDenied "Request has expired".
    assert signature.signed_at is not None and signature.expires_seconds is not None
    if now > signature.signed_at + datetime.timedelta(seconds=signature.expires_seconds):
        raise CredentialRefused("AccessDenied", "Request has expired")


def _session_of(access_key_id: str) -> AssumedRole | None:
    for account_backends in sts_backends.values():
        session = account_backends[PARTITION].get_assumed_role_from_access_key(access_key_id)
        if session is not None:
            return session
    return None


def _session_caller(session: AssumedRole, signature: SignedBy, now: datetime.datetime) -> Caller:
    if signature.session_token != session.session_token:
        raise CredentialRefused("InvalidToken", "The provided token is malformed or otherwise invalid.")
    expiration = session.expiration
    if expiration.tzinfo is None:
        expiration = expiration.replace(tzinfo=datetime.UTC)
    if now >= expiration:
        # STS-issued credentials past their expiration: "ExpiredToken" (S3 answers 400, other services 403).
        raise CredentialRefused("ExpiredToken", "The provided token has expired.", status=400)
    iam = iam_backends[session.account_id][PARTITION]
    role_name = session.role_arn.rsplit("/", 1)[-1]
    policies: list[Any] = []
    try:
        for policy_name in iam.list_role_policies(role_name):
            policies.append(iam.get_role_policy(role_name, policy_name)[1])
        attached, _ = iam.list_attached_role_policies(role_name)
        policies.extend(_document_of(policy) for policy in attached)
        boundary_arn = iam.get_role(role_name).permissions_boundary_arn
    except Exception as missing:  # moto raises its own NoSuchEntity types
        raise CredentialRefused("AccessDenied", f"the role of this session is gone: {missing}") from None
    return Caller(
        "session",
        session.arn,
        session.account_id,
        role_arn=session.role_arn,
        policies=tuple(policies),
        permissions_boundary=_boundary_document(iam, boundary_arn),
        secret_access_key=session.secret_access_key,
        session_token=session.session_token,
    )


def _user_of(access_key_id: str, account_id: str) -> Caller | None:
    iam = iam_backends[account_id][PARTITION]
    for user in iam.users.values():
        secrets = [key.secret_access_key for key in user.access_keys if key.access_key_id == access_key_id]
        if secrets:
            policies: list[Any] = list(user.policies.values())
            policies.extend(_document_of(policy) for policy in user.managed_policies.values())
            for group in iam.get_groups_for_user(user.name):
                policies.extend(group.policies.values())
                policies.extend(_document_of(policy) for policy in group.managed_policies.values())
            return Caller(
                "user", user.arn, account_id, policies=tuple(policies), secret_access_key=secrets[0]
            )
    return None


def _boundary_document(iam: Any, boundary_arn: str | None) -> Any | None:
    """The document of the managed policy a role names as its permissions boundary, or None without one.

    A boundary that names no existing policy allows nothing: the session is refused every request (fail
    closed), since IAM itself accepts only an existing managed policy as a boundary (IAM API reference,
    PutRolePermissionsBoundary: NoSuchEntity).
    """
    if not boundary_arn:
        return None
    try:
        return _document_of(iam.get_policy(boundary_arn))
    except Exception:  # moto raises its own NoSuchEntity types
        return {"Version": "2012-10-17", "Statement": []}


def _document_of(managed_policy: Any) -> Any:
    """The default version's document of a managed policy."""
    for version in managed_policy.versions:
        if version.is_default:
            return version.document
    raise ValueError(f"managed policy {managed_policy.name} has no default version")
