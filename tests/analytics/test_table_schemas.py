"""The analytics tables as data: the packaged file is valid and cited, every rule of the loader refuses the
case it is for, and the curated keys and Glue columns are the ones the converter and Terraform share."""

from __future__ import annotations

import copy
import hashlib
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from importlib import resources
from typing import Any

import pytest

from sp_reports.analytics.table_schemas import (
    CURATED_PREFIX,
    MARKETPLACE_PARTITION_VALUES,
    PARTITION_KEYS,
    SCHEMA_SOURCES,
    SCHEMAS_FILE,
    SCHEMAS_VERSION,
    STAGING_PREFIX,
    TABLE_SCHEMAS,
    TRAILING_COLUMNS,
    TableSchemaError,
    curated_key,
    curated_seller_prefix,
    flatten_json_key,
    glue_columns,
    is_valid_type,
    load_schemas,
    marketplaces_digest,
    normalize_header,
    parse_schemas,
    schemas_for_report_type,
    snake_case,
)
from sp_reports.spapi.regions import REGIONS
from sp_reports.spapi.report_types import report_type
from sp_reports_harness.repository import REPO_ROOT

ANALYTICS_DOC = REPO_ROOT / "docs" / "analytics.md"
BY_ORDER_DATE = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"
BY_LAST_UPDATE = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"
DE = "A1PA6795UKMFR9"
FR = "A13V1IB3VIYZZH"
START = datetime(2026, 11, 30, tzinfo=UTC)
END = datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC)


def _valid_document() -> dict[str, Any]:
    return {
        "version": "2026-12-08.1",
        "description": "test tables",
        "sources": {"src": {"url": "https://example.com/report", "facts": "docs/analytics.md#all-orders"}},
        "tables": {
            "orders": {
                "description": "orders",
                "reportTypes": [BY_ORDER_DATE],
                "format": "tsv",
                "sources": ["src"],
                "naturalKey": ["order_id"],
                "latestBy": "updated",
                "columns": [
                    {"name": "order_id", "header": "order-id", "type": "string", "required": True},
                    {"name": "updated", "header": "last-updated-date", "type": "timestamp", "required": True},
                    {"name": "currency", "header": "currency", "type": "string"},
                    {
                        "name": "price",
                        "header": "item-price",
                        "aliases": ["Artikelpreis"],
                        "type": "decimal(18,2)",
                        "currencyColumn": "currency",
                    },
                ],
            }
        },
    }


def _table(document: dict[str, Any]) -> dict[str, Any]:
    return document["tables"]["orders"]


def _column(document: dict[str, Any], index: int) -> dict[str, Any]:
    return _table(document)["columns"][index]


# (rule, how to break it, what the error says)
BROKEN_DOCUMENTS = [
    ("version is YYYY-MM-DD.N", lambda d: d.update(version="7"), "version"),
    ("sources are https", lambda d: d["sources"]["src"].update(url="http://example.com"), "https URL"),
    (
        "facts are a section of docs/analytics.md",
        lambda d: d["sources"]["src"].update(facts="docs/spapi-notes.md#charsets"),
        "docs/analytics.md#<anchor>",
    ),
    ("source fields are known", lambda d: d["sources"]["src"].update(note="x"), "unknown fields"),
    ("the file lists tables", lambda d: d.update(tables={}), "no tables"),
    ("table names are snake_case", lambda d: d.update(tables={"AllOrders": _table(d)}), "snake_case"),
    ("table names have no double '_'", lambda d: d.update(tables={"all__orders": _table(d)}), "snake_case"),
    ("table fields are known", lambda d: _table(d).update(naturalkey=["order_id"]), "unknown fields"),
    ("a table has a description", lambda d: _table(d).update(description=" "), "description"),
    ("a table has report types", lambda d: _table(d).update(reportTypes=[]), "reportTypes is empty"),
    (
        "report types are in the catalogue",
        lambda d: _table(d).update(reportTypes=["GET_NO_SUCH_REPORT"]),
        "not in the report-type catalogue",
    ),
    ("format is tsv or json", lambda d: _table(d).update(format="xml"), "format"),
    ("a json table has rowsPath", lambda d: _table(d).update(format="json"), "rowsPath"),
    ("only a json table has rowsPath", lambda d: _table(d).update(rowsPath="rows"), "json tables only"),
    ("a table cites sources", lambda d: _table(d).update(sources=[]), "sources is empty"),
    ("cited sources exist", lambda d: _table(d).update(sources=["nowhere"]), "not in the file's sources"),
    ("a table has columns", lambda d: _table(d).update(columns=[]), "columns"),
    ("column names are snake_case", lambda d: _column(d, 2).update(name="Currency"), "snake_case"),
    ("column names are unique", lambda d: _column(d, 2).update(name="order_id"), "appears twice"),
    ("trailing column names are reserved", lambda d: _column(d, 2).update(name="extra"), "trailing"),
    ("partition key names are reserved", lambda d: _column(d, 2).update(name="seller_id"), "partition"),
    ("column fields are known", lambda d: _column(d, 3).update(currency="currency"), "unknown fields"),
    ("a column has a header", lambda d: _column(d, 2).update(header=""), "header"),
    (
        "headers are unique, case and spaces aside",
        lambda d: _column(d, 2).update(header=" Order-ID "),
        "already column 'order_id'",
    ),
    (
        "aliases are not another column's header",
        lambda d: _column(d, 2).update(aliases=["ITEM-PRICE"]),
        "already",
    ),
    ("aliases are not empty", lambda d: _column(d, 2).update(aliases=[" "]), "alias is empty"),
    ("types are Athena's", lambda d: _column(d, 2).update(type="varchar"), "not an Athena type"),
    ("decimal precision is at most 38", lambda d: _column(d, 3).update(type="decimal(39,2)"), "Athena type"),
    (
        "decimal scale is at most its precision",
        lambda d: _column(d, 3).update(type="decimal(2,3)"),
        "Athena type",
    ),
    ("required is a boolean", lambda d: _column(d, 2).update(required="yes"), "required"),
    ("currencyColumn is for money", lambda d: _column(d, 1).update(currencyColumn="currency"), "decimal"),
    ("currencyColumn names a column", lambda d: _column(d, 3).update(currencyColumn="ccy"), "not a column"),
    (
        "currencyColumn is a string column",
        lambda d: _column(d, 3).update(currencyColumn="updated"),
        "not a string",
    ),
    ("naturalKey names columns", lambda d: _table(d).update(naturalKey=["order"]), "not a column"),
    (
        "naturalKey columns are required",
        lambda d: _table(d).update(naturalKey=["currency"]),
        "must be required",
    ),
    ("naturalKey has no repeats", lambda d: _table(d).update(naturalKey=["order_id"] * 2), "twice"),
    ("latestBy needs a naturalKey", lambda d: _table(d).update(naturalKey=[]), "needs a naturalKey"),
    ("latestBy names a column", lambda d: _table(d).update(latestBy="changed"), "not a column"),
    (
        "latestBy is not part of the key",
        lambda d: _table(d).update(latestBy="order_id"),
        "part of the naturalKey",
    ),
    ("latestBy orders versions", lambda d: _table(d).update(latestBy="currency"), "not one of"),
]


def test_a_valid_document_loads_with_its_columns_in_order():
    schemas = parse_schemas(_valid_document())
    orders = schemas.tables["orders"]
    assert orders.column_names == ("order_id", "updated", "currency", "price")
    assert orders.column("price").currency_column == "currency"
    assert orders.header_index()["artikelpreis"].name == "price"


@pytest.mark.parametrize(
    ("rule", "breaks", "message"), BROKEN_DOCUMENTS, ids=[case[0] for case in BROKEN_DOCUMENTS]
)
def test_each_rule_refuses_a_document_that_breaks_it(rule, breaks, message):
    document = copy.deepcopy(_valid_document())
    breaks(document)
    with pytest.raises(TableSchemaError, match=re.escape(message)):
        parse_schemas(document)


def test_a_key_repeated_in_one_object_is_refused_rather_than_the_last_one_kept():
    text = json.dumps(_valid_document())
    repeated = text.replace('"format": "tsv"', '"format": "tsv", "format": "json"')
    with pytest.raises(TableSchemaError, match="appears twice"):
        load_schemas(repeated)


@pytest.mark.parametrize(
    ("type_name", "valid"),
    [
        ("string", True),
        ("bigint", True),
        ("double", True),
        ("boolean", True),
        ("date", True),
        ("timestamp", True),
        ("decimal(18,2)", True),
        ("decimal(38,38)", True),
        ("decimal(1,0)", True),
        ("decimal(0,0)", False),
        ("decimal(18, 2)", False),
        ("int", False),
        ("DECIMAL(18,2)", False),
        ("map<string,string>", False),
    ],
)
def test_column_types_are_the_athena_grammar(type_name, valid):
    assert is_valid_type(type_name) is valid


def test_the_packaged_file_loads_every_table_cites_sources_with_sections_in_docs_analytics():
    text = resources.files("sp_reports.analytics").joinpath(SCHEMAS_FILE).read_text(encoding="utf-8")
    assert json.loads(text)["version"] == SCHEMAS_VERSION
    anchors = _doc_anchors()
    for source in SCHEMA_SOURCES.values():
        assert source.facts.partition("#")[2] in anchors, source
    for table in TABLE_SCHEMAS.values():
        assert table.sources and all(key in SCHEMA_SOURCES for key in table.sources), table.name
        for name in table.report_types:
            rules = report_type(name)
            assert rules is not None and rules.format == table.format, (table.name, name)


def test_docs_analytics_lists_every_table_with_its_report_types_column_count_and_key():
    rows = re.findall(r"^\| \[(\w+)\]\(#([\w-]+)\) \| ([^|]+) \| (\d+) \| ([^|]+) \|$", _doc(), re.MULTILINE)
    anchors = _doc_anchors()
    listed = {}
    for name, anchor, report_types, count, key in rows:
        assert anchor in anchors, name
        listed[name] = (set(re.findall(r"GET_\w+", report_types)), int(count), key.strip())
    expected = {}
    for table in TABLE_SCHEMAS.values():
        key = ", ".join(table.natural_key) or "none"
        if table.latest_by:
            key += f" ({table.latest_by})"
        expected[table.name] = (set(table.report_types), len(table.columns), key)
    assert listed == expected


def _doc() -> str:
    return ANALYTICS_DOC.read_text(encoding="utf-8")


def _doc_anchors() -> set[str]:
    return set(re.findall(r'<a id="([^"]+)"></a>', _doc()))


def test_all_orders_has_both_all_orders_reports_with_typed_money_and_its_latest_version_key():
    (by_order_date,) = schemas_for_report_type(BY_ORDER_DATE)
    (by_last_update,) = schemas_for_report_type(BY_LAST_UPDATE)
    assert by_order_date is by_last_update is TABLE_SCHEMAS["all_orders"]
    table = TABLE_SCHEMAS["all_orders"]
    assert table.natural_key == ("amazon_order_id",)
    assert table.latest_by == "last_updated_date"
    assert table.column("item_price").type == "decimal(18,2)"
    assert table.column("item_price").currency_column == "currency"
    assert table.column("quantity").type == "bigint"
    assert table.column("purchase_date").type == "timestamp"
    assert table.column("is_business_order").type == "boolean"
    assert table.header_index()["amazon-order-id"].name == "amazon_order_id"
    assert table.header_index()[normalize_header(" AMAZON-ORDER-ID\r")].name == "amazon_order_id"


def test_a_report_type_without_a_schema_gives_no_table():
    assert schemas_for_report_type("GET_XML_BROWSE_TREE_DATA") == ()
    assert schemas_for_report_type("GET_SOME_REPORT_SP_API_ADDS_TOMORROW") == ()


def test_glue_columns_are_the_schema_columns_then_the_trailing_ones():
    columns = glue_columns("all_orders")
    table = TABLE_SCHEMAS["all_orders"]
    assert columns[: len(table.columns)] == [(c.name, c.type) for c in table.columns]
    assert columns[len(table.columns) :] == list(TRAILING_COLUMNS)
    assert [name for name, _ in TRAILING_COLUMNS] == [
        "extra",
        "report_id",
        "source_row",
        "data_start",
        "data_end",
    ]
    assert glue_columns(table) == columns
    partition_names = {name for name, _ in PARTITION_KEYS}
    assert partition_names == {"marketplace", "dt", "seller_id"}
    assert not partition_names & {name for name, _ in columns}


def test_marketplace_partition_values_are_every_known_marketplace_and_multiple():
    known = {mid for region in REGIONS.values() for mid in region.marketplace_ids}
    assert set(MARKETPLACE_PARTITION_VALUES) == known | {"multiple"}
    assert len(MARKETPLACE_PARTITION_VALUES) == len(known) + 1


def _key(**overrides: Any) -> str:
    arguments: dict[str, Any] = {
        "seller_id": "A2SELLER",
        "report_type": BY_ORDER_DATE,
        "marketplace_ids": (DE,),
        "data_start": START,
        "data_end": END,
        "report_id": "54517018502",
    }
    arguments.update(overrides)
    return curated_key("all_orders", **arguments)


def test_a_windowed_report_is_keyed_by_its_range_so_a_re_pull_overwrites_its_file():
    key = _key()
    assert key == (
        "curated/all_orders/seller_id=A2SELLER/marketplace=A1PA6795UKMFR9/dt=2026-11-30/"
        "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL_20261130T000000Z_20261130T235959Z.parquet"
    )
    assert key.startswith(CURATED_PREFIX) and not key.startswith(STAGING_PREFIX)
    assert _key(report_id="99999999999") == key


def test_times_in_another_zone_are_keyed_in_utc():
    tokyo = timezone(timedelta(hours=9))
    key = _key(
        data_start=datetime(2026, 12, 1, 8, 0, tzinfo=tokyo), data_end=datetime(2026, 12, 2, 8, tzinfo=tokyo)
    )
    assert "/dt=2026-11-30/" in key
    assert key.endswith("_20261130T230000Z_20261201T230000Z.parquet")


def test_a_report_without_a_range_is_keyed_by_its_id_and_dated_by_its_creation():
    created = datetime(2026, 12, 3, 1, 2, 3, tzinfo=UTC)
    key = _key(data_start=None, data_end=None, created=created)
    assert key.endswith(
        "/dt=2026-12-03/GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL_54517018502.parquet"
    )
    assert "/dt=2026-11-30/" in _key(data_end=None, created=created)


def test_several_marketplaces_share_the_multiple_partition_and_one_repeated_id_is_one():
    assert "/marketplace=multiple/" in _key(marketplace_ids=(DE, FR))
    assert "/marketplace=A1PA6795UKMFR9/" in _key(marketplace_ids=[DE, DE])
    assert _key(marketplace_ids=[DE, DE]) == _key()


def test_reports_of_different_marketplace_sets_keep_a_file_each_and_the_order_does_not_count():
    us, ca, mx = "ATVPDKIKX0DER", "A2EUQ1WTGCTBG2", "A1AM78C64UM0Y8"
    us_ca, us_mx = _key(marketplace_ids=(us, ca)), _key(marketplace_ids=(us, mx))

    assert us_ca != us_mx
    assert _key(marketplace_ids=(ca, us, ca)) == us_ca
    digest = marketplaces_digest((us, ca))
    assert digest == hashlib.sha256(f"{ca},{us}".encode()).hexdigest()[:12]
    assert us_ca.endswith(f"_20261130T000000Z_20261130T235959Z_{digest}.parquet")
    created = datetime(2026, 12, 3, tzinfo=UTC)
    assert _key(marketplace_ids=(us, ca), data_start=None, data_end=None, created=created).endswith(
        f"_54517018502_{digest}.parquet"
    )


def test_a_sellers_files_of_a_table_share_one_prefix():
    prefix = curated_seller_prefix("all_orders", "A2SELLER")
    assert prefix == "curated/all_orders/seller_id=A2SELLER/"
    assert _key().startswith(prefix) and _key(marketplace_ids=(DE, FR)).startswith(prefix)
    with pytest.raises(ValueError, match="seller_id"):
        curated_seller_prefix("all_orders", "../A2SELLER")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"seller_id": "../other"}, "seller_id"),
        ({"seller_id": ".."}, "seller_id"),
        ({"report_type": "GET/ORDERS"}, "report_type"),
        ({"report_id": "1/2", "data_start": None, "created": START}, "report_id"),
        ({"marketplace_ids": ()}, "marketplace ids"),
        ({"marketplace_ids": ("multiple",)}, "not one of SP-API's"),
        ({"marketplace_ids": ("A1NOTAMARKETPLACE",)}, "not one of SP-API's"),
        ({"data_start": None, "data_end": None}, "created"),
        ({"data_start": datetime(2026, 11, 30)}, "no time zone"),
    ],
)
def test_a_bad_key_segment_or_time_raises_value_error(overrides, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        _key(**overrides)


def test_a_bad_table_name_raises_value_error():
    with pytest.raises(ValueError, match="table"):
        curated_key(
            "../all_orders",
            seller_id="A2SELLER",
            report_type=BY_ORDER_DATE,
            marketplace_ids=(DE,),
            data_start=START,
            data_end=END,
            report_id="1",
        )


@pytest.mark.parametrize(
    ("path", "header"),
    [
        (["date"], "date"),
        (["salesByDate", "orderedProductSales", "amount"], "sales_by_date_ordered_product_sales_amount"),
        (["salesByAsin", "unitsOrderedB2B"], "sales_by_asin_units_ordered_b2b"),
        (["parentAsin"], "parent_asin"),
        (["trafficByAsin", "buyBoxPercentage"], "traffic_by_asin_buy_box_percentage"),
    ],
)
def test_json_headers_are_the_key_path_snake_cased_and_joined(path, header):
    assert flatten_json_key(path) == header
    assert snake_case("already_snake") == "already_snake"


def test_sales_and_traffic_fills_a_by_date_and_a_by_asin_table_from_its_two_arrays():
    by_date, by_asin = schemas_for_report_type("GET_SALES_AND_TRAFFIC_REPORT")
    assert (by_date.name, by_date.rows_path) == ("sales_and_traffic_by_date", "salesAndTrafficByDate")
    assert (by_asin.name, by_asin.rows_path) == ("sales_and_traffic_by_asin", "salesAndTrafficByAsin")
    sales = by_date.header_index()[flatten_json_key(["salesByDate", "orderedProductSales", "amount"])]
    assert (sales.name, sales.type, sales.currency_column) == (
        "ordered_product_sales",
        "decimal(18,2)",
        "ordered_product_sales_currency",
    )
    currency = by_date.header_index()[
        flatten_json_key(["salesByDate", "orderedProductSales", "currencyCode"])
    ]
    assert currency.name == "ordered_product_sales_currency"
    assert by_date.column("date").type == "date"
    assert by_asin.header_index()[flatten_json_key(["trafficByAsin", "mobilePageViews"])].name == (
        "mobile_app_page_views"
    )
    assert by_asin.column("units_ordered").type == "bigint"
    assert by_asin.column("buy_box_percentage").type == "double"


def test_json_table_headers_are_flattened_key_paths():
    for table in TABLE_SCHEMAS.values():
        if table.format != "json":
            continue
        for column in table.columns:
            for header in (column.header, *column.aliases):
                assert re.fullmatch(r"[a-z0-9]+(?:_[a-z0-9]+)*", header), (table.name, header)


def test_localized_headers_a_source_shows_are_aliases():
    listings = TABLE_SCHEMAS["merchant_listings"].header_index()
    assert listings[normalize_header("卖家 SKU")].name == "seller_sku"
    assert listings[normalize_header("开售日期")].name == "open_date"
    # A header the document repeats for several columns is no alias (jlevers/selling-partner-api#525).
    assert normalize_header("不适用项目") not in listings
    assert normalize_header("商品编码") not in listings


def test_every_money_column_is_decimal_and_every_currency_column_holds_a_code():
    for table in TABLE_SCHEMAS.values():
        for column in table.columns:
            if column.currency_column is not None:
                assert column.type.startswith("decimal("), (table.name, column.name)
                assert table.column(column.currency_column).type == "string", (table.name, column.name)


# The columns Amazon's report attributes pages list, in their order (developer-docs
# order-tracking-reports-attributes, fba-inventory-reports-attributes, inventory-reports-attributes,
# fba-customer-concessions-reports-attributes, settlement-reports-attributes,
# fba-payments-reports-attributes): copied here by hand, so a schema that drifts from Amazon's lists fails
# rather than agreeing with itself.
_ALL_ORDERS_BY_LAST_UPDATE = [
    "amazon-order-id",
    "merchant-order-id",
    "purchase-date",
    "last-updated-date",
    "order-status",
    "fulfillment-channel",
    "sales-channel",
    "order-channel",
    "ship-service-level",
    "product-name",
    "sku",
    "asin",
    "item-status",
    "quantity",
    "currency",
    "item-price",
    "item-tax",
    "shipping-price",
    "shipping-tax",
    "gift-wrap-price",
    "gift-wrap-tax",
    "item-promotion-discount",
    "ship-promotion-discount",
    "ship-city",
    "ship-state",
    "ship-postal-code",
    "ship-country",
    "promotion-ids",
    "is-business-order",
    "purchase-order-number",
    "price-designation",
]
AMAZON_ATTRIBUTES = {
    BY_LAST_UPDATE: _ALL_ORDERS_BY_LAST_UPDATE,
    BY_ORDER_DATE: [*_ALL_ORDERS_BY_LAST_UPDATE[:28], "cpf", *_ALL_ORDERS_BY_LAST_UPDATE[28:]],
    # The page's list as far as the sources quote it (docs/analytics.md#fba-inventory); Airbyte's schema adds
    # three more, which the table keeps.
    "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA": [
        "sku",
        "fnsku",
        "asin",
        "product-name",
        "condition",
        "your-price",
        "mfn-listing-exists",
        "mfn-fulfillable-quantity",
        "afn-listing-exists",
        "afn-warehouse-quantity",
        "afn-fulfillable-quantity",
        "afn-unsellable-quantity",
        "afn-reserved-quantity",
        "afn-total-quantity",
        "per-unit-volume",
        "afn-inbound-working-quantity",
        "afn-inbound-shipped-quantity",
        "afn-inbound-receiving-quantity",
    ],
    "GET_MERCHANT_LISTINGS_ALL_DATA": [
        "item-name",
        "item-description",
        "listing-id",
        "seller-sku",
        "price",
        "quantity",
        "open-date",
        "image-url",
        "item-is-marketplace",
        "product-id-type",
        "zshop-shipping-fee",
        "item-note",
        "item-condition",
        "zshop-category1",
        "zshop-browse-path",
        "zshop-storefront-feature",
        "asin1",
        "asin2",
        "asin3",
        "will-ship-internationally",
        "expedited-shipping",
        "zshop-boldface",
        "product-id",
        "bid-for-featured-placement",
        "add-delete",
        "pending-quantity",
        "fulfillment-channel",
        "merchant-shipping-group",
        "status",
    ],
    "GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA": [
        "return-date",
        "order-id",
        "sku",
        "asin",
        "fnsku",
        "product-name",
        "quantity",
        "fulfillment-center-id",
        "detailed-disposition",
        "reason",
        "status",
        "license-plate-number",
        "customer-comments",
    ],
    # Amazon's page ends with quantity-purchased; the files end with promotion-id as well (docs/analytics.md).
    "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2": [
        "settlement-id",
        "settlement-start-date",
        "settlement-end-date",
        "deposit-date",
        "total-amount",
        "currency",
        "transaction-type",
        "order-id",
        "merchant-order-id",
        "adjustment-id",
        "shipment-id",
        "marketplace-name",
        "amount-type",
        "amount-description",
        "amount",
        "fulfillment-id",
        "posted-date",
        "posted-date-time",
        "order-item-code",
        "merchant-order-item-id",
        "merchant-adjustment-item-id",
        "sku",
        "quantity-purchased",
    ],
    "GET_FBA_REIMBURSEMENTS_DATA": [
        "approval-date",
        "reimbursement-id",
        "case-id",
        "amazon-order-id",
        "reason",
        "sku",
        "fnsku",
        "asin",
        "product-name",
        "condition",
        "currency-unit",
        "amount-per-unit",
        "amount-total",
        "quantity-reimbursed-cash",
        "quantity-reimbursed-inventory",
        "quantity-reimbursed-total",
        "original-reimbursement-id",
        "original-reimbursement-type",
    ],
}
# Columns a table keeps beyond Amazon's list for the type, each with its reason in docs/analytics.md.
BEYOND_AMAZONS_LIST = {
    BY_LAST_UPDATE: ["cpf"],  # the same table holds the report by order date
    "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA": [
        "afn-researching-quantity",
        "afn-reserved-future-supply",
        "afn-future-supply-buyable",
    ],
    "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2": ["promotion-id"],
}


@pytest.mark.parametrize("report_type", sorted(AMAZON_ATTRIBUTES))
def test_flat_file_headers_are_the_columns_amazons_attributes_pages_list_in_order(report_type):
    (table,) = schemas_for_report_type(report_type)
    headers = [column.header for column in table.columns]
    beyond = BEYOND_AMAZONS_LIST.get(report_type, [])
    assert [header for header in headers if header not in beyond] == AMAZON_ATTRIBUTES[report_type]
    assert set(beyond) <= set(headers)
