"""The tenant boundary: with tenant isolation on, a caller may act only for the sellers the tenant map grants
to its principal.

The caller is the IAM identity API Gateway authenticated (AWS_IAM methods): the proxy event's
``requestContext.identity.userArn`` (API Gateway Developer Guide, "$context variables for data models,
authorizers, mapping templates, and access logging", ``$context.identity.userArn``:
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html).

The map is keyed by a principal key, the identity's IAM ARN without its path (``principal_key``):

- an IAM user ``arn:aws:iam::ACCOUNT:user/PATH/NAME`` maps as ``arn:aws:iam::ACCOUNT:user/NAME``;
- an assumed role arrives as its session, ``arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION``, which carries
  the role's name but not its path (IAM User Guide, "IAM identifiers", assumed-role ARNs:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html). It maps as the role,
  ``arn:aws:iam::ACCOUNT:role/NAME``: every session of the role acts for the same sellers, and the path,
  which the session's ARN does not carry, is dropped from every key instead of looked up with iam:GetRole.
  That is unambiguous because a role's or a user's name is unique in its account whatever its path (same
  page, "Friendly names and paths": names must be unique within the account);
- the account root ``arn:aws:iam::ACCOUNT:root`` and a federated user
  ``arn:aws:sts::ACCOUNT:federated-user/NAME`` map as they are.

An item of the map is ``{"PrincipalArn": <principal key>, "SellerId": <seller id>}`` (hash and range key):
one GetItem per check, so the check reads nothing about any other seller and an answer never names one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sp_reports.pipeline.api_requests import ApiError
from sp_reports.pipeline.token_store import validate_seller_id

TENANT_MAP_TABLE_VARIABLE = "TENANT_MAP_TABLE_NAME"
RULE = "TenantBoundary"

# arn:PARTITION:SERVICE::ACCOUNT:RESOURCE (IAM User Guide, "IAM identifiers", IAM ARNs).
_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):(?P<service>iam|sts)::(?P<account>\d{12}):(?P<resource>.+)\Z"
)
# IAM names and session names: ASCII letters, digits and +=,.@_- (IAM API Reference, CreateRole RoleName and
# STS AssumeRole RoleSessionName patterns [\w+=,.@-]+).
_NAME = re.compile(r"^[\w+=,.@-]{1,128}\Z", re.ASCII)


def principal_key(arn: str | None) -> str | None:
    """The tenant map's key for the identity ``arn`` (see the module's docstring); None for anything that is
    not an IAM user, a role's session or a role, the account root or a federated user (an anonymous
    caller)."""
    match = _ARN.match(arn or "")
    if match is None:
        return None
    partition, service, account, resource = match.group("partition", "service", "account", "resource")
    kind, _, rest = resource.partition("/")
    parts = rest.split("/") if rest else []
    if service == "iam" and kind == "root" and not rest:
        return f"arn:{partition}:iam::{account}:root"
    if service == "iam" and kind in ("user", "role") and parts and _NAME.match(parts[-1]):
        # The last segment is the name; the ones before it are the path.
        return f"arn:{partition}:iam::{account}:{kind}/{parts[-1]}"
    if service == "sts" and kind == "assumed-role" and len(parts) == 2 and all(map(_NAME.match, parts)):
        return f"arn:{partition}:iam::{account}:role/{parts[0]}"
    if service == "sts" and kind == "federated-user" and len(parts) == 1 and _NAME.match(parts[0]):
        return f"arn:{partition}:sts::{account}:federated-user/{parts[0]}"
    return None


def caller_arn(event: Mapping[str, Any]) -> str | None:
    """The IAM identity API Gateway authenticated for this request, as it gives it."""
    identity = (event.get("requestContext") or {}).get("identity") or {}
    arn = identity.get("userArn")
    return arn if isinstance(arn, str) and arn else None


def caller_principal(event: Mapping[str, Any]) -> str:
    """Who is calling, as the per-caller budget counts it: the principal key (a role's sessions as the role),
    the identity's ARN as API Gateway gives it when that is no IAM shape we key, else "unidentified" (an API
    with AWS_IAM on every budgeted route always names its caller)."""
    arn = caller_arn(event)
    return principal_key(arn) or arn or "unidentified"


class TenantMap:
    """Which sellers each principal may act for: a DynamoDB table, hash key PrincipalArn (a principal key),
    range key SellerId."""

    def __init__(self, table_name: str, dynamodb_client: Any) -> None:
        self.table_name = table_name
        self._dynamodb = dynamodb_client

    def grants(self, principal: str, seller_id: str) -> bool:
        item = self._dynamodb.get_item(
            TableName=self.table_name,
            Key={"PrincipalArn": {"S": principal}, "SellerId": {"S": seller_id}},
            ProjectionExpression="PrincipalArn",
            ConsistentRead=True,  # a grant just written, or a revocation, counts at once
        ).get("Item")
        return item is not None

    def grant(self, principal_arn: str, seller_id: str) -> str:
        """Let ``principal_arn`` (any ARN form ``principal_key`` reads) act for ``seller_id``; its key."""
        principal, seller = _grant_subject(principal_arn, seller_id)
        self._dynamodb.put_item(
            TableName=self.table_name, Item={"PrincipalArn": {"S": principal}, "SellerId": {"S": seller}}
        )
        return principal

    def revoke(self, principal_arn: str, seller_id: str) -> str:
        principal, seller = _grant_subject(principal_arn, seller_id)
        self._dynamodb.delete_item(
            TableName=self.table_name, Key={"PrincipalArn": {"S": principal}, "SellerId": {"S": seller}}
        )
        return principal


def _grant_subject(principal_arn: str, seller_id: str) -> tuple[str, str]:
    principal = principal_key(principal_arn)
    if principal is None:
        raise ValueError(
            f"{principal_arn!r} is not the ARN of an IAM user, a role, an assumed-role session, the account "
            "root or a federated user"
        )
    return principal, validate_seller_id(seller_id)


class TenantBoundary:
    """The one check every API route makes before acting for a seller. Without a map (tenant isolation off)
    it admits every caller, as the API did before the boundary existed."""

    def __init__(self, tenant_map: TenantMap | None) -> None:
        self.tenant_map = tenant_map

    @property
    def enabled(self) -> bool:
        return self.tenant_map is not None

    def admit(self, event: Mapping[str, Any], seller_id: str) -> None:
        """Return when the caller may act for ``seller_id`` (which the caller named); else a 403 naming the
        rule."""
        principal = self._principal(event)
        if principal is None:
            return
        if not self.tenant_map.grants(principal, seller_id):
            raise ApiError(
                403,
                RULE,
                f"principal {principal} may not act for seller {seller_id}: tenant isolation is on and the "
                "tenant map grants this principal no such seller; an operator grants it by adding the item "
                f'{{"PrincipalArn": "{principal}", "SellerId": "{seller_id}"}} to the tenant map',
            )

    def admit_record(self, event: Mapping[str, Any], report_id: str, seller_id: str) -> None:
        """Return when the caller may read report ``report_id`` of ``seller_id``; else a 403 that names the
        rule but not the seller, which the caller did not name and may not learn."""
        self._admit_owned(event, seller_id, f"read report {report_id}", "report's")

    def admit_plan(self, event: Mapping[str, Any], plan_id: str, seller_id: str) -> None:
        """Return when the caller may act on pull plan ``plan_id`` of ``seller_id``; else a 403 that names the
        rule but not the seller, which the caller named only through the plan."""
        self._admit_owned(event, seller_id, f"act on plan {plan_id}", "plan's")

    def _admit_owned(self, event: Mapping[str, Any], seller_id: str, action: str, owner: str) -> None:
        principal = self._principal(event)
        if principal is None:
            return
        if not self.tenant_map.grants(principal, seller_id):
            raise ApiError(
                403,
                RULE,
                f"principal {principal} may not {action}: tenant isolation is on and the tenant map grants "
                f"this principal no access to the {owner} seller",
            )

    def _principal(self, event: Mapping[str, Any]) -> str | None:
        """The caller's key; None when the boundary is off. A caller without an IAM identity the map can name
        is refused: with isolation on, nobody acts for a seller the map does not grant them."""
        if self.tenant_map is None:
            return None
        arn = caller_arn(event)
        principal = principal_key(arn)
        if principal is None:
            raise ApiError(
                403,
                RULE,
                "tenant isolation is on and the request carries no IAM user or role identity the tenant map "
                "can name; call the API with SigV4-signed requests of an IAM user or role",
            )
        return principal
