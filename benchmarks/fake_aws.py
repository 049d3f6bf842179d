"""moto as AWS for the in-process benchmarks: fake credentials, a fixed region, nothing that reaches AWS."""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

REGION = "us-east-1"


def use_fake_aws_environment() -> None:
    """Point boto3 at moto's in-process mock only (call before `mock_aws()` starts)."""
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        os.environ.pop(name, None)
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
        }
    )


class CallCounter:
    """Counts the API calls a boto3 client makes, by operation name, through botocore's event hooks."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def watch(self, client: Any) -> Any:
        client.meta.events.register("before-call", self._count)
        return client

    def _count(self, model: Any, **_kwargs: Any) -> None:
        self.calls[model.name] += 1
