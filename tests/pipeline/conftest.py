"""Fixtures for the application-layer tests: moto as AWS (the root `aws` fixture) with the pipeline's
resources, and the logger and metrics a handler gives a service."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from aws_lambda_powertools import Logger, Metrics

from tests.support import aws_resources
from tests.support.canaries import CLIENT_ID, CLIENT_SECRET


@pytest.fixture
def resources(aws):
    return aws_resources.create_pipeline_resources(CLIENT_ID, CLIENT_SECRET)


@dataclass
class Telemetry:
    """A Powertools Logger and Powertools Metrics, as a handler gives a service
    (sp_reports.pipeline.telemetry); the logger writes to `output`."""

    logger: Logger
    metrics: Metrics
    output: io.StringIO

    def lines(self) -> list[dict]:
        """The JSON log lines written so far."""
        return [json.loads(line) for line in self.output.getvalue().splitlines() if line.startswith("{")]

    def counts(self) -> dict[str, float]:
        """Each metric added so far: the sum of its values."""
        return {name: sum(entry["Value"]) for name, entry in self.metrics.metric_set.items()}


@pytest.fixture
def telemetry() -> Iterator[Telemetry]:
    # A service name of its own per test: a fresh Powertools logger, writing to this test's buffer.
    service = f"service-test-{uuid.uuid4().hex[:8]}"
    output = io.StringIO()
    metrics = Metrics(namespace="SpReportsTest", service=service)
    metrics.clear_metrics()  # Powertools' metric set is shared by its instances
    yield Telemetry(Logger(service=service, stream=output), metrics, output)
    metrics.clear_metrics()
