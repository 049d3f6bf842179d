"""Local AWS decides requests as the IAM User Guide and the KMS Developer Guide say AWS does.

``DOCUMENTED_CASES`` is the table: each row is one documented rule, the request that exercises it, the result
the guide gives and the guide's sentence (quoted; a paraphrase says so). ``docs/reliability.md`` can render
it from each row's ``case``, ``request_summary``, ``expected`` and ``source``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from sp_reports_harness.local_aws.iam.policy_evaluation import (
    AuthorizationRequest,
    Decision,
    PolicyEvaluationError,
    PolicyOutcome,
    Principal,
    authorize,
    condition_holds,
    evaluate_policy,
)

ACCOUNT = "111122223333"
OTHER_ACCOUNT = "444455556666"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/report-storer"
STORER = Principal(f"arn:aws:sts::{ACCOUNT}:assumed-role/report-storer/run-1", ACCOUNT, role_arn=ROLE_ARN)
OTHER_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/report-reader"
READER = Principal(
    f"arn:aws:sts::{ACCOUNT}:assumed-role/report-reader/run-1", ACCOUNT, role_arn=OTHER_ROLE_ARN
)
PARTNER_ROLE_ARN = f"arn:aws:iam::{OTHER_ACCOUNT}:role/partner"
PARTNER = Principal(
    f"arn:aws:sts::{OTHER_ACCOUNT}:assumed-role/partner/run-1", OTHER_ACCOUNT, role_arn=PARTNER_ROLE_ARN
)
LOGS = Principal("logs.us-east-1.amazonaws.com", ACCOUNT, service="logs.us-east-1.amazonaws.com")
BUCKET_ARN = "arn:aws:s3:::reports"
OBJECT_ARN = f"{BUCKET_ARN}/seller-1/report.json"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SSE = "s3:x-amz-server-side-encryption"
# The IAM User Guide's ArnLike example: "111122223333:finance/" appears, but not as the account and resource.
FINANCE_DOCUMENT_ARN = (
    "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"
)

# --- The guides' sentences ---

UG_OPERATORS = 'IAM UG, "IAM JSON policy elements: Condition operators"'
UG_MULTIPLE = 'IAM UG, "Conditions with multiple context keys or values"'
UG_SETS = 'IAM UG, "Single-valued vs. multivalued context keys"'
UG_VARIABLES = 'IAM UG, "IAM policy elements: Variables and tags"'
UG_PRINCIPAL = 'IAM UG, "AWS JSON policy elements: Principal"'
KMS_KEY_POLICIES = 'AWS KMS Developer Guide, "Key policies in AWS KMS"'
KMS_DEFAULT_POLICY = 'AWS KMS Developer Guide, "Default key policy"'

ABSENT_IS_FALSE = (
    f"{UG_OPERATORS}: 'If the key that you specify in a policy condition is not present in the request "
    "context, the values do not match and the condition is false.'"
)
NEGATED_ABSENT_IS_TRUE = (
    f"{UG_OPERATORS}: 'If the policy condition requires that the key is not matched, such as StringNotLike "
    "or ArnNotLike, and the right key is not present, the condition is true. This logic "
    "applies to all condition operators except ...IfExists and Null check.'"
)
IF_EXISTS = (
    f"{UG_OPERATORS}, ...IfExists: 'If the policy key is present in the context of the request, process "
    "the key as specified in the policy. If the key is not present, evaluate the condition "
    "element as true.'"
)
NULL_CHECK = (
    f"{UG_OPERATORS}, Null: 'use either true (the key doesn't exist — it is null) or false (the key exists "
    "and its value is not null).'"
)
STRING_EQUALS = f"{UG_OPERATORS}, String: StringEquals is 'Exact matching, case sensitive'"
STRING_NOT_EQUALS = f"{UG_OPERATORS}, String: StringNotEquals is 'Negated matching'"
IGNORE_CASE = f"{UG_OPERATORS}, String: StringEqualsIgnoreCase is 'Exact matching, ignoring case'"
STRING_LIKE = (
    f"{UG_OPERATORS}, String: StringLike is 'Case-sensitive matching. The values can include "
    "multi-character match wildcards (*) and single-character match wildcards (?) anywhere "
    "in the string.'"
)
VALUES_OR = (
    f"{UG_MULTIPLE}: 'If a single condition operator includes multiple values for a context key, those "
    "values are evaluated using a logical OR.'"
)
VALUES_NOR = (
    f"{UG_MULTIPLE}: 'If a single negated matching condition operator includes multiple values for a "
    "context key, those values are evaluated using a logical NOR.'"
)
OPERATORS_AND = (
    f"{UG_MULTIPLE}: 'If your policy statement has multiple condition operators, the condition operators "
    "are evaluated using a logical AND.'"
)
NUMERIC = (
    f"{UG_OPERATORS}, Numeric: NumericLessThanEquals with s3:max-keys '10' means 'the requester can list "
    "up to 10 objects'"
)
DATE_FORMATS = (
    f"{UG_OPERATORS}, Date: 'You must specify date/time values with one of the W3C implementations of the "
    "ISO 8601 date formats or in epoch (UNIX) time.'"
)
DATE_ABSENT = (
    f"{UG_OPERATORS}, Date, on DateGreaterThan aws:TokenIssueTime: 'The key is not present in AWS CLI, AWS "
    "API, or AWS SDK requests that are made using access keys. In this example, if an IAM "
    "user attempts to view or edit an access key, the request is denied.'"
)
BOOL_TLS = (
    f"{UG_OPERATORS}, Boolean: the example 'uses the Bool condition operator with the aws:SecureTransport "
    "key to deny all S3 actions on a bucket and its contents if the request is not over "
    "SSL.'"
)
BOOL_CASE = (
    f'{UG_OPERATORS}, Boolean: conditions compare \'a key to "true" or "false."\' (paraphrase: the guide '
    "states no case rule; we ignore case)"
)
BOOL_JSON = (
    'AWS KMS Developer Guide, "Examining the key policy", statement 4: \'"Condition": '
    '{"Bool": {"kms:GrantIsForAWSResource": true}}\' (a JSON boolean)'
)
IP_RANGE = (
    f"{UG_OPERATORS}, IP address: 'The value must be in the standard CIDR format (for example, "
    "203.0.113.0/24 or 2001:DB8:1234:5678::/64). If you specify an IP address without the "
    "associated routing prefix, IAM uses the default prefix value of /32.'"
)
NOT_IP = (
    f"{UG_OPERATORS}, IP address: NotIpAddress is 'All IP addresses except the specified IP address or range'"
)
IP_ABSENT = (
    f"{UG_OPERATORS}, IP address: 'The aws:SourceIp key is always present in the request context, except "
    "when the requester uses a VPC endpoint to make the request. In this case, the "
    "condition returns false'"
)
ARN_COMPONENTS = (
    f"{UG_OPERATORS}, ARN: 'With a StringLike condition, the match succeeds. ... With an ArnLike "
    "condition, which matches elements between colons, the match fails.'"
)
ARN_EQUALS = f"{UG_OPERATORS}, ARN: 'The ArnEquals and ArnLike condition operators behave identically.'"
SOURCE_ARN_ABSENT = (
    f"{UG_OPERATORS}, ARN: 'The aws:SourceArn key is present in the request context only if a resource "
    "triggers a service to call another service on behalf of the resource owner. If an IAM "
    "user attempts to perform this operation directly, the condition returns false'"
)
BINARY = (
    f"{UG_OPERATORS}, Binary: BinaryEquals 'compares the value of the specified key byte for byte against "
    "a base-64 encoded representation of the binary value in the policy.'"
)
FOR_ALL_VALUES = (
    f"{UG_SETS}, ForAllValues: 'The condition returns true if every context key value in the request "
    "matches a context key value in the policy. It also returns true if there are no "
    "context keys in the request.'"
)
FOR_ALL_WITH_NULL = (
    f"{UG_SETS}, ForAllValues: 'You should always include the Null condition operator in your policy "
    "with a false value to check if the context key exists and its value is not null.'"
)
FOR_ALL_NEGATED = (
    f"{UG_SETS}: ForAllValues 'tests whether the value of every member of the request context matches "
    "the condition operator that follows the qualifier' (paraphrase: under StringNotLike, "
    "each value matches none)"
)
FOR_ANY_VALUE = (
    f"{UG_SETS}, ForAnyValue: 'The condition returns true if any one of the context key values in the "
    "request matches any one of the context key values in the policy. For no matching "
    "context key or if the key does not exist, the condition returns false.'"
)
FOR_ANY_NEGATED = (
    f"{UG_SETS}: ForAnyValue 'tests whether at least one member of the set of request context key "
    "values matches' (paraphrase: under StringNotEquals, one value matching none of the "
    "policy's is enough)"
)
KEY_NAME_CASE = (
    f"{UG_VARIABLES}: 'Key names are case-insensitive. For example, aws:CurrentTime is equivalent to "
    "AWS:currenttime.'"
)
SOURCE_ACCOUNT = (
    'IAM UG, "AWS global condition context keys": \'the aws:SourceAccount condition key is '
    "only available when the call to your resource is made directly by an AWS service "
    "principal.'"
)
VIA_SERVICE = (
    "AWS KMS Developer Guide, kms:ViaService: 'The kms:ViaService condition key limits use "
    "of a KMS key to requests from specified AWS services.'"
)
VARIABLE = (
    f"{UG_VARIABLES}: 'When the policy is evaluated, the policy variables are replaced with values that "
    "come from the conditional context keys passed in the request.'"
)
VARIABLE_NULL = (
    f"{UG_VARIABLES}: 'When you use a variable with no value in the condition element of an IAM policy, "
    "... operators like StringEquals or StringLike do not match, and the policy statement "
    "does not take effect.'"
)
VARIABLE_NULL_NEGATED = (
    f"{UG_VARIABLES}: 'Inverted condition operators like StringNotEquals or StringNotLike do match against "
    "a null value'"
)
VARIABLE_DEFAULT = (
    f"{UG_VARIABLES}, Specifying default values: 'To add a default value to a variable, surround the "
    "default value with single quotes'"
)
VARIABLE_RESOURCE_NULL = (
    f"{UG_VARIABLES}: 'the resource that includes a policy variable with no value will not match any "
    "resource.'"
)
UPLOAD_PART = (
    f"{NEGATED_ABSENT_IS_TRUE} UploadPart is authorised as s3:PutObject and carries no encryption header "
    "(botocore#471; aws-cli#4251)."
)
IF_EXISTS_WITH_NULL = (
    f'{IF_EXISTS} And IAM UG, "Conditions with multiple context keys or values": \'If your policy '
    "statement has multiple condition operators, the condition operators are evaluated "
    "using a logical AND.' Null 'false' is false for the headerless part."
)
EXPLICIT_DENY = (
    "IAM UG, \"Policy evaluation logic\": 'An explicit deny in either of these policies overrides the allow.'"
)
SAME_ACCOUNT_UNION = (
    'IAM UG, "Policy evaluation for requests within a single account": \'If either the '
    "identity-based policy or the resource-based policy within the same account allows the "
    "request and the other doesn't, the request is still allowed.'"
)
ACCOUNT_DELEGATES = (
    f"{UG_PRINCIPAL}, AWS account principals: 'The account ARN and the shortened account ID behave the "
    "same way. Both delegate permissions to the account.'"
)
CROSS_ACCOUNT = (
    'IAM UG, "Cross-account policy evaluation logic": \'For cross-account requests, the '
    "requester in the trusted AccountA must have an identity-based policy. ... "
    "Additionally, the resource-based policy in AccountB must allow the requester in "
    "AccountA to access the resource.'"
)
PRINCIPAL_STAR = (
    f"{UG_PRINCIPAL}, All principals: 'using a wildcard (*) with an Allow effect grants access to all "
    "users ... For IAM users and role principals within your account, no other permissions "
    "are required.'"
)
SERVICE_PRINCIPAL = (
    f"{UG_PRINCIPAL}, AWS service principals: 'A service principal is an identifier for a service.' "
    "(paraphrase: it names that service, not the account's roles)"
)
NOT_PRINCIPAL = (
    'IAM UG, "AWS JSON policy elements: NotPrincipal": \'When you use NotPrincipal in the '
    'same policy statement as "Effect": "Deny", the actions specified in the policy '
    "statement are explicitly denied to all principals except for the ones specified.'"
)
NOT_ACTION = (
    'IAM UG, "IAM JSON Policy Elements: NotAction": \'NotAction is an advanced policy '
    "element that explicitly matches everything except the specified list of actions.'"
)
NOT_RESOURCE = (
    'IAM UG, "IAM JSON Policy Elements: NotResource": \'Using the NotResource element and '
    '"Effect": "Deny" in the same statement denies access to all resources, for the '
    "services specified in the statement, that are not explicitly listed.'"
)
ACTION_CASE = (
    'IAM UG, "IAM JSON Policy Elements: Action": \'The prefix and the action name are case '
    "insensitive. For example, iam:ListAccessKeys is the same as IAM:listaccesskeys.'"
)
RESOURCE_CASE = (
    'IAM UG, "IAM JSON policy elements: Resource": \'In the Resource element, the IAM user '
    "name is case sensitive.' (paraphrase: we match every ARN case-sensitively)"
)
KMS_IAM_NEEDS_KEY_POLICY = (
    f"{KMS_KEY_POLICIES}: 'Unless the key policy explicitly allows it, you cannot use IAM policies to allow "
    "access to a KMS key.'"
)
KMS_IAM_DENY = (
    f"{KMS_KEY_POLICIES}: '(You can use an IAM policy to deny a permission to a KMS key without permission "
    "from a key policy.)'"
)
KMS_ROOT_DELEGATES = (
    f"{KMS_DEFAULT_POLICY}: 'When the principal in a key policy statement is the account principal, "
    "the policy statement doesn't give any IAM users or roles permission to use the KMS key. Instead, "
    "it allows the account to use IAM policies to delegate the permissions specified in the "
    "policy statement.'"
)
KMS_ROLE = (
    'AWS KMS Developer Guide, "Examining the key policy", statement 3: \'Principals that can '
    "assume this role are allowed to perform the actions listed in the policy statement'; "
    'Resource: \'In a key policy, the value of the Resource element is "*", which means '
    '"this KMS key."\''
)
KMS_EVERY_KEY = (
    f"{KMS_KEY_POLICIES}: 'Every KMS key must have exactly one key policy.' and 'No AWS principal, including "
    "the account root user or key creator, has any permissions to a KMS key unless they are "
    "explicitly allowed'"
)

# --- Rows ---


@dataclass(frozen=True)
class ConditionCase:
    """One condition, ``{operator: {key: value}}``, against one request context."""

    operator: str
    key: str
    value: object
    context: Mapping[str, str | Sequence[str]]
    holds: bool
    source: str

    @property
    def case(self) -> str:
        return f"{self.operator} {{{self.key!r}: {self.value!r}}}"

    @property
    def request_summary(self) -> str:
        return ", ".join(f"{key} = {value!r}" for key, value in self.context.items()) or "no such key"

    @property
    def expected(self) -> str:
        return "condition holds" if self.holds else "condition does not hold"

    def outcome(self) -> str:
        holds = condition_holds(self.operator, self.key, self.value, self.context)
        return "condition holds" if holds else "condition does not hold"


@dataclass(frozen=True)
class AuthorizationCase:
    """One request against the caller's identity-based policies and the resource's policy."""

    case: str
    request: AuthorizationRequest
    decision: Decision
    source: str
    identity_policies: tuple[Mapping[str, Any], ...] = ()
    resource_policy: Mapping[str, Any] | None = None
    resource_kind: str = "other"
    permissions_boundary: Mapping[str, Any] | None = None

    @property
    def request_summary(self) -> str:
        context = ", ".join(f"{key} = {value!r}" for key, value in self.request.context.items())
        caller = self.request.principal.arn
        return f"{caller} {self.request.action} on {self.request.resource}" + (
            f" ({context})" if context else ""
        )

    @property
    def expected(self) -> str:
        return self.decision.value

    def outcome(self) -> str:
        decision = authorize(
            self.request,
            self.identity_policies,
            self.resource_policy,
            resource_kind=self.resource_kind,
            permissions_boundary=self.permissions_boundary,
        ).decision
        return decision.value


def policy(*statements: Mapping[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def request(
    principal: Principal = STORER,
    action: str = "s3:PutObject",
    resource: str = OBJECT_ARN,
    *,
    resource_account: str | None = None,
    context: Mapping[str, str | Sequence[str]] | None = None,
    **keys: str | Sequence[str],
) -> AuthorizationRequest:
    """Condition keys come as ``context``, or as keyword arguments with ``__`` for ``:``."""
    named = {key.replace("__", ":"): value for key, value in keys.items()}
    return AuthorizationRequest(action, resource, principal, {**(context or {}), **named}, resource_account)


ALLOW_PUT = {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"{BUCKET_ARN}/*"}
DENY_NOT_KMS = {
    "Sid": "DenyUploadsNotEncryptedWithKms",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:PutObject",
    "Resource": f"{BUCKET_ARN}/*",
    "Condition": {"StringNotEquals": {SSE: "aws:kms"}},
}
DENY_OTHER_ENCRYPTION = {
    **DENY_NOT_KMS,
    "Condition": {"StringNotEqualsIfExists": {SSE: "aws:kms"}, "Null": {SSE: "false"}},
}
DENY_WITHOUT_TLS = {
    "Sid": "DenyRequestsWithoutTls",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": [BUCKET_ARN, f"{BUCKET_ARN}/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}
ENABLE_IAM_POLICIES = {
    "Sid": "Enable IAM policies",
    "Effect": "Allow",
    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
    "Action": "kms:*",
    "Resource": "*",
}
ALLOW_DECRYPT = {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY_ARN}
DECRYPT = {"action": "kms:Decrypt", "resource": KEY_ARN}

CONDITION_CASES = (
    ConditionCase("StringEquals", SSE, "aws:kms", {SSE: "aws:kms"}, True, STRING_EQUALS),
    ConditionCase("StringEquals", SSE, "aws:kms", {SSE: "AWS:KMS"}, False, STRING_EQUALS),
    ConditionCase("StringEqualsIgnoreCase", SSE, "aws:kms", {SSE: "AWS:KMS"}, True, IGNORE_CASE),
    ConditionCase("StringEquals", SSE, "aws:kms", {}, False, ABSENT_IS_FALSE),
    ConditionCase("StringNotEquals", SSE, "aws:kms", {}, True, NEGATED_ABSENT_IS_TRUE),
    ConditionCase("StringNotEquals", SSE, "aws:kms", {SSE: "AES256"}, True, STRING_NOT_EQUALS),
    ConditionCase("StringNotEquals", SSE, "aws:kms", {SSE: "aws:kms"}, False, STRING_NOT_EQUALS),
    ConditionCase("StringEquals", SSE, ["aws:kms", "aws:kms:dsse"], {SSE: "aws:kms:dsse"}, True, VALUES_OR),
    ConditionCase(
        "StringNotEquals", SSE, ["aws:kms", "aws:kms:dsse"], {SSE: "aws:kms:dsse"}, False, VALUES_NOR
    ),
    ConditionCase("StringNotEquals", SSE, ["aws:kms", "aws:kms:dsse"], {SSE: "AES256"}, True, VALUES_NOR),
    ConditionCase("StringNotEqualsIfExists", SSE, "aws:kms", {}, True, IF_EXISTS),
    ConditionCase("StringNotEqualsIfExists", SSE, "aws:kms", {SSE: "AES256"}, True, IF_EXISTS),
    ConditionCase("StringNotEqualsIfExists", SSE, "aws:kms", {SSE: "aws:kms"}, False, IF_EXISTS),
    ConditionCase("StringEqualsIfExists", "ec2:InstanceType", "t2.micro", {}, True, IF_EXISTS),
    ConditionCase("Null", SSE, "false", {}, False, NULL_CHECK),
    ConditionCase("Null", SSE, "false", {SSE: "aws:kms"}, True, NULL_CHECK),
    ConditionCase("Null", "aws:TokenIssueTime", "true", {}, True, NULL_CHECK),
    ConditionCase("StringLike", "s3:prefix", "home/*", {"s3:prefix": "home/alice/"}, True, STRING_LIKE),
    ConditionCase("StringLike", "s3:prefix", "home/*", {"s3:prefix": "Home/alice/"}, False, STRING_LIKE),
    ConditionCase(
        "StringLike", "ec2:InstanceType", "t?.micro", {"ec2:InstanceType": "t2.micro"}, True, STRING_LIKE
    ),
    ConditionCase(
        "StringLike", "ec2:InstanceType", "t?.micro", {"ec2:InstanceType": "t22.micro"}, False, STRING_LIKE
    ),
    ConditionCase("StringNotLike", "s3:prefix", "home/*", {}, True, NEGATED_ABSENT_IS_TRUE),
    ConditionCase("NumericLessThanEquals", "s3:max-keys", "10", {"s3:max-keys": "10"}, True, NUMERIC),
    ConditionCase("NumericLessThanEquals", "s3:max-keys", "10", {"s3:max-keys": "11"}, False, NUMERIC),
    ConditionCase("NumericNotEquals", "s3:max-keys", "10", {}, True, NEGATED_ABSENT_IS_TRUE),
    ConditionCase(
        "DateGreaterThan",
        "aws:TokenIssueTime",
        "2020-01-01T00:00:01Z",
        {"aws:TokenIssueTime": "2020-03-01T12:00:00Z"},
        True,
        DATE_FORMATS,
    ),
    ConditionCase("DateGreaterThan", "aws:TokenIssueTime", "2020-01-01T00:00:01Z", {}, False, DATE_ABSENT),
    ConditionCase(
        "DateLessThan", "aws:EpochTime", "1700000000", {"aws:EpochTime": "1600000000"}, True, DATE_FORMATS
    ),
    ConditionCase("Bool", "aws:SecureTransport", "false", {"aws:SecureTransport": "false"}, True, BOOL_TLS),
    ConditionCase("Bool", "aws:SecureTransport", "false", {"aws:SecureTransport": "true"}, False, BOOL_TLS),
    ConditionCase("Bool", "aws:SecureTransport", "false", {"aws:SecureTransport": "False"}, True, BOOL_CASE),
    ConditionCase(
        "Bool", "kms:GrantIsForAWSResource", True, {"kms:GrantIsForAWSResource": "true"}, True, BOOL_JSON
    ),
    ConditionCase(
        "IpAddress", "aws:SourceIp", "203.0.113.0/24", {"aws:SourceIp": "203.0.113.7"}, True, IP_RANGE
    ),
    ConditionCase(
        "IpAddress", "aws:SourceIp", "203.0.113.7", {"aws:SourceIp": "203.0.113.8"}, False, IP_RANGE
    ),
    ConditionCase(
        "IpAddress",
        "aws:SourceIp",
        "2001:DB8:1234:5678::/64",
        {"aws:SourceIp": "2001:db8:1234:5678::1"},
        True,
        IP_RANGE,
    ),
    ConditionCase("IpAddress", "aws:SourceIp", "203.0.113.0/24", {}, False, IP_ABSENT),
    ConditionCase(
        "NotIpAddress", "aws:SourceIp", "203.0.113.0/24", {"aws:SourceIp": "198.51.100.1"}, True, NOT_IP
    ),
    ConditionCase(
        "ArnLike",
        "aws:SourceArn",
        "arn:aws:someservice:*:111122223333:finance/*",
        {"aws:SourceArn": FINANCE_DOCUMENT_ARN},
        False,
        ARN_COMPONENTS,
    ),
    ConditionCase(
        "StringLike",
        "aws:SourceArn",
        "arn:aws:someservice:*:111122223333:finance/*",
        {"aws:SourceArn": FINANCE_DOCUMENT_ARN},
        True,
        ARN_COMPONENTS,
    ),
    ConditionCase(
        "ArnEquals",
        "aws:SourceArn",
        f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:*",
        {"aws:SourceArn": f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/storer"},
        True,
        ARN_EQUALS,
    ),
    ConditionCase("ArnLike", "aws:SourceArn", f"arn:aws:sns:*:{ACCOUNT}:*", {}, False, SOURCE_ARN_ABSENT),
    ConditionCase(
        "ArnNotLike", "aws:SourceArn", f"arn:aws:sns:*:{ACCOUNT}:*", {}, True, NEGATED_ABSENT_IS_TRUE
    ),
    ConditionCase(
        "BinaryEquals",
        "key",
        "QmluYXJ5VmFsdWVJbkJhc2U2NA==",
        {"key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="},
        True,
        BINARY,
    ),
    ConditionCase(
        "ForAllValues:StringEquals",
        "kms:EncryptionContextKeys",
        ["SellerId"],
        {"kms:EncryptionContextKeys": ["SellerId"]},
        True,
        FOR_ALL_VALUES,
    ),
    ConditionCase(
        "ForAllValues:StringEquals",
        "kms:EncryptionContextKeys",
        ["SellerId"],
        {"kms:EncryptionContextKeys": ["SellerId", "ReportId"]},
        False,
        FOR_ALL_VALUES,
    ),
    ConditionCase(
        "ForAllValues:StringEquals", "kms:EncryptionContextKeys", ["SellerId"], {}, True, FOR_ALL_VALUES
    ),
    ConditionCase("Null", "kms:EncryptionContextKeys", "false", {}, False, FOR_ALL_WITH_NULL),
    ConditionCase(
        "ForAnyValue:StringEquals",
        "aws:TagKeys",
        ["environment", "cost-center"],
        {"aws:TagKeys": ["environment", "dept"]},
        True,
        FOR_ANY_VALUE,
    ),
    ConditionCase(
        "ForAnyValue:StringEquals",
        "aws:TagKeys",
        ["environment"],
        {"aws:TagKeys": ["dept"]},
        False,
        FOR_ANY_VALUE,
    ),
    ConditionCase("ForAnyValue:StringEquals", "aws:TagKeys", ["environment"], {}, False, FOR_ANY_VALUE),
    ConditionCase(
        "ForAllValues:StringNotLike",
        "aws:TagKeys",
        ["Owner:*"],
        {"aws:TagKeys": ["owner:Legal", "State:NY"]},
        True,
        FOR_ALL_NEGATED,
    ),
    ConditionCase(
        "ForAllValues:StringNotLike",
        "aws:TagKeys",
        ["Owner:*"],
        {"aws:TagKeys": ["owner:Legal", "Owner:Legal"]},
        False,
        FOR_ALL_NEGATED,
    ),
    ConditionCase(
        "ForAnyValue:StringNotEquals",
        "aws:TagKeys",
        ["DataClass", "Owner"],
        {"aws:TagKeys": ["Owner", "Project"]},
        True,
        FOR_ANY_NEGATED,
    ),
    ConditionCase(
        "ForAnyValue:StringNotEquals",
        "aws:TagKeys",
        ["DataClass", "Owner"],
        {"aws:TagKeys": ["Owner"]},
        False,
        FOR_ANY_NEGATED,
    ),
    ConditionCase(
        "StringEquals", "AWS:SourceAccount", ACCOUNT, {"aws:sourceaccount": ACCOUNT}, True, KEY_NAME_CASE
    ),
    ConditionCase("StringEquals", "aws:SourceAccount", ACCOUNT, {}, False, SOURCE_ACCOUNT),
    ConditionCase(
        "StringEquals",
        "kms:ViaService",
        "s3.us-east-1.amazonaws.com",
        {"kms:ViaService": "s3.us-east-1.amazonaws.com"},
        True,
        VIA_SERVICE,
    ),
    ConditionCase("StringEquals", "kms:ViaService", "s3.us-east-1.amazonaws.com", {}, False, VIA_SERVICE),
    ConditionCase(
        "StringLike",
        "s3:prefix",
        "home/${aws:username}/*",
        {"s3:prefix": "home/alice/reports", "aws:username": "alice"},
        True,
        VARIABLE,
    ),
    ConditionCase(
        "StringLike",
        "s3:prefix",
        "home/${aws:username}/*",
        {"s3:prefix": "home/alice/reports"},
        False,
        VARIABLE_NULL,
    ),
    ConditionCase(
        "StringNotEquals",
        "s3:ExistingObjectTag/Team",
        "${aws:PrincipalTag/Team}",
        {"s3:ExistingObjectTag/Team": "blue"},
        True,
        VARIABLE_NULL_NEGATED,
    ),
    ConditionCase(
        "StringEquals",
        "s3:prefix",
        "${aws:PrincipalTag/team, 'company-wide'}",
        {"s3:prefix": "company-wide"},
        True,
        VARIABLE_DEFAULT,
    ),
)

AUTHORIZATION_CASES = (
    AuthorizationCase(
        "bucket policy Deny s3:PutObject, StringNotEquals on the SSE header: an UploadPart",
        request(),
        Decision.EXPLICIT_DENY,
        UPLOAD_PART,
        (policy(ALLOW_PUT),),
        policy(DENY_NOT_KMS),
    ),
    AuthorizationCase(
        "same bucket policy: a PutObject asking for SSE-KMS",
        request(context={SSE: "aws:kms"}),
        Decision.ALLOW,
        STRING_NOT_EQUALS,
        (policy(ALLOW_PUT),),
        policy(DENY_NOT_KMS),
    ),
    AuthorizationCase(
        "bucket policy Deny with StringNotEqualsIfExists + Null 'false': an UploadPart",
        request(),
        Decision.ALLOW,
        IF_EXISTS_WITH_NULL,
        (policy(ALLOW_PUT),),
        policy(DENY_OTHER_ENCRYPTION),
    ),
    AuthorizationCase(
        "same bucket policy: a PutObject asking for SSE-S3",
        request(context={SSE: "AES256"}),
        Decision.EXPLICIT_DENY,
        f"{IF_EXISTS} {NULL_CHECK}",
        (policy(ALLOW_PUT),),
        policy(DENY_OTHER_ENCRYPTION),
    ),
    AuthorizationCase(
        "same bucket policy: a PutObject asking for SSE-KMS",
        request(context={SSE: "aws:kms"}),
        Decision.ALLOW,
        IF_EXISTS,
        (policy(ALLOW_PUT),),
        policy(DENY_OTHER_ENCRYPTION),
    ),
    AuthorizationCase(
        "bucket policy Deny s3:* with Bool aws:SecureTransport 'false': a plain-HTTP request",
        request(aws__SecureTransport="false"),
        Decision.EXPLICIT_DENY,
        BOOL_TLS,
        (policy(ALLOW_PUT),),
        policy(DENY_WITHOUT_TLS),
    ),
    AuthorizationCase(
        "same bucket policy: a TLS request",
        request(aws__SecureTransport="true"),
        Decision.ALLOW,
        BOOL_TLS,
        (policy(ALLOW_PUT),),
        policy(DENY_WITHOUT_TLS),
    ),
    AuthorizationCase(
        "Allow NotAction iam:* on *: an S3 action",
        request(action="s3:GetObject"),
        Decision.ALLOW,
        NOT_ACTION,
        (policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),),
    ),
    AuthorizationCase(
        "Allow NotAction iam:* on *: an IAM action",
        request(action="iam:CreateUser", resource=f"arn:aws:iam::{ACCOUNT}:user/mallory"),
        Decision.IMPLICIT_DENY,
        NOT_ACTION,
        (policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),),
    ),
    AuthorizationCase(
        "Deny s3:* NotResource reports/*: an object of another bucket",
        request(action="s3:GetObject", resource="arn:aws:s3:::other/report.json"),
        Decision.EXPLICIT_DENY,
        NOT_RESOURCE,
        (
            policy(
                {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                {"Effect": "Deny", "Action": "s3:*", "NotResource": f"{BUCKET_ARN}/*"},
            ),
        ),
    ),
    AuthorizationCase(
        "Deny s3:* NotResource reports/*: an object of the reports bucket",
        request(action="s3:GetObject"),
        Decision.ALLOW,
        NOT_RESOURCE,
        (
            policy(
                {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                {"Effect": "Deny", "Action": "s3:*", "NotResource": f"{BUCKET_ARN}/*"},
            ),
        ),
    ),
    AuthorizationCase(
        "Allow 'S3:putobject' (other case): s3:PutObject",
        request(),
        Decision.ALLOW,
        ACTION_CASE,
        (policy({**ALLOW_PUT, "Action": "S3:putobject"}),),
    ),
    AuthorizationCase(
        "Allow on arn:aws:s3:::reports/*: an object of arn:aws:s3:::Reports",
        request(resource="arn:aws:s3:::Reports/report.json"),
        Decision.IMPLICIT_DENY,
        RESOURCE_CASE,
        (policy(ALLOW_PUT),),
    ),
    AuthorizationCase(
        "Allow on .../home/${aws:username}/*: a role session, which has no aws:username",
        request(resource=f"{BUCKET_ARN}/home/alice/report.json"),
        Decision.IMPLICIT_DENY,
        VARIABLE_RESOURCE_NULL,
        (policy({**ALLOW_PUT, "Resource": f"{BUCKET_ARN}/home/${{aws:username}}/*"}),),
    ),
    AuthorizationCase(
        "bucket policy allows the role's ARN, no identity-based policy: the role's session",
        request(),
        Decision.ALLOW,
        SAME_ACCOUNT_UNION,
        (),
        policy({**ALLOW_PUT, "Principal": {"AWS": ROLE_ARN}}),
    ),
    AuthorizationCase(
        "bucket policy allows only the account, no identity-based policy",
        request(),
        Decision.IMPLICIT_DENY,
        ACCOUNT_DELEGATES,
        (),
        policy({**ALLOW_PUT, "Principal": {"AWS": ACCOUNT}}),
    ),
    AuthorizationCase(
        'bucket policy allows Principal "*": a role of the account without identity-based policies',
        request(),
        Decision.ALLOW,
        PRINCIPAL_STAR,
        (),
        policy({**ALLOW_PUT, "Principal": "*"}),
    ),
    AuthorizationCase(
        "identity-based Deny against a bucket policy Allow naming the role",
        request(),
        Decision.EXPLICIT_DENY,
        EXPLICIT_DENY,
        (policy({**ALLOW_PUT, "Effect": "Deny"}),),
        policy({**ALLOW_PUT, "Principal": {"AWS": ROLE_ARN}}),
    ),
    AuthorizationCase(
        "NotPrincipal Deny sparing the storer role and its account: another role",
        request(READER),
        Decision.EXPLICIT_DENY,
        NOT_PRINCIPAL,
        (policy(ALLOW_PUT),),
        policy(
            {
                **ALLOW_PUT,
                "Effect": "Deny",
                "NotPrincipal": {"AWS": [ROLE_ARN, STORER.arn, f"arn:aws:iam::{ACCOUNT}:root"]},
            }
        ),
    ),
    AuthorizationCase(
        "same NotPrincipal Deny: the storer role's session",
        request(),
        Decision.ALLOW,
        NOT_PRINCIPAL,
        (policy(ALLOW_PUT),),
        policy(
            {
                **ALLOW_PUT,
                "Effect": "Deny",
                "NotPrincipal": {"AWS": [ROLE_ARN, STORER.arn, f"arn:aws:iam::{ACCOUNT}:root"]},
            }
        ),
    ),
    AuthorizationCase(
        "bucket policy allows another account's role, which its identity-based policy allows too",
        request(PARTNER, resource_account=ACCOUNT),
        Decision.ALLOW,
        CROSS_ACCOUNT,
        (policy(ALLOW_PUT),),
        policy({**ALLOW_PUT, "Principal": {"AWS": PARTNER_ROLE_ARN}}),
    ),
    AuthorizationCase(
        "bucket policy allows another account's role, whose identity-based policies do not",
        request(PARTNER, resource_account=ACCOUNT),
        Decision.IMPLICIT_DENY,
        CROSS_ACCOUNT,
        (),
        policy({**ALLOW_PUT, "Principal": {"AWS": PARTNER_ROLE_ARN}}),
    ),
    AuthorizationCase(
        "key policy enables IAM policies (root), an identity-based policy allows kms:Decrypt",
        request(**DECRYPT),
        Decision.ALLOW,
        KMS_ROOT_DELEGATES,
        (policy(ALLOW_DECRYPT),),
        policy(ENABLE_IAM_POLICIES),
        "kms_key",
    ),
    AuthorizationCase(
        "key policy enables IAM policies (root), no identity-based policy allows",
        request(**DECRYPT),
        Decision.IMPLICIT_DENY,
        KMS_ROOT_DELEGATES,
        (),
        policy(ENABLE_IAM_POLICIES),
        "kms_key",
    ),
    AuthorizationCase(
        "key policy names only an admin role, an identity-based policy allows kms:Decrypt",
        request(**DECRYPT),
        Decision.IMPLICIT_DENY,
        KMS_IAM_NEEDS_KEY_POLICY,
        (policy(ALLOW_DECRYPT),),
        policy({**ENABLE_IAM_POLICIES, "Principal": {"AWS": OTHER_ROLE_ARN}}),
        "kms_key",
    ),
    AuthorizationCase(
        'key policy allows the role kms:Decrypt on Resource "*": the role\'s session, no IAM policy',
        request(**DECRYPT),
        Decision.ALLOW,
        KMS_ROLE,
        (),
        policy({**ALLOW_DECRYPT, "Resource": "*", "Principal": {"AWS": ROLE_ARN}}),
        "kms_key",
    ),
    AuthorizationCase(
        "key policy allows the role, an identity-based policy denies kms:Decrypt",
        request(**DECRYPT),
        Decision.EXPLICIT_DENY,
        KMS_IAM_DENY,
        (policy({**ALLOW_DECRYPT, "Effect": "Deny"}),),
        policy({**ALLOW_DECRYPT, "Resource": "*", "Principal": {"AWS": ROLE_ARN}}),
        "kms_key",
    ),
    AuthorizationCase(
        "a KMS key without a key policy, an identity-based policy allows kms:Decrypt",
        request(**DECRYPT),
        Decision.IMPLICIT_DENY,
        KMS_EVERY_KEY,
        (policy(ALLOW_DECRYPT),),
        None,
        "kms_key",
    ),
    AuthorizationCase(
        "key policy allows the role with kms:ViaService s3: a call through S3",
        request(**DECRYPT, kms__ViaService="s3.us-east-1.amazonaws.com"),
        Decision.ALLOW,
        VIA_SERVICE,
        (),
        policy(
            {
                **ALLOW_DECRYPT,
                "Resource": "*",
                "Principal": {"AWS": ROLE_ARN},
                "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}},
            }
        ),
        "kms_key",
    ),
    AuthorizationCase(
        "same key policy: a direct call, without kms:ViaService",
        request(**DECRYPT),
        Decision.IMPLICIT_DENY,
        f"{VIA_SERVICE} {ABSENT_IS_FALSE}",
        (),
        policy(
            {
                **ALLOW_DECRYPT,
                "Resource": "*",
                "Principal": {"AWS": ROLE_ARN},
                "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}},
            }
        ),
        "kms_key",
    ),
    AuthorizationCase(
        "key policy allows CloudWatch Logs for the account's log groups: Logs for this account",
        request(
            LOGS,
            "kms:GenerateDataKey",
            KEY_ARN,
            aws__SourceAccount=ACCOUNT,
            aws__SourceArn=f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/storer",
        ),
        Decision.ALLOW,
        f"{SOURCE_ACCOUNT} {ARN_EQUALS}",
        (),
        policy(
            {
                "Effect": "Allow",
                "Principal": {"Service": "logs.us-east-1.amazonaws.com"},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": ACCOUNT},
                    "ArnLike": {"aws:SourceArn": f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:*"},
                },
            }
        ),
        "kms_key",
    ),
    AuthorizationCase(
        "same key policy: Logs acting for another account's log group",
        request(
            LOGS,
            "kms:GenerateDataKey",
            KEY_ARN,
            aws__SourceAccount=OTHER_ACCOUNT,
            aws__SourceArn=f"arn:aws:logs:us-east-1:{OTHER_ACCOUNT}:log-group:/aws/lambda/x",
        ),
        Decision.IMPLICIT_DENY,
        f"{SOURCE_ACCOUNT} {ARN_EQUALS}",
        (),
        policy(
            {
                "Effect": "Allow",
                "Principal": {"Service": "logs.us-east-1.amazonaws.com"},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": ACCOUNT},
                    "ArnLike": {"aws:SourceArn": f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:*"},
                },
            }
        ),
        "kms_key",
    ),
    AuthorizationCase(
        "key policy allows the Logs service principal: the storer role",
        request(**DECRYPT),
        Decision.IMPLICIT_DENY,
        SERVICE_PRINCIPAL,
        (),
        policy({**ALLOW_DECRYPT, "Resource": "*", "Principal": {"Service": "logs.us-east-1.amazonaws.com"}}),
        "kms_key",
    ),
)

ANONYMOUS = Principal(arn="*", account_id="")
FUNCTION_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:emulator"
PUBLIC_URL = {
    "Effect": "Allow",
    "Principal": "*",
    "Action": "lambda:InvokeFunctionUrl",
    "Resource": FUNCTION_ARN,
    "Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}},
}
ALL_PRINCIPALS = (
    "IAM UG, Principal, All principals: anonymous access needs the resource-based policy to allow *"
)
NONE_URL = (
    "Lambda DG, Control access to Lambda function URLs: a NONE URL's resource policy must grant public access"
)
ANONYMOUS_CASES = (
    AuthorizationCase(
        "anonymous: the function's policy allows everyone to invoke its NONE URL",
        request(ANONYMOUS, "lambda:InvokeFunctionUrl", FUNCTION_ARN, lambda__FunctionUrlAuthType="NONE"),
        Decision.ALLOW,
        f"{ALL_PRINCIPALS}; {NONE_URL}",
        (),
        policy(PUBLIC_URL),
    ),
    AuthorizationCase(
        "anonymous: the same policy, but the URL is AWS_IAM",
        request(ANONYMOUS, "lambda:InvokeFunctionUrl", FUNCTION_ARN, lambda__FunctionUrlAuthType="AWS_IAM"),
        Decision.IMPLICIT_DENY,
        f"{ALL_PRINCIPALS}; {NONE_URL}",
        (),
        policy(PUBLIC_URL),
    ),
    AuthorizationCase(
        "anonymous: the function has no policy",
        request(ANONYMOUS, "lambda:InvokeFunctionUrl", FUNCTION_ARN, lambda__FunctionUrlAuthType="NONE"),
        Decision.IMPLICIT_DENY,
        f"{ALL_PRINCIPALS}; {NONE_URL}",
    ),
    AuthorizationCase(
        "anonymous: a policy naming the account, not everyone",
        request(ANONYMOUS, "lambda:InvokeFunctionUrl", FUNCTION_ARN, lambda__FunctionUrlAuthType="NONE"),
        Decision.IMPLICIT_DENY,
        ALL_PRINCIPALS,
        (),
        policy({**PUBLIC_URL, "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}),
    ),
)

UG_BOUNDARIES = (
    'IAM UG, "Permissions boundaries for IAM entities", "Evaluating effective permissions with boundaries"'
)
BOUNDARY_INTERSECTS = (
    f"{UG_BOUNDARIES}: identity-based policies with boundaries: 'The effective permissions are everything "
    "that is allowed by both policy types.'"
)
BOUNDARY_DENY = f"{UG_BOUNDARIES}: 'An explicit deny in either of these policies overrides the allow.'"
BOUNDARY_GRANTS_NOTHING = (
    f"{UG_BOUNDARIES}: a boundary 'limits the user's permissions but does not provide permissions on its own'"
)
BOUNDARY_ROLE_ARN = (
    f"{UG_BOUNDARIES}: (paraphrase) what a resource-based policy grants an IAM role by the role's ARN is "
    "limited by an implicit deny in its permissions boundary (local AWS holds a role session to it for "
    "every grant)"
)
BOUNDARY_USER_ARN = (
    f"{UG_BOUNDARIES}: (paraphrase) within an account, what a resource-based policy grants an IAM user by "
    "the user's ARN is not limited by an implicit deny in the user's permissions boundary"
)
INVOKER = Principal(f"arn:aws:iam::{ACCOUNT}:user/api-invoke", ACCOUNT)
BOUNDS_S3 = policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
BOUNDS_SQS = policy({"Effect": "Allow", "Action": "sqs:*", "Resource": "*"})

BOUNDARY_CASES = (
    AuthorizationCase(
        "identity-based policy allows, the boundary allows too",
        request(),
        Decision.ALLOW,
        BOUNDARY_INTERSECTS,
        (policy(ALLOW_PUT),),
        permissions_boundary=BOUNDS_S3,
    ),
    AuthorizationCase(
        "identity-based policy allows, the boundary allows only another service",
        request(),
        Decision.IMPLICIT_DENY,
        BOUNDARY_INTERSECTS,
        (policy(ALLOW_PUT),),
        permissions_boundary=BOUNDS_SQS,
    ),
    AuthorizationCase(
        "the boundary allows, no identity-based policy does",
        request(),
        Decision.IMPLICIT_DENY,
        BOUNDARY_GRANTS_NOTHING,
        (),
        permissions_boundary=BOUNDS_S3,
    ),
    AuthorizationCase(
        "identity-based policy allows, the boundary allows and denies the action",
        request(),
        Decision.EXPLICIT_DENY,
        BOUNDARY_DENY,
        (policy(ALLOW_PUT),),
        permissions_boundary=policy(
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:PutObject", "Resource": "*"},
        ),
    ),
    AuthorizationCase(
        "a bucket policy names the role, the role's boundary allows only another service",
        request(),
        Decision.IMPLICIT_DENY,
        BOUNDARY_ROLE_ARN,
        (),
        policy({**ALLOW_PUT, "Principal": {"AWS": ROLE_ARN}}),
        permissions_boundary=BOUNDS_SQS,
    ),
    AuthorizationCase(
        "a key policy names the role, the role's boundary allows only another service",
        request(**DECRYPT),
        Decision.IMPLICIT_DENY,
        BOUNDARY_ROLE_ARN,
        (),
        policy({**ALLOW_DECRYPT, "Resource": "*", "Principal": {"AWS": ROLE_ARN}}),
        "kms_key",
        permissions_boundary=BOUNDS_SQS,
    ),
    AuthorizationCase(
        "a bucket policy names the user, the user's boundary allows only another service",
        request(INVOKER),
        Decision.ALLOW,
        BOUNDARY_USER_ARN,
        (),
        policy({**ALLOW_PUT, "Principal": {"AWS": INVOKER.arn}}),
        permissions_boundary=BOUNDS_SQS,
    ),
)

DOCUMENTED_CASES: tuple[ConditionCase | AuthorizationCase, ...] = (
    CONDITION_CASES + AUTHORIZATION_CASES + ANONYMOUS_CASES + BOUNDARY_CASES
)


@pytest.mark.parametrize("row", DOCUMENTED_CASES, ids=lambda row: f"{row.case} | {row.request_summary}")
def test_documented_case_gets_the_result_the_guide_gives(row: ConditionCase | AuthorizationCase) -> None:
    assert row.outcome() == row.expected, row.source


def test_every_documented_case_names_its_source() -> None:
    assert len(DOCUMENTED_CASES) >= 40
    assert all(("IAM UG" in row.source or "KMS" in row.source) for row in DOCUMENTED_CASES)


# --- Whole decisions and their reasons ---


def test_explicit_deny_names_the_deciding_statement_sid() -> None:
    decision = authorize(request(), [policy(ALLOW_PUT)], policy(DENY_NOT_KMS))

    assert decision.decision is Decision.EXPLICIT_DENY
    assert decision.reason == (
        'explicitly denied by statement "DenyUploadsNotEncryptedWithKms" of the resource-based policy'
    )


def test_allow_names_the_statement_and_policy_that_allowed() -> None:
    decision = authorize(
        request(**DECRYPT), [policy(ALLOW_DECRYPT)], policy(ENABLE_IAM_POLICIES), resource_kind="kms_key"
    )

    assert decision.allowed
    assert decision.reason == (
        "allowed by statement #1 of the identity-based policy #1, "
        'which statement "Enable IAM policies" of the key policy enables for the account'
    )


def test_implicit_deny_says_who_called_what() -> None:
    decision = authorize(request(action="s3:GetObject"), [policy(ALLOW_PUT)], None)

    assert decision.decision is Decision.IMPLICIT_DENY
    assert f"{STORER.arn} calling s3:GetObject on {OBJECT_ARN}" in decision.reason


def test_resource_policy_naming_only_the_account_is_reported_as_delegation() -> None:
    result = evaluate_policy(
        policy({**ALLOW_PUT, "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}),
        request(),
        resource_policy=True,
    )

    assert result.outcome is PolicyOutcome.ALLOW_ACCOUNT


def test_policy_as_json_text_with_a_single_statement_object() -> None:
    text = '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}'

    assert authorize(request(), [text], None).allowed


def test_the_account_root_user_is_allowed_in_its_account_unless_denied() -> None:
    root = Principal(f"arn:aws:iam::{ACCOUNT}:root", ACCOUNT)

    assert authorize(request(root), [], None).allowed
    assert authorize(request(root), [], policy({**DENY_NOT_KMS})).decision is Decision.EXPLICIT_DENY
    assert not authorize(request(root, **DECRYPT), [], None, resource_kind="kms_key").allowed


# --- Failing closed ---


@pytest.mark.parametrize(
    "bad_policy",
    [
        "not json",
        {"Statement": [{"Effect": "Allow", "Action": "s3:*"}]},
        {"Statement": [{"Effect": "Allow", "Action": "s3:*", "NotAction": "iam:*", "Resource": "*"}]},
        {"Statement": [{"Effect": "Permit", "Action": "s3:*", "Resource": "*"}]},
        {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Principal": "*"}]},
        {
            "Statement": [
                {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"Foo": {"k": "v"}}}
            ]
        },
        {"Statement": [{**ALLOW_PUT, "Resource": f"{BUCKET_ARN}/${{aws:username}}"}]},
        {"Version": "2012-10-17", "Statement": [{**ALLOW_PUT, "Action": "s3:PutObject", "Actions": "s3:*"}]},
    ],
    ids=[
        "not JSON",
        "no Resource",
        "Action and NotAction",
        "unknown Effect",
        "Principal in an identity-based policy",
        "unknown operator",
        "variable without Version 2012-10-17",
        "unknown element",
    ],
)
def test_unreadable_identity_policy_raises_instead_of_deciding(bad_policy: object) -> None:
    with pytest.raises(PolicyEvaluationError):
        authorize(request(), [bad_policy], None)  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("operator", "value", "context"),
    [
        ("StringLikeEverywhere", "x", {"k": "x"}),
        ("ForEveryValue:StringEquals", "x", {"k": "x"}),
        ("NullIfExists", "true", {}),
        ("StringEquals", "x", {"k": ["x", "y"]}),
        ("NumericLessThan", "ten", {"k": "3"}),
        ("NumericLessThan", "${aws:username}", {"k": "3"}),
        ("StringEquals", "${aws:TagKeys}", {"k": "x", "aws:TagKeys": ["a", "b"]}),
        ("StringEquals", "${aws:username", {"k": "x"}),
        ("Bool", "yes", {"k": "true"}),
    ],
    ids=[
        "unknown operator",
        "unknown set operator",
        "Null with IfExists",
        "plain operator on a multivalued key",
        "number that is not one",
        "variable in a Numeric value",
        "multivalued key as a variable",
        "unclosed variable",
        "Bool value that is not one",
    ],
)
def test_condition_this_evaluator_cannot_decide_raises(operator: str, value: str, context: dict) -> None:
    with pytest.raises(PolicyEvaluationError):
        condition_holds(operator, "k", value, context)


def test_unknown_principal_type_in_a_resource_policy_raises() -> None:
    with pytest.raises(PolicyEvaluationError):
        authorize(request(), [], policy({**ALLOW_PUT, "Principal": {"Group": "admins"}}))
