"""The server wrapper: cheap to start, addresses, quiet logs, no secrets in what it records."""

from __future__ import annotations

import logging
import time

import requests

from spapi_emulator import ModelContract, SpApiEmulator
from tests.support.canaries import assert_no_secrets
from tests.support.emulator_api import seller_token


def test_emulator_starts_and_stops_quickly(models_dir):
    ModelContract.load(models_dir)  # parsed once per process; the cost measured is the server's own
    started = time.perf_counter()
    emulator = SpApiEmulator(models_dir=models_dir).start()
    start_seconds = time.perf_counter() - started
    try:
        assert requests.post(emulator.lwa_url, data={}, timeout=5).status_code == 400
    finally:
        stopped = time.perf_counter()
        emulator.stop()
        stop_seconds = time.perf_counter() - stopped

    assert start_seconds < 0.1
    assert stop_seconds < 0.5


def test_urls_point_at_the_ephemeral_port(spapi_emulator: SpApiEmulator):
    assert spapi_emulator.url == f"http://127.0.0.1:{spapi_emulator.port}"
    assert spapi_emulator.lwa_url == spapi_emulator.url + "/auth/o2/token"


def test_fixture_points_the_environment_at_the_emulator(spapi_emulator: SpApiEmulator):
    import os

    assert os.environ["SPAPI_ENDPOINT_URL"] == spapi_emulator.url
    assert os.environ["LWA_ENDPOINT_URL"] == spapi_emulator.lwa_url


def test_two_emulators_run_side_by_side(models_dir):
    with SpApiEmulator(models_dir=models_dir) as first, SpApiEmulator(models_dir=models_dir) as second:
        assert first.url != second.url
        first.register_app("a", "CANARY-CLIENT-SECRET-a")
        grant = {"grant_type": "client_credentials", "scope": "sellingpartnerapi::notifications"}
        credentials = {"client_id": "a", "client_secret": "CANARY-CLIENT-SECRET-a"}
        assert requests.post(first.lwa_url, data={**grant, **credentials}, timeout=5).status_code == 200
        assert requests.post(second.lwa_url, data={**grant, **credentials}, timeout=5).status_code == 401


def test_tokens_and_document_urls_are_not_recorded_or_logged(
    spapi_emulator: SpApiEmulator, seller, caplog, capfd
):
    caplog.set_level(logging.DEBUG)
    spapi_emulator.config.auto_advance = False
    report_id = seller.create_report()
    spapi_emulator.finish_report(report_id, "DONE")
    document_id = seller.get_report(report_id)["reportDocumentId"]
    url = seller.call("GET", f"/reports/2021-06-30/documents/{document_id}").json()["url"]
    requests.get(url, timeout=5)
    requests.get(url.replace("sig=", "sig=0"), timeout=5)
    token = seller.session.headers["x-amz-access-token"]

    recorded = repr([(e.path, e.query, e.request_body, e.response_headers) for e in spapi_emulator.exchanges])
    document_exchanges = [e for e in spapi_emulator.exchanges if e.kind == "document"]
    assert len(document_exchanges) == 2
    assert all(e.query == {} for e in document_exchanges)
    assert_no_secrets(recorded, token, seller_token(spapi_emulator))
    # Only the emulator's own output counts: urllib3 in this test process logs the URLs the test requests.
    emulator_logs = "\n".join(
        record.getMessage()
        for record in caplog.records
        if record.name.startswith(("spapi_emulator", "werkzeug"))
    )
    out, err = capfd.readouterr()
    assert_no_secrets(emulator_logs + out + err, token)


def test_exchange_recording_can_be_switched_off(spapi_emulator: SpApiEmulator, seller):
    spapi_emulator.config.record_exchanges = False

    seller.create_report()

    assert [e for e in spapi_emulator.exchanges if e.kind == "spapi"] == []


def test_command_line_entry_point_serves_registered_identities(models_dir):
    import subprocess
    import sys

    command = [
        sys.executable,
        "-m",
        "spapi_emulator",
        "--port",
        "0",
        "--models-dir",
        str(models_dir),
        "--app",
        "cli-client=CANARY-CLIENT-SECRET-cli",
        "--seller",
        "Atzr|CANARY-REFRESH-cli=A3TH9S8BH6GOGM",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # noqa: S603
    try:
        banner = process.stdout.readline()
        lwa_url = banner.split("(LWA: ")[1].rstrip(")\n")
        response = requests.post(
            lwa_url,
            data={
                "grant_type": "refresh_token",
                "refresh_token": "Atzr|CANARY-REFRESH-cli",
                "client_id": "cli-client",
                "client_secret": "CANARY-CLIENT-SECRET-cli",
            },
            timeout=5,
        )
        assert response.status_code == 200
    finally:
        process.terminate()
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0
    assert_no_secrets(banner + out + err)
