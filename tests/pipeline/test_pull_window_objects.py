"""Window keys and manifests (sp_reports.pipeline.pull_window_objects) against moto's S3: the deterministic
key, the server-side copy encrypted with the reports' key and tagged, the manifest that only a newer version
replaces, a lost race that re-reads, and the multipart copy beyond CopyObject's limit."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
import pytest
from botocore.exceptions import ClientError

from sp_reports.pipeline.pull_window_objects import (
    ManifestConflictError,
    WindowObjects,
    WindowPlacement,
    manifest_key,
    window_object_key,
)
from sp_reports.pipeline.report_storage import MIN_PART_SIZE

SELLER = "A1SELLER00001"
REPORT_TYPE = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"
START = datetime(2026, 12, 1, tzinfo=UTC)
END = datetime(2026, 12, 2, tzinfo=UTC)
WINDOW_KEY = "2026-12-01T00:00:00Z/2026-12-02T00:00:00Z/ATVPDKIKX0DER"
SOURCE_KEY = f"{SELLER}/{REPORT_TYPE}/50001/report.tsv"


def _placement(version: int, report_id: str = "50001", plan_id: str = "pp-" + "a" * 24) -> WindowPlacement:
    return WindowPlacement.of(
        plan_id=plan_id,
        seller_id=SELLER,
        report_type=REPORT_TYPE,
        report_id=report_id,
        window_key=WINDOW_KEY,
        version=version,
    )


@pytest.fixture
def s3(resources):
    client = boto3.client("s3")
    client.put_object(
        Bucket=resources.bucket,
        Key=SOURCE_KEY,
        Body=b"order-id\tsku\n1\tA\n",
        ContentType="text/tab-separated-values; charset=UTF-8",
        Metadata={"report-id": "50001"},
    )
    return client


def _manifest(s3, resources) -> dict:
    return json.loads(s3.get_object(Bucket=resources.bucket, Key=_placement(1).manifest_key)["Body"].read())


def test_the_window_key_names_seller_type_lane_window_and_version():
    assert (
        window_object_key(SELLER, REPORT_TYPE, "pp-1", ("A1PA6795UKMFR9", "A1RKKUPIHCS9HS"), START, END, 2)
        == f"plans/{SELLER}/{REPORT_TYPE}/pp-1/A1PA6795UKMFR9+A1RKKUPIHCS9HS/2026-12-01_2026-12-02/"
        "v002/report.tsv"
    )
    assert (
        manifest_key(SELLER, REPORT_TYPE, "pp-1", ("ATVPDKIKX0DER",), START, END)
        == f"plans/{SELLER}/{REPORT_TYPE}/pp-1/ATVPDKIKX0DER/2026-12-01_2026-12-02/manifest.json"
    )
    placement = _placement(1)
    assert (placement.start, placement.end, placement.lane) == (START, END, ("ATVPDKIKX0DER",))


@pytest.mark.parametrize(
    ("seller", "plan_id", "lane", "version"),
    [
        ("../other", "pp-1", ("ATVPDKIKX0DER",), 1),
        (SELLER, "../pp-2", ("ATVPDKIKX0DER",), 1),
        (SELLER, "pp-1", ("A/B",), 1),
        (SELLER, "pp-1", (), 1),
        (SELLER, "pp-1", ("X",), 0),
    ],
)
def test_a_key_outside_the_plans_prefix_or_a_version_below_one_is_refused(seller, plan_id, lane, version):
    with pytest.raises(ValueError):
        window_object_key(seller, REPORT_TYPE, plan_id, lane, START, END, version)


@pytest.mark.parametrize("window_key", ["2026-12-01/2026-12-02", "2026-12-01/2026-12-02/ATVPDKIKX0DER"])
def test_a_malformed_window_key_is_refused(window_key):
    with pytest.raises(ValueError):
        WindowPlacement.of(
            plan_id="pp-x",
            seller_id=SELLER,
            report_type=REPORT_TYPE,
            report_id="1",
            window_key=window_key,
            version=1,
        )


def test_the_report_is_copied_encrypted_and_tagged_and_the_manifest_names_it(s3, resources):
    objects = WindowObjects(
        s3, bucket=resources.bucket, kms_key_id=resources.reports_key_id, clock=lambda: END
    )
    placed = objects.place(_placement(1), SOURCE_KEY)

    assert placed.current and placed.current_version == 1
    copied = s3.head_object(Bucket=resources.bucket, Key=placed.key)
    assert copied["ServerSideEncryption"] == "aws:kms"
    assert copied["SSEKMSKeyId"] == resources.reports_key_id
    assert copied["ContentType"].startswith("text/tab-separated-values")  # the stored object's own headers
    tags = s3.get_object_tagging(Bucket=resources.bucket, Key=placed.key)["TagSet"]
    assert tags == [{"Key": "data-class", "Value": "standard"}]
    body = s3.get_object(Bucket=resources.bucket, Key=placed.key)["Body"].read()
    assert body == b"order-id\tsku\n1\tA\n"
    assert _manifest(s3, resources) == {
        "planId": "pp-" + "a" * 24,
        "window": {
            "start": "2026-12-01T00:00:00Z",
            "end": "2026-12-02T00:00:00Z",
            "marketplaceIds": ["ATVPDKIKX0DER"],
        },
        "currentVersion": 1,
        "key": placed.key,
        "reportId": "50001",
        "storedAt": "2026-12-02T00:00:00Z",
    }
    manifest_head = s3.head_object(Bucket=resources.bucket, Key=_placement(1).manifest_key)
    assert manifest_head["ServerSideEncryption"] == "aws:kms"


def test_a_newer_version_supersedes_and_an_older_late_one_never_overwrites(s3, resources):
    objects = WindowObjects(s3, bucket=resources.bucket, kms_key_id=resources.reports_key_id)
    objects.place(_placement(1), SOURCE_KEY)
    assert objects.place(_placement(2, "50002"), SOURCE_KEY).current
    assert _manifest(s3, resources)["currentVersion"] == 2
    assert _manifest(s3, resources)["reportId"] == "50002"

    late = objects.place(_placement(1), SOURCE_KEY)  # a re-run of version 1's store, after version 2

    assert (late.current, late.current_version) == (False, 2)
    assert _manifest(s3, resources)["currentVersion"] == 2
    listed = s3.list_objects_v2(Bucket=resources.bucket, Prefix="plans/")["Contents"]
    assert sorted(item["Key"].rsplit("/", 2)[-2] for item in listed) == [
        "2026-12-01_2026-12-02",
        "v001",
        "v002",
    ]


def test_two_plans_of_the_same_seller_type_and_lane_keep_their_own_windows(s3, resources):
    # Same seller, report type and lane, other reportOptions: another plan id.
    objects = WindowObjects(s3, bucket=resources.bucket, kms_key_id=resources.reports_key_id)
    first, other = _placement(1), _placement(1, "50009", plan_id="pp-" + "c" * 24)
    objects.place(first, SOURCE_KEY)
    objects.place(other, SOURCE_KEY)

    assert first.key != other.key and first.manifest_key != other.manifest_key
    assert first.key.startswith(f"plans/{SELLER}/{REPORT_TYPE}/pp-{'a' * 24}/ATVPDKIKX0DER/")
    for placement in (first, other):
        manifest = json.loads(
            s3.get_object(Bucket=resources.bucket, Key=placement.manifest_key)["Body"].read()
        )
        assert (manifest["planId"], manifest["reportId"]) == (placement.plan_id, placement.report_id)


def test_a_rerun_rewrites_nothing(s3, resources):
    objects = WindowObjects(s3, bucket=resources.bucket, kms_key_id=resources.reports_key_id)
    objects.place(_placement(1), SOURCE_KEY)
    first = s3.head_object(Bucket=resources.bucket, Key=_placement(1).manifest_key)["ETag"]
    copied = s3.head_object(Bucket=resources.bucket, Key=_placement(1).key)["ETag"]

    again = objects.place(_placement(1), SOURCE_KEY)

    assert again.current
    assert s3.head_object(Bucket=resources.bucket, Key=_placement(1).manifest_key)["ETag"] == first
    assert s3.head_object(Bucket=resources.bucket, Key=_placement(1).key)["ETag"] == copied


class _RacingS3:
    """S3 where another writer puts version 3's manifest between our read and our conditional write."""

    def __init__(self, s3, bucket: str, rounds: int) -> None:
        self._s3, self._bucket, self._rounds = s3, bucket, rounds
        self.lost = 0

    def __getattr__(self, name):
        return getattr(self._s3, name)

    def put_object(self, **kwargs):
        if kwargs["Key"].endswith("manifest.json") and self._rounds:
            self._rounds -= 1
            manifest = json.loads(kwargs["Body"])
            manifest["currentVersion"] = 3 if self._rounds == 0 else manifest["currentVersion"] + 10
            self._s3.put_object(Bucket=self._bucket, Key=kwargs["Key"], Body=json.dumps(manifest).encode())
        try:
            return self._s3.put_object(**kwargs)
        except ClientError:
            self.lost += 1
            raise


def test_a_write_that_loses_the_race_reads_again_and_yields_to_the_newer_version(s3, resources):
    racing = _RacingS3(s3, resources.bucket, rounds=1)
    objects = WindowObjects(racing, bucket=resources.bucket, kms_key_id=resources.reports_key_id)

    placed = objects.place(_placement(2), SOURCE_KEY)

    assert racing.lost == 1  # S3 refused the conditional write: the manifest had changed
    assert (placed.current, placed.current_version) == (False, 3)
    assert _manifest(s3, resources)["currentVersion"] == 3


def test_a_manifest_that_keeps_changing_is_an_error_not_an_overwrite(s3, resources):
    WindowObjects(s3, bucket=resources.bucket, kms_key_id=resources.reports_key_id).place(
        _placement(1), SOURCE_KEY
    )

    class _AlwaysChanging(_RacingS3):
        def put_object(self, **kwargs):
            if kwargs["Key"].endswith("manifest.json"):
                self.lost += 1  # a new body each time, so a new ETag
                rival = {"currentVersion": 1, "writer": self.lost}
                self._s3.put_object(Bucket=self._bucket, Key=kwargs["Key"], Body=json.dumps(rival).encode())
            return self._s3.put_object(**kwargs)

    changing = WindowObjects(
        _AlwaysChanging(s3, resources.bucket, rounds=0),
        bucket=resources.bucket,
        kms_key_id=resources.reports_key_id,
    )
    with pytest.raises(ManifestConflictError):
        changing.place(_placement(2), SOURCE_KEY)


def test_a_document_beyond_the_single_copy_limit_is_copied_in_parts(s3, resources):
    large = b"x" * (2 * MIN_PART_SIZE + 1)
    s3.put_object(Bucket=resources.bucket, Key=SOURCE_KEY, Body=large)
    objects = WindowObjects(
        s3, bucket=resources.bucket, kms_key_id=resources.reports_key_id, single_copy_limit=MIN_PART_SIZE
    )

    placed = objects.place(_placement(1), SOURCE_KEY)

    copied = s3.head_object(Bucket=resources.bucket, Key=placed.key)
    assert copied["ContentLength"] == len(large)
    assert copied["ServerSideEncryption"] == "aws:kms"
    assert "-" in copied["ETag"]  # a multipart object's ETag ends with -<number of parts>
