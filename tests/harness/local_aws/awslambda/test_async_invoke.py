"""An asynchronous invoke (InvocationType=Event) in local AWS, as Lambda serves it: "Lambda places the event
in a queue and returns a success response without additional information" (Lambda Developer Guide,
"Invoking a Lambda function asynchronously"); the function runs afterwards. The pinned moto ran the
function before answering, so a function invoking itself asynchronously (the deployed SP-API emulator)
waited for it."""

from __future__ import annotations

import json
import time


def _logged(local_aws, name: str, marker: str, times: int, wait: float) -> bool:
    logs = local_aws.boto3_client("logs")
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
        except logs.exceptions.ResourceNotFoundException:
            events = []
        if sum(marker in event["message"] for event in events) >= times:
            return True
        time.sleep(0.1)
    return False


def test_an_event_invoke_is_answered_202_before_the_function_has_run(local_aws, create_function):
    create_function("slow", "sleepy", timeout=30)
    client = local_aws.boto3_client("lambda")
    client.invoke(FunctionName="slow", Payload=json.dumps({"seconds": 0}))  # a warm container first

    started = time.monotonic()
    answer = client.invoke(FunctionName="slow", InvocationType="Event", Payload=json.dumps({"seconds": 4}))
    answered_after = time.monotonic() - started

    assert answer["StatusCode"] == 202
    assert answered_after < 3, f"the Event invoke waited {answered_after:.1f}s for the function"
    # ...and the function did run: its second invocation ends (END is logged) after the answer.
    assert not _logged(local_aws, "slow", "END RequestId", times=2, wait=0.5)
    assert _logged(local_aws, "slow", "END RequestId", times=2, wait=20)


def test_a_request_response_invoke_still_waits_for_the_function(local_aws, create_function):
    create_function("slow", "sleepy", timeout=30)
    client = local_aws.boto3_client("lambda")

    answer = client.invoke(FunctionName="slow", Payload=json.dumps({"seconds": 1}))

    assert answer["StatusCode"] == 200 and json.loads(answer["Payload"].read()) == "woke up"
