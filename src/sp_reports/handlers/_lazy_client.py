"""A boto3 client created when first used, for a service that some of a function's paths never call.

Creating a client costs CPU at the cold start (botocore loads and parses the service's model and endpoint
rule set: docs/benchmarks.md, "Cold start"). A client every invocation needs is created at import, where
Lambda's init phase runs it; this is only for the others, e.g. STS, which report_status needs only for a
report that is stored (a download link) and the report_notifier only for a READY outcome. Created once, on
the first attribute read, under a lock (a function may use it from threads), then reused.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import boto3


class LazyClient:
    def __init__(self, service_name: str, factory: Callable[[str], Any] = boto3.client) -> None:
        self._service_name = service_name
        self._factory = factory
        self._lock = threading.Lock()
        self._client: Any = None

    @property
    def created(self) -> bool:
        return self._client is not None

    def client(self) -> Any:
        """The client, created now if it was not yet."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = self._factory(self._service_name)
        return self._client

    def __getattr__(self, name: str) -> Any:
        # Only names this object lacks reach here: the client's operations, `meta`, `exceptions`.
        return getattr(self.client(), name)

    def __repr__(self) -> str:
        return f"LazyClient({self._service_name!r}, created={self.created})"
