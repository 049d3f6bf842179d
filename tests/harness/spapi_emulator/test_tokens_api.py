"""The emulator's Tokens API and restricted report documents, as SP-API answers them.

Sources: tokens_2021-03-01.json (request/response shapes, the sandbox's 400 InvalidRequest, usage plan) and
the Tokens API use case guide ("When specifying a restricted report type in a call to the getReportDocument
operation, you must pass in an RDT"; "the specified restricted resource can contain only a specific path, not
a generic path"), docs/spapi-notes.md#restricted-data-tokens.
"""

from __future__ import annotations

import pytest

from tests.support.canaries import assert_no_secrets
from tests.support.emulator_api import US, Api

RDT_PATH = "/tokens/2021-03-01/restrictedDataToken"
RESTRICTED = "GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING"


def _finished_document(seller: Api, report_type: str) -> str:
    report_id = seller.create_report(report_type)
    seller.emulator.finish_report(report_id, "DONE", b"order-id\tship-address\n1\tsomewhere\n")
    return seller.get_report(report_id)["reportDocumentId"]


def _rdt(seller: Api, *resources: dict) -> str:
    response = seller.call("POST", RDT_PATH, json={"restrictedResources": list(resources)})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["expiresIn"] == 3600 and body["restrictedDataToken"].startswith("Atz.sprdt|")
    return body["restrictedDataToken"]


@pytest.mark.allow_contract_violations
@pytest.mark.parametrize(
    ("body", "details_part"),
    [
        ({}, "restrictedResources"),  # required by CreateRestrictedDataTokenRequest
        ({"restrictedResources": [{"method": "", "path": "/x"}]}, "method"),  # the model's sandbox case
        ({"restrictedResources": [{"method": "PATCH", "path": "/x"}]}, "method"),  # method enum
        ({"restrictedResources": [{"method": "GET"}]}, "path"),  # path required
        ({"restrictedResources": []}, "Resource not provided."),
        (
            {"restrictedResources": [{"method": "GET", "path": f"/p{i}"} for i in range(51)]},
            "50",
        ),  # "Maximum: 50"
    ],
)
def test_create_restricted_data_token_refuses_what_the_model_refuses(seller, body, details_part):
    response = seller.call("POST", RDT_PATH, json=body)
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert (error["code"], error["message"]) == (
        "InvalidRequest",
        "Request is missing or has invalid parameters",
    )
    assert details_part in error["details"]


def test_a_restricted_reports_document_needs_an_rdt_for_its_exact_path(seller, spapi_emulator):
    document_id = _finished_document(seller, RESTRICTED)
    path = f"/reports/2021-06-30/documents/{document_id}"

    plain = seller.call("GET", path)
    assert plain.status_code == 403
    assert plain.json()["errors"][0]["code"] == "Unauthorized"

    generic = _rdt(seller, {"method": "GET", "path": "/reports/2021-06-30/documents/{reportDocumentId}"})
    assert (
        Api(spapi_emulator, generic).call("GET", path).status_code == 403
    )  # a generic path authorises nothing

    rdt = _rdt(seller, {"method": "GET", "path": path})
    with_rdt = Api(spapi_emulator, rdt).call("GET", path)
    assert with_rdt.status_code == 200, with_rdt.text
    assert with_rdt.json()["reportDocumentId"] == document_id

    other = _finished_document(seller, RESTRICTED)
    assert Api(spapi_emulator, rdt).call("GET", f"/reports/2021-06-30/documents/{other}").status_code == 403
    assert (
        Api(spapi_emulator, rdt).call("GET", "/reports/2021-06-30/reports?reportTypes=X").status_code == 403
    )


def test_an_unrestricted_reports_document_takes_the_lwa_token(seller):
    document_id = _finished_document(seller, "GET_MERCHANT_LISTINGS_ALL_DATA")
    assert seller.call("GET", f"/reports/2021-06-30/documents/{document_id}").status_code == 200


def test_create_restricted_data_token_needs_a_seller_token(grantless):
    response = grantless.call(
        "POST", RDT_PATH, json={"restrictedResources": [{"method": "GET", "path": "/x"}]}
    )
    assert response.status_code == 403


def test_the_rdt_is_not_kept_in_the_exchange_log(seller, spapi_emulator):
    rdt = _rdt(seller, {"method": "GET", "path": "/reports/2021-06-30/documents/x"})
    recorded = b"".join(exchange.response_body for exchange in spapi_emulator.exchanges).decode()
    assert_no_secrets(recorded, rdt)


def test_revoking_the_seller_revokes_its_rdts(seller, spapi_emulator):
    from tests.support.canaries import REFRESH_TOKEN

    document_id = _finished_document(seller, RESTRICTED)
    path = f"/reports/2021-06-30/documents/{document_id}"
    rdt = _rdt(seller, {"method": "GET", "path": path})
    spapi_emulator.revoke(REFRESH_TOKEN)
    assert Api(spapi_emulator, rdt).call("GET", path).status_code == 403
    assert US  # the seller sells in the US (emulator_api's default marketplace)
