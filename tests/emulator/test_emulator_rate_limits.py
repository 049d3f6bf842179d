"""Token buckets per operation: documented bursts, 429 QuotaExceeded, refill over time, overrides."""

from __future__ import annotations

from emulator_api import Api, seller_token

from spapi_emulator import SpApiEmulator
from spapi_emulator.ratelimit import DOCUMENTED_RATES, TokenBucket

REPORTS = "/reports/2021-06-30/reports"


def _get_report_statuses(seller, report_id: str, count: int) -> list[int]:
    return [seller.call("GET", f"{REPORTS}/{report_id}").status_code for _ in range(count)]


def test_documented_rates_seed_the_buckets():
    assert DOCUMENTED_RATES["createReport"] == (0.0167, 15)
    assert DOCUMENTED_RATES["getReport"] == (2.0, 15)
    assert DOCUMENTED_RATES["getReportDocument"] == (0.0167, 15)
    assert DOCUMENTED_RATES["createSubscription"] == (1.0, 5)


def test_burst_is_served_then_429_quota_exceeded(spapi_emulator: SpApiEmulator, seller):
    report_id = seller.create_report()

    statuses = _get_report_statuses(seller, report_id, 16)

    assert statuses[:15] == [200] * 15
    assert statuses[15] == 429
    throttled = seller.call("GET", f"{REPORTS}/{report_id}")
    assert throttled.json() == {
        "errors": [
            {"code": "QuotaExceeded", "message": "You exceeded your quota for the requested resource."}
        ]
    }
    assert throttled.headers["x-amzn-RequestId"]
    assert throttled.headers["x-amzn-RateLimit-Limit"] == "2"


def test_bucket_refills_at_the_operation_rate(spapi_emulator: SpApiEmulator, seller):
    report_id = seller.create_report()
    _get_report_statuses(seller, report_id, 15)
    assert _get_report_statuses(seller, report_id, 1) == [429]

    spapi_emulator.advance_time(1.0)  # 2 requests/s refill two tokens

    assert _get_report_statuses(seller, report_id, 3) == [200, 200, 429]


def test_create_report_burst_is_fifteen(seller):
    for _ in range(15):
        seller.create_report()

    response = seller.call("POST", REPORTS, json={"reportType": "X", "marketplaceIds": ["ATVPDKIKX0DER"]})

    assert response.status_code == 429


def test_set_rate_overrides_an_operation(spapi_emulator: SpApiEmulator, seller):
    spapi_emulator.set_rate("getReport", rate=0.5, burst=2)
    report_id = seller.create_report()

    assert _get_report_statuses(seller, report_id, 3) == [200, 200, 429]
    ok = seller.call("POST", REPORTS, json={"reportType": "X", "marketplaceIds": ["ATVPDKIKX0DER"]})
    assert ok.headers["x-amzn-RateLimit-Limit"] == "0.0167"


def test_rate_limits_can_be_switched_off(spapi_emulator: SpApiEmulator, seller):
    spapi_emulator.disable_rate_limits()
    report_id = seller.create_report()

    assert set(_get_report_statuses(seller, report_id, 25)) == {200}


def test_buckets_are_per_seller(spapi_emulator: SpApiEmulator, seller):
    spapi_emulator.set_rate("getReport", rate=0.01, burst=1)
    spapi_emulator.register_seller("Atzr|CANARY-REFRESH-third", "A3THIRDSELLER")
    other = Api(spapi_emulator, seller_token(spapi_emulator, "Atzr|CANARY-REFRESH-third"))
    mine, theirs = seller.create_report(), other.create_report()

    assert _get_report_statuses(seller, mine, 2) == [200, 429]
    assert _get_report_statuses(other, theirs, 1) == [200]


def test_token_bucket_never_exceeds_its_burst():
    now = [0.0]
    bucket = TokenBucket(rate=1.0, burst=2, clock=lambda: now[0])
    assert [bucket.try_take() for _ in range(3)] == [True, True, False]

    now[0] = 100.0

    assert [bucket.try_take() for _ in range(3)] == [True, True, False]
