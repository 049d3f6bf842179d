"""Daily report budgets: one conditional counter per seller (or caller) and UTC day in the reports table."""

from __future__ import annotations

import threading

import boto3
import pytest

from sp_reports.pipeline.api_requests import ApiError
from sp_reports.pipeline.report_budget import CALLER, DailyReportBudget, budget_key

NOW = 1_714_644_942.0  # 2024-05-02T10:15:42Z; the next UTC midnight is 49,458 s later
SELLER = "A3TH9S8BH6GOGM"


def _budget(resources, budget=10, clock=lambda: NOW):
    return DailyReportBudget(
        resources.reports_table, boto3.client("dynamodb", region_name="us-east-1"), budget, clock=clock
    )


def _item(resources, key):
    return (
        boto3.client("dynamodb", region_name="us-east-1")
        .get_item(TableName=resources.reports_table, Key={"ReportId": {"S": key}}, ConsistentRead=True)
        .get("Item")
    )


def test_a_days_reports_are_counted_on_one_item_per_seller_and_day_that_expires(resources):
    budget = _budget(resources)
    budget.spend(SELLER, 3)
    budget.spend(SELLER, 4)

    key = budget_key(SELLER, budget._now())
    assert key == "report-budget#A3TH9S8BH6GOGM#2024-05-02"
    item = _item(resources, key)
    assert item["ReportCount"] == {"N": "7"}
    # TTL: a day after the day ends (2024-05-04T00:00:00Z).
    assert item["ExpiresAt"] == {"N": "1714780800"}
    assert set(item) == {"ReportId", "ReportCount", "ExpiresAt"}


def test_over_budget_is_429_naming_budget_count_and_reset_and_spends_nothing(resources):
    budget = _budget(resources)
    budget.spend(SELLER, 8)

    with pytest.raises(ApiError) as refused:
        budget.spend(SELLER, 3)

    error = refused.value
    assert (error.status, error.code) == (429, "SellerReportBudgetExhausted")
    assert "at most 10 SP-API reports" in error.message
    assert "8 of them were created today" in error.message and "needs 3" in error.message
    assert "resets at 2024-05-03T00:00:00Z" in error.message
    assert error.headers == {"Retry-After": "49458"}
    assert _item(resources, budget_key(SELLER, budget._now()))["ReportCount"] == {"N": "8"}
    budget.spend(SELLER, 2)  # exactly the budget still fits


def test_a_request_larger_than_the_whole_budget_is_refused_without_a_write(resources):
    budget = _budget(resources, budget=5)
    with pytest.raises(ApiError) as refused:
        budget.spend(SELLER, 6)
    assert refused.value.code == "SellerReportBudgetExhausted"
    assert "more than one day's budget" in refused.value.message
    assert _item(resources, budget_key(SELLER, budget._now())) is None


def test_the_budget_is_per_seller_and_per_utc_day(resources):
    today = _budget(resources, budget=2)
    today.spend(SELLER, 2)
    today.spend("A1OTHERSELLER1", 2)
    tomorrow = _budget(resources, budget=2, clock=lambda: NOW + 86_400)
    tomorrow.spend(SELLER, 2)
    with pytest.raises(ApiError):
        today.spend(SELLER, 1)


def test_reports_never_asked_for_are_given_back(resources):
    budget = _budget(resources)
    with pytest.raises(RuntimeError), budget.reserved(SELLER, 5) as reservation:
        create = reservation.counting(lambda: None)
        create()
        create()
        raise RuntimeError("the plan stopped at its second report")
    assert _item(resources, budget_key(SELLER, budget._now()))["ReportCount"] == {"N": "2"}


def test_racing_requests_cannot_together_exceed_the_budget(resources, monkeypatch):
    """Each request reads nothing first: the condition is evaluated on the item as DynamoDB holds it when the
    write applies, so of requests racing for the last reports only those that fit succeed.

    DynamoDB applies the writes to one item one at a time; the pinned moto does not (it evaluates a condition
    and applies the update without a lock, on each request's thread), so a lock around moto's UpdateItem
    stands in for that. A budget that read the count and then wrote would still overspend here."""
    from sp_reports_harness.local_aws.moto_internals import DynamoDBBackend

    one_at_a_time = threading.Lock()
    update_item = DynamoDBBackend.update_item

    def serialised(*args, **kwargs):
        with one_at_a_time:
            return update_item(*args, **kwargs)

    monkeypatch.setattr(DynamoDBBackend, "update_item", serialised)
    budget = _budget(resources, budget=10)
    start = threading.Barrier(4)
    outcomes: list[str] = []

    def request() -> None:
        start.wait()
        try:
            budget.spend(SELLER, 4)
            outcomes.append("spent")
        except ApiError as error:
            outcomes.append(error.code)

    threads = [threading.Thread(target=request) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["SellerReportBudgetExhausted"] * 2 + ["spent"] * 2
    assert _item(resources, budget_key(SELLER, budget._now()))["ReportCount"] == {"N": "8"}


def test_a_report_sp_api_refused_is_given_back_and_one_that_may_exist_is_not(resources):
    from sp_reports.spapi.errors import SpApiServerError, SpApiThrottledError

    budget = _budget(resources)
    throttled = SpApiThrottledError(429, "QuotaExceeded", "throttled")
    for failure in (throttled, SpApiServerError(503, "InternalFailure", "down")):
        with pytest.raises(type(failure)), budget.reserved(SELLER, 3) as reservation:

            def create(failure=failure):
                raise failure

            reservation.counting(create)()
    # The throttled call made no report; the one that met a 503 may have.
    assert _item(resources, budget_key(SELLER, budget._now()))["ReportCount"] == {"N": "1"}


def test_a_request_that_created_nothing_leaves_no_budget_item_behind(resources):
    budget = _budget(resources)
    with budget.reserved(SELLER, 3):
        pass
    assert _item(resources, budget_key(SELLER, budget._now())) is None


CALLER_ROLE = "arn:aws:iam::123456789012:role/tenant-a-invoke"


def test_a_callers_budget_counts_apart_from_any_sellers_and_names_the_caller_and_its_setting(resources):
    client = boto3.client("dynamodb", region_name="us-east-1")
    callers = DailyReportBudget(resources.reports_table, client, 5, scope=CALLER, clock=lambda: NOW)
    sellers = _budget(resources, budget=5)
    callers.spend(CALLER_ROLE, 4)
    sellers.spend(SELLER, 4)  # the seller's own count is another item

    with pytest.raises(ApiError) as refused:
        callers.spend(CALLER_ROLE, 2)

    error = refused.value
    assert (error.status, error.code) == (429, "CallerReportBudgetExhausted")
    assert error.message.startswith(f"caller {CALLER_ROLE} may have at most 5 SP-API reports")
    assert "(caller_daily_report_budget)" in error.message and error.headers == {"Retry-After": "49458"}
    key = budget_key(CALLER_ROLE, callers._now(), CALLER)
    assert key == f"caller-report-budget#{CALLER_ROLE}#2024-05-02"
    assert _item(resources, key)["ReportCount"] == {"N": "4"}
    assert _item(resources, budget_key(SELLER, sellers._now()))["ReportCount"] == {"N": "4"}
