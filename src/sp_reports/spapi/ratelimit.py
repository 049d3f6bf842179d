"""Client-side token buckets per SP-API operation, so that we rarely earn a 429.

SP-API meters each operation with a token bucket (developer-docs "usage plans and rate limits"); we mirror it
with the documented default rate/burst and adjust the rate when SP-API tells us the real one in
`x-amzn-RateLimit-Limit`. That header comes on successful (and 400/404) answers only, never on a 429
(selling-partner-api-docs Usage-Plans-and-Rate-Limits.md): after a 429 the bucket is drained and the next
call waits for a token at the last rate we learnt, or the documented one. One `RateLimiter` lives per
process; separate Lambda containers each get their own, which is why server-side 429s still happen.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class OperationRate:
    rate: float  # requests per second
    burst: int


# From the models' operation descriptions (docs/spapi-notes.md#rate-limits).
OPERATION_RATES: dict[str, OperationRate] = {
    "getReports": OperationRate(0.0222, 10),
    "createReport": OperationRate(0.0167, 15),
    "cancelReport": OperationRate(0.0222, 10),
    "getReport": OperationRate(2.0, 15),
    "getReportSchedules": OperationRate(0.0222, 10),
    "createReportSchedule": OperationRate(0.0222, 10),
    "cancelReportSchedule": OperationRate(0.0222, 10),
    "getReportSchedule": OperationRate(0.0222, 10),
    "getReportDocument": OperationRate(0.0167, 15),
    "getSubscriptions": OperationRate(1.0, 5),
    "getSubscription": OperationRate(1.0, 5),
    "createSubscription": OperationRate(1.0, 5),
    "getSubscriptionById": OperationRate(1.0, 5),
    "deleteSubscriptionById": OperationRate(1.0, 5),
    "getDestinations": OperationRate(1.0, 5),
    "createDestination": OperationRate(1.0, 5),
    "getDestination": OperationRate(1.0, 5),
    "deleteDestination": OperationRate(1.0, 5),
    "sendTestNotification": OperationRate(1.0, 5),
    # tokens_2021-03-01.json, createRestrictedDataToken's usage plan (docs/spapi-notes.md#rate-limits)
    "createRestrictedDataToken": OperationRate(1.0, 10),
}
# For an operation we do not know: conservative, like the slowest documented plan, but with a small burst.
DEFAULT_RATE = OperationRate(0.0167, 5)


class TokenBucket:
    """A thread-safe token bucket: `burst` tokens, refilled at `rate` per second."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self._rate = float(rate)
        self._burst = int(burst)
        self._clock = clock
        self._tokens = float(burst)
        self._updated = clock()
        self._lock = threading.Lock()

    @property
    def rate(self) -> float:
        return self._rate

    @property
    def burst(self) -> int:
        return self._burst

    def _refill(self) -> None:
        now = self._clock()
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(float(self._burst), self._tokens + elapsed * self._rate)
        self._updated = now

    def try_acquire(self) -> float:
        """Take a token and return 0.0, or return how many seconds to wait before one is available."""
        with self._lock:
            self._refill()
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return 0.0
            return (1.0 - self._tokens) / self._rate

    def time_to_token(self) -> float:
        """Seconds until a token is available (0.0 if one is now), without taking it."""
        with self._lock:
            self._refill()
            return 0.0 if self._tokens >= 1.0 else (1.0 - self._tokens) / self._rate

    def set_rate(self, rate: float) -> None:
        """Adopt the rate SP-API reported (x-amzn-RateLimit-Limit); tokens earned so far are kept."""
        if rate <= 0:
            return
        with self._lock:
            self._refill()
            self._rate = float(rate)

    def drain(self) -> None:
        """Empty the bucket: SP-API just throttled us, so its bucket is empty too."""
        with self._lock:
            self._refill()
            self._tokens = 0.0

    def available(self) -> float:
        with self._lock:
            self._refill()
            return self._tokens


class RateLimiter:
    """Per-operation buckets, seeded from `OPERATION_RATES`, created on first use.

    SP-API meters each selling partner + application pair separately, so buckets are also keyed by a
    `partition` (the HTTP client passes the access-token provider's `rate_limit_partition`: a hash per
    seller, or the grantless scope); one seller's burst does not hold back another's.
    """

    def __init__(
        self,
        rates: dict[str, OperationRate] | None = None,
        clock: Callable[[], float] = time.monotonic,
        default: OperationRate = DEFAULT_RATE,
    ) -> None:
        self._rates = dict(OPERATION_RATES if rates is None else rates)
        self._default = default
        self._clock = clock
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        self._lock = threading.Lock()

    def bucket(self, operation: str, partition: str = "") -> TokenBucket:
        with self._lock:
            bucket = self._buckets.get((operation, partition))
            if bucket is None:
                plan = self._rates.get(operation, self._default)
                bucket = TokenBucket(plan.rate, plan.burst, clock=self._clock)
                self._buckets[(operation, partition)] = bucket
            return bucket

    def wait_time(self, operation: str, partition: str = "") -> float:
        """Take a token for `operation` (returns 0.0) or say how long until one is available."""
        return self.bucket(operation, partition).try_acquire()

    def update_rate(self, operation: str, rate: float, partition: str = "") -> None:
        self.bucket(operation, partition).set_rate(rate)

    def throttled(self, operation: str, partition: str = "") -> float:
        """SP-API answered 429: its bucket is empty, so is ours. Returns the seconds until the next token."""
        bucket = self.bucket(operation, partition)
        bucket.drain()
        return bucket.time_to_token()
