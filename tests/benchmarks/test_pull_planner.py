"""The pull planner benchmark (benchmarks.pull_planner) at a tiny size: every due window requested once
over several ticks, no 429 reaching the planner, its DynamoDB counts and units consistent, and its Terraform
reading and cost arithmetic."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from benchmarks.cost_model import planner_cost
from benchmarks.pull_planner import PULL_PLANS_TABLE, DynamoDbMeter, read_planner_defaults, run

REPO = Path(__file__).resolve().parents[2]
TERRAFORM = REPO / "terraform"
PLANS = 20
CAP = 7  # a smaller cap than Terraform's: 20 plans over three ticks


@pytest.fixture
def environment():
    """The benchmark points the process at moto and the emulator; give the other tests theirs back."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


def test_every_due_window_is_requested_once_over_several_ticks(environment):
    result = run(PLANS, TERRAFORM, max_reports_per_tick=CAP)

    assert result.windows_due == PLANS  # one daily window per plan, all due at the first tick
    assert result.ticks == -(-PLANS // CAP)
    # Exactly once: the ledger names one report per window, and SP-API got one createReport per window.
    assert result.windows_started == PLANS
    assert result.reports_created == result.windows_reported == PLANS
    assert result.surfaced_429 == 0
    assert result.throttled_seen == 0  # one createReport per seller: well inside its burst of 15
    # One seller per plan: its token read, decrypted and exchanged once.
    assert result.kms_decrypts == result.lwa_exchanges == PLANS
    calls = result.dynamodb_calls
    assert calls["sp-reports-tokens GetItem"] == PLANS
    assert calls[f"{PULL_PLANS_TABLE} GetItem"] == PLANS  # each plan read once, in the tick that ran it
    # Per window: the claim, the report recorded, the next due time.
    assert calls[f"{PULL_PLANS_TABLE} UpdateItem"] >= 3 * PLANS
    reads = sum(count for name, count in calls.items() if name.split()[1] in DynamoDbMeter.READS)
    writes = sum(count for name, count in calls.items() if name.split()[1] in DynamoDbMeter.WRITES)
    assert reads / 2 <= result.read_units <= reads
    assert result.write_units >= writes
    assert result.wall_seconds == pytest.approx(sum(result.tick_seconds))
    assert result.peak_rss_bytes > 0


def test_request_units_follow_the_consistency_and_the_indexes_a_write_changes():
    meter = DynamoDbMeter()

    class Operation:
        def __init__(self, name: str) -> None:
            self.name = name

    plan_key = {"PK": {"S": "plan#pp-1"}, "SK": {"S": "plan"}}
    entry_key = {"PK": {"S": "plan#pp-1"}, "SK": {"S": "window#x#v001"}}
    meter._count({"TableName": PULL_PLANS_TABLE, "ConsistentRead": True}, Operation("GetItem"))
    meter._count({"TableName": PULL_PLANS_TABLE}, Operation("Query"))
    meter._count({"TableName": PULL_PLANS_TABLE, "Key": plan_key}, Operation("UpdateItem"))
    meter._count({"TableName": PULL_PLANS_TABLE, "Key": entry_key}, Operation("UpdateItem"))

    assert meter.read_units == 1.5
    assert meter.write_units == 4 + 1
    assert meter.calls == {
        f"{PULL_PLANS_TABLE} GetItem": 1,
        f"{PULL_PLANS_TABLE} Query": 1,
        f"{PULL_PLANS_TABLE} UpdateItem": 2,
    }


def test_the_planners_memory_timeout_cap_and_schedule_come_from_terraform():
    defaults = read_planner_defaults(TERRAFORM)
    assert defaults.memory_mb >= 128
    assert 60 <= defaults.timeout_seconds <= 900
    assert defaults.max_reports_per_tick >= 1
    assert defaults.schedule_minutes >= 1


def test_the_planners_cost_per_1000_windows_is_what_the_price_table_says():
    cost = planner_cost(
        seconds_per_window=0.5,
        ticks_per_window=1 / 200,
        read_units_per_window=3.0,
        write_units_per_window=10.0,
        kms_decrypts_per_window=1.0,
        memory_mb=256,
        architecture="arm64",
    )
    lines = {line.item: line for line in cost.lines}
    assert lines["Lambda pull_planner duration"].quantity == pytest.approx(1000 * 0.5 * 0.25)
    assert lines["Lambda pull_planner duration"].usd == pytest.approx(125 * 0.0000133334)
    assert lines["Scheduler invocations (ticks)"].quantity == pytest.approx(5)
    assert lines["DynamoDB writes"].usd == pytest.approx(10_000 * 0.625 / 1e6)
    assert lines["DynamoDB reads"].usd == pytest.approx(3_000 * 0.125 / 1e6)
    assert cost.total == pytest.approx(sum(line.usd for line in cost.lines))
