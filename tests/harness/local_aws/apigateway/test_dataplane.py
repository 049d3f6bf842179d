"""API Gateway data plane: AWS_IAM methods verify SigV4 and execute-api:Invoke, then call the Lambda proxy."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ACCOUNT = "123456789012"


@dataclass
class Api:
    api_id: str
    base_url: str


def _create_api(local_aws, function_arn: str, with_permission: bool = True) -> Api:
    apigw = local_aws.boto3_client("apigateway")
    api_id = apigw.create_rest_api(name="reports")["id"]
    root_id = next(r["id"] for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    items = apigw.create_resource(restApiId=api_id, parentId=root_id, pathPart="items")["id"]
    item = apigw.create_resource(restApiId=api_id, parentId=items, pathPart="{itemId}")["id"]
    uri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    for resource_id, method in ((items, "POST"), (item, "GET")):
        apigw.put_method(
            restApiId=api_id, resourceId=resource_id, httpMethod=method, authorizationType="AWS_IAM"
        )
        apigw.put_integration(
            restApiId=api_id,
            resourceId=resource_id,
            httpMethod=method,
            type="AWS_PROXY",
            integrationHttpMethod="POST",
            uri=uri,
        )
    apigw.create_deployment(restApiId=api_id, stageName="test")
    if with_permission:
        local_aws.boto3_client("lambda").add_permission(
            FunctionName=function_arn,
            StatementId="apigw",
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceArn=f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api_id}/*/*",
        )
    return Api(api_id, local_aws.invoke_url(api_id, "test"))


def _signed(method: str, url: str, credentials: Credentials, body: str | None = None) -> requests.Response:
    request = AWSRequest(method=method, url=url, data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(credentials, "execute-api", "us-east-1").add_auth(request)
    return requests.request(method, url, headers=dict(request.headers), data=body, timeout=10)


@pytest.fixture
def api(local_aws, create_function) -> Api:
    return _create_api(local_aws, create_function("api", "api"))


def _root(local_aws) -> Credentials:
    return Credentials(local_aws.access_key_id, local_aws.secret_access_key)


def _user_with_policy(local_aws, name: str, resource: str | None) -> Credentials:
    iam = local_aws.boto3_client("iam")
    iam.create_user(UserName=name)
    if resource is not None:
        policy = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": resource}],
        }
        iam.put_user_policy(UserName=name, PolicyName="invoke", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return Credentials(key["AccessKeyId"], key["SecretAccessKey"])


def test_signed_request_reaches_the_function_with_a_proxy_event(local_aws, api):
    response = _signed("GET", f"{api.base_url}/items/42?verbose=yes", _root(local_aws))

    assert response.status_code == 201
    assert response.headers["X-Handler"] == "api"
    body = response.json()
    assert body["resource"] == "/items/{itemId}"
    assert body["path"] == "/items/42"
    assert body["pathParameters"] == {"itemId": "42"}
    assert body["query"] == {"verbose": "yes"}
    assert body["caller"] == f"arn:aws:iam::{ACCOUNT}:root"


def test_unsigned_request_is_rejected_with_missing_token(api):
    response = requests.get(f"{api.base_url}/items/42", timeout=10)
    assert response.status_code == 403
    assert response.json() == {"message": "Missing Authentication Token"}


def test_wrong_secret_is_rejected_with_signature_mismatch(local_aws, api):
    response = _signed(
        "GET", f"{api.base_url}/items/42", Credentials(local_aws.access_key_id, "wrong-secret")
    )
    assert response.status_code == 403
    assert response.json()["message"].startswith("The request signature we calculated does not match")


def test_tampered_body_after_signing_is_rejected(local_aws, api):
    request = AWSRequest(method="POST", url=f"{api.base_url}/items", data='{"n": 1}')
    SigV4Auth(_root(local_aws), "execute-api", "us-east-1").add_auth(request)
    response = requests.post(
        f"{api.base_url}/items", headers=dict(request.headers), data='{"n": 2}', timeout=10
    )
    assert response.status_code == 403


def test_unknown_access_key_is_rejected_as_invalid_token(api):
    response = _signed("GET", f"{api.base_url}/items/42", Credentials("AKIAUNKNOWNKEY000000", "secret"))
    assert response.status_code == 403
    assert response.json() == {"message": "The security token included in the request is invalid."}


def test_iam_user_needs_execute_api_invoke_on_the_resource(local_aws, api):
    allowed = _user_with_policy(
        local_aws, "caller", f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api.api_id}/test/GET/*"
    )
    denied = _user_with_policy(local_aws, "stranger", None)

    ok = _signed("GET", f"{api.base_url}/items/7", allowed)
    assert ok.status_code == 201
    assert ok.json()["caller"] == f"arn:aws:iam::{ACCOUNT}:user/caller"
    assert _signed("POST", f"{api.base_url}/items", allowed, body="{}").status_code == 403
    refused = _signed("GET", f"{api.base_url}/items/7", denied)
    assert refused.status_code == 403
    assert "is not authorized to perform: execute-api:Invoke" in refused.json()["message"]


def test_assumed_role_session_is_checked_against_the_role_policies(local_aws, api):
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
    role_arn = iam.create_role(RoleName="invoker", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}],
    }
    iam.put_role_policy(RoleName="invoker", PolicyName="invoke", PolicyDocument=json.dumps(policy))
    session = local_aws.boto3_client("sts").assume_role(RoleArn=role_arn, RoleSessionName="demo")[
        "Credentials"
    ]

    credentials = Credentials(session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"])
    response = _signed("POST", f"{api.base_url}/items", credentials, body='{"n": 1}')

    assert response.status_code == 201
    assert response.json()["caller"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/invoker/demo"
    assert response.json()["body"] == '{"n": 1}'


def test_unknown_route_and_stage_answer_like_api_gateway(local_aws, api):
    assert _signed("GET", f"{api.base_url}/nothing-here", _root(local_aws)).json() == {
        "message": "Missing Authentication Token"
    }
    other_stage = local_aws.invoke_url(api.api_id, "prod")
    assert _signed("GET", f"{other_stage}/items/1", _root(local_aws)).status_code == 403


def test_function_error_is_a_502(local_aws, api):
    response = _signed("GET", f"{api.base_url}/items/boom", _root(local_aws))
    assert response.status_code == 502
    assert response.json() == {"message": "Internal server error"}


def test_function_without_apigateway_permission_is_a_500(local_aws, create_function):
    api = _create_api(local_aws, create_function("private", "api"), with_permission=False)
    response = _signed("GET", f"{api.base_url}/items/1", _root(local_aws))
    assert response.status_code == 500
    assert response.json() == {"message": "Internal server error"}


def test_other_requests_still_reach_moto(local_aws, api):
    apis = local_aws.boto3_client("apigateway").get_rest_apis()["items"]
    assert [item["id"] for item in apis] == [api.api_id]


def _deny_all_but(api_id: str, principal_arns: list[str]) -> str:
    """The stack's resource policy (terraform/modules/api): Allow the listed principals, Deny the rest."""
    methods = f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api_id}/*"
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "InvokePrincipalsMayInvoke",
                    "Effect": "Allow",
                    "Principal": {"AWS": principal_arns},
                    "Action": "execute-api:Invoke",
                    "Resource": methods,
                },
                {
                    "Sid": "DenyEveryOtherPrincipal",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "execute-api:Invoke",
                    "Resource": methods,
                    "Condition": {"ArnNotLike": {"aws:PrincipalArn": principal_arns}},
                },
            ],
        }
    )


def test_the_resource_policys_explicit_deny_refuses_a_caller_its_iam_policy_allows(local_aws, api):
    listed = _user_with_policy(local_aws, "listed", "*")
    unlisted = _user_with_policy(local_aws, "unlisted", "*")
    local_aws.boto3_client("apigateway").update_rest_api(
        restApiId=api.api_id,
        patchOperations=[
            {
                "op": "replace",
                "path": "/policy",
                "value": _deny_all_but(api.api_id, [f"arn:aws:iam::{ACCOUNT}:user/listed"]),
            }
        ],
    )

    assert _signed("GET", f"{api.base_url}/items/7", listed).status_code == 201
    refused = _signed("GET", f"{api.base_url}/items/7", unlisted)
    assert refused.status_code == 403
    assert refused.json()["message"].endswith("with an explicit deny")
    # The account root too: a resource policy's Deny applies to it.
    assert _signed("GET", f"{api.base_url}/items/7", _root(local_aws)).status_code == 403


# Methods without authorisation (NONE) on an API with a resource policy: API Gateway admits an unsigned
# request
# only where the policy allows everyone and nothing denies it (API Gateway Developer Guide, "How API Gateway
# resource policies affect authorization workflow",
# https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-authorization-flow.html).
def _public_method(local_aws, api: Api) -> str:
    apigw = local_aws.boto3_client("apigateway")
    root_id = next(r["id"] for r in apigw.get_resources(restApiId=api.api_id)["items"] if r["path"] == "/")
    public = apigw.create_resource(restApiId=api.api_id, parentId=root_id, pathPart="public")["id"]
    apigw.put_method(restApiId=api.api_id, resourceId=public, httpMethod="GET", authorizationType="NONE")
    function_arn = next(
        i["uri"].split("/functions/")[1].removesuffix("/invocations")
        for r in apigw.get_resources(restApiId=api.api_id)["items"]
        if r["path"] == "/items"
        for i in [apigw.get_integration(restApiId=api.api_id, resourceId=r["id"], httpMethod="POST")]
    )
    apigw.put_integration(
        restApiId=api.api_id,
        resourceId=public,
        httpMethod="GET",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations",
    )
    return f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api.api_id}/*/GET/public"


def _statement(effect: str, resource_key: str, resources: object, principal: object = "*") -> dict:
    return {
        "Effect": effect,
        "Principal": principal,
        "Action": "execute-api:Invoke",
        resource_key: resources,
    }


PUBLIC_CASES = [
    # (case, statements given the public method's ARN and the API's, answer, message ends with)
    ("no resource policy: served", None, 201, None),
    (
        "the policy allows everyone on the method, denies others elsewhere: served",
        lambda public, everything: [
            _statement("Allow", "Resource", [public]),
            _statement("Deny", "NotResource", [public]),
        ],
        201,
        None,
    ),
    (
        "the policy allows named principals only: implicitly denied",
        lambda public, everything: [
            _statement("Allow", "Resource", everything, {"AWS": f"arn:aws:iam::{ACCOUNT}:root"})
        ],
        403,
        "on resource: {arn}",
    ),
    (
        "the policy allows everyone and denies everyone: explicitly denied",
        lambda public, everything: [
            _statement("Allow", "Resource", [public]),
            _statement("Deny", "Resource", everything),
        ],
        403,
        "with an explicit deny",
    ),
]


@pytest.mark.parametrize(
    ("case", "statements", "status", "ending"), PUBLIC_CASES, ids=[c[0] for c in PUBLIC_CASES]
)
def test_an_unsigned_request_to_a_public_method_follows_the_resource_policy(
    local_aws, api, case, statements, status, ending
):
    public = _public_method(local_aws, api)
    if statements is not None:
        everything = f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api.api_id}/*"
        policy = {"Version": "2012-10-17", "Statement": statements(public, everything)}
        local_aws.boto3_client("apigateway").update_rest_api(
            restApiId=api.api_id,
            patchOperations=[{"op": "replace", "path": "/policy", "value": json.dumps(policy)}],
        )

    answer = requests.get(f"{api.base_url}/public", timeout=10)

    assert answer.status_code == status, case
    if ending:
        arn = f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api.api_id}/test/GET/public"
        assert answer.json()["message"].startswith("User: anonymous is not authorized")
        assert answer.json()["message"].endswith(ending.format(arn=arn))


def test_a_role_sessions_caller_arn_keys_the_tenant_map_as_the_role_whatever_its_path(local_aws, api):
    # A role with a path: API Gateway gives its sessions as arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION,
    # without the path (IAM User Guide, "IAM identifiers", assumed-role ARNs), and the tenant map keys both
    # the session and the role's own ARN as arn:aws:iam::ACCOUNT:role/NAME (sp_reports.pipeline.tenancy).
    from sp_reports.pipeline.tenancy import principal_key

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
    role_arn = iam.create_role(
        RoleName="tenant-a-invoke", Path="/tenants/", AssumeRolePolicyDocument=json.dumps(trust)
    )["Role"]["Arn"]
    assert role_arn == f"arn:aws:iam::{ACCOUNT}:role/tenants/tenant-a-invoke"
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}],
    }
    iam.put_role_policy(RoleName="tenant-a-invoke", PolicyName="invoke", PolicyDocument=json.dumps(policy))
    session = local_aws.boto3_client("sts").assume_role(RoleArn=role_arn, RoleSessionName="ops-1")[
        "Credentials"
    ]
    credentials = Credentials(session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"])

    caller = _signed("POST", f"{api.base_url}/items", credentials, body="{}").json()["caller"]

    assert caller == f"arn:aws:sts::{ACCOUNT}:assumed-role/tenant-a-invoke/ops-1"
    assert principal_key(caller) == principal_key(role_arn) == f"arn:aws:iam::{ACCOUNT}:role/tenant-a-invoke"
