"""Token buckets per operation: documented bursts, 429 QuotaExceeded, refill over time, overrides."""

from __future__ import annotations

import pytest

from spapi_emulator import SpApiEmulator
from spapi_emulator.ratelimit import DOCUMENTED_RATES, TokenBucket
from tests.support.emulator_api import Api, seller_token

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
    # "The x-amzn-RateLimit-Limit should never be expected in the response to a throttled ... request"
    # (selling-partner-api-docs Usage-Plans-and-Rate-Limits.md); a real 429 (selling-partner-api-models#746):
    assert "x-amzn-RateLimit-Limit" not in throttled.headers
    assert throttled.headers["x-amzn-ErrorType"] == "TooManyRequestsException"


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


# Which answers carry x-amzn-RateLimit-Limit: the Reports model declares it on 200/201/202/400/404 only, and
# "The x-amzn-RateLimit-Limit should never be expected in the response to a throttled, unauthorized, or
# unauthenticated request" (selling-partner-api-docs, guides/en-US/usage-plans-rate-limits/
# Usage-Plans-and-Rate-Limits.md).
RATE_LIMIT_HEADER_CASES = [
    ("getReport 200", 200, True),
    ("createReport 202", 202, True),
    ("createReport 400", 400, True),
    ("getReport 404", 404, True),
    ("getReport 403", 403, False),
    ("getReport 429", 429, False),
    ("getReport 500", 500, False),
    ("getReport 503", 503, False),
]


@pytest.mark.allow_contract_violations  # the 400 case sends an invalid body on purpose
@pytest.mark.parametrize(
    ("case", "status", "has_header"), RATE_LIMIT_HEADER_CASES, ids=[c[0] for c in RATE_LIMIT_HEADER_CASES]
)
def test_the_rate_limit_header_comes_only_where_sp_api_sends_it(
    spapi_emulator: SpApiEmulator, seller, case, status, has_header
):
    report_id = seller.create_report()
    if case == "createReport 202":
        response = seller.call(
            "POST",
            REPORTS,
            json={"reportType": "GET_MERCHANT_LISTINGS_ALL_DATA", "marketplaceIds": ["ATVPDKIKX0DER"]},
        )
    elif case == "createReport 400":
        response = seller.call("POST", REPORTS, json={"reportType": "X", "marketplaceIds": []})
    elif case == "getReport 404":
        response = seller.call("GET", f"{REPORTS}/404404")
    elif case == "getReport 403":
        response = Api(spapi_emulator, "Atza|CANARY-unknown").call("GET", f"{REPORTS}/{report_id}")
    else:
        if status != 200:
            spapi_emulator.inject("getReport", status)
        response = seller.call("GET", f"{REPORTS}/{report_id}")

    assert response.status_code == status
    assert ("x-amzn-RateLimit-Limit" in response.headers) is has_header
    if status == 429:
        assert response.headers["x-amzn-ErrorType"] == "TooManyRequestsException"
