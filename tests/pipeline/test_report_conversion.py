"""The workflow's converting task, called as the report_converter handler calls it, against moto: what it
reads from the record and the raw object (charset, tags), the record's Conversion, the counted metrics, a
report started by hand without a record, and a state that names no stored report."""

from __future__ import annotations

import io
import json

import boto3
import pyarrow.parquet
import pytest

from sp_reports.pipeline.report_conversion import ReportConverter, StoredReportMissingError
from sp_reports.pipeline.report_records import PullWindowRef, ReportRecords
from sp_reports.pipeline.report_specifications import ReportSpecification
from sp_reports_harness.local_aws.s3.conditional_copy import conditional_copy_patches
from tests.support.canaries import SELLER_ID

ALL_ORDERS = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"
DE = "A1PA6795UKMFR9"  # Germany: decimals written 1.234,56
HEADER = "amazon-order-id\tpurchase-date\tlast-updated-date\tsku\tquantity\tcurrency\titem-price\tgift-note"
# cp1252 bytes (the marketplace's charset, named on the object as the storer names it), a German price, an
# unknown column and a quantity that is no number.
DOCUMENT = (
    f"{HEADER}\n"
    "302-1\t2026-11-02T10:15:00+01:00\t2026-11-02T12:00:00+01:00\tSKU-Ä\t2\tEUR\t1.234,56\tfür dich\n"
    "302-2\t2026-11-03T08:00:00+01:00\t2026-11-03T09:30:00+01:00\tSKU-B\tzwei\tEUR\t5,00\t\n"
).encode("cp1252")


@pytest.fixture(autouse=True)
def conditional_copies(aws):
    """CopyObject's destination conditions, which the pinned moto ignores (local AWS: s3.conditional_copy)."""
    patches = conditional_copy_patches()
    patches.install()
    try:
        yield
    finally:
        patches.uninstall()


@pytest.fixture
def records(resources) -> ReportRecords:
    return ReportRecords(resources.reports_table, boto3.client("dynamodb"))


@pytest.fixture
def converter(resources, records, telemetry) -> ReportConverter:
    return ReportConverter(
        s3_client=boto3.client("s3"),
        records=records,
        kms_key_id=resources.reports_key_id,
        logger=telemetry.logger,
        metrics=telemetry.metrics,
    )


def _stored(resources, report_id: str, document: bytes = DOCUMENT) -> dict:
    key = f"{SELLER_ID}/{ALL_ORDERS}/{report_id}/report.tsv"
    boto3.client("s3").put_object(
        Bucket=resources.bucket,
        Key=key,
        Body=document,
        ContentType="text/tab-separated-values; charset=windows-1252",
        Tagging="DataClass=restricted",
    )
    return {"bucket": resources.bucket, "key": key, "size": len(document), "alreadyStored": False,
            "errorDocument": False}  # fmt: skip


def _state(report_id: str, stored: dict) -> dict:
    return {
        "reportId": report_id,
        "sellerId": SELLER_ID,
        "reportType": ALL_ORDERS,
        "processingStatus": "DONE",
        "marketplaceIds": [DE],
        "stored": stored,
    }


def _metrics(telemetry) -> dict[str, float]:
    counts = telemetry.counts()
    return {name: counts[name] for name in ("ConversionProblems", "UnknownColumns", "ConversionRejected")}


def test_the_record_and_the_raw_object_decide_the_request_and_the_outcome_is_recorded_and_counted(
    resources, records, converter, telemetry
):
    specification = ReportSpecification(
        seller_id=SELLER_ID,
        region_code="EU",
        report_type=ALL_ORDERS,
        marketplace_ids=(DE,),
        data_start_time="2026-11-02T00:00:00Z",
        data_end_time="2026-11-04T00:00:00Z",
    )
    records.record_requested("52000000001", specification)

    outcome = converter.convert(_state("52000000001", _stored(resources, "52000000001")))

    (file,) = outcome["files"]
    assert file["key"] == (
        f"curated/all_orders/seller_id={SELLER_ID}/marketplace={DE}/dt=2026-11-02/"
        f"{ALL_ORDERS}_20261102T000000Z_20261104T000000Z.parquet"
    )
    assert outcome["status"] == "CONVERTED_WITH_PROBLEMS" and outcome["unknownColumns"] == ["gift-note"]
    assert outcome["problems"] == [
        {"row": 3, "column": "quantity", "reason": outcome["problems"][0]["reason"]}
    ]
    s3 = boto3.client("s3")
    body = s3.get_object(Bucket=resources.bucket, Key=file["key"])["Body"].read()
    rows = pyarrow.parquet.read_table(io.BytesIO(body)).to_pylist()
    assert [(r["sku"], r["quantity"], str(r["item_price"])) for r in rows] == [
        ("SKU-Ä", 2, "1234.56"),
        ("SKU-B", None, "5.00"),
    ]
    tags = s3.get_object_tagging(Bucket=resources.bucket, Key=file["key"])["TagSet"]
    assert tags == [{"Key": "DataClass", "Value": "restricted"}]
    assert records.get("52000000001").conversion == outcome
    assert _metrics(telemetry) == {"ConversionProblems": 1, "UnknownColumns": 1, "ConversionRejected": 0}
    logged = telemetry.output.getvalue()
    assert "1.234,56" not in logged and "für dich" not in logged  # keys and row numbers, never values


def test_a_report_started_by_hand_without_a_record_converts_from_the_execution_input(
    resources, records, converter
):
    outcome = converter.convert(_state("52000000002", _stored(resources, "52000000002")))

    (file,) = outcome["files"]
    assert file["key"].startswith(f"curated/all_orders/seller_id={SELLER_ID}/marketplace={DE}/")
    assert file["key"].endswith(f"/{ALL_ORDERS}_52000000002.parquet") and records.get("52000000002") is None


def test_a_rerun_overwrites_the_same_key_and_the_same_record(resources, records, converter):
    records.record_requested(
        "52000000003",
        ReportSpecification(
            seller_id=SELLER_ID, region_code="EU", report_type=ALL_ORDERS, marketplace_ids=(DE,)
        ),
    )
    state = _state("52000000003", _stored(resources, "52000000003"))

    first, second = converter.convert(state), converter.convert(json.loads(json.dumps(state)))

    assert first == second == records.get("52000000003").conversion
    listed = boto3.client("s3").list_objects_v2(Bucket=resources.bucket, Prefix="curated")["Contents"]
    assert [o["Key"] for o in listed] == [first["files"][0]["key"]]


@pytest.mark.parametrize(
    "stored",
    [None, {"bucket": "b", "key": "k", "errorDocument": True}, {"bucket": "", "key": "k"}],
)
def test_a_state_naming_no_stored_report_document_is_refused(converter, stored):
    state = _state("52000000004", stored)
    if stored is None:
        del state["stored"]
    with pytest.raises(StoredReportMissingError):
        converter.convert(state)


def _window_report(records, resources, report_id: str, version: int, document: bytes = DOCUMENT) -> dict:
    """A report of one plan window (the same data range each time), version `version`; its state."""
    records.record_requested(
        report_id,
        ReportSpecification(
            seller_id=SELLER_ID,
            region_code="EU",
            report_type=ALL_ORDERS,
            marketplace_ids=(DE,),
            data_start_time="2026-11-02T00:00:00Z",
            data_end_time="2026-11-04T00:00:00Z",
        ),
        pull_window=PullWindowRef(plan_id="plan-1", window_key="2026-11-02", version=version),
    )
    return _state(report_id, _stored(resources, report_id, document))


def _curated_file(resources, key: str) -> tuple[str | None, list[str]]:
    """The curated file's window version and its rows' SKUs."""
    s3 = boto3.client("s3")
    version = s3.head_object(Bucket=resources.bucket, Key=key)["Metadata"].get("window-version")
    body = s3.get_object(Bucket=resources.bucket, Key=key)["Body"].read()
    return version, [row["sku"] for row in pyarrow.parquet.read_table(io.BytesIO(body)).to_pylist()]


NEWER_DOCUMENT = (
    f"{HEADER}\n302-1\t2026-11-02T10:15:00+01:00\t2026-11-03T12:00:00+01:00\tSKU-NEW\t1\tEUR\t3,00\t\n"
).encode("cp1252")


def test_an_older_window_version_never_replaces_a_newer_ones_file_and_says_superseded(
    resources, records, converter
):
    newer_state = _window_report(records, resources, "52000000012", 2, NEWER_DOCUMENT)
    newer = converter.convert(newer_state)
    (file,) = newer["files"]
    assert _curated_file(resources, file["key"]) == ("2", ["SKU-NEW"])

    # A redriven execution of the window's first version converts after the second's.
    older = converter.convert(_window_report(records, resources, "52000000011", 1))

    assert older["status"] == "SUPERSEDED" and older["files"] == []
    assert records.get("52000000011").conversion == older
    assert _curated_file(resources, file["key"]) == ("2", ["SKU-NEW"])
    staged = boto3.client("s3").list_objects_v2(Bucket=resources.bucket, Prefix="curated-staging/")
    assert staged["KeyCount"] == 0

    # The same version again (a re-run) and a newer one replace it.
    assert converter.convert(newer_state)["files"] == newer["files"]
    newest = converter.convert(_window_report(records, resources, "52000000013", 3))
    assert newest["status"] == "CONVERTED_WITH_PROBLEMS" and newest["files"][0]["key"] == file["key"]
    assert _curated_file(resources, file["key"]) == ("3", ["SKU-Ä", "SKU-B"])


def test_a_newer_version_written_between_the_check_and_the_copy_is_not_replaced(
    resources, records, converter, monkeypatch
):
    converter.convert(_window_report(records, resources, "52000000021", 1))
    s3 = converter._s3
    real_head = s3.head_object
    racing = []

    def head_then_a_newer_version_lands(**kwargs):
        head = real_head(**kwargs)
        if kwargs["Key"].startswith("curated/") and not racing:
            racing.append(kwargs["Key"])  # version 5 lands after the check, before the copy
            s3.put_object(
                Bucket=kwargs["Bucket"], Key=kwargs["Key"], Body=b"v5", Metadata={"window-version": "5"}
            )
        return head

    monkeypatch.setattr(s3, "head_object", head_then_a_newer_version_lands)

    outcome = converter.convert(_window_report(records, resources, "52000000024", 4))

    assert outcome["status"] == "SUPERSEDED" and racing
    assert s3.get_object(Bucket=resources.bucket, Key=racing[0])["Body"].read() == b"v5"


def test_a_report_without_a_window_version_publishes_over_any_file(resources, records, converter):
    window_file = converter.convert(_window_report(records, resources, "52000000031", 7))["files"][0]["key"]
    records.record_requested(
        "52000000032",
        ReportSpecification(
            seller_id=SELLER_ID,
            region_code="EU",
            report_type=ALL_ORDERS,
            marketplace_ids=(DE,),
            data_start_time="2026-11-02T00:00:00Z",
            data_end_time="2026-11-04T00:00:00Z",
        ),
    )

    outcome = converter.convert(_state("52000000032", _stored(resources, "52000000032", NEWER_DOCUMENT)))

    assert outcome["files"][0]["key"] == window_file
    assert _curated_file(resources, window_file) == (None, ["SKU-NEW"])
