"""A report type's cooldown, one fact per seller, type and marketplace
(sp_reports.pipeline.report_cooldowns), against moto: taken once until it ends, for every marketplace of a
request at once (a shared marketplace is the same cooldown), given back only by the take that holds it, and
kept past its end by the table's TTL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest

from sp_reports.pipeline.report_budget import EXPIRES_ATTRIBUTE
from sp_reports.pipeline.report_cooldowns import (
    ReportCooldowns,
    certainly_no_report,
    cooldown_end,
    cooldown_key,
)
from sp_reports.spapi.errors import (
    SpApiClientError,
    SpApiServerError,
    SpApiThrottledError,
    SpApiTimeoutError,
)

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TYPE = "GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL"
OTHER_TYPE = "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA"
SELLER, OTHER_SELLER = "A3TH9S8BH6GOGM", "A2OTHERSELLER9"
US, CA, MX = "ATVPDKIKX0DER", "A2EUQ1WTGCTBG2", "A1AM78C64UM0Y8"
UNTIL = NOW + timedelta(minutes=30)


@pytest.fixture
def cooldowns(resources) -> ReportCooldowns:
    return ReportCooldowns(resources.reports_table, boto3.client("dynamodb"))


def test_a_cooldown_is_taken_once_until_it_ends(cooldowns):
    assert cooldowns.take(SELLER, TYPE, [US], until=UNTIL, now=NOW) is None
    assert cooldowns.take(SELLER, TYPE, [US], until=UNTIL, now=NOW + timedelta(minutes=29)) == UNTIL
    assert cooldowns.take(SELLER, TYPE, [US], until=UNTIL + timedelta(minutes=30), now=UNTIL) is None


def test_any_shared_marketplace_holds_a_request_back_and_a_take_is_all_or_nothing(cooldowns):
    assert cooldowns.take(SELLER, TYPE, [US, CA], until=UNTIL, now=NOW) is None
    assert cooldowns.take(SELLER, TYPE, [CA, MX], until=UNTIL, now=NOW) == UNTIL
    # MX was not taken by the refused request: it is free on its own.
    assert cooldowns.take(SELLER, TYPE, [MX], until=UNTIL, now=NOW) is None


def test_other_sellers_and_other_types_have_cooldowns_of_their_own(cooldowns):
    assert cooldowns.take(SELLER, TYPE, [US], until=UNTIL, now=NOW) is None
    assert cooldowns.take(OTHER_SELLER, TYPE, [US], until=UNTIL, now=NOW) is None
    assert cooldowns.take(SELLER, OTHER_TYPE, [US], until=UNTIL, now=NOW) is None


def test_only_the_take_that_holds_it_gives_a_cooldown_back(cooldowns):
    assert cooldowns.take(SELLER, TYPE, [US], until=UNTIL, now=NOW) is None
    cooldowns.give_back(SELLER, TYPE, [US], until=UNTIL + timedelta(seconds=1))  # not its take: kept
    assert cooldowns.take(SELLER, TYPE, [US], until=UNTIL, now=NOW) == UNTIL
    cooldowns.give_back(SELLER, TYPE, [US], until=UNTIL)
    assert cooldowns.take(SELLER, TYPE, [US], until=UNTIL, now=NOW) is None
    cooldowns.give_back(OTHER_SELLER, TYPE, [US], until=UNTIL)  # nothing held: nothing happens


def test_the_item_outlives_every_cooldown_it_holds(cooldowns, resources):
    four_hours = NOW + timedelta(hours=4)
    assert cooldowns.take(SELLER, OTHER_TYPE, [US], until=four_hours, now=NOW) is None
    assert cooldowns.take(SELLER, TYPE, [US], until=UNTIL, now=NOW) is None
    item = boto3.client("dynamodb").get_item(
        TableName=resources.reports_table, Key={"ReportId": {"S": cooldown_key(SELLER)}}
    )["Item"]
    assert int(item[EXPIRES_ATTRIBUTE]["N"]) > (NOW + timedelta(days=1)).timestamp()
    assert "SellerId" not in item  # not a report record: listings and the erasure's Scan pass it by


def test_a_cooldown_ends_its_length_after_the_take_plus_the_time_to_send_create_report():
    assert cooldown_end(timedelta(minutes=30), NOW) == NOW + timedelta(minutes=32)


@pytest.mark.parametrize(
    ("failure", "given_back"),
    [
        (SpApiClientError(400, "InvalidInput", "bad"), True),  # SP-API refused it
        (SpApiThrottledError(None, "ClientRateLimited", "not sent", retry_after=3.0), True),  # never sent
        (SpApiThrottledError(429, "QuotaExceeded", "throttled"), False),  # a retry may have made it
        (SpApiServerError(503, "ServiceUnavailable", "down"), False),
        (SpApiTimeoutError(None, "Timeout", "read timed out"), False),
    ],
)
def test_a_cooldown_is_given_back_only_when_create_report_certainly_made_no_report(failure, given_back):
    assert certainly_no_report(failure) is given_back
