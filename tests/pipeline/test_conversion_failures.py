"""What the record keeps of a conversion that failed after the workflow's retries: the error's name and a
fixed text, never the Cause; nothing for a state whose conversion produced an outcome or did not run."""

from __future__ import annotations

import pytest

from sp_reports.pipeline.conversion_failures import FAILURE_REASON, UNNAMED_ERROR, conversion_failure

CAUSE = '{"errorMessage": "https://bucket.s3.amazonaws.com/k?X-Amz-Signature=abc", "stackTrace": []}'


@pytest.mark.parametrize(
    ("error", "recorded"),
    [
        ("ConnectionResetError", "ConnectionResetError"),
        ("States.Timeout", "States.Timeout"),
        ("Lambda.Unknown", "Lambda.Unknown"),
        ("https://example.com/?sig=1", UNNAMED_ERROR),
        ("", UNNAMED_ERROR),
        (None, UNNAMED_ERROR),
        ("E" * 101, UNNAMED_ERROR),
    ],
)
def test_a_caught_conversion_error_is_recorded_by_its_name_alone(error, recorded):
    failure = conversion_failure({"conversion": {"Error": error, "Cause": CAUSE}})

    assert failure == {
        "status": "FAILED",
        "error": recorded,
        "reason": FAILURE_REASON,
        "files": [],
        "problems": [],
        "problemCount": 0,
        "unknownColumns": [],
    }
    assert "Signature" not in str(failure)


@pytest.mark.parametrize(
    "state",
    [
        {},
        {"conversion": None},
        {"conversion": {"status": "CONVERTED", "files": []}},
        {"conversion": {"status": "REJECTED", "Error": "x"}},
    ],
)
def test_no_failure_without_a_caught_error(state):
    assert conversion_failure(state) is None
