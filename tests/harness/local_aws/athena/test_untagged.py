"""Athena's ListTagsForResource in local AWS: an untagged workgroup has no tags (Athena's answer), a tagged
one its tags, and a workgroup that does not exist is still refused.

The requests are Athena's JSON protocol (X-Amz-Target), as the AWS provider sends them: the installed boto3
speaks another wire protocol to Athena, which the pinned moto does not route.
"""

from __future__ import annotations

import json

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from sp_reports_harness.local_aws import LocalAws
from sp_reports_harness.local_aws.credentials import ROOT_ACCESS_KEY_ID, ROOT_SECRET_ACCESS_KEY


@pytest.fixture(scope="module")
def athena():
    with LocalAws(aws_managed_policies=False) as aws:

        def call(operation: str, body: dict) -> requests.Response:
            request = AWSRequest(
                method="POST",
                url=f"{aws.endpoint_url}/",
                data=json.dumps(body),
                headers={
                    "Content-Type": "application/x-amz-json-1.1",
                    "X-Amz-Target": f"AmazonAthena.{operation}",
                },
            )
            credentials = Credentials(ROOT_ACCESS_KEY_ID, ROOT_SECRET_ACCESS_KEY)
            SigV4Auth(credentials, "athena", "us-east-1").add_auth(request)
            prepared = request.prepare()
            return requests.post(prepared.url, data=prepared.body, headers=dict(prepared.headers), timeout=30)

        yield call


def _arn(name: str) -> str:
    return f"arn:aws:athena:us-east-1:123456789012:workgroup/{name}"


def test_an_untagged_workgroup_lists_no_tags(athena):
    assert athena("CreateWorkGroup", {"Name": "untagged", "Configuration": {}}).status_code == 200

    listed = athena("ListTagsForResource", {"ResourceARN": _arn("untagged")})

    assert (listed.status_code, listed.json()["Tags"]) == (200, [])


def test_a_tagged_workgroup_lists_its_tags(athena):
    tags = [{"Key": "Project", "Value": "sp-reports"}]
    assert athena("CreateWorkGroup", {"Name": "tagged", "Configuration": {}, "Tags": tags}).status_code == 200

    listed = athena("ListTagsForResource", {"ResourceARN": _arn("tagged")})

    assert (listed.status_code, listed.json()["Tags"]) == (200, tags)


def test_a_missing_workgroup_is_refused(athena):
    refused = athena("ListTagsForResource", {"ResourceARN": _arn("missing")})

    assert refused.status_code == 400
    assert "Does Not Exist" in refused.text
