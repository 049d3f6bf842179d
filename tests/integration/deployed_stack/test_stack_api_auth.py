"""The deployed API accepts only SigV4-signed requests of a caller allowed execute-api:Invoke."""

from __future__ import annotations

import json

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from canaries import SELLER_ID

pytestmark = pytest.mark.integration

BODY = json.dumps(
    {"SellerId": SELLER_ID, "RegionCode": "EU", "NotificationType": "REPORT_PROCESSING_FINISHED"}
)


def _signed_headers(url: str, access_key: str, secret_key: str, region: str) -> dict[str, str]:
    request = AWSRequest(method="POST", url=url, data=BODY, headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(access_key, secret_key), "execute-api", region).add_auth(request)
    return dict(request.headers)


def test_unsigned_request_is_rejected_with_403(deployment):
    url = f"{deployment.invoke_url()}/notifications"

    response = requests.post(url, data=BODY, headers={"Content-Type": "application/json"}, timeout=30)

    assert response.status_code == 403
    assert "Missing Authentication Token" in response.text


def test_request_signed_with_a_wrong_secret_is_rejected_with_403(deployment):
    url = f"{deployment.invoke_url()}/notifications"
    aws = deployment.aws
    headers = _signed_headers(url, aws.access_key_id, "not-the-secret-key", aws.region)

    response = requests.post(url, data=BODY, headers=headers, timeout=30)

    assert response.status_code == 403
    assert "signature" in response.text.lower()


def test_request_signed_by_a_user_without_invoke_permission_is_rejected_with_403(deployment):
    iam = deployment.aws.boto3_client("iam")
    iam.create_user(UserName="no-api-access")
    key = iam.create_access_key(UserName="no-api-access")["AccessKey"]
    url = f"{deployment.invoke_url()}/notifications"
    headers = _signed_headers(url, key["AccessKeyId"], key["SecretAccessKey"], deployment.aws.region)

    response = requests.post(url, data=BODY, headers=headers, timeout=30)

    assert response.status_code == 403
