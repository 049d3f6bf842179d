"""createReport refuses marketplaces the seller does not sell in and report types SP-API will not make."""

from __future__ import annotations

import pytest

from spapi_emulator import SpApiEmulator
from spapi_emulator.reports_api import NOT_PARTICIPATING, REFUSED_REPORT_TYPES
from tests.support.emulator_api import Api, seller_token

REPORTS = "/reports/2021-06-30/reports"
UK, DE, US = "A1F83G8C2ARO7P", "A1PA6795UKMFR9", "ATVPDKIKX0DER"
UK_SELLER = "Atzr|CANARY-REFRESH-uk-only"


@pytest.fixture
def uk_seller(spapi_emulator: SpApiEmulator) -> Api:
    spapi_emulator.register_seller(UK_SELLER, "A1UKSELLER0001", marketplaces=[UK])
    return Api(spapi_emulator, seller_token(spapi_emulator, UK_SELLER))


def _create(api: Api, report_type: str, *marketplaces: str):
    return api.call("POST", REPORTS, json={"reportType": report_type, "marketplaceIds": list(marketplaces)})


# selling-partner-api-models#1021: 400 "Report rejected for this client. your report could not be applied to
# any marketplaces". Only some of the marketplaces being the seller's is unconfirmed; refused here as well.
@pytest.mark.parametrize(
    ("marketplaces", "status"),
    [((UK,), 202), ((DE,), 400), ((US,), 400), ((UK, DE), 400)],
    ids=["its marketplace", "another EU marketplace", "another region's", "its and another"],
)
def test_a_seller_gets_reports_only_for_the_marketplaces_it_sells_in(uk_seller, marketplaces, status):
    response = _create(uk_seller, "GET_MERCHANT_LISTINGS_ALL_DATA", *marketplaces)

    assert response.status_code == status
    if status == 400:
        assert response.json() == {
            "errors": [{"code": "InvalidInput", "message": NOT_PARTICIPATING, "details": ""}]
        }


def test_by_default_a_seller_sells_in_every_marketplace(seller):
    assert _create(seller, "GET_MERCHANT_LISTINGS_ALL_DATA", UK, DE, US).status_code == 202


# Amazon-generated settlement reports cannot be requested (selling-partner-api-docs#1633); for the V2 flat
# file SP-API answered "Request for report type 1118 is not allowed at this time" (selling-partner-api-models
# #1265).
@pytest.mark.parametrize("report_type", sorted(REFUSED_REPORT_TYPES))
def test_settlement_reports_cannot_be_requested(seller, report_type):
    response = _create(seller, report_type, US)

    assert response.status_code == 400
    assert response.json() == {
        "errors": [{"code": "InvalidInput", "message": REFUSED_REPORT_TYPES[report_type], "details": ""}]
    }


def test_the_v2_settlement_refusal_is_the_one_amazon_answered():
    assert REFUSED_REPORT_TYPES["GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2"] == (
        "Request for report type 1118 is not allowed at this time"
    )


def test_more_report_types_can_be_refused(spapi_emulator: SpApiEmulator, seller):
    spapi_emulator.refuse_report_type("GET_MERCHANTS_LISTINGS_FYP_REPORT")

    response = _create(seller, "GET_MERCHANTS_LISTINGS_FYP_REPORT", US)

    assert response.status_code == 400
    assert "GET_MERCHANTS_LISTINGS_FYP_REPORT" in response.json()["errors"][0]["message"]
    assert _create(seller, "GET_MERCHANT_LISTINGS_ALL_DATA", US).status_code == 202
