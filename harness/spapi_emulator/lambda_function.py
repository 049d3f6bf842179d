"""The SP-API emulator as a Lambda behind a function URL (AWS_IAM), the acceptance run's real-account target.

Handler ``spapi_emulator.lambda_function.handler``; environment:
- ``SPAPI_EMULATOR_STATE_BUCKET``: the bucket of the emulator's state (``state_in_s3``) and its documents;
- ``SPAPI_EMULATOR_IN_QUEUE_SECONDS`` / ``SPAPI_EMULATOR_IN_PROGRESS_SECONDS``: the report lifecycle
  (default 2 s each);
- ``SPAPI_MODELS_DIR``: the SP-API models (default: ``models/`` next to this module, where the zip has them).

Each function URL invocation loads the state, ticks the lifecycle, serves the request (SP-API, LWA, or the
control routes of ``remote_control_routes`` under ``/_emulator/v1/``) and saves the state with a conditional
write; when another container saved first it reloads and serves the request again. Only after the save
succeeds does it act outside: REPORT_PROCESSING_FINISHED goes to the destination's queue with SQS SendMessage
(the function's own credentials), and a request that adds reports (createReport, or a report schedule that
came due at its tick) makes the function invoke itself asynchronously (an ``{"spapi_emulator": "advance"}``
event) to wait the lifecycle out and tick, so reports finish and notify without anyone polling. A schedule
comes due only when a request arrives: nothing wakes the function at a schedule's time.

Documents are S3 objects of the bucket and getReportDocument answers an S3 presigned GET URL, as SP-API does
(document URLs are presigned and valid five minutes: docs/spapi-notes.md#documents). That is required here,
not only for documents too big for a function URL response (6 MB: Lambda quotas, "Invocation payload (request
and response)"): the URL is AWS_IAM, and a document URL is downloaded unsigned. The object's Content-Type
carries the charset SP-API names, and a GZIP document stays compressed (``ResponseContentEncoding=gzip`` when
the caller asked for the Content-Encoding header).
"""

from __future__ import annotations

import json
import logging
import os
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

import boto3
from botocore.config import Config

from spapi_emulator import document_charsets
from spapi_emulator import remote_control_routes as control_routes
from spapi_emulator.app import EmulatorApp, EmulatorConfig
from spapi_emulator.context import EmulatorContext
from spapi_emulator.contract import ModelContract, default_models_dir
from spapi_emulator.documents import DocumentHost
from spapi_emulator.lambda_adapter import function_url_response
from spapi_emulator.state_in_s3 import StateStore, capture, restore

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)

ADVANCE_EVENT = "advance"
# The state bucket's key prefix for documents' bytes (their URLs' path is documents.DOCUMENT_URL_PATH).
DOCUMENT_KEY_PREFIX = "documents/"
MAX_ATTEMPTS = 20
T = TypeVar("T")


class StoredEmulatorApp(EmulatorApp):
    """The emulator for one attempt of one invocation: state restored from the bucket, effects kept back."""

    base_clock = staticmethod(time.time)  # containers' monotonic clocks are unrelated: the wall clock

    def __init__(self, contract: ModelContract, config: EmulatorConfig, s3: Any, bucket: str) -> None:
        super().__init__(contract, config)
        self.s3 = s3
        self.bucket = bucket
        self.documents = S3DocumentHost(self, s3, bucket)
        self.report_documents = _ReportDocuments(s3, bucket)
        self.held_notifications: list[str] | None = None
        self.outbox: list[tuple[str, str]] = []  # sent after the state is saved
        # The reports before this attempt's tick: those it adds (createReport, or a schedule that came due)
        # make the function invoke itself to advance them.
        self.reports_at_load: set[str] = set()
        self.notification_sink = self._deliver_later

    def _deliver_later(self, destination_arn: str, body: str) -> None:
        if self.held_notifications is not None:
            self.held_notifications.append(body)
        else:
            self.outbox.append((destination_arn, body))

    def store_new_documents(self) -> None:
        """Documents made in this attempt become objects of their own; the state keeps their metadata."""
        with self.state.lock:
            fresh = [document for document in self.state.documents.values() if document.content]
        for document in fresh:
            self.s3.put_object(
                Bucket=self.bucket,
                Key=DOCUMENT_KEY_PREFIX + document.report_document_id,
                Body=document.content,
                ContentType=document_charsets.content_type(document.charset_label),
            )
            document.content = b""


class _ReportDocuments(dict):
    """Documents set ahead for reports: bytes, or the key of an object holding them (a big upload)."""

    def __init__(self, s3: Any, bucket: str) -> None:
        super().__init__()
        self._s3 = s3
        self._bucket = bucket

    def get(self, report_id: str, default: Any = None) -> Any:
        value = super().get(report_id, default)
        if isinstance(value, str):
            return self._s3.get_object(Bucket=self._bucket, Key=value)["Body"].read()
        return value


class S3DocumentHost(DocumentHost):
    def __init__(self, context: EmulatorContext, s3: Any, bucket: str) -> None:
        super().__init__(context)
        self.s3 = s3
        self.bucket = bucket

    def url(self, host_url: str, document_id: str, content_encoding: bool) -> str:
        with self.context.state.lock:
            document = self.context.state.documents[document_id]
        params = {"Bucket": self.bucket, "Key": DOCUMENT_KEY_PREFIX + document_id}
        if content_encoding and document.compression == "GZIP":
            params["ResponseContentEncoding"] = "gzip"
        return self.s3.generate_presigned_url(
            "get_object", Params=params, ExpiresIn=int(self.context.config.document_url_ttl)
        )


class Deployment:
    """The clients and settings of this container; ``transact`` runs work on the stored state."""

    def __init__(self) -> None:
        self.bucket = os.environ["SPAPI_EMULATOR_STATE_BUCKET"]
        # Presigned URLs with Signature Version 4: S3 refuses Signature Version 2 in the regions opened
        # since 2014 (S3 User Guide, "Authenticating Requests (AWS Signature Version 4)").
        self.s3 = boto3.client("s3", config=Config(signature_version="s3v4"))
        self.sqs = boto3.client("sqs")
        self.lambda_client = boto3.client("lambda")
        self.store = StateStore(self.s3, self.bucket)
        self.contract = ModelContract.load(default_models_dir())
        self.config = EmulatorConfig(
            in_queue_seconds=float(os.environ.get("SPAPI_EMULATOR_IN_QUEUE_SECONDS", "2")),
            in_progress_seconds=float(os.environ.get("SPAPI_EMULATOR_IN_PROGRESS_SECONDS", "2")),
        )

    def transact(self, work: Callable[[StoredEmulatorApp], T]) -> tuple[T, StoredEmulatorApp]:
        for attempt in range(MAX_ATTEMPTS):
            snapshot, etag = self.store.load()
            app = StoredEmulatorApp(self.contract, self.config, self.s3, self.bucket)
            if snapshot is not None:
                restore(app, snapshot)
                app.held_notifications = snapshot.held_notifications
            app.reports_at_load = set(app.state.reports)
            app.tick()
            result = work(app)
            app.store_new_documents()
            if self.store.save(capture(app, app.held_notifications), etag):
                return result, app
            logger.info("state changed by another invocation (attempt %d): redoing the request", attempt + 1)
            time.sleep(random.uniform(0.01, 0.05 * (attempt + 1)))
        raise RuntimeError(f"the emulator's state kept changing: gave up after {MAX_ATTEMPTS} attempts")

    def after(self, app: StoredEmulatorApp, reports_before: set[str]) -> None:
        """What a saved invocation does outside: notifications out, and the lifecycle of new reports."""
        errors = []
        for arn, body in app.outbox:
            try:
                region = arn.split(":")[3] if arn.count(":") == 5 else None
                sqs = self.sqs
                if region != sqs.meta.region_name:
                    sqs = boto3.client("sqs", region_name=region)
                sqs.send_message(QueueUrl=self._queue_url(arn), MessageBody=body)
            except Exception as error:
                logger.exception("REPORT_PROCESSING_FINISHED to %s not delivered", arn)
                errors.append(f"{type(error).__name__}: {error}")
        if errors:
            self.transact(lambda stored: stored.notification_errors.extend(errors))
        if set(app.state.reports) - reports_before:
            try:
                self.lambda_client.invoke(
                    FunctionName=os.environ["AWS_LAMBDA_FUNCTION_NAME"],
                    InvocationType="Event",
                    Payload=json.dumps({"spapi_emulator": ADVANCE_EVENT}).encode(),
                )
            except Exception:
                # The request was served and saved; its reports still advance at every later request.
                logger.exception("could not invoke the emulator to advance its new reports")

    @staticmethod
    def _queue_url(arn: str) -> str:
        """The queue URL of an SQS queue ARN (arn:aws:sqs:<region>:<account>:<name>), in the form the SQS
        Developer Guide gives ("Amazon SQS queue and message identifiers": https://sqs.<region>.amazonaws.com/
        <account>/<name>). Derived rather than asked with GetQueueUrl, so the function needs sqs:SendMessage
        only - the one action a destination queue's policy grants its sender."""
        parts = arn.split(":")
        if len(parts) != 6 or parts[:3] != ["arn", "aws", "sqs"]:
            raise ValueError(f"not an SQS queue ARN: {arn}")
        _, _, _, region, account, name = parts
        return f"https://sqs.{region}.amazonaws.com/{account}/{name}"

    def serve(self, event: dict) -> dict:
        path = event.get("rawPath") or "/"

        def work(app: StoredEmulatorApp) -> dict:
            if path.startswith(control_routes.PREFIX):
                return control_routes.handle(app, event)
            return function_url_response(app, event)

        response, app = self.transact(work)
        self.after(app, app.reports_at_load)
        return response

    def advance(self, context: Any) -> None:
        """Wait each lifecycle phase out and tick, so new reports finish (and notify) on their own."""
        for seconds in (self.config.in_queue_seconds, self.config.in_progress_seconds):
            remaining = context.get_remaining_time_in_millis() / 1000 - 1 if context else seconds
            time.sleep(max(0.0, min(seconds + 0.1, remaining)))
            _, app = self.transact(lambda stored: None)
            self.after(app, set(app.state.reports))


_deployment: Deployment | None = None


def handler(event: dict, context: Any) -> Any:
    global _deployment
    if _deployment is None:
        _deployment = Deployment()
    if event.get("spapi_emulator") == ADVANCE_EVENT:
        _deployment.advance(context)
        return {"advanced": True}
    return _deployment.serve(event)


__all__ = ["Deployment", "StoredEmulatorApp", "handler"]
