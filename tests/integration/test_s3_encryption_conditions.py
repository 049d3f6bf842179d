"""Bucket policies evaluate SSE-KMS header conditions from the request, as AWS does (fast, no Terraform)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from sp_reports_local import LocalAws
from sp_reports_local.s3_encryption_conditions import (
    resolve_encryption_conditions,
    s3_encryption_condition_patches,
)

KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/right"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "DenyNotKms",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::sse-bucket/*",
            "Condition": {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}},
        },
        {
            "Sid": "DenyOtherKey",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::sse-bucket/*",
            "Condition": {
                "StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption-aws-kms-key-id": KEY_ARN}
            },
        },
    ],
}


def _sids(policy: dict) -> list[str]:
    return [statement["Sid"] for statement in policy["Statement"]]


def test_upload_with_the_bucket_key_drops_both_denies():
    headers = {
        "x-amz-server-side-encryption": "aws:kms",
        "x-amz-server-side-encryption-aws-kms-key-id": KEY_ARN,
    }
    assert _sids(resolve_encryption_conditions(POLICY, headers)) == []


def test_upload_with_another_key_keeps_that_deny_without_its_condition():
    headers = {
        "x-amz-server-side-encryption": "aws:kms",
        "x-amz-server-side-encryption-aws-kms-key-id": "other",
    }
    resolved = resolve_encryption_conditions(POLICY, headers)
    assert _sids(resolved) == ["DenyOtherKey"]
    assert "Condition" not in resolved["Statement"][0]


def test_absent_header_satisfies_if_exists_so_both_denies_stay():
    # AWS: an ...IfExists condition holds when the key is not in the request.
    assert _sids(resolve_encryption_conditions(POLICY, {})) == ["DenyNotKms", "DenyOtherKey"]


def test_parts_of_a_multipart_upload_are_not_judged_by_encryption_headers():
    assert _sids(resolve_encryption_conditions(POLICY, {}, multipart_part=True)) == []


def test_other_conditions_are_left_to_moto():
    policy = {
        "Statement": [
            {
                "Sid": "Mixed",
                "Effect": "Deny",
                "Condition": {
                    "StringEquals": {"s3:x-amz-server-side-encryption": "AES256", "aws:SourceVpc": "vpc-1"}
                },
            }
        ]
    }
    kept = resolve_encryption_conditions(policy, {"x-amz-server-side-encryption": "AES256"})
    assert kept["Statement"][0]["Condition"] == {"StringEquals": {"aws:SourceVpc": "vpc-1"}}


@pytest.fixture
def s3_with_policy() -> Iterator[tuple[LocalAws, object]]:
    with LocalAws(aws_managed_policies=False) as aws:
        patches = s3_encryption_condition_patches()
        patches.install()
        try:
            s3 = aws.boto3_client("s3")
            s3.create_bucket(Bucket="sse-bucket")
            s3.put_bucket_policy(Bucket="sse-bucket", Policy=json.dumps(POLICY))
            yield aws, s3
        finally:
            patches.uninstall()


def test_local_s3_accepts_the_right_key_and_refuses_plain_or_other_key_uploads(s3_with_policy):
    aws, s3 = s3_with_policy
    key_arn = aws.boto3_client("kms").create_key()["KeyMetadata"]["Arn"]
    policy = json.loads(json.dumps(POLICY).replace(KEY_ARN, key_arn))
    s3.put_bucket_policy(Bucket="sse-bucket", Policy=json.dumps(policy))

    s3.put_object(
        Bucket="sse-bucket", Key="ok", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_arn
    )
    with pytest.raises(ClientError) as plain:
        s3.put_object(Bucket="sse-bucket", Key="plain", Body=b"x")
    other_key = aws.boto3_client("kms").create_key()["KeyMetadata"]["Arn"]
    with pytest.raises(ClientError) as other:
        s3.put_object(
            Bucket="sse-bucket", Key="other", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=other_key
        )

    assert plain.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert other.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert [entry["Key"] for entry in s3.list_objects_v2(Bucket="sse-bucket")["Contents"]] == ["ok"]


def test_local_s3_multipart_upload_with_the_right_key_completes(s3_with_policy):
    aws, s3 = s3_with_policy
    key_arn = aws.boto3_client("kms").create_key()["KeyMetadata"]["Arn"]
    policy = json.loads(json.dumps(POLICY).replace(KEY_ARN, key_arn))
    s3.put_bucket_policy(Bucket="sse-bucket", Policy=json.dumps(policy))

    upload = s3.create_multipart_upload(
        Bucket="sse-bucket", Key="big", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_arn
    )
    part = s3.upload_part(
        Bucket="sse-bucket", Key="big", UploadId=upload["UploadId"], PartNumber=1, Body=b"y" * 10
    )
    s3.complete_multipart_upload(
        Bucket="sse-bucket",
        Key="big",
        UploadId=upload["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )

    assert s3.get_object(Bucket="sse-bucket", Key="big")["Body"].read() == b"y" * 10
