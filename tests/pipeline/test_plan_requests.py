"""The /plans service, called as the plans_api handler calls it, against moto's DynamoDB: the seller's token,
region and daily budget, idempotent creation, changes checked again, deletion that keeps the ledger, and the
tenant boundary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest

from sp_reports.pipeline.api_requests import ApiError
from sp_reports.pipeline.plan_requests import PlanRequests
from sp_reports.pipeline.pull_ledger import PullStore, WindowState, due_shard
from sp_reports.pipeline.pull_windows import windows_between
from sp_reports.pipeline.tenancy import TenantBoundary, TenantMap
from sp_reports.pipeline.token_store import TokenStore
from tests.support import aws_resources
from tests.support.api_events import OPERATOR_ARN, api_event
from tests.support.canaries import REFRESH_TOKEN, SELLER_ID

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
UK, DE, US = "A1F83G8C2ARO7P", "A1PA6795UKMFR9", "ATVPDKIKX0DER"
LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"  # single-marketplace: a lane per marketplace
ORDERS = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"
OTHER_SELLER = "A2OTHERSELLER9"


@pytest.fixture
def store(aws) -> PullStore:
    return PullStore(aws_resources.create_pull_plans_table(), boto3.client("dynamodb"))


@pytest.fixture
def tokens(resources) -> TokenStore:
    store = TokenStore(
        resources.tokens_table, resources.tokens_key_id, boto3.client("dynamodb"), boto3.client("kms")
    )
    store.put(SELLER_ID, REFRESH_TOKEN)
    return store


def make_service(
    store, tokens, telemetry, *, budget=10, boundary=None, clock=lambda: NOW, restricted_allowed=False
) -> PlanRequests:
    return PlanRequests(
        store=store,
        # As the handler builds it: no KMS client, the token is never read.
        tokens=TokenStore(tokens._table, "", boto3.client("dynamodb"), None),
        boundary=boundary or TenantBoundary(None),
        seller_daily_budget=budget,
        logger=telemetry.logger,
        metrics=telemetry.metrics,
        restricted_allowed=restricted_allowed,
        clock=clock,
    )


@pytest.fixture
def service(store, tokens, telemetry) -> PlanRequests:
    return make_service(store, tokens, telemetry)


def plan_body(**changes) -> dict:
    body = {
        "sellerId": SELLER_ID,
        "marketplaceIds": [UK, DE],
        "reportType": LISTINGS,
        "cadence": "daily",
        "lookBackDays": [1, 2, 7],
        "startDate": "2026-12-01",
    }
    return {**body, **changes}


def post(service, body, caller=OPERATOR_ARN):
    return service.answer(api_event("POST", "/plans", body, caller_arn=caller))


def on_plan(
    service, method, plan_id, body=None, *, resource="/plans/{planId}", query=None, caller=OPERATOR_ARN
):
    event = api_event(method, resource.replace("{planId}", plan_id), body, {"planId": plan_id}, caller)
    event["resource"] = resource
    event["queryStringParameters"] = query
    return service.answer(event)


def refused(call) -> ApiError:
    with pytest.raises(ApiError) as caught:
        call()
    return caught.value


def test_a_plan_is_created_once_and_the_same_body_answers_the_same_plan(service, store, telemetry):
    status, created = post(service, plan_body())
    again_status, again = post(service, plan_body(lookBackDays=[7, 2, 1], marketplaceIds=[DE, UK]))

    assert status == 201 and again_status == 200
    assert again["planId"] == created["planId"] and created["planId"].startswith("pp-")
    assert created["marketplaceIds"] == sorted([UK, DE]) and created["lookBackDays"] == [1, 2, 7]
    stored = store.get_plan(created["planId"])
    assert stored.created_by == OPERATOR_ARN
    assert store.list_plans(seller_id=SELLER_ID)[0] == [stored]
    # Due at once: the planner's next tick finds it.
    assert list(store.due_plans(NOW, shard=due_shard(created["planId"]))) == [created["planId"]]
    assert on_plan(service, "GET", created["planId"]) == (200, stored.describe())
    assert telemetry.counts()["PlansCreated"] == 1


def test_the_same_body_a_day_later_answers_the_plan_although_its_start_is_now_too_old(
    store, tokens, telemetry
):
    # SP-API keeps the shipping order report's data two years: 2024-12-07 is the earliest start on NOW's day.
    today = [NOW]
    service = make_service(store, tokens, telemetry, clock=lambda: today[0], restricted_allowed=True)
    body = plan_body(
        marketplaceIds=[UK],
        reportType="GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING",
        lookBackDays=[],
        startDate="2024-12-07",
    )
    status, created = post(service, body)
    today[0] = NOW + timedelta(days=1)

    assert status == 201
    assert post(service, body) == (200, created)
    # A plan not made yet is still refused on the day.
    error = refused(lambda: post(service, {**body, "cadence": "weekly"}))
    assert (error.status, error.code) == (400, "StartDateTooOld") and "2024-12-08" in error.message


def test_an_unknown_seller_is_a_404_naming_it(service):
    error = refused(lambda: post(service, plan_body(sellerId=OTHER_SELLER)))
    assert (error.status, error.code) == (404, "SellerNotFound")
    assert OTHER_SELLER in error.message and "POST /tokens" in error.message


def test_the_catalogues_refusals_reach_the_caller(service):
    error = refused(lambda: post(service, plan_body(reportType="GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE")))
    assert (error.status, error.code) == (400, "ReportTypeNotRequestable")
    assert "A plan finds such reports with mode discover" in error.message


def test_a_requestable_type_in_mode_discover_is_refused_and_nothing_is_stored(service, store):
    error = refused(lambda: post(service, plan_body(mode="discover")))
    assert (error.status, error.code) == (400, "ReportTypeRequestable")
    assert "use mode request" in error.message
    assert store.list_plans(seller_id=SELLER_ID)[0] == []


def test_a_settlement_plan_of_mode_discover_is_created_and_due(service, store):
    body = plan_body(
        marketplaceIds=[UK],
        reportType="GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2",
        mode="discover",
        cadence=None,
        lookBackDays=None,
    )
    status, created = post(service, {name: value for name, value in body.items() if value is not None})

    assert status == 201
    assert (created["mode"], created["cadence"], created["lookBackDays"]) == ("discover", None, [])
    assert store.get_plan(created["planId"]).describe() == created
    assert list(store.due_plans(NOW, shard=due_shard(created["planId"]))) == [created["planId"]]


def test_a_requestable_type_in_mode_discover_is_a_400_saying_to_use_mode_request(service, store):
    body = {name: value for name, value in plan_body(mode="discover", cadence=None).items() if value}
    error = refused(lambda: post(service, body))
    assert (error.status, error.code) == (400, "ReportTypeRequestable")
    assert "use mode request" in error.message and LISTINGS in error.message
    assert store.list_plans(seller_id=SELLER_ID)[0] == []


def test_a_marketplace_outside_the_sellers_region_is_refused(service):
    post(service, plan_body())  # the seller's first plan: EU
    error = refused(lambda: post(service, plan_body(marketplaceIds=[US], reportType=ORDERS)))

    assert (error.status, error.code) == (400, "MarketplaceOutsideSellerRegion")
    assert "region EU" in error.message and "NA" in error.message and US in error.message


def test_plans_over_the_sellers_daily_budget_are_refused_showing_the_arithmetic(service):
    # 2 lanes x (1 + 3 look-backs) / 1 day = 8 reports a day; the budget is 10.
    first = post(service, plan_body())[1]
    # 1 lane x (1 + 2 look-backs) = 3 more: 11 > 10.
    error = refused(
        lambda: post(service, plan_body(marketplaceIds=[UK], reportType=ORDERS, lookBackDays=[1, 2]))
    )

    assert (error.status, error.code) == (400, "PlanOverReportBudget")
    for figure in ("11.00 reports a day", "8.00 from its 1 other active plan", "3.00 from this one"):
        assert figure in error.message
    assert "1 marketplace lane(s) x (1 + 2 look-back(s)) / 1 day(s) per daily window" in error.message
    assert "daily report budget of 10" in error.message

    # A paused plan requests nothing: the second fits beside it, and resuming the first is refused.
    assert on_plan(service, "PATCH", first["planId"], {"paused": True})[1]["paused"] is True
    assert post(service, plan_body(marketplaceIds=[UK], reportType=ORDERS, lookBackDays=[1, 2]))[0] == 201
    error = refused(lambda: on_plan(service, "PATCH", first["planId"], {"paused": False}))
    assert error.code == "PlanOverReportBudget"


def test_pause_and_resume_move_the_plan_out_of_and_into_the_due_index(service, store):
    plan_id = post(service, plan_body())[1]["planId"]
    shard = due_shard(plan_id)

    assert on_plan(service, "PATCH", plan_id, {"paused": True})[1]["paused"] is True
    assert list(store.due_plans(NOW, shard=shard)) == []
    assert on_plan(service, "PATCH", plan_id, {"paused": False})[1]["paused"] is False
    assert list(store.due_plans(NOW, shard=shard)) == [plan_id]


def test_longer_look_backs_can_be_added_checked_again_and_the_plan_keeps_its_id(service, store):
    plan_id = post(service, plan_body(marketplaceIds=[UK], reportType=ORDERS, lookBackDays=[1]))[1]["planId"]

    status, changed = on_plan(service, "PATCH", plan_id, {"cadence": "daily", "lookBackDays": [1, 3, 14]})
    assert status == 200 and changed["planId"] == plan_id
    assert (changed["cadence"], changed["lookBackDays"]) == ("daily", [1, 3, 14])
    assert store.get_plan(plan_id).look_back_days == (1, 3, 14)

    error = refused(lambda: on_plan(service, "PATCH", plan_id, {"lookBackDays": [0]}))
    assert (error.status, error.code) == (400, "ValidationError") and "lookBackDays" in error.message
    error = refused(lambda: on_plan(service, "PATCH", plan_id, {"cadence": "hourly"}))
    assert "cadence" in error.message
    error = refused(lambda: on_plan(service, "PATCH", plan_id, {"reportType": LISTINGS}))
    assert "reportType" in error.message and "delete the plan" in error.message
    error = refused(lambda: on_plan(service, "PATCH", plan_id, {"paused": "yes"}))
    assert "paused: must be true or false" in error.message
    assert refused(lambda: on_plan(service, "PATCH", plan_id, {})).status == 400


def test_a_change_that_would_give_the_ledger_another_meaning_is_refused(service, store):
    plan_id = post(service, plan_body(marketplaceIds=[UK], reportType=ORDERS, lookBackDays=[2, 7]))[1][
        "planId"
    ]

    # Another cadence names windows the ledger never saw.
    error = refused(lambda: on_plan(service, "PATCH", plan_id, {"cadence": "weekly"}))
    assert (error.status, error.code) == (400, "PlanChangeNotSupported")
    assert error.message.startswith("cadence") and "delete this one and create a new one" in error.message
    # Version 2 is the 2-day look-back, version 3 the 7-day one: removing, changing or inserting shifts them.
    for look_backs in ([7], [2], [2, 8], [1, 2, 7], [3, 7, 14], []):
        error = refused(lambda days=look_backs: on_plan(service, "PATCH", plan_id, {"lookBackDays": days}))
        assert (error.status, error.code) == (400, "PlanChangeNotSupported"), look_backs
        assert "only longer ones can be added" in error.message and "[2, 7]" in error.message

    stored = store.get_plan(plan_id)
    assert (stored.cadence, stored.look_back_days) == ("daily", (2, 7))


def test_a_look_back_inside_the_types_hold_back_is_refused_on_change_too(service):
    plan_id = post(
        service, plan_body(marketplaceIds=[UK], reportType="GET_SALES_AND_TRAFFIC_REPORT", lookBackDays=[7])
    )[1]["planId"]
    error = refused(lambda: on_plan(service, "PATCH", plan_id, {"lookBackDays": [2]}))
    assert error.code == "LookBackTooShort"


def test_delete_stops_the_plan_and_keeps_its_ledger(service, store):
    plan = post(service, plan_body())[1]
    stored = store.get_plan(plan["planId"])
    window = windows_between(stored, NOW.replace(day=1), NOW)[0]
    store.claim(stored.plan_id, window, 1, now=NOW)
    store.record_report(stored.plan_id, window, 1, "50010019001")
    store.settle(stored.plan_id, window.key, 1, WindowState.STORED, s3_key="plans/x/v001/report.tsv")

    assert on_plan(service, "DELETE", plan["planId"]) == (200, {"planId": plan["planId"], "deleted": True})
    assert store.get_plan(plan["planId"]) is None
    assert list(store.due_plans(NOW, shard=due_shard(plan["planId"]))) == []
    assert [entry.state for entry in store.entries(plan["planId"])] == [WindowState.STORED]
    error = refused(lambda: on_plan(service, "GET", plan["planId"]))
    assert (error.status, error.code) == (404, "PlanNotFound")
    assert refused(lambda: on_plan(service, "DELETE", plan["planId"])).status == 404
    assert service.answer(api_event("GET", "/plans"))[1]["plans"] == []
    # The same plan again: back, with the ledger it had.
    assert post(service, plan_body())[0] == 201
    assert [entry.state for entry in store.entries(plan["planId"])] == [WindowState.STORED]


def test_a_deleted_plans_coverage_stays_readable_and_says_it_is_deleted(service, store):
    plan = post(service, plan_body(marketplaceIds=[UK], reportType=ORDERS, lookBackDays=[]))[1]
    stored = store.get_plan(plan["planId"])
    window = windows_between(stored, datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 2, tzinfo=UTC))[0]
    store.claim(stored.plan_id, window, 1, now=NOW)
    store.record_report(stored.plan_id, window, 1, "50010019001")
    store.settle(stored.plan_id, window.key, 1, WindowState.STORED, s3_key="plans/x/v001/report.tsv")
    live = on_plan(
        service, "GET", plan["planId"], resource="/plans/{planId}/coverage", query={"to": "2026-12-02"}
    )
    on_plan(service, "DELETE", plan["planId"])

    status, answer = on_plan(
        service, "GET", plan["planId"], resource="/plans/{planId}/coverage", query={"to": "2026-12-02"}
    )

    assert live[1]["deleted"] is False and "deletedAt" not in live[1]
    assert status == 200 and answer["deleted"] is True and answer["deletedAt"] == "2026-12-07T12:00:00Z"
    assert [window["status"] for window in answer["windows"]] == ["stored", "waiting-for-data"]
    assert answer["windows"][0]["s3Key"] == "plans/x/v001/report.tsv"
    assert answer["backfill"]["estimate"].startswith("never: the plan is deleted")
    # The plan itself is gone from every other route.
    assert refused(lambda: on_plan(service, "GET", plan["planId"])).status == 404


def test_the_coverage_of_a_plan_never_made_is_a_404(service):
    error = refused(lambda: on_plan(service, "GET", "pp-" + "0" * 24, resource="/plans/{planId}/coverage"))
    assert (error.status, error.code) == (404, "PlanNotFound")


def test_a_malformed_plan_id_is_a_400(service):
    error = refused(lambda: on_plan(service, "GET", "pp-../../x"))
    assert (error.status, error.code) == (400, "ValidationError") and error.message.startswith("planId")


def test_list_answers_a_sellers_plans_page_by_page(service):
    ids = {post(service, plan_body(lookBackDays=days))[1]["planId"] for days in ([], [1], [2])}
    event = api_event("GET", "/plans")
    event["queryStringParameters"] = {"sellerId": SELLER_ID, "limit": "2"}
    status, first = service.answer(event)
    event["queryStringParameters"] = {"sellerId": SELLER_ID, "limit": "2", "nextToken": first["nextToken"]}
    _, second = service.answer(event)

    assert status == 200 and len(first["plans"]) == 2 and second["nextToken"] is None
    assert {plan["planId"] for plan in first["plans"] + second["plans"]} == ids
    event["queryStringParameters"] = {"sellerId": SELLER_ID, "nextToken": "made-up"}
    assert refused(lambda: service.answer(event)).message.startswith("nextToken")
    event["queryStringParameters"] = {"limit": "500"}
    assert refused(lambda: service.answer(event)).message.startswith("limit")


def test_the_coverage_route_answers_the_plans_windows(service, store):
    plan_id = post(service, plan_body(marketplaceIds=[UK], reportType=ORDERS, lookBackDays=[]))[1]["planId"]
    status, answer = on_plan(
        service,
        "GET",
        plan_id,
        resource="/plans/{planId}/coverage",
        query={"from": "2026-12-05", "to": "2026-12-07"},
    )
    assert status == 200 and (answer["from"], answer["to"]) == ("2026-12-05", "2026-12-07")
    assert [window["status"] for window in answer["windows"]] == [
        "waiting-for-data",
        "waiting-for-data",
        "not-yet-due",
    ]
    # Backfill: 2026-12-01 .. 2026-12-06 are due and none has a report.
    assert answer["backfill"]["windowsLeft"] == 6
    error = refused(
        lambda: on_plan(
            service, "GET", plan_id, resource="/plans/{planId}/coverage", query={"from": "05/12/2026"}
        )
    )
    assert error.message.startswith("from")


@pytest.fixture
def tenant_map(aws) -> TenantMap:
    return TenantMap(aws_resources.create_tenant_map_table(), boto3.client("dynamodb"))


def test_the_tenant_boundary_guards_every_route(store, tokens, telemetry, tenant_map):
    admitted = "arn:aws:iam::123456789012:role/seller-tools"
    stranger = "arn:aws:sts::123456789012:assumed-role/other-team/session"
    tenant_map.grant(admitted, SELLER_ID)
    service = make_service(store, tokens, telemetry, boundary=TenantBoundary(tenant_map))

    plan_id = post(service, plan_body(), caller=admitted)[1]["planId"]
    assert (
        refused(lambda: post(service, plan_body(lookBackDays=[]), caller=stranger)).code == "TenantBoundary"
    )
    for method, resource, body in (
        ("GET", "/plans/{planId}", None),
        ("PATCH", "/plans/{planId}", {"paused": True}),
        ("DELETE", "/plans/{planId}", None),
        ("GET", "/plans/{planId}/coverage", None),
    ):
        with pytest.raises(ApiError) as caught:
            on_plan(service, method, plan_id, body, resource=resource, caller=stranger)
        error = caught.value
        assert (error.status, error.code) == (403, "TenantBoundary")
        assert SELLER_ID not in error.message  # the caller named a plan, not the seller
    assert store.get_plan(plan_id).paused is False

    listing = api_event("GET", "/plans", caller_arn=stranger)
    assert refused(lambda: service.answer(listing)).message.startswith("sellerId: is required")
    listing["queryStringParameters"] = {"sellerId": SELLER_ID}
    assert refused(lambda: service.answer(listing)).code == "TenantBoundary"
    listing["requestContext"]["identity"]["userArn"] = admitted
    assert [plan["planId"] for plan in service.answer(listing)[1]["plans"]] == [plan_id]
