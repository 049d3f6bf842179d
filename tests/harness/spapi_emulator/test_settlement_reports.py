"""Settlement reports in the emulator (spapi_emulator.settlements): made by Amazon at the end of each
settlement period, listed with getReports, never made on request, their documents gone after 30 days and the
reports after 90. The table lists each documented behaviour with its source; every row is checked against the
emulator over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from spapi_emulator import SpApiEmulator
from spapi_emulator.settlements import (
    PUBLICATION_DELAY,
    SETTLEMENT_COLUMNS,
    SETTLEMENT_PERIOD,
    V2_FLAT_FILE,
    SettlementAccount,
)
from tests.support.canaries import SELLER_ID
from tests.support.emulator_api import US, Api, seller_token

REPORTS = "/reports/2021-06-30/reports"
SCHEDULES = "/reports/2021-06-30/schedules"
DOCUMENTS = "/reports/2021-06-30/documents"
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Case:
    behaviour: str
    source: str
    check: Callable[[SpApiEmulator, Api], None]


def _open(emulator: SpApiEmulator, periods: int = 2) -> SettlementAccount:
    """A seller whose settlements began `periods` periods (and the publication delay) ago."""
    start = datetime.now(UTC).replace(microsecond=0) - periods * SETTLEMENT_PERIOD - PUBLICATION_DELAY
    account = SettlementAccount(seller_id=SELLER_ID, marketplace_id=US, period_start=start)
    emulator.open_settlements(account)
    return account


def _later(emulator: SpApiEmulator, seconds: float) -> Api:
    """Let `seconds` pass; a session with a fresh access token (the old one expires within the hour)."""
    emulator.advance_time(seconds)
    return Api(emulator, seller_token(emulator))


def _listed(seller: Api, **params) -> list[dict]:
    response = seller.call("GET", REPORTS, params={"reportTypes": V2_FLAT_FILE, "pageSize": "100", **params})
    assert response.status_code == 200, response.text
    return response.json()["reports"]


def _refused_by_create_report(emulator: SpApiEmulator, seller: Api) -> None:
    response = seller.call("POST", REPORTS, json={"reportType": V2_FLAT_FILE, "marketplaceIds": [US]})
    assert response.status_code == 400
    assert (
        response.json()["errors"][0]["message"] == "Request for report type 1118 is not allowed at this time"
    )


def _refused_by_create_report_schedule(emulator: SpApiEmulator, seller: Api) -> None:
    response = seller.call(
        "POST", SCHEDULES, json={"reportType": V2_FLAT_FILE, "marketplaceIds": [US], "period": "P14D"}
    )
    assert response.status_code == 400


def _one_report_per_period(emulator: SpApiEmulator, seller: Api) -> None:
    account = _open(emulator, periods=2)
    # The lifecycle moves a report one step per tick (queued, started, finished): three ticks finish them
    # whatever the background ticks did meanwhile.
    for _ in range(3):
        emulator.advance_time(1)
    reports = sorted(_listed(seller), key=lambda report: report["dataStartTime"])
    assert [report["reportId"] for report in reports] == account.made
    assert all(report["processingStatus"] == "DONE" for report in reports)
    assert all("reportScheduleId" not in report for report in reports)
    assert all(report["marketplaceIds"] == [US] for report in reports)


def _consecutive_periods_ending_before_creation(emulator: SpApiEmulator, seller: Api) -> None:
    _open(emulator, periods=2)
    first, second = sorted(_listed(seller), key=lambda report: report["dataStartTime"])
    start, end = datetime.fromisoformat(first["dataStartTime"]), datetime.fromisoformat(first["dataEndTime"])
    assert end - start == SETTLEMENT_PERIOD - timedelta(seconds=1)  # the period's last second is included
    assert datetime.fromisoformat(second["dataStartTime"]) == end + timedelta(seconds=1)
    created = datetime.fromisoformat(first["createdTime"].replace("Z", "+00:00"))
    assert created > end
    assert first["dataStartTime"].endswith("+00:00")  # as SP-API spells it (docs#969)


def _appear_as_the_clock_passes(emulator: SpApiEmulator, seller: Api) -> None:
    account = _open(emulator, periods=0)
    assert _listed(seller) == []
    seller = _later(emulator, (SETTLEMENT_PERIOD + PUBLICATION_DELAY).total_seconds())
    assert len(_listed(seller)) == 1
    seller = _later(emulator, SETTLEMENT_PERIOD.total_seconds())
    assert len(_listed(seller)) == 2 == len(account.made)


def _flat_file_document(emulator: SpApiEmulator, seller: Api) -> None:
    _open(emulator, periods=1)
    emulator.advance_time(1)
    (report,) = _listed(seller)
    document = seller.call("GET", f"{DOCUMENTS}/{report['reportDocumentId']}")
    assert document.status_code == 200, document.text
    download = seller.session.get(document.json()["url"], timeout=10)
    assert "charset" not in download.headers["Content-Type"]
    lines = emulator.app.state.documents[report["reportDocumentId"]].plain.decode().splitlines()
    assert lines[0].split("\t") == list(SETTLEMENT_COLUMNS)
    summary = dict(zip(SETTLEMENT_COLUMNS, lines[1].split("\t"), strict=True))
    assert summary["settlement-start-date"] == report["dataStartTime"]
    assert summary["settlement-end-date"] == report["dataEndTime"]
    total = sum(
        float(dict(zip(SETTLEMENT_COLUMNS, line.split("\t"), strict=True))["amount"]) for line in lines[2:]
    )
    assert summary["total-amount"] == f"{total:.2f}"


def _document_gone_after_thirty_days(emulator: SpApiEmulator, seller: Api) -> None:
    _open(emulator, periods=1)
    emulator.advance_time(60)  # started, and a minute later finished (each step needs its own tick)
    emulator.advance_time(60)
    (report,) = _listed(seller)
    document_id = report["reportDocumentId"]
    created = datetime.fromisoformat(report["createdTime"].replace("Z", "+00:00"))
    seller = _later(emulator, (created + 30 * DAY - emulator.app.now()).total_seconds() - 60)
    assert seller.call("GET", f"{DOCUMENTS}/{document_id}").status_code == 200  # a minute before
    seller = _later(emulator, 120)
    # The report is still listed and answered, with its reportDocumentId; its document is gone.
    listed = {other["reportId"]: other for other in _listed(seller, createdSince=report["createdTime"])}
    assert listed[report["reportId"]]["reportDocumentId"] == document_id
    assert seller.call("GET", f"{REPORTS}/{report['reportId']}").status_code == 200
    assert seller.call("GET", f"{DOCUMENTS}/{document_id}").status_code == 404


def _gone_after_ninety_days(emulator: SpApiEmulator, seller: Api) -> None:
    _open(emulator, periods=1)
    emulator.advance_time(60)  # started, and a minute later finished (each step needs its own tick)
    emulator.advance_time(60)
    (report,) = _listed(seller)
    document_id = report["reportDocumentId"]
    created = datetime.fromisoformat(report["createdTime"].replace("Z", "+00:00"))
    seller = _later(emulator, (created + 90 * DAY - emulator.app.now()).total_seconds() - 60)
    # A minute before: still there (the periods since made their own reports).
    assert report["reportId"] in [listed["reportId"] for listed in _listed(seller)]
    seller = _later(emulator, 120)
    listed = _listed(seller, createdSince=report["createdTime"])
    assert report["reportId"] not in [other["reportId"] for other in listed]
    assert seller.call("GET", f"{REPORTS}/{report['reportId']}").status_code == 404
    assert seller.call("GET", f"{DOCUMENTS}/{document_id}").status_code == 404


CASES = [
    Case(
        "createReport refuses a settlement type: 400 InvalidInput 'Request for report type 1118 is not "
        "allowed at this time'",
        "selling-partner-api-models#1265, selling-partner-api-docs#1633",
        _refused_by_create_report,
    ),
    Case(
        "settlement reports cannot be scheduled either",
        "selling-partner-api-models#339 ('cannot be requested or scheduled. They are automatically scheduled "
        "by Amazon')",
        _refused_by_create_report_schedule,
    ),
    Case(
        "Amazon makes one report per settlement period, found with getReports, with no reportScheduleId",
        "selling-partner-api-docs#1633; reports_2021-06-30.json Report.reportScheduleId ('if any')",
        _one_report_per_period,
    ),
    Case(
        "a report covers its period: dataStartTime its first second, dataEndTime its last, created after it",
        "selling-partner-api-docs#969 (2022-03-10T08:24:51+00:00 .. 2022-03-24T08:24:50+00:00, created "
        "10:04)",
        _consecutive_periods_ending_before_creation,
    ),
    Case(
        "reports appear by themselves as time passes each period's end",
        "selling-partner-api-models#5285 ('generates it automatically at the end of each settlement period')",
        _appear_as_the_clock_passes,
    ),
    Case(
        "the V2 flat file: header, the settlement's summary row, its transactions; no charset on the "
        "download",
        "developer-docs report-type-values-settlement; selling-partner-api-docs#2338 (no charset)",
        _flat_file_document,
    ),
    Case(
        "after 30 days the document is gone (getReportDocument 404) while the report is still listed",
        "developer-docs changelog report-document-retention-policy-is-changing-to-a-maximum-of-30-days "
        "(documents at most 30 days since 2024-05-30); reports_2021-06-30.json getReports createdSince "
        "(reports 90 days); the model's 404 for getReportDocument",
        _document_gone_after_thirty_days,
    ),
    Case(
        "after 90 days the report is gone: not listed, getReport and getReportDocument 404",
        "reports_2021-06-30.json getReports createdSince ('Reports are retained for a maximum of 90 days'); "
        "the model's 404 for getReport and getReportDocument",
        _gone_after_ninety_days,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.behaviour[:60] for case in CASES])
def test_settlement_reports_behave_as_documented(case: Case, spapi_emulator: SpApiEmulator, seller: Api):
    case.check(spapi_emulator, seller)


def test_only_the_flat_file_v2_is_emulated():
    with pytest.raises(ValueError, match="GET_V2_SETTLEMENT_REPORT_DATA_XML"):
        SettlementAccount(
            seller_id=SELLER_ID,
            marketplace_id=US,
            period_start=datetime(2030, 1, 1, tzinfo=UTC),
            report_types=("GET_V2_SETTLEMENT_REPORT_DATA_XML",),
        )
