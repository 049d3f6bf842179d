"""Synthetic documents for the report types the analytics tables describe, as SP-API would write them.

A report of a type `sp_reports.analytics.table_schemas` lists gets a document that follows from the report
alone (its id, seller, type, marketplace, data range and options), so a test can predict it:
- a tab-separated report's header is its table's columns' `header`s, in the schema's order; the sales and
  traffic report is JSON shaped as Amazon's report schema (sellerSalesAndTrafficReport.json in
  selling-partner-api-models), with camelCase keys whose flattening gives the schema's headers;
- the seller has a few products (SKU, ASIN, FNSKU, name, price) derived from its id; orders, returns,
  reimbursements and sales fall inside the report's data range (or the day before its creation when it has
  none), snapshots (inventory, listings) list the products;
- values are written as the marketplace writes them: its currency (and JPY without minor digits), its
  charset (document_charsets: the item names carry the marketplace's sample), a decimal comma for the
  German marketplace and, in its settlement report, dates as `14.03.2023 07:49:55 UTC`
  (abuzuhri/Amazon-SP-API-CSharp#571 shows a DE settlement file with `1141,18` and such dates; the stricter
  reading extends the decimal comma to the marketplace's other flat files, since a report may mix both
  styles: abuzuhri/Amazon-SP-API-CSharp#706); listings' open-date in a local zone (`2021-08-15 20:35:17 PDT`,
  jlevers/selling-partner-api#525);
- localized headers where a source shows them: a listings report requested with reportOptions
  `preferredReportDocumentLocale` zh_* (models#5303: the option sets the headers' locale) has the Chinese
  headers jlevers/selling-partner-api#525 shows, repeated "不适用项目" included, when the marketplace's
  charset can hold them; one report in four of sales and traffic spells traffic fields as the examples of
  Amazon's report schema do (`browerPageViews`, `mobilePageViews...`).

What the emulator decides: the products, quantities and prices, fulfillment centers and reason codes are
made up; there is no thousands separator in any amount (no source shows one in a flat file).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sp_reports.analytics.table_schemas import TableSchema, schemas_for_report_type
from sp_reports.spapi.regions import REGIONS
from spapi_emulator import state as st
from spapi_emulator.document_charsets import served_charset

PRODUCTS_PER_SELLER = 5
MAX_DAYS = 31  # a longer range is sampled: at most this many days of it carry rows
_DAY = timedelta(days=1)
_SECOND = timedelta(seconds=1)

_CURRENCIES = {
    "US": "USD", "CA": "CAD", "MX": "MXN", "BR": "BRL", "UK": "GBP", "IE": "EUR", "DE": "EUR", "FR": "EUR",
    "IT": "EUR", "ES": "EUR", "NL": "EUR", "BE": "EUR", "SE": "SEK", "PL": "PLN", "TR": "TRY", "EG": "EGP",
    "SA": "SAR", "AE": "AED", "IN": "INR", "ZA": "ZAR", "JP": "JPY", "AU": "AUD", "SG": "SGD",
}  # fmt: skip
_NO_MINOR_DIGITS = frozenset({"JPY"})  # ISO 4217: the yen has no minor unit
_DECIMAL_COMMA = frozenset({REGIONS["EU"].marketplaces["DE"]})  # abuzuhri/Amazon-SP-API-CSharp#571
_PACIFIC_TIME = frozenset(REGIONS["NA"].marketplaces[country] for country in ("US", "CA", "MX"))
_FULFILLMENT_CENTERS = {
    "NA": ("LEX1", "PHX6", "ONT8"),
    "EU": ("FRA3", "LEJ1", "BHX4"),
    "FE": ("NRT5", "SYD1"),
}
_ALPHANUMERIC = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
_NOT_APPLICABLE = "不适用项目"
# The Chinese headers of jlevers/selling-partner-api#525 that are no schema alias (they repeat or equal one).
_CHINESE_HEADERS = {"listing_id": "商品编码", "product_id": "商品编码", "asin1": "ASIN1"}


@dataclass(frozen=True)
class Style:
    """How one marketplace writes a document."""

    marketplace_id: str
    region: str
    codec: str
    item_name: str
    currency: str
    decimal_comma: bool

    def money(self, amount: Decimal) -> str:
        digits = Decimal(1) if self.currency in _NO_MINOR_DIGITS else Decimal("0.01")
        return self.number(amount.quantize(digits, rounding=ROUND_HALF_UP))

    def number(self, value: Decimal) -> str:
        text = str(value)
        return text.replace(".", ",") if self.decimal_comma else text

    def json_money(self, amount: Decimal) -> dict[str, Any]:
        if self.currency in _NO_MINOR_DIGITS:
            return {
                "amount": int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP)),
                "currencyCode": self.currency,
            }
        return {"amount": round(float(amount), 2), "currencyCode": self.currency}


@dataclass(frozen=True)
class Product:
    sku: str
    asin: str
    parent_asin: str
    fnsku: str
    name: str
    price: Decimal


@dataclass(frozen=True)
class Order:
    order_id: str
    purchased: datetime
    updated: datetime
    product: Product
    quantity: int


@dataclass(frozen=True)
class DocumentRequest:
    """What a document follows from."""

    report: st.Report
    style: Style
    start: datetime
    end: datetime

    @property
    def options(self) -> dict[str, str]:
        return dict(self.report.report_options or {})

    def rng(self, *salt: object) -> random.Random:
        return random.Random(":".join(map(str, (self.report.report_id, *salt))))


def schema_document(report: st.Report) -> bytes | None:
    """The document of `report` when its type has analytics tables; None: the type has none."""
    writer = _WRITERS.get(report.report_type)
    if writer is None or not schemas_for_report_type(report.report_type):
        return None
    request = _request(report)
    return writer(request, schemas_for_report_type(report.report_type)).encode(request.style.codec)


def style_of(report: st.Report) -> Style:
    marketplace_id = report.marketplace_ids[0] if report.marketplace_ids else REGIONS["NA"].marketplaces["US"]
    region, country = next(
        (code, country)
        for code, region in REGIONS.items()
        for country, mid in region.marketplaces.items()
        if mid == marketplace_id
    )
    served = served_charset(report.report_type, report.marketplace_ids)
    return Style(
        marketplace_id=marketplace_id,
        region=region,
        codec=served.codec,
        item_name=served.sample,
        currency=_CURRENCIES.get(country, "USD"),
        decimal_comma=marketplace_id in _DECIMAL_COMMA,
    )


def seller_products(seller_id: str, style: Style) -> list[Product]:
    """The seller's products: the same SKUs and ASINs in every report, priced in the marketplace's
    currency."""
    rng = random.Random(f"products:{seller_id}")
    products = []
    for index in range(PRODUCTS_PER_SELLER):
        cents = rng.randrange(199, 12999)
        price = Decimal(cents) if style.currency in _NO_MINOR_DIGITS else Decimal(cents) / 100
        asin = "B0" + "".join(rng.choice(_ALPHANUMERIC) for _ in range(8))
        products.append(
            Product(
                sku=f"SKU-{rng.randrange(16**6):06X}-{index + 1}",
                asin=asin,
                parent_asin=products[0].asin if index % 2 and products else asin,
                fnsku="X00" + "".join(rng.choice(_ALPHANUMERIC) for _ in range(7)),
                name=f"{style.item_name} {index + 1}",
                price=price,
            )
        )
    return products


def _request(report: st.Report) -> DocumentRequest:
    created = report.created.astimezone(UTC)
    end = _parse(report.data_end_time) if report.data_end_time else created
    start = _parse(report.data_start_time) if report.data_start_time else end - _DAY + _SECOND
    return DocumentRequest(report, style_of(report), start, max(start, end))


def _parse(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _days(request: DocumentRequest) -> list[date]:
    first, last = request.start.date(), request.end.date()
    days = [first + _DAY * offset for offset in range((last - first).days + 1)]
    step = max(1, -(-len(days) // MAX_DAYS))
    return days[::step]


def _moment_in(request: DocumentRequest, day: date, rng: random.Random) -> datetime:
    """A time of `day` inside the report's range."""
    low = max(request.start, datetime.combine(day, time(), UTC))
    high = min(request.end, datetime.combine(day, time(23, 59, 59), UTC))
    return low + timedelta(seconds=rng.randrange(int((high - low).total_seconds()) + 1))


def _orders(request: DocumentRequest, *, by_update: bool = False) -> Iterator[Order]:
    products = seller_products(request.report.seller_id, request.style)
    for day in _days(request):
        rng = request.rng("orders", day)
        for _ in range(rng.randrange(1, 4)):
            moment = _moment_in(request, day, rng)
            later = moment + timedelta(minutes=rng.randrange(5, 600))
            purchased, updated = (moment - (later - moment), moment) if by_update else (moment, later)
            yield Order(
                order_id=_order_id(rng),
                purchased=purchased,
                updated=updated,
                product=rng.choice(products),
                quantity=rng.choice((1, 1, 1, 2, 3)),
            )


def _order_id(rng: random.Random) -> str:
    """An Amazon order id: 3-7-7 digits."""
    return f"{rng.randrange(100, 1000)}-{rng.randrange(10**7):07d}-{rng.randrange(10**7):07d}"


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _tsv(
    table: TableSchema,
    rows: list[dict[str, str]],
    headers: list[str] | None = None,
    omit: frozenset[str] = frozenset(),
) -> str:
    """The flat file: the table's columns in order (less `omit`, columns the report type does not write)."""
    columns = [column for column in table.columns if column.name not in omit]
    names = [column.name for column in columns]
    header = headers or [column.header for column in columns]
    lines = ["\t".join(header)]
    lines += ["\t".join(row.get(name, "") for name in names) for row in rows]
    return "\n".join(lines) + "\n"


# -- the flat files ------------------------------------------------------------------------------------


def _all_orders(request: DocumentRequest, tables: tuple[TableSchema, ...]) -> str:
    style = request.style
    by_update = request.report.report_type.endswith("_BY_LAST_UPDATE_GENERAL")
    rows = []
    for order in _orders(request, by_update=by_update):
        rng = request.rng("order", order.order_id)
        price = order.product.price * order.quantity
        shipped = order.updated <= request.end and rng.random() < 0.7
        rows.append(
            {
                "amazon_order_id": order.order_id,
                "merchant_order_id": "",
                "purchase_date": _timestamp(order.purchased),
                "last_updated_date": _timestamp(order.updated),
                "order_status": "Shipped" if shipped else "Pending",
                "fulfillment_channel": "Amazon",
                "sales_channel": "Amazon." + _domain(style),
                "order_channel": "",
                "ship_service_level": rng.choice(("Standard", "Expedited")),
                "product_name": order.product.name,
                "sku": order.product.sku,
                "asin": order.product.asin,
                "item_status": "Shipped" if shipped else "Unshipped",
                "quantity": str(order.quantity),
                "currency": style.currency,
                "item_price": style.money(price),
                "item_tax": style.money(price * Decimal("0.19")),
                "shipping_price": style.money(Decimal(0)),
                "shipping_tax": style.money(Decimal(0)),
                "gift_wrap_price": "",
                "gift_wrap_tax": "",
                "item_promotion_discount": style.money(Decimal(0)),
                "ship_promotion_discount": style.money(Decimal(0)),
                "ship_city": "",
                "ship_state": "",
                "ship_postal_code": f"{rng.randrange(10000, 99999)}",
                "ship_country": _country(style),
                "promotion_ids": "",
                "cpf": "",
                "is_business_order": "true" if rng.random() < 0.2 else "false",
                "purchase_order_number": "",
                "price_designation": "",
            }
        )
    # Amazon lists cpf for the report by order date only (developer-docs order-tracking-reports-attributes).
    return _tsv(tables[0], rows, omit=frozenset({"cpf"}) if by_update else frozenset())


def _fba_inventory(request: DocumentRequest, tables: tuple[TableSchema, ...]) -> str:
    style, rows = request.style, []
    for product in seller_products(request.report.seller_id, style):
        rng = request.rng("inventory", product.sku)
        fulfillable, unsellable, reserved = rng.randrange(0, 400), rng.randrange(0, 5), rng.randrange(0, 20)
        inbound = rng.randrange(0, 50)
        rows.append(
            {
                "sku": product.sku,
                "fnsku": product.fnsku,
                "asin": product.asin,
                "product_name": product.name,
                "condition": "New",
                "your_price": style.money(product.price),
                "mfn_listing_exists": "No",
                "mfn_fulfillable_quantity": "",
                "afn_listing_exists": "Yes",
                "afn_warehouse_quantity": str(fulfillable + unsellable + reserved),
                "afn_fulfillable_quantity": str(fulfillable),
                "afn_unsellable_quantity": str(unsellable),
                "afn_reserved_quantity": str(reserved),
                "afn_total_quantity": str(fulfillable + unsellable + reserved + inbound),
                "per_unit_volume": style.number(Decimal(rng.randrange(5, 300)) / 100),
                "afn_inbound_working_quantity": "0",
                "afn_inbound_shipped_quantity": str(inbound),
                "afn_inbound_receiving_quantity": "0",
                "afn_researching_quantity": "0",
                "afn_reserved_future_supply": "0",
                "afn_future_supply_buyable": "0",
            }
        )
    return _tsv(tables[0], rows)


def _merchant_listings(request: DocumentRequest, tables: tuple[TableSchema, ...]) -> str:
    style, table, rows = request.style, tables[0], []
    opened = request.end - timedelta(days=400)
    for index, product in enumerate(seller_products(request.report.seller_id, style)):
        rng = request.rng("listing", product.sku)
        fba = index % 2 == 0
        rows.append(
            {
                "item_name": product.name,
                "item_description": "",
                "listing_id": f"{rng.randrange(10**4):04d}{rng.choice('ABCDEFGH')}{rng.randrange(10**6):06d}",
                "seller_sku": product.sku,
                "price": style.money(product.price),
                "quantity": "" if fba else str(rng.randrange(0, 100)),
                "open_date": _local_time(
                    style, opened + timedelta(days=index * 37, seconds=rng.randrange(86400))
                ),
                "item_is_marketplace": "y",
                "product_id_type": "1",
                "item_condition": "11",
                "asin1": product.asin,
                "will_ship_internationally": "",
                "expedited_shipping": "",
                "product_id": product.asin,
                "pending_quantity": "0",
                "fulfillment_channel": f"AMAZON_{request.style.region}" if fba else "DEFAULT",
                "merchant_shipping_group": "Migrated Template",
                "status": "Active",
            }
        )
    return _tsv(table, rows, headers=_listings_headers(request, table))


def _listings_headers(request: DocumentRequest, table: TableSchema) -> list[str] | None:
    """The Chinese headers when the report asked for a zh locale and the marketplace's charset holds them."""
    if not request.options.get("preferredReportDocumentLocale", "").lower().startswith("zh"):
        return None
    headers = [
        column.aliases[0] if column.aliases else _CHINESE_HEADERS.get(column.name, _NOT_APPLICABLE)
        for column in table.columns
    ]
    try:
        "\t".join(headers).encode(request.style.codec)
    except UnicodeEncodeError:
        return None
    return headers


def _customer_returns(request: DocumentRequest, tables: tuple[TableSchema, ...]) -> str:
    rows = []
    centers = _FULFILLMENT_CENTERS.get(request.style.region, ("XXX1",))
    for day in _days(request):
        rng = request.rng("returns", day)
        if rng.random() < 0.5:
            continue
        product = rng.choice(seller_products(request.report.seller_id, request.style))
        rows.append(
            {
                "return_date": _timestamp(_moment_in(request, day, rng)),
                "order_id": _order_id(rng),
                "sku": product.sku,
                "asin": product.asin,
                "fnsku": product.fnsku,
                "product_name": product.name,
                "quantity": "1",
                "fulfillment_center_id": rng.choice(centers),
                "detailed_disposition": rng.choice(("SELLABLE", "CUSTOMER_DAMAGED", "DEFECTIVE")),
                "reason": rng.choice(("NOT_COMPATIBLE", "UNWANTED_ITEM", "DEFECTIVE")),
                "status": "Unit returned to inventory",
                "license_plate_number": "LPN" + "".join(rng.choice(_ALPHANUMERIC) for _ in range(9)),
                "customer_comments": "",
            }
        )
    return _tsv(tables[0], rows)


def _reimbursements(request: DocumentRequest, tables: tuple[TableSchema, ...]) -> str:
    style, rows = request.style, []
    for day in _days(request):
        rng = request.rng("reimbursements", day)
        if rng.random() < 0.6:
            continue
        product = rng.choice(seller_products(request.report.seller_id, style))
        cash, inventory = rng.choice(((1, 0), (0, 1), (2, 0)))
        rows.append(
            {
                "approval_date": _timestamp(_moment_in(request, day, rng)),
                "reimbursement_id": str(rng.randrange(10**9, 10**10)),
                "case_id": "",
                "amazon_order_id": "",
                "reason": rng.choice(("Lost_Warehouse", "Damaged_Warehouse", "CustomerReturn")),
                "sku": product.sku,
                "fnsku": product.fnsku,
                "asin": product.asin,
                "product_name": product.name,
                "condition": "NewItem",
                "currency_unit": style.currency,
                "amount_per_unit": style.money(product.price),
                "amount_total": style.money(product.price * cash),
                "quantity_reimbursed_cash": str(cash),
                "quantity_reimbursed_inventory": str(inventory),
                "quantity_reimbursed_total": str(cash + inventory),
                "original_reimbursement_id": "",
                "original_reimbursement_type": "",
            }
        )
    return _tsv(tables[0], rows)


def _settlement(request: DocumentRequest, tables: tuple[TableSchema, ...]) -> str:
    style = request.style
    german = style.decimal_comma

    def when(moment: datetime) -> str:
        if german:
            return moment.astimezone(UTC).strftime("%d.%m.%Y %H:%M:%S UTC")
        return _timestamp(moment)

    settlement_id = str(request.rng("settlement").randrange(10**10, 10**11))
    rows, total = [], Decimal(0)
    for order in _orders(request):
        principal = order.product.price * order.quantity
        for amount_type, description, amount in (
            ("ItemPrice", "Principal", principal),
            ("ItemFees", "Commission", -(principal * Decimal("0.15"))),
            ("ItemFees", "FBAPerUnitFulfillmentFee", -Decimal("3.22") * order.quantity),
        ):
            amount = Decimal(style.money(amount).replace(",", "."))
            total += amount
            rows.append(
                {
                    "settlement_id": settlement_id,
                    "currency": style.currency,
                    "transaction_type": "Order",
                    "order_id": order.order_id,
                    "marketplace_name": "Amazon." + _domain(style),
                    "amount_type": amount_type,
                    "amount_description": description,
                    "amount": style.money(amount),
                    "fulfillment_id": "AFN",
                    "posted_date": order.purchased.strftime("%d.%m.%Y" if german else "%Y-%m-%d"),
                    "posted_date_time": (
                        when(order.purchased) if german else order.purchased.strftime("%Y-%m-%d %H:%M:%S UTC")
                    ),
                    "order_item_code": str(request.rng("item", order.order_id).randrange(10**13, 10**14)),
                    "sku": order.product.sku,
                    "quantity_purchased": str(order.quantity),
                }
            )
    summary = {
        "settlement_id": settlement_id,
        "settlement_start_date": when(request.start),
        "settlement_end_date": when(request.end),
        "deposit_date": when(request.end + timedelta(days=3)),
        "total_amount": style.money(total),
        "currency": style.currency,
    }
    return _tsv(tables[0], [summary, *rows])


# -- sales and traffic (JSON) --------------------------------------------------------------------------


def _sales_and_traffic(request: DocumentRequest, tables: tuple[TableSchema, ...]) -> str:
    style, options = request.style, request.options
    products = seller_products(request.report.seller_id, style)
    b2b = random.Random(f"b2b:{request.report.seller_id}").random() < 0.5
    example_spelling = request.rng("spelling").randrange(4) == 0
    date_granularity = options.get("dateGranularity", "DAY")
    asin_granularity = options.get("asinGranularity", "PARENT")
    units: dict[tuple[date, str], int] = {}
    for day in _days(request):
        rng = request.rng("sales", day)
        for product in products:
            units[(day, product.sku)] = rng.choice((0, 0, 1, 2, 3, 5))

    periods: dict[date, list[date]] = {}
    for day in _days(request):
        periods.setdefault(_period_start(day, date_granularity), []).append(day)
    by_date = []
    for start, days in sorted(periods.items()):
        rng = request.rng("traffic", start)
        day_units = [(product, sum(units[(day, product.sku)] for day in days)) for product in products]
        by_date.append(_by_date_element(style, start, day_units, rng, b2b, example_spelling))

    by_asin = []
    groups: dict[tuple[str, ...], list[Product]] = {}
    for product in products:
        key = {
            "PARENT": (product.parent_asin,),
            "CHILD": (product.parent_asin, product.asin),
        }.get(asin_granularity, (product.parent_asin, product.asin, product.sku))
        groups.setdefault(key, []).append(product)
    for key, members in groups.items():
        rng = request.rng("asin-traffic", *key)
        totals = [(product, sum(units[(day, product.sku)] for day in _days(request))) for product in members]
        by_asin.append(_by_asin_element(style, key, totals, rng, b2b, example_spelling))

    specification = {
        "reportType": request.report.report_type,
        "reportOptions": {"dateGranularity": date_granularity, "asinGranularity": asin_granularity},
        "dataStartTime": request.start.date().isoformat(),
        "dataEndTime": request.end.date().isoformat(),
        "marketplaceIds": list(request.report.marketplace_ids),
    }
    document = {"reportSpecification": specification, "salesAndTrafficByDate": by_date}
    document["salesAndTrafficByAsin"] = by_asin
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _period_start(day: date, granularity: str) -> date:
    if granularity == "WEEK":
        return day - timedelta(days=(day.weekday() + 1) % 7)  # weeks start on Sunday (the schema's example)
    if granularity == "MONTH":
        return day.replace(day=1)
    return day


def _sales(sold: list[tuple[Product, int]]) -> tuple[Decimal, int, int]:
    amount = sum((product.price * count for product, count in sold), Decimal(0))
    units = sum(count for _, count in sold)
    items = sum(1 for _, count in sold if count)
    return amount, units, items


def _with_b2b(fields: dict[str, Any], b2b: bool) -> dict[str, Any]:
    """The fields, each followed by its B2B twin (a share of it) when the seller sells to businesses."""
    if not b2b:
        return fields
    out: dict[str, Any] = {}
    for key, value in fields.items():
        out[key] = value
        if isinstance(value, dict):
            share = (
                value["amount"] // 10 if isinstance(value["amount"], int) else round(value["amount"] * 0.1, 2)
            )
            out[f"{key}B2B"] = {**value, "amount": share}
        elif isinstance(value, int):
            out[f"{key}B2B"] = value // 10
        else:
            out[f"{key}B2B"] = round(value * 0.1, 2)
    return out


def _by_date_element(style, start, sold, rng, b2b, example_spelling) -> dict[str, Any]:
    amount, units, items = _sales(sold)
    page_views = rng.randrange(50, 2000) + units * 10
    sessions = max(1, page_views * rng.randrange(60, 90) // 100)
    average = amount / items if items else Decimal(0)
    sales = _with_b2b(
        {
            "orderedProductSales": style.json_money(amount),
            "unitsOrdered": units,
            "totalOrderItems": items,
            "averageSalesPerOrderItem": style.json_money(average),
            "averageUnitsPerOrderItem": round(units / items, 2) if items else 0.0,
            "averageSellingPrice": style.json_money(amount / units if units else Decimal(0)),
        },
        b2b,
    )
    refunded = rng.randrange(0, 2) if units else 0
    sales.update(
        {
            "unitsRefunded": refunded,
            "refundRate": round(100 * refunded / units, 2) if units else 0.0,
            "claimsGranted": 0,
            "claimsAmount": style.json_money(Decimal(0)),
            "shippedProductSales": style.json_money(amount),
            "unitsShipped": units,
            "ordersShipped": items,
        }
    )
    browser = page_views * 2 // 3
    traffic = _with_b2b(
        {
            "browserPageViews": browser,
            "mobileAppPageViews": page_views - browser,
            "pageViews": page_views,
            "browserSessions": sessions * 2 // 3,
            "mobileAppSessions": sessions - sessions * 2 // 3,
            "sessions": sessions,
            "buyBoxPercentage": round(rng.uniform(80, 100), 2),
            "orderItemSessionPercentage": round(100 * items / sessions, 2),
            "unitSessionPercentage": round(100 * units / sessions, 2),
        },
        b2b,
    )
    traffic.update(
        {
            "averageOfferCount": PRODUCTS_PER_SELLER,
            "averageParentItems": PRODUCTS_PER_SELLER,
            "feedbackReceived": rng.randrange(0, 3),
            "negativeFeedbackReceived": 0,
            "receivedNegativeFeedbackRate": 0.0,
        }
    )
    if example_spelling:
        traffic = {("browerPageViews" if key == "browserPageViews" else key): v for key, v in traffic.items()}
    return {"date": start.isoformat(), "salesByDate": sales, "trafficByDate": traffic}


def _by_asin_element(style, key, sold, rng, b2b, example_spelling) -> dict[str, Any]:
    amount, units, items = _sales(sold)
    element: dict[str, Any] = {"parentAsin": key[0]}
    if len(key) > 1:
        element["childAsin"] = key[1]
    if len(key) > 2:
        element["sku"] = key[2]
    element["salesByAsin"] = _with_b2b(
        {"unitsOrdered": units, "orderedProductSales": style.json_money(amount), "totalOrderItems": items},
        b2b,
    )
    page_views = rng.randrange(5, 300) + units * 5
    sessions = max(1, page_views * 3 // 4)
    traffic = _with_b2b(
        {
            "browserSessions": sessions // 2,
            "mobileAppSessions": sessions - sessions // 2,
            "sessions": sessions,
            "browserSessionPercentage": round(rng.uniform(0, 20), 2),
            "mobileAppSessionPercentage": round(rng.uniform(0, 20), 2),
            "sessionPercentage": round(rng.uniform(0, 20), 2),
            "browserPageViews": page_views // 2,
            "mobileAppPageViews": page_views - page_views // 2,
            "pageViews": page_views,
            "browserPageViewsPercentage": round(rng.uniform(0, 20), 2),
            "mobileAppPageViewsPercentage": round(rng.uniform(0, 20), 2),
            "pageViewsPercentage": round(rng.uniform(0, 20), 2),
            "buyBoxPercentage": round(rng.uniform(80, 100), 2),
            "unitSessionPercentage": round(100 * units / sessions, 2),
        },
        b2b,
    )
    if example_spelling:
        traffic = {key.replace("mobileAppPageViews", "mobilePageViews"): v for key, v in traffic.items()}
    element["trafficByAsin"] = traffic
    return element


# -- marketplace details -------------------------------------------------------------------------------


def _country(style: Style) -> str:
    return next(
        country
        for region in REGIONS.values()
        for country, mid in region.marketplaces.items()
        if mid == style.marketplace_id
    )


def _domain(style: Style) -> str:
    country = _country(style)
    return {"US": "com", "UK": "co.uk", "JP": "co.jp", "AU": "com.au", "BR": "com.br", "MX": "com.mx"}.get(
        country, country.lower()
    )


def _local_time(style: Style, moment: datetime) -> str:
    """A listing's open-date: Pacific time with its abbreviation in North America (jlevers#525), else UTC."""
    moment = moment.astimezone(UTC)
    if style.marketplace_id not in _PACIFIC_TIME:
        return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
    daylight = _us_daylight_saving(moment)
    local = moment - timedelta(hours=7 if daylight else 8)
    return local.strftime("%Y-%m-%d %H:%M:%S ") + ("PDT" if daylight else "PST")


def _us_daylight_saving(moment: datetime) -> bool:
    """US daylight saving time: from 02:00 local on March's second Sunday to 02:00 on November's first."""
    year = moment.year
    march = date(year, 3, 8) + timedelta(days=(6 - date(year, 3, 8).weekday()) % 7)
    november = date(year, 11, 1) + timedelta(days=(6 - date(year, 11, 1).weekday()) % 7)
    begins = datetime.combine(march, time(10), UTC)  # 02:00 PST
    ends = datetime.combine(november, time(9), UTC)  # 02:00 PDT
    return begins <= moment < ends


_WRITERS: dict[str, Callable[[DocumentRequest, tuple[TableSchema, ...]], str]] = {
    "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL": _all_orders,
    "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL": _all_orders,
    "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA": _fba_inventory,
    "GET_MERCHANT_LISTINGS_ALL_DATA": _merchant_listings,
    "GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA": _customer_returns,
    "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2": _settlement,
    "GET_SALES_AND_TRAFFIC_REPORT": _sales_and_traffic,
    "GET_FBA_REIMBURSEMENTS_DATA": _reimbursements,
}
