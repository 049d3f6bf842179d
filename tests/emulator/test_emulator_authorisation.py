"""Which token each operation needs, and the 403/400 answers for the wrong one."""

from __future__ import annotations

import re

import pytest
from emulator_api import SQS_ARN, Api

from spapi.regions import MARKETPLACE_IDS
from spapi_emulator import SpApiEmulator, reports_api
from spapi_emulator.app import GRANTLESS_OPERATIONS

DESTINATIONS = "/notifications/v1/destinations"
REPORTS = "/reports/2021-06-30/reports"


def _assert_unauthorized(response, detail_fragment: str) -> None:
    assert response.status_code == 403
    error = response.json()["errors"][0]
    assert error["code"] == "Unauthorized"
    assert error["message"] == "Access to requested resource is denied."
    assert detail_fragment in error["details"]
    assert response.headers["x-amzn-RequestId"]


def test_missing_access_token_is_refused_with_403(spapi_emulator: SpApiEmulator):
    response = Api(spapi_emulator, None).call("GET", REPORTS, params={"reportTypes": "X"})

    _assert_unauthorized(response, "no x-amz-access-token")


def test_unknown_access_token_is_refused_with_403(spapi_emulator: SpApiEmulator):
    response = Api(spapi_emulator, "Atza|made-up").call("GET", REPORTS, params={"reportTypes": "X"})

    _assert_unauthorized(response, "invalid")


def test_grantless_token_cannot_call_seller_operations(grantless):
    _assert_unauthorized(grantless.call("GET", REPORTS, params={"reportTypes": "X"}), "selling partner")
    _assert_unauthorized(
        grantless.call("GET", "/notifications/v1/subscriptions/REPORT_PROCESSING_FINISHED"), "selling partner"
    )


def test_the_grantless_operations_are_those_the_notifications_model_calls_grantless(contract):
    said_grantless = {
        op_id
        for op_id, operation in contract.operations.items()
        if re.search(rf"The `{op_id}` (operation|API) is grantless", operation.spec.get("description", ""))
    }
    assert "deleteSubscriptionById" in said_grantless
    assert said_grantless == GRANTLESS_OPERATIONS


def test_seller_token_cannot_call_grantless_operations(seller):
    response = seller.call(
        "POST", DESTINATIONS, json={"name": "n", "resourceSpecification": {"sqs": {"arn": SQS_ARN}}}
    )

    _assert_unauthorized(response, "grantless")
    _assert_unauthorized(seller.call("GET", DESTINATIONS), "grantless")


@pytest.mark.parametrize("user_agent", ["", "x" * 501])
def test_user_agent_is_required_and_bounded(seller, user_agent):
    seller.session.headers["user-agent"] = user_agent

    response = seller.call("GET", REPORTS, params={"reportTypes": "X"})

    assert response.status_code == 400
    assert "user-agent" in response.json()["errors"][0]["message"]


@pytest.mark.allow_contract_violations
def test_invalid_request_gets_400_invalid_input_naming_the_field(seller):
    response = seller.call("POST", REPORTS, json={"reportType": "X", "marketplaceIds": []})

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["code"] == "InvalidInput"
    assert "marketplaceIds" in error["message"]
    assert response.headers["x-amzn-RateLimit-Limit"] == "0.0167"


@pytest.mark.allow_contract_violations
def test_unknown_path_answers_404(seller):
    response = seller.call("GET", "/reports/2020-09-04/reports")

    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "NotFound"


def test_unknown_marketplace_is_rejected(seller):
    response = seller.call("POST", REPORTS, json={"reportType": "X", "marketplaceIds": ["NOTAMARKETPLACE"]})

    assert response.status_code == 400
    assert "NOTAMARKETPLACE" in response.json()["errors"][0]["message"]


def test_every_marketplace_on_amazons_page_is_accepted(seller):
    # The emulator's list is the client library's (one fact, from developer-docs "marketplace-ids").
    assert reports_api.KNOWN_MARKETPLACES is MARKETPLACE_IDS
    once_refused = {"AMEN7PMS3EDWL", "A28R8C7NBKEWEA", "A17E79C6D8DWNP", "AE08WJ6YKNBMC"}  # BE, IE, SA, ZA
    assert once_refused <= MARKETPLACE_IDS

    report_id = seller.create_report(marketplaces=tuple(sorted(MARKETPLACE_IDS)))

    assert set(seller.get_report(report_id)["marketplaceIds"]) == MARKETPLACE_IDS


def test_non_json_body_is_refused_with_415(seller):
    response = seller.call(
        "POST",
        REPORTS,
        data='{"reportType": "X", "marketplaceIds": ["ATVPDKIKX0DER"]}',
        headers={"content-type": "text/plain"},
    )

    assert response.status_code == 415
    assert "application/json" in response.json()["errors"][0]["message"]
