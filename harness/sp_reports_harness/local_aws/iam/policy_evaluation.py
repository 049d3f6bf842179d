"""AWS's policy evaluation for local AWS: whether a request is allowed, decided from its policies as IAM does.

Pinned moto's evaluator (``moto/iam/access_control.py``) knows only ``StringEquals``-like conditions, treats a
failing condition on an Allow as an explicit deny and ignores what AWS does when a condition key is absent.
This module holds the rules themselves, pure (no moto, no I/O), so that each can be tested against the
sentence of the AWS documentation it implements; the hook into moto lives elsewhere.

Sources, named at each rule: the IAM User Guide ("UG") pages "Policy evaluation logic", "Cross-account policy
evaluation logic", "IAM JSON policy elements: Action / Resource / NotAction / NotResource / Principal /
NotPrincipal / Condition operators", "Conditions with multiple context keys or values", "Single-valued vs.
multivalued context keys" and "IAM policy elements: Variables and tags"; the AWS KMS Developer Guide ("KMS")
pages "Key policies in AWS KMS" and "Default key policy".

Fail closed: a policy this module cannot read, or a case the documentation leaves undefined (a plain operator
on a multivalued key, an unknown operator or policy variable), raises ``PolicyEvaluationError``; the caller
answers AccessDenied. Local AWS must never allow by guess.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum, IntEnum
from operator import eq, ge, gt, le, lt
from typing import Any, Literal, TypeVar

ResourceKind = Literal["kms_key", "other"]
_T = TypeVar("_T")
_Context = Mapping[str, tuple[str, ...]]  # condition key, lower-cased -> the request's values (none = absent)


class PolicyEvaluationError(ValueError):
    """A policy, or a request value, that this evaluator cannot decide on: the request must be denied."""


@dataclass(frozen=True)
class Principal:
    """Who asks: an IAM user, an assumed-role session, an account's root user, or an AWS service."""

    arn: str
    account_id: str
    role_arn: str | None = None  # for an assumed-role session: the role, which resource policies may name
    service: str | None = None  # for a service principal, e.g. "logs.us-east-1.amazonaws.com"


@dataclass(frozen=True)
class AuthorizationRequest:
    """One API call as IAM sees it: action, resource ARN, caller, and the request's condition keys."""

    action: str
    resource: str
    principal: Principal
    context: Mapping[str, str | Sequence[str]] = field(default_factory=dict)
    # The account owning the resource when its ARN names none (S3 buckets and objects); see _resource_account.
    resource_account: str | None = None


class Decision(Enum):
    ALLOW = "Allow"
    EXPLICIT_DENY = "ExplicitDeny"
    IMPLICIT_DENY = "ImplicitDeny"


class PolicyOutcome(Enum):
    """What one policy says about one request."""

    EXPLICIT_DENY = "ExplicitDeny"
    ALLOW = "Allow"  # an identity-based policy allows, or a resource policy allows naming the caller (or "*")
    ALLOW_ACCOUNT = "AllowAccount"  # a resource policy allows the caller's account: delegates to IAM policies
    NOT_APPLICABLE = "NotApplicable"


@dataclass(frozen=True)
class PolicyResult:
    outcome: PolicyOutcome
    statement: str | None = None  # the deciding statement: its Sid in quotes, or its position ("#2")


@dataclass(frozen=True)
class Authorization:
    """The decision on one request, and why, naming the deciding statement (for the AccessDenied message)."""

    decision: Decision
    reason: str

    @property
    def allowed(self) -> bool:
        return self.decision is Decision.ALLOW


def authorize(
    request: AuthorizationRequest,
    identity_policies: Sequence[Mapping[str, Any] | str],
    resource_policy: Mapping[str, Any] | str | None,
    *,
    resource_kind: ResourceKind = "other",
    permissions_boundary: Mapping[str, Any] | str | None = None,
) -> Authorization:
    """Decide ``request`` from the caller's identity-based policies, its permissions boundary (an IAM user's
    or role's, when it has one) and the resource's policy (the key policy when ``resource_kind`` is
    ``"kms_key"``)."""
    if resource_kind not in ("kms_key", "other"):
        raise ValueError(f"unknown resource kind {resource_kind!r}")
    if request.principal.service and (identity_policies or permissions_boundary is not None):
        raise ValueError("a service principal has no identity-based policies or permissions boundary")
    resource_name = "key policy" if resource_kind == "kms_key" else "resource-based policy"
    identity = [
        (f"identity-based policy #{number}", evaluate_policy(policy, request))
        for number, policy in enumerate(identity_policies, start=1)
    ]
    boundary = (
        [("permissions boundary", evaluate_policy(permissions_boundary, request))]
        if permissions_boundary is not None
        else []
    )
    resource = (
        evaluate_policy(resource_policy, request, resource_policy=True)
        if resource_policy is not None
        else PolicyResult(PolicyOutcome.NOT_APPLICABLE)
    )
    # UG, Policy evaluation logic: "An explicit deny in any policy overrides any allows."
    for name, result in [*identity, *boundary, (resource_name, resource)]:
        if result.outcome is PolicyOutcome.EXPLICIT_DENY:
            return Authorization(
                Decision.EXPLICIT_DENY, f"explicitly denied by statement {result.statement} of the {name}"
            )
    identity_allow = _identity_allow(request.principal, identity)
    if boundary and boundary[0][1].outcome is not PolicyOutcome.ALLOW:
        return _beyond_the_boundary(request, identity_allow, resource, resource_name)
    return _decide(request, identity_allow, resource, resource_name, resource_kind)


def _beyond_the_boundary(
    request: AuthorizationRequest, identity_allow: str | None, resource: PolicyResult, resource_name: str
) -> Authorization:
    """A request the caller's permissions boundary does not allow.

    UG, Permissions boundaries for IAM entities, "Evaluating effective permissions with boundaries": the
    effective permissions of identity-based policies are "everything that is allowed by both policy types";
    a boundary does not limit what a resource-based policy grants an IAM user by its ARN; what it grants a
    role by the role's ARN is limited by the boundary. Local AWS holds a role session to its role's boundary
    for every grant (a grant naming the session's own ARN, which AWS leaves unlimited, appears in no policy
    of ours): the stricter reading.
    """
    is_user = ":user/" in request.principal.arn and request.principal.role_arn is None
    if is_user and resource.outcome is PolicyOutcome.ALLOW and not _is_cross_account(request):
        return _allowed(f"allowed by statement {resource.statement} of the {resource_name}, naming the user")
    detail = (
        f"{identity_allow} allows it, but the caller's permissions boundary does not"
        if identity_allow
        else "the caller's permissions boundary does not allow it"
    )
    return _denied(request, detail)


def _identity_allow(principal: Principal, identity: list[tuple[str, PolicyResult]]) -> str | None:
    """What allows the request on the caller's side, in words, or None."""
    # UG, Policy evaluation logic: "By default, all requests are implicitly denied with the exception of the
    # AWS account root user, which has full access."
    if _is_account_root(principal):
        return "the account root user's full access"
    allows = (
        f"statement {result.statement} of the {name}"
        for name, result in identity
        if result.outcome is PolicyOutcome.ALLOW
    )
    return next(allows, None)


def _decide(
    request: AuthorizationRequest,
    identity_allow: str | None,
    resource: PolicyResult,
    resource_name: str,
    resource_kind: ResourceKind,
) -> Authorization:
    """Allow or implicit deny, once no policy denies explicitly."""
    names_caller = resource.outcome is PolicyOutcome.ALLOW
    names_account = resource.outcome is PolicyOutcome.ALLOW_ACCOUNT
    by_resource = f"statement {resource.statement} of the {resource_name}"
    if request.principal.service:
        # UG, Principal, AWS service principals: a service is named by a resource-based policy's "Service"
        # entry; it has no identity-based policies of its own in the resource's account.
        if names_caller:
            return _allowed(f"allowed by {by_resource}")
        return _denied(request, f"no statement of the {resource_name} allows this service principal")
    if _is_anonymous(request.principal):
        # UG, Principal, "All principals": anonymous access needs the resource-based policy to allow everyone
        # ("Principal": "*"); an unsigned request has no identity-based policies, so the resource's policy
        # alone decides (Lambda, "Control access to Lambda function URLs": a NONE URL's "resource-based
        # policy ... must grant public access").
        if names_caller:
            return _allowed(f"public access allowed by {by_resource}")
        return _denied(request, f"an anonymous request needs the {resource_name} to allow everyone")
    if _is_cross_account(request):
        # UG, Cross-account policy evaluation logic: "For cross-account requests, the requester in the trusted
        # AccountA must have an identity-based policy. ... Additionally, the resource-based policy in AccountB
        # must allow the requester in AccountA to access the resource." Naming the caller's account is enough
        # there: UG, Principal: "This delegates authority to the account."
        if identity_allow and (names_caller or names_account):
            return _allowed(f"cross-account request allowed by {identity_allow} and {by_resource}")
        return _denied(
            request,
            f"a cross-account request needs an Allow from the caller's policies and the {resource_name}",
        )
    if resource_kind == "kms_key":
        # KMS, Key policies: "Unless the key policy explicitly allows it, you cannot use IAM policies to allow
        # access to a KMS key." KMS, Default key policy: when the principal is the account principal, "it
        # allows the account to use IAM policies to delegate the permissions specified in the policy
        # statement."
        if names_caller:
            return _allowed(f"allowed by {by_resource}")
        if names_account and identity_allow:
            return _allowed(f"allowed by {identity_allow}, which {by_resource} enables for the account")
        return _denied(request, "the key policy neither allows the caller nor enables IAM policies that do")
    # UG, Policy evaluation for requests within a single account: "If either the identity-based policy or the
    # resource-based policy within the same account allows the request and the other doesn't, the request is
    # still allowed." A resource policy naming only the account delegates to the identity side (UG,
    # Principal).
    if identity_allow:
        return _allowed(f"allowed by {identity_allow}")
    if names_caller:
        return _allowed(f"allowed by {by_resource}")
    return _denied(request, f"no identity-based policy, nor a {resource_name} naming the caller, allows it")


def _allowed(reason: str) -> Authorization:
    return Authorization(Decision.ALLOW, reason)


def _denied(request: AuthorizationRequest, detail: str) -> Authorization:
    call = f"{request.principal.arn} calling {request.action} on {request.resource}"
    return Authorization(Decision.IMPLICIT_DENY, f"implicitly denied: {detail} ({call})")


def _is_anonymous(principal: Principal) -> bool:
    """An unsigned request (local AWS's anonymous caller: ARN ``*``, no account)."""
    return principal.arn == "*" and not principal.account_id


def _is_cross_account(request: AuthorizationRequest) -> bool:
    owner = _resource_account(request)
    return owner is not None and owner != request.principal.account_id


def _resource_account(request: AuthorizationRequest) -> str | None:
    """The resource's account: ``request.resource_account``, else the ARN's fifth field. S3 ARNs leave it
    empty: without ``resource_account`` such a resource counts as the caller's (local AWS: one account)."""
    if request.resource_account:
        return request.resource_account
    fields = request.resource.split(":", 5)
    if len(fields) == 6 and fields[4]:
        return fields[4]
    return None


# --- One policy ---

_POLICY_KEYS = frozenset({"Version", "Id", "Statement"})
_VERSIONS = (None, "2008-10-17", "2012-10-17")
_STATEMENT_KEYS = frozenset(
    {
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    }
)


class _Reach(IntEnum):
    """How a statement reaches the caller."""

    NONE = 0
    ACCOUNT = 1  # it names the caller's account (delegation to the account's identity-based policies)
    DIRECT = 2  # it names the caller, its role, or everyone; identity-based statements always reach directly


def evaluate_policy(
    policy: Mapping[str, Any] | str, request: AuthorizationRequest, *, resource_policy: bool = False
) -> PolicyResult:
    """What one policy says about ``request``: the first applicable Deny, else the closest Allow, else
    nothing. ``resource_policy`` marks a resource-based policy (bucket or key policy): its statements name
    principals."""
    document = _parse_policy(policy)
    context = _normalise_context(request.context)
    allow: tuple[_Reach, str | None] = (_Reach.NONE, None)
    for position, statement in enumerate(_statements(document), start=1):
        reach = _statement_reach(statement, request, context, resource_policy)
        label = f'"{statement["Sid"]}"' if statement.get("Sid") else f"#{position}"
        if reach and statement["Effect"] == "Deny":
            return PolicyResult(PolicyOutcome.EXPLICIT_DENY, label)
        if reach > allow[0]:
            allow = (reach, label)
    reach, label = allow
    if reach is _Reach.NONE:
        return PolicyResult(PolicyOutcome.NOT_APPLICABLE)
    return PolicyResult(PolicyOutcome.ALLOW if reach is _Reach.DIRECT else PolicyOutcome.ALLOW_ACCOUNT, label)


def _parse_policy(policy: Mapping[str, Any] | str) -> Mapping[str, Any]:
    if isinstance(policy, str):
        try:
            policy = json.loads(policy)
        except json.JSONDecodeError as error:
            raise PolicyEvaluationError(f"the policy is not JSON: {error}") from error
    if not isinstance(policy, Mapping) or "Statement" not in policy or set(policy) - _POLICY_KEYS:
        raise PolicyEvaluationError("a policy is an object of Version, Id and Statement")
    if policy.get("Version") not in _VERSIONS:
        raise PolicyEvaluationError(f"unknown policy Version {policy.get('Version')!r}")
    # UG, Variables and tags: "If you don't include the Version element and set it to an appropriate version
    # date, variables like ${aws:username} are treated as literal strings in the policy." We refuse rather
    # than compare against the literal text, which is almost always a mistake in the policy.
    if policy.get("Version") != "2012-10-17" and "${" in json.dumps(policy["Statement"]):
        raise PolicyEvaluationError('policy variables need "Version": "2012-10-17"')
    return policy


def _statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    statements = document["Statement"]
    statements = [statements] if isinstance(statements, Mapping) else statements
    if not isinstance(statements, list) or not all(isinstance(item, Mapping) for item in statements):
        raise PolicyEvaluationError("Statement is an object or a list of objects")
    for statement in statements:
        if unknown := set(statement) - _STATEMENT_KEYS:
            raise PolicyEvaluationError(f"unknown statement elements {sorted(unknown)}")
        if statement.get("Effect") not in ("Allow", "Deny"):
            raise PolicyEvaluationError(f"Effect must be Allow or Deny, not {statement.get('Effect')!r}")
    return statements


def _statement_reach(
    statement: Mapping[str, Any], request: AuthorizationRequest, context: _Context, resource_policy: bool
) -> _Reach:
    actions, not_action = _element(statement, "Action")
    if any(_action_matches(pattern, request.action) for pattern in actions) == not_action:
        return _Reach.NONE
    resources, not_resource = _element(statement, "Resource")
    if any(_resource_matches(pattern, request.resource, context) for pattern in resources) == not_resource:
        return _Reach.NONE
    reach = _principal_reach(statement, request.principal, resource_policy)
    if reach and _conditions_hold(statement.get("Condition", {}), context):
        return reach
    return _Reach.NONE


def _element(statement: Mapping[str, Any], name: str) -> tuple[list[str], bool]:
    """The values of ``name`` or of ``Not<name>`` (then True): a statement has exactly one of them."""
    # UG, Action: "Statements must include either an Action or NotAction element." UG, Resource: "Statements
    # must include either a Resource or a NotResource element."
    negated = f"Not{name}"
    if (name in statement) == (negated in statement):
        raise PolicyEvaluationError(f"a statement needs exactly one of {name} and {negated}")
    key = name if name in statement else negated
    return _strings(statement[key], key), key == negated


def _strings(value: object, element: str) -> list[str]:
    values = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(item, str) for item in values):
        raise PolicyEvaluationError(f"{element} is a string or a non-empty list of strings, not {value!r}")
    return values


def _action_matches(pattern: str, action: str) -> bool:
    # UG, Action: "The prefix and the action name are case insensitive." and "You can also use wildcards (*)
    # as part of the action name."
    return _glob(((pattern, False),), ignore_case=True).fullmatch(action) is not None


def _resource_matches(pattern: str, resource: str, context: _Context) -> bool:
    # UG, Resource: "You can use a policy variable in the Resource element, but only in the resource portion
    # of the ARN. This portion of the ARN appears after the fifth colon (:)."
    if "${" in ":".join(pattern.split(":", 5)[:5]):
        raise PolicyEvaluationError(f"a policy variable before the ARN's resource part: {pattern!r}")
    expanded = _substitute(pattern, context)
    # UG, Variables and tags: "the resource that includes a policy variable with no value will not match any
    # resource." Matching is case-sensitive (UG, Resource: "the IAM user name is case sensitive"). A "*" may
    # span colons: the UG lets a segment's trailing "*" "expand to match beyond the colon boundaries"; we let
    # every "*". In a key policy, Resource "*" is the key itself (KMS: '"*", which means "this KMS key."'),
    # which "*" matches.
    return expanded is not None and expanded.glob().fullmatch(resource) is not None


# --- Principals ---

_ACCOUNT_ROOT = re.compile(r"arn:aws[\w-]*:iam::(\d{12}):root")


def _principal_reach(statement: Mapping[str, Any], principal: Principal, resource_policy: bool) -> _Reach:
    named = "Principal" in statement or "NotPrincipal" in statement
    if not resource_policy:
        # UG, Principal: "You cannot use the Principal element in an identity-based policy. ... the principal
        # is implicitly the identity where the policy is attached."
        if named:
            raise PolicyEvaluationError("an identity-based policy names no Principal")
        return _Reach.DIRECT
    # UG, Principal: "You must use the Principal element in resource-based policies."
    if ("Principal" in statement) == ("NotPrincipal" in statement):
        raise PolicyEvaluationError("a resource-based statement needs one of Principal and NotPrincipal")
    if "Principal" in statement:
        return _principal_match(statement["Principal"], principal)
    return _not_principal_reach(statement["NotPrincipal"], principal, statement["Effect"])


def _principal_match(element: object, principal: Principal) -> _Reach:
    # UG, Principal, All principals: '"Principal": "*"' and '"Principal" : { "AWS" : "*" }' are equivalent.
    if element == "*":
        return _Reach.DIRECT
    if not isinstance(element, Mapping) or not element:
        raise PolicyEvaluationError(f'Principal is "*" or an object, not {element!r}')
    # UG, Principal: "When you specify more than one principal in an element, you grant permissions to each
    # principal. This is a logical OR".
    return max(
        _principal_entry_match(kind, value, principal)
        for kind, values in element.items()
        for value in _strings(values, f"Principal.{kind}")
    )


def _principal_entry_match(kind: str, value: str, principal: Principal) -> _Reach:
    # UG, Principal: "You cannot use a wildcard to match part of a principal name or ARN." So names compare
    # exactly.
    if kind == "Service":
        return _Reach.DIRECT if value == principal.service else _Reach.NONE
    if kind in ("Federated", "CanonicalUser"):
        return _Reach.NONE  # local AWS has no web-identity, SAML or S3 canonical-user callers
    if kind != "AWS":
        raise PolicyEvaluationError(f"unknown principal type {kind!r}")
    if value == "*":
        return _Reach.DIRECT
    if principal.service:
        return _Reach.NONE
    # A role ARN names the role's sessions: KMS, Examining the key policy: "Principals that can assume this
    # role are allowed to perform the actions listed in the policy statement".
    if value in (principal.arn, principal.role_arn):
        return _Reach.DIRECT
    # UG, Principal: "The account ARN and the shortened account ID behave the same way. Both delegate
    # permissions to the account." For the account's root user, naming the account names the caller itself.
    root = _ACCOUNT_ROOT.fullmatch(value)
    if (root.group(1) if root else value) == principal.account_id:
        return _Reach.DIRECT if _is_account_root(principal) else _Reach.ACCOUNT
    return _Reach.NONE


def _not_principal_reach(element: object, principal: Principal, effect: str) -> _Reach:
    # UG, NotPrincipal: "If an assumed-role user (someone who is using a role) is being evaluated, AWS might
    # validate the account first, then the role, and then the assumed-role user." Which of them it checks is
    # not stated, so we choose the deny side: a Deny spares the caller only if every identity is listed, an
    # Allow reaches it only if none is.
    listed = [_principal_match(element, identity) is _Reach.DIRECT for identity in _identities(principal)]
    applies = not all(listed) if effect == "Deny" else not any(listed)
    return _Reach.DIRECT if applies else _Reach.NONE


def _identities(principal: Principal) -> list[Principal]:
    """The caller, its account's root and, for a session, its role: what a NotPrincipal may list."""
    if principal.service:
        return [principal]
    account = principal.account_id
    identities = [Principal(principal.arn, account), Principal(f"arn:aws:iam::{account}:root", account)]
    if principal.role_arn:
        identities.append(Principal(principal.role_arn, account))
    return identities


def _is_account_root(principal: Principal) -> bool:
    return _ACCOUNT_ROOT.fullmatch(principal.arn) is not None


# --- Conditions ---


def condition_holds(
    operator: str, key: str, expected: object, context: Mapping[str, str | Sequence[str]]
) -> bool:
    """Whether ``{operator: {key: expected}}`` holds for a request carrying ``context``."""
    return _key_condition_holds(operator, key, expected, _normalise_context(context))


def _normalise_context(context: Mapping[str, str | Sequence[str]]) -> _Context:
    # UG, Variables and tags: "Key names are case-insensitive. For example, aws:CurrentTime is equivalent to
    # AWS:currenttime."
    normalised = {}
    for key, value in context.items():
        values = (value,) if isinstance(value, str) else tuple(value)
        if not all(isinstance(item, str) for item in values):
            raise TypeError(f"context value of {key!r} must be a string or a sequence of strings")
        normalised[key.lower()] = values
    return normalised


def _conditions_hold(block: object, context: _Context) -> bool:
    # UG, Conditions with multiple context keys or values: "If your policy statement has multiple condition
    # operators, the condition operators are evaluated using a logical AND." and "If your policy statement has
    # multiple context keys attached to a single condition operator, the context keys are evaluated using a
    # logical AND."
    if not isinstance(block, Mapping) or not all(isinstance(entries, Mapping) for entries in block.values()):
        raise PolicyEvaluationError("Condition maps operators to objects of condition keys")
    return all(
        _key_condition_holds(name, key, expected, context)
        for name, entries in block.items()
        for key, expected in entries.items()
    )


def _key_condition_holds(operator_name: str, key: str, expected: object, context: _Context) -> bool:
    qualifier, base, if_exists = _parse_operator(operator_name)
    values = context.get(key.lower(), ())  # an empty sequence is no value: the key is absent
    if base == "Null":
        return _null_holds(expected, present=bool(values))
    comparison = _COMPARISONS[base]
    policy_values = _policy_values(expected, context, base, comparison.variables)

    def matches(value: str) -> bool:
        # UG, Conditions with multiple context keys or values: "If a single condition operator includes
        # multiple values for a context key, those values are evaluated using a logical OR." and "If a single
        # negated matching condition operator includes multiple values for a context key, those values are
        # evaluated using a logical NOR."
        matched = any(comparison.matches(value, expected_value) for expected_value in policy_values)
        return matched != comparison.negated

    if not values:
        return _absent_key_holds(qualifier, if_exists, comparison.negated)
    # UG, Single-valued vs. multivalued context keys: ForAllValues "tests whether the value of every member of
    # the request context matches the condition operator that follows the qualifier"; ForAnyValue "tests
    # whether at least one member of the set of request context key values matches".
    if qualifier == "ForAllValues":
        return all(matches(value) for value in values)
    if qualifier == "ForAnyValue":
        return any(matches(value) for value in values)
    # UG, Single-valued vs. multivalued context keys: "Multivalued context keys require a condition set
    # operator." What AWS does without one is not documented, so we refuse to guess.
    if len(values) > 1:
        raise PolicyEvaluationError(f"{operator_name} on {key}, which has several values: use a set operator")
    return matches(values[0])


def _absent_key_holds(qualifier: str | None, if_exists: bool, negated: bool) -> bool:
    # UG, Condition operators, ...IfExists: "If the key is not present, evaluate the condition element as
    # true."
    if if_exists:
        return True
    # UG, Single-valued vs. multivalued context keys: ForAllValues "also returns true if there are no context
    # keys in the request"; for ForAnyValue, "For no matching context key or if the key does not exist, the
    # condition returns false."
    if qualifier:
        return qualifier == "ForAllValues"
    # UG, Condition operators: "If the key that you specify in a policy condition is not present in the
    # request context, the values do not match and the condition is false. If the policy condition requires
    # that the key is not matched, such as StringNotLike or ArnNotLike, and the right key is not present, the
    # condition is true."
    return negated


def _null_holds(expected: object, *, present: bool) -> bool:
    # UG, Condition operators, Null check: "use either true (the key doesn't exist — it is null) or false (the
    # key exists and its value is not null)."
    values = expected if isinstance(expected, list) else [expected]
    texts = {_policy_text(value).lower() for value in values}
    if not texts or not texts <= {"true", "false"}:
        raise PolicyEvaluationError(f"Null takes true or false, not {expected!r}")
    return any(present != (text == "true") for text in texts)


_SET_QUALIFIERS = ("ForAllValues", "ForAnyValue")


def _parse_operator(operator_name: str) -> tuple[str | None, str, bool]:
    """(set qualifier or None, base operator, IfExists)."""
    qualifier, separator, base = operator_name.rpartition(":")
    if separator and qualifier not in _SET_QUALIFIERS:
        raise PolicyEvaluationError(f"unknown condition set operator {qualifier!r}")
    if_exists = base.endswith("IfExists")
    base = base.removesuffix("IfExists")
    # UG, Condition operators: "You can add IfExists to the end of any condition operator name except the Null
    # condition". Null tests presence itself; AWS documents no set-qualified Null either.
    if base == "Null" and (if_exists or qualifier):
        raise PolicyEvaluationError(f"{operator_name} is not a condition operator")
    if base != "Null" and base not in _COMPARISONS:
        raise PolicyEvaluationError(f"unknown condition operator {operator_name!r}")
    return qualifier or None, base, if_exists


# --- Policy values and variables ---


@dataclass(frozen=True)
class _PolicyValue:
    """A policy value with its variables substituted. A part is (text, literal): literal text came from the
    request (or ${*}, ${?}, ${$}) and holds no wildcards."""

    parts: tuple[tuple[str, bool], ...]

    @property
    def text(self) -> str:
        return "".join(text for text, _ in self.parts)

    def glob(self) -> re.Pattern[str]:
        return _glob(self.parts)


def _glob(parts: Sequence[tuple[str, bool]], *, ignore_case: bool = False) -> re.Pattern[str]:
    """A regular expression for a pattern of ``*`` (any characters) and ``?`` (one character)."""
    wildcards = {"*": ".*", "?": "."}
    regex = "".join(
        re.escape(text) if literal else "".join(wildcards.get(char) or re.escape(char) for char in text)
        for text, literal in parts
    )
    return re.compile(regex, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _policy_text(value: object) -> str:
    # Policies may hold JSON booleans and numbers: KMS's own key policy example has
    # {"Bool": {"kms:GrantIsForAWSResource": true}}.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise PolicyEvaluationError(f"a condition value is a string, number or boolean, not {value!r}")


def _policy_values(expected: object, context: _Context, base: str, variables: bool) -> list[_PolicyValue]:
    texts = [_policy_text(value) for value in (expected if isinstance(expected, list) else [expected])]
    if not texts:
        raise PolicyEvaluationError(f"{base} has an empty list of values")
    if not variables:
        # UG, Variables and tags: "You can't use a policy variable with other operators, such as Numeric,
        # Date, Boolean, Binary, IP Address, or Null operators."
        if any("${" in text for text in texts):
            raise PolicyEvaluationError(f"{base} values cannot hold policy variables")
        return [_PolicyValue(((text, False),)) for text in texts]
    # UG, Variables and tags: with a variable that has no value, "the value is effectively null. There is no
    # equal or like value." A null value matches nothing, so positive operators fail on it and negated ones
    # hold.
    return [value for value in (_substitute(text, context) for text in texts) if value is not None]


_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_VARIABLE_BODY = re.compile(r"\s*([^\s,']+)\s*(?:,\s*'([^']*)'\s*)?")


def _substitute(template: str, context: _Context) -> _PolicyValue | None:
    """The value with its policy variables replaced from the request, or None when one has no value."""
    # UG, Variables and tags: "When the policy is evaluated, the policy variables are replaced with values
    # that come from the conditional context keys passed in the request."
    parts = []
    position = 0
    for match in _VARIABLE.finditer(template):
        parts.append((template[position : match.start()], False))
        value = _variable_value(match.group(1), context)
        if value is None:
            return None
        parts.append((value, True))
        position = match.end()
    parts.append((template[position:], False))
    if any("${" in text for text, literal in parts if not literal):
        raise PolicyEvaluationError(f"unreadable policy variable in {template!r}")
    return _PolicyValue(tuple(part for part in parts if part[0]))


def _variable_value(body: str, context: _Context) -> str | None:
    # UG, Variables and tags, Special characters: "${*}", "${?}" and "${$}" stand for the characters
    # themselves.
    if body in ("*", "?", "$"):
        return body
    match = _VARIABLE_BODY.fullmatch(body)
    if match is None:
        raise PolicyEvaluationError(f"unsupported policy variable ${{{body}}}")
    key, default = match.groups()
    values = context.get(key.lower(), ())
    # UG, Variables and tags: "You can't use a multivalued condition key as a variable."
    if len(values) > 1:
        raise PolicyEvaluationError(f"${{{key}}} has several values in the request: not a policy variable")
    # UG, Variables and tags, Specifying default values: "To add a default value to a variable, surround the
    # default value with single quotes (' '), and separate the variable text and the default value with a
    # comma and space".
    return values[0] if values else default


# --- Condition operators ---


def _string_equals(value: str, expected: _PolicyValue) -> bool:
    return value == expected.text  # UG, Condition operators: StringEquals is "Exact matching, case sensitive"


def _string_equals_ignore_case(value: str, expected: _PolicyValue) -> bool:
    return value.casefold() == expected.text.casefold()  # "Exact matching, ignoring case"


def _string_like(value: str, expected: _PolicyValue) -> bool:
    # UG, Condition operators: StringLike is "Case-sensitive matching. The values can include multi-character
    # match wildcards (*) and single-character match wildcards (?) anywhere in the string."
    return expected.glob().fullmatch(value) is not None


def _numeric(compare: Callable[[Decimal, Decimal], bool]) -> Callable[[str, _PolicyValue], bool]:
    def matches(value: str, expected: _PolicyValue) -> bool:
        return compare(_parse(Decimal, value, "a number"), _parse(Decimal, expected.text, "a number"))

    return matches


def _date(compare: Callable[[datetime, datetime], bool]) -> Callable[[str, _PolicyValue], bool]:
    def matches(value: str, expected: _PolicyValue) -> bool:
        return compare(_parse(_datetime, value, "a date"), _parse(_datetime, expected.text, "a date"))

    return matches


def _datetime(text: str) -> datetime:
    # UG, Condition operators, Date: "You must specify date/time values with one of the W3C implementations of
    # the ISO 8601 date formats or in epoch (UNIX) time."
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return datetime.fromtimestamp(float(text), UTC)
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _parse(parse: Callable[[str], _T], text: str, kind: str) -> _T:
    try:
        return parse(text)
    except (ValueError, InvalidOperation, OverflowError) as error:
        raise PolicyEvaluationError(f"cannot read {text!r} as {kind}") from error


def _bool(value: str, expected: _PolicyValue) -> bool:
    # UG, Condition operators: Boolean conditions compare 'a key to "true" or "false."'; we ignore case on
    # both sides.
    if expected.text.lower() not in ("true", "false"):
        raise PolicyEvaluationError(f'Bool takes "true" or "false", not {expected.text!r}')
    return value.lower() == expected.text.lower()


def _binary_equals(value: str, expected: _PolicyValue) -> bool:
    # UG, Condition operators: BinaryEquals "compares the value of the specified key byte for byte against a
    # base-64 encoded representation of the binary value in the policy." Request values arrive base64-encoded
    # as well.
    return _parse(_base64, value, "base64") == _parse(_base64, expected.text, "base64")


def _base64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as error:
        raise ValueError(str(error)) from error


def _in_network(value: str, expected: _PolicyValue) -> bool:
    # UG, Condition operators, IP address: "If you specify an IP address without the associated routing
    # prefix, IAM uses the default prefix value of /32." (ip_network gives a bare address /32, or /128 for
    # IPv6.)
    address = _parse(ipaddress.ip_address, value, "an IP address")
    network = _parse(lambda text: ipaddress.ip_network(text, strict=False), expected.text, "an IP range")
    return address.version == network.version and address in network


def _arn_like(value: str, expected: _PolicyValue) -> bool:
    # UG, Condition operators, ARN: "Each of the six colon-delimited components of the ARN is checked
    # separately and each can include multi-character match wildcards (*) or single-character match wildcards
    # (?)."
    components = value.split(":", 5)
    patterns = _arn_components(expected.parts)
    if len(components) != 6 or len(patterns) != 6:
        return False
    pairs = zip(patterns, components, strict=True)
    return all(_glob(pattern).fullmatch(component) for pattern, component in pairs)


def _arn_components(parts: Sequence[tuple[str, bool]]) -> list[list[tuple[str, bool]]]:
    """The pattern's parts split at the ARN's first five colons, wherever they come from."""
    components: list[list[tuple[str, bool]]] = [[]]
    for text, literal in parts:
        for index, piece in enumerate(text.split(":")):
            if index and len(components) < 6:
                components.append([])
            elif index:
                components[-1].append((":", True))  # the resource part may hold colons of its own
            components[-1].append((piece, literal))
    return components


@dataclass(frozen=True)
class _Comparison:
    matches: Callable[[str, _PolicyValue], bool]  # does one request value match one policy value
    negated: bool = False  # the operator holds when the request value matches none of the policy values
    variables: bool = False  # may its values hold policy variables (UG: string and ARN operators only)


_COMPARISONS: dict[str, _Comparison] = {
    "StringEquals": _Comparison(_string_equals, variables=True),
    "StringNotEquals": _Comparison(_string_equals, negated=True, variables=True),
    "StringEqualsIgnoreCase": _Comparison(_string_equals_ignore_case, variables=True),
    "StringNotEqualsIgnoreCase": _Comparison(_string_equals_ignore_case, negated=True, variables=True),
    "StringLike": _Comparison(_string_like, variables=True),
    "StringNotLike": _Comparison(_string_like, negated=True, variables=True),
    "NumericEquals": _Comparison(_numeric(eq)),
    "NumericNotEquals": _Comparison(_numeric(eq), negated=True),
    "NumericLessThan": _Comparison(_numeric(lt)),
    "NumericLessThanEquals": _Comparison(_numeric(le)),
    "NumericGreaterThan": _Comparison(_numeric(gt)),
    "NumericGreaterThanEquals": _Comparison(_numeric(ge)),
    "DateEquals": _Comparison(_date(eq)),
    "DateNotEquals": _Comparison(_date(eq), negated=True),
    "DateLessThan": _Comparison(_date(lt)),
    "DateLessThanEquals": _Comparison(_date(le)),
    "DateGreaterThan": _Comparison(_date(gt)),
    "DateGreaterThanEquals": _Comparison(_date(ge)),
    "Bool": _Comparison(_bool),
    "BinaryEquals": _Comparison(_binary_equals),
    "IpAddress": _Comparison(_in_network),
    "NotIpAddress": _Comparison(_in_network, negated=True),
    # UG, Condition operators: "The ArnEquals and ArnLike condition operators behave identically." So do their
    # negations.
    "ArnEquals": _Comparison(_arn_like, variables=True),
    "ArnLike": _Comparison(_arn_like, variables=True),
    "ArnNotEquals": _Comparison(_arn_like, negated=True, variables=True),
    "ArnNotLike": _Comparison(_arn_like, negated=True, variables=True),
}
