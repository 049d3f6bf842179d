"""Offboarding: erasing a seller removes its token, records, sweep state, pull plans with their ledgers,
subscriptions and every object version, touches nothing of another seller, and a second erasure finds
nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest

from sp_reports.analytics.table_schemas import TABLE_SCHEMAS, curated_key, curated_seller_prefix
from sp_reports.pipeline import seller_erasure
from sp_reports.pipeline.pull_ledger import PullStore
from sp_reports.pipeline.pull_plans import PlanSchedule, ScheduleState, plan_from_request
from sp_reports.pipeline.pull_windows import Window
from sp_reports.pipeline.report_budget import BUDGET_KEY_PREFIX
from sp_reports.pipeline.report_cooldowns import ReportCooldowns
from sp_reports.pipeline.report_records import ReportRecords
from sp_reports.pipeline.report_specifications import ReportSpecification
from sp_reports.pipeline.seller_erasure import ErasureResult, ObjectErasureError, SellerErasure
from sp_reports.pipeline.sweep_state import SweepState
from sp_reports.pipeline.token_store import TokenStore
from sp_reports.spapi.credentials import AppCredentials
from sp_reports.spapi.errors import LwaInvalidGrantError, SpApiClientError, SpApiServerError
from sp_reports.spapi.http import SpApiHttpClient
from sp_reports.spapi.lwa import LwaClient
from sp_reports.spapi.regions import spapi_endpoint
from sp_reports.spapi.reports import ReportsClient
from tests.support.aws_resources import PULL_PLANS_TABLE
from tests.support.canaries import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, SELLER_ID

OTHER = "A1B2C3D4E5F6G7"
# A seller id that is a prefix of SELLER_ID's: its keys must survive SELLER_ID's erasure and vice versa.
PREFIX_SELLER = SELLER_ID[:10]
TYPE = "GET_MERCHANT_LISTINGS_ALL_DATA"
NOW = datetime(2026, 12, 7, 20, 0, tzinfo=UTC)


def _pull_plan(seller: str, start_date: str):
    body = {
        "sellerId": seller,
        "marketplaceIds": ["ATVPDKIKX0DER"],
        "reportType": TYPE,
        "cadence": "daily",
        "startDate": start_date,
    }
    return plan_from_request(body, now=NOW)


@pytest.fixture
def world(resources):
    dynamodb, s3 = boto3.client("dynamodb"), boto3.client("s3")
    s3.put_bucket_versioning(Bucket=resources.bucket, VersioningConfiguration={"Status": "Enabled"})
    tokens = TokenStore(resources.tokens_table, resources.tokens_key_id, dynamodb, boto3.client("kms"))
    records = ReportRecords(resources.reports_table, dynamodb)
    sweep = SweepState(resources.reports_table, dynamodb)
    for number, seller in enumerate((SELLER_ID, OTHER, PREFIX_SELLER)):
        tokens.put(seller, REFRESH_TOKEN)
        specification = ReportSpecification(
            seller_id=seller, region_code="NA", report_type=TYPE, marketplace_ids=("ATVPDKIKX0DER",)
        )
        records.record_requested(f"5000{number}", specification)
        records.record_requested(f"6000{number}", specification)
        records.record_intent(specification)
        sweep.note_request(seller, "NA", TYPE)
        ReportCooldowns(resources.reports_table, dynamodb).take(
            seller, TYPE, ["ATVPDKIKX0DER"], until=NOW + timedelta(minutes=30), now=NOW
        )
        dynamodb.put_item(
            TableName=resources.reports_table,
            Item={"ReportId": {"S": f"{BUDGET_KEY_PREFIX}{seller}#2026-12-07"}, "ReportCount": {"N": "2"}},
        )
        key = f"{seller}/{TYPE}/5000{number}/report.txt"
        s3.put_object(Bucket=resources.bucket, Key=key, Body=b"first")
        s3.put_object(Bucket=resources.bucket, Key=key, Body=b"second")  # two versions
        s3.delete_object(Bucket=resources.bucket, Key=key)  # and a delete marker
        s3.put_object(Bucket=resources.bucket, Key=f"{seller}/{TYPE}/6000{number}/report.txt", Body=b"x")
        # Two pull plans, one deleted since, each with two window versions and a stored window.
        pulls = PullStore(PULL_PLANS_TABLE, dynamodb)
        for start_date in ("2026-11-01", "2026-11-02"):
            plan = _pull_plan(seller, start_date)
            pulls.put_plan(plan)
            window = Window(NOW - timedelta(days=2), NOW - timedelta(days=1), plan.marketplace_ids)
            pulls.claim(plan.plan_id, window, 1, now=NOW)
            pulls.claim(plan.plan_id, window, 2, now=NOW)
        pulls.delete_plan(plan.plan_id)
        s3.put_object(Bucket=resources.bucket, Key=f"plans/{seller}/{TYPE}/x/v001/report.tsv", Body=b"p")
        s3.put_object(Bucket=resources.bucket, Key=f"plans/{seller}/{TYPE}/x/manifest.json", Body=b"{}")
    sweep.set_cursor(SELLER_ID)
    erasure = SellerErasure(
        tokens_table=resources.tokens_table,
        reports_table=resources.reports_table,
        bucket=resources.bucket,
        dynamodb_client=dynamodb,
        s3_client=s3,
        queue_arn=resources.queue_arn,
        pull_plans_table=PULL_PLANS_TABLE,
    )
    return erasure, dynamodb, s3, resources


def _left_of(seller: str, dynamodb, s3, resources) -> dict[str, int]:
    items = dynamodb.scan(TableName=resources.reports_table)["Items"]
    mine = [
        item
        for item in items
        if item.get("SellerId", {}).get("S") == seller
        or f"#{seller}#" in item["ReportId"]["S"] + "#"
        or item.get("NextSellerId", {}).get("S") == seller
    ]
    token = dynamodb.get_item(TableName=resources.tokens_table, Key={"SellerId": {"S": seller}}).get("Item")
    versions = [
        s3.list_object_versions(Bucket=resources.bucket, Prefix=prefix)
        for prefix in (f"{seller}/", f"plans/{seller}/")
    ]
    plan_ids = {
        item["PK"]["S"]
        for item in dynamodb.scan(TableName=PULL_PLANS_TABLE)["Items"]
        if item.get("SellerId", {}).get("S") == seller
    }
    pull_items = [
        item for item in dynamodb.scan(TableName=PULL_PLANS_TABLE)["Items"] if item["PK"]["S"] in plan_ids
    ]
    return {
        "items": len(mine),
        "token": int(token is not None),
        "versions": sum(len(v.get("Versions", [])) + len(v.get("DeleteMarkers", [])) for v in versions),
        "pull items": len(pull_items),
    }


def test_erasure_removes_everything_of_the_seller_and_counts_it(world):
    erasure, dynamodb, s3, resources = world

    result = erasure.erase(SELLER_ID)

    assert result.counts() == {
        "tokens": 1,
        "reportRecords": 2,
        "requestIntents": 1,
        "reportBudgets": 1,
        "sweepState": 1,
        "pullPlans": 2,
        "pullWindows": 4,
        "subscriptions": 0,
        "reportSchedules": 0,
        "objectVersions": 5,
        "deleteMarkers": 1,
    }
    assert result.problems == []
    assert _left_of(SELLER_ID, dynamodb, s3, resources) == {
        "items": 0,
        "token": 0,
        "versions": 0,
        "pull items": 0,
    }
    # The other sellers, one of them a prefix of the erased one's id, keep everything.
    for seller in (OTHER, PREFIX_SELLER):
        assert _left_of(seller, dynamodb, s3, resources) == {
            "items": 6,
            "token": 1,
            "versions": 6,
            "pull items": 6,
        }


def test_erasing_again_erases_nothing_and_says_so(world):
    erasure, *_ = world
    assert erasure.erase(SELLER_ID).erased_anything
    again = erasure.erase(SELLER_ID)
    assert not again.erased_anything
    assert again.to_answer() == {
        "sellerId": SELLER_ID,
        "erased": dict.fromkeys(again.counts(), 0),
        "nothingToErase": True,
    }


def test_an_unknown_seller_is_answered_with_zeros(world):
    erasure, *_ = world
    assert erasure.erase("A9UNKNOWN9SELLER").to_answer()["nothingToErase"] is True


def test_the_sweep_cursor_naming_another_seller_stays(world):
    erasure, dynamodb, _s3, resources = world
    SweepState(resources.reports_table, dynamodb).set_cursor(OTHER)
    erasure.erase(SELLER_ID)
    assert SweepState(resources.reports_table, dynamodb).cursor() == OTHER


def test_more_versions_than_one_delete_objects_request_takes(world, monkeypatch):
    erasure, dynamodb, s3, resources = world
    monkeypatch.setattr(seller_erasure, "DELETE_OBJECTS_BATCH", 3)
    calls = []
    real = s3.delete_objects
    monkeypatch.setattr(
        s3, "delete_objects", lambda **kw: calls.append(len(kw["Delete"]["Objects"])) or real(**kw)
    )
    result = erasure.erase(SELLER_ID)
    # Four versions under <seller>/ (a batch of three and one), two under plans/<seller>/.
    assert calls == [3, 1, 2] and result.object_versions + result.delete_markers == 6
    assert _left_of(SELLER_ID, dynamodb, s3, resources)["versions"] == 0


def test_a_version_s3_refuses_fails_the_erasure_naming_its_error(world, monkeypatch):
    erasure, _dynamodb, s3, _resources = world

    def refuse(**kwargs):
        first = kwargs["Delete"]["Objects"][0]
        return {"Errors": [{**first, "Code": "AccessDenied", "Message": "Access Denied"}]}

    monkeypatch.setattr(s3, "delete_objects", refuse)
    with pytest.raises(ObjectErasureError, match=r"refused to delete 1 of 4 .*AccessDenied"):
        erasure.erase(SELLER_ID)


class _Notifications:
    """SP-API's Notifications API as the erasure uses it, one per region (subscriptions are per region)."""

    def __init__(self, subscriptions: dict[str, dict], destination_id: str, failure: Exception | None = None):
        self.subscriptions = subscriptions
        self.destination_id = destination_id
        self.failure = failure
        self.deleted: list[str] = []

    def get_subscription(self, notification_type):
        if self.failure is not None:
            raise self.failure
        if notification_type not in self.subscriptions:
            raise SpApiClientError(404, "NotFound", "no subscription", operation="getSubscription")
        return self.subscriptions[notification_type]

    def find_destination(self, sqs_arn):
        return {"destinationId": self.destination_id}

    def delete_subscription(self, notification_type, subscription_id):
        self.deleted.append(subscription_id)
        del self.subscriptions[notification_type]
        return True


def test_the_sellers_subscriptions_to_our_queue_are_deleted_with_its_token_still_there(world):
    erasure, dynamodb, _s3, resources = world
    ours = {"REPORT_PROCESSING_FINISHED": {"subscriptionId": "s-na", "destinationId": "d-ours"}}
    theirs = {"REPORT_PROCESSING_FINISHED": {"subscriptionId": "s-eu", "destinationId": "d-elsewhere"}}
    regions = {"NA": _Notifications(ours, "d-ours"), "EU": _Notifications(theirs, "d-ours")}
    regions["FE"] = _Notifications({}, "d-ours")
    token_present = []

    def notifications_for(region_code):
        token_present.append(
            "Item" in dynamodb.get_item(TableName=resources.tokens_table, Key={"SellerId": {"S": SELLER_ID}})
        )
        return regions[region_code]

    result = erasure.erase(SELLER_ID, notifications_for)

    assert result.subscriptions == 1 and regions["NA"].deleted == ["s-na"]
    assert regions["EU"].deleted == []  # another destination's subscription is not this stack's
    assert token_present == [True, True, True]
    assert result.problems == []


@pytest.mark.parametrize(
    "failure",
    [
        SpApiServerError(503, "ServiceUnavailable", "down", operation="getSubscription"),
        SpApiClientError(403, "Unauthorized", "Access to requested resource is denied."),
        LwaInvalidGrantError("The request has an invalid grant parameter", "invalid_grant", 400),
    ],
)
def test_sp_api_refusing_is_reported_and_the_rest_is_still_erased(world, failure):
    erasure, dynamodb, s3, resources = world
    regions = {code: _Notifications({}, "d", failure) for code in ("NA", "EU", "FE")}

    result = erasure.erase(SELLER_ID, regions.__getitem__)

    assert len(result.problems) == 3 and all("by hand" in problem for problem in result.problems)
    assert REFRESH_TOKEN not in " ".join(result.problems)
    assert result.to_answer()["notErased"] == result.problems
    assert set(_left_of(SELLER_ID, dynamodb, s3, resources).values()) == {0}


def test_revoking_removes_the_token_and_future_work_only(world):
    erasure, dynamodb, s3, resources = world
    result = erasure.revoke(SELLER_ID)
    assert (result.tokens, result.sweep_state) == (1, 1)
    assert (result.report_records, result.object_versions) == (0, 0)
    left = _left_of(SELLER_ID, dynamodb, s3, resources)
    assert left["token"] == 0 and left["versions"] == 6 and left["pull items"] == 6
    assert SweepState(resources.reports_table, dynamodb).seller(SELLER_ID) is None
    assert erasure.revoke(SELLER_ID).counts() == ErasureResult(SELLER_ID).counts()


def test_an_invalid_seller_id_is_refused_before_anything_is_touched(world):
    erasure, *_ = world
    with pytest.raises(ValueError, match="sellerId"):
        erasure.erase("a/../b")


def test_the_report_schedules_of_the_sellers_plans_are_cancelled_with_its_token(world, spapi_emulator):
    erasure, dynamodb, _s3, _resources = world
    reports = ReportsClient(
        SpApiHttpClient(spapi_endpoint("NA")),
        LwaClient(lambda: AppCredentials(CLIENT_ID, CLIENT_SECRET)).seller_token_provider(REFRESH_TOKEN),
    )
    theirs = reports.create_report_schedule("GET_MERCHANT_LISTINGS_ALL_DATA", ["ATVPDKIKX0DER"], "P1D")
    ours = reports.create_report_schedule(
        "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL", ["ATVPDKIKX0DER"], "P1D"
    )
    store = PullStore(PULL_PLANS_TABLE, dynamodb)
    plan_id = store.list_plans(seller_id=SELLER_ID)[0][0].plan_id
    store.set_schedule(
        plan_id,
        PlanSchedule(ScheduleState.ACTIVE, ours, "2026-12-08T00:00:00Z"),
        status_note="",
        now=datetime.now(UTC),
    )
    store.delete_plan(plan_id)  # a deleted plan whose schedule the planner has not cancelled yet

    result = erasure.erase(SELLER_ID, reports_for=lambda region_code: reports)

    assert result.report_schedules == 1 and result.problems == []
    # The plan's schedule is gone; the seller's own (no plan made it) stays.
    assert list(spapi_emulator.app.state.schedules) == [theirs]


def _curated_key(
    table: str, seller: str, day: int, marketplaces: tuple[str, ...] = ("ATVPDKIKX0DER",)
) -> str:
    start = datetime(2026, 12, day, tzinfo=UTC)
    return curated_key(
        table,
        seller_id=seller,
        report_type=TABLE_SCHEMAS[table].report_types[0],
        marketplace_ids=marketplaces,
        data_start=start,
        data_end=start + timedelta(days=1),
        report_id=f"5{day:04d}",
    )


def test_every_curated_file_of_the_seller_is_erased_by_prefix_without_any_record_naming_it(
    world, monkeypatch
):
    erasure, _dynamodb, s3, resources = world
    mine = [
        _curated_key("all_orders", SELLER_ID, 1),
        _curated_key("all_orders", SELLER_ID, 2, ("ATVPDKIKX0DER", "A2EUQ1WTGCTBG2")),
        _curated_key("merchant_listings", SELLER_ID, 3),
    ]
    theirs = [_curated_key("all_orders", OTHER, 1), _curated_key("all_orders", PREFIX_SELLER, 1)]
    for key in (*mine, mine[0], *theirs):  # the first of mine twice: two versions
        s3.put_object(Bucket=resources.bucket, Key=key, Body=b"PAR1")
    s3.delete_object(Bucket=resources.bucket, Key=mine[2])  # and a delete marker
    listed = []
    paginator = s3.get_paginator

    def listing(name):
        real = paginator(name)
        original = real.paginate

        def paginate(**kwargs):
            listed.append(kwargs["Prefix"])
            return original(**kwargs)

        real.paginate = paginate
        return real

    monkeypatch.setattr(s3, "get_paginator", listing)

    result = erasure.erase(SELLER_ID)

    # The seller's other prefixes hold five versions and one delete marker (the world's).
    assert (result.object_versions, result.delete_markers) == (5 + 4, 1 + 1)
    for table in TABLE_SCHEMAS:
        left = s3.list_object_versions(
            Bucket=resources.bucket, Prefix=curated_seller_prefix(table, SELLER_ID)
        )
        assert left.get("Versions", []) == [] and left.get("DeleteMarkers", []) == [], table
    for key in theirs:
        answer = s3.list_object_versions(Bucket=resources.bucket, Prefix=key)
        assert [v["Key"] for v in answer.get("Versions", [])] == [key]
    # Only the seller's own prefixes are listed: one per analytics table, each ending with "/".
    curated = sorted(p for p in listed if p.startswith("curated/"))
    assert curated == sorted(f"curated/{table}/seller_id={SELLER_ID}/" for table in TABLE_SCHEMAS)
    assert sorted(listed) == sorted(seller_erasure.seller_object_prefixes(SELLER_ID))
    assert erasure.erase(SELLER_ID).object_versions == 0
