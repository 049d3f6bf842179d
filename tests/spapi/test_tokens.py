"""Tokens API client and restricted report documents, against the emulator (tokens_2021-03-01.json, §10)."""

from __future__ import annotations

import json
import logging

import pytest

from sp_reports.spapi.documents import iter_report_document
from sp_reports.spapi.errors import SpApiClientError, redact
from sp_reports.spapi.ratelimit import OPERATION_RATES, OperationRate
from sp_reports.spapi.tokens import RestrictedResource, TokensClient
from tests.support.canaries import assert_no_secrets
from tests.support.spapi_exchanges import spapi_exchanges

RESTRICTED = "GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING"
DOCUMENT = b"order-id\trecipient-name\tship-address-1\n123-1234567-1234567\tJane Doe\t1 Main St\n"


def _restricted_document(reports, spapi_emulator) -> str:
    report_id = reports.create_report(RESTRICTED, ["ATVPDKIKX0DER"])
    spapi_emulator.finish_report(report_id, "DONE", DOCUMENT)
    return reports.get_report(report_id)["reportDocumentId"]


def test_create_restricted_data_token_sends_the_model_body_with_the_sellers_token(http, lwa, spapi_emulator):
    from tests.support.canaries import REFRESH_TOKEN

    tokens = TokensClient(http, lwa.seller_token_provider(REFRESH_TOKEN))
    path = "/reports/2021-06-30/documents/amzn1.spdoc.1.4.na.x"
    rdt = tokens.create_restricted_data_token([RestrictedResource("GET", path)])
    assert rdt.token.startswith("Atz.sprdt|") and rdt.expires_in == 3600
    assert rdt.token not in repr(rdt) and "Atz" not in repr(tokens)
    (exchange,) = spapi_exchanges(spapi_emulator, "createRestrictedDataToken")
    assert json.loads(exchange.request_body) == {"restrictedResources": [{"method": "GET", "path": path}]}


def test_the_tokens_api_has_its_own_documented_rate_bucket():
    assert OPERATION_RATES["createRestrictedDataToken"] == OperationRate(1.0, 10)


@pytest.mark.parametrize(
    "resources",
    [
        [],
        [RestrictedResource("PATCH", "/x")],
        [RestrictedResource("GET", "x")],
        [RestrictedResource("GET", "/x")] * 51,
    ],
)
def test_bad_restricted_resources_fail_before_any_call(http, lwa, spapi_emulator, resources):
    from tests.support.canaries import REFRESH_TOKEN

    with pytest.raises(ValueError):
        TokensClient(http, lwa.seller_token_provider(REFRESH_TOKEN)).create_restricted_data_token(resources)
    assert not spapi_exchanges(spapi_emulator, "createRestrictedDataToken")


def test_a_restricted_document_is_fetched_with_an_rdt_for_its_exact_path(reports, spapi_emulator, caplog):
    caplog.set_level(logging.DEBUG)
    document_id = _restricted_document(reports, spapi_emulator)

    assert b"".join(iter_report_document(reports.with_restricted_documents(), document_id)) == DOCUMENT

    (rdt_call,) = spapi_exchanges(spapi_emulator, "createRestrictedDataToken")
    assert json.loads(rdt_call.request_body)["restrictedResources"] == [
        {"method": "GET", "path": f"/reports/2021-06-30/documents/{document_id}"}
    ]
    assert [e.status for e in spapi_exchanges(spapi_emulator, "getReportDocument")] == [200]
    assert_no_secrets(caplog.text)


def test_without_an_rdt_a_restricted_document_is_refused_403(reports, spapi_emulator):
    document_id = _restricted_document(reports, spapi_emulator)
    with pytest.raises(SpApiClientError) as refused:
        list(iter_report_document(reports, document_id))
    assert (refused.value.status, refused.value.code) == (403, "Unauthorized")


def test_a_restricted_data_token_is_redacted_from_any_text():
    token = "Atz.sprdt|IQEBLjAsAhRmHjNgHpi0U-Dme37rR6CuUpSR"
    assert token not in redact(f"x-amz-access-token: {token}")
    assert "IQEBLjAsAhRm" not in str(SpApiClientError(403, "Unauthorized", f"bad token {token}"))


def test_an_answer_holding_an_rdt_does_not_show_it_in_its_repr():
    from sp_reports.spapi.http import SpApiResponse

    token = "Atz.sprdt|IQEBLjAsAhRmHjNgHpi0U-Dme37rR6CuUpSR"
    answer = SpApiResponse(200, {"restrictedDataToken": token, "expiresIn": 3600}, {}, "req-1")
    assert token not in repr(answer)
