"""Per-operation token buckets seeded with the documented default usage plans (rate in requests/s, burst).

SP-API limits each operation per selling partner and application pair; the emulator keys buckets by
(operation, principal), the principal being the seller for seller tokens and the application for grantless
ones.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

# From each operation's description in the models (docs/spapi-notes.md#rate-limits). A deliberate independent
# copy of sp_reports.spapi.ratelimit's table: the emulator plays SP-API, so our client's rates are checked
# against it.
DOCUMENTED_RATES: dict[str, tuple[float, int]] = {
    "getReports": (0.0222, 10),
    "createReport": (0.0167, 15),
    "cancelReport": (0.0222, 10),
    "getReport": (2.0, 15),
    "getReportSchedules": (0.0222, 10),
    "createReportSchedule": (0.0222, 10),
    "cancelReportSchedule": (0.0222, 10),
    "getReportSchedule": (0.0222, 10),
    "getReportDocument": (0.0167, 15),
    "getSubscriptions": (1.0, 5),
    "getSubscription": (1.0, 5),
    "createSubscription": (1.0, 5),
    "getSubscriptionById": (1.0, 5),
    "deleteSubscriptionById": (1.0, 5),
    "getDestinations": (1.0, 5),
    "createDestination": (1.0, 5),
    "getDestination": (1.0, 5),
    "deleteDestination": (1.0, 5),
    "sendTestNotification": (1.0, 5),
    "createRestrictedDataToken": (1.0, 10),  # tokens_2021-03-01.json (docs/spapi-notes.md#rate-limits)
}


@dataclass
class TokenBucket:
    """Starts full (burst tokens) and refills at `rate` tokens per second up to `burst`."""

    rate: float
    burst: int
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        self._tokens = float(self.burst)
        self._updated = self.clock()

    def try_take(self) -> bool:
        now = self.clock()
        self._tokens = min(float(self.burst), self._tokens + (now - self._updated) * self.rate)
        self._updated = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False


@dataclass
class RateLimitSnapshot:
    """A limiter's plans and buckets, to carry on elsewhere (`RateLimiter.snapshot`, `restore`)."""

    rates: dict[str, tuple[float, int]]
    enabled: bool
    # (operation, principal) -> (rate, burst, tokens left, when they were counted)
    buckets: dict[tuple[str, str], tuple[float, int, float, float]]


class RateLimiter:
    """Thread-safe buckets per (operation, principal); rates can be overridden, limiting switched off."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._rates = dict(DOCUMENTED_RATES)
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        self._lock = threading.Lock()
        self.enabled = True

    def rate_of(self, operation: str) -> float:
        with self._lock:
            return self._rates.get(operation, (1.0, 5))[0]

    def set_rate(self, operation: str, rate: float, burst: int) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        with self._lock:
            self._rates[operation] = (rate, burst)
            # Existing buckets restart with the new plan so a test sees it immediately.
            for key in [key for key in self._buckets if key[0] == operation]:
                del self._buckets[key]

    def allow(self, operation: str, principal: str) -> bool:
        with self._lock:
            if not self.enabled:
                return True
            bucket = self._buckets.get((operation, principal))
            if bucket is None:
                rate, burst = self._rates.get(operation, (1.0, 5))
                bucket = TokenBucket(rate, burst, self._clock)
                self._buckets[(operation, principal)] = bucket
            return bucket.try_take()

    def snapshot(self) -> RateLimitSnapshot:
        with self._lock:
            buckets = {
                key: (bucket.rate, bucket.burst, bucket._tokens, bucket._updated)
                for key, bucket in self._buckets.items()
            }
            return RateLimitSnapshot(dict(self._rates), self.enabled, buckets)

    def restore(self, snapshot: RateLimitSnapshot) -> None:
        with self._lock:
            self._rates = dict(snapshot.rates) or self._rates
            self.enabled = snapshot.enabled
            for key, (rate, burst, tokens, updated) in snapshot.buckets.items():
                bucket = TokenBucket(rate, burst, self._clock)
                bucket._tokens, bucket._updated = tokens, updated
                self._buckets[key] = bucket
