"""The scenario through python-amazon-sp-api (import name `sp_api`), pinned in tests/peers/requirements.txt.

The library speaks https only (its Host header is `endpoint[8:]`) and asks LWA at api.amazon.com, so the
emulator serves https with the test's CA and the driver points the library at it the library's own ways: the
client's `endpoint` attribute, an AccessTokenClient subclass for LWA (`auth_token_client_class`), `verify`.
"""

from __future__ import annotations

import sys
from urllib.parse import urlsplit

from driver_io import SETTINGS, call, emit, keep_secret, run_reports_and_notifications
from sp_api.api import Notifications, Reports, Tokens
from sp_api.auth import AccessTokenClient
from sp_api.auth.exceptions import AuthorizationError
from sp_api.base import Marketplaces, SellingApiException

US = "ATVPDKIKX0DER"
REPORT_TYPE = SETTINGS["report_type"]
# A deliberate literal: the driver runs without our sources on its path.
NOTIFICATION_TYPE = "REPORT_PROCESSING_FINISHED"
CREDENTIALS = {
    "refresh_token": SETTINGS["refresh_token"],
    "lwa_app_id": SETTINGS["client_id"],
    "lwa_client_secret": SETTINGS["client_secret"],
}
_LWA = urlsplit(SETTINGS["lwa_url"])


class EmulatorLwa(AccessTokenClient):
    host = _LWA.netloc
    path = _LWA.path


def client(cls):
    api = cls(
        Marketplaces.US,
        credentials=CREDENTIALS,
        verify=SETTINGS["ca_cert"],
        auth_token_client_class=EmulatorLwa,
    )
    api.endpoint = SETTINGS["spapi_url"]
    return api


reports = client(Reports)
notifications = client(Notifications)
tokens = client(Tokens)


def lwa_refresh_token():
    token = reports._auth.get_auth()
    keep_secret(token.access_token)
    return 200, {"token_type": token.token_type, "expires_in": token.expires_in}


def lwa_client_credentials():
    token = notifications.grantless_auth
    keep_secret(token.access_token)
    return 200, {"token_type": token.token_type}


def create_report():
    return 202, {
        "reportId": reports.create_report(reportType=REPORT_TYPE, marketplaceIds=[US]).payload["reportId"]
    }


def cancel_report(report_id):
    # A DELETE answered without a body: the library reports {"status_code": 200}.
    return 200, {"answer": dict(reports.cancel_report(report_id).payload or {})}


def get_report(report_id):
    payload = reports.get_report(report_id).payload
    return 200, {
        "processingStatus": payload["processingStatus"],
        "reportDocumentId": payload.get("reportDocumentId"),
    }


def get_reports():
    return 200, {"count": len(reports.get_reports(reportTypes=[REPORT_TYPE], pageSize=10).payload["reports"])}


def report_document(document_id):
    response = reports.get_report_document(document_id, download=True)
    keep_secret(response.payload["url"])
    text = response.payload["document"]
    return 200, {
        "compressionAlgorithm": response.payload.get("compressionAlgorithm"),
        "first_line": text.splitlines()[0] if text else "",
    }


def restricted_data_token(document_id):
    resource = {"method": "GET", "path": f"/reports/2021-06-30/documents/{document_id}"}
    response = tokens.create_restricted_data_token(restrictedResources=[resource])
    keep_secret(response.payload["restrictedDataToken"])
    return 200, {"expiresIn": response.payload["expiresIn"]}


def create_report_schedule():
    response = reports.create_report_schedule(reportType=REPORT_TYPE, marketplaceIds=[US], period="PT1H")
    return 201, {"reportScheduleId": response.payload["reportScheduleId"]}


def get_report_schedules():
    return 200, {
        "count": len(reports.get_report_schedules(reportTypes=[REPORT_TYPE]).payload["reportSchedules"])
    }


def get_report_schedule(schedule_id):
    payload = reports.get_report_schedule(schedule_id).payload
    return 200, {"period": payload["period"], "reportType": payload["reportType"]}


def cancel_report_schedule(schedule_id):
    # A DELETE answered without a body, as cancelReport's.
    return 200, {"answer": dict(reports.cancel_report_schedule(schedule_id).payload or {})}


def create_destination():
    response = notifications.create_destination(name="peer-tests", arn=SETTINGS["sqs_arn"])
    return 200, {"destinationId": response.payload["destinationId"]}


def get_destinations():
    return 200, {"count": len(notifications.get_destinations().payload)}


def create_subscription(destination_id):
    response = notifications.create_subscription(NOTIFICATION_TYPE, destination_id=destination_id)
    return 200, {"subscriptionId": response.payload["subscriptionId"]}


def get_subscription():
    return 200, {
        "subscriptionId": notifications.get_subscription(NOTIFICATION_TYPE).payload["subscriptionId"]
    }


def delete_subscription(subscription_id):
    response = notifications.delete_notification_subscription(NOTIFICATION_TYPE, subscription_id)
    return 200, {"answer": dict(response.payload or {})}


def delete_destination(destination_id):
    return 200, {"answer": dict(notifications.delete_destination(destination_id).payload or {})}


def expect_error(action, status):
    """An SP-API error the library must raise as its exception, with Amazon's code and message parsed."""

    def run():
        try:
            action()
        except SellingApiException as error:
            if error.code != status:
                raise
            return error.code, {"error_type": type(error).__name__, "error_code": error.amzn_code}
        raise AssertionError(f"expected SP-API's {status}, the call succeeded")

    return run


def lwa_refused():
    refused = EmulatorLwa(
        refresh_token="Atzr|unknown", credentials=reports.credentials, verify=SETTINGS["ca_cert"]
    )
    try:
        refused.get_auth()
    except AuthorizationError as error:
        return error.status_code, {"error_type": type(error).__name__, "error_code": error.error_code}
    raise AssertionError("LWA accepted an unknown refresh token")


def throttled():
    for attempt in range(1, 40):
        try:
            reports.get_reports(reportTypes=[REPORT_TYPE])
        except SellingApiException as error:
            if error.code != 429:
                raise
            return 429, {
                "error_type": type(error).__name__,
                "error_code": error.amzn_code,
                "attempts": attempt,
            }
    raise AssertionError("getReports was never throttled")


call("lwa:refresh_token", lwa_refresh_token)
call("lwa:client_credentials", lwa_client_credentials)

run_reports_and_notifications(sys.modules[__name__])

call("error:getReport unknown id", expect_error(lambda: reports.get_report("000000000000"), 404))
call(
    "error:createReport unknown type",
    expect_error(lambda: reports.create_report(reportType="GET_NO_SUCH_REPORT", marketplaceIds=[US]), 400),
)
call("error:lwa invalid_grant", lwa_refused)
call("throttling:getReports", throttled)
emit("done", None, True)
