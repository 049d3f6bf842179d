"""Pull plans through the deployed API: SigV4-signed calls through API Gateway to the plans function, with
IAM enforced for its role (test_stack_real_aws_rules checks afterwards that no role was refused anything)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sp_reports.client.errors import ApiError
from tests.support.deployed_stack import local_aws_of

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


def test_the_plans_function_was_refused_nothing_it_did(stack, client, seller):
    # After the tests above (same module, in order): every call the plans function's role made was allowed.
    aws = local_aws_of(stack, "the plans function's authorisation decisions")
    mine = {d: n for d, n in aws.iam.decisions().items() if d.principal.endswith("-plans-api")}
    assert "dynamodb:GetItem" in {d.action for d in mine}  # it ran as its own role
    assert [d.action for d in mine if not d.allowed] == []
