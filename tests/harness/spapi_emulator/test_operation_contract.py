"""Every emulator answer, for every supported operation and its error cases, is one the models allow."""

from __future__ import annotations

import json

import pytest

from spapi_emulator import ModelContract, SpApiEmulator
from spapi_emulator.app import HANDLERS
from tests.support.emulator_api import SQS_ARN, Api

NOTIFICATIONS = "/notifications/v1"
RPF = f"{NOTIFICATIONS}/subscriptions/REPORT_PROCESSING_FINISHED"


def _exercise_every_operation(emulator: SpApiEmulator, seller: Api, grantless: Api) -> None:
    emulator.config.auto_advance = False
    report_id = seller.create_report()
    queued_id = seller.create_report()
    emulator.finish_report(report_id, "DONE")
    document_id = seller.get_report(report_id)["reportDocumentId"]
    seller.call(
        "GET", "/reports/2021-06-30/reports", params={"reportTypes": "GET_MERCHANT_LISTINGS_ALL_DATA"}
    )
    seller.call("GET", f"/reports/2021-06-30/documents/{document_id}")
    seller.call("GET", "/reports/2021-06-30/documents/unknown")
    seller.call("DELETE", f"/reports/2021-06-30/reports/{queued_id}")
    seller.call("DELETE", f"/reports/2021-06-30/reports/{report_id}")  # 400: not IN_QUEUE
    seller.call("GET", "/reports/2021-06-30/reports/unknown")
    restricted_id = seller.create_report("GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING")
    emulator.finish_report(restricted_id, "DONE")
    restricted_path = f"/reports/2021-06-30/documents/{seller.get_report(restricted_id)['reportDocumentId']}"
    seller.call("GET", restricted_path)  # 403: a restricted type's document needs an RDT
    seller.call(
        "POST",
        "/tokens/2021-03-01/restrictedDataToken",
        json={"restrictedResources": [{"method": "GET", "path": restricted_path}]},
    )

    schedules = "/reports/2021-06-30/schedules"
    schedule = {"reportType": "GET_MERCHANT_LISTINGS_ALL_DATA", "marketplaceIds": ["ATVPDKIKX0DER"]}
    schedule_id = seller.call("POST", schedules, json={**schedule, "period": "PT1H"}).json()[
        "reportScheduleId"
    ]
    seller.call(
        "POST",
        schedules,
        json={**schedule, "reportType": "GET_V2_SETTLEMENT_REPORT_DATA_XML", "period": "P1D"},
    )
    seller.call("GET", schedules, params={"reportTypes": "GET_MERCHANT_LISTINGS_ALL_DATA"})
    seller.call("GET", f"{schedules}/{schedule_id}")
    seller.call("DELETE", f"{schedules}/{schedule_id}")
    seller.call("GET", f"{schedules}/{schedule_id}")  # 404
    seller.call("DELETE", f"{schedules}/{schedule_id}")  # 404

    destination_id = grantless.create_destination()
    grantless.call(  # 409 Conflict
        "POST",
        f"{NOTIFICATIONS}/destinations",
        json={"name": "x", "resourceSpecification": {"sqs": {"arn": SQS_ARN}}},
    )
    grantless.call("GET", f"{NOTIFICATIONS}/destinations")
    grantless.call("GET", f"{NOTIFICATIONS}/destinations/{destination_id}")
    subscription_id = seller.subscribe(destination_id).json()["payload"]["subscriptionId"]
    seller.subscribe(destination_id)  # 409 StateConflict
    seller.call("GET", RPF)
    seller.call(
        "GET", f"{NOTIFICATIONS}/subscriptions", params={"notificationTypes": "REPORT_PROCESSING_FINISHED"}
    )
    grantless.call("GET", f"{RPF}/{subscription_id}")
    grantless.call("DELETE", f"{NOTIFICATIONS}/destinations/{destination_id}")  # 403: has subscriptions
    grantless.call("DELETE", f"{RPF}/{subscription_id}")
    grantless.call("DELETE", f"{NOTIFICATIONS}/destinations/{destination_id}")
    grantless.call("GET", f"{NOTIFICATIONS}/destinations/{destination_id}")  # 404
    seller.call("GET", f"{NOTIFICATIONS}/destinations")  # 403: seller token on a grantless operation

    emulator.inject("getReport", status=503)
    seller.call("GET", f"/reports/2021-06-30/reports/{report_id}")
    emulator.set_rate("getDestinations", rate=0.001, burst=1)
    grantless.call("GET", f"{NOTIFICATIONS}/destinations")
    grantless.call("GET", f"{NOTIFICATIONS}/destinations")  # 429


def test_every_supported_operation_answers_within_the_models(
    spapi_emulator: SpApiEmulator, seller, grantless, contract: ModelContract
):
    _exercise_every_operation(spapi_emulator, seller, grantless)

    exchanges = [e for e in spapi_emulator.exchanges if e.kind == "spapi"]
    for exchange in exchanges:
        contract.validate_response(
            exchange.method, exchange.path, exchange.status, exchange.response_body, exchange.response_headers
        )
    assert {e.operation_id for e in exchanges} == set(HANDLERS)
    statuses = {e.status for e in exchanges}
    assert {200, 201, 202, 400, 403, 404, 409, 429, 503} <= statuses
    assert spapi_emulator.contract_violations() == []


def test_every_response_carries_a_unique_request_id(spapi_emulator: SpApiEmulator, seller, grantless):
    _exercise_every_operation(spapi_emulator, seller, grantless)

    ids = [e.response_headers["x-amzn-RequestId"] for e in spapi_emulator.exchanges if e.kind == "spapi"]
    assert len(ids) == len(set(ids))


@pytest.mark.allow_contract_violations
def test_recorded_invalid_requests_are_reported_as_violations(spapi_emulator: SpApiEmulator, seller):
    seller.call("GET", "/reports/2021-06-30/reports", params={"reportTypes": "X", "pageSize": "500"})

    [violation] = spapi_emulator.contract_violations()

    assert violation.startswith("request GET /reports/2021-06-30/reports -> 400")
    assert "pageSize" in violation


def test_an_emulator_answer_outside_the_models_becomes_a_500(
    spapi_emulator: SpApiEmulator, seller, monkeypatch
):
    def broken_get_report(*_args):
        return 200, {"reportId": "1"}  # lacks required fields

    monkeypatch.setitem(HANDLERS, "getReport", broken_get_report)

    response = seller.call("GET", "/reports/2021-06-30/reports/1")

    assert response.status_code == 500
    assert "emulator bug" in response.json()["errors"][0]["message"]
    assert "is a required property" in json.dumps(response.json())
