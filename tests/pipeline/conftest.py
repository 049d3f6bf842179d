"""Fixtures for the application-layer tests: moto as AWS (the root `aws` fixture) with the pipeline's
resources. The resource and message helpers are the handler tests' own, loaded by path."""

from __future__ import annotations

import pytest

from tests.support import aws_resources
from tests.support.canaries import CLIENT_ID, CLIENT_SECRET


@pytest.fixture
def resources(aws):
    return aws_resources.create_pipeline_resources(CLIENT_ID, CLIENT_SECRET)
