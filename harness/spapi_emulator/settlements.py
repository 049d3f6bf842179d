"""Settlement reports: the reports Amazon makes by itself at the end of each settlement period.

What Amazon states, and the emulator holds:
- Settlement reports "cannot be requested or scheduled. They are automatically scheduled by Amazon. You can
  search for these reports using the getReports operation" (developer-docs "Report Type Values - Settlement",
  quoted in selling-partner-api-docs#1633 and selling-partner-api-models#339): createReport and
  createReportSchedule refuse them (reports_api.REFUSED_REPORT_TYPES, report_schedules_api), and a
  `SettlementAccount` makes one report of each of its types as the emulator's clock passes the end of each
  settlement period, with no schedule id (Report.reportScheduleId: "if any").
- A report covers the period: dataStartTime its first second, dataEndTime its last (one period's report ran
  from 2022-03-10T08:24:51+00:00 to 2022-03-24T08:24:50+00:00 and was created at 2022-03-24T10:04:30+00:00:
  selling-partner-api-docs#969). Periods follow each other without gap, fourteen days each by default and
  aligned to when the account's settlements began, not to calendar days or weeks.
- SP-API keeps it 90 days, as every report ("Reports are retained for a maximum of 90 days":
  reports_2021-06-30.json, getReports' createdSince); reports_api.drop_expired_reports ends it then. Its
  document goes after 30 days (developer-docs changelog
  "report-document-retention-policy-is-changing-to-a-maximum-of-30-days"; reports_api.drop_expired_documents).
- The document is a tab-separated flat file whose first row after the header sums the settlement
  (settlement-id, its start and end, deposit-date, total-amount, currency) and whose other rows are its
  transactions; the V2 flat file's columns are those of SETTLEMENT_COLUMNS (the layout parsers of real files
  expect: a header of 24 columns ending with posted-date-time, order-item-code, ..., promotion-id). It is
  served without a charset (document_charsets: "no charset at all (settlement)").

What the emulator decides: the report is created PUBLICATION_DELAY after the period ends (about what #969
shows), and the XML settlement type is not emulated (no document shape of it is known here).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from spapi_emulator import state as st
from spapi_emulator.context import EmulatorContext

SETTLEMENT_PERIOD = timedelta(days=14)
PUBLICATION_DELAY = timedelta(hours=1, minutes=40)
V2_FLAT_FILE = "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2"
SETTLEMENT_COLUMNS = (
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
    "promotion-id",
)
# Amazon pays out a few days after the period ends.
_DEPOSIT_AFTER = timedelta(days=3)
_SECOND = timedelta(seconds=1)


@dataclass
class SettlementAccount:
    """A seller's settlements in one marketplace: a period of `period` from `period_start` on, each ended by
    one report of every type in `report_types`."""

    seller_id: str
    marketplace_id: str
    period_start: datetime
    currency: str = "USD"
    marketplace_name: str = "Amazon.com"
    period: timedelta = SETTLEMENT_PERIOD
    report_types: tuple[str, ...] = (V2_FLAT_FILE,)
    settlements: int = 0
    made: list[str] = field(default_factory=list)  # the report ids made, oldest first

    def settlement_id(self) -> str:
        """The current settlement's id: digits, unique per seller, marketplace and settlement."""
        digest = hashlib.sha256(f"{self.seller_id}:{self.marketplace_id}".encode()).hexdigest()
        return f"{int(digest[:8], 16) % 10**6:06d}{self.settlements:05d}"

    def __post_init__(self) -> None:
        unknown = [name for name in self.report_types if name != V2_FLAT_FILE]
        if unknown:
            raise ValueError(f"no settlement document shape is emulated for {', '.join(unknown)}")


def settlement_document(
    account: SettlementAccount, settlement_id: str, start: datetime, end: datetime
) -> bytes:
    """The V2 flat file of one settlement: the summary row, then a few orders' amounts (figures follow from
    the settlement id alone)."""
    seed = hashlib.sha256(settlement_id.encode()).hexdigest()
    rows: list[list[str]] = []
    total = 0.0
    for index in range(3):
        digest = hashlib.sha256(f"{seed}:{index}".encode()).hexdigest()
        principal = int(digest[:5], 16) % 10000 / 100
        fee = -round(principal * 0.15, 2)
        posted = start + (end - start) * (index + 1) / 4
        order_id = f"{int(digest[5:8], 16) % 900 + 100}-{int(digest[8:15], 16) % 10**7:07d}-" + (
            f"{int(digest[15:22], 16) % 10**7:07d}"
        )
        for amount_type, description, amount in (
            ("ItemPrice", "Principal", principal),
            ("ItemFees", "Commission", fee),
        ):
            total += amount
            row = dict.fromkeys(SETTLEMENT_COLUMNS, "")
            row.update(
                {
                    "settlement-id": settlement_id,
                    "transaction-type": "Order",
                    "order-id": order_id,
                    "marketplace-name": account.marketplace_name,
                    "amount-type": amount_type,
                    "amount-description": description,
                    "amount": f"{amount:.2f}",
                    "fulfillment-id": "AFN",
                    "posted-date": posted.strftime("%Y-%m-%d"),
                    "posted-date-time": posted.strftime("%Y-%m-%d %H:%M:%S UTC"),
                    "sku": f"SKU-{digest[22:30]}",
                    "quantity-purchased": "1",
                }
            )
            rows.append([row[column] for column in SETTLEMENT_COLUMNS])
    summary = dict.fromkeys(SETTLEMENT_COLUMNS, "")
    summary.update(
        {
            "settlement-id": settlement_id,
            "settlement-start-date": start.isoformat(timespec="seconds"),
            "settlement-end-date": end.isoformat(timespec="seconds"),
            "deposit-date": (end + _DEPOSIT_AFTER).isoformat(timespec="seconds"),
            "total-amount": f"{total:.2f}",
            "currency": account.currency,
        }
    )
    lines = ["\t".join(SETTLEMENT_COLUMNS), "\t".join(summary[c] for c in SETTLEMENT_COLUMNS)]
    lines += ["\t".join(row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def make_due_settlements(context: EmulatorContext) -> None:
    """Every settlement period whose report is due by now (its end plus PUBLICATION_DELAY) makes its
    report(s), created at that time, and the account moves on to the next period."""
    now, monotonic = context.now(), context.monotonic()
    with context.state.lock:
        for account in context.state.settlement_accounts:
            while account.period_start + account.period + PUBLICATION_DELAY <= now:
                start = account.period_start
                end = start + account.period
                created = end + PUBLICATION_DELAY
                account.settlements += 1
                settlement_id = account.settlement_id()
                for report_type in account.report_types:
                    report = st.Report(
                        report_id=context.state.next_report_id(),
                        seller_id=account.seller_id,
                        report_type=report_type,
                        marketplace_ids=[account.marketplace_id],
                        created=created,
                        created_mono=monotonic - (now - created).total_seconds(),
                        data_start_time=st.iso_offset(start),
                        data_end_time=st.iso_offset(end - _SECOND),
                    )
                    context.set_report_document(
                        report.report_id, settlement_document(account, settlement_id, start, end - _SECOND)
                    )
                    context.add_report(report)
                    account.made.append(report.report_id)
                account.period_start = end
