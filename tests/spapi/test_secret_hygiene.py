"""Across a whole run (success and failure paths) no secret reaches a log line or an exception's text."""

from __future__ import annotations

import io
import json
import logging

import pytest
from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

from sp_reports.spapi.credentials import AppCredentials
from sp_reports.spapi.documents import iter_report_document
from sp_reports.spapi.errors import LwaInvalidClientError, LwaInvalidGrantError, SpApiError
from sp_reports.spapi.lwa import LwaClient
from sp_reports.spapi.notifications import NotificationsClient
from tests.support.canaries import CLIENT_SECRET, REFRESH_TOKEN, assert_no_secrets
from tests.support.spapi_exchanges import make_clients

QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:sp-reports-notifications"


def test_a_full_run_with_faults_leaks_no_secret(manual_emulator, session, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    lwa, http, reports = make_clients(session)
    failures: list[BaseException] = []
    access_token = lwa.access_token(REFRESH_TOKEN)

    manual_emulator.inject("createReport", 503, times=1)
    report_id = reports.create_report("GET_MERCHANT_LISTINGS_ALL_DATA", ["ATVPDKIKX0DER"])
    manual_emulator.finish_report(report_id, "DONE", b"sku\tprice\n")
    document_id = reports.get_report(report_id)["reportDocumentId"]
    manual_emulator.expire_urls_immediately()
    assert b"".join(iter_report_document(reports, document_id, session=session, sleep=lambda _s: None))

    notifications = NotificationsClient(
        http, lwa.grantless_token_provider(), lwa.seller_token_provider(REFRESH_TOKEN)
    )
    destination_id = notifications.ensure_destination(QUEUE_ARN, "sp-reports")
    notifications.ensure_destination(QUEUE_ARN, "sp-reports")
    notifications.ensure_subscription("REPORT_PROCESSING_FINISHED", destination_id)
    notifications.ensure_subscription("REPORT_PROCESSING_FINISHED", destination_id)

    manual_emulator.inject("getReport", 429, times=None)
    with pytest.raises(SpApiError) as throttled:
        reports.get_report(report_id)
    failures.append(throttled.value)
    manual_emulator.clear_faults()
    manual_emulator.advance_time(4000)  # every access token expires on SP-API's side
    assert reports.get_report(report_id)["processingStatus"] == "DONE"
    manual_emulator.revoke(REFRESH_TOKEN)
    with pytest.raises(LwaInvalidGrantError) as revoked:
        reports.get_report(report_id)
    failures.append(revoked.value)
    with pytest.raises(LwaInvalidClientError) as bad_client:
        LwaClient(
            AppCredentials("amzn1.application-oa2-client.test", "CANARY-wrong")
        ).grantless_access_token()
    failures.append(bad_client.value)

    texts = [caplog.text, *(json.dumps(r.__dict__, default=str) for r in caplog.records)]
    texts += [f"{f!s} {f!r} {f.args!r}" for f in failures]
    assert_no_secrets("\n".join(texts), access_token, CLIENT_SECRET, REFRESH_TOKEN, "CANARY-wrong")


@pytest.fixture
def restore_spapi_logger():
    library_logger = logging.getLogger("sp_reports")
    saved = (list(library_logger.handlers), library_logger.level, library_logger.propagate)
    yield library_logger
    library_logger.handlers[:] = saved[0]
    library_logger.setLevel(saved[1])
    library_logger.propagate = saved[2]


def test_powertools_logger_emits_our_records_as_json_with_request_ids(
    spapi_emulator, session, restore_spapi_logger
) -> None:
    stream = io.StringIO()
    service_logger = Logger(service="sp-reports-test", logger_handler=logging.StreamHandler(stream))
    # What a handler does at cold start to get the library's records in its structured format.
    copy_config_to_registered_loggers(source_logger=service_logger, include={"sp_reports"})
    _lwa, _http, reports = make_clients(session)
    reports.create_report("GET_MERCHANT_LISTINGS_ALL_DATA", ["ATVPDKIKX0DER"])
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    calls = [line for line in lines if line.get("message") == "SP-API call"]
    assert calls and calls[-1]["operation"] == "createReport" and calls[-1]["status"] == 202
    assert calls[-1]["request_id"] and calls[-1]["service"] == "sp-reports-test"
    assert any(line.get("message") == "LWA token exchanged" for line in lines)
    assert_no_secrets(stream.getvalue())
