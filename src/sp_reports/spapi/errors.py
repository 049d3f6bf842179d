"""Typed errors of the spapi library.

Every message passes through `redact` so that a token or presigned URL that SP-API, LWA or a caller echoed
back can never reach a log line, an execution history or an API answer through `str(error)` or `repr(error)`.
"""

from __future__ import annotations

import re

# Refresh tokens (Atzr|), access tokens (Atza|), restricted data tokens (Atz.|...), LWA client secrets and
# anything that looks like a presigned URL's signature. Over-redaction is harmless; leaking is not.
_SECRET_PATTERNS = (
    re.compile(r"Atz[a-z]\|[^\s\"',;&]*"),
    # Restricted data tokens, "Atz.sprdt|..." (tokens_2021-03-01.json's examples): not matched above.
    re.compile(r"Atz\.[a-z]+\|[^\s\"',;&]*"),
    # The same tokens URL-encoded, as they travel in a form body or a query string ("|" is %7C): an LWA token
    # request's body (grant_type=refresh_token&refresh_token=Atzr%7C...) echoed back in an error, a log line
    # of a request (LWA's token request is application/x-www-form-urlencoded, "Connecting to the Selling
    # Partner API", https://developer-docs.amazon.com/sp-api/docs/connecting-to-the-selling-partner-api).
    re.compile(r"Atz(?:[a-z]|\.[a-z]+)%7C[^\s\"',;&]*", re.I),
    # LWA client secrets: the Developer Console issues them as "amzn1.oa2-cs.v1.<hex>" (the prefix of the
    # credentials that "Rotate your Application's LWA Credentials" hands out,
    # https://developer-docs.amazon.com/sp-api/docs/rotating-your-apps-lwa-credentials). A secret only ever
    # travels in LWA's token request, so the shape alone marks it.
    re.compile(r"amzn1\.oa2-cs\.v1\.[^\s\"',;&]*", re.I),
    re.compile(
        r"https?://[^\s\"']*[?&](?:X-Amz-Signature|X-Amz-Credential|Signature|Expires|sig)=[^\s\"']*", re.I
    ),
    # The same signatures in a bare path+query (e.g. urllib3's debug line "GET /doc?...&sig=... HTTP/1.1").
    re.compile(
        r"(?<=[?&])(?:X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|Signature|sig)=[^&\s\"']*", re.I
    ),
)
REDACTED = "[redacted]"


def redact(text: object) -> str:
    """Return `text` as a string with anything secret-looking replaced by a marker."""
    result = "" if text is None else str(text)
    for pattern in _SECRET_PATTERNS:
        result = pattern.sub(REDACTED, result)
    return result


class SpApiError(Exception):
    """An SP-API call failed. Carries SP-API's own error code, message, details and the request id."""

    def __init__(
        self,
        status: int | None,
        code: str,
        message: str,
        details: str | None = None,
        request_id: str | None = None,
        operation: str | None = None,
    ) -> None:
        self.status = status
        self.code = redact(code)
        self.message = redact(message)
        self.details = redact(details) if details is not None else None
        self.request_id = request_id
        self.operation = operation
        super().__init__(self._describe())

    def _describe(self) -> str:
        parts = [f"{self.operation or 'SP-API'} failed"]
        if self.status is not None:
            parts.append(f"with HTTP {self.status}")
        text = " ".join(parts) + f": {self.code}: {self.message}"
        if self.details:
            text += f" ({self.details})"
        if self.request_id:
            text += f" [x-amzn-RequestId {self.request_id}]"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, message={self.message!r}, "
            f"details={self.details!r}, request_id={self.request_id!r}, operation={self.operation!r})"
        )

    def __reduce__(self):
        # Keep the exception picklable (Lambda/Step Functions error serialisation, multiprocessing).
        return (
            type(self),
            (self.status, self.code, self.message, self.details, self.request_id, self.operation),
        )


class SpApiClientError(SpApiError):
    """SP-API answered 4xx (other than a 429 that outlasted our retries). Retrying will not help."""


class ReportRequestRefusedError(SpApiClientError):
    """createReport answered 400: SP-API will not make this report (a marketplace the seller does not sell in,
    a report type it refuses...). Its own message often names neither - "your report could not be applied to
    any marketplaces" (selling-partner-api-models#1021), "Request for report type 1118 is not allowed"
    (#1265) - so the error also carries the report type and marketplaces that were asked for."""

    def __init__(
        self,
        status: int | None,
        code: str,
        message: str,
        details: str | None = None,
        request_id: str | None = None,
        operation: str | None = None,
        *,
        report_type: str = "",
        marketplace_ids: tuple[str, ...] = (),
    ) -> None:
        self.report_type = report_type
        self.marketplace_ids = tuple(marketplace_ids)
        super().__init__(status, code, message, details, request_id, operation)

    def _describe(self) -> str:
        return (
            f"{super()._describe()} (report type {self.report_type}, marketplace(s) "
            f"{', '.join(self.marketplace_ids)})"
        )

    def __reduce__(self):
        return (
            _rebuild_refused,
            (
                self.status,
                self.code,
                self.message,
                self.details,
                self.request_id,
                self.operation,
                self.report_type,
                self.marketplace_ids,
            ),
        )


def _rebuild_refused(status, code, message, details, request_id, operation, report_type, marketplace_ids):
    return ReportRequestRefusedError(
        status,
        code,
        message,
        details,
        request_id,
        operation,
        report_type=report_type,
        marketplace_ids=marketplace_ids,
    )


class SpApiThrottledError(SpApiError):
    """SP-API kept answering 429 (or our own rate limiter could not grant a request in time)."""

    def __init__(self, *args, retry_after: float | None = None, **kwargs) -> None:
        self.retry_after = retry_after
        super().__init__(*args, **kwargs)

    def __reduce__(self):
        return (
            _rebuild_throttled,
            (
                self.status,
                self.code,
                self.message,
                self.details,
                self.request_id,
                self.operation,
                self.retry_after,
            ),
        )


def _rebuild_throttled(status, code, message, details, request_id, operation, retry_after):
    return SpApiThrottledError(status, code, message, details, request_id, operation, retry_after=retry_after)


class SpApiServerError(SpApiError):
    """SP-API kept answering 5xx after our retries."""


class SpApiTimeoutError(SpApiError):
    """Connection errors or timeouts outlasted our retries (status is None)."""


class SubscriptionElsewhereError(Exception):
    """The seller's subscription to a notification type delivers to another destination.

    SP-API keeps one subscription per notification type and application (createSubscription answers 409
    for a second one), so moving it silences whoever set up the other destination: another stack of the same
    application, for example. Carries ids only.
    """

    def __init__(self, notification_type: str, subscription_id: str, destination_id: str) -> None:
        self.notification_type = notification_type
        self.subscription_id = subscription_id
        self.destination_id = destination_id
        super().__init__(
            f"the {notification_type} subscription {subscription_id} delivers to destination {destination_id}"
        )

    def __reduce__(self):
        return (type(self), (self.notification_type, self.subscription_id, self.destination_id))


class ReportDocumentError(Exception):
    """A report document could not be downloaded completely (truncated gzip, short body, host errors).

    Raised instead of ever yielding silently-short data. Never carries the presigned URL.
    """

    def __init__(self, report_document_id: str, reason: str) -> None:
        self.report_document_id = report_document_id
        self.reason = redact(reason)
        super().__init__(f"report document {report_document_id}: {self.reason}")

    def __reduce__(self):
        return (type(self), (self.report_document_id, self.reason))


class LwaError(Exception):
    """Login with Amazon refused or failed a token exchange. `error` is LWA's error code when it sent one."""

    def __init__(self, message: str, error: str | None = None, status: int | None = None) -> None:
        self.error = error
        self.status = status
        self.message = redact(message)
        super().__init__(self.message)

    def __reduce__(self):
        return (type(self), (self.message, self.error, self.status))

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, error={self.error!r}, status={self.status!r})"
        )


class LwaInvalidGrantError(LwaError):
    """The refresh token is invalid, expired or was revoked by the selling partner (LWA `invalid_grant`)."""


class LwaInvalidClientError(LwaError):
    """The application's LWA credentials were rejected (`invalid_client`)."""


class LwaUnauthorizedClientError(LwaError):
    """LWA authenticated the application but will not give it this grant: 400 `unauthorized_client` "Not
    authorized for requested operation" (jlevers/selling-partner-api#31). The credentials are fine; the
    application lacks the role or permission (e.g. for grantless notifications calls). Re-reading the
    secret or retrying changes nothing."""


class LwaClientSecretExpiredError(LwaInvalidClientError):
    """SP-API refused our access tokens because the client secret they were issued with expired (403 "The LWA
    secret token you provided has expired.", selling-partner-api-models#4489), also after the credentials were
    re-read: the secret in the app credentials must be replaced with the application's current one."""


class LwaUnavailableError(LwaError):
    """LWA could not be reached or answered garbage/5xx after our retries."""


class ConfigurationError(Exception):
    """The deployment is misconfigured (missing secret keys, bad endpoint...). Never holds secret values."""
