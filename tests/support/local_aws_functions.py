"""Lambda code for the local AWS tests: one module with every handler, and a zip builder."""

from __future__ import annotations

import io
import textwrap
import zipfile

# One module with every handler the tests use; each function picks its handler by name.
HANDLERS = textwrap.dedent(
    """
    import json
    import os
    import time

    ATTEMPTS = {"count": 0}


    class TransientError(Exception):
        pass


    def echo(event, context):
        return {
            "event": event,
            "function_name": context.function_name,
            "request_id": context.aws_request_id,
            "remaining_ms": context.get_remaining_time_in_millis(),
            "env": {name: os.environ.get(name) for name in ("GREETING", "AWS_ENDPOINT_URL", "AWS_REGION")},
        }


    def fail(event, context):
        print("about to fail")
        raise ValueError("boom from the handler")


    def sleepy(event, context):
        time.sleep(event.get("seconds", 10))
        return "woke up"


    def flaky(event, context):
        ATTEMPTS["count"] += 1
        if ATTEMPTS["count"] < 2:
            raise TransientError(f"attempt {ATTEMPTS['count']} failed")
        return {"attempts": ATTEMPTS["count"], "input": event}


    def sqs_batch(event, context):
        failures = [
            {"itemIdentifier": record["messageId"]}
            for record in event["Records"]
            if record["body"].startswith("poison")
        ]
        return {"batchItemFailures": failures}


    def api(event, context):
        if event["path"].endswith("/boom"):
            raise RuntimeError("handler crashed")
        body = {
            "resource": event["resource"],
            "path": event["path"],
            "pathParameters": event["pathParameters"],
            "query": event["queryStringParameters"],
            "caller": event["requestContext"]["identity"]["userArn"],
            "body": event["body"],
        }
        return {"statusCode": 201, "headers": {"X-Handler": "api"}, "body": json.dumps(body)}
    """
)


def build_zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()
