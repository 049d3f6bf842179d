"""CopyObject's destination conditions in local AWS, as the S3 API Reference (CopyObject: If-Match,
If-None-Match) documents them: each case, the copy made or refused with S3's error code."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from sp_reports_harness.local_aws.s3.conditional_copy import conditional_copy_patches

BUCKET = "copies"


@pytest.fixture
def s3(aws):
    patches = conditional_copy_patches()
    patches.install()
    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET)
    client.put_object(Bucket=BUCKET, Key="source", Body=b"new")
    try:
        yield client
    finally:
        patches.uninstall()


OTHER_ETAG = '"0123456789abcdef0123456789abcdef"'
# (the destination before the copy, the condition, the error code or None: copied)
CASES = {
    "If-None-Match * on a missing key copies": (None, {"IfNoneMatch": "*"}, None),
    "If-None-Match * on a held key fails 412": (b"old", {"IfNoneMatch": "*"}, "PreconditionFailed"),
    "If-Match the held ETag copies": (b"old", {"IfMatch": "held"}, None),
    "If-Match another ETag fails 412": (
        b"old",
        {"IfMatch": OTHER_ETAG},
        "PreconditionFailed",
    ),
    "If-Match on a missing key fails 404": (
        None,
        {"IfMatch": OTHER_ETAG},
        "NoSuchKey",
    ),
    "no condition overwrites": (b"old", {}, None),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_conditional_copy_is_made_only_when_its_destination_condition_holds(s3, case):
    held, condition, error = CASES[case]
    if held is not None:
        etag = s3.put_object(Bucket=BUCKET, Key="target", Body=held)["ETag"]
        condition = {name: etag if value == "held" else value for name, value in condition.items()}
    copy = {"Bucket": BUCKET, "Key": "target", "CopySource": {"Bucket": BUCKET, "Key": "source"}, **condition}

    if error is None:
        s3.copy_object(**copy)
        assert s3.get_object(Bucket=BUCKET, Key="target")["Body"].read() == b"new"
        return
    with pytest.raises(ClientError) as refused:
        s3.copy_object(**copy)
    assert refused.value.response["Error"]["Code"] == error
    if held is not None:
        assert s3.get_object(Bucket=BUCKET, Key="target")["Body"].read() == held
