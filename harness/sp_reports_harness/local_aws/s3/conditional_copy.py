"""CopyObject's conditions on its destination (If-Match, If-None-Match), as S3 checks them.

S3 API Reference, CopyObject, request headers `If-Match` ("Copies the object if the entity tag (ETag) of the
destination object matches the specified tag. If the ETag values do not match, the operation returns a 412
Precondition Failed error") and `If-None-Match` ("Copies the object only if the object key name at the
destination does not already exist [...] Otherwise, Amazon S3 returns a 412 Precondition Failed error";
it takes "*" only). If-Match on a key holding nothing fails as PutObject's does (404 NoSuchKey).

The pinned moto checks these headers on PutObject but not on CopyObject, which it serves in its own handler:
a conditional copy would always overwrite. This checks them first, on the destination the request names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.s3.exceptions import MissingKey, PreconditionFailed

from sp_reports_harness.local_aws.moto_internals import PatchSet, S3Response


def _conditional(copy_object: Callable[..., Any]) -> Callable[..., Any]:
    def copy(self: S3Response, *args: Any, **kwargs: Any) -> Any:
        if_match = self.headers.get("If-Match")
        if_none_match = self.headers.get("If-None-Match")
        if if_match or if_none_match:
            held = self.backend.get_object(self.bucket_name, self.parse_key_name())
            if if_match:
                if held is None:
                    raise MissingKey(key=self.parse_key_name())
                if if_match.replace('"', "") != held.etag.replace('"', ""):
                    raise PreconditionFailed("If-Match")
            if if_none_match == "*" and held is not None:
                raise PreconditionFailed("If-None-Match")
        return copy_object(self, *args, **kwargs)

    return copy


def conditional_copy_patches() -> PatchSet:
    patches = PatchSet("s3_conditional_copy")
    patches.wrap(S3Response, "copy_object", _conditional)
    return patches
