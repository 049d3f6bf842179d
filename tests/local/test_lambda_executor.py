"""Lambdas run their deployed zip's handler in a worker process, with Lambda's error and timeout semantics."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

from local_aws_helpers import HANDLERS, build_zip

from sp_reports_local import LocalAws


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
    assert "/own/spapi/" in result  # first on sys.path, ahead of everything else in the zip
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


def test_bundled_libraries_come_from_this_venv_and_zip_only_libraries_still_import(
    local_aws, create_function
):
    handler = (
        "import requests, ziponly\n\n"
        "def where(event, context):\n"
        "    return {'requests': requests.__file__, 'ziponly': ziponly.__file__}\n"
    )
    bundled = {
        "requests/__init__.py": "raise ImportError('the zip copy built for Python 3.13')\n",
        "requests-2.32.3.dist-info/RECORD": "requests/__init__.py,,\n",
        "ziponly/__init__.py": "",
        "ziponly-1.0.dist-info/RECORD": "ziponly/__init__.py,,\n",
    }
    create_function("libs", "where", extra_files={"app.py": handler, **bundled})

    result, error, _ = _invoke(local_aws, "libs")

    assert error is None, result
    assert "site-packages" in result["requests"]
    assert result["ziponly"].endswith("task/ziponly/__init__.py")
