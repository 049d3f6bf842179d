"""Local AWS decides requests as the IAM User Guide and the KMS Developer Guide say AWS does.

``DOCUMENTED_CASES`` is the table: each row is one documented rule, the request that exercises it, the result
the guide gives and the guide's sentence (quoted; a paraphrase says so). ``docs/reliability.md`` can render
it from each row's ``case``, ``request_summary``, ``expected`` and ``source``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pytest

from sp_reports_local.iam_evaluation import PolicyEvaluationError, condition_holds

ACCOUNT = "111122223333"
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

DOCUMENTED_CASES: tuple[ConditionCase, ...] = CONDITION_CASES


@pytest.mark.parametrize("row", DOCUMENTED_CASES, ids=lambda row: f"{row.case} | {row.request_summary}")
def test_documented_case_gets_the_result_the_guide_gives(row: ConditionCase) -> None:
    assert row.outcome() == row.expected, row.source


def test_every_documented_case_names_its_source() -> None:
    assert len(DOCUMENTED_CASES) >= 40
    assert all(("IAM UG" in row.source or "KMS" in row.source) for row in DOCUMENTED_CASES)


# --- Failing closed ---


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
