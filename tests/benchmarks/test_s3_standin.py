"""The S3 stand-in of `make bench` speaks the calls our store step makes, as S3 answers them, and paces them.

No test here times performance: the pacing checks are lower bounds the stand-in enforces by sleeping.
"""

from __future__ import annotations

import time

import boto3
import pytest
from benchmarks.s3_standin import LinkModel, s3_standin
from botocore.config import Config
from botocore.exceptions import ClientError

from sp_reports.pipeline.report_storage import MIN_PART_SIZE, ReportStorageError, store_report_document

BUCKET = "bench"
KMS_KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
FAST = LinkModel(bandwidth_bytes_per_second=1e12, latency_seconds=0.0)


def _client(url: str):
    return boto3.client(
        "s3",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(s3={"addressing_style": "path"}, retries={"mode": "standard", "max_attempts": 1}),
    )


def _chunks(total: int, size: int = 256 * 1024):
    while total > 0:
        yield b"r" * min(size, total)
        total -= size


def test_a_multipart_store_makes_the_calls_s3_would_see_with_our_kms_key():
    with s3_standin(FAST) as standin:
        total = 2 * MIN_PART_SIZE + 123
        stored = store_report_document(
            _chunks(total), _client(standin.url), BUCKET, "s/r/report.tsv", {"report-id": "R1"},
            MIN_PART_SIZE, kms_key_id=KMS_KEY,
        )  # fmt: skip
        calls = standin.calls
    assert stored.size == total == standin.object_size(BUCKET, "s/r/report.tsv")
    operations = [call.operation for call in calls]
    assert operations[:2] == ["HeadObject", "CreateMultipartUpload"]
    assert sorted(operations[2:-1]) == ["UploadPart"] * 3
    assert operations[-1] == "CompleteMultipartUpload"
    create = calls[1]
    assert create.headers["x-amz-server-side-encryption"] == "aws:kms"
    assert create.headers["x-amz-server-side-encryption-aws-kms-key-id"] == KMS_KEY
    assert sum(call.body_bytes for call in calls if call.operation == "UploadPart") == total
    assert standin.open_uploads() == []


def test_a_small_document_is_one_put_and_an_existing_object_is_left_alone():
    with s3_standin(FAST) as standin:
        s3 = _client(standin.url)
        first = store_report_document([b"sku\n"], s3, BUCKET, "k.tsv", {}, MIN_PART_SIZE, kms_key_id=KMS_KEY)
        again = store_report_document([b"other\n"], s3, BUCKET, "k.tsv", {}, MIN_PART_SIZE)
        operations = [call.operation for call in standin.calls]
    assert (first.size, first.already_existed, again.already_existed) == (4, False, True)
    assert operations == ["HeadObject", "PutObject", "HeadObject"]


def test_a_failed_store_is_aborted_and_leaves_no_object():
    def breaking():
        yield from _chunks(MIN_PART_SIZE + 1)
        raise ConnectionError("document host went away")

    with s3_standin(FAST) as standin:
        with pytest.raises(ConnectionError) as raised:
            store_report_document(breaking(), _client(standin.url), BUCKET, "k.tsv", {}, MIN_PART_SIZE)
        assert not isinstance(raised.value, ReportStorageError)
        assert "AbortMultipartUpload" in [call.operation for call in standin.calls]
        assert standin.open_uploads() == []
        assert standin.object_size(BUCKET, "k.tsv") is None


def test_complete_refuses_unknown_parts_and_small_parts_as_s3_does():
    with s3_standin(FAST) as standin:
        s3 = _client(standin.url)
        upload = s3.create_multipart_upload(Bucket=BUCKET, Key="k")["UploadId"]
        small = s3.upload_part(Bucket=BUCKET, Key="k", UploadId=upload, PartNumber=1, Body=b"x")["ETag"]
        last = s3.upload_part(Bucket=BUCKET, Key="k", UploadId=upload, PartNumber=2, Body=b"y")["ETag"]
        cases = {
            "InvalidPart": [{"PartNumber": 1, "ETag": '"nope"'}],
            "InvalidPartOrder": [{"PartNumber": 2, "ETag": last}, {"PartNumber": 1, "ETag": small}],
            "EntityTooSmall": [{"PartNumber": 1, "ETag": small}, {"PartNumber": 2, "ETag": last}],
        }
        for code, parts in cases.items():
            with pytest.raises(ClientError) as refused:
                s3.complete_multipart_upload(
                    Bucket=BUCKET, Key="k", UploadId=upload, MultipartUpload={"Parts": parts}
                )
            assert refused.value.response["Error"]["Code"] == code
        s3.abort_multipart_upload(Bucket=BUCKET, Key="k", UploadId=upload)
        with pytest.raises(ClientError) as gone:
            s3.abort_multipart_upload(Bucket=BUCKET, Key="k", UploadId=upload)
        assert gone.value.response["Error"]["Code"] == "NoSuchUpload"


def test_bodies_are_received_no_faster_than_the_link_and_each_answer_waits_the_latency():
    link = LinkModel(bandwidth_bytes_per_second=2_000_000, latency_seconds=0.05)
    with s3_standin(link) as standin:
        s3 = _client(standin.url)
        started = time.perf_counter()
        s3.put_object(Bucket=BUCKET, Key="k", Body=b"z" * 400_000)
        elapsed = time.perf_counter() - started
        assert standin.object_size(BUCKET, "k") == 400_000
    assert elapsed >= 400_000 / 2_000_000 + 0.05
