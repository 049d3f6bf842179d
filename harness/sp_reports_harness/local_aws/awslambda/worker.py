"""One Lambda "container": a long-lived process that imports a function's handler once and serves invocations.

Started by ``executor`` as ``python -I -S worker.py`` with the function's environment, by the function's
runtime's Python where this machine has it (``local_aws.awslambda.runtime``). Only the standard library is
used here, because ``sys.path`` is built from scratch from ``SP_REPORTS_LOCAL_SYS_PATH``: as in Lambda, the
whole zip first and the runtime's SDK after it; or, on the fallback interpreter, the zip's own code first,
this venv's site-packages next and the whole zip last. ``-S`` keeps the editable install's ``.pth`` (which
would put ``src/`` on the path) out.

Protocol: one JSON object per line, requests on stdin, responses on the original stdout. The worker then
points file descriptor 1 at stderr (the log pipe), so whatever the handler prints or logs (Powertools logs to
stdout) is a log line, never a protocol message. After each invocation an end-of-invocation marker is written
to the log pipe so the parent can attribute log lines to the invocation.
"""

import importlib
import json
import os
import sys
import time
import traceback

LOG_END_MARKER = "\x1esp-reports-local:end-of-invocation"


class LambdaContext:
    """The attributes and method of the Python runtime's context object that Powertools and handlers use."""

    def __init__(self, request: dict) -> None:
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
        self.invoked_function_arn = request["invoked_function_arn"]
        self.aws_request_id = request["request_id"]
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self._deadline_epoch_ms = request["deadline_epoch_ms"]

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int(self._deadline_epoch_ms - time.time() * 1000))


def error_payload(error: BaseException, request_id: str, error_type: str | None = None) -> dict:
    return {
        "errorMessage": str(error),
        "errorType": error_type or type(error).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_tb(error.__traceback__),
    }


def load_handler(handler_setting: str):
    module_name, _, function_name = handler_setting.rpartition(".")
    module = importlib.import_module(module_name.replace("/", "."))
    return getattr(module, function_name)


def serve(protocol_out) -> None:
    handler = None
    init_error = None
    try:
        handler = load_handler(os.environ["_HANDLER"])
    except Exception as error:  # reported on every invocation, as Lambda reports Runtime.ImportModuleError
        init_error = error
        traceback.print_exc()
    protocol_out.write(json.dumps({"ready": True}) + "\n")
    protocol_out.flush()

    for line in sys.stdin:
        request = json.loads(line)
        request_id = request["request_id"]
        print(f"START RequestId: {request_id}", flush=True)
        if init_error is not None:
            response = {
                "error": True,
                "payload": error_payload(init_error, request_id, "Runtime.ImportModuleError"),
            }
        else:
            response = invoke(handler, request)
        print(f"END RequestId: {request_id}", flush=True)
        sys.stdout.flush()
        sys.stderr.flush()
        os.write(1, f"{LOG_END_MARKER} {request_id}\n".encode())
        protocol_out.write(json.dumps(response) + "\n")
        protocol_out.flush()


def invoke(handler, request: dict) -> dict:
    request_id = request["request_id"]
    try:
        result = handler(request["event"], LambdaContext(request))
    except Exception as error:
        traceback.print_exc()
        return {"error": True, "payload": error_payload(error, request_id)}
    try:
        return {"error": False, "payload": json.loads(json.dumps(result))}
    except (TypeError, ValueError) as error:
        return {"error": True, "payload": error_payload(error, request_id, "Runtime.MarshalError")}


def main() -> None:
    protocol_fd = os.dup(1)
    os.dup2(2, 1)
    # The standard library stays; the executor decides what goes before and after it (see the docstring).
    path = json.loads(os.environ.pop("SP_REPORTS_LOCAL_SYS_PATH"))
    sys.path[:0] = path["first"]
    sys.path.extend(path["last"])
    with os.fdopen(protocol_fd, "w", encoding="utf-8") as protocol_out:
        serve(protocol_out)


if __name__ == "__main__":
    main()
