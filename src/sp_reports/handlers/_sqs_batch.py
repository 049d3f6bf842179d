"""SQS partial batch responses: process each message of an SQS event, answer which ones to retry.

Lambda's contract (AWS Lambda Developer Guide, "Handling errors for an SQS event source in Lambda",
services-sqs-errorhandling#services-sqs-batchfailurereporting), with `ReportBatchItemFailures` in the event
source mapping's FunctionResponseTypes: the answer `{"batchItemFailures": [{"itemIdentifier": messageId}]}`
returns exactly those messages to the queue; an empty list deletes the whole batch; a function error returns
the whole batch. When every message failed, this raises instead of listing them all, as Powertools'
BatchProcessor does (`raise_on_entire_batch_failure`): the batch goes back either way, and the invocation
then counts as an error (the function's Errors metric and alarm see it).

Ours rather than Powertools' `utilities.batch`: importing that imports asyncio and every event data class,
about 50 ms of CPU at each cold start of the notifications processor (docs/benchmarks.md, "Cold start"), for
a loop this short.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SqsMessage:
    """The fields of an SQS event record the processor reads."""

    message_id: str
    body: str

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> SqsMessage:
        return cls(message_id=record["messageId"], body=record["body"])


class EntireBatchFailedError(Exception):
    """Every message of the batch failed: Lambda returns them all to the queue."""

    def __init__(self, failures: list[BaseException]) -> None:
        super().__init__(f"all {len(failures)} message(s) of the batch failed; each was logged as it failed")
        self.failures = failures


def partial_batch_response(
    event: Mapping[str, Any], process: Callable[[SqsMessage], None]
) -> dict[str, list[dict[str, str]]]:
    """Call `process` for each message; the ids of those it raised for, as Lambda's batch item failures."""
    records = event.get("Records") if isinstance(event, Mapping) else None
    if not isinstance(records, list):
        raise ValueError("not an SQS event: it has no Records list")
    failed: list[dict[str, str]] = []
    errors: list[BaseException] = []
    for record in records:
        message = SqsMessage.from_record(record)  # Lambda's SQS records always carry both
        try:
            process(message)
        except Exception as exc:  # the message goes back to the queue; process() logged why
            failed.append({"itemIdentifier": message.message_id})
            errors.append(exc)
    if records and len(failed) == len(records):
        raise EntireBatchFailedError(errors)
    return {"batchItemFailures": failed}
