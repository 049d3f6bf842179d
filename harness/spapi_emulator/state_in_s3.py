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

What is kept: ``EmulatorState`` (applications, sellers, tokens, reports, document metadata, destinations,
subscriptions), the time offset, the recorded exchanges (document downloads without their bodies), LWA
counts, notification errors, the held notifications, the report-type behaviours, refusals and documents set
ahead, and the rate limiter's buckets. Not kept: injected faults (no control reaches them in a deployment).
Documents' bytes live in objects of their own (``documents/<id>``), never in the state.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field, replace
from typing import Any

from botocore.exceptions import ClientError

from spapi_emulator import state as st
from spapi_emulator.app import EmulatorApp, Exchange, _ReportTypeBehaviour
from spapi_emulator.ratelimit import TokenBucket

STATE_KEY = "emulator/state.pickle"
# A save that lost to another writer (S3 API Reference, PutObject, If-Match: "If the ETag values do not match,
# the operation returns a 412 Precondition Failed error. If a conflicting operation occurs during the upload
# S3 returns a 409 ConditionalRequestConflict response. On a 409 failure you should fetch the object's ETag
# and retry"). If-Match on a key deleted since the load answers 404 NoSuchKey in local AWS (moto) and, per
# the S3 User Guide's "Conditional write behavior", in S3; a 412 there is handled the same: reload, redo.
CONFLICT_CODES = ("PreconditionFailed", "ConditionalRequestConflict", "NoSuchKey", "412", "409", "404")


@dataclass
class Snapshot:
    state: st.EmulatorState
    time_offset: float = 0.0
    exchanges: list[Exchange] = field(default_factory=list)
    lwa_exchanges: dict[str, int] = field(default_factory=dict)
    notification_errors: list[str] = field(default_factory=list)
    held_notifications: list[str] | None = None  # None: notifications are delivered
    report_types: dict[str, tuple[str, bytes | None]] = field(default_factory=dict)
    refused_report_types: dict[str, str] = field(default_factory=dict)
    report_documents: dict[str, Any] = field(default_factory=dict)  # bytes, or an S3 key (str) of them
    active_reports: set[str] = field(default_factory=set)
    rates: dict[str, tuple[float, int]] = field(default_factory=dict)
    rate_limits_enabled: bool = True
    buckets: dict[tuple[str, str], tuple[float, int, float, float]] = field(default_factory=dict)


def capture(app: EmulatorApp, held_notifications: list[str] | None) -> Snapshot:
    limiter = app.rate_limiter
    with limiter._lock:
        buckets = {
            key: (bucket.rate, bucket.burst, bucket._tokens, bucket._updated)
            for key, bucket in limiter._buckets.items()
        }
        rates = dict(limiter._rates)
    with app.exchanges_lock:
        # A download's body is the document itself: kept in its own object, not again in every exchange.
        exchanges = [
            replace(exchange, response_body=b"") if exchange.kind == "document" else exchange
            for exchange in app.exchanges
        ]
    return Snapshot(
        state=app.state,
        time_offset=app._time_offset,
        exchanges=exchanges,
        lwa_exchanges=dict(app.lwa_exchanges),
        notification_errors=list(app.notification_errors),
        held_notifications=held_notifications,
        report_types={name: (b.outcome, b.document) for name, b in app._report_types.items()},
        refused_report_types=dict(app.refused_report_types),
        report_documents=dict(app._report_documents),
        active_reports=set(app._active_reports),
        rates=rates,
        rate_limits_enabled=limiter.enabled,
        buckets=buckets,
    )


def restore(app: EmulatorApp, snapshot: Snapshot) -> None:
    app.state = snapshot.state
    app._time_offset = snapshot.time_offset
    app.exchanges = list(snapshot.exchanges)
    app.lwa_exchanges.clear()
    app.lwa_exchanges.update(snapshot.lwa_exchanges)
    app.notification_errors = list(snapshot.notification_errors)
    app._report_types = {name: _ReportTypeBehaviour(*value) for name, value in snapshot.report_types.items()}
    app.refused_report_types = dict(snapshot.refused_report_types)
    app._report_documents.update(snapshot.report_documents)
    app._active_reports = set(snapshot.active_reports)
    limiter = app.rate_limiter
    limiter._rates = dict(snapshot.rates) or limiter._rates
    limiter.enabled = snapshot.rate_limits_enabled
    for key, (rate, burst, tokens, updated) in snapshot.buckets.items():
        bucket = TokenBucket(rate, burst, clock=app.monotonic)
        bucket._tokens, bucket._updated = tokens, updated
        limiter._buckets[key] = bucket


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
