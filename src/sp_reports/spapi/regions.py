"""SP-API regions, their endpoints and marketplaces (developer-docs "SP-API endpoints", marketplace IDs).

`REGIONS` is the one place for the marketplace ids: the emulator (`spapi_emulator.reports_api`) imports
`MARKETPLACE_IDS` from here instead of keeping a copy that can go stale.

`SPAPI_ENDPOINT_URL` overrides every region's endpoint, `SPAPI_ENDPOINT_URL_NA`/`_EU`/`_FE` one region's
(they win over the former), and `LWA_ENDPOINT_URL` the LWA token URL, so tests and the offline demo point the
library at the emulator without code changes.

The functions send the LWA client secret and sellers' refresh tokens to these endpoints, and store whatever
the document URL SP-API returns serves. So outside a test deployment every one of them must be Amazon's own:
an override is honoured only as an https URL of an SP-API or LWA host, and a report document is downloaded
only over https from Amazon S3. `SP_REPORTS_TEST_ENDPOINTS=true` (Terraform's test-only
`test_endpoint_overrides` sets it) lifts both rules for a stand-in of SP-API (our emulator, local or in the
account), which serves over http and from its own host.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from sp_reports.spapi.errors import ConfigurationError

SPAPI_ENDPOINT_ENV = "SPAPI_ENDPOINT_URL"
LWA_ENDPOINT_ENV = "LWA_ENDPOINT_URL"
TEST_ENDPOINTS_ENV = "SP_REPORTS_TEST_ENDPOINTS"
# LWA's token endpoint ("Connecting to the Selling Partner API", step 1, "Request a Login with Amazon access
# token": POST https://api.amazon.com/auth/o2/token;
# https://developer-docs.amazon.com/sp-api/docs/connecting-to-the-selling-partner-api).
DEFAULT_LWA_ENDPOINT = "https://api.amazon.com/auth/o2/token"
LWA_HOSTS = frozenset({"api.amazon.com"})


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

# Production and sandbox hosts of every region ("SP-API endpoints",
# https://developer-docs.amazon.com/sp-api/docs/sp-api-endpoints; "SP-API sandbox",
# https://developer-docs.amazon.com/sp-api/docs/the-selling-partner-api-sandbox).
SPAPI_HOSTS = frozenset(host for region in REGIONS.values() for host in (region.host, region.sandbox_host))

# Where SP-API's report documents are served from. The Reports API model says only "A presigned URL for the
# report document" (reports_2021-06-30.json, ReportDocument.url; "Retrieve a report",
# https://developer-docs.amazon.com/sp-api/docs/retrieve-a-report, calls it "a pre-signed URL"). Amazon does
# not document the host; the URLs it hands out are Amazon S3 presigned URLs on its tortuga-prod-<region>
# buckets (https://tortuga-prod-na.s3-external-1.amazonaws.com/..., https://tortuga-prod-eu.s3-eu-west-1.
# amazonaws.com/..., https://tortuga-prod-na.s3.amazonaws.com/...), in S3's virtual-hosted and legacy
# regional endpoint forms (https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html). So the
# rule is: https on a host under amazonaws.com. The sandbox answers getReportDocument with the model's own
# example, https://d34o8swod1owfl.cloudfront.net/Report_47700__GET_MERCHANT_LISTINGS_ALL_DATA_.txt
# (reports_2021-06-30.json, x-amzn-api-sandbox), so that one host is accepted as well.
DOCUMENT_HOST_SUFFIX = ".amazonaws.com"
SANDBOX_DOCUMENT_HOSTS = frozenset({"d34o8swod1owfl.cloudfront.net"})

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


def test_endpoints_allowed(environ: Mapping[str, str] | None = None) -> bool:
    """Whether this is a test deployment (`SP_REPORTS_TEST_ENDPOINTS` true): endpoints and document URLs
    other than Amazon's are then accepted."""
    environ = os.environ if environ is None else environ
    return environ.get(TEST_ENDPOINTS_ENV, "").strip().lower() in ("true", "1", "yes")


def spapi_endpoint(region_code: str, sandbox: bool = False, environ: Mapping[str, str] | None = None) -> str:
    """Base URL of SP-API for the region (no trailing slash); `SPAPI_ENDPOINT_URL_<REGION>` overrides it,
    else `SPAPI_ENDPOINT_URL` (every region). ConfigurationError for an override that is not an https URL of
    an SP-API host, unless this is a test deployment."""
    environ = os.environ if environ is None else environ
    region = get_region(region_code)
    name = f"{SPAPI_ENDPOINT_ENV}_{region.code}"
    override = environ.get(name, "").strip()
    if not override:
        name, override = SPAPI_ENDPOINT_ENV, environ.get(SPAPI_ENDPOINT_ENV, "").strip()
    if override:
        _check_endpoint(name, override, SPAPI_HOSTS, environ)
        return override.rstrip("/")
    return f"https://{region.sandbox_host if sandbox else region.host}"


def lwa_endpoint(environ: Mapping[str, str] | None = None) -> str:
    """The LWA token URL; `LWA_ENDPOINT_URL` overrides it (ConfigurationError for one that is not an https URL
    of LWA's host, unless this is a test deployment)."""
    environ = os.environ if environ is None else environ
    override = environ.get(LWA_ENDPOINT_ENV, "").strip()
    if not override:
        return DEFAULT_LWA_ENDPOINT
    _check_endpoint(LWA_ENDPOINT_ENV, override, LWA_HOSTS, environ)
    return override


def _check_endpoint(name: str, url: str, hosts: frozenset[str], environ: Mapping[str, str]) -> None:
    parts = _split(url)
    if parts is None or parts.scheme not in ("http", "https") or parts.username or parts.password:
        raise ConfigurationError(f"{name} must be an http(s) URL without credentials")
    if test_endpoints_allowed(environ):
        return
    if parts.scheme != "https" or parts.hostname not in hosts or parts.port not in (None, 443):
        raise ConfigurationError(
            f"{name} names {parts.scheme}://{parts.hostname}: outside a test deployment only https on "
            f"{', '.join(sorted(hosts))} is accepted (set {TEST_ENDPOINTS_ENV}=true for a stand-in of SP-API)"
        )


def document_url_allowed(url: str, environ: Mapping[str, str] | None = None) -> bool:
    """Whether a report document may be downloaded from `url`: https on an Amazon S3 host (see
    DOCUMENT_HOST_SUFFIX), in a test deployment any http(s) URL (the emulator's documents, local S3)."""
    parts = _split(url)
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    if parts.username or parts.password:
        return False
    if test_endpoints_allowed(environ):
        return True
    host = parts.hostname
    return (
        parts.scheme == "https"
        and parts.port in (None, 443)
        and (host.endswith(DOCUMENT_HOST_SUFFIX) or host in SANDBOX_DOCUMENT_HOSTS)
    )


def _split(url: str) -> SplitResult | None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return None
    return parts
