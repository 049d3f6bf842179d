"""The tenant boundary: the tenant map's principal key for each ARN shape API Gateway gives, and the check."""

from __future__ import annotations

import boto3
import pytest

from sp_reports.pipeline.api_requests import ApiError
from sp_reports.pipeline.tenancy import TenantBoundary, TenantMap, caller_arn, principal_key

# IAM User Guide, "IAM identifiers" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html):
# the ARN shapes of the identities an AWS_IAM method authenticates, and the key each maps as.
PRINCIPAL_KEYS = [
    # IAM user, without and with a path: the path is dropped (names are unique in the account).
    ("arn:aws:iam::123456789012:user/reports-operator", "arn:aws:iam::123456789012:user/reports-operator"),
    ("arn:aws:iam::123456789012:user/division_abc/ops/Bob", "arn:aws:iam::123456789012:user/Bob"),
    # An assumed role's session: the role by name; the STS ARN carries no path, so no key has one.
    (
        "arn:aws:sts::123456789012:assumed-role/tenant-a-invoke/botocore-session-1700000000",
        "arn:aws:iam::123456789012:role/tenant-a-invoke",
    ),
    (
        "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Ops_0123456789abcdef/jane@example.com",
        "arn:aws:iam::123456789012:role/AWSReservedSSO_Ops_0123456789abcdef",
    ),
    # The role's own ARN (what an operator grants), with its path: the same key as its sessions.
    ("arn:aws:iam::123456789012:role/tenant-a-invoke", "arn:aws:iam::123456789012:role/tenant-a-invoke"),
    (
        "arn:aws:iam::123456789012:role/sp-reports/tenants/tenant-a-invoke",
        "arn:aws:iam::123456789012:role/tenant-a-invoke",
    ),
    ("arn:aws:iam::123456789012:root", "arn:aws:iam::123456789012:root"),
    ("arn:aws:sts::123456789012:federated-user/Bob", "arn:aws:sts::123456789012:federated-user/Bob"),
    # Other partitions keep theirs.
    ("arn:aws-cn:sts::123456789012:assumed-role/r/s", "arn:aws-cn:iam::123456789012:role/r"),
    ("arn:aws-us-gov:iam::123456789012:user/u", "arn:aws-us-gov:iam::123456789012:user/u"),
    # Not an identity the map can name.
    (None, None),
    ("", None),
    ("anonymous", None),
    ("arn:aws:iam::123456789012:group/Admins", None),
    ("arn:aws:sts::123456789012:assumed-role/only-a-role", None),
    ("arn:aws:iam::123456789012:root/extra", None),
    ("arn:aws:s3:::bucket", None),
    ("arn:aws:iam::12345:user/short-account", None),
    ("arn:aws:iam::123456789012:user/b\u00f3b", None),  # IAM names are ASCII
    ("arn:aws:sts::123456789012:assumed-role/r/a b", None),  # no spaces in a session name
]


@pytest.mark.parametrize(("arn", "key"), PRINCIPAL_KEYS)
def test_principal_key_of_each_arn_shape(arn, key):
    assert principal_key(arn) == key


def test_the_caller_is_api_gateways_authenticated_user_arn():
    event = {"requestContext": {"identity": {"userArn": "arn:aws:iam::123456789012:user/u", "caller": "X"}}}
    assert caller_arn(event) == "arn:aws:iam::123456789012:user/u"
    assert caller_arn({"requestContext": {"identity": {"userArn": None}}}) is None
    assert caller_arn({}) is None


SELLER_A = "A1TENANTSELLERA"
SELLER_B = "A1TENANTSELLERB"
ROLE_A_SESSION = "arn:aws:sts::123456789012:assumed-role/tenant-a/session-1"


def _event(arn):
    return {"requestContext": {"identity": {"userArn": arn}}}


@pytest.fixture
def tenant_map(aws):
    dynamodb = boto3.client("dynamodb")
    dynamodb.create_table(
        TableName="sp-reports-tenants",
        KeySchema=[
            {"AttributeName": "PrincipalArn", "KeyType": "HASH"},
            {"AttributeName": "SellerId", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "PrincipalArn", "AttributeType": "S"},
            {"AttributeName": "SellerId", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return TenantMap("sp-reports-tenants", dynamodb)


def test_a_grant_to_a_role_arn_with_its_path_admits_its_sessions_for_that_seller_only(tenant_map):
    assert tenant_map.grant("arn:aws:iam::123456789012:role/tenants/tenant-a", SELLER_A) == (
        "arn:aws:iam::123456789012:role/tenant-a"
    )
    boundary = TenantBoundary(tenant_map)
    boundary.admit(_event(ROLE_A_SESSION), SELLER_A)
    with pytest.raises(ApiError) as refused:
        boundary.admit(_event(ROLE_A_SESSION), SELLER_B)
    assert refused.value.status == 403 and refused.value.code == "TenantBoundary"
    assert "arn:aws:iam::123456789012:role/tenant-a" in refused.value.message
    assert SELLER_B in refused.value.message and SELLER_A not in refused.value.message


def test_a_record_of_another_tenant_is_refused_without_naming_its_seller(tenant_map):
    tenant_map.grant(ROLE_A_SESSION, SELLER_A)
    boundary = TenantBoundary(tenant_map)
    boundary.admit_record(_event(ROLE_A_SESSION), "50001", SELLER_A)
    with pytest.raises(ApiError) as refused:
        boundary.admit_record(_event(ROLE_A_SESSION), "50002", SELLER_B)
    assert refused.value.status == 403 and refused.value.code == "TenantBoundary"
    assert "50002" in refused.value.message and SELLER_B not in refused.value.message


def test_a_revoked_grant_refuses_at_once(tenant_map):
    tenant_map.grant(ROLE_A_SESSION, SELLER_A)
    tenant_map.revoke("arn:aws:iam::123456789012:role/tenant-a", SELLER_A)
    with pytest.raises(ApiError):
        TenantBoundary(tenant_map).admit(_event(ROLE_A_SESSION), SELLER_A)


def test_with_isolation_on_a_caller_without_an_iam_identity_is_refused(tenant_map):
    with pytest.raises(ApiError) as refused:
        TenantBoundary(tenant_map).admit(_event(None), SELLER_A)
    assert refused.value.status == 403 and refused.value.code == "TenantBoundary"


def test_with_isolation_off_every_caller_is_admitted_and_nothing_is_read():
    boundary = TenantBoundary(None)
    assert not boundary.enabled
    boundary.admit(_event(None), SELLER_A)
    boundary.admit_record(_event(ROLE_A_SESSION), "50001", SELLER_B)


@pytest.mark.parametrize(
    ("principal", "seller"),
    [("arn:aws:iam::123456789012:group/Admins", SELLER_A), (ROLE_A_SESSION, "not-a-seller")],
)
def test_a_grant_of_something_the_map_cannot_name_is_refused(tenant_map, principal, seller):
    with pytest.raises(ValueError):
        tenant_map.grant(principal, seller)
