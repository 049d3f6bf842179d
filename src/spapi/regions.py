"""SP-API regions, their endpoints and marketplaces (developer-docs "SP-API endpoints", marketplace IDs).

`REGIONS` is the one place for the marketplace ids: the emulator (`spapi_emulator.reports_api`) imports
`MARKETPLACE_IDS` from here instead of keeping a copy that can go stale.

`SPAPI_ENDPOINT_URL` overrides every region's endpoint, `SPAPI_ENDPOINT_URL_NA`/`_EU`/`_FE` one region's
(they win over the former), and `LWA_ENDPOINT_URL` the LWA token URL, so tests and the offline demo point the
library at the emulator without code changes.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

SPAPI_ENDPOINT_ENV = "SPAPI_ENDPOINT_URL"
LWA_ENDPOINT_ENV = "LWA_ENDPOINT_URL"
DEFAULT_LWA_ENDPOINT = "https://api.amazon.com/auth/o2/token"


@dataclass(frozen=True)
class Region:
    code: str
    host: str
    sandbox_host: str
    aws_region: str
    # Country code -> marketplace id.
    marketplaces: dict[str, str]

    @property
    def marketplace_ids(self) -> frozenset[str]:
        return frozenset(self.marketplaces.values())


# Marketplace ids, country code -> id, exactly as Amazon's "Marketplace IDs" page lists them per region
# (https://developer-docs.amazon.com/sp-api/docs/marketplace-ids; the page's own order and country codes,
# so UK, not GB). Every marketplace on that page is served by its region's endpoint; a marketplace missing
# here is refused with a 400 before SP-API is asked, so this list must follow the page.
REGIONS: dict[str, Region] = {
    "NA": Region(
        code="NA",
        host="sellingpartnerapi-na.amazon.com",
        sandbox_host="sandbox.sellingpartnerapi-na.amazon.com",
        aws_region="us-east-1",
        marketplaces={
            "CA": "A2EUQ1WTGCTBG2",
            "US": "ATVPDKIKX0DER",
            "MX": "A1AM78C64UM0Y8",
            "BR": "A2Q3Y263D00KWC",
        },
    ),
    "EU": Region(
        code="EU",
        host="sellingpartnerapi-eu.amazon.com",
        sandbox_host="sandbox.sellingpartnerapi-eu.amazon.com",
        aws_region="eu-west-1",
        marketplaces={
            "IE": "A28R8C7NBKEWEA",
            "ES": "A1RKKUPIHCS9HS",
            "UK": "A1F83G8C2ARO7P",
            "FR": "A13V1IB3VIYZZH",
            "BE": "AMEN7PMS3EDWL",
            "NL": "A1805IZSGTT6HS",
            "DE": "A1PA6795UKMFR9",
            "IT": "APJ6JRA9NG5V4",
            "SE": "A2NODRKZP88ZB9",
            "ZA": "AE08WJ6YKNBMC",
            "PL": "A1C3SOZRARQ6R3",
            "EG": "ARBP9OOSHTCHU",
            "TR": "A33AVAJ2PDY3EV",
            "SA": "A17E79C6D8DWNP",
            "AE": "A2VIGQ35RCS4UG",
            "IN": "A21TJRUUN4KGV",
        },
    ),
    "FE": Region(
        code="FE",
        host="sellingpartnerapi-fe.amazon.com",
        sandbox_host="sandbox.sellingpartnerapi-fe.amazon.com",
        aws_region="us-west-2",
        marketplaces={"SG": "A19VAU5U5O7RUS", "AU": "A39IBJ37TRP1C6", "JP": "A1VC38T7YXB528"},
    ),
}

_REGION_OF_MARKETPLACE = {mid: region for region in REGIONS.values() for mid in region.marketplaces.values()}
# Every marketplace id SP-API serves, whatever the region (what createReport accepts at all).
MARKETPLACE_IDS: frozenset[str] = frozenset(_REGION_OF_MARKETPLACE)


def get_region(code: str) -> Region:
    """The region for `code` (NA, EU, FE; case-insensitive). ValueError names the valid codes."""
    region = REGIONS.get(str(code).strip().upper()) if code is not None else None
    if region is None:
        raise ValueError(f"region: unknown region {code!r}; expected one of {', '.join(REGIONS)}")
    return region


def region_of_marketplace(marketplace_id: str) -> Region:
    region = _REGION_OF_MARKETPLACE.get(marketplace_id)
    if region is None:
        raise ValueError(f"marketplaceIds: unknown marketplace id {marketplace_id!r}")
    return region


def validate_marketplaces(region_code: str, ids: Iterable[str]) -> list[str]:
    """Check that every marketplace id exists and belongs to `region_code`; return them de-duplicated.

    SP-API accepts 1-25 marketplace ids per createReport, all served by the region's endpoint.
    """
    region = get_region(region_code)
    if isinstance(ids, str):
        raise ValueError("marketplaceIds: expected a list of marketplace ids, not a string")
    unique = list(dict.fromkeys(ids))
    if not unique:
        raise ValueError("marketplaceIds: at least one marketplace id is required")
    if len(unique) > 25:
        raise ValueError("marketplaceIds: at most 25 marketplace ids are allowed")
    for marketplace_id in unique:
        if not isinstance(marketplace_id, str):
            raise ValueError(f"marketplaceIds: expected strings, got {type(marketplace_id).__name__}")
        owner = region_of_marketplace(marketplace_id)
        if owner.code != region.code:
            raise ValueError(
                f"marketplaceIds: {marketplace_id} belongs to region {owner.code}, not {region.code}"
            )
    return unique


def spapi_endpoint(region_code: str, sandbox: bool = False) -> str:
    """Base URL of SP-API for the region (no trailing slash); `SPAPI_ENDPOINT_URL_<REGION>` overrides it,
    else `SPAPI_ENDPOINT_URL` (every region)."""
    region = get_region(region_code)
    override = (
        os.environ.get(f"{SPAPI_ENDPOINT_ENV}_{region.code}", "").strip()
        or os.environ.get(SPAPI_ENDPOINT_ENV, "").strip()
    )
    if override:
        return override.rstrip("/")
    return f"https://{region.sandbox_host if sandbox else region.host}"


def lwa_endpoint() -> str:
    """The LWA token URL; `LWA_ENDPOINT_URL` overrides it."""
    return os.environ.get(LWA_ENDPOINT_ENV, "").strip() or DEFAULT_LWA_ENDPOINT
