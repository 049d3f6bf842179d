"""The real seller of a ``make acceptance`` run against real SP-API, from the environment.

With all of ``REQUIRED_ENV`` set, the real-account target deploys no SP-API emulator: the stack stores the
app's LWA credentials and calls SP-API and LWA themselves, and the assertions follow one report of
``SP_REPORTS_ACCEPTANCE_REPORT_TYPE`` through it. With none set, the run uses the emulator. Some but not
all is refused, naming what is missing: half a seller must never fall back to the emulator unnoticed.

The default report type is ``GET_MERCHANT_LISTINGS_ALL_DATA``: a snapshot of the seller's listings, so no
date range to choose, requestable on demand, not restricted (no Restricted Data Token, no PII role), small
for a sandbox seller, and the report the emulator's runs follow too. Restricted types are refused: their
documents need an RDT and the app's restricted role, which a sandbox app rarely has. A seller without
listings gets a CANCELLED report ("no data to return", Reports API v2021-06-30 use case guide): the run
then fails on its DONE report, and the message names the type to change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sp_reports.spapi.regions import region_of_marketplace
from sp_reports.spapi.report_types import report_type as report_type_rules
from sp_reports.spapi.report_types import restricted_report_types
from sp_reports_harness.acceptance.stack_under_test import SellerUnderTest
from sp_reports_harness.deployment.local_deployment import AppCredentials

LWA_CLIENT_ID_ENV = "SP_REPORTS_ACCEPTANCE_LWA_CLIENT_ID"
LWA_CLIENT_SECRET_ENV = "SP_REPORTS_ACCEPTANCE_LWA_CLIENT_SECRET"  # noqa: S105 - a variable's name
REFRESH_TOKEN_ENV = "SP_REPORTS_ACCEPTANCE_REFRESH_TOKEN"  # noqa: S105 - a variable's name
SELLER_ID_ENV = "SP_REPORTS_ACCEPTANCE_SELLER_ID"
MARKETPLACE_ID_ENV = "SP_REPORTS_ACCEPTANCE_MARKETPLACE_ID"
REQUIRED_ENV = (
    LWA_CLIENT_ID_ENV,
    LWA_CLIENT_SECRET_ENV,
    REFRESH_TOKEN_ENV,
    SELLER_ID_ENV,
    MARKETPLACE_ID_ENV,
)
REPORT_TYPE_ENV = "SP_REPORTS_ACCEPTANCE_REPORT_TYPE"
REPORT_TIMEOUT_ENV = "SP_REPORTS_ACCEPTANCE_REPORT_TIMEOUT"
DEFAULT_REPORT_TYPE = "GET_MERCHANT_LISTINGS_ALL_DATA"
# A listings report usually takes minutes on SP-API; half an hour covers a busy queue.
DEFAULT_REPORT_TIMEOUT_SECONDS = 1800.0


class SellerRefused(ValueError):
    """The seller's settings are incomplete or unusable; the message says what to set."""


@dataclass(frozen=True)
class RealSeller:
    app: AppCredentials  # the LWA app the seller authorised (its secret never printed)
    seller: SellerUnderTest

    def summary(self) -> str:
        """For the run's first lines: nothing secret."""
        return (
            f"real SP-API ({self.seller.region_code}), seller {self.seller.seller_id}, marketplace "
            f"{self.seller.marketplace_id}, report type {self.seller.report_type}"
        )


def real_seller_from_env(env: Mapping[str, str]) -> RealSeller | None:
    """The seller the environment names, or None when it names none (the emulator's run)."""
    values = {name: env.get(name, "").strip() for name in REQUIRED_ENV}
    missing = [name for name, value in values.items() if not value]
    if len(missing) == len(REQUIRED_ENV):
        return None
    if missing:
        raise SellerRefused(
            f"a run against real SP-API needs all of {', '.join(REQUIRED_ENV)}; missing: {', '.join(missing)}"
        )
    marketplace_id = values[MARKETPLACE_ID_ENV]
    try:
        region = region_of_marketplace(marketplace_id)
    except ValueError:
        raise SellerRefused(
            f"{MARKETPLACE_ID_ENV}={marketplace_id!r} is not a marketplace id of SP-API "
            "(https://developer-docs.amazon.com/sp-api/docs/marketplace-ids)"
        ) from None
    report_type = env.get(REPORT_TYPE_ENV, "").strip() or DEFAULT_REPORT_TYPE
    rules = report_type_rules(report_type)
    if rules is None or not rules.requestable:
        raise SellerRefused(f"{REPORT_TYPE_ENV}={report_type!r} is not a report type createReport accepts")
    if report_type in restricted_report_types():
        raise SellerRefused(
            f"{REPORT_TYPE_ENV}={report_type!r} is restricted (its document needs a Restricted Data Token "
            f"and the app's restricted role): choose an unrestricted type such as {DEFAULT_REPORT_TYPE}"
        )
    return RealSeller(
        AppCredentials(values[LWA_CLIENT_ID_ENV], values[LWA_CLIENT_SECRET_ENV]),
        SellerUnderTest(
            seller_id=values[SELLER_ID_ENV],
            refresh_token=values[REFRESH_TOKEN_ENV],
            region_code=region.code,
            marketplace_id=marketplace_id,
            report_type=report_type,
            report_timeout=_timeout(env.get(REPORT_TIMEOUT_ENV, "")),
        ),
    )


def _timeout(raw: str) -> float:
    if not raw.strip():
        return DEFAULT_REPORT_TIMEOUT_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not 60 <= seconds <= 4 * 3600:
        raise SellerRefused(f"{REPORT_TIMEOUT_ENV}={raw!r}: give seconds between 60 and 14400")
    return seconds
