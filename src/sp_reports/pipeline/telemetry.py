"""What a service needs of its function's logger and metrics.

Powertools' Logger and Metrics fit; the handler passes its own, so that a service's log lines carry the keys
the handler's logger holds (the Lambda context, the correlation id) and its metrics leave with the handler's
at the end of the invocation. A test passes Powertools objects of its own and reads what they wrote.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

# CloudWatch's unit names, as Powertools' Metrics.add_metric takes them (the names of its MetricUnit).
COUNT = "Count"
BYTES = "Bytes"


class StructuredLogger(Protocol):
    def append_keys(self, **additional_keys: Any) -> None: ...

    def remove_keys(self, keys: Iterable[str]) -> None: ...

    def info(self, msg: object, *args: Any, **kwargs: Any) -> None: ...

    def warning(self, msg: object, *args: Any, **kwargs: Any) -> None: ...

    def error(self, msg: object, *args: Any, **kwargs: Any) -> None: ...

    def exception(self, msg: object, *args: Any, **kwargs: Any) -> None: ...


class MetricSink(Protocol):
    def add_metric(self, name: str, unit: Any, value: float) -> None: ...
