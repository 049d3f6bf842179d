"""Every request carries a SigV4 signature for execute-api that a verifier recomputing it accepts."""

from __future__ import annotations

import requests

from sp_reports.client import SpReportsClient
from tests.support.fake_sp_reports_api import ACCESS_KEY_ID, REGION, SELLER_ID, SESSION_TOKEN


def test_every_operation_is_signed_with_the_session_credentials(fake_api):
    client = SpReportsClient(fake_api.base_url, REGION)

    client.put_token("A3TH9S8BH6GOGM", "Atzr|signed-test-token")
    client.subscribe_notifications("A3TH9S8BH6GOGM", "EU")
    report_id = client.create_report(
        "A3TH9S8BH6GOGM", "EU", "GET_MERCHANT_LISTINGS_ALL_DATA", ["A1F83G8C2ARO7P"]
    )
    client.get_report(report_id)

    assert [(r.method, r.path) for r in fake_api.requests] == [
        ("POST", "/v1/tokens"),
        ("POST", "/v1/notifications"),
        ("POST", "/v1/reports"),
        ("GET", f"/v1/reports/{report_id}"),
    ]
    for request in fake_api.requests:
        assert request.access_key_id == ACCESS_KEY_ID  # the verifier accepted the signature
        assert request.headers["Authorization"].startswith(f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY_ID}/")
        assert f"/{REGION}/execute-api/aws4_request" in request.headers["Authorization"]
        assert request.headers["X-Amz-Security-Token"] == SESSION_TOKEN
        assert {"host", "x-amz-date", "x-amz-security-token"} <= set(request.signed_headers)


def test_post_bodies_are_covered_by_the_signature(fake_api):
    fake_api.tokens[SELLER_ID] = "Atzr|stored-before"
    SpReportsClient(fake_api.base_url, REGION).subscribe_notifications("A3TH9S8BH6GOGM", "EU")
    request = fake_api.requests[0]
    # Replaying the same headers with a different body must fail verification: the payload hash is signed.
    tampered = requests.post(
        f"{fake_api.base_url}/notifications",
        data=request.body.replace(b'"EU"', b'"NA"'),
        headers={k: v for k, v in request.headers.items() if k.lower() not in ("content-length",)},
        timeout=5,
    )
    assert tampered.status_code == 403
    assert "signature we calculated does not match" in tampered.json()["message"]


def test_unsigned_request_is_rejected_like_api_gateway(fake_api):
    response = requests.get(f"{fake_api.base_url}/reports/1", timeout=5)
    assert response.status_code == 403
    assert response.json() == {"message": "Missing Authentication Token"}


def test_wrong_secret_key_gets_a_signature_error_with_a_hint(fake_api, api_args, run_cli, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret-the-api-knows")
    result = run_cli(*api_args, "reports", "get", "123")
    assert result.exit_code == 1
    assert "HTTP 403 InvalidSignatureException" in result.stderr
    assert "signature we calculated does not match" in result.stderr
    assert "hint: check that --region" in result.stderr


def test_signing_for_another_region_than_the_api_is_rejected(fake_api, run_cli):
    result = run_cli("--api-url", fake_api.base_url, "--region", "us-east-1", "reports", "get", "123")
    assert result.exit_code == 1
    assert "Credential should be scoped to a valid region" in result.stderr


def test_missing_aws_credentials_is_a_configuration_error(fake_api, api_args, run_cli, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    result = run_cli(*api_args, "reports", "get", "123")
    assert result.exit_code == 2
    assert "no AWS credentials found" in result.stderr
    assert fake_api.requests == []
