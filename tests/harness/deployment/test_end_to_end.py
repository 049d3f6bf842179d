"""One function deployed from a zip, reached every way the stack reaches its Lambdas."""

from __future__ import annotations

import json
import time

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ACCOUNT = "123456789012"


def _wait_for(condition, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def _direct_invocations(local_aws) -> None:
    lam = local_aws.boto3_client("lambda")
    ok = lam.invoke(FunctionName="echo", Payload=b'{"direct": true}')
    assert json.loads(ok["Payload"].read())["event"] == {"direct": True}
    failed = lam.invoke(FunctionName="fail", Payload=b"{}")
    assert failed["FunctionError"]
    assert json.loads(failed["Payload"].read())["errorType"] == "ValueError"


def _sqs_partial_batch(local_aws) -> None:
    sqs = local_aws.boto3_client("sqs")
    dlq_url = sqs.create_queue(QueueName="e2e-dlq")["QueueUrl"]
    redrive = json.dumps(
        {"deadLetterTargetArn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:e2e-dlq", "maxReceiveCount": 2}
    )
    queue_url = sqs.create_queue(
        QueueName="e2e", Attributes={"VisibilityTimeout": "1", "RedrivePolicy": redrive}
    )["QueueUrl"]
    for body in ("first", "poison pill", "second"):
        sqs.send_message(QueueUrl=queue_url, MessageBody=body)
    local_aws.boto3_client("lambda").create_event_source_mapping(
        EventSourceArn=f"arn:aws:sqs:us-east-1:{ACCOUNT}:e2e",
        FunctionName="batch",
        BatchSize=10,
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )

    dead = _wait_for(lambda: sqs.receive_message(QueueUrl=dlq_url).get("Messages"))
    assert [message["Body"] for message in dead] == ["poison pill"]
    assert sqs.receive_message(QueueUrl=queue_url).get("Messages") is None


def _state_machine_retry_and_catch(local_aws, flaky_arn: str, fail_arn: str) -> None:
    definition = {
        "StartAt": "Flaky",
        "States": {
            "Flaky": {
                "Type": "Task",
                "Resource": flaky_arn,
                "Retry": [{"ErrorEquals": ["TransientError"], "IntervalSeconds": 1, "MaxAttempts": 2}],
                "ResultPath": "$.flaky",
                "Next": "Failing",
            },
            "Failing": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": fail_arn, "Payload.$": "$"},
                "Catch": [{"ErrorEquals": ["ValueError"], "ResultPath": "$.error", "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        },
    }
    sfn = local_aws.boto3_client("stepfunctions")
    machine = sfn.create_state_machine(
        name="e2e", definition=json.dumps(definition), roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn"
    )
    execution = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input='{"report": "r1"}')

    done = _wait_for(
        lambda: (
            (d := sfn.describe_execution(executionArn=execution["executionArn"]))["status"] != "RUNNING" and d
        ),
        timeout=15,
    )
    assert done["status"] == "SUCCEEDED"
    output = json.loads(done["output"])
    assert output["flaky"]["attempts"] == 2
    assert output["error"]["Error"] == "ValueError"


def _api_gateway(local_aws, function_arn: str) -> None:
    apigw = local_aws.boto3_client("apigateway")
    api_id = apigw.create_rest_api(name="e2e")["id"]
    root_id = apigw.get_resources(restApiId=api_id)["items"][0]["id"]
    resource_id = apigw.create_resource(restApiId=api_id, parentId=root_id, pathPart="reports")["id"]
    apigw.put_method(restApiId=api_id, resourceId=resource_id, httpMethod="POST", authorizationType="AWS_IAM")
    apigw.put_integration(
        restApiId=api_id,
        resourceId=resource_id,
        httpMethod="POST",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations",
    )
    apigw.create_deployment(restApiId=api_id, stageName="v1")
    local_aws.boto3_client("lambda").add_permission(
        FunctionName=function_arn,
        StatementId="apigw",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api_id}/*/POST/reports",
    )
    url = f"{local_aws.invoke_url(api_id, 'v1')}/reports"

    def signed(secret: str) -> requests.Response:
        request = AWSRequest(method="POST", url=url, data='{"a": 1}')
        SigV4Auth(Credentials(local_aws.access_key_id, secret), "execute-api", "us-east-1").add_auth(request)
        return requests.post(url, data='{"a": 1}', headers=dict(request.headers), timeout=10)

    assert signed(local_aws.secret_access_key).status_code == 201
    assert signed("not-the-secret").status_code == 403
    assert requests.post(url, data='{"a": 1}', timeout=10).status_code == 403


def test_one_zip_works_directly_from_sqs_from_step_functions_and_behind_api_gateway(
    local_aws, create_function
):
    create_function("echo", "echo")
    fail_arn = create_function("fail", "fail")
    flaky_arn = create_function("flaky", "flaky")
    create_function("batch", "sqs_batch")
    api_arn = create_function("api", "api")

    _direct_invocations(local_aws)
    _sqs_partial_batch(local_aws)
    _state_machine_retry_and_catch(local_aws, flaky_arn, fail_arn)
    _api_gateway(local_aws, api_arn)
