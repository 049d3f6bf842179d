"""Reports client against the emulator: createReport (202), getReport, getReportDocument, cancelReport, and
the report schedules (createReportSchedule, getReportSchedules, cancelReportSchedule)."""

from __future__ import annotations

import json
import pickle
from datetime import UTC, datetime, timedelta, timezone

import pytest
import requests

from sp_reports.spapi.errors import ReportRequestRefusedError, SpApiClientError, SpApiServerError
from sp_reports.spapi.http import SpApiHttpClient
from sp_reports.spapi.reports import ReportDocument, ReportsClient, find_report_region, iter_report_pages
from tests.support.canaries import REFRESH_TOKEN, SELLER_ID
from tests.support.spapi_exchanges import CannedAdapter, make_clients, spapi_exchanges

LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"


def test_create_report_sends_the_model_body_and_returns_the_report_id(reports, spapi_emulator) -> None:
    start = datetime(2024, 3, 10, 20, 11, 24, tzinfo=UTC)
    report_id = reports.create_report(
        LISTINGS,
        ["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"],
        data_start_time=start,
        data_end_time=datetime(2024, 3, 11, 1, 0, tzinfo=timezone(timedelta(hours=5))),
        report_options={"custom": "true"},
    )
    exchange = spapi_exchanges(spapi_emulator, "createReport")[-1]
    assert exchange.status == 202
    assert json.loads(exchange.request_body) == {
        "reportType": LISTINGS,
        "marketplaceIds": ["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"],
        "dataStartTime": "2024-03-10T20:11:24.000Z",
        "dataEndTime": "2024-03-10T20:00:00.000Z",
        "reportOptions": {"custom": "true"},
    }
    assert json.loads(exchange.response_body) == {"reportId": report_id}
    assert spapi_emulator.report(report_id).report_options == {"custom": "true"}


def test_create_report_omits_optional_fields_it_was_not_given(reports, spapi_emulator) -> None:
    reports.create_report(LISTINGS, ["ATVPDKIKX0DER"], data_start_time="2024-03-10T20:11:24Z")
    body = json.loads(spapi_exchanges(spapi_emulator, "createReport")[-1].request_body)
    assert body == {
        "reportType": LISTINGS,
        "marketplaceIds": ["ATVPDKIKX0DER"],
        "dataStartTime": "2024-03-10T20:11:24Z",
    }


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"report_type": "", "marketplace_ids": ["ATVPDKIKX0DER"]}, "reportType"),
        ({"report_type": LISTINGS, "marketplace_ids": []}, "marketplaceIds"),
        ({"report_type": LISTINGS, "marketplace_ids": "ATVPDKIKX0DER"}, "marketplaceIds"),
        ({"report_type": LISTINGS, "marketplace_ids": ["ATVPDKIKX0DER"] * 26}, "marketplaceIds"),
        (
            {
                "report_type": LISTINGS,
                "marketplace_ids": ["ATVPDKIKX0DER"],
                "data_start_time": datetime(2024, 1, 1),
            },
            "dataStartTime",
        ),
        (
            {"report_type": LISTINGS, "marketplace_ids": ["ATVPDKIKX0DER"], "data_end_time": "2024-03-10"},
            "dataEndTime",
        ),
        (
            {"report_type": LISTINGS, "marketplace_ids": ["ATVPDKIKX0DER"], "data_end_time": "yesterday"},
            "dataEndTime",
        ),
        (
            {"report_type": LISTINGS, "marketplace_ids": ["ATVPDKIKX0DER"], "report_options": {"n": 1}},
            "reportOptions",
        ),
    ],
)
def test_bad_create_report_arguments_fail_before_any_call(reports, spapi_emulator, kwargs, field) -> None:
    with pytest.raises(ValueError, match=field):
        reports.create_report(**kwargs)
    assert spapi_exchanges(spapi_emulator, "createReport") == []


def test_an_unknown_marketplace_is_sp_apis_400_as_a_client_error(reports) -> None:
    with pytest.raises(SpApiClientError) as raised:
        reports.create_report(LISTINGS, ["A000000000000"])
    assert (raised.value.status, raised.value.code) == (400, "InvalidInput")
    assert "A000000000000" in raised.value.message and raised.value.request_id


def test_a_marketplace_the_seller_does_not_sell_in_is_refused_naming_what_was_asked(
    reports, spapi_emulator
) -> None:
    # SP-API's reason names no marketplace (selling-partner-api-models#1021); the error says what was asked.
    spapi_emulator.register_seller(REFRESH_TOKEN, SELLER_ID, marketplaces=["ATVPDKIKX0DER"])
    with pytest.raises(ReportRequestRefusedError) as raised:
        reports.create_report(LISTINGS, ["A2EUQ1WTGCTBG2"])
    error = raised.value
    assert (error.status, error.code) == (400, "InvalidInput")
    assert (
        error.message
        == "Report rejected for this client. your report could not be applied to any marketplaces"
    )
    assert (error.report_type, error.marketplace_ids) == (LISTINGS, ("A2EUQ1WTGCTBG2",))
    assert "report type GET_MERCHANT_LISTINGS_ALL_DATA, marketplace(s) A2EUQ1WTGCTBG2" in str(error)
    assert isinstance(error, SpApiClientError) and error.request_id
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own pickle
    assert (type(copy), copy.report_type, copy.marketplace_ids, str(copy)) == (
        ReportRequestRefusedError,
        LISTINGS,
        ("A2EUQ1WTGCTBG2",),
        str(error),
    )


def test_a_report_type_sp_api_refuses_is_named_in_the_error(reports) -> None:
    # selling-partner-api-models#1265: SP-API calls the type "1118".
    with pytest.raises(ReportRequestRefusedError) as raised:
        reports.create_report("GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2", ["ATVPDKIKX0DER"])
    assert "1118" in raised.value.message
    assert raised.value.report_type == "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2"
    assert "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2" in str(raised.value)


def test_get_report_follows_the_lifecycle_to_a_document(manual_emulator, session) -> None:
    _lwa, _http, reports = make_clients(session)
    report_id = reports.create_report(LISTINGS, ["ATVPDKIKX0DER"])
    assert reports.get_report(report_id)["processingStatus"] == "IN_QUEUE"
    manual_emulator.finish_report(report_id, "DONE", b"sku\tprice\nA1\t9.99\n")
    report = reports.get_report(report_id)
    assert report["processingStatus"] == "DONE" and report["reportId"] == report_id
    document = reports.get_report_document(report["reportDocumentId"])
    assert isinstance(document, ReportDocument)
    assert document.report_document_id == report["reportDocumentId"]
    assert document.compression_algorithm == "GZIP"
    assert document.url.startswith(manual_emulator.url) and document.url not in repr(document)


def test_cancel_report_cancels_a_queued_report(manual_emulator, session) -> None:
    _lwa, _http, reports = make_clients(session)
    report_id = reports.create_report(LISTINGS, ["ATVPDKIKX0DER"])
    reports.cancel_report(report_id)
    assert reports.get_report(report_id)["processingStatus"] == "CANCELLED"
    with pytest.raises(SpApiClientError) as raised:
        reports.cancel_report(report_id)
    assert raised.value.status == 400 and "only IN_QUEUE" in raised.value.message


def test_an_unknown_report_is_a_404_client_error(reports) -> None:
    with pytest.raises(SpApiClientError) as raised:
        reports.get_report("does-not-exist")
    assert raised.value.status == 404 and raised.value.operation == "getReport"
    with pytest.raises(SpApiClientError):
        reports.get_report_document("amzn1.spdoc.unknown")


def test_report_ids_are_escaped_into_one_path_segment() -> None:
    adapter = CannedAdapter([(404, b'{"errors": [{"code": "NotFound", "message": "no"}]}', {})])
    session = requests.Session()
    session.mount("https://", adapter)
    reports = ReportsClient(
        SpApiHttpClient("https://sellingpartnerapi-na.amazon.com", session=session), "Atza|CANARY-token"
    )
    with pytest.raises(SpApiClientError):
        reports.get_report("../documents/x")
    assert adapter.requests[0].path_url == "/reports/2021-06-30/reports/..%2Fdocuments%2Fx"


def _reports_answering(replies_by_region: dict[str, list[tuple[int, bytes, dict[str, str]]]]):
    """A Reports client per region, each on its own canned SP-API; returns (factory, adapters)."""
    adapters = {code: CannedAdapter(replies) for code, replies in replies_by_region.items()}

    def reports_in(region_code: str) -> ReportsClient:
        session = requests.Session()
        session.mount("https://", adapters[region_code])
        http = SpApiHttpClient(
            f"https://sellingpartnerapi-{region_code.lower()}.amazon.com", session=session, max_attempts=1
        )
        return ReportsClient(http, "Atza|CANARY-token")

    return reports_in, adapters


NOT_FOUND = (404, b'{"errors": [{"code": "NotFound", "message": "no"}]}', {})
REPORT = (200, b'{"reportId": "54517018502", "processingStatus": "DONE"}', {})


def test_the_region_that_knows_an_unrecorded_report_is_found_and_later_regions_are_not_asked() -> None:
    reports_in, adapters = _reports_answering({"NA": [NOT_FOUND], "EU": [REPORT], "FE": [REPORT]})
    found = find_report_region("54517018502", reports_in)
    assert found is not None
    region_code, client = found
    assert region_code == "EU" and client.http.endpoint == "https://sellingpartnerapi-eu.amazon.com"
    assert [adapter.calls for adapter in adapters.values()] == [1, 1, 0]
    assert adapters["EU"].requests[0].path_url == "/reports/2021-06-30/reports/54517018502"


def test_a_report_no_region_knows_has_no_region_and_other_failures_are_raised() -> None:
    reports_in, _ = _reports_answering({"NA": [NOT_FOUND], "EU": [NOT_FOUND], "FE": [NOT_FOUND]})
    assert find_report_region("54517018502", reports_in) is None
    forbidden = (403, b'{"errors": [{"code": "Unauthorized", "message": "no"}]}', {})
    reports_in, _ = _reports_answering({"NA": [forbidden], "EU": [(400, b"{}", {})]})
    assert find_report_region("54517018502", reports_in, ["NA", "EU"]) is None
    server_error = (500, b'{"errors": [{"code": "InternalFailure", "message": "down"}]}', {})
    reports_in, _ = _reports_answering({"NA": [server_error]})
    with pytest.raises(SpApiServerError):
        find_report_region("54517018502", reports_in, ["NA"])


def test_report_pages_send_the_filters_first_then_each_next_token_alone(reports, spapi_emulator) -> None:
    created = [reports.create_report(LISTINGS, ["ATVPDKIKX0DER"]) for _ in range(5)]
    seen: list[str] = []
    calls_before: list[int] = []

    def before_each_call() -> None:
        calls_before.append(len(spapi_exchanges(spapi_emulator, "getReports")))

    pages = list(
        iter_report_pages(
            reports,
            [LISTINGS],
            before_each_call=before_each_call,
            processing_statuses=["IN_QUEUE", "DONE"],
            created_since="2020-01-01T00:00:00Z",
            page_size=2,
        )
    )
    for page in pages:
        seen.extend(report["reportId"] for report in page.reports)
    assert sorted(seen) == sorted(created) and [len(page.reports) for page in pages] == [2, 2, 1]
    assert pages[-1].next_token is None
    first, *rest = spapi_exchanges(spapi_emulator, "getReports")
    assert first.query == {
        "reportTypes": [LISTINGS],
        "processingStatuses": ["DONE,IN_QUEUE"],
        "createdSince": ["2020-01-01T00:00:00Z"],
        "pageSize": ["2"],
    }
    assert [set(call.query) for call in rest] == [{"nextToken"}, {"nextToken"}]
    assert calls_before == [0, 1, 2]  # the hook runs before each call made, not after the last page


@pytest.mark.parametrize(
    ("args", "kwargs", "field"),
    [
        ((), {}, "reportTypes"),
        ([f"TYPE_{n}" for n in range(11)], {}, "reportTypes"),  # the model: maxItems 10
        ([LISTINGS], {"page_size": 0}, "pageSize"),
        ([LISTINGS], {"page_size": 101}, "pageSize"),  # the model: 1-100
        ([LISTINGS], {"processing_statuses": ["FINISHED"]}, "processingStatuses"),
        ([LISTINGS], {"created_since": "yesterday"}, "createdSince"),
    ],
)
def test_bad_get_reports_filters_fail_before_any_call(reports, spapi_emulator, args, kwargs, field) -> None:
    with pytest.raises(ValueError, match=field):
        reports.get_reports(args, **kwargs)
    assert spapi_exchanges(spapi_emulator, "getReports") == []


def test_a_report_schedule_is_created_listed_and_cancelled_as_the_model_says(reports, spapi_emulator) -> None:
    schedule_id = reports.create_report_schedule(
        LISTINGS,
        ["ATVPDKIKX0DER"],
        "P1D",
        next_report_creation_time=datetime(2030, 1, 2, tzinfo=UTC),
        report_options={"custom": "true"},
    )
    exchange = spapi_exchanges(spapi_emulator, "createReportSchedule")[-1]
    assert exchange.status == 201
    assert json.loads(exchange.request_body) == {
        "reportType": LISTINGS,
        "marketplaceIds": ["ATVPDKIKX0DER"],
        "period": "P1D",
        "nextReportCreationTime": "2030-01-02T00:00:00.000Z",
        "reportOptions": {"custom": "true"},
    }

    (listed,) = reports.get_report_schedules([LISTINGS])
    assert (listed["reportScheduleId"], listed["period"]) == (schedule_id, "P1D")

    reports.cancel_report_schedule(schedule_id)
    assert reports.get_report_schedules([LISTINGS]) == ()
    with pytest.raises(SpApiClientError) as gone:
        reports.cancel_report_schedule(schedule_id)
    assert gone.value.status == 404


def test_a_refused_report_schedule_is_a_client_error_with_sp_apis_message(reports, spapi_emulator) -> None:
    with pytest.raises(SpApiClientError) as refused:
        reports.create_report_schedule("GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE", ["ATVPDKIKX0DER"], "P1D")
    assert (refused.value.status, refused.value.code) == (400, "InvalidInput")
    assert "is not allowed at this time" in refused.value.message
    with pytest.raises(ValueError, match="reportTypes"):
        reports.get_report_schedules([])
