"""The contract checker rejects what the official models do not allow and accepts what they do."""

from __future__ import annotations

import json
import shutil

import pytest

from spapi_emulator import ContractViolation, ModelContract, ModelsNotFoundError

REPORTS = "/reports/2021-06-30/reports"
HEADERS = {"x-amzn-RequestId": "0f1e", "x-amzn-RateLimit-Limit": "2"}
VALID_REPORT = {
    "reportId": "1",
    "reportType": "GET_MERCHANT_LISTINGS_ALL_DATA",
    "createdTime": "2024-05-02T10:15:42.118Z",
    "processingStatus": "DONE",
}


def _violation(call, *args) -> str:
    with pytest.raises(ContractViolation) as caught:
        call(*args)
    return str(caught.value)


def test_match_returns_operation_and_path_parameters(contract: ModelContract):
    matched = contract.match("GET", "/notifications/v1/subscriptions/REPORT_PROCESSING_FINISHED/sub-1")

    assert matched.operation_id == "getSubscriptionById"
    assert matched.path_params == {
        "notificationType": "REPORT_PROCESSING_FINISHED",
        "subscriptionId": "sub-1",
    }


def test_match_prefers_literal_segments_over_parameters(contract: ModelContract):
    matched = contract.match(
        "POST", "/notifications/v1/subscriptions/REPORT_PROCESSING_FINISHED/testNotification"
    )

    assert matched.operation_id == "sendTestNotification"


def test_unknown_path_is_a_violation(contract: ModelContract):
    message = _violation(contract.validate_request, "GET", "/reports/2021-06-30/nothing", {}, None)

    assert "/reports/2021-06-30/nothing" in message
    assert "not part of the SP-API models" in message


def test_undeclared_method_is_a_violation_naming_the_allowed_ones(contract: ModelContract):
    message = _violation(contract.validate_request, "PUT", REPORTS, {}, None)

    assert "PUT" in message
    assert "GET, POST" in message


def test_enum_violation_names_parameter_and_value(contract: ModelContract):
    message = _violation(
        contract.validate_request,
        "GET",
        REPORTS,
        {"reportTypes": "X", "processingStatuses": "DONE,FINISHED"},
        None,
    )

    assert "processingStatuses" in message
    assert "'FINISHED'" in message


def test_required_query_parameter_missing_is_a_violation(contract: ModelContract):
    message = _violation(contract.validate_request, "GET", "/notifications/v1/subscriptions", {}, None)

    assert "notificationTypes" in message
    assert "required" in message


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ({"reportTypes": ",".join(f"T{i}" for i in range(11))}, "at most 10"),
        ({"reportTypes": "X", "pageSize": "0"}, ">= 1"),
        ({"reportTypes": "X", "pageSize": "101"}, "<= 100"),
        ({"reportTypes": "X", "pageSize": "ten"}, "must be an integer"),
        ({"reportTypes": "X", "createdSince": "yesterday"}, "date-time"),
        ({"reportType": "X"}, "reportType is not declared"),
    ],
)
def test_query_parameter_rules_are_enforced(contract: ModelContract, query, fragment):
    assert fragment in _violation(contract.validate_request, "GET", REPORTS, query, None)


def test_repeated_and_comma_separated_arrays_are_both_accepted(contract: ModelContract):
    contract.validate_request("GET", REPORTS, {"reportTypes": ["A", "B"], "marketplaceIds": "X,Y"}, None)


def test_boolean_query_parameter_must_be_true_or_false(contract: ModelContract):
    path = "/reports/2021-06-30/documents/doc-1"
    contract.validate_request("GET", path, {"enableContentEncodingUrlHeader": "true"}, None)

    message = _violation(
        contract.validate_request, "GET", path, {"enableContentEncodingUrlHeader": "yes"}, None
    )
    assert "true or false" in message


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"reportType": "X", "marketplaceIds": []}, "marketplaceIds"),
        ({"reportType": "X"}, "'marketplaceIds' is a required property"),
        ({"reportType": 7, "marketplaceIds": ["A"]}, "reportType: 7 is not of type 'string'"),
        ({"reportType": "X", "marketplaceIds": ["A"], "dataStartTime": "last week"}, "dataStartTime"),
        ({"reportType": "X", "marketplaceIds": ["A"] * 26}, "marketplaceIds"),
        ({"reportType": "X", "marketplaceIds": ["A"], "reportOptions": {"k": 1}}, "reportOptions.k"),
    ],
)
def test_request_body_is_checked_against_its_definition(contract: ModelContract, body, fragment):
    message = _violation(contract.validate_request, "POST", REPORTS, {}, json.dumps(body).encode())

    assert message.startswith("createReport: request body")
    assert fragment in message


def test_nested_refs_are_resolved_in_request_bodies(contract: ModelContract):
    body = {"name": "n", "resourceSpecification": {"sqs": {"arn": "not-an-arn"}}}

    message = _violation(contract.validate_request, "POST", "/notifications/v1/destinations", {}, body)

    assert "resourceSpecification.sqs.arn" in message


def test_missing_required_body_and_non_json_body_are_violations(contract: ModelContract):
    assert "body is required" in _violation(contract.validate_request, "POST", REPORTS, {}, None)
    assert "not JSON" in _violation(contract.validate_request, "POST", REPORTS, {}, b"{nope")
    assert "takes no request body" in _violation(contract.validate_request, "GET", REPORTS + "/1", {}, b"{}")


def test_valid_request_passes_and_returns_the_match(contract: ModelContract):
    body = {
        "reportType": "X",
        "marketplaceIds": ["ATVPDKIKX0DER"],
        "dataStartTime": "2024-03-10T20:11:24.000Z",
    }

    matched = contract.validate_request("POST", REPORTS, None, json.dumps(body))

    assert matched.operation_id == "createReport"


def test_undeclared_response_status_is_a_violation(contract: ModelContract):
    message = _violation(contract.validate_response, "POST", REPORTS, 200, {"reportId": "1"}, HEADERS)

    assert "status 200 is not declared" in message
    assert "202" in message


def test_response_body_is_checked_against_its_schema(contract: ModelContract):
    bad = {**VALID_REPORT, "processingStatus": "FINISHED"}

    message = _violation(contract.validate_response, "GET", REPORTS + "/1", 200, bad, HEADERS)

    assert "processingStatus" in message
    contract.validate_response("GET", REPORTS + "/1", 200, VALID_REPORT, HEADERS)


def test_response_lacking_a_declared_header_is_a_violation(contract: ModelContract):
    message = _violation(
        contract.validate_response, "GET", REPORTS + "/1", 200, VALID_REPORT, {"x-amzn-RequestId": "1"}
    )

    assert "x-amzn-RateLimit-Limit" in message


def test_response_without_schema_must_have_no_body(contract: ModelContract):
    contract.validate_response("DELETE", REPORTS + "/1", 200, b"", HEADERS)

    assert "declares no body" in _violation(
        contract.validate_response, "DELETE", REPORTS + "/1", 200, b'{"ok":1}', HEADERS
    )


def test_error_list_shapes_differ_per_model(contract: ModelContract):
    errors = {"errors": [{"code": "InvalidInput", "message": "bad"}]}
    contract.validate_response("GET", REPORTS + "/1", 400, errors, HEADERS)
    contract.validate_response("GET", "/notifications/v1/destinations", 400, errors, HEADERS)

    message = _violation(
        contract.validate_response, "GET", REPORTS + "/1", 400, {"errors": [{"code": "X"}]}, HEADERS
    )
    assert "'message' is a required property" in message


def _notification(**finished) -> dict:
    return {
        "notificationVersion": "2020-09-04",
        "notificationType": "REPORT_PROCESSING_FINISHED",
        "payloadVersion": "2020-09-04",
        "eventTime": "2024-05-02T10:15:42.118Z",
        "payload": {
            "reportProcessingFinishedNotification": {
                "sellerId": "A3TH9S8BH6GOGM",
                "accountId": "amzn1.merchant.o.A3TH9S8BH6GOGM",
                "reportId": "54517018502",
                "reportType": "GET_MERCHANT_LISTINGS_ALL_DATA",
                "processingStatus": "DONE",
                **finished,
            }
        },
        "notificationMetadata": {
            "applicationId": "amzn1.sellerapps.app.aacccfff-4455-4b7c-4422-664ecacdd336",
            "subscriptionId": "7fcacc7e-727b-11e9-8848-1681be663d3e",
            "publishTime": "2024-05-02T10:15:42.284Z",
            "notificationId": "d0e9e693-c3ad-4373-979f-ed4ec98dd746",
        },
    }


def test_notification_in_the_documented_shape_is_valid(contract: ModelContract):
    contract.validate_notification(_notification(reportDocumentId="amzn1.tortuga.3.x"))


@pytest.mark.parametrize("status", ["IN_PROGRESS", "done"])
def test_notification_with_a_non_terminal_status_is_rejected(contract: ModelContract, status):
    assert "processingStatus" in _violation(
        contract.validate_notification, _notification(processingStatus=status)
    )


def test_pascal_case_notification_is_rejected(contract: ModelContract):
    message = _notification()
    pascal = {"NotificationVersion": message.pop("notificationVersion"), **message}

    assert "notificationVersion" in _violation(contract.validate_notification, pascal)


def test_missing_models_directory_names_make_models(tmp_path):
    with pytest.raises(ModelsNotFoundError) as caught:
        ModelContract.load(tmp_path)

    assert "make models" in str(caught.value)
    assert str(tmp_path) in str(caught.value)


def test_models_dir_comes_from_the_environment(tmp_path, monkeypatch, models_dir):
    from spapi_emulator.contract import default_models_dir

    for name in (
        "reports_2021-06-30.json",
        "notifications.json",
        "ReportProcessingFinishedNotification.json",
        "tokens_2021-03-01.json",
    ):
        shutil.copy(models_dir / name, tmp_path / name)
    monkeypatch.setenv("SPAPI_MODELS_DIR", str(tmp_path))

    assert default_models_dir() == tmp_path
    assert ModelContract.load().match("GET", REPORTS + "/1").operation_id == "getReport"
