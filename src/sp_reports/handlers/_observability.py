"""Powertools Logger, Tracer and Metrics for every function, with secrets redacted from every log line.

Exception messages of the `spapi` library are already redacted; the formatter below is the second belt: it
runs the serialised line (message, extra keys, traceback) through the same redaction, so a token or presigned
URL that some other library put into an exception never reaches CloudWatch either.

The X-Ray SDK is imported only when tracing is on. Powertools' `Tracer()` imports `aws_xray_sdk.core` even
when it then disables itself (its provider defaults to the SDK's recorder, created at import with two botocore
clients: the largest single cost of a cold start, docs/benchmarks.md "Cold start"). So when tracing is off,
the handlers get `UntracedTracer`, whose decorators return the function unchanged.

When tracing is on, an exception reaches a trace by two roads, and neither passes through the log formatter:
Powertools' `capture_error` puts the exception object itself into the subsegment's metadata, and the X-Ray
SDK records `str(exception)` as the cause's message when the exception leaves a subsegment. `harden_tracing`
closes the first (POWERTOOLS_TRACER_CAPTURE_ERROR=false, the setting Powertools reads at each decoration,
https://docs.powertools.aws.dev/lambda/python/latest/core/tracer/#disabling-exception-auto-capture) and runs
the second through `redact`; Terraform sets the same variable on every function, so a deployment says so too.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

from sp_reports.spapi.errors import redact

_TRUTHY = ("y", "yes", "t", "true", "on", "1")  # Powertools' resolve_truthy_env_var_choice (strtobool)
# Powertools' constants.TRACER_CAPTURE_ERROR_ENV.
CAPTURE_ERROR_VARIABLE = "POWERTOOLS_TRACER_CAPTURE_ERROR"


class RedactingFormatter(LambdaPowertoolsFormatter):
    def serialize(self, log: dict) -> str:
        return redact(super().serialize(log))


def tracing_enabled(environ: Mapping[str, str] | None = None) -> bool:
    """Whether Powertools' Tracer would trace here: the rule of its `_is_tracer_disabled`, read without
    importing it. Off when POWERTOOLS_TRACE_DISABLED is true, outside Lambda (no LAMBDA_TASK_ROOT) and under
    SAM local or Chalice. In Lambda it is on: whether segments are recorded is then the function's tracing
    mode's business (Active: sampled by Lambda; PassThrough: only when the caller's trace header is
    sampled)."""
    environ = os.environ if environ is None else environ
    if environ.get("POWERTOOLS_TRACE_DISABLED", "false").strip().lower() in _TRUTHY:
        return False
    in_lambda = bool(environ.get("LAMBDA_TASK_ROOT"))
    return in_lambda and not environ.get("AWS_SAM_LOCAL") and not environ.get("AWS_CHALICE_CLI_MODE")


class UntracedTracer:
    """The part of Powertools' Tracer the handlers use, doing nothing (tracing is off)."""

    disabled = True

    def capture_lambda_handler(
        self, lambda_handler: Callable | None = None, capture_response: bool | None = None, **_: Any
    ) -> Callable:
        return lambda_handler if lambda_handler is not None else _unchanged

    def capture_method(
        self, method: Callable | None = None, capture_response: bool | None = None, **_: Any
    ) -> Callable:
        return method if method is not None else _unchanged

    def put_annotation(self, key: str, value: Any) -> None:
        return None

    def put_metadata(self, key: str, value: Any, namespace: str | None = None) -> None:
        return None


def _unchanged(function: Callable) -> Callable:
    return function


def harden_tracing(environ: dict[str, str] | None = None) -> None:
    """No exception object in trace metadata, and every exception message a trace records redacted.

    The variable is forced, not defaulted: the metadata would be the exception with its arguments as they
    are, which nothing redacts. The X-Ray SDK's `Throwable` (aws_xray_sdk.core.models.throwable) takes the
    message from `str(exception)` in its constructor; wrapping the constructor is the one place every
    recorded exception passes (a subsegment's `add_exception`, whoever calls it)."""
    environ = os.environ if environ is None else environ
    environ[CAPTURE_ERROR_VARIABLE] = "false"
    from aws_xray_sdk.core.models import throwable

    original = throwable.Throwable.__init__
    if getattr(original, "redacts_messages", False):
        return

    @functools.wraps(original)
    def redacting_init(self: Any, exception: BaseException, stack: Any, remote: bool = False) -> None:
        original(self, exception, stack, remote)
        if isinstance(getattr(self, "message", None), str):
            self.message = redact(self.message)

    redacting_init.redacts_messages = True  # type: ignore[attr-defined]
    throwable.Throwable.__init__ = redacting_init  # type: ignore[method-assign]


def observability() -> tuple[Logger, Tracer | UntracedTracer, Metrics]:
    """The function's logger, tracer and metrics; service name and namespace come from POWERTOOLS_*
    variables. The tracer is Powertools' `Tracer` when tracing is on, `UntracedTracer` otherwise."""
    logger = Logger(logger_formatter=RedactingFormatter())
    # The library logs through standard logging; give its loggers the same structure and redaction.
    copy_config_to_registered_loggers(source_logger=logger, include={"sp_reports"})
    if tracing_enabled():
        harden_tracing()  # before the handler's decorators read POWERTOOLS_TRACER_CAPTURE_ERROR
        return logger, Tracer(), Metrics()  # Tracer() imports the X-Ray SDK (the class alone does not)
    return logger, UntracedTracer(), Metrics()
