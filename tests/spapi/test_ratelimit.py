"""Client-side token buckets mirror SP-API's usage plans."""

from __future__ import annotations

import pytest

from sp_reports.spapi.ratelimit import OPERATION_RATES, RateLimiter, TokenBucket


def test_bucket_grants_the_burst_then_asks_to_wait_one_interval(clock) -> None:
    bucket = TokenBucket(rate=2.0, burst=3, clock=clock)
    assert [bucket.try_acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.try_acquire() == pytest.approx(0.5)
    clock.advance(0.5)
    assert bucket.try_acquire() == 0.0


def test_bucket_refills_up_to_the_burst_only(clock) -> None:
    bucket = TokenBucket(rate=1.0, burst=2, clock=clock)
    bucket.drain()
    clock.advance(100)
    assert bucket.available() == pytest.approx(2.0)


def test_set_rate_changes_the_refill_speed(clock) -> None:
    bucket = TokenBucket(rate=1.0, burst=1, clock=clock)
    bucket.try_acquire()
    bucket.set_rate(0.1)
    assert bucket.try_acquire() == pytest.approx(10.0)


def test_limiter_seeds_buckets_with_the_documented_plans(clock) -> None:
    limiter = RateLimiter(clock=clock)
    assert (limiter.bucket("createReport").rate, limiter.bucket("createReport").burst) == (0.0167, 15)
    assert (limiter.bucket("getReport").rate, limiter.bucket("getReport").burst) == (2.0, 15)
    assert (limiter.bucket("createDestination").rate, limiter.bucket("createDestination").burst) == (1.0, 5)
    assert OPERATION_RATES["getReportDocument"].rate == 0.0167
    waits = [limiter.wait_time("getReportDocument") for _ in range(16)]
    assert waits[:15] == [0.0] * 15 and waits[15] == pytest.approx(1 / 0.0167)


def test_limiter_adopts_a_reported_rate(clock) -> None:
    limiter = RateLimiter(clock=clock)
    limiter.update_rate("getReport", 0.5)
    assert limiter.bucket("getReport").rate == 0.5


def test_invalid_bucket_parameters_are_rejected() -> None:
    with pytest.raises(ValueError):
        TokenBucket(rate=0, burst=1)
