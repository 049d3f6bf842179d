"""The deployed API accepts only SigV4-signed requests of a caller allowed execute-api:Invoke."""

from __future__ import annotations

import json

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from sp_reports_harness.acceptance.stack_under_test import unauthorised_user_name
from tests.support.canaries import SELLER_ID
from tests.support.deployed_stack import wait_for

pytestmark = pytest.mark.integration

BODY = json.dumps(
    {"SellerId": SELLER_ID, "RegionCode": "EU", "NotificationType": "REPORT_PROCESSING_FINISHED"}
)
# API Gateway's answer while a new access key is not yet known to it (IAM is eventually consistent).
UNKNOWN_KEY = "The security token included in the request is invalid"


def _signed_headers(url: str, credentials: Credentials, region: str) -> dict[str, str]:
    request = AWSRequest(method="POST", url=url, data=BODY, headers={"Content-Type": "application/json"})
    SigV4Auth(credentials, "execute-api", region).add_auth(request)
    return dict(request.headers)


def test_unsigned_request_is_rejected_with_403(stack):
    url = f"{stack.invoke_url()}/notifications"

    response = requests.post(url, data=BODY, headers={"Content-Type": "application/json"}, timeout=30)

    assert response.status_code == 403
    assert "Missing Authentication Token" in response.text


def test_request_signed_with_a_wrong_secret_is_rejected_with_403(stack):
    url = f"{stack.invoke_url()}/notifications"
    own = stack.credentials()  # a key the account knows, signed with another secret (its token kept)
    headers = _signed_headers(url, Credentials(own.access_key, "not-the-secret-key", own.token), stack.region)

    response = requests.post(url, data=BODY, headers=headers, timeout=30)

    assert response.status_code == 403
    assert "signature" in response.text.lower()


def test_request_signed_by_a_user_without_invoke_permission_is_rejected_with_403(stack):
    iam = stack.boto3_client("iam")
    user = unauthorised_user_name(stack.name_prefix)
    iam.create_user(UserName=user)
    try:
        key = iam.create_access_key(UserName=user)["AccessKey"]
        url = f"{stack.invoke_url()}/notifications"
        credentials = Credentials(key["AccessKeyId"], key["SecretAccessKey"])

        def answer() -> list[requests.Response]:  # a list: a 403 Response itself is falsy
            response = requests.post(
                url, data=BODY, headers=_signed_headers(url, credentials, stack.region), timeout=30
            )
            return [] if UNKNOWN_KEY in response.text else [response]

        answered = wait_for(answer, timeout=60, interval=2)

        assert answered, "the new user's key never became known to API Gateway"
        (response,) = answered
        assert response.status_code == 403
        # Authenticated, then refused: API Gateway names the missing permission.
        assert "is not authorized to perform: execute-api:Invoke" in response.text, response.text
    finally:
        for listed in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]:
            iam.delete_access_key(UserName=user, AccessKeyId=listed["AccessKeyId"])
        iam.delete_user(UserName=user)
