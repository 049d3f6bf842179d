"""Lambda function URLs in local AWS, as Lambda serves them.

Each case below is a documented rule (Lambda Developer Guide, "Control access to Lambda function URLs" and
"Invoking Lambda function URLs"; the rules' wording is quoted in
sp_reports_harness.local_aws.awslambda.function_urls)."""

from __future__ import annotations

import base64
import json

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ACCOUNT = "123456789012"

FUNCTION = """
import base64, json

def echo(event, context):
    if event["rawPath"] == "/boom":
        raise RuntimeError("handler crashed")
    if event["rawPath"] == "/plain":
        return {"plain": True}
    if event["rawPath"] == "/binary":
        return {"statusCode": 200, "headers": {"Content-Type": "application/gzip"},
                "body": base64.b64encode(b"\\x1f\\x8b raw").decode(), "isBase64Encoded": True}
    iam = event["requestContext"].get("authorizer", {}).get("iam", {})
    seen = {"version": event["version"], "method": event["requestContext"]["http"]["method"],
            "path": event["rawPath"], "query": event["rawQueryString"],
            "body": event.get("body"), "base64": event["isBase64Encoded"],
            "caller": iam.get("userArn"), "account": event["requestContext"]["accountId"]}
    return {"statusCode": 201, "headers": {"Content-Type": "application/json", "X-Handler": "echo"},
            "body": json.dumps(seen)}
"""


def _signed(method: str, url: str, credentials: Credentials, body: bytes = b"", service: str = "lambda"):
    request = AWSRequest(method=method, url=url, data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(credentials, service, "us-east-1").add_auth(request)
    return requests.request(method, url, headers=dict(request.headers), data=body, timeout=30)


def _function_with_url(local_aws, create_function, name: str, auth_type: str) -> tuple[str, str]:
    arn = create_function(name, "echo", extra_files={"app.py": FUNCTION})
    url = local_aws.boto3_client("lambda").create_function_url_config(FunctionName=name, AuthType=auth_type)[
        "FunctionUrl"
    ]
    return arn, url


def _role_session(local_aws, name: str, statements: list[dict]) -> Credentials:
    iam = local_aws.boto3_client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role_arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    if statements:
        policy = {"Version": "2012-10-17", "Statement": statements}
        iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    session = local_aws.boto3_client("sts").assume_role(RoleArn=role_arn, RoleSessionName="caller-session")[
        "Credentials"
    ]
    return Credentials(session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"])


def _allow(action: str, resource: str, auth_type: str | None = None) -> dict:
    statement: dict = {"Effect": "Allow", "Action": action, "Resource": resource}
    if auth_type:
        statement["Condition"] = {"StringEquals": {"lambda:FunctionUrlAuthType": auth_type}}
    return statement


@pytest.fixture
def iam_url(local_aws, create_function) -> tuple[str, str]:
    return _function_with_url(local_aws, create_function, "echo", "AWS_IAM")


# (case, the role's identity statements (ARN filled in), expected status) - "Control access to Lambda
# function URLs": AWS_IAM needs lambda:InvokeFunctionUrl, and since October 2025 lambda:InvokeFunction too.
IAM_CASES = [
    ("both actions", [("lambda:InvokeFunctionUrl", "AWS_IAM"), ("lambda:InvokeFunction", None)], 201),
    (
        "both actions, no condition",
        [("lambda:InvokeFunctionUrl", None), ("lambda:InvokeFunction", None)],
        201,
    ),
    ("InvokeFunctionUrl alone", [("lambda:InvokeFunctionUrl", "AWS_IAM")], 403),
    ("InvokeFunction alone", [("lambda:InvokeFunction", None)], 403),
    (
        "URL permission for NONE only",
        [("lambda:InvokeFunctionUrl", "NONE"), ("lambda:InvokeFunction", None)],
        403,
    ),
    ("no permission", [], 403),
]


@pytest.mark.parametrize(("case", "grants", "status"), IAM_CASES, ids=[case[0] for case in IAM_CASES])
def test_an_aws_iam_url_invokes_for_a_role_with_the_documented_permissions_only(
    local_aws, iam_url, case, grants, status
):
    arn, url = iam_url
    credentials = _role_session(
        local_aws, "caller", [_allow(action, arn, auth_type) for action, auth_type in grants]
    )

    response = _signed("POST", f"{url}items?n=1", credentials, b'{"n": 1}')

    assert response.status_code == status, response.text
    if status == 403:
        assert response.json() == {"Message": "Forbidden"}
    else:
        assert response.headers["X-Handler"] == "echo"
        assert response.json() == {
            "version": "2.0",
            "method": "POST",
            "path": "/items",
            "query": "n=1",
            "body": '{"n": 1}',
            "base64": False,
            "caller": f"arn:aws:sts::{ACCOUNT}:assumed-role/caller/caller-session",
            "account": ACCOUNT,
        }


def test_the_functions_resource_policy_can_grant_a_role_of_the_account(local_aws, iam_url):
    url = iam_url[1]
    credentials = _role_session(local_aws, "granted", [])
    client = local_aws.boto3_client("lambda")
    for action, sid in (("lambda:InvokeFunctionUrl", "url"), ("lambda:InvokeFunction", "invoke")):
        extra = {"FunctionUrlAuthType": "AWS_IAM"} if action.endswith("Url") else {}
        client.add_permission(
            FunctionName="echo",
            StatementId=sid,
            Action=action,
            Principal=f"arn:aws:iam::{ACCOUNT}:role/granted",
            **extra,
        )

    assert _signed("GET", f"{url}x", credentials).status_code == 201


@pytest.mark.parametrize(
    ("case", "send"),
    [
        ("unsigned", lambda url, local_aws: requests.get(url, timeout=30)),
        (
            "signed for another service",
            lambda url, local_aws: _signed(
                "GET",
                url,
                Credentials(local_aws.access_key_id, local_aws.secret_access_key),
                service="execute-api",
            ),
        ),
        (
            "wrong secret",
            lambda url, local_aws: _signed(
                "GET", url, Credentials(local_aws.access_key_id, "not-the-secret")
            ),
        ),
        (
            "unknown key",
            lambda url, local_aws: _signed("GET", url, Credentials("AKIAUNKNOWN0000000000", "x")),
        ),
    ],
    ids=["unsigned", "other-service", "wrong-secret", "unknown-key"],
)
def test_an_aws_iam_url_refuses_requests_it_cannot_authenticate(local_aws, iam_url, case, send):
    response = send(f"{iam_url[1]}items", local_aws)

    assert response.status_code == 403 and response.json() == {"Message": "Forbidden"}


def test_the_account_root_signed_request_is_served(local_aws, iam_url):
    response = _signed(
        "GET", f"{iam_url[1]}x", Credentials(local_aws.access_key_id, local_aws.secret_access_key)
    )

    assert response.status_code == 201
    assert response.json()["caller"] == f"arn:aws:iam::{ACCOUNT}:root"


def test_a_none_url_needs_public_access_in_the_resource_policy(local_aws, create_function):
    _, url = _function_with_url(local_aws, create_function, "public", "NONE")
    assert requests.get(f"{url}x", timeout=30).status_code == 403  # "must grant public access"

    local_aws.boto3_client("lambda").add_permission(
        FunctionName="public",
        StatementId="public",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
    )
    response = requests.get(f"{url}x", timeout=30)

    assert response.status_code == 201
    assert response.json()["caller"] is None and response.json()["account"] == "anonymous"


def test_answers_are_read_as_lambda_reads_them(local_aws, iam_url):
    root = Credentials(local_aws.access_key_id, local_aws.secret_access_key)
    url = iam_url[1]

    plain = _signed("GET", f"{url}plain", root)
    binary = _signed("GET", f"{url}binary", root)
    failed = _signed("GET", f"{url}boom", root)

    assert (plain.status_code, plain.headers["Content-Type"], plain.json()) == (
        200,
        "application/json",
        {"plain": True},
    )
    assert (binary.status_code, binary.content) == (200, b"\x1f\x8b raw")
    assert failed.status_code == 502


def test_a_binary_request_body_reaches_the_function_base64_encoded(local_aws, iam_url):
    root = Credentials(local_aws.access_key_id, local_aws.secret_access_key)
    request = AWSRequest(
        method="PUT",
        url=f"{iam_url[1]}doc",
        data=b"\x00\x01",
        headers={"Content-Type": "application/octet-stream"},
    )
    SigV4Auth(root, "lambda", "us-east-1").add_auth(request)

    response = requests.put(request.url, headers=dict(request.headers), data=b"\x00\x01", timeout=30)

    assert response.json()["base64"] is True
    assert base64.b64decode(response.json()["body"]) == b"\x00\x01"


def test_the_url_configuration_names_the_local_address(local_aws, iam_url):
    url = iam_url[1]

    assert url.startswith(f"{local_aws.endpoint_url}/lambda-url/") and url.endswith("/")
    assert local_aws.boto3_client("lambda").get_function_url_config(FunctionName="echo")["FunctionUrl"] == url
