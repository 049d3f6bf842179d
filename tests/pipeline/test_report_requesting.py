"""POST /reports' service, called as the report_creator handler calls it, against the SP-API emulator and
moto: a report created and recorded, the sweep told, the budgets spent, what is logged and counted, and a
sweep note that fails without failing the request."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from sp_reports.pipeline.api_requests import ApiError
from sp_reports.pipeline.report_budget import CALLER, DailyReportBudget
from sp_reports.pipeline.report_cooldowns import ReportCooldowns
from sp_reports.pipeline.report_records import ReportRecords, ReportStatus
from sp_reports.pipeline.report_requesting import ReportRequesting
from sp_reports.pipeline.sweep_state import SweepState
from sp_reports.pipeline.tenancy import TenantBoundary
from sp_reports.spapi.credentials import AppCredentials
from sp_reports.spapi.errors import SpApiClientError
from sp_reports.spapi.http import SpApiHttpClient
from sp_reports.spapi.lwa import LwaClient
from sp_reports.spapi.regions import spapi_endpoint
from sp_reports.spapi.reports import ReportsClient, ReportsPage
from tests.support.api_events import api_event
from tests.support.canaries import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, SELLER_ID, assert_no_secrets

REQUEST = {
    "SellerId": SELLER_ID,
    "RegionCode": "EU",
    "ReportType": "GET_MERCHANT_LISTINGS_ALL_DATA",
    "MarketplaceIds": "A1F83G8C2ARO7P",
}
FRANCE = "A13V1IB3VIYZZH"  # another marketplace: a second request with no recent report of ours to reuse


class World:
    """The service as the report_creator builds it; the sweep state has a DynamoDB client of its own, so a
    test can fail its writes alone."""

    def __init__(self, resources, telemetry, caller_budget: int = 100) -> None:
        dynamodb = boto3.client("dynamodb")
        self.records = ReportRecords(resources.reports_table, dynamodb)
        self.sweep_dynamodb = boto3.client("dynamodb")
        self.sweep_state = SweepState(resources.reports_table, self.sweep_dynamodb)
        lwa = LwaClient(lambda: AppCredentials(CLIENT_ID, CLIENT_SECRET))
        self.requesting = ReportRequesting(
            records=self.records,
            sweep_state=self.sweep_state,
            seller_budget=DailyReportBudget(resources.reports_table, dynamodb, 100),
            caller_budget=DailyReportBudget(resources.reports_table, dynamodb, caller_budget, scope=CALLER),
            reports_for=lambda seller_id, region_code: ReportsClient(
                SpApiHttpClient(spapi_endpoint(region_code)), lwa.seller_token_provider(REFRESH_TOKEN)
            ),
            boundary=TenantBoundary(None),
            logger=telemetry.logger,
            metrics=telemetry.metrics,
            cooldowns=ReportCooldowns(resources.reports_table, dynamodb),
        )


@pytest.fixture
def world(spapi_emulator, resources, telemetry) -> World:
    return World(resources, telemetry)


def _create_report_calls(spapi_emulator) -> list:
    return [e for e in spapi_emulator.exchanges if e.operation_id == "createReport"]


def test_a_report_is_created_recorded_noted_for_the_sweep_logged_and_counted(
    world, spapi_emulator, telemetry
):
    status, body = world.requesting.request(api_event("POST", "/reports", REQUEST))

    assert status == 202
    report_id = body["reportId"]
    assert body["reportIds"] == [report_id] and len(_create_report_calls(spapi_emulator)) == 1
    record = world.records.get(report_id)
    assert (record.status, record.seller_id, record.region_code) == (ReportStatus.REQUESTED, SELLER_ID, "EU")
    (region,) = world.sweep_state.seller(SELLER_ID).regions.values()
    assert set(region.report_types) == {"GET_MERCHANT_LISTINGS_ALL_DATA"}
    (requested,) = [line for line in telemetry.lines() if line["message"] == "report requested"]
    assert (requested["report_id"], requested["seller_id"], requested["region_code"]) == (
        report_id,
        SELLER_ID,
        "EU",
    )
    assert telemetry.counts() == {"ReportsRequested": 1}
    assert_no_secrets(telemetry.output.getvalue())


def test_a_sweep_note_that_fails_is_logged_and_counted_and_the_report_still_answered(
    world, spapi_emulator, telemetry
):
    def throttled(**_kwargs):
        raise ClientError(
            {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "throttled"}},
            "UpdateItem",
        )

    world.sweep_dynamodb.meta.events.register_first("before-call.dynamodb.UpdateItem", throttled)

    status, body = world.requesting.request(api_event("POST", "/reports", REQUEST))

    assert status == 202 and world.records.get(body["reportId"]) is not None
    assert world.sweep_state.seller(SELLER_ID) is None
    assert telemetry.counts() == {"ReportsRequested": 1, "SweepNotesMissed": 1}
    assert any(line["message"] == "report type not noted for the sweep" for line in telemetry.lines())


def test_a_caller_over_its_daily_budget_is_a_429_and_nothing_is_created(spapi_emulator, resources, telemetry):
    world = World(resources, telemetry, caller_budget=1)
    world.requesting.request(api_event("POST", "/reports", REQUEST))

    with pytest.raises(ApiError) as refused:
        world.requesting.request(
            api_event("POST", "/reports", {**REQUEST, "MarketplaceIds": "A1PA6795UKMFR9"})
        )

    assert (refused.value.status, refused.value.code) == (429, "CallerReportBudgetExhausted")
    assert len(_create_report_calls(spapi_emulator)) == 1


INVENTORY = "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA"  # once per 30 minutes per marketplace (the catalogue)


def test_a_cooldown_type_takes_the_shared_cooldown_and_a_refused_create_report_gives_it_back(
    world, spapi_emulator, monkeypatch
):
    request = {**REQUEST, "ReportType": INVENTORY}
    spapi_emulator.refuse_report_type(INVENTORY, "not now")

    with pytest.raises(SpApiClientError) as refused:
        world.requesting.request(api_event("POST", "/reports", request))

    assert refused.value.status == 400  # SP-API's refusal, not the cooldown: no report was made
    spapi_emulator.app.refused_report_types.pop(INVENTORY)
    status, _ = world.requesting.request(api_event("POST", "/reports", request))
    assert status == 202 and len(_create_report_calls(spapi_emulator)) == 2
    # That report holds the type's cooldown for the marketplace: a request for another range is a 429 even
    # before getReports would list the report.
    later = {
        **request,
        "ReportDataStartTime": "2024-01-01T00:00:00Z",
        "ReportDataEndTime": "2024-01-02T00:00:00Z",
    }
    monkeypatch.setattr(ReportsClient, "get_reports", lambda self, *args, **kwargs: ReportsPage(reports=()))
    with pytest.raises(ApiError) as cooling:
        world.requesting.request(api_event("POST", "/reports", later))
    assert (cooling.value.status, cooling.value.code) == (429, "ReportTypeCooldown")
    assert len(_create_report_calls(spapi_emulator)) == 2
