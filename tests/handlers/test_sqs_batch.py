"""Partial batch responses (sp_reports.handlers._sqs_batch) follow Lambda's contract for SQS event sources
(AWS Lambda
Developer Guide, "Handling errors for an SQS event source in Lambda", services-sqs-batchfailurereporting):
the listed message ids go back to the queue, an empty list deletes the batch, an error returns all of it."""

from __future__ import annotations

import pytest

from sp_reports.handlers._sqs_batch import EntireBatchFailedError, SqsMessage, partial_batch_response


def _event(*ids: str) -> dict:
    return {"Records": [{"messageId": i, "body": f"body of {i}", "eventSource": "aws:sqs"} for i in ids]}


def _failing_on(*bad: str):
    seen: list[SqsMessage] = []

    def process(message: SqsMessage) -> None:
        seen.append(message)
        if message.message_id in bad:
            raise RuntimeError(f"{message.message_id} failed")

    return process, seen


@pytest.mark.parametrize(
    ("ids", "failing", "answer"),
    [
        (("a", "b", "c"), (), []),  # all processed: the whole batch is deleted
        (("a", "b", "c"), ("b",), [{"itemIdentifier": "b"}]),  # only b goes back
        (("a", "b", "c"), ("a", "c"), [{"itemIdentifier": "a"}, {"itemIdentifier": "c"}]),
        ((), (), []),
    ],
)
def test_the_failed_messages_alone_are_listed_for_retry(ids, failing, answer):
    process, seen = _failing_on(*failing)
    assert partial_batch_response(_event(*ids), process) == {"batchItemFailures": answer}
    assert [(m.message_id, m.body) for m in seen] == [(i, f"body of {i}") for i in ids]  # each once, in order


def test_a_batch_whose_every_message_failed_fails_the_invocation():
    process, seen = _failing_on("a", "b")
    with pytest.raises(EntireBatchFailedError) as raised:
        partial_batch_response(_event("a", "b"), process)
    assert len(seen) == 2
    assert [str(e) for e in raised.value.failures] == ["a failed", "b failed"]


@pytest.mark.parametrize("event", [{}, {"Records": None}, {"Records": "a"}, None])
def test_an_event_that_is_not_an_sqs_batch_is_refused(event):
    with pytest.raises(ValueError, match="Records"):
        partial_batch_response(event, lambda message: None)
