"""One mapping from failures to HTTP answers: honest statuses, SP-API's message, never a secret or a trace."""

from __future__ import annotations

import json

import pytest

from sp_reports.pipeline.api_requests import ApiError, api_error_for, error_response
from sp_reports.pipeline.errors import TokenNotFoundError
from sp_reports.spapi.errors import (
    ConfigurationError,
    LwaClientSecretExpiredError,
    LwaError,
    LwaInvalidClientError,
    LwaInvalidGrantError,
    LwaUnauthorizedClientError,
    LwaUnavailableError,
    ReportRequestRefusedError,
    SpApiClientError,
    SpApiServerError,
    SpApiThrottledError,
    SpApiTimeoutError,
)
from tests.support.canaries import REFRESH_TOKEN, assert_no_secrets


@pytest.mark.parametrize(
    ("failure", "status", "code"),
    [
        (TokenNotFoundError("A3TH9S8BH6GOGM"), 404, "SellerNotFound"),
        (
            SpApiThrottledError(429, "QuotaExceeded", "You exceeded your quota", retry_after=59.2),
            429,
            "Throttled",
        ),
        (SpApiClientError(400, "InvalidInput", "bad reportType"), 400, "SpApiInvalidInput"),
        (
            ReportRequestRefusedError(
                400, "InvalidInput", "not allowed", report_type="GET_X", marketplace_ids=("ATVPDKIKX0DER",)
            ),
            400,
            "ReportRequestRefused",
        ),
        (
            SpApiClientError(401, "Unauthorized", "Access to requested resource is denied."),
            403,
            "SpApiUnauthorized",
        ),
        (SpApiClientError(403, "Unauthorized", "denied"), 403, "SpApiUnauthorized"),
        (
            SpApiClientError(403, "MissingAuthenticationToken", "Access to requested resource is denied."),
            500,
            "SpApiMissingAuthenticationToken",
        ),
        (
            LwaUnauthorizedClientError("Not authorized for requested operation", "unauthorized_client", 400),
            403,
            "ApplicationNotAuthorized",
        ),
        (SpApiClientError(404, "NotFound", "no such report"), 404, "SpApiNotFound"),
        (SpApiClientError(415, "InvalidInput", "media type"), 400, "SpApiInvalidInput"),
        (SpApiServerError(503, "ServiceUnavailable", "try later"), 502, "SpApiUnavailable"),
        (SpApiTimeoutError(None, "Timeout", "read timed out"), 504, "SpApiTimeout"),
        (LwaInvalidGrantError("revoked", "invalid_grant", 400), 403, "SellerAuthorizationRevoked"),
        (LwaInvalidClientError("bad client", "invalid_client", 401), 500, "ApplicationCredentialsRejected"),
        (
            LwaClientSecretExpiredError("SP-API: The LWA secret token you provided has expired.", None, 403),
            500,
            "ApplicationCredentialsExpired",
        ),
        (LwaUnavailableError("down", None, 503), 502, "LwaUnavailable"),
        (LwaError("odd", "invalid_scope", 400), 502, "LwaError"),
        (ConfigurationError("LWA secret lacks client_secret"), 500, "ServiceMisconfigured"),
        (KeyError("something internal"), 500, "InternalError"),
    ],
)
def test_failures_map_to_honest_statuses(failure, status, code):
    error = api_error_for(failure)
    assert (error.status, error.code) == (status, code)
    response = error_response(error, "request-1")
    body = json.loads(response["body"])
    assert response["statusCode"] == status
    assert body["error"]["code"] == code and body["error"]["requestId"] == "request-1"
    assert "Traceback" not in response["body"] and "something internal" not in response["body"]


def test_throttling_answer_carries_retry_after_in_whole_seconds():
    error = api_error_for(SpApiThrottledError(429, "QuotaExceeded", "slow down", retry_after=59.2))
    assert error.headers == {"Retry-After": "60"}
    unknown = api_error_for(SpApiThrottledError(429, "QuotaExceeded", "slow down"))
    assert unknown.headers == {"Retry-After": "60"}
    assert api_error_for(SpApiThrottledError(429, "QuotaExceeded", "x", retry_after=0.2)).headers == {
        "Retry-After": "1"
    }


def test_spapi_message_and_request_id_reach_the_caller():
    failure = SpApiClientError(
        400, "InvalidInput", "Invalid reportType", details="GET_NOPE", request_id="rid-9"
    )
    message = api_error_for(failure).message
    assert (
        message == "SP-API answered 400 InvalidInput: Invalid reportType (GET_NOPE) [x-amzn-RequestId rid-9]"
    )


def test_a_secret_echoed_by_spapi_is_redacted_from_the_answer():
    failure = SpApiClientError(400, "InvalidInput", f"token {REFRESH_TOKEN} is not accepted")
    response = error_response(api_error_for(failure))
    assert_no_secrets(response["body"])
    direct = error_response(ApiError(400, "X", f"echo {REFRESH_TOKEN}"))
    assert_no_secrets(direct["body"])


def test_a_403_without_details_names_the_usual_causes():
    # SP-API's 403s often carry "details": "" (selling-partner-api-models#826, #1433).
    message = api_error_for(
        SpApiClientError(403, "Unauthorized", "Access to requested resource is denied.", "")
    ).message
    assert message.startswith("SP-API answered 403 Unauthorized: Access to requested resource is denied.")
    assert "has not authorised the application for the role" in message
    explained = api_error_for(
        SpApiClientError(
            403, "Unauthorized", "Access to requested resource is denied.", "Destination has subscriptions"
        )
    ).message
    assert "role" not in explained


def test_unauthorized_client_says_the_application_lacks_the_role():
    error = api_error_for(LwaUnauthorizedClientError("LWA refused", "unauthorized_client", 400))
    assert "not authorized for requested operation" in error.message.lower()
    assert "role" in error.message and "retrying will not help" in error.message
