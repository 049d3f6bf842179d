"""Concurrent S3 conditional writes in local AWS: exactly one writer wins, as on S3 (S3 User Guide, "How to
prevent object overwrites with conditional writes": the condition is checked "during the WRITE operation";
the others fail with 412 Precondition Failed or 409 ConditionalRequestConflict). The pinned moto checks and
then writes without a lock of its own; this holds that its server does not let two writers through (the
deployed SP-API emulator's stored state depends on it: spapi_emulator.state_in_s3)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

WRITERS = 8


def _race(local_aws, condition: dict) -> list[str]:
    s3 = local_aws.boto3_client("s3")

    def write(index: int) -> str:
        try:
            s3.put_object(Bucket="race", Key="state", Body=f"writer {index}".encode(), **condition)
        except ClientError as error:
            return error.response["Error"]["Code"]
        return "written"

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        return list(pool.map(write, range(WRITERS)))


@pytest.mark.parametrize("case", ["If-None-Match *", "If-Match the same ETag"])
def test_of_concurrent_conditional_writes_exactly_one_wins(local_aws, case):
    s3 = local_aws.boto3_client("s3")
    s3.create_bucket(Bucket="race")
    condition: dict = {"IfNoneMatch": "*"}
    if case == "If-Match the same ETag":
        condition = {"IfMatch": s3.put_object(Bucket="race", Key="state", Body=b"first")["ETag"]}

    outcomes = _race(local_aws, condition)

    assert outcomes.count("written") == 1, outcomes
    assert set(outcomes) - {"written"} <= {"PreconditionFailed", "ConditionalRequestConflict"}
    (winner,) = [index for index, outcome in enumerate(outcomes) if outcome == "written"]
    assert s3.get_object(Bucket="race", Key="state")["Body"].read() == f"writer {winner}".encode()
