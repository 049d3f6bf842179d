"""A bucket that denies requests without TLS still serves local AWS, which stands in for TLS endpoints."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from sp_reports_local.secure_transport import resolve_secure_transport

DENY_WITHOUT_TLS = {
    "Sid": "DenyRequestsWithoutTls",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": ["arn:aws:s3:::reports", "arn:aws:s3:::reports/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}


def _bucket_with_policy(local_aws, statements: list[dict]) -> None:
    s3 = local_aws.boto3_client("s3")
    s3.create_bucket(Bucket="reports")
    s3.put_bucket_policy(
        Bucket="reports", Policy=json.dumps({"Version": "2012-10-17", "Statement": statements})
    )


def test_deny_without_tls_does_not_block_local_requests_and_policy_reads_back_unchanged(local_aws):
    _bucket_with_policy(local_aws, [DENY_WITHOUT_TLS])
    s3 = local_aws.boto3_client("s3")

    s3.put_object(Bucket="reports", Key="k", Body=b"data")

    assert s3.get_object(Bucket="reports", Key="k")["Body"].read() == b"data"
    assert json.loads(s3.get_bucket_policy(Bucket="reports")["Policy"])["Statement"][0]["Condition"] == {
        "Bool": {"aws:SecureTransport": "false"}
    }


def test_unconditional_deny_still_blocks(local_aws):
    deny_all = {key: value for key, value in DENY_WITHOUT_TLS.items() if key != "Condition"}
    _bucket_with_policy(local_aws, [deny_all])

    with pytest.raises(ClientError, match=r"403|AccessDenied"):
        local_aws.boto3_client("s3").put_object(Bucket="reports", Key="k", Body=b"data")


def test_only_the_secure_transport_condition_is_resolved():
    require_tls_and_tag = {
        **DENY_WITHOUT_TLS,
        "Condition": {"Bool": {"aws:SecureTransport": "true", "aws:Other": "x"}},
    }
    resolved = resolve_secure_transport({"Statement": [DENY_WITHOUT_TLS, require_tls_and_tag]})

    assert resolved["Statement"] == [{**DENY_WITHOUT_TLS, "Condition": {"Bool": {"aws:Other": "x"}}}]
