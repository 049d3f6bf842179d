"""SQS → Lambda event source mappings with the semantics of the real Lambda poller.

The pinned moto pushes messages to the function inside SendMessage, one message per invocation, ignores
``ReportBatchItemFailures`` and makes a failed batch visible again at once. Here moto's push is switched off
(mappings are not registered on the queue) and one poller thread per enabled SQS mapping does what Lambda
does:

- receive up to ``BatchSize`` messages (with the queue's visibility timeout) and invoke the function once with
  the real event shape (``Records[]`` with ``messageId``, ``receiptHandle``, ``attributes``,
  ``messageAttributes``, ``md5OfBody``, ``eventSource``, ``eventSourceARN``, ``awsRegion``);
- on success delete the batch; with ``ReportBatchItemFailures`` delete all but the reported
  ``itemIdentifier``s (an unknown or empty identifier fails the whole batch, as in Lambda);
- on a function error delete nothing: the messages reappear after the visibility timeout, and moto's redrive
  moves them to the dead-letter queue once ``maxReceiveCount`` is reached.

Mappings created, disabled or deleted later (Terraform, tests) are picked up by a supervisor thread.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from dataclasses import dataclass
from typing import Any

from sp_reports_harness.local_aws.moto_internals import (
    LambdaBackend,
    MotoInternalsChanged,
    PatchSet,
    lambda_backends,
    sqs_backends,
)

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 10
REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures"


@dataclass(frozen=True)
class BatchOutcome:
    delete: list[str]  # receipt handles of processed messages
    failed_message_ids: list[str]


def batch_outcome(records: list[dict[str, Any]], errored: bool, payload: Any, partial: bool) -> BatchOutcome:
    """Which messages of an invoked batch Lambda deletes, given the function's answer."""
    all_ids = [record["messageId"] for record in records]
    handles = {record["messageId"]: record["receiptHandle"] for record in records}
    if errored:
        return BatchOutcome(delete=[], failed_message_ids=all_ids)
    if not partial:
        return BatchOutcome(delete=list(handles.values()), failed_message_ids=[])
    failed = _reported_failures(payload, set(all_ids))
    if failed is None:
        return BatchOutcome(delete=[], failed_message_ids=all_ids)
    return BatchOutcome(
        delete=[handles[message_id] for message_id in all_ids if message_id not in failed],
        failed_message_ids=[message_id for message_id in all_ids if message_id in failed],
    )


def _reported_failures(payload: Any, batch_ids: set[str]) -> set[str] | None:
    """The reported failed ids; None when the answer makes Lambda fail the whole batch."""
    if payload is None or payload == {}:
        return set()
    if not isinstance(payload, dict):
        return None
    items = payload.get("batchItemFailures")
    if items is None:
        return set()
    if not isinstance(items, list):
        return None
    failed: set[str] = set()
    for item in items:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not identifier or identifier not in batch_ids:
            return None
        failed.add(identifier)
    return failed


def sqs_record(message: Any, queue_arn: str, region: str) -> dict[str, Any]:
    attributes = {
        "ApproximateReceiveCount": str(message.approximate_receive_count),
        "SentTimestamp": str(message.sent_timestamp),
        "SenderId": str(message.sender_id),
        "ApproximateFirstReceiveTimestamp": str(message.approximate_first_receive_timestamp),
    }
    if message.group_id:
        attributes["MessageGroupId"] = message.group_id
    if message.deduplication_id:
        attributes["MessageDeduplicationId"] = message.deduplication_id
    if message.sequence_number:
        attributes["SequenceNumber"] = str(message.sequence_number)
    return {
        "messageId": message.id,
        "receiptHandle": message.receipt_handle,
        "body": message.body,
        "attributes": attributes,
        "messageAttributes": {
            name: _event_attribute(value) for name, value in message.message_attributes.items()
        },
        "md5OfBody": message.body_md5,
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def _event_attribute(value: dict[str, Any]) -> dict[str, Any]:
    binary = value.get("BinaryValue")
    if isinstance(binary, bytes):
        binary = base64.b64encode(binary).decode("ascii")
    return {
        "stringValue": value.get("StringValue"),
        "binaryValue": binary,
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": value["DataType"],
    }


class _MappingPoller:
    def __init__(self, account_id: str, region: str, mapping_uuid: str, idle_wait: float) -> None:
        self.account_id = account_id
        self.region = region
        self.mapping_uuid = mapping_uuid
        self._idle_wait = idle_wait
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"sqs-poller-{mapping_uuid[:8]}", daemon=True)

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                delivered = self.poll_once()
            except Exception:  # a poller must survive a bad batch or a queue deleted under it
                logger.exception("SQS poller for mapping %s failed; retrying", self.mapping_uuid)
                delivered = False
            if not delivered:
                self._stop.wait(self._idle_wait)

    def poll_once(self) -> bool:
        lambda_backend: LambdaBackend = lambda_backends[self.account_id][self.region]
        mapping = _mappings(lambda_backend).get(self.mapping_uuid)
        if mapping is None or not mapping.enabled:
            self._stop.set()
            return False
        sqs_backend = sqs_backends[self.account_id][self.region]
        queue = next(
            (q for q in list(sqs_backend.queues.values()) if q.queue_arn == mapping.event_source_arn), None
        )
        if queue is None:
            return False
        messages = sqs_backend.receive_message(
            queue.name, int(mapping.batch_size or DEFAULT_BATCH_SIZE), 0, queue.visibility_timeout, ["All"]
        )
        if not messages:
            return False
        records = [sqs_record(message, queue.queue_arn, self.region) for message in messages]
        response_headers: dict[str, Any] = {}
        raw = lambda_backend.invoke(
            mapping.function_arn, None, json.dumps({"Records": records}), {}, response_headers
        )
        outcome = batch_outcome(
            records,
            errored="x-amz-function-error" in response_headers,
            payload=_json_or_none(raw),
            partial=REPORT_BATCH_ITEM_FAILURES in (mapping.function_response_types or []),
        )
        for receipt_handle in outcome.delete:
            sqs_backend.delete_message(queue.name, receipt_handle)
        if outcome.failed_message_ids:
            logger.info("messages %s of %s failed; left for retry", outcome.failed_message_ids, queue.name)
        return True


def _json_or_none(raw: Any) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return "not json"


def _mappings(backend: LambdaBackend) -> dict[str, Any]:
    try:
        return backend._event_source_mappings
    except AttributeError as error:
        raise MotoInternalsChanged("LambdaBackend._event_source_mappings is gone") from error


class SqsEventSourcePoller:
    """Supervises one ``_MappingPoller`` per enabled SQS event source mapping."""

    def __init__(self, scan_interval: float = 0.2) -> None:
        self._scan_interval = scan_interval
        self._pollers: dict[str, _MappingPoller] = {}
        self._stop = threading.Event()
        self._supervisor = threading.Thread(target=self._supervise, name="sqs-poller-supervisor", daemon=True)

    def start(self) -> None:
        self._supervisor.start()

    def request_stop(self) -> None:
        """Stop polling; a batch being processed finishes (or fails once the executor stops)."""
        self._stop.set()
        if self._supervisor.is_alive():
            self._supervisor.join()
        for poller in self._pollers.values():
            poller.stop()

    def stop(self) -> None:
        self.request_stop()
        for poller in self._pollers.values():
            poller.thread.join()
        self._pollers.clear()

    def _supervise(self) -> None:
        while not self._stop.is_set():
            try:
                self._reconcile()
            except MotoInternalsChanged:
                logger.exception("SQS poller disabled")
                return
            except Exception:
                logger.exception("SQS poller supervisor failed; retrying")
            self._stop.wait(self._scan_interval)

    def _reconcile(self) -> None:
        for uuid, poller in list(self._pollers.items()):
            if not poller.thread.is_alive():
                del self._pollers[uuid]
        for account_id, regions in list(lambda_backends.items()):
            for region, backend in list(regions.items()):
                for uuid, mapping in list(_mappings(backend).items()):
                    is_sqs = mapping.event_source_arn.split(":")[2] == "sqs"
                    if is_sqs and mapping.enabled and uuid not in self._pollers:
                        poller = _MappingPoller(account_id, region, uuid, self._scan_interval)
                        self._pollers[uuid] = poller
                        poller.thread.start()

    # -- moto hook: stop moto's own push delivery inside SendMessage -----------------------------------------
    @staticmethod
    def patches() -> PatchSet:
        original = LambdaBackend.create_event_source_mapping

        def create_event_source_mapping(self: LambdaBackend, spec: dict[str, Any]) -> Any:
            mapping = original(self, spec)
            for queue in sqs_backends[self.account_id][self.region_name].queues.values():
                if queue.queue_arn == mapping.event_source_arn:
                    queue.lambda_event_source_mappings.pop(mapping.function_arn, None)
            return mapping

        patches = PatchSet("sqs_poller")
        patches.replace(LambdaBackend, "create_event_source_mapping", create_event_source_mapping)
        return patches
