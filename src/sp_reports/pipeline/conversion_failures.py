"""A conversion that failed after its retries: the record's `Conversion` says FAILED with the error's name.

ConvertReport's Catch keeps Step Functions' error object (`Error`, `Cause`) under the state's `conversion` and
goes on to NotifyReady: the raw report is stored and is delivered all the same. The notifier records the
failure from there (sp_reports.pipeline.report_outcome_delivery), so a failed conversion is on the record,
in the plan's coverage and counted (ConversionFailed, in the conversion alarm). Only the error's name is
kept, with a fixed text: a Cause is the exception's message and stack, which may carry a URL or a secret.
Lives apart from the converter so the notifier, whose zip has no pyarrow, imports nothing of it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

FAILED = "FAILED"
CONVERSION_FAILED_METRIC = "ConversionFailed"
FAILURE_REASON = "the conversion failed after its retries; the raw report is stored and delivered"
# An exception's class name or a Step Functions error name (States.Timeout, Lambda.Unknown); anything else is
# not recorded as given.
_ERROR_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.]{0,99}")
UNNAMED_ERROR = "UnnamedError"


def conversion_failure(state: Mapping[str, Any]) -> dict[str, Any] | None:
    """The record's `Conversion` for a state whose ConvertReport failed, None when it did not (no
    `conversion`, or a conversion outcome rather than an error)."""
    conversion = state.get("conversion")
    if not isinstance(conversion, Mapping) or "Error" not in conversion or "status" in conversion:
        return None
    error = conversion.get("Error")
    name = error if isinstance(error, str) and _ERROR_NAME.fullmatch(error) else UNNAMED_ERROR
    return {
        "status": FAILED,
        "error": name,
        "reason": FAILURE_REASON,
        "files": [],
        "problems": [],
        "problemCount": 0,
        "unknownColumns": [],
    }
