"""A version deleted by its id beside a delete marker in a versioning-suspended bucket, as S3 allows.

S3 User Guide, "Deleting object versions from a versioning-suspended bucket": a DELETE that names a version
id removes that version permanently, whatever the bucket's versioning state; and "Working with delete
markers": a delete marker is a version too, removed the same way. This is how a bucket is emptied before it
is deleted: Terraform's `force_destroy` lists every version and delete marker and deletes each by its id,
after its `aws_s3_bucket_versioning` resource was destroyed, which suspends versioning.

The pinned moto fails that DELETE with a 500 (`AttributeError: 'FakeDeleteMarker' object has no attribute
'dispose'`) when the key's newest version is a delete marker: its suspended-versioning path releases the
buffer of the version it replaces, and a delete marker has no buffer nor the method. Every provider retry
fails the same way, so `terraform destroy` of a bucket holding such a key never ends. A delete marker holds
no data: releasing it is nothing to do.
"""

from __future__ import annotations

from sp_reports_harness.local_aws.moto_internals import FakeDeleteMarker, PatchSet


def _nothing_to_release(self: FakeDeleteMarker, garbage: bool = False) -> None:
    """A delete marker has no stored bytes (FakeKey.dispose closes the key's value buffer)."""


def delete_marker_patches() -> PatchSet:
    patches = PatchSet("s3_delete_markers")
    patches.add(FakeDeleteMarker, "dispose", _nothing_to_release)
    return patches
