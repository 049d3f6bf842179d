"""Benchmark 4: N getReport calls against a scaled-down usage plan, on both sides of the wire.

The emulator enforces `rate`/`burst` per seller (`set_rate`); the client's bucket is configured with the same
plan (the way `OPERATION_RATES` mirrors SP-API's documented one). Figures: the total time against the
theoretical minimum `(N - burst) / rate`, 429s the emulator answered (seen) against errors that reached the
caller (surfaced). Run once from one thread and once from four threads sharing the client, as concurrent
invocations of one container would not, but a multi-threaded caller could.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from dataclasses import asdict, dataclass

from sp_reports.spapi.credentials import AppCredentials
from sp_reports.spapi.errors import SpApiError
from sp_reports.spapi.http import SpApiHttpClient
from sp_reports.spapi.lwa import LwaClient
from sp_reports.spapi.ratelimit import OperationRate, RateLimiter
from sp_reports.spapi.reports import ReportsClient
from spapi_emulator import EmulatorConfig, SpApiEmulator

CLIENT_ID = "amzn1.application-oa2-client.bench"
CLIENT_SECRET = "bench-client-secret"  # noqa: S105 - the emulator's, not a real one
OPERATION = "getReport"


@dataclass
class RateLimitRun:
    threads: int
    calls: int
    rate: float
    burst: int
    seconds: float
    throttled_seen: int  # 429s the emulator answered
    surfaced: int  # errors that reached the caller

    @property
    def theoretical_seconds(self) -> float:
        return (self.calls - self.burst) / self.rate

    @property
    def ratio(self) -> float:
        return self.seconds / self.theoretical_seconds


def run_once(threads: int, calls: int, rate: float, burst: int) -> RateLimitRun:
    seller_id, refresh_token = f"A{threads:02d}RATESELLER", f"Atzr|bench-rate-{threads}"
    config = EmulatorConfig(in_queue_seconds=0.0, in_progress_seconds=0.0)
    with SpApiEmulator(config=config) as emulator:
        emulator.register_app(CLIENT_ID, CLIENT_SECRET)
        emulator.register_seller(refresh_token, seller_id)
        emulator.set_rate("createReport", 100.0, 100)
        lwa = LwaClient(AppCredentials(CLIENT_ID, CLIENT_SECRET), endpoint=emulator.lwa_url)
        limiter = RateLimiter(
            rates={"createReport": OperationRate(100.0, 100), OPERATION: OperationRate(rate, burst)}
        )
        reports = ReportsClient(
            SpApiHttpClient(emulator.url, rate_limiter=limiter), lwa.seller_token_provider(refresh_token)
        )
        report_id = reports.create_report("GET_MERCHANT_LISTINGS_ALL_DATA", ["ATVPDKIKX0DER"])
        emulator.set_rate(OPERATION, rate, burst)  # both buckets start full from here

        remaining = iter(range(calls))
        lock = threading.Lock()
        surfaced: list[SpApiError] = []

        def caller() -> None:
            while True:
                with lock:
                    if next(remaining, None) is None:
                        return
                try:
                    reports.get_report(report_id)
                except SpApiError as error:
                    with lock:
                        surfaced.append(error)

        workers = [threading.Thread(target=caller) for _ in range(threads)]
        started = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        seconds = time.perf_counter() - started
        seen = sum(
            1
            for exchange in emulator.exchanges
            if exchange.operation_id == OPERATION and exchange.status == 429
        )
    return RateLimitRun(threads, calls, rate, burst, seconds, seen, len(surfaced))


def run(calls: int = 55, rate: float = 10.0, burst: int = 5) -> list[RateLimitRun]:
    return [run_once(threads, calls, rate, burst) for threads in (1, 4)]


if __name__ == "__main__":
    results = run()
    with open(sys.argv[1], "w") as out:
        json.dump([asdict(result) for result in results], out)
