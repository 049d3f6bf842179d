"""The OpenAPI document that ships with the client: well-formed, and true to what the client sends."""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

import jsonschema
import pytest
import yaml

from sp_reports.client import SpReportsClient
from sp_reports.pipeline.document_charsets import StoredCharset
from tests.support.canaries import REFRESH_TOKEN
from tests.support.fake_sp_reports_api import REGION, SELLER_ID

OPERATIONS = {
    ("post", "/tokens"): "PutTokenRequest",
    ("post", "/notifications"): "SubscribeRequest",
    ("post", "/reports"): "CreateReportRequest",
    ("get", "/reports/{reportId}"): None,
    ("get", "/authorization/login"): None,
    ("get", "/authorization/redirect"): None,
    ("delete", "/sellers/{sellerId}"): None,
    ("post", "/plans"): "PlanRequest",
    ("get", "/plans"): None,
    ("get", "/plans/{planId}"): None,
    ("patch", "/plans/{planId}"): "PlanUpdate",
    ("delete", "/plans/{planId}"): None,
    ("get", "/plans/{planId}/coverage"): None,
}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    text = resources.files("sp_reports.client").joinpath("openapi.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def schema_validator(document: dict[str, Any], name: str) -> jsonschema.Draft202012Validator:
    # Local $refs ("#/components/schemas/...") resolve against this wrapper, which carries the components.
    schema = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def response_schema(document: dict[str, Any], method: str, path: str, status: int) -> dict[str, Any]:
    return document["paths"][path][method]["responses"][str(status)]["content"]["application/json"]["schema"]


def validate_against(document: dict[str, Any], schema: dict[str, Any], instance: Any) -> None:
    jsonschema.Draft202012Validator({**schema, "components": document["components"]}).validate(instance)


def test_document_is_openapi_3_0_with_our_operations(document):
    assert re.fullmatch(r"3\.0\.\d+", document["openapi"])
    assert document["info"]["title"] and document["info"]["version"]
    operations = {(method, path) for path, item in document["paths"].items() for method in item}
    assert operations == set(OPERATIONS)
    for (method, path), request_schema in OPERATIONS.items():
        operation = document["paths"][path][method]
        assert operation["operationId"]
        assert any(status.startswith(("2", "3")) for status in operation["responses"])  # success or redirect
        if request_schema:
            body_schema = operation["requestBody"]["content"]["application/json"]["schema"]
            assert body_schema == {"$ref": f"#/components/schemas/{request_schema}"}


def test_document_requires_sigv4_on_every_operation(document):
    scheme = document["components"]["securitySchemes"]["sigv4"]
    assert scheme == {
        "type": "apiKey",
        "name": "Authorization",
        "in": "header",
        "description": scheme["description"],
        "x-amazon-apigateway-authtype": "awsSigv4",
    }
    assert document["security"] == [{"sigv4": []}]


def test_every_reference_in_the_document_resolves(document):
    def refs(node: Any):
        if isinstance(node, dict):
            if "$ref" in node:
                yield node["$ref"]
            for value in node.values():
                yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    found = list(refs(document))
    assert found
    for ref in found:
        target: Any = document
        for part in ref.removeprefix("#/").split("/"):
            assert part in target, f"unresolved {ref}"
            target = target[part]


def test_every_schema_is_a_valid_json_schema(document):
    for name, schema in document["components"]["schemas"].items():
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as exc:
            pytest.fail(f"schema {name} is invalid: {exc.message}")


def test_request_bodies_the_client_sends_match_the_document(fake_api, document):
    client = SpReportsClient(fake_api.base_url, REGION)
    client.put_token(SELLER_ID, REFRESH_TOKEN)
    client.subscribe_notifications(SELLER_ID, "EU")
    client.create_report(SELLER_ID, "EU", "GET_MERCHANT_LISTINGS_ALL_DATA", "A1F83G8C2ARO7P,A1PA6795UKMFR9")
    client.create_report(
        SELLER_ID, "EU", "GET_BRAND_ANALYTICS_SEARCH_TERMS_REPORT", ["A1F83G8C2ARO7P"],
        data_start_time="2024-05-01T00:00:00Z", data_end_time="2024-05-07T23:59:59Z",
        report_options={"reportPeriod": "WEEK"},
    )  # fmt: skip

    schemas = {
        "/v1/tokens": "PutTokenRequest",
        "/v1/notifications": "SubscribeRequest",
        "/v1/reports": "CreateReportRequest",
    }
    for request in fake_api.requests:
        schema_validator(document, schemas[request.path]).validate(request.json())


def test_answers_of_the_fake_api_match_the_documented_responses(fake_api, document):
    # Keeps the tests' stand-in honest: it answers what the document promises.
    client = SpReportsClient(fake_api.base_url, REGION)
    client.put_token(SELLER_ID, REFRESH_TOKEN)
    report_id = client.create_report(SELLER_ID, "EU", "GET_MERCHANT_LISTINGS_ALL_DATA", ["A1F83G8C2ARO7P"])
    report = client.get_report(report_id)
    validate_against(document, response_schema(document, "post", "/tokens", 200), {"sellerId": SELLER_ID})
    validate_against(document, response_schema(document, "post", "/reports", 202), {"reportId": report_id})
    validate_against(document, response_schema(document, "get", "/reports/{reportId}", 200), dict(report.raw))
    validate_against(
        document,
        response_schema(document, "post", "/notifications", 200),
        fake_api.answer("POST", "/notifications", {"SellerId": SELLER_ID}).body,
    )


@pytest.mark.parametrize(
    ("schema", "body"),
    [
        ("PutTokenRequest", {"SellerId": SELLER_ID}),
        ("PutTokenRequest", {"SellerId": SELLER_ID, "RefreshToken": "Atza|an-access-token"}),
        ("SubscribeRequest", {"SellerId": SELLER_ID, "RegionCode": "XX"}),
        (
            "CreateReportRequest",
            {"SellerId": SELLER_ID, "RegionCode": "EU", "ReportType": "GET_X", "MarketplaceIds": []},
        ),
        (
            "CreateReportRequest",
            {"SellerId": "lowercase", "RegionCode": "EU", "ReportType": "GET_X", "MarketplaceIds": "A1"},
        ),
    ],
)
def test_the_document_rejects_bodies_the_api_rejects(document, schema, body):
    with pytest.raises(jsonschema.ValidationError):
        schema_validator(document, schema).validate(body)


def test_the_seed_request_forms_are_documented(document):
    # The reference's request bodies: marketplaces as a comma-separated string, options as a JSON string.
    schema_validator(document, "CreateReportRequest").validate(
        {
            "SellerId": SELLER_ID,
            "RegionCode": "EU",
            "ReportType": "GET_MERCHANT_LISTINGS_ALL_DATA",
            "MarketplaceIds": "A1F83G8C2ARO7P",
            "ReportDataStartTime": "2024-05-01T00:00:00Z",
            "ReportDataEndTime": "2024-05-02T00:00:00Z",
            "ReportOptions": '{"BrowseNodeId": "1"}',
        }
    )


@pytest.mark.parametrize(
    "charset",
    [
        StoredCharset("Windows-31J", "Windows-31J", "windows-31j", False),
        StoredCharset("UTF-8", "Windows-31J", "windows-31j", False, transcoded=True, replacements=0),
        StoredCharset("UTF-8", "windows-1252", None, True, "the download names no charset", transcoded=True),
        StoredCharset(None, None, "KOI8-R", False, "charset 'KOI8-R' is unknown"),
    ],
)
def test_the_status_answer_charset_is_documented(document, charset):
    # What GET /reports/{reportId} answers (sp_reports.handlers.report_status: StoredCharset.describe()).
    body = {"reportId": "1", "status": "DONE", "charset": charset.describe()}
    validate_against(document, response_schema(document, "get", "/reports/{reportId}", 200), body)


def test_an_undocumented_charset_field_is_refused(document):
    body = {"reportId": "1", "status": "DONE", "charset": {"assumed": False, "guessed": "utf-8"}}
    with pytest.raises(jsonschema.ValidationError):
        validate_against(document, response_schema(document, "get", "/reports/{reportId}", 200), body)


def test_plan_requests_the_client_sends_and_the_answers_match_the_document(fake_api, document):
    client = SpReportsClient(fake_api.base_url, REGION)
    fake_api.tokens[SELLER_ID] = REFRESH_TOKEN
    plan = client.create_plan(
        SELLER_ID, ["A1F83G8C2ARO7P"], "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL", "daily",
        "2026-01-01", look_back_days=[1, 7], report_options={"dateGranularity": "DAY"},
    )  # fmt: skip
    client.update_plan(plan.plan_id, paused=True)
    client.update_plan(plan.plan_id, cadence="daily", look_back_days=[1, 7, 14])

    schemas = {("POST", "/v1/plans"): "PlanRequest", ("PATCH", f"/v1/plans/{plan.plan_id}"): "PlanUpdate"}
    sent = [request for request in fake_api.requests if (request.method, request.path) in schemas]
    assert len(sent) == 3
    for request in sent:
        schema_validator(document, schemas[request.method, request.path]).validate(request.json())

    validate_against(document, response_schema(document, "post", "/plans", 201), dict(plan.raw))
    listing = fake_api.answer("GET", "/plans", None).body
    validate_against(document, response_schema(document, "get", "/plans", 200), listing)
    from sp_reports.pipeline.pull_ledger import LedgerEntry, WindowState
    from sp_reports.pipeline.pull_windows import Window

    stamp = "2026-01-05T00:00:00Z"
    window = Window.from_key("2026-01-04T00:00:00Z/2026-01-05T00:00:00Z/A1F83G8C2ARO7P")
    fake_api.ledger[plan.plan_id] = [
        LedgerEntry(
            plan.plan_id,
            window,
            1,
            WindowState.STORED,
            "501",
            1,
            None,
            None,
            "plans/v001/r.tsv",
            stamp,
            stamp,
        ),
        LedgerEntry(
            plan.plan_id, window, 2, WindowState.FAILED, "502", 1, "FATAL", stamp, None, stamp, stamp
        ),
    ]
    coverage = client.plan_coverage(plan.plan_id, "2026-01-01", "2026-01-31")
    assert [w["versions"] for w in coverage["windows"] if w["versions"]]
    validate_against(
        document, response_schema(document, "get", "/plans/{planId}/coverage", 200), dict(coverage)
    )
    deleted = fake_api.answer("DELETE", f"/plans/{plan.plan_id}", None).body
    validate_against(document, response_schema(document, "delete", "/plans/{planId}", 200), deleted)
    after = client.plan_coverage(plan.plan_id, "2026-01-01", "2026-01-31")
    assert after["deleted"] is True
    validate_against(document, response_schema(document, "get", "/plans/{planId}/coverage", 200), dict(after))


def test_every_coverage_status_is_documented(document):
    from sp_reports.pipeline.pull_coverage import STATUS_OF_STATE

    documented = set(document["components"]["schemas"]["WindowStatus"]["enum"])
    assert set(STATUS_OF_STATE.values()) | {"not-yet-due", "waiting-for-data"} == documented
    states = set(document["components"]["schemas"]["WindowVersion"]["properties"]["state"]["enum"])
    assert states == {str(state) for state in STATUS_OF_STATE}


@pytest.mark.parametrize(
    ("schema", "body"),
    [
        ("PlanRequest", {"sellerId": SELLER_ID, "marketplaceIds": ["A1F83G8C2ARO7P"], "reportType": "GET_X"}),
        (
            "PlanRequest",
            {"sellerId": SELLER_ID, "marketplaceIds": "A1", "reportType": "GET_X", "cadence": "daily"},
        ),
        ("PlanUpdate", {}),
        ("PlanUpdate", {"paused": "yes"}),
        ("PlanUpdate", {"lookBackDays": [0]}),
    ],
)
def test_the_document_rejects_plan_bodies_the_api_rejects(document, schema, body):
    with pytest.raises(jsonschema.ValidationError):
        schema_validator(document, schema).validate(body)


def test_a_discover_plan_its_request_and_its_coverage_match_the_document(fake_api, document):
    from sp_reports.pipeline.pull_ledger import LedgerEntry, WindowState
    from sp_reports.pipeline.pull_windows import Window

    client = SpReportsClient(fake_api.base_url, REGION)
    fake_api.tokens[SELLER_ID] = REFRESH_TOKEN
    plan = client.create_plan(
        SELLER_ID, ["A1F83G8C2ARO7P"], "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2", None, "2026-01-01",
        mode="discover",
    )  # fmt: skip

    (sent,) = [
        request for request in fake_api.requests if (request.method, request.path) == ("POST", "/v1/plans")
    ]
    assert "cadence" not in sent.json()
    schema_validator(document, "PlanRequest").validate(sent.json())
    assert plan.raw["mode"] == "discover" and plan.raw["cadence"] is None
    validate_against(document, response_schema(document, "post", "/plans", 201), dict(plan.raw))
    window = Window.from_key("2026-01-03T08:24:51Z/2026-01-17T08:24:51Z/A1F83G8C2ARO7P")
    stamp = "2026-01-17T10:04:30Z"
    fake_api.ledger[plan.plan_id] = [
        LedgerEntry(
            plan.plan_id, window, 1, WindowState.REQUESTED, "501", 1, None, None, None, stamp, stamp,
            report_created_at=stamp,
        )
    ]  # fmt: skip
    coverage = client.plan_coverage(plan.plan_id, "2026-01-10", "2026-01-31")
    # SP-API drops the document 30 days after the report is created (the catalogue's documentRetentionDays).
    assert [w["expiresAt"] for w in coverage["windows"]] == ["2026-02-16T10:04:30Z"]
    validate_against(
        document, response_schema(document, "get", "/plans/{planId}/coverage", 200), dict(coverage)
    )
