"""getReports: filters, newest first, pagination with nextToken, and its parameter rules."""

from __future__ import annotations

import pytest

from spapi_emulator import SpApiEmulator

REPORTS = "/reports/2021-06-30/reports"
OPEN_LISTINGS = "GET_FLAT_FILE_OPEN_LISTINGS_DATA"
LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"


@pytest.fixture
def reports(spapi_emulator: SpApiEmulator, seller) -> dict[str, str]:
    spapi_emulator.config.auto_advance = False
    created = {
        "listings_us": seller.create_report(LISTINGS, ("ATVPDKIKX0DER",)),
        "listings_de": seller.create_report(LISTINGS, ("A1PA6795UKMFR9",)),
        "open": seller.create_report(OPEN_LISTINGS, ("ATVPDKIKX0DER",)),
    }
    spapi_emulator.finish_report(created["listings_de"], "DONE")
    return created


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [report["reportId"] for report in response.json()["reports"]]


def test_filters_by_report_type_newest_first(seller, reports):
    ids = _ids(seller.call("GET", REPORTS, params={"reportTypes": LISTINGS}))

    assert ids == [reports["listings_de"], reports["listings_us"]]


def test_filters_by_status_and_marketplace(seller, reports):
    assert _ids(
        seller.call("GET", REPORTS, params={"reportTypes": LISTINGS, "processingStatuses": "DONE"})
    ) == [reports["listings_de"]]
    by_marketplace = seller.call(
        "GET",
        REPORTS,
        params={"reportTypes": f"{LISTINGS},{OPEN_LISTINGS}", "marketplaceIds": "ATVPDKIKX0DER"},
    )
    assert _ids(by_marketplace) == [reports["open"], reports["listings_us"]]


def test_created_since_excludes_older_reports(seller, reports):
    response = seller.call(
        "GET", REPORTS, params={"reportTypes": LISTINGS, "createdSince": "2999-01-01T00:00:00Z"}
    )

    assert _ids(response) == []


def test_pages_follow_next_token_until_the_end(seller, reports):
    first = seller.call(
        "GET", REPORTS, params={"reportTypes": f"{LISTINGS},{OPEN_LISTINGS}", "pageSize": "2"}
    )
    token = first.json()["nextToken"]

    second = seller.call("GET", REPORTS, params={"nextToken": token})

    assert len(_ids(first)) == 2
    assert _ids(second) == [reports["listings_us"]]
    assert "nextToken" not in second.json()
    assert set(_ids(first) + _ids(second)) == set(reports.values())


def test_next_token_must_be_the_only_parameter(seller, reports):
    token = seller.call("GET", REPORTS, params={"reportTypes": LISTINGS, "pageSize": "1"}).json()["nextToken"]

    response = seller.call("GET", REPORTS, params={"nextToken": token, "reportTypes": LISTINGS})

    assert response.status_code == 400
    assert "nextToken" in response.json()["errors"][0]["message"]


def test_either_report_types_or_next_token_is_required(seller):
    response = seller.call("GET", REPORTS, params={"processingStatuses": "DONE"})

    assert response.status_code == 400
    assert "reportTypes" in response.json()["errors"][0]["message"]


def test_unknown_next_token_is_refused(seller):
    response = seller.call("GET", REPORTS, params={"nextToken": "forged"})

    assert response.status_code == 400
