"""Every document the SP-API emulator writes for a schema'd report type (spapi_emulator.schema_documents: the
marketplace's charset, number and date formats, localized headers) converts whole: every row typed, no
problem, in US, German and Japanese reports alike."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest

from sp_reports.analytics.conversion import ConversionRequest, convert_report
from sp_reports.analytics.table_schemas import TABLE_SCHEMAS
from sp_reports.spapi.charsets import document_charset
from sp_reports.spapi.regions import REGIONS
from spapi_emulator import state as st
from spapi_emulator.document_charsets import content_type, served_charset
from spapi_emulator.schema_documents import schema_document

BUCKET = "sp-reports-documents"
SELLER = "A2EMULATEDSELLER"
MARKETPLACES = {
    "US": REGIONS["NA"].marketplaces["US"],
    "DE": REGIONS["EU"].marketplaces["DE"],
    "JP": REGIONS["FE"].marketplaces["JP"],
}
REPORT_TYPES = sorted({name for table in TABLE_SCHEMAS.values() for name in table.report_types})
START = datetime(2026, 11, 28, tzinfo=UTC)
END = datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC)
CREATED = datetime(2026, 12, 1, 6, tzinfo=UTC)


@pytest.fixture
def s3(aws):
    client = boto3.client("s3", region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture
def kms_key(aws):
    return boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["Arn"]


def _emulated(report_type, marketplace, options=None):
    report = st.Report(
        "50001018001",
        SELLER,
        report_type,
        [marketplace],
        created=CREATED,
        created_mono=0.0,
        data_start_time=START.isoformat(),
        data_end_time=END.isoformat(),
        report_options=options,
    )
    document = schema_document(report)
    assert document is not None
    # The charset the store records for the download (sp_reports.pipeline.document_charsets): the label the
    # emulator serves, or the marketplace's documented default when it serves none.
    served = served_charset(report_type, [marketplace])
    charset = document_charset(content_type(served.label), [marketplace]).charset
    return document, charset.iana_name if charset else None


def _data_lines(document: bytes, codec: str) -> int:
    return len([line for line in document.decode(codec).splitlines()[1:] if line.strip()])


@pytest.mark.parametrize("country", sorted(MARKETPLACES))
@pytest.mark.parametrize("report_type", REPORT_TYPES)
def test_an_emulated_document_converts_without_problems(s3, kms_key, report_type, country):
    marketplace = MARKETPLACES[country]
    document, charset = _emulated(report_type, marketplace)
    s3.put_object(Bucket=BUCKET, Key="raw/report", Body=document)

    outcome = convert_report(
        s3,
        ConversionRequest(
            bucket=BUCKET,
            raw_key="raw/report",
            kms_key_id=kms_key,
            seller_id=SELLER,
            report_id="50001018001",
            report_type=report_type,
            marketplace_ids=(marketplace,),
            data_start=START,
            data_end=END,
            created=CREATED,
            charset=charset,
            tags={"data-class": "standard"},
        ),
    )

    assert (outcome.status, outcome.problems, outcome.unknown_columns) == ("CONVERTED", (), ())
    assert outcome.files and all(file.rows > 0 for file in outcome.files)
    if not report_type.startswith("GET_SALES_AND_TRAFFIC"):
        (file,) = outcome.files
        assert file.rows == _data_lines(document, served_charset(report_type, [marketplace]).codec)


def test_an_emulated_chinese_listings_report_reads_its_localized_headers(s3, kms_key):
    marketplace = MARKETPLACES["US"]
    options = {"preferredReportDocumentLocale": "zh_CN"}
    document, charset = _emulated("GET_MERCHANT_LISTINGS_ALL_DATA", marketplace, options)
    assert "卖家 SKU".encode() in document
    s3.put_object(Bucket=BUCKET, Key="raw/listings", Body=document)

    outcome = convert_report(
        s3,
        ConversionRequest(
            bucket=BUCKET,
            raw_key="raw/listings",
            kms_key_id=kms_key,
            seller_id=SELLER,
            report_id="50001018002",
            report_type="GET_MERCHANT_LISTINGS_ALL_DATA",
            marketplace_ids=(marketplace,),
            data_start=None,
            data_end=None,
            created=CREATED,
            charset=charset,
            tags={},
        ),
    )

    assert (outcome.status, outcome.problems) == ("CONVERTED", ())
    assert outcome.files[0].rows == _data_lines(document, "utf-8")
    # a header repeated over several columns ("not applicable"; "商品编码" for both listing and product id)
    # is no alias: each column's cells are kept, named by position after the first
    assert {name.split(" (column")[0] for name in outcome.unknown_columns} == {"不适用项目", "商品编码"}
