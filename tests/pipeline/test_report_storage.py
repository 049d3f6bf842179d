"""Streaming report documents into S3: bounded memory, abort on failure, idempotent keys."""

from __future__ import annotations

import logging
import threading

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from sp_reports.pipeline.report_storage import (
    MIN_PART_SIZE,
    PARTS_IN_MEMORY,
    ReportStorageError,
    data_class_tags,
    document_extension,
    error_document_key,
    is_text_media_type,
    report_key,
    report_media_type,
    store_report_document,
)

PART = MIN_PART_SIZE
METADATA = {"report-id": "R1", "report-type": "GET_X", "seller-id": "A3TH9S8BH6GOGM"}


def _chunks(total: int, chunk_size: int = 256 * 1024, byte: bytes = b"r"):
    sent = 0
    while sent < total:
        size = min(chunk_size, total - sent)
        yield byte * size
        sent += size


def _s3():
    return boto3.client("s3", region_name="us-east-1")


def test_small_document_is_written_with_one_put_and_encrypted_with_the_reports_key(resources):
    s3 = _s3()
    stored = store_report_document(
        [b"sku\tprice\n", b"A1\t9.99\n"],
        s3,
        resources.bucket,
        "A3TH9S8BH6GOGM/GET_X/R1/report.tsv",
        METADATA,
        PART,
        kms_key_id=resources.reports_key_id,
    )
    assert (stored.size, stored.already_existed) == (18, False)
    head = s3.head_object(Bucket=resources.bucket, Key=stored.key)
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"] == resources.reports_key_id
    assert head["Metadata"] == METADATA
    assert head["ContentType"] == "text/tab-separated-values"
    body = s3.get_object(Bucket=resources.bucket, Key=stored.key)["Body"].read()
    assert body == b"sku\tprice\nA1\t9.99\n"


def test_large_document_is_uploaded_in_parts_and_reassembled_exactly(resources):
    s3 = _s3()
    total = 2 * PART + 12345
    stored = store_report_document(_chunks(total), s3, resources.bucket, "k/report.tsv", METADATA, PART)
    assert stored.size == total
    obj = s3.get_object(Bucket=resources.bucket, Key="k/report.tsv")
    assert obj["ContentLength"] == total
    # Three parts: S3 reports the part count in a multipart ETag ("<md5>-3").
    assert obj["ETag"].strip('"').endswith("-3")


def test_store_holds_a_bounded_number_of_parts_in_memory(resources):
    s3 = _s3()
    original_upload_part = s3.upload_part
    chunk = 1024 * 1024
    pulled = {"bytes": 0}
    uploaded = {"bytes": 0}
    lock = threading.Lock()
    # Parts waiting for or in an upload, the part being read, one chunk read ahead.
    bound = (PARTS_IN_MEMORY + 1) * PART + chunk

    def counting_chunks():
        for piece in _chunks(8 * PART, chunk):
            with lock:
                pulled["bytes"] += len(piece)
                assert pulled["bytes"] - uploaded["bytes"] <= bound
            yield piece

    def counting_upload_part(**kwargs):
        response = original_upload_part(**kwargs)
        with lock:
            uploaded["bytes"] += len(kwargs["Body"])  # released once its upload is done
        return response

    s3.upload_part = counting_upload_part
    stored = store_report_document(counting_chunks(), s3, resources.bucket, "k/big.tsv", METADATA, PART)
    assert stored.size == 8 * PART == uploaded["bytes"]


def test_the_next_part_is_read_while_a_part_uploads(resources):
    s3 = _s3()
    original_upload_part = s3.upload_part
    second_part_read = threading.Event()

    def chunks():
        for sent, piece in enumerate(_chunks(3 * PART, PART // 4), start=1):
            if sent * (PART // 4) >= 2 * PART:
                second_part_read.set()
            yield piece

    def slow_first_part(**kwargs):
        if kwargs["PartNumber"] == 1:
            # Taking turns would never read part 2 while part 1 is on its way: this wait would time out.
            assert second_part_read.wait(timeout=10)
        return original_upload_part(**kwargs)

    s3.upload_part = slow_first_part
    stored = store_report_document(chunks(), s3, resources.bucket, "k/overlap.tsv", METADATA, PART)
    assert stored.size == 3 * PART


def test_failure_halfway_through_a_multipart_upload_aborts_it_and_leaves_no_object(resources):
    s3 = _s3()

    def failing_after_two_parts():
        yield from _chunks(2 * PART + 1)
        raise ConnectionError("document host went away")

    with pytest.raises(ConnectionError):
        store_report_document(failing_after_two_parts(), s3, resources.bucket, "k/report.tsv", METADATA, PART)
    assert s3.list_multipart_uploads(Bucket=resources.bucket).get("Uploads", []) == []
    assert s3.list_objects_v2(Bucket=resources.bucket).get("KeyCount") == 0


def test_failure_completing_the_upload_aborts_it(resources):
    s3 = _s3()

    def refuse(**kwargs):
        raise RuntimeError("complete failed")

    s3.complete_multipart_upload = refuse
    with pytest.raises(RuntimeError):
        store_report_document(_chunks(PART + 10), s3, resources.bucket, "k/report.tsv", METADATA, PART)
    assert s3.list_multipart_uploads(Bucket=resources.bucket).get("Uploads", []) == []
    assert s3.list_objects_v2(Bucket=resources.bucket).get("KeyCount") == 0


def test_existing_object_is_left_alone_and_the_document_is_not_read(resources):
    s3 = _s3()
    s3.put_object(Bucket=resources.bucket, Key="k/report.tsv", Body=b"first copy")

    def must_not_be_read():
        raise AssertionError("the document was fetched although the report is already stored")
        yield b""  # pragma: no cover

    stored = store_report_document(must_not_be_read(), s3, resources.bucket, "k/report.tsv", METADATA, PART)
    assert (stored.already_existed, stored.size) == (True, len(b"first copy"))
    assert s3.get_object(Bucket=resources.bucket, Key="k/report.tsv")["Body"].read() == b"first copy"


def test_empty_document_is_stored_as_an_empty_object(resources):
    s3 = _s3()
    stored = store_report_document(iter(()), s3, resources.bucket, "k/empty.tsv", METADATA, PART)
    assert stored.size == 0
    assert s3.head_object(Bucket=resources.bucket, Key="k/empty.tsv")["ContentLength"] == 0


def test_part_size_below_the_s3_minimum_is_refused():
    with pytest.raises(ValueError, match="part_size"):
        store_report_document([b"x"], object(), "b", "k", {}, MIN_PART_SIZE - 1)


@pytest.mark.parametrize(
    ("report_type", "extension"),
    [
        ("GET_MERCHANT_LISTINGS_ALL_DATA", "tsv"),
        ("GET_XML_BROWSE_TREE_DATA", "xml"),
        ("GET_SALES_AND_TRAFFIC_REPORT", "json"),
        ("GET_VENDOR_INVENTORY_REPORT", "json"),
        ("GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2", "tsv"),
        ("GET_FLAT_FILE_ORDERS_RECONCILIATION_DATA_CSV", "csv"),
    ],
)
def test_key_extension_follows_the_report_type(report_type, extension):
    assert document_extension(report_type) == extension
    assert report_key("S1", report_type, "R9") == f"S1/{report_type}/R9/report.{extension}"


def test_error_document_key_sits_beside_the_report():
    assert error_document_key("S1", "GET_X", "R9") == "S1/GET_X/R9/error.json"


# No segment of a report's key may step out of its prefix (sp_reports.spapi.report_ids): (segment, value).
UNSAFE_KEY_SEGMENTS = [
    (position, value)
    for position in ("seller_id", "report_type", "report_id")
    for value in (".", "..", "....", "a/b", "/", "", "a\n", "a\\b", "x" * 129)
]


@pytest.mark.parametrize(("position", "value"), UNSAFE_KEY_SEGMENTS, ids=repr)
@pytest.mark.parametrize("key_of", [report_key, error_document_key], ids=["report", "error-document"])
def test_a_key_is_refused_when_a_segment_could_leave_the_reports_prefix(key_of, position, value):
    segments = {"seller_id": "A3TH9S8BH6GOGM", "report_type": "GET_X", "report_id": "54517018502"}
    with pytest.raises(ValueError, match=position):
        key_of(**{**segments, position: value})


def _client_error(code: str, status: int, operation: str = "UploadPart") -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}, operation
    )


@pytest.mark.parametrize(
    "failure",
    [_client_error("InternalError", 500), _client_error("SlowDown", 503), ConnectionResetError("reset")],
    ids=["500", "slow-down", "connection-reset"],
)
def test_transient_s3_failures_abort_the_upload_and_surface_as_report_storage_error(resources, failure):
    s3 = _s3()
    real_upload_part = s3.upload_part

    def upload_part_failing_on_part_two(**kwargs):
        if kwargs["PartNumber"] == 2:
            raise failure
        return real_upload_part(**kwargs)

    s3.upload_part = upload_part_failing_on_part_two
    with pytest.raises(ReportStorageError) as raised:
        store_report_document(_chunks(2 * PART + 1), s3, resources.bucket, "k/report.tsv", METADATA, PART)
    assert raised.value.__cause__ is failure  # the original stays attached for the logs
    assert s3.list_multipart_uploads(Bucket=resources.bucket).get("Uploads", []) == []
    assert s3.list_objects_v2(Bucket=resources.bucket).get("KeyCount") == 0


def test_permanent_s3_refusal_stays_a_client_error_so_the_workflow_does_not_retry_it(resources):
    s3 = _s3()

    def refuse(**kwargs):
        raise _client_error("AccessDenied", 403, "PutObject")

    s3.put_object = refuse
    with pytest.raises(ClientError) as raised:
        store_report_document([b"small"], s3, resources.bucket, "k/report.tsv", METADATA, PART)
    assert not isinstance(raised.value, ReportStorageError)
    assert raised.value.response["Error"]["Code"] == "AccessDenied"


@pytest.mark.parametrize("total", [100, 2 * PART + 7], ids=["one-put", "multipart"])
def test_late_headers_are_asked_for_once_the_download_began_and_written_on_the_object(resources, total):
    s3 = _s3()
    read = []

    def chunks():
        for chunk in _chunks(total):
            read.append(len(chunk))
            yield chunk

    def late_headers():
        assert read  # the download has begun (its first chunk is read): its headers are known
        return "text/tab-separated-values; charset=Windows-31J", {"source-charset": "Windows-31J"}

    stored = store_report_document(
        chunks(), s3, resources.bucket, "k/late.tsv", METADATA, PART, late_headers=late_headers
    )
    head = s3.head_object(Bucket=resources.bucket, Key="k/late.tsv")
    assert head["ContentType"] == stored.content_type == "text/tab-separated-values; charset=Windows-31J"
    assert head["Metadata"] == stored.metadata == {**METADATA, "source-charset": "Windows-31J"}
    assert head["ContentLength"] == stored.size == total


def test_an_existing_object_is_described_as_s3_holds_it(resources):
    s3 = _s3()
    s3.put_object(
        Bucket=resources.bucket,
        Key="k/old.tsv",
        Body=b"x",
        ContentType="text/tab-separated-values; charset=UTF-8",
        Metadata={"source-charset": "windows-1252"},
    )
    stored = store_report_document(iter(()), s3, resources.bucket, "k/old.tsv", METADATA, PART)
    assert stored.already_existed and stored.content_type == "text/tab-separated-values; charset=UTF-8"
    assert stored.metadata == {"source-charset": "windows-1252"}


@pytest.mark.parametrize(
    ("report_type", "media_type"),
    [
        # From the report-type catalogue (spapi/report_types.json, SP-API's report type values):
        ("GET_MERCHANT_LISTINGS_ALL_DATA", "text/tab-separated-values"),
        ("GET_XML_BROWSE_TREE_DATA", "application/xml"),
        ("SC_VAT_TAX_REPORT", "text/csv"),
        ("GET_V2_SELLER_PERFORMANCE_REPORT", "application/json"),
        ("GET_EASYSHIP_DOCUMENTS", "application/pdf"),
        ("FEE_DISCOUNTS_REPORT", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        # Not in the catalogue (SP-API adds types): from the key's extension, as before.
        ("GET_SOMETHING_NEW_XML", "application/xml"),
        ("GET_SOMETHING_NEW", "text/tab-separated-values"),
    ],
)
def test_the_media_type_comes_from_the_catalogue_else_from_the_key(report_type, media_type):
    assert report_media_type(report_type) == media_type


@pytest.mark.parametrize(
    ("media_type", "text"),
    [
        ("text/tab-separated-values", True),
        ("text/csv", True),
        ("application/xml", True),
        ("application/json", True),
        ("application/atom+xml", True),
        ("application/pdf", False),
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", False),
        ("application/octet-stream", False),
    ],
)
def test_a_charset_applies_to_text_media_types_only(media_type, text):
    assert is_text_media_type(media_type) is text


@pytest.mark.parametrize(
    ("abort_failure", "named"),
    [
        (_client_error("InternalError", 500, "AbortMultipartUpload"), "InternalError (HTTP 500)"),
        (
            # botocore's text names the endpoint URL with its query: only the type may be logged.
            BotoConnectionError(error="https://b.s3.amazonaws.com/k?uploadId=U&X-Amz-Signature=SECRET"),
            "ConnectionError",
        ),
    ],
    ids=["s3-error", "connection"],
)
def test_a_failed_abort_is_logged_as_a_warning_without_urls_and_the_upload_failure_still_surfaces(
    resources, caplog, abort_failure, named
):
    s3 = _s3()
    real_upload_part = s3.upload_part

    def upload_part_refused_on_part_two(**kwargs):
        if kwargs["PartNumber"] == 2:
            raise _client_error("AccessDenied", 403)
        return real_upload_part(**kwargs)

    def abort_failing(**kwargs):
        raise abort_failure

    s3.upload_part = upload_part_refused_on_part_two
    s3.abort_multipart_upload = abort_failing
    with caplog.at_level(logging.WARNING, logger="sp_reports.pipeline"), pytest.raises(ClientError) as raised:
        store_report_document(_chunks(2 * PART + 1), s3, resources.bucket, "k/report.tsv", METADATA, PART)
    assert raised.value.response["Error"]["Code"] == "AccessDenied"  # the upload's failure, not the abort's
    (upload,) = s3.list_multipart_uploads(Bucket=resources.bucket)["Uploads"]  # left for the lifecycle rule
    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1
    message = warnings[0].getMessage()
    assert upload["UploadId"] in message and f"s3://{resources.bucket}/k/report.tsv" in message
    assert named in message
    assert "SECRET" not in message and "https://" not in message


def test_a_successful_abort_logs_no_warning(resources, caplog):
    s3 = _s3()

    def failing_after_two_parts():
        yield from _chunks(2 * PART + 1)
        raise ConnectionError("document host went away")

    with caplog.at_level(logging.WARNING, logger="sp_reports.pipeline"), pytest.raises(ConnectionError):
        store_report_document(failing_after_two_parts(), s3, resources.bucket, "k/report.tsv", METADATA, PART)
    assert [record for record in caplog.records if record.levelno >= logging.WARNING] == []
    assert s3.list_multipart_uploads(Bucket=resources.bucket).get("Uploads", []) == []


def test_a_document_whose_download_says_it_is_too_large_is_refused_before_anything_is_uploaded(resources):
    from sp_reports.pipeline.errors import ReportDocumentTooLargeError

    s3 = _s3()
    read = []

    def document():
        for chunk in _chunks(3 * PART):
            read.append(len(chunk))
            yield chunk

    with pytest.raises(ReportDocumentTooLargeError) as refused:
        store_report_document(
            document(),
            s3,
            resources.bucket,
            "A3TH9S8BH6GOGM/GET_X/R1/report.tsv",
            METADATA,
            PART,
            max_bytes=2 * PART,
            served_bytes=lambda: 3 * PART,  # the download's Content-Length, known once it opened
        )
    error = refused.value
    assert (error.size, error.limit, error.declared) == (3 * PART, 2 * PART, True)
    assert str(error).startswith(
        f"document of {3 * PART} bytes (its download's Content-Length) exceeds what the storer can store in "
        f"its time, {2 * PART} bytes (max_document_bytes); raise max_document_bytes together with the "
        "storer's timeout and memory"
    )
    assert len(read) == 1  # the first chunk, which opened the download
    assert s3.list_objects_v2(Bucket=resources.bucket)["KeyCount"] == 0
    assert s3.list_multipart_uploads(Bucket=resources.bucket).get("Uploads", []) == []


def test_a_document_that_grows_past_the_limit_as_it_streams_stops_there_and_its_upload_is_aborted(resources):
    from sp_reports.pipeline.errors import ReportDocumentTooLargeError

    s3 = _s3()
    with pytest.raises(ReportDocumentTooLargeError) as refused:
        store_report_document(
            _chunks(4 * PART),
            s3,
            resources.bucket,
            "A3TH9S8BH6GOGM/GET_X/R1/report.tsv",
            METADATA,
            PART,
            max_bytes=PART + 1,
            served_bytes=lambda: PART // 3,  # gzipped: the download is smaller than the document
        )
    error = refused.value
    assert (error.limit, error.declared) == (PART + 1, False) and PART + 1 < error.size <= 2 * PART
    assert f"document of more than {PART + 1} bytes (stopped at {error.size})" in str(error)
    assert s3.list_objects_v2(Bucket=resources.bucket)["KeyCount"] == 0
    assert s3.list_multipart_uploads(Bucket=resources.bucket).get("Uploads", []) == []


def test_a_document_within_the_limit_is_stored_whole(resources):
    stored = store_report_document(
        _chunks(PART + 10),
        _s3(),
        resources.bucket,
        "A3TH9S8BH6GOGM/GET_X/R1/report.tsv",
        METADATA,
        PART,
        max_bytes=PART + 10,
        served_bytes=lambda: PART + 10,
    )
    assert stored.size == PART + 10


def test_the_default_limit_is_what_the_benchmarked_store_writes_in_half_the_storers_timeout():
    """docs/benchmarks.md: 4.61 CPU s per GiB into S3; 512 MB buys 512/1769 of a vCPU; half of 300 s."""
    from sp_reports.pipeline.report_storage import DEFAULT_MAX_DOCUMENT_BYTES, max_document_bytes_for

    assert max_document_bytes_for(300, 512) == DEFAULT_MAX_DOCUMENT_BYTES
    assert 9.4 < DEFAULT_MAX_DOCUMENT_BYTES / 2**30 < 9.5  # 150 s x 512/1769 / 4.61 s per GiB
    assert max_document_bytes_for(900, 1769) == max_document_bytes_for(900, 3008)  # one vCPU is the cap
    assert max_document_bytes_for(600, 512) // 2 == max_document_bytes_for(300, 512)


@pytest.mark.parametrize(
    ("report_type", "data_class"),
    [
        ("GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING", "restricted"),  # restricted (PII) in the catalogue
        ("GET_MERCHANT_LISTINGS_ALL_DATA", "standard"),
        ("GET_TYPE_THE_CATALOGUE_DOES_NOT_KNOW", "standard"),
    ],
)
@pytest.mark.parametrize("total", [10, PART + 1])  # one PutObject; a multipart upload
def test_the_object_is_tagged_with_its_data_class_as_it_is_written(resources, report_type, data_class, total):
    s3 = _s3()
    stored = store_report_document(
        _chunks(total),
        s3,
        resources.bucket,
        report_key("A3TH9S8BH6GOGM", report_type, "R9"),
        METADATA,
        PART,
        kms_key_id=resources.reports_key_id,
        tags=data_class_tags(report_type),
    )

    tags = s3.get_object_tagging(Bucket=resources.bucket, Key=stored.key)["TagSet"]
    assert tags == [{"Key": "data-class", "Value": data_class}]
