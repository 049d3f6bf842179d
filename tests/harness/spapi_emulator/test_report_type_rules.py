"""The emulator fails reports as SP-API does when a request breaks its type's rules
(docs/spapi-notes.md#report-type-rules).

| rule | SP-API's answer | source |
|---|---|---|
| range beyond the type's maximum | report FATAL | reporttype-values ("up to 60 days of data in a report") |
| same type again within its cooldown | report FATAL | reporttype-values (FBA 30 min / 4 h), models#4032 |
| Amazon-generated type (settlement) | createReport 400 InvalidInput | docs#1633, models#1265 |
| unknown type | made as asked | SP-API adds types |
"""

from __future__ import annotations

import json

import pytest

from tests.support.emulator_api import seller_token

US, CA = "ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"
RETURNS = "GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE"
INVENTORY = "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA"
AGED = "GET_FBA_INVENTORY_AGED_DATA"


def _create(seller, report_type, marketplaces=(US,), **times):
    body = {"reportType": report_type, "marketplaceIds": list(marketplaces), **times}
    return seller.call("POST", "/reports/2021-06-30/reports", json=body)


def _outcome(seller, spapi_emulator, response):
    assert response.status_code == 202, response.text
    report_id = response.json()["reportId"]
    spapi_emulator.advance_time(1.0)  # IN_QUEUE -> IN_PROGRESS
    spapi_emulator.advance_time(1.0)  # -> its end
    report = seller.get_report(report_id)
    return report["processingStatus"], report.get("reportDocumentId")


@pytest.mark.parametrize(
    ("report_type", "times", "expected"),
    [
        (RETURNS, {"dataStartTime": "2024-01-01T00:00:00Z", "dataEndTime": "2024-03-01T00:00:00Z"}, "DONE"),
        (RETURNS, {"dataStartTime": "2024-01-01T00:00:00Z", "dataEndTime": "2024-03-01T00:00:01Z"}, "FATAL"),
        (RETURNS, {"dataStartTime": "2020-01-01T00:00:00Z"}, "FATAL"),  # dataEndTime defaults to now
        (
            "GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL",
            {"dataStartTime": "2024-01-01T00:00:00Z", "dataEndTime": "2024-02-15T00:00:00Z"},
            "FATAL",
        ),
        # A type SP-API documents that our catalogue has no rules for: no range limit.
        ("GET_EASYSHIP_PICKEDUP", {"dataStartTime": "2000-01-01T00:00:00Z"}, "DONE"),
    ],
)
def test_a_range_beyond_the_types_maximum_ends_fatal_with_an_error_document(
    seller, spapi_emulator, report_type, times, expected
):
    status, document_id = _outcome(seller, spapi_emulator, _create(seller, report_type, **times))
    assert status == expected
    if expected == "FATAL":
        document = spapi_emulator.app.state.documents[document_id].plain
        assert "maximum" in json.loads(document)["errorDetails"]


@pytest.mark.parametrize(
    ("report_type", "wait_seconds", "marketplaces", "expected"),
    [
        (INVENTORY, 60, (US,), "FATAL"),  # near real-time: once per 30 minutes
        (INVENTORY, 1801, (US,), "DONE"),
        (INVENTORY, 60, (CA,), "DONE"),  # another marketplace
        (AGED, 3 * 3600, (US,), "FATAL"),  # daily: once per 4 hours
        (AGED, 4 * 3600 + 1, (US,), "DONE"),
        ("GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL", 60, (US,), "DONE"),  # exempt
    ],
)
def test_the_same_type_again_inside_its_cooldown_ends_fatal(
    seller, spapi_emulator, report_type, wait_seconds, marketplaces, expected
):
    first, _ = _outcome(seller, spapi_emulator, _create(seller, report_type))
    assert first == "DONE"
    spapi_emulator.advance_time(wait_seconds)
    seller.session.headers["x-amz-access-token"] = seller_token(spapi_emulator)  # hours later: a fresh token
    again, _ = _outcome(seller, spapi_emulator, _create(seller, report_type, marketplaces))
    assert again == expected


def test_an_amazon_generated_type_is_refused_by_create_report(seller):
    response = _create(seller, "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "InvalidInput"


# Which report types SP-API knows (reports_api.known_report_type): documented, catalogued or configured.
KNOWN_TYPE_CASES = [
    ("GET_EASYSHIP_PICKEDUP", None, 202),  # on Amazon's Report Type Values page, not in our catalogue
    ("GET_FLAT_FILE_ORDERS_RECONCILIATION_DATA_TAX", None, 202),  # in our catalogue only (a newer source)
    ("GET_NOT_A_REAL_REPORT_TYPE", None, 400),  # neither: SP-API answers "Invalid Report Type ..."
    ("GET_A_TYPE_A_TEST_CONFIGURES", "DONE", 202),  # configure_report_type makes one known
]


@pytest.mark.parametrize(("report_type", "configured", "status"), KNOWN_TYPE_CASES)
def test_create_report_and_get_reports_refuse_a_report_type_sp_api_does_not_know(
    seller, spapi_emulator, report_type, configured, status
):
    if configured:
        spapi_emulator.configure_report_type(report_type, outcome=configured)

    created = _create(seller, report_type)
    listed = seller.call("GET", "/reports/2021-06-30/reports", params={"reportTypes": report_type})

    assert created.status_code == status, created.text
    assert listed.status_code == (200 if status == 202 else 400)
    if status == 400:
        for answer in (created, listed):
            assert answer.json()["errors"] == [
                {"code": "InvalidInput", "message": f"Invalid Report Type {report_type}", "details": ""}
            ]
