"""Local AWS serves S3 requests one at a time, so each is applied atomically, as S3 applies it.

S3 User Guide, "Amazon S3 data consistency model": "Updates to a single key are atomic. For example, if you
make a PUT request to an existing key from one thread and perform a GET request on the same key from a second
thread concurrently, you will get either the old data or the new data, but never partial or corrupt data";
reads and LIST requests after a write are strongly consistent. Conditional writes are decided "during the
WRITE operation" ("How to prevent object overwrites with conditional writes").

The pinned moto serves each request on its own thread and guards none of this, and concurrent requests
break it - seen under the SP-API emulator's Lambda, which rewrites its state object while the stack and
Terraform use the same S3:

- ListObjectVersions copies the bucket's key names, then looks each up again: a key deleted meanwhile makes
  it fail with a 500 (``TypeError`` in moto) instead of listing the bucket as it was or as it is.
- PutObject with If-Match reads the ETag of the object it would replace; a PutObject that replaced that
  object in the meantime has closed its buffer: a 500 (``I/O operation on closed file``) instead of 200
  or 412.

One lock held around moto's two S3 request handlers (object requests and bucket requests) makes every S3
request see the store as one earlier request left it. It is re-entrant, so a handler reached again on the
same thread (through another patch's wrapper) cannot wait for itself. No S3 request of ours waits on another
service while holding it (the stack configures no S3 event notifications).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sp_reports_harness.local_aws.moto_internals import PatchSet, S3Response

# One for every bucket: ListBuckets, CopyObject and DeleteObjects span buckets or keys.
_S3_REQUESTS = threading.RLock()


def _one_at_a_time(handler: Callable[..., Any]) -> Callable[..., Any]:
    def serve(self: S3Response, *args: Any, **kwargs: Any) -> Any:
        with _S3_REQUESTS:
            return handler(self, *args, **kwargs)

    return serve


def s3_atomicity_patches() -> PatchSet:
    patches = PatchSet("s3_atomicity")
    patches.wrap(S3Response, "key_response", _one_at_a_time)
    patches.wrap(S3Response, "bucket_response", _one_at_a_time)
    return patches
