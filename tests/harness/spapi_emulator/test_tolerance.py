"""What SP-API lets pass that the models do not declare: answered as SP-API answers, recorded as tolerated,
and still a contract violation of whoever sent it (spapi_emulator.contract.TOLERATED and its sources)."""

from __future__ import annotations

import pytest

from spapi_emulator import SpApiEmulator
from tests.support.emulator_api import Api, grantless_token, seller_token

REPORTS = "/reports/2021-06-30/reports"
SUBSCRIPTIONS = "/notifications/v1/subscriptions/REPORT_PROCESSING_FINISHED"
RDT = "/tokens/2021-03-01/restrictedDataToken"


def _tolerance_cases(seller: Api, report_id: str) -> list[tuple[str, str, str, dict, int, str | None]]:
    """(case, method, path, request kwargs, SP-API's status, the tolerated deviation or None)."""
    return [
        # Amazon's SDK: a `{}` body on every DELETE (cancelReport).
        (
            "{} on cancelReport",
            "DELETE",
            f"{REPORTS}/{report_id}",
            {"json": {}},
            200,
            "takes no request body",
        ),
        # python-amazon-sp-api: MarketplaceId(s) on every GET.
        (
            "MarketplaceId on getReport",
            "GET",
            f"{REPORTS}/{report_id}",
            {"params": {"MarketplaceId": "ATVPDKIKX0DER", "marketplaceIds": "ATVPDKIKX0DER"}},
            200,
            "query parameter MarketplaceId is not declared",
        ),
        # Not tolerated: a body that is more than `{}` on an operation that takes none.
        ("a real body on getReport", "GET", f"{REPORTS}/{report_id}", {"json": {"x": 1}}, 400, None),
        # Not tolerated: a declared parameter with a wrong value.
        (
            "pageSize 0 on getReports",
            "GET",
            REPORTS,
            {"params": {"reportTypes": "GET_MERCHANT_LISTINGS_ALL_DATA", "pageSize": "0"}},
            400,
            None,
        ),
    ]


@pytest.mark.allow_contract_violations  # every case deviates from the models on purpose
@pytest.mark.parametrize("index", range(4))
def test_sp_apis_tolerated_deviations_are_answered_and_recorded_and_still_violations(
    spapi_emulator: SpApiEmulator, seller: Api, index: int
):
    report_id = seller.create_report()
    case, method, path, kwargs, status, deviation = _tolerance_cases(seller, report_id)[index]

    response = seller.call(method, path, **kwargs)

    assert response.status_code == status, (case, response.text)
    tolerated = spapi_emulator.tolerated_deviations
    violations = spapi_emulator.contract_violations()
    if deviation is None:
        assert tolerated == []
    else:
        assert len(tolerated) == 1 and deviation in tolerated[0], tolerated
        # Our own client gets no tolerance: the same request is a contract violation.
        assert any(deviation in violation for violation in violations), violations


@pytest.mark.allow_contract_violations  # the SDK's `{}` body on deleteSubscriptionById
def test_delete_subscription_by_id_takes_a_grantless_token_or_the_sellers_own(spapi_emulator: SpApiEmulator):
    grantless = Api(spapi_emulator, grantless_token(spapi_emulator))
    seller = Api(spapi_emulator, seller_token(spapi_emulator))
    destination_id = grantless.create_destination()
    subscription_id = seller.subscribe(destination_id).json()["payload"]["subscriptionId"]

    # Another seller's token (a second seller of the same application) may not delete it.
    spapi_emulator.register_seller("Atzr|CANARY-second-seller", "A2SECONDSELLER1")
    other = Api(spapi_emulator, seller_token(spapi_emulator, "Atzr|CANARY-second-seller"))
    assert other.call("DELETE", f"{SUBSCRIPTIONS}/{subscription_id}", json={}).status_code == 404
    # The seller's own token may (python-amazon-sp-api#1738), as may a grantless one (the model).
    assert seller.call("DELETE", f"{SUBSCRIPTIONS}/{subscription_id}", json={}).status_code == 200
    subscription_id = seller.subscribe(destination_id).json()["payload"]["subscriptionId"]
    assert grantless.call("DELETE", f"{SUBSCRIPTIONS}/{subscription_id}").status_code == 200


def test_a_throttled_restricted_data_token_request_carries_no_rate_limit_header(
    spapi_emulator: SpApiEmulator, seller: Api
):
    # tokens_2021-03-01.json, 429: "the rate limit header is deprecated and no longer returned".
    spapi_emulator.set_rate("createRestrictedDataToken", rate=0.001, burst=1)
    body = {"restrictedResources": [{"method": "GET", "path": f"{REPORTS}/1"}]}
    answers = [seller.call("POST", RDT, json=body) for _ in range(2)]

    assert [answer.status_code for answer in answers] == [200, 429]
    assert "x-amzn-RateLimit-Limit" in answers[0].headers
    assert "x-amzn-RateLimit-Limit" not in answers[1].headers
    assert spapi_emulator.contract_violations() == []
