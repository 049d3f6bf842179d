"""Each S3 request is applied atomically in local AWS, as S3 applies it (S3 User Guide, "Amazon S3 data
consistency model": updates to a single key are atomic, a concurrent GET gets "either the old data or the new
data, but never partial or corrupt data"; LIST is strongly consistent after a write or delete).

The pinned moto's race windows are narrow, so each case widens one: the first request pauses inside moto at
the point where a concurrent request used to break it, while the second request runs. Without local AWS's lock
the first request fails with a 500; with it, the second waits and both succeed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.config import Config

from sp_reports_harness.local_aws.moto_internals import FakeKey, _VersionedKeyStore

PAUSE_SECONDS = 0.5
BUCKET = "atomic-bucket"


def _pause_first_call(
    monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, reached: threading.Event
) -> None:
    """The first call of ``owner.name`` (a method or a property's getter) signals ``reached``, then pauses."""
    original = owner.__dict__[name]
    getter: Callable[..., Any] = original.fget if isinstance(original, property) else original

    def paused(*args: Any, **kwargs: Any) -> Any:
        result = getter(*args, **kwargs)
        if not reached.is_set():
            reached.set()
            time.sleep(PAUSE_SECONDS)
        return result

    replacement = property(paused, original.fset) if isinstance(original, property) else paused
    monkeypatch.setattr(owner, name, replacement)


def _list_versions_while_a_key_is_deleted(s3: Any) -> tuple[Any, Any]:
    return (
        lambda: s3.list_object_versions(Bucket=BUCKET)["Versions"],
        lambda: s3.delete_object(Bucket=BUCKET, Key="gone"),
    )


def _get_while_the_key_is_overwritten(s3: Any) -> tuple[Any, Any]:
    return (
        lambda: s3.get_object(Bucket=BUCKET, Key="state")["Body"].read(),
        lambda: s3.put_object(Bucket=BUCKET, Key="state", Body=b"new"),
    )


# (case, where moto pauses the first request, the two requests)
CASES = [
    # ListObjectVersions looks each copied key name up again after copying the names.
    ("LIST during a DELETE", _VersionedKeyStore, "_self_iterable", _list_versions_while_a_key_is_deleted),
    # GetObject reads the object's bytes; an overwrite closes the replaced object's buffer.
    ("GET during an overwriting PUT", FakeKey, "size", _get_while_the_key_is_overwritten),
]


@pytest.mark.parametrize(("case", "owner", "name", "requests"), CASES, ids=[case[0] for case in CASES])
def test_a_concurrent_request_waits_for_the_one_being_applied(
    local_aws, monkeypatch, case, owner, name, requests
):
    s3 = local_aws.boto3_client("s3", config=Config(retries={"max_attempts": 1, "mode": "standard"}))
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="gone", Body=b"gone")
    s3.put_object(Bucket=BUCKET, Key="state", Body=b"old")
    first, second = requests(s3)
    reached = threading.Event()
    _pause_first_call(monkeypatch, owner, name, reached)

    with ThreadPoolExecutor(max_workers=2) as pool:
        first_result = pool.submit(first)
        assert reached.wait(10), f"{case}: moto never reached {owner.__name__}.{name}"
        second_result = pool.submit(second)
        answer = first_result.result(timeout=30)  # a 500 here without the lock
        second_result.result(timeout=30)

    if case == "GET during an overwriting PUT":
        assert answer == b"old"  # the object as it was when the GET was applied, whole
    else:
        assert {version["Key"] for version in answer} == {"gone", "state"}
