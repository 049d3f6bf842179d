"""What the peer tests stand on: the emulator's https option (clients that speak only https to SP-API and LWA)
and the peer clients' requirements, every one pinned to a version and its hashes."""

from __future__ import annotations

import re
import ssl
from pathlib import Path

import pytest
import requests

from spapi_emulator import SpApiEmulator
from tests.support import peer_venv
from tests.support.canaries import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, SELLER_ID
from tests.support.peer_tls import TlsFiles, make_tls_files

US = "ATVPDKIKX0DER"
LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_tls_files(tmp_path_factory.mktemp("peer-tls"))


def test_the_emulator_serves_http_unless_given_a_tls_context(models_dir: Path):
    with SpApiEmulator(models_dir=models_dir) as emulator:
        assert emulator.url.startswith("http://127.0.0.1:")
        assert emulator.lwa_url.startswith("http://")


def test_with_a_tls_context_every_listener_and_document_url_is_https(models_dir: Path, tls: TlsFiles):
    with SpApiEmulator(models_dir=models_dir, ssl_context=tls.server_context()) as emulator:
        emulator.register_app(CLIENT_ID, CLIENT_SECRET)
        emulator.register_seller(REFRESH_TOKEN, SELLER_ID)
        emulator.configure_report_type(LISTINGS, document=b"sku\n")
        assert emulator.url.startswith("https://127.0.0.1:")
        assert emulator.lwa_url.startswith("https://")
        assert emulator.endpoint_url("EU").startswith("https://")

        session = requests.Session()
        # `verify` on each request: a session's own gives way to REQUESTS_CA_BUNDLE when that is set.
        ca = str(tls.ca_cert)
        token = session.post(
            emulator.lwa_url,
            data={
                "grant_type": "refresh_token",
                "refresh_token": REFRESH_TOKEN,
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
            },
            timeout=5,
            verify=ca,
        ).json()["access_token"]
        session.headers["x-amz-access-token"] = token
        created = session.post(
            emulator.url + "/reports/2021-06-30/reports",
            json={"reportType": LISTINGS, "marketplaceIds": [US]},
            timeout=5,
            verify=ca,
        )
        assert created.status_code == 202, created.text
        report_id = created.json()["reportId"]
        emulator.finish_report(report_id)
        document_id = session.get(
            f"{emulator.url}/reports/2021-06-30/reports/{report_id}", timeout=5, verify=ca
        ).json()["reportDocumentId"]
        document = session.get(
            f"{emulator.url}/reports/2021-06-30/documents/{document_id}", timeout=5, verify=ca
        ).json()
        assert document["url"].startswith(emulator.url + "/")  # the document host is https too
        assert session.get(document["url"], timeout=5, verify=ca).status_code == 200

        # A client that does not trust the test's CA is refused: the TLS is real.
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(emulator.url + "/reports/2021-06-30/reports", timeout=5)


def test_the_server_context_holds_the_certificate_for_127_0_0_1(tls: TlsFiles):
    context = ssl.create_default_context(cafile=str(tls.ca_cert))
    assert context.cert_store_stats()["x509_ca"] == 1
    assert "127.0.0.1" not in tls.ca_cert.read_text()  # PEM, not text: the address sits in the server's SAN
    assert isinstance(tls.server_context(), ssl.SSLContext)


def test_every_peer_requirement_is_pinned_with_hashes():
    text = peer_venv.REQUIREMENTS.read_text()
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[-1].strip())
    names = {}
    for entry in entries:
        requirement = entry.split("\\", 1)[0].strip()
        assert re.fullmatch(r"[A-Za-z0-9_.\-]+==[A-Za-z0-9_.+\-]+( ; .+)?", requirement), requirement
        assert "--hash=sha256:" in entry, f"{requirement} has no hash"
        names[requirement.split("==")[0]] = requirement.split("==")[1].split(" ")[0]
    assert names["amzn-sp-api"] == "1.13.0"
    assert names["python-amazon-sp-api"] == "2.1.35"


def test_the_venv_cache_key_follows_the_requirements(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    key = peer_venv.cache_key()
    changed = tmp_path / "requirements.txt"
    changed.write_text(peer_venv.REQUIREMENTS.read_text() + "\n# another pin\n")
    monkeypatch.setattr(peer_venv, "REQUIREMENTS", changed)
    assert peer_venv.cache_key() != key


def test_without_a_cached_venv_or_a_reachable_index_the_peer_tests_have_a_reason_to_skip(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    monkeypatch.setattr(peer_venv, "CACHE_ROOT", tmp_path / "peer-clients")
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")  # the discard port: nothing answers
    with pytest.raises(
        peer_venv.PeerVenvUnavailable, match="does not exist and the package index is unreachable"
    ):
        peer_venv.ensure_venv()
