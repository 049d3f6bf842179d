"""Fixtures for the application-layer tests: moto as AWS (the root `aws` fixture) with the pipeline's
resources, and the logger and metrics a handler gives a service. The resource and message helpers are the
handler tests' own, loaded by path."""

from __future__ import annotations

import importlib.util
import io
import json
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest
from aws_lambda_powertools import Logger, Metrics

from canaries import CLIENT_ID, CLIENT_SECRET

_HANDLER_TESTS = Path(__file__).resolve().parents[1] / "handlers"


def _load_helper(name: str) -> ModuleType:
    # Shared with the handler tests; loaded by path (a tests/handlers package would shadow `handlers`).
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, _HANDLER_TESTS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


aws_resources = _load_helper("aws_resources")
_load_helper("notification_messages")
_load_helper("api_events")


@pytest.fixture
def resources(aws):
    return aws_resources.create_pipeline_resources(CLIENT_ID, CLIENT_SECRET)


@dataclass
class Telemetry:
    """A Powertools Logger and Powertools Metrics, as a handler gives a service (reports_pipeline.telemetry);
    the logger writes to `output`."""

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
