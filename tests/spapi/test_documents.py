"""Report documents stream in bounded chunks, gunzip by magic bytes, never end silently short."""

from __future__ import annotations

import gzip
import itertools
import logging

import boto3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sp_reports.pipeline.report_storage import MIN_PART_SIZE, store_report_document
from sp_reports.spapi import documents
from sp_reports.spapi.documents import _Gunzip, iter_report_document
from sp_reports.spapi.errors import ReportDocumentError
from spapi_emulator import SpApiEmulator
from tests.support.canaries import assert_no_secrets
from tests.support.spapi_exchanges import DocumentHost, StaticDocuments, make_clients, spapi_exchanges

LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"
CONTENT = b"".join(b"sku-%06d\tItem number %d\t%d.99\n" % (n, n, n % 100) for n in range(60_000))


def _document_id(emulator: SpApiEmulator, reports, content: bytes = CONTENT) -> str:
    report_id = reports.create_report(LISTINGS, ["ATVPDKIKX0DER"])
    emulator.finish_report(report_id, "DONE", content)
    return reports.get_report(report_id)["reportDocumentId"]


def _no_sleep(_seconds: float) -> None:
    return None


def test_a_gzip_document_streams_decompressed_in_bounded_chunks(manual_emulator, session) -> None:
    _lwa, _http, reports = make_clients(session)
    document_id = _document_id(manual_emulator, reports)
    chunks = list(iter_report_document(reports, document_id, chunk_size=64 * 1024, session=session))
    assert b"".join(chunks) == CONTENT
    assert len(chunks) > 20 and max(len(c) for c in chunks) <= 64 * 1024


def test_the_downloads_content_length_is_kept_once_it_opened(manual_emulator, session) -> None:
    """getReportDocument names no size; the download's Content-Length (gzipped bytes here) is the first."""
    _lwa, _http, reports = make_clients(session)
    document_id = _document_id(manual_emulator, reports)
    stream = iter_report_document(reports, document_id, session=session)
    assert stream.content_length is None  # nothing fetched yet
    first = next(stream)
    served = gzip.compress(CONTENT)
    assert first and 0 < stream.content_length < len(CONTENT)
    assert abs(stream.content_length - len(served)) < len(served) // 10
    stream.close()


def test_the_document_host_gets_no_access_token(manual_emulator, session) -> None:
    _lwa, _http, reports = make_clients(session)
    document_id = _document_id(manual_emulator, reports, b"a\tb\n")
    assert b"".join(iter_report_document(reports, document_id, session=session)) == b"a\tb\n"
    downloads = [r for r in session.sent if "/_documents/" in r.url]
    assert len(downloads) == 1
    assert "x-amz-access-token" not in downloads[0].headers and "user-agent" in downloads[0].headers


def test_plain_bytes_labelled_gzip_pass_through(manual_emulator, session) -> None:
    _lwa, _http, reports = make_clients(session)
    document_id = _document_id(manual_emulator, reports)
    manual_emulator.plain_labelled_gzip()
    assert reports.get_report_document(document_id).compression_algorithm == "GZIP"
    assert b"".join(iter_report_document(reports, document_id, session=session)) == CONTENT


def test_an_uncompressed_document_passes_through(models_dir, monkeypatch, session) -> None:
    from tests.support.canaries import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, SELLER_ID

    with SpApiEmulator(models_dir=models_dir, auto_advance=False, compress_documents=False) as emulator:
        emulator.register_app(CLIENT_ID, CLIENT_SECRET)
        emulator.register_seller(REFRESH_TOKEN, SELLER_ID)
        monkeypatch.setenv("SP_REPORTS_TEST_ENDPOINTS", "true")  # a stand-in of SP-API: a test deployment
        monkeypatch.setenv("SPAPI_ENDPOINT_URL", emulator.url)
        monkeypatch.setenv("LWA_ENDPOINT_URL", emulator.lwa_url)
        _lwa, _http, reports = make_clients(session)
        for content in (CONTENT, b"x", b""):
            document_id = _document_id(emulator, reports, content)
            assert reports.get_report_document(document_id).compression_algorithm is None
            assert b"".join(iter_report_document(reports, document_id, session=session)) == content
    assert emulator.contract_violations() == []


def test_a_truncated_gzip_document_raises_instead_of_ending_short(manual_emulator, session) -> None:
    _lwa, _http, reports = make_clients(session)
    document_id = _document_id(manual_emulator, reports)
    manual_emulator.truncated_gzip()
    received = bytearray()
    with pytest.raises(ReportDocumentError, match="truncated gzip") as raised:
        for chunk in iter_report_document(reports, document_id, session=session):
            received += chunk
    assert len(received) < len(CONTENT)
    assert raised.value.report_document_id == document_id
    assert_no_secrets(str(raised.value) + repr(raised.value))


def test_an_expired_url_is_replaced_by_a_fresh_one(manual_emulator, session) -> None:
    _lwa, _http, reports = make_clients(session)
    document_id = _document_id(manual_emulator, reports)
    manual_emulator.expire_urls_immediately(times=1)
    assert b"".join(iter_report_document(reports, document_id, session=session, sleep=_no_sleep)) == CONTENT
    assert len(spapi_exchanges(manual_emulator, "getReportDocument")) == 2


def test_urls_that_keep_expiring_end_in_an_error(manual_emulator, session) -> None:
    _lwa, _http, reports = make_clients(session)
    document_id = _document_id(manual_emulator, reports)
    manual_emulator.expire_urls_immediately(times=None)
    with pytest.raises(ReportDocumentError, match=r"kept refusing fresh URLs \(HTTP 403\)"):
        list(iter_report_document(reports, document_id, session=session, max_url_refreshes=2))
    assert len(spapi_exchanges(manual_emulator, "getReportDocument")) == 3


def test_document_host_errors_are_retried_then_reported(manual_emulator, session) -> None:
    _lwa, _http, reports = make_clients(session)
    document_id = _document_id(manual_emulator, reports)
    manual_emulator.inject("downloadDocument", 503, times=2)
    sleeps: list[float] = []
    assert (
        b"".join(iter_report_document(reports, document_id, session=session, sleep=sleeps.append)) == CONTENT
    )
    assert len(sleeps) == 2
    manual_emulator.inject("downloadDocument", 500, times=None)
    with pytest.raises(ReportDocumentError, match=r"gave up after 3 attempts \(HTTP 500"):
        list(iter_report_document(reports, document_id, session=session, sleep=_no_sleep, max_retries=2))
    manual_emulator.clear_faults()
    manual_emulator.inject("downloadDocument", 404, times=1)
    with pytest.raises(ReportDocumentError, match="HTTP 404"):
        list(iter_report_document(reports, document_id, session=session))


def test_a_download_broken_mid_body_resumes_with_a_206_and_stores_the_exact_bytes(
    manual_emulator, session, aws
) -> None:
    _lwa, _http, reports = make_clients(session)
    document_id = _document_id(manual_emulator, reports)
    stored = manual_emulator.app.state.documents[document_id].content  # the gzip bytes the URL serves
    cut = len(stored) // 2
    manual_emulator.cut_download(cut)  # Content-Length promises everything, the connection drops at `cut`
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="reports")

    written = store_report_document(
        iter_report_document(reports, document_id, chunk_size=16 * 1024, session=session, sleep=_no_sleep),
        s3,
        "reports",
        "A3TH9S8BH6GOGM/GET_MERCHANT_LISTINGS_ALL_DATA/1/report.tsv",
        {},
        MIN_PART_SIZE,
    )

    assert written.size == len(CONTENT)
    assert s3.get_object(Bucket="reports", Key=written.key)["Body"].read() == CONTENT
    downloads = [e for e in manual_emulator.exchanges if e.kind == "document"]
    assert [d.status for d in downloads] == [200, 206]
    first, resumed = [r.headers.get("range") for r in session.sent if "/_documents/" in r.url]
    assert first is None
    offset = int(resumed.removeprefix("bytes=").removesuffix("-"))
    assert 0 < offset <= cut
    assert downloads[1].response_headers["Content-Range"] == f"bytes {offset}-{len(stored) - 1}/{len(stored)}"
    assert len(downloads[1].response_body) == len(stored) - offset


def test_a_host_that_ignores_range_has_the_prefix_skipped() -> None:
    body = gzip.compress(CONTENT)
    with DocumentHost(body, cut_after=len(body) // 2, honour_range=False) as host:
        received = b"".join(iter_report_document(StaticDocuments(host.url), "doc-1", sleep=_no_sleep))
    assert received == CONTENT and len(host.ranges) == 2


def test_multi_member_gzip_is_fully_decompressed() -> None:
    body = gzip.compress(b"first member\n") + gzip.compress(b"second member\n") + b"\x00" * 8
    with DocumentHost(body) as host:
        assert b"".join(iter_report_document(StaticDocuments(host.url), "doc-1")) == (
            b"first member\nsecond member\n"
        )


def test_corrupt_gzip_raises() -> None:
    body = gzip.compress(CONTENT)
    corrupt = body[:20] + bytes(b ^ 0xFF for b in body[20:200]) + body[200:]
    with DocumentHost(corrupt) as host, pytest.raises(ReportDocumentError, match="corrupt gzip"):
        list(iter_report_document(StaticDocuments(host.url), "doc-1"))


def test_a_gzip_bomb_is_decompressed_in_bounded_steps() -> None:
    body = gzip.compress(b"\x00" * (32 * 1024 * 1024), compresslevel=9)
    assert len(body) < 64 * 1024
    with DocumentHost(body) as host:
        sizes = [
            len(c) for c in iter_report_document(StaticDocuments(host.url), "doc-1", chunk_size=256 * 1024)
        ]
    assert sum(sizes) == 32 * 1024 * 1024 and max(sizes) <= 256 * 1024


def test_download_logs_never_show_the_presigned_url(manual_emulator, session, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    _lwa, _http, reports = make_clients(session)
    document_id = _document_id(manual_emulator, reports)
    manual_emulator.expire_urls_immediately(times=1)
    assert b"".join(iter_report_document(reports, document_id, session=session, sleep=_no_sleep)) == CONTENT
    assert "fetching a fresh one" in caplog.text
    assert any("/_documents/" in r.getMessage() for r in caplog.records)  # urllib3's request line, redacted
    assert_no_secrets(caplog.text + " ".join(str(r.__dict__) for r in caplog.records))


@settings(max_examples=60, deadline=None)
@given(
    members=st.lists(st.binary(max_size=4000), min_size=1, max_size=3),
    cuts=st.lists(st.integers(min_value=0, max_value=20000), max_size=8),
    chunk_size=st.integers(min_value=1, max_value=5000),
)
def test_gunzip_output_does_not_depend_on_how_the_bytes_arrive(members, cuts, chunk_size) -> None:
    body = b"".join(gzip.compress(member) for member in members)
    bounds = sorted({0, len(body), *(c % (len(body) + 1) for c in cuts)})
    decoder = _Gunzip("doc-1", chunk_size)
    out = bytearray()
    for start, end in itertools.pairwise(bounds):
        for piece in decoder.feed(body[start:end]):
            assert len(piece) <= chunk_size
            out += piece
    out += b"".join(decoder.finish())
    assert bytes(out) == b"".join(members)


@settings(max_examples=30, deadline=None)
@given(content=st.binary(min_size=1, max_size=3000), keep=st.floats(min_value=0.0, max_value=0.95))
def test_any_cut_short_gzip_stream_is_reported(content, keep) -> None:
    body = gzip.compress(content)
    decoder = _Gunzip("doc-1", 1024)
    with pytest.raises(ReportDocumentError):
        list(decoder.feed(body[: int(len(body) * keep)]))
        list(decoder.finish())


def _emulated_document(emulator: SpApiEmulator, report_type: str, country_path: tuple[str, str]) -> str:
    """A DONE report of `report_type` in one marketplace, with the emulator's own document for it."""
    from datetime import UTC, datetime

    from sp_reports.spapi.regions import REGIONS
    from spapi_emulator import state as emulator_state
    from tests.support.canaries import SELLER_ID

    region, country = country_path
    report_id = f"R-{report_type}-{country}"
    emulator.app.add_report(
        emulator_state.Report(
            report_id, SELLER_ID, report_type, [REGIONS[region].marketplaces[country]], datetime.now(UTC), 0.0
        )
    )
    emulator.finish_report(report_id, "DONE")
    return emulator.app.state.reports[report_id].report_document_id


def test_the_download_content_type_is_kept_on_the_stream_once_it_opens(manual_emulator, session) -> None:
    _lwa, _http, reports = make_clients(session)
    document_id = _emulated_document(manual_emulator, LISTINGS, ("FE", "JP"))
    stream = iter_report_document(reports, document_id, session=session)
    assert stream.content_type is None and not [r for r in session.sent if "/_documents/" in r.url]
    assert stream.compression_algorithm is None
    body = b"".join(stream)
    assert stream.content_type == "text/plain; charset=windows-31j"
    # What getReportDocument named, from the one call the download made.
    assert stream.compression_algorithm == "GZIP"
    assert len([r for r in session.sent if r.url.endswith(f"/documents/{document_id}")]) == 1
    assert "白いペン".encode("cp932") in body


@pytest.mark.parametrize("chunk_size", [1, 3, 1024])
def test_a_japanese_document_transcodes_across_download_chunks(manual_emulator, session, chunk_size) -> None:
    """cp932 over HTTP and gzip, cut into chunks that split its two-byte characters: whole in UTF-8."""
    from sp_reports.pipeline.document_charsets import DocumentForStorage
    from sp_reports.spapi.regions import REGIONS

    _lwa, _http, reports = make_clients(session)
    document_id = _emulated_document(manual_emulator, LISTINGS, ("FE", "JP"))
    served = gzip.decompress(manual_emulator.app.state.documents[document_id].content)
    document = DocumentForStorage(
        lambda: iter_report_document(reports, document_id, chunk_size=chunk_size, session=session),
        [REGIONS["FE"].marketplaces["JP"]],
        transcode=True,
    )
    assert b"".join(document).decode("utf-8") == served.decode("cp932")
    assert (document.charset.source, document.charset.stored, document.charset.replacements) == (
        "Windows-31J",
        "UTF-8",
        0,
    )


def test_a_turkish_document_flagged_gzip_on_plain_bytes_is_stored_as_its_bytes(
    manual_emulator, session
) -> None:
    """docs/spapi-notes.md#documents (Turkey, hotglue tap-amazon-seller): the flag is not trusted, the bytes
    are."""
    _lwa, _http, reports = make_clients(session)
    document_id = _emulated_document(manual_emulator, LISTINGS, ("EU", "TR"))
    stored = manual_emulator.app.state.documents[document_id].content
    assert reports.get_report_document(document_id).compression_algorithm == "GZIP"
    assert not stored.startswith(b"\x1f\x8b")
    assert b"".join(iter_report_document(reports, document_id, session=session)) == stored


def _inflate_modules():
    import zlib

    from isal import isal_zlib

    return [zlib, isal_zlib]


@settings(max_examples=40, deadline=None)
@given(
    members=st.lists(st.binary(max_size=4000), min_size=1, max_size=3),
    cut=st.integers(min_value=0, max_value=20000),
    chunk_size=st.integers(min_value=1, max_value=5000),
)
def test_isal_and_zlib_inflate_to_the_same_bytes_and_refuse_the_same_corruption(
    members, cut, chunk_size
) -> None:
    body = b"".join(gzip.compress(member) for member in members)
    corrupt = body[:10] + bytes(b ^ 0xFF for b in body[10:40]) + body[40:]
    outcomes = []
    for module in _inflate_modules():
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(documents, "inflate_module", module)
            decoder = _Gunzip("doc-1", chunk_size)
            split = cut % (len(body) + 1)
            out = b"".join([*decoder.feed(body[:split]), *decoder.feed(body[split:]), *decoder.finish()])
            with pytest.raises(ReportDocumentError):
                bad = _Gunzip("doc-1", chunk_size)
                list(bad.feed(corrupt))
                list(bad.finish())
        outcomes.append(out)
    assert outcomes == [b"".join(members)] * 2


class _DocumentAnswer:
    """An SpApiHttpClient whose getReportDocument answers with the given URL."""

    def __init__(self, url: str) -> None:
        self.url = url

    def request(self, operation, method, path, **_kwargs):
        from sp_reports.spapi.http import SpApiResponse

        body = {"reportDocumentId": "doc-1", "url": self.url, "compressionAlgorithm": "GZIP"}
        return SpApiResponse(200, body, {}, "req-1")


# (case, the URL getReportDocument answers with): none is Amazon S3 over https, so outside a test deployment
# none is handed to the download (sp_reports.spapi.regions.document_url_allowed has the rule and its sources).
FOREIGN_DOCUMENT_URLS = [
    ("http on S3", "http://tortuga-prod-na.s3.amazonaws.com/d?X-Amz-Signature=CANARY-sig"),
    ("another host", "https://evil.example/d?X-Amz-Signature=CANARY-sig"),
    (
        "a look-alike of S3",
        "https://tortuga-prod-na.s3.amazonaws.com.evil.example/d?X-Amz-Signature=CANARY-sig",
    ),
    ("the instance metadata address", "http://169.254.169.254/latest/meta-data/?sig=CANARY-sig"),
    ("local S3", "http://localhost:5000/reports/d?X-Amz-Signature=CANARY-sig"),
]


@pytest.mark.parametrize(
    "url", [c[1] for c in FOREIGN_DOCUMENT_URLS], ids=[c[0] for c in FOREIGN_DOCUMENT_URLS]
)
def test_a_document_url_off_amazon_s3_is_refused_outside_a_test_deployment(monkeypatch, url) -> None:
    from sp_reports.spapi.reports import ReportsClient

    monkeypatch.delenv("SP_REPORTS_TEST_ENDPOINTS", raising=False)
    reports = ReportsClient(_DocumentAnswer(url), lambda: "Atza|CANARY-access")
    with pytest.raises(ReportDocumentError, match="off Amazon's document hosts or not https") as refused:
        reports.get_report_document("doc-1")
    assert "CANARY" not in str(refused.value) and "/d" not in str(refused.value)
    monkeypatch.setenv("SP_REPORTS_TEST_ENDPOINTS", "true")  # a stand-in of SP-API serves its own documents
    assert reports.get_report_document("doc-1").url == url


def test_a_client_of_a_stand_in_of_spapi_takes_its_document_urls_whatever_the_environment(
    monkeypatch,
) -> None:
    from sp_reports.spapi.reports import ReportsClient

    monkeypatch.delenv("SP_REPORTS_TEST_ENDPOINTS", raising=False)
    url = "http://127.0.0.1:5000/reports/d?X-Amz-Signature=CANARY-sig"  # our emulator's, served by local S3
    reports = ReportsClient(_DocumentAnswer(url), lambda: "Atza|CANARY-access", stand_in=True)
    assert reports.get_report_document("doc-1").url == url


def test_an_amazon_s3_document_url_is_handed_to_the_download(monkeypatch) -> None:
    from sp_reports.spapi.reports import ReportsClient

    monkeypatch.delenv("SP_REPORTS_TEST_ENDPOINTS", raising=False)
    url = "https://tortuga-prod-na.s3-external-1.amazonaws.com/d.amzn1.tortuga.4.na.T1?X-Amz-Signature=s"
    reports = ReportsClient(_DocumentAnswer(url), lambda: "Atza|CANARY-access")
    assert reports.get_report_document("doc-1").url == url


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_from_the_document_host_is_not_followed(status) -> None:
    import requests

    from tests.support.spapi_exchanges import CannedAdapter

    adapter = CannedAdapter(
        [
            (status, b"", {"Location": "https://evil.example/elsewhere"}),
            (200, gzip.compress(CONTENT), {"Content-Type": "text/plain"}),
        ]
    )
    session = requests.Session()
    session.mount("https://", adapter)
    documents_client = StaticDocuments("https://tortuga-prod-na.s3.amazonaws.com/doc?X-Amz-Signature=s")
    with pytest.raises(ReportDocumentError, match=f"HTTP {status}"):
        b"".join(iter_report_document(documents_client, "doc-1", session=session, sleep=_no_sleep))
    assert [request.url for request in adapter.requests] == [documents_client.url]
