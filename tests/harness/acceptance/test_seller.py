"""The real seller of a ``make acceptance`` run, from the environment: all or nothing, refused with what to
set, never printed."""

from __future__ import annotations

import pytest

from sp_reports_harness.acceptance.seller import (
    DEFAULT_REPORT_TIMEOUT_SECONDS,
    LWA_CLIENT_ID_ENV,
    LWA_CLIENT_SECRET_ENV,
    MARKETPLACE_ID_ENV,
    REFRESH_TOKEN_ENV,
    REPORT_TIMEOUT_ENV,
    REPORT_TYPE_ENV,
    REQUIRED_ENV,
    SELLER_ID_ENV,
    SellerRefused,
    real_seller_from_env,
)

COMPLETE = {
    LWA_CLIENT_ID_ENV: "amzn1.application-oa2-client.0123",
    LWA_CLIENT_SECRET_ENV: "amzn1.oa2-cs.v1.secret-value",
    REFRESH_TOKEN_ENV: "Atzr|refresh-token-value",
    SELLER_ID_ENV: "A2SELLER0001",
    MARKETPLACE_ID_ENV: "ATVPDKIKX0DER",
}


def test_no_seller_settings_mean_the_emulator():
    assert real_seller_from_env({"PATH": "/bin", REPORT_TYPE_ENV: "GET_MERCHANT_LISTINGS_DATA"}) is None


def test_a_complete_seller_gets_the_marketplaces_region_and_the_cheap_defaults():
    found = real_seller_from_env(COMPLETE)

    assert found is not None
    seller = found.seller
    assert (seller.seller_id, seller.refresh_token, seller.marketplace_id) == (
        "A2SELLER0001",
        "Atzr|refresh-token-value",
        "ATVPDKIKX0DER",
    )
    assert seller.region_code == "NA"  # the US marketplace's SP-API region
    assert seller.report_type == "GET_MERCHANT_LISTINGS_ALL_DATA"
    assert seller.report_timeout == DEFAULT_REPORT_TIMEOUT_SECONDS
    assert found.app.client_id == "amzn1.application-oa2-client.0123"
    shown = repr(found) + found.summary()
    assert "secret-value" not in shown and "refresh-token-value" not in shown


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        ({SELLER_ID_ENV: ""}, f"missing: {SELLER_ID_ENV}"),
        (
            {REFRESH_TOKEN_ENV: " ", LWA_CLIENT_SECRET_ENV: ""},
            f"missing: {LWA_CLIENT_SECRET_ENV}, {REFRESH_TOKEN_ENV}",
        ),
        ({MARKETPLACE_ID_ENV: "US"}, "is not a marketplace id of SP-API"),
        ({REPORT_TYPE_ENV: "GET_NO_SUCH_REPORT"}, "is not a report type createReport accepts"),
        ({REPORT_TYPE_ENV: "GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING"}, "is restricted"),
        ({REPORT_TIMEOUT_ENV: "ten minutes"}, "give seconds between 60 and 14400"),
        ({REPORT_TIMEOUT_ENV: "5"}, "give seconds between 60 and 14400"),
    ],
)
def test_an_incomplete_or_unusable_seller_is_refused_with_what_to_set(change, refusal):
    with pytest.raises(SellerRefused, match=refusal.replace("|", r"\|")) as refused:
        real_seller_from_env({**COMPLETE, **change})

    assert "secret-value" not in str(refused.value) and "refresh-token-value" not in str(refused.value)


def test_every_required_setting_is_named_when_one_is_missing():
    with pytest.raises(SellerRefused) as refused:
        real_seller_from_env({LWA_CLIENT_ID_ENV: "amzn1.application-oa2-client.0123"})

    assert all(name in str(refused.value) for name in REQUIRED_ENV)


def test_a_report_type_and_timeout_may_be_chosen():
    found = real_seller_from_env(
        {**COMPLETE, REPORT_TYPE_ENV: "GET_MERCHANT_LISTINGS_DATA", REPORT_TIMEOUT_ENV: "600"}
    )

    assert found is not None
    assert (found.seller.report_type, found.seller.report_timeout) == ("GET_MERCHANT_LISTINGS_DATA", 600.0)
