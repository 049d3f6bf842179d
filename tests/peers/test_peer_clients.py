"""Contract tests from the other side: two SP-API clients we did not write drive the emulator through the
reports, documents, tokens, report schedules and notifications scenario, and each answer must be one the
client parses.

- Amazon's generated SDK `amzn-sp-api` (import name `spapi`, as our own package: hence a venv of its own,
  tests/support/peer_venv.py), model validation on (`client_side_validation`);
- the community client `python-amazon-sp-api` (import name `sp_api`).

Each library runs as a subprocess in that venv, without our sources on its path, with its driver in
tests/peers/drivers, against the emulator served over https with a CA made by the test. The driver prints
one JSON line per call. When a call fails, the side SP-API agrees with is the one that stays
(docs/spapi-notes.md#tolerance records the emulator's tolerances and their sources,
docs/spapi-notes.md#peer-clients this suite).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from spapi_emulator import SpApiEmulator
from tests.support.canaries import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, SELLER_ID, assert_no_secrets
from tests.support.peer_tls import TlsFiles, make_tls_files
from tests.support.peer_venv import run_in_venv

DRIVERS = Path(__file__).resolve().parent / "drivers"
LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"
SQS_ARN = "arn:aws:sqs:us-east-1:123456789012:sp-reports-peer-tests"

# Every call of the scenario, in the order the drivers make them; getReport repeats while the report runs.
SCENARIO = (
    "lwa:refresh_token",
    "lwa:client_credentials",
    "createReport",
    "cancelReport",
    "getReport",
    "getReports",
    "getReportDocument+download",
    "createRestrictedDataToken",
    "createReportSchedule",
    "getReportSchedules",
    "getReportSchedule",
    "cancelReportSchedule",
    "createDestination",
    "getDestinations",
    "createSubscription",
    "getSubscription",
    "deleteSubscriptionById",
    "deleteDestination",
    "error:getReport unknown id",
    "error:createReport unknown type",
    "throttling:getReports",
    "done",
)


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_tls_files(tmp_path_factory.mktemp("peer-tls"))


@pytest.fixture
def https_emulator(models_dir: Path, tls: TlsFiles) -> Iterator[SpApiEmulator]:
    # A report stays IN_QUEUE for two seconds, long enough for a driver to cancel the one it just created.
    with SpApiEmulator(
        models_dir=models_dir, ssl_context=tls.server_context(), in_queue_seconds=2.0
    ) as emulator:
        emulator.register_app(CLIENT_ID, CLIENT_SECRET)
        emulator.register_seller(REFRESH_TOKEN, SELLER_ID)
        emulator.configure_report_type(LISTINGS, document=b"sku\tprice\nPEER-1\t9.99\n")
        yield emulator


def run_driver(peer_python: Path, driver: str, emulator: SpApiEmulator, tls: TlsFiles) -> list[dict]:
    settings = {
        "spapi_url": emulator.url,
        "lwa_url": emulator.lwa_url,
        "ca_cert": str(tls.ca_cert),
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": REFRESH_TOKEN,
        "report_type": LISTINGS,
        "sqs_arn": SQS_ARN,
    }
    # requests (Amazon's SDK asks LWA with it) trusts the test's CA through REQUESTS_CA_BUNDLE.
    result = run_in_venv(
        peer_python, DRIVERS / driver, json.dumps(settings), {"REQUESTS_CA_BUNDLE": str(tls.ca_cert)}
    )
    assert_no_secrets(result.stdout + result.stderr)
    assert result.returncode == 0, f"{driver} exited {result.returncode}:\n{result.stderr[-3000:]}"
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def untolerated_violations(emulator: SpApiEmulator) -> list[str]:
    """The contract violations other than deviations SP-API tolerates (spapi_emulator.contract.TOLERATED)."""
    tolerated = set(emulator.tolerated_deviations)
    return [
        violation
        for violation in emulator.contract_violations()
        if not (violation.startswith("request ") and violation.split(": ", 1)[1] in tolerated)
    ]


def failures(results: list[dict], expected: tuple[str, ...]) -> list[str]:
    seen = [result["operation"] for result in results]
    problems = [f"never called: {operation}" for operation in expected if operation not in seen]
    problems += [
        f"{result['operation']}: {result.get('error_type')}: {result.get('error')}\n{result.get('where', '')}"
        for result in results
        if not result["parsed"]
    ]
    return problems


@pytest.mark.parametrize(
    ("driver", "scenario"),
    [
        pytest.param(
            "amzn_sp_api_driver.py",
            # LWA's refusal is left out: the SDK retries every failed token request three times, sleeping
            # 2, 4 and 8 seconds (spapi/auth/lwa_request.py, AccessTokenCache.request_new_token).
            ("sdk:model validation", *SCENARIO),
            id="amzn-sp-api",
        ),
        pytest.param(
            "python_amazon_sp_api_driver.py",
            (*SCENARIO[:-1], "error:lwa invalid_grant", SCENARIO[-1]),
            id="python-amazon-sp-api",
        ),
    ],
)
def test_peer_client_drives_the_scenario_and_parses_every_answer(
    peer_python: Path, tls: TlsFiles, https_emulator: SpApiEmulator, driver: str, scenario: tuple[str, ...]
):
    results = run_driver(peer_python, driver, https_emulator, tls)

    assert not failures(results, scenario), "\n".join(failures(results, scenario))
    by_operation = {result["operation"]: result for result in results}
    finished, cancelled = (result["reportId"] for result in results if result["operation"] == "createReport")
    assert https_emulator.report(finished).processing_status == "DONE"
    assert https_emulator.report(cancelled).processing_status == "CANCELLED"
    assert by_operation["getReportDocument+download"]["first_line"] == "sku\tprice"
    assert by_operation["getReportSchedules"]["count"] == 1
    assert by_operation["getReportSchedule"]["period"] == "PT1H"
    assert by_operation["getReportSchedule"]["reportType"] == LISTINGS
    assert https_emulator.app.state.schedules == {}  # cancelled
    assert by_operation["error:getReport unknown id"]["status"] == 404
    assert by_operation["error:createReport unknown type"]["status"] == 400
    assert by_operation["throttling:getReports"]["status"] == 429
    assert set(https_emulator.lwa_exchanges) == {"refresh_token", "client_credentials"}
    assert not untolerated_violations(https_emulator), "\n".join(untolerated_violations(https_emulator))
