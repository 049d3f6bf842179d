"""Which token each operation needs, and the 403/400 answers for the wrong one."""

from __future__ import annotations

import re

import pytest

from sp_reports.spapi.regions import MARKETPLACE_IDS
from spapi_emulator import SpApiEmulator, reports_api
from spapi_emulator.app import GRANTLESS_OPERATIONS
from tests.support.emulator_api import SQS_ARN, Api

DESTINATIONS = "/notifications/v1/destinations"
REPORTS = "/reports/2021-06-30/reports"


DENIED = "Access to requested resource is denied."
UNAUTHORIZED_NO_REASON = {"errors": [{"code": "Unauthorized", "message": DENIED, "details": ""}]}

# The 403s SP-API answers, with their sources (the emulator's docstring lists the same):
# (case, who calls, method, path, body, expected errors body, x-amzn-ErrorType or None)
ERROR_SHAPES = [
    # selling-partner-api-docs#51, selling-partner-api-models#712: no token, no details, whatever the path.
    (
        "no access token",
        "nobody",
        "GET",
        REPORTS,
        None,
        {"errors": [{"message": DENIED, "code": "MissingAuthenticationToken"}]},
        None,
    ),
    (
        "no access token, unknown path",
        "nobody",
        "GET",
        "/reports/2021-06-30/nonsense",
        None,
        {"errors": [{"message": DENIED, "code": "MissingAuthenticationToken"}]},
        None,
    ),
    # selling-partner-api-docs#62 / models#723 (a doubled path segment) and airbytehq/airbyte#75141
    # (/reports/2021-06-30/{reportId}): a wrong path is a 403 AccessDeniedException, not a 404.
    (
        "doubled path segment",
        "seller",
        "GET",
        "/reports/2021-06-30/reports/2021-06-30/documents/DOC-1",
        None,
        UNAUTHORIZED_NO_REASON,
        "AccessDeniedException",
    ),
    (
        "report id without /reports/",
        "seller",
        "GET",
        "/reports/2021-06-30/2029907020529",
        None,
        UNAUTHORIZED_NO_REASON,
        "AccessDeniedException",
    ),
    (
        "retired API version",
        "seller",
        "GET",
        "/reports/2020-09-04/reports",
        None,
        UNAUTHORIZED_NO_REASON,
        "AccessDeniedException",
    ),
    (
        "method of no operation",
        "seller",
        "PATCH",
        REPORTS,
        None,
        UNAUTHORIZED_NO_REASON,
        "AccessDeniedException",
    ),
    # selling-partner-api-models#1433: a grantless token where a seller's was needed, "details": "".
    (
        "grantless token on a seller operation",
        "grantless",
        "GET",
        "/notifications/v1/subscriptions/REPORT_PROCESSING_FINISHED",
        None,
        UNAUTHORIZED_NO_REASON,
        "AccessDeniedException",
    ),
    (
        "seller token on a grantless operation",
        "seller",
        "POST",
        DESTINATIONS,
        {"name": "n", "resourceSpecification": {"sqs": {"arn": SQS_ARN}}},
        UNAUTHORIZED_NO_REASON,
        "AccessDeniedException",
    ),
    # selling-partner-api-models#2333, #230: an unknown or revoked token.
    (
        "unknown access token",
        "made-up",
        "GET",
        REPORTS,
        None,
        {
            "errors": [
                {
                    "code": "Unauthorized",
                    "message": DENIED,
                    "details": "The access token you provided is revoked, malformed or invalid.",
                }
            ]
        },
        "AccessDeniedException",
    ),
]


@pytest.mark.allow_contract_violations  # the wrong paths and methods are no operation of the models
@pytest.mark.parametrize(
    ("case", "caller", "method", "path", "body", "errors", "error_type"),
    ERROR_SHAPES,
    ids=[c[0] for c in ERROR_SHAPES],
)
def test_refusals_have_sp_apis_shapes(
    spapi_emulator: SpApiEmulator, seller, grantless, case, caller, method, path, body, errors, error_type
):
    api = {"seller": seller, "grantless": grantless, "nobody": Api(spapi_emulator, None)}.get(caller)
    api = api or Api(spapi_emulator, "Atza|CANARY-made-up")
    params = {"reportTypes": "X"} if path == REPORTS and method == "GET" else None

    response = api.call(method, path, params=params, json=body)

    assert response.status_code == 403
    assert response.json() == errors
    assert response.headers.get("x-amzn-ErrorType") == error_type
    assert response.headers["x-amzn-RequestId"]
    assert "x-amzn-RateLimit-Limit" not in response.headers


def test_the_grantless_operations_are_those_the_notifications_model_calls_grantless(contract):
    said_grantless = {
        op_id
        for op_id, operation in contract.operations.items()
        if re.search(rf"The `{op_id}` (operation|API) is grantless", operation.spec.get("description", ""))
    }
    assert "deleteSubscriptionById" in said_grantless
    assert said_grantless == GRANTLESS_OPERATIONS


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
