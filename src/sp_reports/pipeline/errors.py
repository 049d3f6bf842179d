"""Errors of the application layer: ours, not SP-API's.

The workflow's Retry and Catch match errors by class name (Lambda's `errorType`), so these names are part of
the contract with `terraform/modules/state_machine/report_workflow.asl.json`: rename neither.
"""

from __future__ import annotations

from sp_reports.spapi.errors import redact


class ReportStorageError(Exception):
    """S3 failed in a way that may pass (5xx, throttling, a dropped connection) while storing a report.

    The workflow's Retry matches this name; permanent refusals (AccessDenied, a wrong key) stay botocore's
    `ClientError` and go straight to Catch. S3 error messages carry no secrets; `redact` guards anyway.
    """

    def __init__(self, message: str) -> None:
        super().__init__(redact(message))


class TokenNotFoundError(KeyError):
    """No refresh token is stored for this seller."""

    def __init__(self, seller_id: str) -> None:
        self.seller_id = seller_id
        super().__init__(seller_id)

    def __str__(self) -> str:
        return f"no refresh token stored for seller {self.seller_id}"


class ReportDocumentTooLargeError(Exception):
    """A document larger than the storer can store within its timeout (`max_document_bytes`).

    Not retried by the workflow (its name is in no Retry of report_workflow.asl.json): every attempt would
    stream the same bytes into the same timeout. `declared` says whether the size is the download's
    Content-Length (known before anything was stored) or the bytes the store had reached when it stopped.
    """

    def __init__(self, size: int, limit: int, *, declared: bool) -> None:
        self.size = size
        self.limit = limit
        self.declared = declared
        measured = f"of {size} bytes" if declared else f"of more than {limit} bytes (stopped at {size})"
        served = " (its download's Content-Length)" if declared else ""
        super().__init__(
            f"document {measured}{served} exceeds what the storer can store in its time, {limit} bytes "
            "(max_document_bytes); raise max_document_bytes together with the storer's timeout and memory "
            "(lambda_timeouts, lambda_memory_sizes: docs/security.md, Limits), or request the report for a "
            "shorter period or fewer marketplaces"
        )
