"""Where a pull plan's windows land in S3: one deterministic key per window and version, and a manifest per
window naming its current version.

A report requested for a plan's window (its record carries PlanId, WindowKey and WindowVersion) is stored
like any other report, at its `report.*` key (sp_reports.pipeline.report_storage); the storer then places
it, server-side, at

    plans/<seller>/<report type>/<plan id>/<lane>/<start YYYY-MM-DD>_<end YYYY-MM-DD>/v<NNN>/report.<ext>

and writes `.../<start>_<end>/manifest.json`:
`{"planId", "window": {"start", "end", "marketplaceIds"}, "currentVersion", "key", "reportId", "storedAt"}`.
The plan id keeps two plans of the same seller, type and lane (other reportOptions) from writing each other's
windows and manifests; everything of a seller stays under `plans/<seller>/`, which the seller's erasure
removes. A consumer reads the manifest and the key it names: a look-back re-pull (version 2, 3, ...)
supersedes the window's earlier version instead of sitting beside it as a duplicate, and a late store of an
older version never takes the manifest back (it is replaced only by a newer version, with S3's conditional
writes).

The copy is S3's own (CopyObject, or UploadPartCopy beyond CopyObject's 5 GiB through s3transfer), encrypted
with the reports' KMS key and tagged with the document's data class like the store's upload, so the window
object is held and expired exactly as the report it copies.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any
from urllib.parse import urlencode

from botocore.exceptions import ClientError
from s3transfer.manager import TransferConfig, TransferManager

from sp_reports.pipeline.pull_windows import PLAN_OBJECTS_PREFIX, Window
from sp_reports.pipeline.report_storage import data_class_tags, document_extension
from sp_reports.spapi.report_ids import is_key_segment

MANIFEST_NAME = "manifest.json"
# CopyObject copies objects of up to 5 GB in one request; larger ones need a multipart copy (S3 API
# Reference, CopyObject: "You create a copy of your object up to 5 GB in size in a single atomic action using
# this API. However, to copy an object greater than 5 GB, you must use the multipart upload Upload Part - Copy
# (UploadPartCopy) API.").
SINGLE_COPY_LIMIT = 5 * 1000**3
MULTIPART_COPY_PART_SIZE = 512 * 1024 * 1024
# A manifest write that loses the race to another writer re-reads and decides again; two writers of the same
# window are at most a re-run and a look-back version, so a few rounds settle it.
MANIFEST_WRITE_ATTEMPTS = 5
# S3's conditional writes (Amazon S3 User Guide, "Add preconditions to S3 operations with conditional
# requests", https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-requests.html): a PutObject
# whose If-Match / If-None-Match fails is refused with 412 PreconditionFailed; a concurrent conditional
# write of the same key can also be refused with 409 ConditionalRequestConflict.
_LOST_RACE_CODES = frozenset({"PreconditionFailed", "ConditionalRequestConflict", "412", "409"})


class ManifestConflictError(Exception):
    """The manifest kept changing under every attempt to write it."""


def _day(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d")


def _folder_instant(moment: datetime) -> str:
    """A window's bound in its folder's name: the day for a calendar window (midnight to midnight), else the
    second (a discover plan's window is its report's period, e.g. a settlement period from 08:24:51; two of
    them may share their days: selling-partner-api-docs#969), without colons."""
    utc = moment.astimezone(UTC)
    if utc.time() == time(0):
        return _day(utc)
    return utc.strftime("%Y-%m-%dT%H%M%SZ")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def window_prefix(
    seller_id: str, report_type: str, plan_id: str, lane: Sequence[str], start: datetime, end: datetime
) -> str:
    """The window's folder: `plans/<seller>/<type>/<plan id>/<lane>/<start>_<end>`. ValueError for a segment
    that cannot be part of a key (sp_reports.spapi.report_ids), so no plan writes outside its own prefix."""
    for name, value in (
        ("seller_id", seller_id),
        ("report_type", report_type),
        ("plan_id", plan_id),
        *(("lane", m) for m in lane),
    ):
        if not is_key_segment(value):
            raise ValueError(f"{name}: {value!r} cannot be a segment of an S3 key")
    if not lane:
        raise ValueError("lane: a window names at least one marketplace")
    folder = f"{'+'.join(lane)}/{_folder_instant(start)}_{_folder_instant(end)}"
    return f"{PLAN_OBJECTS_PREFIX}/{seller_id}/{report_type}/{plan_id}/{folder}"


def window_object_key(
    seller_id: str,
    report_type: str,
    plan_id: str,
    lane: Sequence[str],
    start: datetime,
    end: datetime,
    version: int,
) -> str:
    """Where version `version` of the window's report lands."""
    if version < 1:
        raise ValueError(f"version must be at least 1, got {version}")
    prefix = window_prefix(seller_id, report_type, plan_id, lane, start, end)
    return f"{prefix}/v{version:03d}/report.{document_extension(report_type)}"


def manifest_key(
    seller_id: str, report_type: str, plan_id: str, lane: Sequence[str], start: datetime, end: datetime
) -> str:
    return f"{window_prefix(seller_id, report_type, plan_id, lane, start, end)}/{MANIFEST_NAME}"


@dataclass(frozen=True)
class WindowPlacement:
    """A report of a plan's window, as the storer places it."""

    plan_id: str
    seller_id: str
    report_type: str
    report_id: str
    lane: tuple[str, ...]
    start: datetime
    end: datetime
    version: int

    @classmethod
    def of(
        cls, *, plan_id: str, seller_id: str, report_type: str, report_id: str, window_key: str, version: int
    ) -> WindowPlacement:
        window = Window.from_key(window_key)
        return cls(plan_id, seller_id, report_type, report_id, window.lane, window.start, window.end, version)

    @property
    def key(self) -> str:
        return window_object_key(
            self.seller_id, self.report_type, self.plan_id, self.lane, self.start, self.end, self.version
        )

    @property
    def manifest_key(self) -> str:
        return manifest_key(self.seller_id, self.report_type, self.plan_id, self.lane, self.start, self.end)

    def manifest(self, stored_at: str) -> dict[str, Any]:
        return {
            "planId": self.plan_id,
            "window": {"start": _iso(self.start), "end": _iso(self.end), "marketplaceIds": list(self.lane)},
            "currentVersion": self.version,
            "key": self.key,
            "reportId": self.report_id,
            "storedAt": stored_at,
        }


@dataclass(frozen=True)
class PlacedWindow:
    key: str
    # Whether the manifest now names this version (False: a newer version already holds it).
    current: bool
    current_version: int


def _utc_now() -> datetime:
    return datetime.now(UTC)


class WindowObjects:
    """Places stored reports at their window's key and keeps the window's manifest."""

    def __init__(
        self,
        s3_client: Any,
        *,
        bucket: str,
        kms_key_id: str,
        clock: Callable[[], datetime] = _utc_now,
        single_copy_limit: int = SINGLE_COPY_LIMIT,
    ) -> None:
        self._s3 = s3_client
        self._bucket = bucket
        self._kms_key_id = kms_key_id
        self._clock = clock
        self._single_copy_limit = single_copy_limit

    def place(self, placement: WindowPlacement, source_key: str) -> PlacedWindow:
        """Copy the stored report at `source_key` to the window's key (once: an existing copy is kept) and
        make the manifest name it unless a newer version already does."""
        self._copy(source_key, placement.key, placement.report_type)
        return self._write_manifest(placement)

    def _copy(self, source_key: str, key: str, report_type: str) -> None:
        if self._exists(key):
            return
        extra_args = {
            "ServerSideEncryption": "aws:kms",
            "SSEKMSKeyId": self._kms_key_id,
            # The window object is held and expired by the bucket's lifecycle as its report is (data-class).
            "TaggingDirective": "REPLACE",
            "Tagging": urlencode(data_class_tags(report_type)),
        }
        config = TransferConfig(
            multipart_threshold=self._single_copy_limit, multipart_chunksize=MULTIPART_COPY_PART_SIZE
        )
        with TransferManager(self._s3, config) as transfers:
            transfers.copy(
                {"Bucket": self._bucket, "Key": source_key}, self._bucket, key, extra_args=extra_args
            ).result()

    def _exists(self, key: str) -> bool:
        try:
            self._s3.head_object(Bucket=self._bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def current_manifest(self, manifest_key_: str) -> tuple[Mapping[str, Any] | None, str | None]:
        """The window's manifest and its ETag; (None, None) when it has none yet."""
        try:
            response = self._s3.get_object(Bucket=self._bucket, Key=manifest_key_)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None, None
            raise
        return json.loads(response["Body"].read()), response["ETag"]

    def _write_manifest(self, placement: WindowPlacement) -> PlacedWindow:
        for _ in range(MANIFEST_WRITE_ATTEMPTS):
            manifest, etag = self.current_manifest(placement.manifest_key)
            held = int(manifest["currentVersion"]) if manifest else 0
            if held > placement.version or (
                held == placement.version and manifest and manifest.get("reportId") == placement.report_id
            ):
                return PlacedWindow(placement.key, held == placement.version, held)
            condition = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
            try:
                self._s3.put_object(
                    Bucket=self._bucket,
                    Key=placement.manifest_key,
                    Body=json.dumps(placement.manifest(_iso(self._clock())), indent=2).encode(),
                    ContentType="application/json",
                    ServerSideEncryption="aws:kms",
                    SSEKMSKeyId=self._kms_key_id,
                    Tagging=urlencode(data_class_tags(placement.report_type)),
                    **condition,
                )
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in _LOST_RACE_CODES:
                    continue  # another writer changed it meanwhile: read it again and decide again
                raise
            return PlacedWindow(placement.key, True, placement.version)
        raise ManifestConflictError(
            f"{placement.manifest_key} changed under {MANIFEST_WRITE_ATTEMPTS} writes"
        )
