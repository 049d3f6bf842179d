"""Our HTTP API's requests and answers: body parsing, field validation, and the one place errors become
statuses.

Bodies use the field names of the original seed (`SellerId`, `RegionCode`, `MarketplaceIds`, ...) and also
accept the natural JSON forms (a list of marketplace ids, an object of report options). Every validation
error names the field it is about. Every error answer is `{"error": {"code", "message"}}`; none carries a
stack trace or a secret.
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sp_reports.pipeline.errors import TokenNotFoundError
from sp_reports.pipeline.report_specifications import ReportSpecification
from sp_reports.pipeline.token_store import validate_refresh_token, validate_seller_id
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
    SubscriptionElsewhereError,
    redact,
)
from sp_reports.spapi.notifications import APPLICATION_OAUTH_CHANGED, REPORT_PROCESSING_FINISHED
from sp_reports.spapi.regions import get_region, validate_marketplaces
from sp_reports.spapi.report_ids import REPORT_ID_MAX_LENGTH, REPORT_ID_PATTERN

# APPLICATION_OAUTH_CHANGED: a seller deauthorising the application has its token erased
# (sp_reports.pipeline.authorization_changes).
SUPPORTED_NOTIFICATION_TYPES = frozenset({REPORT_PROCESSING_FINISHED, APPLICATION_OAUTH_CHANGED})
# SP-API report types are upper-case words joined by underscores (GET_MERCHANT_LISTINGS_ALL_DATA).
REPORT_TYPE_PATTERN = re.compile(r"^[A-Z][A-Z0-9_]{2,99}\Z")
DEFAULT_THROTTLED_RETRY_AFTER_SECONDS = 60  # createReport refills one request a minute
MAX_BODY_BYTES = 64 * 1024
MAX_REPORT_OPTIONS = 20
MAX_REPORT_OPTION_VALUE = 256
REPORT_OPTION_KEY_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}\Z")
REPORT_OPTION_VALUE_PATTERN = re.compile(rf"^[A-Za-z0-9 _.,:+\-/@]{{1,{MAX_REPORT_OPTION_VALUE}}}\Z")


class ApiError(Exception):
    """An answer other than success, with the HTTP status, a stable code and a message for the caller."""

    def __init__(
        self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


class ValidationError(ApiError):
    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(400, "ValidationError", f"{field_name}: {message}")
        self.field_name = field_name


# -- request models ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenRequest:
    seller_id: str
    refresh_token: str = field(repr=False)


@dataclass(frozen=True)
class SubscriptionRequest:
    seller_id: str
    region_code: str
    notification_type: str
    # Move the seller's subscription here when it delivers to another destination (SP-API keeps one).
    replace_existing: bool = False


@dataclass(frozen=True)
class ReportRequest:
    # The report as asked for; report_plans may split its window or its marketplaces into several.
    specification: ReportSpecification
    # A range beyond the report type's maximum: split into windows (True) or refused (report_plans).
    split_range: bool = True


# -- parsing ----------------------------------------------------------------------------------------------


def parse_json_body(event: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON object in an API Gateway proxy event's body."""
    body = event.get("body")
    if body is None or body == "":
        raise ValidationError("body", "a JSON object is required")
    if event.get("isBase64Encoded"):
        try:
            body = base64.b64decode(body).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            raise ValidationError("body", "not valid base64-encoded UTF-8") from None
    if len(body.encode("utf-8")) > MAX_BODY_BYTES:
        raise ValidationError("body", f"larger than {MAX_BODY_BYTES} bytes")
    try:
        parsed = json.loads(body)
    except json.JSONDecodeError as exc:
        # The position, not the text: the body may hold a refresh token.
        raise ValidationError("body", f"not valid JSON (line {exc.lineno}, column {exc.colno})") from None
    if not isinstance(parsed, dict):
        raise ValidationError("body", "must be a JSON object")
    return parsed


def _required_string(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValidationError(name, "is required")
    if not isinstance(value, str):
        raise ValidationError(name, f"must be a string, not {_json_type(value)}")
    return value.strip()


def _optional_string(body: Mapping[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise ValidationError(name, f"must be a string, not {_json_type(value)}")
    return value.strip()


def _json_type(value: Any) -> str:
    return {dict: "an object", list: "a list", bool: "a boolean", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__
    )


def _seller_id(body: Mapping[str, Any]) -> str:
    value = _required_string(body, "SellerId")
    try:
        return validate_seller_id(value)
    except ValueError:
        raise ValidationError(
            "SellerId", "expected 8-20 upper-case letters or digits, e.g. A3TH9S8BH6GOGM"
        ) from None


def _region_code(body: Mapping[str, Any]) -> str:
    value = _required_string(body, "RegionCode")
    try:
        return get_region(value).code
    except ValueError:
        raise ValidationError("RegionCode", "must be one of NA, EU, FE") from None


def parse_token_request(body: Mapping[str, Any]) -> TokenRequest:
    seller_id = _seller_id(body)
    refresh_token = body.get("RefreshToken")
    if refresh_token is None or refresh_token == "":
        raise ValidationError("RefreshToken", "is required")
    try:
        validate_refresh_token(refresh_token)
    except ValueError as exc:
        # The library's message never contains the token; keep only its explanation.
        reason = str(exc).split(":", 1)[-1].strip()
        raise ValidationError("RefreshToken", reason) from None
    return TokenRequest(seller_id=seller_id, refresh_token=refresh_token)


def parse_subscription_request(body: Mapping[str, Any]) -> SubscriptionRequest:
    seller_id = _seller_id(body)
    region_code = _region_code(body)
    notification_type = _optional_string(body, "NotificationType") or REPORT_PROCESSING_FINISHED
    if notification_type not in SUPPORTED_NOTIFICATION_TYPES:
        raise ValidationError(
            "NotificationType", f"must be one of {', '.join(sorted(SUPPORTED_NOTIFICATION_TYPES))}"
        )
    return SubscriptionRequest(
        seller_id=seller_id,
        region_code=region_code,
        notification_type=notification_type,
        replace_existing=_optional_boolean(body, "ReplaceExistingSubscription", default=False),
    )


def parse_report_request(body: Mapping[str, Any]) -> ReportRequest:
    seller_id = _seller_id(body)
    region_code = _region_code(body)
    report_type = _required_string(body, "ReportType")
    if not REPORT_TYPE_PATTERN.match(report_type):
        raise ValidationError(
            "ReportType", "expected an SP-API report type such as GET_MERCHANT_LISTINGS_ALL_DATA"
        )
    marketplace_ids = _marketplace_ids(body, region_code)
    start = _timestamp(body, "ReportDataStartTime")
    end = _timestamp(body, "ReportDataEndTime")
    if start is not None and end is not None and start > end:
        raise ValidationError("ReportDataEndTime", "must not be before ReportDataStartTime")
    specification = ReportSpecification(
        seller_id=seller_id,
        region_code=region_code,
        report_type=report_type,
        marketplace_ids=marketplace_ids,
        data_start_time=_iso(start),
        data_end_time=_iso(end),
        report_options=_report_options(body),
    )
    return ReportRequest(
        specification,
        split_range=_optional_boolean(body, "SplitRange", default=True),
    )


def _optional_boolean(body: Mapping[str, Any], name: str, *, default: bool) -> bool:
    value = body.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValidationError(name, "must be true or false")


def _marketplace_ids(body: Mapping[str, Any], region_code: str) -> list[str]:
    value = body.get("MarketplaceIds")
    if isinstance(value, str):
        ids = [part.strip() for part in value.split(",") if part.strip()]
    elif isinstance(value, list):
        if not all(isinstance(item, str) for item in value):
            raise ValidationError("MarketplaceIds", "every marketplace id must be a string")
        ids = [item.strip() for item in value if item.strip()]
    elif value is None:
        ids = []
    else:
        raise ValidationError("MarketplaceIds", "must be a list or a comma-separated string")
    if not ids:
        raise ValidationError("MarketplaceIds", "at least one marketplace id is required")
    try:
        return validate_marketplaces(region_code, ids)
    except ValueError as exc:
        # The library names the field in SP-API's spelling; ours is MarketplaceIds.
        reason = str(exc).split(":", 1)[-1].strip()
        raise ValidationError("MarketplaceIds", reason) from None


def _timestamp(body: Mapping[str, Any], name: str) -> datetime | None:
    value = _optional_string(body, name)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(name, "expected an ISO-8601 date-time such as 2024-05-01T00:00:00Z") from None
    # SP-API reads a time without an offset as UTC; say so by converting explicitly.
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else iso_timestamp(value)


def iso_timestamp(value: datetime) -> str:
    """A UTC date-time as our answers and SP-API requests spell it (milliseconds only when there are any)."""
    value = value.astimezone(UTC)
    text = value.isoformat(timespec="milliseconds" if value.microsecond else "seconds")
    return text.replace("+00:00", "Z")


def _report_options(body: Mapping[str, Any]) -> dict[str, str]:
    return parse_report_options(body.get("ReportOptions"), "ReportOptions")


def parse_report_options(value: Any, field_name: str) -> dict[str, str]:
    """SP-API reportOptions from a request body's field `field_name` (an object of strings, or a string
    holding one); every error names `field_name`."""
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise ValidationError(field_name, "must be a JSON object or a string holding one") from None
    if not isinstance(value, dict):
        raise ValidationError(field_name, "must be a JSON object or a string holding one")
    if len(value) > MAX_REPORT_OPTIONS:
        raise ValidationError(field_name, f"at most {MAX_REPORT_OPTIONS} options")
    options: dict[str, str] = {}
    for key, option in value.items():
        # Checked before it is echoed below: a key is only ever quoted once it is known to be a plain name.
        if not REPORT_OPTION_KEY_PATTERN.match(key):
            raise ValidationError(field_name, "option names are letters, digits and '_' (at most 64)")
        if isinstance(option, bool) or not isinstance(option, str | int | float):
            raise ValidationError(field_name, f"the value of {key!r} must be a string")
        # SP-API's reportOptions is a map of strings; a number is what the user meant as its text.
        text = option if isinstance(option, str) else json.dumps(option)
        # SP-API's documented option values are enumerations, numbers, booleans and dates: anything else
        # (quotes, braces, control characters) is refused here instead of costing a createReport call.
        if not REPORT_OPTION_VALUE_PATTERN.match(text):
            raise ValidationError(
                "ReportOptions",
                f"the value of {key!r} must be 1-{MAX_REPORT_OPTION_VALUE} letters, digits, spaces "
                "or _.,:+-/@",
            )
        options[key] = text
    return options


def token_stored_answer(seller_id: str) -> tuple[int, dict[str, Any]]:
    """The answer to POST /tokens, the same whether the seller had a token before or not: a caller allowed to
    store tokens must not learn from the status or the body which sellers the deployment already serves."""
    return 200, {"sellerId": seller_id}


def parse_report_id(event: Mapping[str, Any]) -> str:
    report_id = (event.get("pathParameters") or {}).get("reportId")
    if not report_id:
        raise ValidationError("reportId", "is required in the path")
    if not REPORT_ID_PATTERN.match(report_id):
        raise ValidationError(
            "reportId",
            f"expected letters, digits, '.', '_' or '-' (at most {REPORT_ID_MAX_LENGTH}), not dots only",
        )
    return report_id


def parse_seller_id_path(event: Mapping[str, Any]) -> str:
    """The {sellerId} of DELETE /sellers/{sellerId}."""
    seller_id = (event.get("pathParameters") or {}).get("sellerId")
    if not seller_id:
        raise ValidationError("sellerId", "is required in the path")
    try:
        return validate_seller_id(seller_id)
    except ValueError:
        raise ValidationError(
            "sellerId", "expected 8-20 upper-case letters or digits, e.g. A3TH9S8BH6GOGM"
        ) from None


# -- answers ----------------------------------------------------------------------------------------------


def json_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    """An API Gateway proxy answer."""
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", **(headers or {})},
        "body": json.dumps(body, separators=(",", ":")),
    }


def api_error_for(exc: BaseException) -> ApiError:
    """The one mapping from a failure to what the caller is told. Unknown failures become a bare 500."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, TokenNotFoundError):
        return ApiError(
            404,
            "SellerNotFound",
            f"no refresh token is stored for seller {exc.seller_id}; POST /tokens first",
        )
    if isinstance(exc, SpApiThrottledError):
        retry_after = exc.retry_after if exc.retry_after else DEFAULT_THROTTLED_RETRY_AFTER_SECONDS
        return ApiError(
            429,
            "Throttled",
            f"SP-API throttled the request ({exc.code}); retry after {math.ceil(retry_after)} seconds",
            headers={"Retry-After": str(max(1, math.ceil(retry_after)))},
        )
    if isinstance(exc, ReportRequestRefusedError):
        # SP-API's reason often names neither the marketplace nor the report type (models#1021, #1265): we do.
        return ApiError(
            400,
            "ReportRequestRefused",
            redact(
                f"SP-API refused report type {exc.report_type} for marketplace(s) "
                f"{', '.join(exc.marketplace_ids)}: {_spapi_message(exc)}"
            ),
        )
    if isinstance(exc, SubscriptionElsewhereError):
        return ApiError(
            409,
            "SubscriptionElsewhere",
            f"the seller's {exc.notification_type} subscription {exc.subscription_id} delivers to SP-API "
            f"destination {exc.destination_id}, not this stack's queue; SP-API keeps one subscription per "
            "notification type and application, so moving it here stops that destination's notifications: "
            "repeat with ReplaceExistingSubscription true to move it",
        )
    if isinstance(exc, SpApiClientError) and exc.code == "MissingAuthenticationToken":
        # SP-API got no x-amz-access-token (selling-partner-api-docs#51): our fault, not the caller's.
        return ApiError(500, "SpApiMissingAuthenticationToken", _spapi_message(exc))
    if isinstance(exc, SpApiClientError):
        status = {401: 403, 403: 403, 404: 404, 409: 409}.get(exc.status or 400, 400)
        message = _spapi_message(exc)
        if exc.status == 403 and not exc.details:
            # SP-API's 403s often say no more (selling-partner-api-models#826, #1433): name the usual causes.
            message += (
                "; SP-API gave no reason: usually the seller has not authorised the application for the role "
                "this operation needs, or the application's registration lacks that role"
            )
        return ApiError(status, f"SpApi{exc.code}", message)
    if isinstance(exc, SpApiServerError):
        return ApiError(502, "SpApiUnavailable", _spapi_message(exc))
    if isinstance(exc, SpApiTimeoutError):
        return ApiError(504, "SpApiTimeout", "SP-API did not answer in time; try again later")
    if isinstance(exc, LwaInvalidGrantError):
        return ApiError(
            403,
            "SellerAuthorizationRevoked",
            "Login with Amazon refused the seller's stored refresh token (revoked or expired); "
            "the seller must authorise the application again and POST /tokens",
        )
    if isinstance(exc, LwaClientSecretExpiredError):
        return ApiError(
            500,
            "ApplicationCredentialsExpired",
            "SP-API says the application's LWA client secret has expired; the operator must store the "
            "application's current client secret in the app credentials secret",
        )
    if isinstance(exc, LwaInvalidClientError):
        return ApiError(
            500,
            "ApplicationCredentialsRejected",
            "Login with Amazon rejected the application's client id and secret; the operator must store the "
            "application's current LWA credentials in the app credentials secret",
        )
    if isinstance(exc, LwaUnauthorizedClientError):
        # 403, not 500 or 502: nothing is broken and retrying cannot help (our own client retries 5xx); the
        # application is refused this operation until its registration gives it the role, as a seller's
        # withdrawn authorisation is (403 SellerAuthorizationRevoked).
        return ApiError(
            403,
            "ApplicationNotAuthorized",
            "Login with Amazon refused the SP-API application this operation (unauthorized_client: Not "
            "authorized for requested operation); the application needs the role this call requires "
            "(e.g. Notifications for subscriptions) in its registration; retrying will not help",
        )
    if isinstance(exc, LwaUnavailableError):
        return ApiError(502, "LwaUnavailable", "Login with Amazon is unavailable; try again later")
    if isinstance(exc, LwaError):
        return ApiError(502, "LwaError", f"Login with Amazon refused the request: {exc.message}")
    if isinstance(exc, ConfigurationError):
        return ApiError(500, "ServiceMisconfigured", "the service is misconfigured; see its logs")
    return ApiError(500, "InternalError", "internal error; see the service logs")


def _spapi_message(exc: SpApiClientError | SpApiServerError) -> str:
    text = f"SP-API answered {exc.status} {exc.code}: {exc.message}"
    if exc.details:
        text += f" ({exc.details})"
    if exc.request_id:
        text += f" [x-amzn-RequestId {exc.request_id}]"
    return redact(text)


def error_response(error: ApiError, request_id: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"error": {"code": error.code, "message": redact(error.message)}}
    if request_id:
        body["error"]["requestId"] = request_id
    return json_response(error.status, body, error.headers)
