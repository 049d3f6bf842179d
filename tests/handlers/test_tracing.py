"""Tracing: the X-Ray SDK is imported only when Powertools would trace, and no handler puts its answer (some
carry presigned URLs) into a trace."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from handlers import FUNCTIONS
from handlers._observability import UntracedTracer, tracing_enabled

HANDLERS_DIR = Path(__file__).resolve().parents[2] / "src" / "handlers"
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
