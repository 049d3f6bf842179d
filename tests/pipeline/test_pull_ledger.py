"""The pull plans table against moto's DynamoDB: plans, the sharded due index, the ledger's conditional
writes and the page tokens (sp_reports.pipeline.pull_ledger)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest

from sp_reports.pipeline.api_requests import ApiError
from sp_reports.pipeline.pull_ledger import (
    SHARDS,
    LedgerConflictError,
    PullStore,
    WindowState,
    due_shard,
)
from sp_reports.pipeline.pull_plans import Cadence, plan_from_request
from sp_reports.pipeline.pull_windows import Window, windows_between
from tests.support.aws_resources import REGION, create_pull_plans_table

NOW = datetime(2026, 12, 7, 20, 0, tzinfo=UTC)
SELLER, OTHER = "A3TH9S8BH6GOGM", "A1B2C3D4E5F6G7"
US, CA = "ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"


@pytest.fixture
def store(aws):
    return PullStore(create_pull_plans_table(), boto3.client("dynamodb", region_name=REGION))


def _plan(seller=SELLER, **changes):
    body = {
        "sellerId": seller,
        "marketplaceIds": [US, CA],
        "reportType": "GET_SALES_AND_TRAFFIC_REPORT",
        "cadence": "daily",
        "lookBackDays": [7],
        "reportOptions": {"dateGranularity": "DAY"},
        "startDate": "2026-11-01",
    }
    body.update(changes)
    return plan_from_request(body, now=NOW)


def _window(day="2026-11-02"):
    start = datetime.fromisoformat(day).replace(tzinfo=UTC)
    return Window(start, start + timedelta(days=1), (CA, US))


# -- plans --------------------------------------------------------------------------------------------------


def test_a_plan_is_stored_once_and_read_back_whole(store):
    plan = _plan()
    stored, created = store.put_plan(plan)
    assert (stored, created) == (plan, True)
    assert store.get_plan(plan.plan_id) == plan
    again, created = store.put_plan(_plan())
    assert (again, created) == (plan, False)
    assert store.get_plan("pp-" + "0" * 24) is None


def test_a_new_plan_is_due_at_once_in_its_shard_and_nowhere_else(store):
    plan = _plan()
    store.put_plan(plan)
    shard = due_shard(plan.plan_id)
    assert list(store.due_plans(NOW, shard=shard)) == [plan.plan_id]
    assert list(store.due_plans(NOW - timedelta(seconds=1), shard=shard)) == []
    assert all(not list(store.due_plans(NOW, shard=s)) for s in range(SHARDS) if s != shard)


def test_next_due_moves_the_plan_in_the_index_and_none_takes_it_out(store):
    plan = _plan()
    store.put_plan(plan)
    shard = due_shard(plan.plan_id)
    store.set_next_due(plan.plan_id, NOW + timedelta(hours=3))
    assert list(store.due_plans(NOW + timedelta(hours=2), shard=shard)) == []
    assert list(store.due_plans(NOW + timedelta(hours=3), shard=shard)) == [plan.plan_id]
    store.set_next_due(plan.plan_id, None)
    assert list(store.due_plans(NOW + timedelta(days=365), shard=shard)) == []
    # a plan deleted meanwhile is not brought back as a plan-less item
    store.delete_plan(plan.plan_id)
    store.set_next_due(plan.plan_id, NOW)
    assert store.get_plan(plan.plan_id) is None
    assert list(store.due_plans(NOW, shard=shard)) == []


def test_due_plans_come_earliest_first_across_pages(store):
    plans = [_plan(startDate=f"2026-10-{day:02d}") for day in range(1, 29)]
    for plan in plans:
        store.put_plan(plan)
    by_shard: dict[int, list[str]] = {}
    for offset, plan in enumerate(plans):
        store.set_next_due(plan.plan_id, NOW - timedelta(minutes=offset))
        by_shard.setdefault(due_shard(plan.plan_id), []).append(plan.plan_id)
    found = [plan_id for shard in range(SHARDS) for plan_id in store.due_plans(NOW, shard=shard)]
    assert sorted(found) == sorted(plan.plan_id for plan in plans)
    for shard, ids in by_shard.items():
        assert list(store.due_plans(NOW, shard=shard)) == list(reversed(ids))
    assert len(by_shard) > 1  # the plans are spread over shards
    with pytest.raises(ValueError):
        list(store.due_plans(NOW, shard=SHARDS))


def test_pausing_takes_a_plan_out_of_the_index_and_resuming_makes_it_due(store):
    plan = _plan()
    store.put_plan(plan)
    shard = due_shard(plan.plan_id)
    paused = store.update_plan(plan.plan_id, paused=True, now=NOW + timedelta(minutes=1))
    assert paused.paused and paused.updated_at == "2026-12-07T20:01:00Z"
    assert list(store.due_plans(NOW + timedelta(days=30), shard=shard)) == []
    resumed = store.update_plan(plan.plan_id, paused=False, now=NOW + timedelta(minutes=2))
    assert not resumed.paused
    assert list(store.due_plans(NOW + timedelta(minutes=2), shard=shard)) == [plan.plan_id]


def test_a_plan_created_paused_is_not_due(store):
    from dataclasses import replace

    plan = replace(_plan(), paused=True)
    store.put_plan(plan)
    assert list(store.due_plans(NOW + timedelta(days=1), shard=due_shard(plan.plan_id))) == []


def test_update_plan_changes_cadence_look_backs_and_note_and_refuses_the_rest(store):
    plan = _plan()
    store.put_plan(plan)
    changed = store.update_plan(
        plan.plan_id, cadence=Cadence.WEEKLY, look_back_days=(14, 30), status_note="fell back", now=NOW
    )
    assert (changed.cadence, changed.look_back_days, changed.status_note) == (
        Cadence.WEEKLY,
        (14, 30),
        "fell back",
    )
    assert store.get_plan(plan.plan_id) == changed
    assert changed.plan_id == plan.plan_id and changed.created_at == plan.created_at
    with pytest.raises(ValueError):
        store.update_plan(plan.plan_id, seller_id=OTHER)
    assert store.update_plan("pp-" + "0" * 24, paused=True) is None


def test_deleting_a_plan_keeps_its_ledger(store):
    plan = _plan()
    store.put_plan(plan)
    store.claim(plan.plan_id, _window(), 1, now=NOW)
    assert store.delete_plan(plan.plan_id) is True
    assert store.delete_plan(plan.plan_id) is False
    assert store.get_plan(plan.plan_id) is None
    assert [e.window for e in store.entries(plan.plan_id)] == [_window()]


def test_plans_are_listed_per_seller_in_pages_with_opaque_tokens(store):
    mine = [_plan(startDate=f"2026-10-{day:02d}") for day in range(1, 8)]
    theirs = [_plan(seller=OTHER, startDate=f"2026-10-{day:02d}") for day in range(1, 4)]
    for plan in mine + theirs:
        store.put_plan(plan)
    store.claim(mine[0].plan_id, _window(), 1, now=NOW)  # a ledger entry is never listed as a plan
    seen, token = [], None
    while True:
        page, token = store.list_plans(seller_id=SELLER, limit=3, next_token=token)
        assert len(page) <= 3
        seen += page
        if token is None:
            break
        assert SELLER not in token  # opaque, not the key in the clear
    assert sorted(p.plan_id for p in seen) == sorted(p.plan_id for p in mine)
    everyone, token = store.list_plans(limit=100)
    assert token is None
    assert sorted(p.plan_id for p in everyone) == sorted(p.plan_id for p in mine + theirs)


def test_a_token_of_another_seller_or_made_up_is_a_400(store):
    for plan in [_plan(startDate=f"2026-10-{day:02d}") for day in range(1, 4)]:
        store.put_plan(plan)
    _, token = store.list_plans(seller_id=SELLER, limit=1)
    assert token is not None
    for bad in (token + "x", "not-a-token", "e30"):
        with pytest.raises(ApiError) as refused:
            store.list_plans(seller_id=SELLER, next_token=bad)
        assert refused.value.status == 400
    with pytest.raises(ApiError):
        store.list_plans(seller_id=OTHER, next_token=token)
    with pytest.raises(ApiError):
        store.list_plans(seller_id=SELLER, limit=0)


# -- the ledger ---------------------------------------------------------------------------------------------


def test_a_window_version_is_claimed_once(store):
    plan = _plan()
    first = store.claim(plan.plan_id, _window(), 1, now=NOW)
    assert first is not None
    assert (first.state, first.attempts, first.claimed_at, first.window) == (
        WindowState.CLAIMED,
        1,
        "2026-12-07T20:00:00Z",
        _window(),
    )
    assert store.claim(plan.plan_id, _window(), 1, now=NOW + timedelta(hours=1)) is None
    # another version or another window is another claim
    assert store.claim(plan.plan_id, _window(), 2, now=NOW) is not None
    assert store.claim(plan.plan_id, _window("2026-11-03"), 1, now=NOW) is not None


def test_the_report_is_recorded_once_and_a_second_report_for_the_version_is_a_conflict(store):
    plan = _plan()
    store.claim(plan.plan_id, _window(), 1, now=NOW)
    entry = store.record_report(plan.plan_id, _window(), 1, "50001", now=NOW)
    assert (entry.state, entry.report_id) == (WindowState.REQUESTED, "50001")
    assert store.record_report(plan.plan_id, _window().key, 1, "50001", now=NOW) == entry
    with pytest.raises(LedgerConflictError):
        store.record_report(plan.plan_id, _window(), 1, "50002")
    with pytest.raises(LedgerConflictError):
        store.record_report(plan.plan_id, _window(), 3, "50003")  # never claimed


def test_settled_final_states_never_change_and_the_report_may_be_recorded_after_its_outcome(store):
    plan = _plan()
    key = _window().key
    store.claim(plan.plan_id, _window(), 1, now=NOW)
    stored = store.settle(
        plan.plan_id, key, 1, WindowState.STORED, s3_key="plans/x/v001/report.json", report_id="7"
    )
    assert (stored.state, stored.s3_key, stored.report_id) == (
        WindowState.STORED,
        "plans/x/v001/report.json",
        "7",
    )
    assert store.settle(plan.plan_id, key, 1, WindowState.STORED, s3_key="plans/x/v001/report.json") == stored
    with pytest.raises(LedgerConflictError):
        store.settle(plan.plan_id, key, 1, WindowState.FAILED, reason="late FATAL")
    # the planner's record of the report arriving after the workflow stored it changes nothing
    assert store.record_report(plan.plan_id, key, 1, "7") == stored
    with pytest.raises(LedgerConflictError):
        store.settle(plan.plan_id, "2026-01-01T00:00:00Z/2026-01-02T00:00:00Z/X", 1, WindowState.STORED)


def test_a_failed_version_is_claimed_again_only_after_its_retry_time(store):
    plan = _plan()
    key = _window().key
    store.claim(plan.plan_id, _window(), 1, now=NOW)
    store.record_report(plan.plan_id, key, 1, "61", now=NOW)
    failed = store.settle(
        plan.plan_id,
        key,
        1,
        WindowState.FAILED,
        reason="FATAL",
        retry_after=NOW + timedelta(hours=4),
        now=NOW,
    )
    assert (failed.reason, failed.retry_after) == ("FATAL", "2026-12-08T00:00:00Z")
    assert store.claim(plan.plan_id, _window(), 1, now=NOW + timedelta(hours=3)) is None
    again = store.claim(plan.plan_id, _window(), 1, now=NOW + timedelta(hours=4))
    assert (again.state, again.attempts, again.report_id, again.retry_after) == (
        WindowState.CLAIMED,
        2,
        None,
        None,
    )
    assert store.claim(plan.plan_id, _window(), 1, now=NOW + timedelta(hours=5)) is None


def test_waiting_for_a_token_is_retried_without_counting_an_attempt(store):
    plan = _plan()
    key = _window().key
    store.claim(plan.plan_id, _window(), 1, now=NOW)
    waiting = store.settle(
        plan.plan_id,
        key,
        1,
        WindowState.WAITING_FOR_TOKEN,
        reason="LWA: invalid_grant",
        retry_after=NOW,
        now=NOW,
    )
    assert waiting.attempts == 0
    assert store.claim(plan.plan_id, _window(), 1, now=NOW).attempts == 1


def test_parked_and_no_data_are_settled_with_their_reason(store):
    plan = _plan()
    store.claim(plan.plan_id, _window(), 1, now=NOW)
    store.claim(plan.plan_id, _window("2026-11-03"), 1, now=NOW)
    parked = store.settle(plan.plan_id, _window().key, 1, WindowState.PARKED, reason="x" * 5000)
    assert parked.state is WindowState.PARKED and len(parked.reason) == 1000
    assert store.claim(plan.plan_id, _window(), 1, now=NOW + timedelta(days=30)) is None
    no_data = store.settle(plan.plan_id, _window("2026-11-03").key, 1, WindowState.NO_DATA)
    assert no_data.state is WindowState.NO_DATA and no_data.reason is None


def test_a_stale_claim_is_taken_over_by_one_caller(store):
    plan = _plan()
    claimed = store.claim(plan.plan_id, _window(), 1, now=NOW)
    later = NOW + timedelta(minutes=20)
    taken = store.take_over(plan.plan_id, claimed.window_key, 1, claimed_at=claimed.claimed_at, now=later)
    assert taken is not None and taken.claimed_at == "2026-12-07T20:20:00Z" and taken.attempts == 1
    assert (
        store.take_over(plan.plan_id, claimed.window_key, 1, claimed_at=claimed.claimed_at, now=later) is None
    )


def test_a_take_over_keeps_the_time_the_attempt_was_first_claimed(store):
    plan = _plan()
    claimed = store.claim(plan.plan_id, _window(), 1, now=NOW)
    first = store.take_over(
        plan.plan_id, claimed.window_key, 1, claimed_at=claimed.claimed_at, now=NOW + timedelta(minutes=20)
    )
    second = store.take_over(
        plan.plan_id, claimed.window_key, 1, claimed_at=first.claimed_at, now=NOW + timedelta(minutes=40)
    )
    assert second.claimed_at == "2026-12-07T20:40:00Z"
    assert second.first_claimed_at == claimed.first_claimed_at == "2026-12-07T20:00:00Z"


def test_entries_are_a_range_of_windows_in_order(store):
    plan = _plan(marketplaceIds=[US, CA], reportType="GET_MERCHANT_LISTINGS_ALL_DATA", lookBackDays=[1])
    windows = windows_between(plan, datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 11, tzinfo=UTC))
    for window in reversed(windows):
        store.claim(plan.plan_id, window, 1, now=NOW)
        store.claim(plan.plan_id, window, 2, now=NOW)
    store.put_plan(plan)
    every = store.entries(plan.plan_id)
    assert [(e.window, e.version) for e in every] == [(w, v) for w in windows for v in (1, 2)]
    some = store.entries(
        plan.plan_id, start=datetime(2026, 11, 3, tzinfo=UTC), end=datetime(2026, 11, 5, tzinfo=UTC)
    )
    assert sorted({e.window.start.day for e in some}) == [3, 4]
    assert {e.window.lane for e in some} == {(US,), (CA,)}
    assert store.entries(plan.plan_id, start=datetime(2026, 11, 11, tzinfo=UTC)) == []
    assert store.entry(plan.plan_id, windows[0].key, 2).version == 2
    assert store.entry(plan.plan_id, windows[0].key, 3) is None


# -- deleting and erasing -----------------------------------------------------------------------------------


def test_a_deleted_plan_leaves_the_listings_and_the_index_and_a_post_brings_it_back_with_its_ledger(store):
    plan = _plan()
    store.put_plan(plan)
    store.claim(plan.plan_id, _window(), 1, now=NOW)
    assert store.delete_plan(plan.plan_id, now=NOW) is True
    assert store.list_plans(seller_id=SELLER) == ([], None)
    assert store.list_plans() == ([], None)
    store.set_next_due(plan.plan_id, NOW)  # a planner that read the plan before the delete
    assert list(store.due_plans(NOW, shard=due_shard(plan.plan_id))) == []
    assert store.update_plan(plan.plan_id, paused=True) is None
    back, created = store.put_plan(plan)
    assert (back, created) == (plan, True)
    assert store.list_plans(seller_id=SELLER)[0] == [plan]
    assert [e.window for e in store.entries(plan.plan_id)] == [_window()]


def test_erasing_a_seller_deletes_its_plans_deleted_ones_too_with_their_ledgers_and_nothing_else(store):
    mine = [_plan(startDate=f"2026-10-{day:02d}") for day in range(1, 4)]
    theirs = _plan(seller=OTHER)
    for plan in [*mine, theirs]:
        store.put_plan(plan)
        for day in range(1, 16):  # 30 entries a plan: more than one BatchWriteItem
            store.claim(plan.plan_id, _window(f"2026-11-{day:02d}"), 1, now=NOW)
            store.claim(plan.plan_id, _window(f"2026-11-{day:02d}"), 2, now=NOW)
    store.delete_plan(mine[0].plan_id)
    assert store.erase_seller(SELLER) == (3, 90)
    for plan in mine:
        assert store.get_plan(plan.plan_id) is None and store.entries(plan.plan_id) == []
    assert store.put_plan(mine[0]) == (mine[0], True)  # nothing of it was left behind
    assert store.get_plan(theirs.plan_id) == theirs
    assert len(store.entries(theirs.plan_id)) == 30
    assert store.erase_seller(SELLER) == (1, 0)
    assert store.erase_seller(SELLER) == (0, 0)


class _NoScans:
    """DynamoDB that refuses Scans: an erasure must not read a table of every seller's ledgers."""

    def __init__(self, client):
        self._client = client

    def __getattr__(self, name):
        if name in ("scan", "get_paginator"):
            return self._guarded(name)
        return getattr(self._client, name)

    def _guarded(self, name):
        def call(*args, **kwargs):
            assert "scan" not in (name, *args), "a Scan of the pull plans table"
            return getattr(self._client, name)(*args, **kwargs)

        return call


def test_erasing_a_seller_finds_its_plans_deleted_ones_too_without_a_scan(aws):
    table = create_pull_plans_table()
    client = boto3.client("dynamodb", region_name=REGION)
    store = PullStore(table, _NoScans(client))
    live, deleted = _plan(startDate="2026-10-01"), _plan(startDate="2026-10-02")
    for plan in (live, deleted, _plan(seller=OTHER)):
        store.put_plan(plan)
        store.claim(plan.plan_id, _window(), 1, now=NOW)
    store.delete_plan(deleted.plan_id)
    assert store.erase_seller(SELLER) == (2, 2)
    assert PullStore(table, client).list_plans() == ([_plan(seller=OTHER)], None)


class _Throttled:
    """DynamoDB that leaves some of the first BatchWriteItem's requests unprocessed, as throttling does."""

    def __init__(self, client):
        self._client = client
        self.calls = 0

    def __getattr__(self, name):
        return getattr(self._client, name)

    def batch_write_item(self, RequestItems):
        self.calls += 1
        if self.calls > 1:
            return self._client.batch_write_item(RequestItems=RequestItems)
        (table, requests), *_ = RequestItems.items()
        self._client.batch_write_item(RequestItems={table: requests[:1]})
        return {"UnprocessedItems": {table: requests[1:]}}


def test_deletes_left_unprocessed_are_sent_again(aws):
    dynamodb = _Throttled(boto3.client("dynamodb", region_name=REGION))
    store = PullStore(create_pull_plans_table(), dynamodb)
    plan = _plan()
    store.put_plan(plan)
    for day in range(1, 6):
        store.claim(plan.plan_id, _window(f"2026-11-{day:02d}"), 1, now=NOW)
    assert store.erase_seller(SELLER) == (1, 5)
    assert dynamodb.calls == 2
    assert store.entries(plan.plan_id) == []


def test_a_claim_never_sent_is_given_back_once_and_claimable_at_once(store):
    plan = _plan()
    claimed = store.claim(plan.plan_id, _window(), 1, now=NOW)
    released = store.release(
        plan.plan_id, claimed.window_key, 1, attempt=1, reason="not sent", retry_after=NOW, now=NOW
    )
    assert (released.state, released.attempts, released.reason) == (WindowState.FAILED, 0, "not sent")
    again = store.release(
        plan.plan_id, claimed.window_key, 1, attempt=1, reason="x", retry_after=NOW, now=NOW
    )
    assert again is None  # no longer that claim
    assert store.claim(plan.plan_id, _window(), 1, now=NOW).attempts == 1
