"""Errors of the application layer: ours, not SP-API's.

The workflow's Retry and Catch match errors by class name (Lambda's `errorType`), so these names are part of
the contract with `terraform/modules/state_machine/report_workflow.asl.json`: rename neither.
"""

from __future__ import annotations

from spapi.errors import redact


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
