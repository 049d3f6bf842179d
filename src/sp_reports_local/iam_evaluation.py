"""AWS's policy evaluation for local AWS: whether a request is allowed, decided from its policies as IAM does.

moto 5.2.5's evaluator (``moto/iam/access_control.py``) knows only ``StringEquals``-like conditions, treats a
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
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from operator import eq, ge, gt, le, lt
from typing import TypeVar

_T = TypeVar("_T")
_Context = Mapping[str, tuple[str, ...]]  # condition key, lower-cased -> the request's values (none = absent)


class PolicyEvaluationError(ValueError):
    """A policy, or a request value, that this evaluator cannot decide on: the request must be denied."""


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
