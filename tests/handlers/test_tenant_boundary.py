"""Tenant isolation (root tenant_isolation): every API route acts only for the sellers the tenant map grants
to the caller's principal, and without the map every route behaves as before."""

from __future__ import annotations

import json

import boto3
import pytest

from sp_reports.pipeline.report_records import ReportRecords
from sp_reports.pipeline.report_specifications import ReportSpecification
from sp_reports.pipeline.tenancy import TenantMap
from tests.support import api_events, aws_resources
from tests.support.canaries import REFRESH_TOKEN, SELLER_ID, assert_no_secrets

OTHER_SELLER = "A2OTHERTENANT0X"
# Tenant A's role, which the map grants SELLER_ID; its sessions arrive as assumed-role ARNs without the path.
TENANT_A_ROLE = "arn:aws:iam::123456789012:role/tenants/tenant-a-invoke"
TENANT_A_SESSION = "arn:aws:sts::123456789012:assumed-role/tenant-a-invoke/botocore-session-1"
# Tenant B's role, granted OTHER_SELLER only.
TENANT_B_SESSION = "arn:aws:sts::123456789012:assumed-role/tenant-b-invoke/botocore-session-2"

ROUTES = {
    "token_storage": ("POST", "/tokens", lambda seller: {"SellerId": seller, "RefreshToken": REFRESH_TOKEN}),
    "notifications_subscriber": (
        "POST",
        "/notifications",
        lambda seller: {"SellerId": seller, "RegionCode": "NA"},
    ),
    "report_creator": (
        "POST",
        "/reports",
        lambda seller: {
            "SellerId": seller,
            "RegionCode": "EU",
            "ReportType": "GET_MERCHANT_LISTINGS_ALL_DATA",
            "MarketplaceIds": "A1F83G8C2ARO7P",
        },
    ),
}


@pytest.fixture
def tenant_map(resources, monkeypatch):
    table = aws_resources.create_tenant_map_table()
    tenants = TenantMap(table, boto3.client("dynamodb"))
    tenants.grant(TENANT_A_ROLE, SELLER_ID)
    tenants.grant(TENANT_B_SESSION, OTHER_SELLER)
    monkeypatch.setenv("TENANT_MAP_TABLE_NAME", table)
    return tenants


@pytest.fixture
def records(resources):
    return ReportRecords(resources.reports_table, boto3.client("dynamodb"))


def _record(records, report_id, seller_id):
    records.record_requested(
        report_id, ReportSpecification(seller_id, "EU", "GET_MERCHANT_LISTINGS_ALL_DATA", ["A1F83G8C2ARO7P"])
    )


def _call(module, route, seller, caller, context):
    method, path, body = ROUTES[route]
    return module.handler(api_events.api_event(method, path, body(seller), caller_arn=caller), context)


def _get(module, report_id, caller, context):
    event = api_events.api_event(
        "GET", f"/reports/{report_id}", path_parameters={"reportId": report_id}, caller_arn=caller
    )
    return module.handler(event, context)


def _table_items(resources):
    dynamodb = boto3.client("dynamodb")
    return {
        table: dynamodb.scan(TableName=table)["Items"]
        for table in (resources.tokens_table, resources.reports_table)
    }


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_each_route_refuses_a_seller_the_map_does_not_grant_with_403_and_acts_for_nobody(
    route, tenant_map, spapi_emulator, load_handler, stored_seller, resources, lambda_context, capsys
):
    module = load_handler(route)
    before = _table_items(resources)
    response = _call(module, route, OTHER_SELLER, TENANT_A_SESSION, lambda_context)
    assert response["statusCode"] == 403
    error = api_events.answer_body(response)["error"]
    assert error["code"] == "TenantBoundary"
    assert "arn:aws:iam::123456789012:role/tenant-a-invoke" in error["message"]
    assert OTHER_SELLER in error["message"]
    assert spapi_emulator.exchanges == []  # no LWA, no SP-API call
    assert _table_items(resources) == before
    out = capsys.readouterr().out
    assert '"code":"TenantBoundary"' in out.replace(" ", "")  # the refusal is logged with its rule
    assert_no_secrets(response["body"] + out)


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_each_route_acts_for_a_seller_the_map_grants(
    route, tenant_map, spapi_emulator, load_handler, stored_seller, fast_spapi_retries, lambda_context
):
    module = load_handler(route)
    if route != "token_storage":
        fast_spapi_retries(module, "EU" if route == "report_creator" else "NA")
    response = _call(module, route, SELLER_ID, TENANT_A_SESSION, lambda_context)
    assert response["statusCode"] in (200, 202), response["body"]


def test_a_tenant_cannot_read_another_tenants_report_nor_learn_its_seller(
    tenant_map, load_handler, records, lambda_context
):
    _record(records, "50001", SELLER_ID)
    _record(records, "50002", OTHER_SELLER)
    report_status = load_handler("report_status")
    assert _get(report_status, "50001", TENANT_A_SESSION, lambda_context)["statusCode"] == 200
    refused = _get(report_status, "50002", TENANT_A_SESSION, lambda_context)
    assert refused["statusCode"] == 403
    error = api_events.answer_body(refused)["error"]
    assert error["code"] == "TenantBoundary" and OTHER_SELLER not in refused["body"]
    # And tenant B the other way round.
    assert _get(report_status, "50002", TENANT_B_SESSION, lambda_context)["statusCode"] == 200
    assert _get(report_status, "50001", TENANT_B_SESSION, lambda_context)["statusCode"] == 403


def test_a_caller_the_map_does_not_know_is_refused_everywhere(
    tenant_map, load_handler, records, lambda_context
):
    _record(records, "50001", SELLER_ID)
    stranger = "arn:aws:iam::123456789012:user/reports-operator"
    refused = _get(load_handler("report_status"), "50001", stranger, lambda_context)
    assert refused["statusCode"] == 403
    refused = _call(load_handler("report_creator"), "report_creator", SELLER_ID, stranger, lambda_context)
    assert refused["statusCode"] == 403
    assert json.loads(refused["body"])["error"]["code"] == "TenantBoundary"


def test_without_the_map_every_route_behaves_as_before_isolation(load_handler, records, lambda_context):
    # tenant_isolation off: no TENANT_MAP_TABLE_NAME, no table; any authenticated caller reads any report.
    _record(records, "50002", OTHER_SELLER)
    module = load_handler("report_status")
    assert not module.boundary.enabled
    assert _get(module, "50002", TENANT_A_SESSION, lambda_context)["statusCode"] == 200
