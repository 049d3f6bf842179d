"""Pull plans through the deployed API: SigV4-signed calls through API Gateway to the plans function, with
IAM enforced for its role (test_stack_real_aws_rules checks afterwards that no role was refused anything)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sp_reports.client.errors import ApiError
from spapi_emulator.settlements import PUBLICATION_DELAY, SETTLEMENT_PERIOD, V2_FLAT_FILE
from tests.support.deployed_stack import emulator_of, execution_of, local_aws_of, wait_for

pytestmark = pytest.mark.integration

STATUSES = {"stored", "requested", "waiting-for-data", "failed", "parked", "not-yet-due", "no-data"}


def test_a_plan_is_created_once_shown_covered_paused_and_deleted(stack, client, seller):
    client.put_token(seller.seller_id, seller.refresh_token)
    today = datetime.now(UTC).date()
    start = (today - timedelta(days=3)).isoformat()

    plan = client.create_plan(seller.seller_id, [seller.marketplace_id], seller.report_type, "daily", start)
    again = client.create_plan(seller.seller_id, [seller.marketplace_id], seller.report_type, "daily", start)

    assert plan.created and not again.created and again.plan_id == plan.plan_id
    assert client.get_plan(plan.plan_id).raw == plan.raw
    assert plan.plan_id in [p.plan_id for p in client.list_plans(seller.seller_id).plans]

    coverage = client.plan_coverage(plan.plan_id, start, today.isoformat())
    windows = coverage["windows"]
    assert [w["start"][:10] for w in windows] == [
        (today - timedelta(days=n)).isoformat() for n in (3, 2, 1, 0)
    ]
    assert {w["status"] for w in windows} <= STATUSES
    assert windows[-1]["status"] == "not-yet-due"  # today has not ended
    assert coverage["backfill"]["windowsLeft"] <= 3

    assert client.update_plan(plan.plan_id, paused=True).paused
    assert client.delete_plan(plan.plan_id)
    with pytest.raises(ApiError) as gone:
        client.get_plan(plan.plan_id)
    assert (gone.value.status, gone.value.code) == (404, "PlanNotFound")
    # The deleted plan's coverage stays readable, from its tombstone.
    after = client.plan_coverage(plan.plan_id, start, today.isoformat())
    assert after["deleted"] is True and after["deletedAt"]
    assert [w["start"] for w in after["windows"]] == [w["start"] for w in windows]


def test_a_plan_for_a_seller_without_a_token_is_a_404(client, seller):
    with pytest.raises(ApiError) as unknown:
        client.create_plan(
            "A9NOTOKEN0SELLER", [seller.marketplace_id], seller.report_type, "daily", "2026-01-01"
        )
    assert (unknown.value.status, unknown.value.code) == (404, "SellerNotFound")


def test_a_settlement_report_of_a_discover_plan_is_found_and_stored_when_the_planner_ticks(
    stack, client, seller
):
    emulator = emulator_of(stack, "make a settlement report appear as Amazon does by itself")
    client.put_token(seller.seller_id, seller.refresh_token)
    now = datetime.now(UTC).replace(microsecond=0)
    # One settlement period ended (and its report was published) a minute ago.
    period_start = now - SETTLEMENT_PERIOD - PUBLICATION_DELAY - timedelta(minutes=1)
    plan = client.create_plan(
        seller.seller_id,
        [seller.marketplace_id],
        V2_FLAT_FILE,
        None,
        (period_start - timedelta(days=1)).date().isoformat(),
        mode="discover",
    )
    (made,) = emulator.open_settlements(seller.seller_id, seller.marketplace_id, period_start)
    # Amazon lists a report being made too; the planner stores the finished one.
    assert wait_for(lambda: emulator.report(made).processing_status == "DONE", timeout=30)

    invocation = stack.fire_schedule(str(stack.outputs["pull_planner_schedule_name"]))
    coverage_from, coverage_to = period_start.date().isoformat(), now.date().isoformat()

    def stored() -> list[dict] | None:
        windows = client.plan_coverage(plan.plan_id, coverage_from, coverage_to)["windows"]
        return windows if windows and all(w["status"] == "stored" for w in windows) else None

    windows = wait_for(stored, timeout=120, interval=1.0)
    assert windows, client.plan_coverage(plan.plan_id, coverage_from, coverage_to)["windows"]
    (window,) = windows
    assert invocation.status_code == 202
    assert window["start"] == period_start.strftime("%Y-%m-%dT%H:%M:%SZ")
    folder = f"{period_start:%Y-%m-%dT%H%M%SZ}_{period_start + SETTLEMENT_PERIOD:%Y-%m-%dT%H%M%SZ}"
    assert window["s3Key"].endswith(f"/{seller.marketplace_id}/{folder}/v001/report.tsv")
    report_id = window["versions"][0]["reportId"]
    assert report_id == made
    assert execution_of(stack, report_id)["status"] == "SUCCEEDED"
    assert client.delete_plan(plan.plan_id)


def test_the_plans_function_was_refused_nothing_it_did(stack, client, seller):
    # After the tests above (same module, in order): every call the plans function's role made was allowed.
    aws = local_aws_of(stack, "the plans function's authorisation decisions")
    mine = {d: n for d, n in aws.iam.decisions().items() if d.principal.endswith("-plans-api")}
    assert "dynamodb:GetItem" in {d.action for d in mine}  # it ran as its own role
    assert [d.action for d in mine if not d.allowed] == []


def test_the_planner_was_refused_nothing_it_did(stack, client, seller):
    # After the discover plan's tick above: the planner listed, recorded and started the workflow as its role.
    aws = local_aws_of(stack, "the planner's authorisation decisions")
    mine = {d: n for d, n in aws.iam.decisions().items() if d.principal.endswith("-pull-planner")}
    assert "states:StartExecution" in {d.action for d in mine}
    assert [d.action for d in mine if not d.allowed] == []
