"""Powertools Logger, Tracer and Metrics for every function, with secrets redacted from every log line.

Exception messages of the `spapi` library are already redacted; the formatter below is the second belt: it
runs the serialised line (message, extra keys, traceback) through the same redaction, so a token or presigned
URL that some other library put into an exception never reaches CloudWatch either.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

from spapi.errors import redact


class RedactingFormatter(LambdaPowertoolsFormatter):
    def serialize(self, log: dict) -> str:
        return redact(super().serialize(log))


def observability() -> tuple[Logger, Tracer, Metrics]:
    """The function's logger, tracer and metrics; service name and namespace come from POWERTOOLS_*
    variables."""
    logger = Logger(logger_formatter=RedactingFormatter())
    # The library logs through standard logging; give its loggers the same structure and redaction.
    copy_config_to_registered_loggers(source_logger=logger, include={"spapi", "reports_pipeline"})
    return logger, Tracer(), Metrics()
