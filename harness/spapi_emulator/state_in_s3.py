"""The emulator's state kept in an S3 bucket, for the emulator deployed as a Lambda (``lambda_function``).

A Lambda's containers come and go and several serve at once, so no container may keep the emulator's state:
each invocation loads it, works on it and saves it back with an S3 conditional write - ``If-Match`` on the
ETag it loaded, ``If-None-Match: *`` when there was none yet (S3 User Guide, "How to prevent object
overwrites with conditional writes": a mismatch fails with 412 Precondition Failed; a concurrent conditional
write may fail with 409 ConditionalRequestConflict, "you should fetch the object's ETag and retry"). A failed
save means another container changed the state first: the caller reloads and redoes its work.

The state is pickled: it is the emulator's own object graph (dataclasses, datetimes, sets), written and read
only by the emulator's function in a bucket made for it, holding test data only - nobody else can put a
pickle there, and a JSON schema for every object would only restate the dataclasses.

What is kept: the app's ``snapshot()`` (``app.AppSnapshot``: ``EmulatorState`` - applications, sellers,
tokens, reports, report schedules, document metadata, destinations, subscriptions - the time offset, the
recorded exchanges (document downloads without their bodies), LWA counts, notification errors, the report-type
behaviours, refusals and documents set ahead, and the rate limiter's buckets), put back with ``restore()``,
and the held notifications. Not kept: injected faults (no control reaches them in a deployment).
Documents' bytes live in objects of their own (``documents/<id>``), never in the state.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, replace
from typing import Any

from botocore.exceptions import ClientError

from spapi_emulator.app import AppSnapshot, EmulatorApp

STATE_KEY = "emulator/state.pickle"
# A save that lost to another writer (S3 API Reference, PutObject, If-Match: "If the ETag values do not match,
# the operation returns a 412 Precondition Failed error. If a conflicting operation occurs during the upload
# S3 returns a 409 ConditionalRequestConflict response. On a 409 failure you should fetch the object's ETag
# and retry"). If-Match on a key deleted since the load answers 404 NoSuchKey in local AWS (moto) and, per
# the S3 User Guide's "Conditional write behavior", in S3; a 412 there is handled the same: reload, redo.
CONFLICT_CODES = ("PreconditionFailed", "ConditionalRequestConflict", "NoSuchKey", "412", "409", "404")


@dataclass
class Snapshot:
    app: AppSnapshot
    held_notifications: list[str] | None = None  # None: notifications are delivered


def capture(app: EmulatorApp, held_notifications: list[str] | None) -> Snapshot:
    taken = app.snapshot()
    # A download's body is the document itself: kept in its own object, not again in every exchange.
    exchanges = [
        replace(exchange, response_body=b"") if exchange.kind == "document" else exchange
        for exchange in taken.exchanges
    ]
    return Snapshot(replace(taken, exchanges=exchanges), held_notifications)


def restore(app: EmulatorApp, snapshot: Snapshot) -> None:
    app.restore(snapshot.app)


class StateStore:
    """The pickled ``Snapshot`` in ``bucket`` under ``STATE_KEY``, read and written with its ETag."""

    def __init__(self, s3: Any, bucket: str, key: str = STATE_KEY) -> None:
        self.s3 = s3
        self.bucket = bucket
        self.key = key
        # The condition goes on as a header, not as PutObject's IfMatch/IfNoneMatch parameters: the function
        # runs on the runtime's own boto3 (not packaged: it would take the zip past 5 MiB), and "the version
        # of the SDK included in the runtime depends on the runtime version and your Region" (Lambda Developer
        # Guide, "Building Lambda functions with Python", runtime-included SDK versions); botocore's model
        # gained IfMatch only in late 2024, and an older one would refuse the parameter. S3 reads the
        # headers whatever the SDK (S3 API Reference, PutObject: If-Match, If-None-Match).
        self._condition: tuple[str, str] | None = None
        s3.meta.events.register_first("before-sign.s3.PutObject", self._add_condition)

    def _add_condition(self, request: Any, **_: Any) -> None:
        if self._condition is not None:
            request.headers[self._condition[0]] = self._condition[1]

    def load(self) -> tuple[Snapshot | None, str | None]:
        try:
            stored = self.s3.get_object(Bucket=self.bucket, Key=self.key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None, None
            raise
        return pickle.loads(stored["Body"].read()), stored["ETag"]  # noqa: S301 - see the module docstring

    def save(self, snapshot: Snapshot, etag: str | None) -> bool:
        """Write the snapshot if the stored one is still ``etag`` (None: if there is none); False when
        another writer came first."""
        self._condition = ("If-Match", etag) if etag is not None else ("If-None-Match", "*")
        try:
            self.s3.put_object(Bucket=self.bucket, Key=self.key, Body=pickle.dumps(snapshot))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in CONFLICT_CODES:
                return False
            raise
        finally:
            self._condition = None
        return True
