"""/plans through the plans_api handler, cold-started with Terraform's environment, on moto: the six methods
of one function, answers and errors in the API's shape."""

from __future__ import annotations

import json

import boto3
import pytest

from tests.support import api_events, aws_resources
from tests.support.canaries import SELLER_ID

UK = "A1F83G8C2ARO7P"
ORDERS = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"


@pytest.fixture
def plans_api(load_handler, stored_seller):
    aws_resources.create_pull_plans_table()
    return load_handler(
        "plans_api",
        SELLER_DAILY_REPORT_BUDGET="3",
        PULL_PLANNER_MAX_REPORTS_PER_TICK="20",
        PULL_PLANNER_SCHEDULE_EXPRESSION="rate(5 minutes)",
    )


def call(module, context, method, resource, body=None, plan_id=None, query=None):
    path = resource.replace("{planId}", plan_id or "")
    event = api_events.api_event(method, path, body, {"planId": plan_id} if plan_id else None)
    event["resource"] = resource
    event["queryStringParameters"] = query
    response = module.handler(event, context)
    return response["statusCode"], api_events.answer_body(response)


def body(**changes):
    return {
        "sellerId": SELLER_ID,
        "marketplaceIds": [UK],
        "reportType": ORDERS,
        "cadence": "daily",
        "startDate": "2026-01-01",
        **changes,
    }


def test_one_function_serves_every_plans_method(plans_api, lambda_context):
    status, plan = call(plans_api, lambda_context, "POST", "/plans", body(lookBackDays=[2]))
    assert status == 201, plan
    plan_id = plan["planId"]
    assert call(plans_api, lambda_context, "POST", "/plans", body(lookBackDays=[2])) == (200, plan)

    status, listing = call(plans_api, lambda_context, "GET", "/plans", query={"sellerId": SELLER_ID})
    assert status == 200 and [p["planId"] for p in listing["plans"]] == [plan_id]
    assert call(plans_api, lambda_context, "GET", "/plans/{planId}", plan_id=plan_id) == (200, plan)

    status, paused = call(plans_api, lambda_context, "PATCH", "/plans/{planId}", {"paused": True}, plan_id)
    assert status == 200 and paused["paused"] is True

    status, answer = call(
        plans_api,
        lambda_context,
        "GET",
        "/plans/{planId}/coverage",
        plan_id=plan_id,
        query={"to": "2026-01-03"},
    )
    assert status == 200
    assert [w["start"][:10] for w in answer["windows"]] == ["2026-01-01", "2026-01-02", "2026-01-03"]
    assert {w["status"] for w in answer["windows"]} == {"waiting-for-data"}
    assert answer["backfill"]["windowsLeft"] > 300 and "paused" in answer["backfill"]["estimate"]

    call(plans_api, lambda_context, "PATCH", "/plans/{planId}", {"paused": False}, plan_id)
    answer = call(plans_api, lambda_context, "GET", "/plans/{planId}/coverage", plan_id=plan_id)[1]
    # The planner's pace from the environment (20 reports per 5-minute tick) gives an estimate.
    assert (
        answer["backfill"]["estimatedEnd"]
        and "20 report(s) per 5-minute tick" in answer["backfill"]["estimate"]
    )

    assert call(plans_api, lambda_context, "DELETE", "/plans/{planId}", plan_id=plan_id) == (
        200,
        {"planId": plan_id, "deleted": True},
    )
    status, error = call(plans_api, lambda_context, "GET", "/plans/{planId}", plan_id=plan_id)
    assert status == 404 and error["error"]["code"] == "PlanNotFound"


def test_refusals_have_the_apis_error_shape(plans_api, lambda_context):
    status, error = call(plans_api, lambda_context, "POST", "/plans", body(sellerId="A9UNKNOWN9SELLER"))
    assert status == 404 and error["error"]["code"] == "SellerNotFound"
    assert "A9UNKNOWN9SELLER" in error["error"]["message"] and error["error"]["requestId"]

    # 1 lane x (1 + 3 look-backs) = 4 reports a day over the budget of 3 the environment sets.
    status, error = call(plans_api, lambda_context, "POST", "/plans", body(lookBackDays=[1, 2, 7]))
    assert status == 400 and error["error"]["code"] == "PlanOverReportBudget"
    assert "4.00 reports a day" in error["error"]["message"] and "budget of 3" in error["error"]["message"]

    event = api_events.api_event("POST", "/plans", "{not json")
    response = plans_api.handler(event, lambda_context)
    assert (
        response["statusCode"] == 400 and "not valid JSON" in json.loads(response["body"])["error"]["message"]
    )


def test_nothing_is_stored_for_a_refused_plan(plans_api, lambda_context):
    call(plans_api, lambda_context, "POST", "/plans", body(cadence="hourly"))
    scan = boto3.client("dynamodb").scan(TableName=aws_resources.PULL_PLANS_TABLE)
    assert scan["Items"] == []
