"""The report-type catalogue (src/sp_reports/spapi/report_types.json): the documented entries, as a table.

Each row is a fact of docs/spapi-notes.md (#restricted-data-tokens, #report-type-rules) with the source
the catalogue cites for it; a row that disagrees with the data file fails, so a change to the catalogue is a
change to this table too.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from importlib import resources
from pathlib import Path

import pytest

from sp_reports.spapi.report_types import (
    CATALOGUE_FILE,
    PeriodAlignment,
    RequestMode,
    catalogue,
    report_type,
    restricted_report_types,
)

NOTES = Path(__file__).resolve().parents[2] / "docs" / "spapi-notes.md"
RTV = "https://github.com/amzn/selling-partner-api-docs/blob/085b721c74ab55dcc0af5d84bd942b9496bdbc69/references/reports-api/reporttype-values.md"

# docs/spapi-notes.md#restricted-data-tokens: the 16 restricted report types (tokens API use case guide).
RESTRICTED = {
    "GET_AMAZON_FULFILLED_SHIPMENTS_DATA_INVOICING",
    "GET_AMAZON_FULFILLED_SHIPMENTS_DATA_TAX",
    "GET_FLAT_FILE_ACTIONABLE_ORDER_DATA_SHIPPING",
    "GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING",
    "GET_FLAT_FILE_ORDER_REPORT_DATA_INVOICING",
    "GET_FLAT_FILE_ORDER_REPORT_DATA_TAX",
    "GET_FLAT_FILE_ORDERS_RECONCILIATION_DATA_TAX",
    "GET_FLAT_FILE_ORDERS_RECONCILIATION_DATA_INVOICING",
    "GET_FLAT_FILE_ORDERS_RECONCILIATION_DATA_SHIPPING",
    "GET_ORDER_REPORT_DATA_INVOICING",
    "GET_ORDER_REPORT_DATA_TAX",
    "GET_ORDER_REPORT_DATA_SHIPPING",
    "GET_EASYSHIP_DOCUMENTS",
    "GET_GST_MTR_B2B_CUSTOM",
    "GET_VAT_TRANSACTION_DATA",
    "SC_VAT_TAX_REPORT",
}

# (report type, attribute, expected value, a URL the entry must cite for it)
DOCUMENTED = [
    # returns reports: "You can request up to 60 days of data in a single report."
    ("GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE", "max_range", timedelta(days=60), RTV),
    ("GET_XML_RETURNS_DATA_BY_RETURN_DATE", "max_range", timedelta(days=60), RTV),
    ("GET_CSV_MFN_PRIME_RETURNS_REPORT", "max_range", timedelta(days=60), RTV),
    # FBA shipments: "up to one month of data in a single report" (read as 30 days)
    ("GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL", "max_range", timedelta(days=30), RTV),
    # near real-time FBA reports once every 30 minutes, daily ones every 4 hours (FATAL sooner: models#4032)
    ("GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA", "cooldown", timedelta(minutes=30), RTV),
    ("GET_AFN_INVENTORY_DATA", "cooldown", timedelta(minutes=30), RTV),
    ("GET_FBA_REIMBURSEMENTS_DATA", "cooldown", timedelta(hours=4), RTV),
    ("GET_FBA_INVENTORY_AGED_DATA", "cooldown", timedelta(hours=4), RTV),
    (
        "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA",
        "cooldown",
        timedelta(minutes=30),
        "https://github.com/amzn/selling-partner-api-models/issues/4032",
    ),
    # the four "All Orders" reports are not subject to the 30-minute limit
    ("GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL", "cooldown", None, RTV),
    # "Please do not request a report more than once per 24 hour period"
    ("GET_REFERRAL_FEE_PREVIEW_REPORT", "cooldown", timedelta(hours=24), RTV),
    # several marketplaceIds silently return one marketplace's data
    (
        "GET_MERCHANT_LISTINGS_ALL_DATA",
        "single_marketplace",
        True,
        "https://github.com/amzn/selling-partner-api-models/issues/1998",
    ),
    (
        "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA",
        "single_marketplace",
        True,
        "https://github.com/amzn/selling-partner-api-models/issues/1998",
    ),
    (
        "GET_XML_RETURNS_DATA_BY_RETURN_DATE",
        "single_marketplace",
        True,
        "https://github.com/amzn/selling-partner-api-models/issues/2567",
    ),
    (
        "GET_RESERVED_INVENTORY_DATA",
        "single_marketplace",
        True,
        "https://github.com/amzn/selling-partner-api-models/issues/2775",
    ),
    # settlement reports "cannot be requested or scheduled. They are automatically scheduled by Amazon."
    (
        "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2",
        "request_mode",
        RequestMode.AMAZON_GENERATED,
        "https://github.com/amzn/selling-partner-api-docs/issues/1633",
    ),
    ("GET_V2_SETTLEMENT_REPORT_DATA_XML", "request_mode", RequestMode.AMAZON_GENERATED, RTV),
    ("GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE", "request_mode", RequestMode.AMAZON_GENERATED, RTV),
    # Sales Tax Report: generated from the Tax Document Library in Seller Central
    ("GET_FLAT_FILE_SALES_TAX_DATA", "request_mode", RequestMode.SELLER_CENTRAL_GENERATED, RTV),
    # scheduled XML order reports: "Can be scheduled." only
    ("GET_ORDER_REPORT_DATA_SHIPPING", "request_mode", RequestMode.SCHEDULED_ONLY, RTV),
    ("GET_MERCHANT_LISTINGS_ALL_DATA", "request_mode", RequestMode.REQUESTABLE, RTV),
    # vendor NPPM: data 168 hours after the period ends
    (
        "GET_VENDOR_NET_PURE_PRODUCT_MARGIN_REPORT",
        "data_lag",
        timedelta(hours=168),
        "https://github.com/amzn/selling-partner-api-docs/blob/83b77ee/references/reports-api/reporttype-values.md",
    ),
    # order reports: orders less than two years old, fulfillable up to 30 minutes after the order
    (
        "GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING",
        "data_history",
        timedelta(days=730),
        "https://developer-docs.amazon.com/sp-api/docs/report-type-values-order",
    ),
    (
        "GET_ORDER_REPORT_DATA_TAX",
        "publication_delay",
        timedelta(minutes=30),
        "https://developer-docs.amazon.com/sp-api/docs/report-type-values-order",
    ),
    # sales and traffic: pull a DAY 72 hours after it ends (Amazon in docs#2303); requests are not refused
    (
        "GET_SALES_AND_TRAFFIC_REPORT",
        "publication_delay",
        timedelta(hours=72),
        "https://github.com/amzn/selling-partner-api-docs/issues/2303",
    ),
    (
        "GET_SALES_AND_TRAFFIC_REPORT",
        "data_lag",
        None,
        "https://github.com/amzn/selling-partner-api-docs/issues/2303",
    ),
    # vendor sales and traffic: refused as "not yet available" until 72 hours after a day (docs#3107)
    (
        "GET_VENDOR_SALES_REPORT",
        "data_lag",
        timedelta(hours=72),
        "https://github.com/amzn/selling-partner-api-docs/issues/3107",
    ),
    (
        "GET_VENDOR_SALES_REPORT",
        "data_lag",
        timedelta(hours=72),
        "https://github.com/airbytehq/airbyte/issues/37729",
    ),
    (
        "GET_VENDOR_TRAFFIC_REPORT",
        "data_lag",
        timedelta(hours=72),
        "https://github.com/airbytehq/airbyte/issues/38166",
    ),
    # format and content type
    ("GET_EASYSHIP_DOCUMENTS", "content_type", "application/pdf", RTV),
    ("SC_VAT_TAX_REPORT", "content_type", "text/csv", RTV),
    ("GET_V2_SETTLEMENT_REPORT_DATA_XML", "content_type", "application/xml", RTV),
    ("FEE_DISCOUNTS_REPORT", "format", "xlsx", RTV),
    ("GET_MERCHANT_LISTINGS_ALL_DATA", "content_type", "text/tab-separated-values", RTV),
    # document retention: at most 30 days since 2024-05-30
    (
        "GET_MERCHANT_LISTINGS_ALL_DATA",
        "document_retention_days",
        30,
        "https://developer-docs.amazon.com/sp-api/changelog/report-document-retention-policy-is-changing-to-a-maximum-of-30-days",
    ),
]


@pytest.mark.parametrize(("name", "attribute", "expected", "url"), DOCUMENTED)
def test_documented_entry(name, attribute, expected, url):
    rules = report_type(name)
    assert rules is not None, f"{name} is not in the catalogue"
    assert getattr(rules, attribute) == expected
    if attribute != "document_retention_days":
        assert url in {source.url for source in rules.sources}, f"{name} does not cite {url}"


def test_exactly_the_sixteen_restricted_types_of_the_tokens_guide_are_restricted():
    assert restricted_report_types() == RESTRICTED
    for name in RESTRICTED:
        assert any("tokens-api-use-case-guide" in source.url for source in report_type(name).sources)


def test_vendor_margin_report_limits_follow_its_report_period():
    rules = report_type("GET_VENDOR_NET_PURE_PRODUCT_MARGIN_REPORT")
    assert rules.effective_max_range({"reportPeriod": "DAY"}) == timedelta(days=15)
    assert rules.period_rule({"reportPeriod": "WEEK"}).alignment is PeriodAlignment.SUNDAY_TO_SATURDAY
    assert rules.effective_max_range({"reportPeriod": "WEEK"}) is None


def test_the_hold_back_is_the_longer_of_the_data_lag_and_the_publication_delay():
    assert report_type("GET_VENDOR_NET_PURE_PRODUCT_MARGIN_REPORT").hold_back == timedelta(hours=168)
    assert report_type("GET_SALES_AND_TRAFFIC_REPORT").hold_back == timedelta(hours=72)
    assert report_type("GET_FLAT_FILE_ORDER_REPORT_DATA_TAX").hold_back == timedelta(minutes=30)
    assert report_type("GET_MERCHANT_LISTINGS_ALL_DATA").hold_back == timedelta(0)


def test_a_type_the_catalogue_does_not_know_is_passed_through_as_none():
    assert report_type("GET_SOME_REPORT_SP_API_ADDS_TOMORROW") is None


def test_types_that_cannot_be_requested_say_how_to_get_them():
    for rules in catalogue().report_types.values():
        assert rules.requestable == (rules.how_to_get is None), rules.name


def test_every_entry_cites_a_source_with_its_facts_section_and_the_file_is_versioned():
    document = json.loads(
        resources.files("sp_reports.spapi").joinpath(CATALOGUE_FILE).read_text(encoding="utf-8")
    )
    assert document["version"] == catalogue().version
    anchors = _notes_anchors()
    for rules in catalogue().report_types.values():
        assert rules.sources, rules.name
        for source in rules.sources:
            assert source.url.startswith("https://"), (rules.name, source.key)
            notes, _, anchor = source.facts.partition("#")
            assert notes == "docs/spapi-notes.md", (rules.name, source.key, source.facts)
            assert anchor in anchors, (rules.name, source.key, source.facts)


def _notes_anchors() -> set[str]:
    """The section anchors (`<a id="...">`) of docs/spapi-notes.md, where the catalogue's facts live."""
    return set(re.findall(r'<a id="([^"]+)"></a>', NOTES.read_text(encoding="utf-8")))
