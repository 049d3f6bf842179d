"""The scenario through Amazon's generated SDK (amzn-sp-api, import name `spapi`), pinned in
tests/peers/requirements.txt, with its model validation on (`Configuration.client_side_validation`).

Pointed at the emulator the SDK's own ways: `SPAPIClient(config, oauth_endpoint=..., endpoint=...)`, the
test's CA as `Configuration.ssl_ca_cert` (set as the default every Configuration copies) for SP-API calls, and
REQUESTS_CA_BUNDLE (set by the test) for its LWA call, made with requests. The SDK has no document download;
the driver downloads and unzips the document as Amazon's Reports API use case guide does, with requests.
"""

from __future__ import annotations

import gzip
import json
import sys

import requests
from driver_io import SETTINGS, call, emit, keep_secret, run_reports_and_notifications
from spapi.api.notifications_v1.notifications_api import NotificationsApi
from spapi.api.reports_v2021_06_30.reports_api import ReportsApi
from spapi.api.tokens_v2021_03_01.tokens_api import TokensApi
from spapi.auth.credentials import SPAPIConfig
from spapi.client import SPAPIClient
from spapi.configuration import Configuration
from spapi.models.notifications_v1 import (
    CreateDestinationRequest,
    CreateSubscriptionRequest,
    DestinationResourceSpecification,
    SqsResource,
)
from spapi.models.reports_v2021_06_30 import (
    CreateReportScheduleSpecification,
    CreateReportSpecification,
    Report,
)
from spapi.models.reports_v2021_06_30 import Error as ReportsError
from spapi.models.reports_v2021_06_30 import ErrorList as ReportsErrorList
from spapi.models.tokens_v2021_03_01 import CreateRestrictedDataTokenRequest, RestrictedResource
from spapi.rest import ApiException

US = "ATVPDKIKX0DER"
REPORT_TYPE = SETTINGS["report_type"]
# A deliberate literal: the driver runs without our sources on its path (spapi here is another library).
NOTIFICATION_TYPE = "REPORT_PROCESSING_FINISHED"

defaults = Configuration()
defaults.ssl_ca_cert = SETTINGS["ca_cert"]
assert defaults.client_side_validation, "the SDK's model validation is on by default and stays on here"
Configuration.set_default(defaults)


def sdk_client(**grant):
    config = SPAPIConfig(client_id=SETTINGS["client_id"], client_secret=SETTINGS["client_secret"], **grant)
    client = SPAPIClient(config, oauth_endpoint=SETTINGS["lwa_url"], endpoint=SETTINGS["spapi_url"])
    keep_secret(client.access_token_cache.token_info["access_token"])
    return client


clients: dict = {}


def lwa_refresh_token():
    clients["seller"] = sdk_client(refresh_token=SETTINGS["refresh_token"], region="NA")
    return 200, {"token_type": clients["seller"].access_token_cache.token_info["token_type"]}


def lwa_client_credentials():
    clients["grantless"] = sdk_client(scope="sellingpartnerapi::notifications", region="NA")
    return 200, {"token_type": clients["grantless"].access_token_cache.token_info["token_type"]}


def model_validation_refuses():
    """The deserializer builds models as this does (no configuration of their own: the default's), so an
    answer outside the model (here a processingStatus the model does not list) fails the call."""
    try:
        Report(
            report_id="1", report_type=REPORT_TYPE, created_time="2026-01-01T00:00:00Z", processing_status="X"
        )
    except ValueError as refusal:
        return None, {"refusal": str(refusal)[:120]}
    raise AssertionError("the SDK's model validation is off")


call("sdk:model validation", model_validation_refuses)
call("lwa:refresh_token", lwa_refresh_token)
call("lwa:client_credentials", lwa_client_credentials)
if "seller" not in clients or "grantless" not in clients:
    emit("done", None, True)
    raise SystemExit(0)

reports = ReportsApi(clients["seller"].api_client)
tokens = TokensApi(clients["seller"].api_client)
seller_notifications = NotificationsApi(clients["seller"].api_client)
grantless_notifications = NotificationsApi(clients["grantless"].api_client)


def create_report():
    spec = CreateReportSpecification(report_type=REPORT_TYPE, marketplace_ids=[US])
    return 202, {"reportId": reports.create_report(spec).report_id}


def cancel_report(report_id):
    reports.cancel_report(report_id)  # the model declares no body for its 200
    return 200, {}


def get_report(report_id):
    report = reports.get_report(report_id)
    return 200, {"processingStatus": report.processing_status, "reportDocumentId": report.report_document_id}


def get_reports():
    return 200, {"count": len(reports.get_reports(report_types=[REPORT_TYPE], page_size=10).reports)}


def report_document(document_id):
    document = reports.get_report_document(document_id)
    keep_secret(document.url)
    download = requests.get(document.url, timeout=10)
    download.raise_for_status()
    content = download.content
    if document.compression_algorithm == "GZIP":
        content = gzip.decompress(content)
    text = content.decode(download.encoding or "iso-8859-1")
    return download.status_code, {
        "compressionAlgorithm": document.compression_algorithm,
        "first_line": text.splitlines()[0] if text else "",
    }


def restricted_data_token(document_id):
    resource = RestrictedResource(method="GET", path=f"/reports/2021-06-30/documents/{document_id}")
    response = tokens.create_restricted_data_token(
        CreateRestrictedDataTokenRequest(restricted_resources=[resource])
    )
    keep_secret(response.restricted_data_token)
    return 200, {"expiresIn": response.expires_in}


def create_report_schedule():
    spec = CreateReportScheduleSpecification(report_type=REPORT_TYPE, marketplace_ids=[US], period="PT1H")
    return 201, {"reportScheduleId": reports.create_report_schedule(spec).report_schedule_id}


def get_report_schedules():
    return 200, {"count": len(reports.get_report_schedules(report_types=[REPORT_TYPE]).report_schedules)}


def get_report_schedule(schedule_id):
    schedule = reports.get_report_schedule(schedule_id)
    return 200, {"period": schedule.period, "reportType": schedule.report_type}


def cancel_report_schedule(schedule_id):
    reports.cancel_report_schedule(schedule_id)  # the model declares no body for its 200
    return 200, {}


def create_destination():
    request = CreateDestinationRequest(
        name="peer-tests",
        resource_specification=DestinationResourceSpecification(sqs=SqsResource(arn=SETTINGS["sqs_arn"])),
    )
    return 200, {"destinationId": grantless_notifications.create_destination(request).payload.destination_id}


def get_destinations():
    return 200, {"count": len(grantless_notifications.get_destinations().payload)}


def create_subscription(destination_id):
    request = CreateSubscriptionRequest(payload_version="1.0", destination_id=destination_id)
    response = seller_notifications.create_subscription(NOTIFICATION_TYPE, request)
    return 200, {"subscriptionId": response.payload.subscription_id}


def get_subscription():
    return 200, {
        "subscriptionId": seller_notifications.get_subscription(NOTIFICATION_TYPE).payload.subscription_id
    }


def delete_subscription(subscription_id):
    # Grantless, as the model has it (notifications.json, deleteSubscriptionById).
    response = grantless_notifications.delete_subscription_by_id(subscription_id, NOTIFICATION_TYPE)
    return 200, {"errors": response.errors}


def delete_destination(destination_id):
    return 200, {"errors": grantless_notifications.delete_destination(destination_id).errors}


def parsed_errors(error: ApiException) -> ReportsErrorList:
    """The error body as the SDK's ErrorList model: it refuses an error without its code or message."""
    body = json.loads(error.body)
    return ReportsErrorList(errors=[ReportsError(**item) for item in body["errors"]])


def expect_error(action, status):
    def run():
        try:
            action()
        except ApiException as error:
            if error.status != status:
                raise
            return error.status, {
                "error_type": type(error).__name__,
                "error_code": parsed_errors(error).errors[0].code,
            }
        raise AssertionError(f"expected SP-API's {status}, the call succeeded")

    return run


def throttled():
    for attempt in range(1, 40):
        try:
            reports.get_reports(report_types=[REPORT_TYPE])
        except ApiException as error:
            if error.status != 429:
                raise
            code = parsed_errors(error).errors[0].code
            return 429, {"error_type": type(error).__name__, "error_code": code, "attempts": attempt}
    raise AssertionError("getReports was never throttled")


run_reports_and_notifications(sys.modules[__name__])

call("error:getReport unknown id", expect_error(lambda: reports.get_report("000000000000"), 404))
call(
    "error:createReport unknown type",
    expect_error(
        lambda: reports.create_report(
            CreateReportSpecification(report_type="GET_NO_SUCH_REPORT", marketplace_ids=[US])
        ),
        400,
    ),
)
call("throttling:getReports", throttled)
emit("done", None, True)
