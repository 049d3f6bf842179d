"""The shared fixtures and helpers in tests/conftest.py and tests/support/canaries.py do what others rely
on."""

from __future__ import annotations

import os

import boto3
import pytest

from tests.support.canaries import CLIENT_SECRET, REFRESH_TOKEN, assert_no_secrets


def test_aws_fixture_gives_moto_with_fake_credentials_in_us_east_1(aws):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="sp-reports-fixture-check")

    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["sp-reports-fixture-check"]
    assert boto3.client("sts").get_caller_identity()["Account"] == "123456789012"  # moto's, not a real one
    assert boto3.session.Session().region_name == "us-east-1"
    assert "AWS_ENDPOINT_URL" not in os.environ


@pytest.mark.parametrize(
    "secret", [CLIENT_SECRET, REFRESH_TOKEN, "Atza|abc", "https://h/d?X-Amz-Signature=1"]
)
def test_assert_no_secrets_catches_canaries_and_markers_without_echoing_them(secret):
    with pytest.raises(AssertionError) as caught:
        assert_no_secrets(f"log line with {secret} inside")

    assert secret not in str(caught.value)


def test_assert_no_secrets_checks_extra_values_and_passes_clean_text():
    assert_no_secrets("reportId 123 DONE", "token-value")

    with pytest.raises(AssertionError):
        assert_no_secrets("leaked token-value here", "token-value")
