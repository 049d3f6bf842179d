"""Lambdas run their deployed zip's handler in a worker process, with Lambda's error and timeout semantics."""

from __future__ import annotations

import base64
import json
import logging
import os
import sys
from pathlib import Path

import pytest

from sp_reports_harness.local_aws import LocalAws
from sp_reports_harness.local_aws.awslambda import runtime as lambda_runtime
from tests.support.local_aws_functions import HANDLERS, build_zip


def _invoke(local_aws: LocalAws, name: str, payload: dict | None = None) -> tuple[dict, str | None, str]:
    response = local_aws.boto3_client("lambda").invoke(
        FunctionName=name, Payload=json.dumps(payload or {}), LogType="Tail"
    )
    logs = base64.b64decode(response.get("LogResult", "")).decode()
    return json.loads(response["Payload"].read()), response.get("FunctionError"), logs


def test_handler_receives_event_context_and_local_aws_environment(local_aws, create_function):
    create_function("echo", "echo", timeout=7, env={"GREETING": "hello"})

    result, error, _ = _invoke(local_aws, "echo", {"n": 1})

    assert error is None
    assert result["event"] == {"n": 1}
    assert result["function_name"] == "echo"
    assert 0 < result["remaining_ms"] <= 7000
    assert result["env"] == {
        "GREETING": "hello",
        "AWS_ENDPOINT_URL": local_aws.endpoint_url,
        "AWS_REGION": "us-east-1",
    }


def test_exception_becomes_lambda_error_payload_with_function_error_and_logs(local_aws, create_function):
    create_function("failing", "fail")

    result, error, logs = _invoke(local_aws, "failing")

    assert error is not None
    assert result["errorType"] == "ValueError"
    assert result["errorMessage"] == "boom from the handler"
    assert "about to fail" in logs


def test_timeout_kills_worker_reports_sandbox_timedout_and_next_invoke_gets_fresh_worker(
    local_aws, create_function
):
    create_function("sleepy", "sleepy", timeout=1)

    result, error, _ = _invoke(local_aws, "sleepy", {"seconds": 5})
    assert error is not None
    assert result["errorType"] == "Sandbox.Timedout"
    assert local_aws.lambda_worker_pids == []

    result, error, _ = _invoke(local_aws, "sleepy", {"seconds": 0})
    assert error is None
    assert result == "woke up"


def test_warm_worker_keeps_module_state_until_code_changes(local_aws, create_function):
    create_function("flaky", "flaky")
    assert _invoke(local_aws, "flaky")[1] is not None  # first attempt raises
    assert _invoke(local_aws, "flaky")[0]["attempts"] == 2  # same warm worker
    old_pids = local_aws.lambda_worker_pids

    changed = HANDLERS.replace('"attempts": ATTEMPTS["count"]', '"attempts": -1')
    local_aws.boto3_client("lambda").update_function_code(
        FunctionName="flaky", ZipFile=build_zip({"app.py": changed})
    )
    assert _invoke(local_aws, "flaky")[1] is not None  # a new worker starts from scratch
    assert _invoke(local_aws, "flaky")[0]["attempts"] == -1
    assert set(local_aws.lambda_worker_pids).isdisjoint(old_pids)


def test_own_packages_come_from_the_zip_not_from_the_source_tree(local_aws, create_function):
    handler = "import spapi\n\ndef where(event, context):\n    return spapi.__file__\n"
    create_function("where", "where", extra_files={"spapi/__init__.py": "", "app.py": handler})

    result, error, _ = _invoke(local_aws, "where")

    assert error is None
    assert "sp-reports-lambda-" in result
    assert result.endswith("/task/spapi/__init__.py")  # the zip, first on sys.path as /var/task is
    assert not result.startswith(os.path.abspath("src"))


def test_stop_terminates_every_worker_process(create_function, local_aws):
    create_function("echo", "echo")
    _invoke(local_aws, "echo")
    pids = local_aws.lambda_worker_pids
    assert pids

    local_aws.stop()

    for pid in pids:
        status = Path(f"/proc/{pid}/status")
        assert not status.exists() or "zombie" in status.read_text().lower()


WHERE = (
    "import sys, boto3, requests, ziponly\n\n"
    "def where(event, context):\n"
    "    return {'python': list(sys.version_info[:2]), 'executable': sys.executable,\n"
    "            'boto3': boto3.__file__, 'requests': requests.__file__, 'ziponly': ziponly.__file__}\n"
)
BUNDLED = {
    "requests/__init__.py": "",
    "requests-2.32.3.dist-info/RECORD": "requests/__init__.py,,\n",
    "ziponly/__init__.py": "",
    "ziponly-1.0.dist-info/RECORD": "ziponly/__init__.py,,\n",
}


@pytest.fixture(scope="module")
def runtime_python() -> str:
    python, tried = lambda_runtime.find_runtime_python("python3.13")
    if python is None:
        pytest.fail(
            f"CPython 3.13 (the functions' runtime) is needed to run them as Lambda does; tried {tried}"
        )
    return str(python.executable)


def test_a_function_runs_on_its_runtimes_python_with_the_zip_first_and_the_runtimes_sdk_after_it(
    local_aws, create_function, runtime_python
):
    create_function("libs", "where", extra_files={"app.py": WHERE, **BUNDLED})

    result, error, _ = _invoke(local_aws, "libs")

    assert error is None, result
    assert result["python"] == [3, 13] and result["executable"] == runtime_python
    # The zip's own copy of a library wins over any other, as in Lambda; boto3 is the runtime's.
    assert result["requests"].endswith("task/requests/__init__.py")
    assert result["ziponly"].endswith("task/ziponly/__init__.py")
    assert str(lambda_runtime.STAND_IN_DIR) in result["boto3"] and "site-packages" not in result["boto3"]


def test_a_zip_built_for_another_architecture_runs_on_this_python_with_this_venvs_libraries(
    local_aws, create_function, caplog
):
    # Its compiled wheels could not load here: the zip's libraries only where this venv lacks them.
    other = next(name for name in lambda_runtime.MACHINES if not lambda_runtime.loads_wheels_of(name))
    bundled = {
        **BUNDLED,
        "requests/__init__.py": "raise ImportError('the zip copy built for another machine')\n",
    }
    create_function("libs", "where", extra_files={"app.py": WHERE, **bundled}, architecture=other)

    with caplog.at_level(logging.WARNING, logger="sp_reports_harness.local_aws.awslambda.executor"):
        result, error, _ = _invoke(local_aws, "libs")

    assert error is None, result
    assert result["python"] == list(sys.version_info[:2]) and result["executable"] == sys.executable
    assert "site-packages" in result["requests"] and "site-packages" in result["boto3"]
    assert result["ziponly"].endswith("task/ziponly/__init__.py")
    assert f"the zip's wheels are built for {other}" in caplog.text


@pytest.mark.parametrize(
    ("runtime", "architecture", "reason"),
    [
        ("python3.99", "x86_64", "no CPython for python3.99 found"),
        ("nodejs22.x", "x86_64", "runtime 'nodejs22.x' is not a Python runtime"),
    ],
)
def test_runtimes_this_machine_cannot_provide_fall_back_with_the_reason(runtime, architecture, reason):
    if not lambda_runtime.loads_wheels_of(architecture):
        architecture = "arm64"
    choice = lambda_runtime.runtime_for(runtime, architecture, ("/venv/site-packages",))

    assert (choice.executable, choice.library_paths) == (sys.executable, ("/venv/site-packages",))
    assert choice.reason is not None and reason in choice.reason


SLOW_INIT = """
import time

time.sleep({seconds})  # module-level work: the Init phase


def remaining(event, context):
    return context.get_remaining_time_in_millis()
"""


# Lambda Developer Guide, "Understanding the Lambda execution environment lifecycle", Init phase: an Init
# beyond its 10 seconds is retried within the first invocation under the function's timeout.
# (init seconds, function timeout, outcome); the 10 seconds are shortened to 0.5 here.
SLOW_INIT_CASES = [
    (1.5, 6, "runs, the init beyond the limit charged to the invocation"),
    (4.0, 1, "fails: the init outlasts the limit and the function's timeout"),
]


@pytest.mark.parametrize(("init_seconds", "timeout", "outcome"), SLOW_INIT_CASES)
def test_an_init_beyond_lambdas_limit_goes_on_within_the_first_invocations_timeout(
    local_aws, create_function, monkeypatch, init_seconds, timeout, outcome
):
    monkeypatch.setattr("sp_reports_harness.local_aws.awslambda.executor.INIT_TIMEOUT_SECONDS", 0.5)
    handlers = {"app.py": SLOW_INIT.format(seconds=init_seconds)}
    create_function("slow-init", "remaining", timeout=timeout, extra_files=handlers)

    result, error, _ = _invoke(local_aws, "slow-init")

    if outcome.startswith("runs"):
        assert error is None, result
        # At least the init's time beyond the limit (1.0 s) is gone from the invocation's 6 seconds.
        assert 0 < result <= (timeout - (init_seconds - 0.5)) * 1000
    else:
        assert error is not None
        assert result["errorType"] == "Runtime.ExitError" and "did not start" in result["errorMessage"]
