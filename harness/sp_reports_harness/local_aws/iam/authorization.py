"""Local AWS authorises every request as AWS does, for the principal that signed it.

Pinned moto checks no permission unless told to, and then only identity policies against the resource ``*``
with a partial condition evaluator (moto/iam/access_control.py). This extension replaces moto's one
authorisation hook (``ActionAuthenticatorMixin._authenticate_and_authorize_action``, which every service calls
before it acts):

1. **Who** (``local_aws.iam.request_principals``): the account root (Terraform, the harness), a Lambda's
   execution-role session, an IAM user, a service, or an anonymous caller; expired sessions and expired
   presigned URLs are refused, and a session's signature is verified.
2. **On what** (``local_aws.iam.request_context``): the resource ARNs, resource policy and condition keys
   of the request.
3. **Decision** (``local_aws.iam.policy_evaluation``): identity and resource policies with AWS's documented
   evaluation logic and condition semantics; an explicit Deny wins; a KMS key needs its key policy.
4. **What AWS checks besides** (documented per service, see ``_implied_checks``):
   - S3 answers 403, not 404, for a missing key when the caller lacks ``s3:ListBucket`` on the bucket
     (S3 API reference, GetObject and HeadObject: "If you don't have the s3:ListBucket permission, Amazon S3
     returns an HTTP status code 403 Forbidden error").
   - S3's DeleteObjects is authorised per key it names: s3:DeleteObject on each object, and
     s3:DeleteObjectVersion on each one named with a version id (S3 API Reference, DeleteObjects: "you must
     always specify the s3:DeleteObject permission"; "To delete a specific version of an object from a
     versioning-enabled bucket, you must specify the s3:DeleteObjectVersion permission").
   - Services that encrypt with a customer-managed key use it as the caller, so the caller needs the KMS
     actions through that service (kms:ViaService): S3 uploads need kms:GenerateDataKey, multipart uploads
     also kms:Decrypt, downloads kms:Decrypt (S3 User Guide, "Using server-side encryption with AWS KMS keys"
     and "Uploading an object using multipart upload": "you must have permission to the kms:Decrypt and
     kms:GenerateDataKey actions"); SNS publishers kms:GenerateDataKey* and kms:Decrypt (SNS Developer Guide,
     "Encryption at rest: key management"); Secrets Manager readers kms:Decrypt (Secrets Manager User Guide,
     "Secret encryption and decryption"); DynamoDB callers kms:Decrypt (DynamoDB Developer Guide, "How
     Amazon DynamoDB uses AWS KMS": the key policy must allow the caller through DynamoDB).

The root of the account is allowed everything except what a resource policy explicitly denies (IAM User
Guide, "AWS account root user": full access; resource-based Deny statements apply to it too). Step Functions'
own calls (moto's interpreter signs with the key ``ak``) act as the service. Every decision is counted per
principal, so tests and docs/reliability.md can say how many calls each role made and how many were refused.
"""

from __future__ import annotations

import datetime
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlparse

from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from sp_reports_harness.local_aws.iam.policy_evaluation import (
    Authorization,
    AuthorizationRequest,
    PolicyEvaluationError,
    PolicyOutcome,
    Principal,
    ResourceKind,
    authorize,
    evaluate_policy,
)
from sp_reports_harness.local_aws.iam.policy_evaluation import Decision as AuthorizationDecision
from sp_reports_harness.local_aws.iam.request_context import (
    GLOBAL_CONTEXT,
    RequestSubject,
    UnknownResource,
    multi_object_delete_keys,
    subject_of,
)
from sp_reports_harness.local_aws.iam.request_principals import (
    Caller,
    CredentialRefused,
    Credentials,
    identify,
    signed_by,
)
from sp_reports_harness.local_aws.moto_internals import (
    ActionAuthenticatorMixin,
    FakeBucket,
    JsonRESTError,
    PatchSet,
    S3ClientError,
    S3IAMRequest,
    _RESTError,
)

# Services whose API speaks JSON: AWS answers their authorisation failures as AccessDeniedException.
_JSON_SERVICES = frozenset({"dynamodb", "kms", "secretsmanager", "states", "lambda", "logs", "sqs"})

# API operations IAM authorises under another action name (Service Authorization Reference, "Actions,
# resources, and condition keys for AWS Lambda": the Invoke API needs lambda:InvokeFunction).
_IAM_ACTIONS = {"lambda:Invoke": "lambda:InvokeFunction"}

# Query parameters a presigned URL's signature adds (S3 API reference, "Authenticating Requests: Using Query
# Parameters"); the rest of the query is what was signed.
_PRESIGN_PARAMETERS = frozenset(
    {
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Date",
        "X-Amz-Expires",
        "X-Amz-SignedHeaders",
        "X-Amz-Security-Token",
        "X-Amz-Signature",
    }
)


@dataclass(frozen=True)
class Decision:
    principal: str
    action: str
    allowed: bool


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class LocalIam:
    """Authorisation state of one LocalAws: its credentials, a clock, and the decisions it made."""

    def __init__(self, credentials: Credentials, clock: Callable[[], datetime.datetime] = _utcnow) -> None:
        self.credentials = credentials
        self.clock = clock
        self._lock = threading.Lock()
        self._decisions: Counter[Decision] = Counter()

    # -- figures -------------------------------------------------------------------------------------------
    def decisions(self) -> Counter[Decision]:
        with self._lock:
            return Counter(self._decisions)

    def _record(self, caller: Caller, action: str, allowed: bool) -> None:
        with self._lock:
            self._decisions[Decision(caller.name, action, allowed)] += 1

    def authorize_service(
        self,
        service: str,
        action: str,
        resource: str,
        resource_policy: Any,
        context: dict[str, str],
        resource_kind: ResourceKind = "other",
    ) -> Authorization:
        """Decide, and count, a call an AWS service makes on its own behalf (SNS delivering to a queue): a
        service principal is allowed only by the resource's policy naming it (IAM User Guide, "AWS JSON
        policy elements: Principal", AWS service principals). A policy this evaluator cannot read denies."""
        request = AuthorizationRequest(
            action=action,
            resource=resource,
            principal=Principal(arn=service, account_id="", service=service),
            context={
                **GLOBAL_CONTEXT,
                "aws:CurrentTime": self.clock().strftime("%Y-%m-%dT%H:%M:%SZ"),
                "aws:EpochTime": str(int(self.clock().timestamp())),
                **context,
            },
        )
        try:
            verdict = authorize(request, (), resource_policy, resource_kind=resource_kind)
        except PolicyEvaluationError as error:
            verdict = Authorization(AuthorizationDecision.IMPLICIT_DENY, f"unreadable policy: {error}")
        with self._lock:
            self._decisions[Decision(service, action, verdict.allowed)] += 1
        return verdict

    # -- the hook --------------------------------------------------------------------------------------------
    def check(self, response: Any, iam_request_cls: type, moto_resource: str) -> None:
        """Authenticate and authorise the request moto is handling; raise the service's error if refused."""
        if response.headers.get("X-Amz-Target") in ActionAuthenticatorMixin.PUBLIC_OPERATIONS:
            return
        signature = signed_by(response.headers, response.uri)
        service = _service_of(response, iam_request_cls)
        try:
            caller = identify(signature, self.credentials, self.clock())
        except CredentialRefused as refused:
            raise _service_error(service, refused.code, str(refused), refused.status) from None
        if caller.kind in ("session", "user"):
            assert signature is not None
            if signature.presigned:
                _verify_presigned_signature(response, caller)
            else:
                _moto_request(response, iam_request_cls).check_signature()
        action_name = response._get_action()
        action = f"{service}:{action_name}"
        action = _IAM_ACTIONS.get(action, action)
        if action == "sts:GetCallerIdentity":
            return  # always allowed (STS API reference, GetCallerIdentity: "No permissions are required")
        if action == "sts:AssumeRole":
            _refuse_session_beyond_limits(response, caller)
        try:
            subject = subject_of(response, service, action_name, moto_resource)
        except UnknownResource as unknown:
            if caller.kind in ("root", "service"):
                self._record(caller, action, True)
                return
            raise _service_error(service, "AccessDenied", str(unknown), 403) from None
        for resource in subject.resources:
            self.require(caller, action, resource, subject, service)
        for implied_action, resource, implied_subject in _implied_checks(response, service, action, subject):
            self.require(caller, implied_action, resource, implied_subject, service)

    def require(
        self, caller: Caller, action: str, resource: str, subject: RequestSubject, service: str
    ) -> None:
        """Allow ``action`` on ``resource`` for ``caller`` or raise ``service``'s access-denied error."""
        context = {
            **GLOBAL_CONTEXT,
            "aws:CurrentTime": self.clock().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "aws:EpochTime": str(int(self.clock().timestamp())),
            **{key: value for key, value in subject.context.items() if not key.startswith("_")},
        }
        if caller.kind != "anonymous":
            context["aws:PrincipalArn"] = caller.role_arn or caller.arn
            context["aws:PrincipalAccount"] = caller.account_id
        request = AuthorizationRequest(
            action=action,
            resource=resource,
            principal=Principal(
                arn=caller.arn, account_id=caller.account_id, role_arn=caller.role_arn, service=caller.service
            ),
            context=context,
        )
        if caller.kind in ("root", "service"):
            denied = (
                subject.resource_policy is not None
                and evaluate_policy(subject.resource_policy, request, resource_policy=True).outcome
                is PolicyOutcome.EXPLICIT_DENY
            )
            allowed, reason = not denied, "an explicit deny in the resource-based policy"
        else:
            verdict = authorize(
                request,
                caller.policies,
                subject.resource_policy,
                resource_kind=subject.resource_kind,
                permissions_boundary=caller.permissions_boundary,
            )
            allowed, reason = verdict.allowed, verdict.reason
        self._record(caller, action, allowed)
        if not allowed:
            message = (
                f"User: {caller.arn} is not authorized to perform: {action} on resource: {resource} "
                f"because {reason}"
            )
            raise _service_error(service, "AccessDenied", message, 403)

    def patches(self) -> PatchSet:
        local_iam = self

        def _authenticate_and_authorize_action(self: Any, iam_request_cls: type, resource: str = "*") -> None:
            local_iam.check(self, iam_request_cls, resource)

        def get_permission(self: FakeBucket, action: str, resource: str) -> Any:
            # moto's own bucket-policy check knows no principal and few conditions; ``check`` above evaluates
            # the bucket policy for every S3 request with the caller and the request's condition keys.
            from sp_reports_harness.local_aws.moto_internals import PermissionResult

            return PermissionResult.NEUTRAL

        patches = PatchSet("authorization")
        patches.replace(
            ActionAuthenticatorMixin, "_authenticate_and_authorize_action", _authenticate_and_authorize_action
        )
        patches.replace(FakeBucket, "get_permission", get_permission)
        return patches


# IAM User Guide, "Roles terms and concepts", role chaining: "Role chaining limits your AWS CLI or AWS API
# role session to a maximum of one hour. When you use the AssumeRole API operation to assume a role, you can
# specify the duration of your role session with the DurationSeconds parameter. ... If you specify a value
# higher than one hour, the operation fails."
ROLE_CHAINING_MAX_SECONDS = 3600


def _refuse_session_beyond_limits(response: Any, caller: Caller) -> None:
    from sp_reports_harness.local_aws.moto_internals import iam_backends

    requested = int(response._get_param("DurationSeconds") or 3600)
    role_arn = response._get_param("RoleArn") or ""
    if caller.kind == "session" and requested > ROLE_CHAINING_MAX_SECONDS:
        raise _service_error(
            "sts",
            "ValidationError",
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role "
            "chaining.",
            400,
        )
    try:
        role = iam_backends[response.current_account]["aws"].get_role_by_arn(role_arn)
    except Exception:
        return  # an unknown role is refused by the trust-policy check that follows
    max_duration = int(getattr(role, "max_session_duration", 3600) or 3600)
    if requested > max_duration:
        # STS API reference, AssumeRole, DurationSeconds: "If you specify a value higher than this setting
        # [the role's maximum session duration] ... the operation fails."
        raise _service_error(
            "sts",
            "ValidationError",
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
            400,
        )


def _service_of(response: Any, iam_request_cls: type) -> str:
    if iam_request_cls is S3IAMRequest:
        return "s3"
    authorization = response.headers.get("Authorization", "")
    scope = (
        authorization.split("Credential=", 1)[1].split(",", 1)[0].split("/")
        if "Credential=" in authorization
        else []
    )
    if len(scope) >= 4:
        return scope[3]
    return getattr(response, "service_name", None) or "unknown"


def _moto_request(response: Any, iam_request_cls: type) -> Any:
    parsed = urlparse(response.uri)
    path = response.raw_path + (f"?{parsed.query}" if parsed.query else "")
    return iam_request_cls(
        account_id=response.current_account,
        method=response.method,
        path=path,
        data=response.data,
        body=response.raw_body,
        headers=response.headers,
        action=response._get_action(),
    )


def _verify_presigned_signature(response: Any, caller: Caller) -> None:
    """Recompute a presigned URL's SigV4 signature with the signer's secret (S3 API reference, "Authenticating
    Requests: Using Query Parameters"); a tampered URL is refused with SignatureDoesNotMatch."""
    assert caller.secret_access_key is not None
    parsed = urlparse(response.uri)
    query = dict(parse_qsl(parsed.query, keep_blank_values=True))
    credential = query["X-Amz-Credential"].split("/")
    secret, token = caller.secret_access_key, caller.session_token
    auth = S3SigV4QueryAuth(
        BotoCredentials(credential[0], secret, token),
        credential[3],
        credential[2],
        expires=int(query["X-Amz-Expires"]),
    )
    signed_query = urlencode(
        [(k, v) for k, v in parse_qsl(parsed.query, keep_blank_values=True) if k not in _PRESIGN_PARAMETERS]
    )
    host = response.headers.get("Host", parsed.netloc)
    request = AWSRequest(
        method=response.method,
        url=f"{parsed.scheme}://{host}{parsed.path}" + (f"?{signed_query}" if signed_query else ""),
        headers={"host": host},
    )
    # botocore's add_auth would date the signature now; the URL's own X-Amz-Date is what was signed.
    request.context["timestamp"] = query["X-Amz-Date"]
    auth._modify_request_before_signing(request)
    expected = auth.signature(auth.string_to_sign(request, auth.canonical_request(request)), request)
    if expected != query.get("X-Amz-Signature"):
        raise _service_error(
            "s3",
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
            403,
        )


def _implied_checks(
    response: Any, service: str, action: str, subject: RequestSubject
) -> list[tuple[str, str, RequestSubject]]:
    """Permissions AWS checks besides the action itself (see the module docstring for the sources)."""
    region, account = response.region, response.current_account
    checks: list[tuple[str, str, RequestSubject]] = []
    if service == "s3":
        checks.extend(_s3_implied_checks(response, action, subject.resources[0], region, account))
    kms_actions = {
        "sns:Publish": ("GenerateDataKey", "Decrypt"),
        "secretsmanager:GetSecretValue": ("Decrypt",),
        # SQS Developer Guide, "Key management": a producer needs kms:GenerateDataKey and kms:Decrypt.
        "sqs:SendMessage": ("GenerateDataKey", "Decrypt"),
        "sqs:ReceiveMessage": ("Decrypt",),
    }.get(action)
    if service == "dynamodb" and action.split(":", 1)[1] in _DYNAMODB_ITEM_ACTIONS:
        kms_actions = ("Decrypt",)
    for key_id in subject.context.get("_encrypted_with", []) if kms_actions else []:
        checks.extend(_kms_through(service, kms_actions or (), key_id, region, account, subject.resources[0]))
    return checks


_DYNAMODB_ITEM_ACTIONS = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
    }
)


def _kms_through(
    service: str, actions: tuple[str, ...], key_id: str, region: str, account: str, resource_arn: str
) -> list[tuple[str, str, RequestSubject]]:
    from sp_reports_harness.local_aws.moto_internals import kms_backends

    key = kms_backends[account][region].describe_key(key_id)
    context: dict[str, Any] = {
        "kms:ViaService": f"{service}.{region}.amazonaws.com",
        "kms:CallerAccount": account,
    }
    if service == "sqs":
        # SQS Developer Guide, "Encryption at rest: key terms": the encryption context is the queue's ARN.
        context["kms:EncryptionContext:aws:sqs:arn"] = resource_arn
        context["kms:EncryptionContextKeys"] = ["aws:sqs:arn"]
    subject = RequestSubject((key.arn,), resource_policy=key.policy, resource_kind="kms_key", context=context)
    return [(f"kms:{action}", key.arn, subject) for action in actions]


def _s3_implied_checks(
    response: Any, action: str, resource: str, region: str, account: str
) -> list[tuple[str, str, RequestSubject]]:
    from sp_reports_harness.local_aws.moto_internals import s3_backends

    bucket_name, _, key_name = resource.split(":::", 1)[-1].partition("/")
    if not key_name:
        return []
    deleted = multi_object_delete_keys(response)
    if deleted is not None:
        # S3 API Reference, DeleteObjects: "s3:DeleteObjectVersion - To delete a specific version of an object
        # from a versioning-enabled bucket, you must specify the s3:DeleteObjectVersion permission."
        bucket_policy = RequestSubject((resource,), resource_policy=_bucket_policy(account, bucket_name))
        return [
            ("s3:DeleteObjectVersion", f"arn:aws:s3:::{bucket_name}/{key}", bucket_policy)
            for key, version in deleted
            if version
        ]
    backend = s3_backends[account]["aws"]
    try:
        bucket = backend.get_bucket(bucket_name)
    except Exception:
        return []  # NoSuchBucket is S3's answer, after authorisation
    bucket_arn = f"arn:aws:s3:::{bucket_name}"
    policy = bucket.policy.decode() if isinstance(bucket.policy, bytes) else bucket.policy
    checks: list[tuple[str, str, RequestSubject]] = []
    query = dict(parse_qsl(urlparse(response.uri).query, keep_blank_values=True))
    method = response.method.upper()
    existing = bucket.keys.get(key_name) if hasattr(bucket, "keys") else None
    if action == "s3:GetObject" and "uploadId" not in query:
        if existing is None:
            checks.append(
                ("s3:ListBucket", bucket_arn, RequestSubject((bucket_arn,), resource_policy=policy))
            )
        elif method == "GET" and getattr(existing, "encryption", None) == "aws:kms" and existing.kms_key_id:
            checks.extend(_kms_through("s3", ("Decrypt",), existing.kms_key_id, region, account, resource))
    if action == "s3:PutObject" and "uploadId" not in query and method in ("PUT", "POST"):
        key_id = _upload_kms_key(response, bucket)
        if key_id:
            kms_actions = ("GenerateDataKey", "Decrypt") if "uploads" in query else ("GenerateDataKey",)
            checks.extend(_kms_through("s3", kms_actions, key_id, region, account, resource))
    return checks


def _bucket_policy(account: str, bucket_name: str) -> str | None:
    from sp_reports_harness.local_aws.moto_internals import s3_backends

    try:
        bucket = s3_backends[account]["aws"].get_bucket(bucket_name)
    except Exception:
        return None
    return bucket.policy.decode() if isinstance(bucket.policy, bytes) else bucket.policy


def _upload_kms_key(response: Any, bucket: Any) -> str | None:
    """The KMS key an upload is encrypted with: its own headers, else the bucket's default encryption."""
    if response.headers.get("x-amz-server-side-encryption") == "aws:kms":
        return response.headers.get("x-amz-server-side-encryption-aws-kms-key-id") or _bucket_default_key(
            bucket
        )
    if response.headers.get("x-amz-server-side-encryption"):
        return None
    return _bucket_default_key(bucket)


def _bucket_default_key(bucket: Any) -> str | None:
    rule = (bucket.encryption or {}).get("Rule") or {}
    if isinstance(rule, list):
        rule = rule[0] if rule else {}
    default = rule.get("ApplyServerSideEncryptionByDefault") or {}
    if default.get("SSEAlgorithm") == "aws:kms":
        return default.get("KMSMasterKeyID")
    return None


def _service_error(service: str, code: str, message: str, status: int) -> Exception:
    """The error ``service`` answers with: S3's XML errors, JSON services' ``...Exception`` types, or the
    query protocol's ``ErrorResponse``."""
    if service == "s3":
        error = S3ClientError(code, message)
        error.http_status_code = status  # type: ignore[attr-defined]
        return error
    if service in _JSON_SERVICES:
        json_code = {
            "AccessDenied": "AccessDeniedException",
            "ExpiredToken": "ExpiredTokenException",
            "InvalidClientTokenId": "UnrecognizedClientException",
        }.get(code, code)
        json_error = JsonRESTError(json_code, message)
        json_error.code = 400
        return json_error
    query_code = {"AccessDenied": "AuthorizationError"}.get(code, code) if service == "sns" else code
    rest_error = _RESTError(query_code, message)
    rest_error.code = status
    return rest_error
