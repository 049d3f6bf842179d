"""Fault switches: thread-safe, counted (`times`), consumed one per matching request.

Operation names are the models' operationIds plus `lwa` (the token endpoint) and `downloadDocument` (the
document URL host). An LWA outage (`lwa_down`) answers every token request with 503/500 until it is lifted or
its count runs out.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

DOCUMENT_FAULTS = ("truncated_gzip", "plain_labelled_gzip", "expire_urls_immediately")


@dataclass
class _Countdown:
    value: object
    remaining: int | None  # None: until cleared


class FaultSwitches:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._statuses: dict[str, list[_Countdown]] = {}
        self._delays: dict[str, list[_Countdown]] = {}
        self._document: dict[str, _Countdown] = {}
        self._cuts: list[_Countdown] = []
        self._lwa_outage: _Countdown | None = None

    def inject(self, operation: str, status: int, times: int | None = 1) -> None:
        with self._lock:
            self._statuses.setdefault(operation, []).append(_Countdown(status, times))

    def delay(self, operation: str, seconds: float, times: int | None = 1) -> None:
        with self._lock:
            self._delays.setdefault(operation, []).append(_Countdown(seconds, times))

    def document_fault(self, name: str, times: int | None = 1) -> None:
        if name not in DOCUMENT_FAULTS:
            raise ValueError(f"unknown document fault {name!r}; known: {', '.join(DOCUMENT_FAULTS)}")
        with self._lock:
            self._document[name] = _Countdown(True, times)

    def cut_download(self, after_bytes: int, times: int | None = 1) -> None:
        """The next `times` document downloads send `after_bytes` of their body, then drop the connection."""
        if after_bytes < 0:
            raise ValueError("after_bytes must be >= 0")
        with self._lock:
            self._cuts.append(_Countdown(after_bytes, times))

    def take_cut(self) -> int | None:
        with self._lock:
            if not self._cuts:
                return None
            head = self._cuts[0]
            if head.remaining is not None:
                head.remaining -= 1
                if head.remaining <= 0:
                    self._cuts.pop(0)
            return head.value  # type: ignore[return-value]

    def lwa_down(self, status: int = 503, times: int | None = None) -> None:
        with self._lock:
            self._lwa_outage = _Countdown(status, times)

    def lwa_up(self) -> None:
        with self._lock:
            self._lwa_outage = None

    def clear(self) -> None:
        with self._lock:
            self._statuses.clear()
            self._delays.clear()
            self._document.clear()
            self._cuts.clear()
            self._lwa_outage = None

    def take_lwa_outage(self) -> int | None:
        with self._lock:
            outage = self._lwa_outage
            if outage is None:
                return None
            if outage.remaining is not None:
                outage.remaining -= 1
                if outage.remaining <= 0:
                    self._lwa_outage = None
            return outage.value  # type: ignore[return-value]

    def take_status(self, operation: str) -> int | None:
        return self._take(self._statuses, operation)  # type: ignore[return-value]

    def take_delay(self, operation: str) -> float | None:
        return self._take(self._delays, operation)  # type: ignore[return-value]

    def take_document_fault(self, name: str) -> bool:
        with self._lock:
            countdown = self._document.get(name)
            if countdown is None:
                return False
            if countdown.remaining is not None:
                countdown.remaining -= 1
                if countdown.remaining <= 0:
                    del self._document[name]
            return True

    def _take(self, table: dict[str, list[_Countdown]], operation: str) -> object | None:
        with self._lock:
            queue = table.get(operation)
            if not queue:
                return None
            head = queue[0]
            if head.remaining is not None:
                head.remaining -= 1
                if head.remaining <= 0:
                    queue.pop(0)
            return head.value
