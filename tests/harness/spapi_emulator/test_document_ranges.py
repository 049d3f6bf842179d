"""Document URLs answer Range requests as S3 GetObject does (RFC 9110 section 14); downloads can be cut."""

from __future__ import annotations

import pytest
import requests

from spapi_emulator import SpApiEmulator
from spapi_emulator.documents import UNSATISFIABLE, byte_range


@pytest.fixture
def document_url(spapi_emulator: SpApiEmulator, seller) -> str:
    spapi_emulator.config.auto_advance = False
    report_id = seller.create_report()
    spapi_emulator.finish_report(report_id, "DONE", document=b"sku\tprice\nA\t1.00\n" * 500)
    document_id = seller.get_report(report_id)["reportDocumentId"]
    return seller.call("GET", f"/reports/2021-06-30/documents/{document_id}").json()["url"]


# RFC 9110 section 14.1.2 (byte ranges), 14.2 (a Range that is not understood is ignored), 15.5.17 (416):
# (case, Range header for a body of `length` bytes, expected (first, last) / UNSATISFIABLE / None = ignored)
RANGE_CASES = [
    ("no Range", lambda n: None, lambda n: None),
    ("from the start", lambda n: "bytes=0-", lambda n: (0, n - 1)),
    ("resume from an offset", lambda n: "bytes=10-", lambda n: (10, n - 1)),
    ("a closed range", lambda n: "bytes=10-19", lambda n: (10, 19)),
    ("a last byte past the end is clipped", lambda n: f"bytes=10-{n + 50}", lambda n: (10, n - 1)),
    ("a suffix", lambda n: "bytes=-5", lambda n: (n - 5, n - 1)),
    ("a suffix longer than the body", lambda n: f"bytes=-{n + 50}", lambda n: (0, n - 1)),
    ("the last byte", lambda n: f"bytes={n - 1}-", lambda n: (n - 1, n - 1)),
    ("starting at the end", lambda n: f"bytes={n}-", lambda n: UNSATISFIABLE),
    ("starting past the end", lambda n: f"bytes={n + 10}-{n + 20}", lambda n: UNSATISFIABLE),
    ("an empty suffix", lambda n: "bytes=-0", lambda n: UNSATISFIABLE),
    ("last before first (invalid: ignored)", lambda n: "bytes=20-10", lambda n: None),
    ("several ranges (S3 serves one: ignored)", lambda n: "bytes=0-1,5-6", lambda n: None),
    ("another unit (ignored)", lambda n: "items=0-1", lambda n: None),
]


@pytest.mark.parametrize(("case", "header", "expected"), RANGE_CASES, ids=[c[0] for c in RANGE_CASES])
def test_ranges_are_served_as_s3_serves_them(document_url, case, header, expected):
    whole = requests.get(document_url, timeout=5)
    length = len(whole.content)
    assert whole.status_code == 200 and whole.headers["Accept-Ranges"] == "bytes"
    assert byte_range(header(length), length) == expected(length)

    sent = header(length)
    response = requests.get(document_url, headers={"Range": sent} if sent else {}, timeout=5)

    wanted = expected(length)
    if wanted is None:
        assert response.status_code == 200 and response.content == whole.content
        assert "Content-Range" not in response.headers
    elif wanted == UNSATISFIABLE:
        assert response.status_code == 416
        assert response.headers["Content-Range"] == f"bytes */{length}"
        assert "<Code>InvalidRange</Code>" in response.text
    else:
        first, last = wanted
        assert response.status_code == 206
        assert response.headers["Content-Range"] == f"bytes {first}-{last}/{length}"
        assert response.content == whole.content[first : last + 1]
        assert int(response.headers["Content-Length"]) == last - first + 1


def test_a_cut_download_promises_the_whole_body_and_breaks_off(spapi_emulator: SpApiEmulator, document_url):
    length = len(requests.get(document_url, timeout=5).content)
    spapi_emulator.cut_download(length // 2)

    response = requests.get(document_url, stream=True, timeout=5)
    assert response.headers["Content-Length"] == str(length)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        response.content  # noqa: B018 - reading the body is the point
    assert requests.get(document_url, timeout=5).content  # the next download is whole again


def test_a_cut_applies_to_a_resumed_range_too(spapi_emulator: SpApiEmulator, document_url):
    spapi_emulator.cut_download(5, times=2)
    for headers in ({}, {"Range": "bytes=10-"}):
        response = requests.get(document_url, headers=headers, stream=True, timeout=5)
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            response.content  # noqa: B018
