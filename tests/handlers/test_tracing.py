"""Tracing: the X-Ray SDK is imported only when Powertools would trace, and no handler puts its answer (some
carry presigned URLs) into a trace."""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path

import pytest

from sp_reports.handlers import FUNCTIONS
from sp_reports.handlers._observability import UntracedTracer, harden_tracing, tracing_enabled

HANDLERS_DIR = Path(__file__).resolve().parents[2] / "src" / "sp_reports" / "handlers"
IN_LAMBDA = {"LAMBDA_TASK_ROOT": "/var/task"}


# Powertools' Tracer._is_tracer_disabled (aws_lambda_powertools/tracing/tracer.py): disabled by
# POWERTOOLS_TRACE_DISABLED (strtobool truthy values), outside Lambda (no LAMBDA_TASK_ROOT), under SAM local
# (AWS_SAM_LOCAL) and Chalice (AWS_CHALICE_CLI_MODE).
@pytest.mark.parametrize(
    ("environ", "enabled"),
    [
        ({}, False),
        (IN_LAMBDA, True),
        ({**IN_LAMBDA, "POWERTOOLS_TRACE_DISABLED": "true"}, False),
        ({**IN_LAMBDA, "POWERTOOLS_TRACE_DISABLED": "1"}, False),
        ({**IN_LAMBDA, "POWERTOOLS_TRACE_DISABLED": "TRUE"}, False),
        ({**IN_LAMBDA, "POWERTOOLS_TRACE_DISABLED": "false"}, True),
        ({**IN_LAMBDA, "AWS_SAM_LOCAL": "true"}, False),
        ({**IN_LAMBDA, "AWS_CHALICE_CLI_MODE": "true"}, False),
        ({"POWERTOOLS_TRACE_DISABLED": "false"}, False),
    ],
)
def test_tracing_is_on_where_powertools_would_trace(environ, enabled):
    assert tracing_enabled(environ) is enabled


def test_the_untraced_tracer_returns_the_functions_unchanged():
    tracer = UntracedTracer()

    def handler(event, context):
        return event

    assert tracer.capture_lambda_handler(capture_response=False)(handler) is handler
    assert tracer.capture_lambda_handler(handler) is handler
    assert tracer.capture_method(handler) is handler
    assert tracer.capture_method(capture_response=False)(handler) is handler


@pytest.mark.parametrize("function", FUNCTIONS)
def test_no_handler_puts_its_answer_into_a_trace(function):
    tree = ast.parse((HANDLERS_DIR / f"{function}.py").read_text())
    decorators = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "capture_lambda_handler"
    ]
    assert decorators, f"{function}: no tracer.capture_lambda_handler"
    for call in decorators:
        options = {keyword.arg: keyword.value for keyword in call.keywords}
        assert isinstance(options.get("capture_response"), ast.Constant)
        assert options["capture_response"].value is False


def test_hardened_tracing_turns_powertools_exception_capture_off_whatever_was_set():
    environ = {"POWERTOOLS_TRACER_CAPTURE_ERROR": "true"}
    harden_tracing(environ)
    assert environ["POWERTOOLS_TRACER_CAPTURE_ERROR"] == "false"


@pytest.mark.parametrize(
    "message",
    [
        "LWA refused Atzr|IwEBICANARY-refresh",
        "body refresh_token=Atzr%7CIwEBICANARY-refresh",
        "client_secret=amzn1.oa2-cs.v1.CANARYdeadbeef",
        "GET https://tortuga-prod-na.s3.amazonaws.com/d?X-Amz-Signature=CANARYsig failed",
        "Max retries exceeded with url: /d?X-Amz-Credential=CANARYcred&X-Amz-Signature=CANARYsig",
    ],
)
def test_exceptions_recorded_in_traces_are_redacted(message):
    from aws_xray_sdk.core.models.subsegment import Subsegment
    from aws_xray_sdk.core.models.throwable import Throwable

    harden_tracing({})
    harden_tracing({})  # twice: the constructor is wrapped once
    assert Throwable(RuntimeError(message), None).to_dict()["message"].count("[redacted]") >= 1
    assert "CANARY" not in Throwable(RuntimeError(message), None).to_dict()["message"]
    # The way the SDK records an exception leaving a subsegment.
    subsegment = Subsegment("s", "local", _Segment())
    subsegment.add_exception(RuntimeError(message), [])
    assert "CANARY" not in json.dumps(subsegment.cause["exceptions"][0].to_dict())


class _Segment:
    id = "1" * 16
    trace_id = "1-5759e988-bd862e3fe1be46a994272793"
    sampled = True

    def increment(self) -> None:
        return None


def test_a_traced_function_is_hardened_before_its_tracer_exists(monkeypatch):
    from sp_reports.handlers import _observability

    seen = {}

    class RecordingTracer:
        def __init__(self) -> None:
            seen["capture_error"] = os.environ.get("POWERTOOLS_TRACER_CAPTURE_ERROR")

    monkeypatch.setattr(_observability, "Tracer", RecordingTracer)
    monkeypatch.setenv("LAMBDA_TASK_ROOT", "/var/task")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "false")
    monkeypatch.setenv("POWERTOOLS_TRACER_CAPTURE_ERROR", "true")  # an operator's setting is overridden
    _logger, tracer, _metrics = _observability.observability()
    assert isinstance(tracer, RecordingTracer) and seen == {"capture_error": "false"}
