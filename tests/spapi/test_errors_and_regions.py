# ruff: noqa: S301 - the pickles are our own, made in the test
"""Typed errors never carry secrets; regions map marketplaces and honour endpoint overrides."""

from __future__ import annotations

import pickle

import pytest

from sp_reports.pipeline.errors import TokenNotFoundError
from sp_reports.spapi.errors import (
    ConfigurationError,
    LwaInvalidGrantError,
    ReportDocumentError,
    SpApiClientError,
    SpApiThrottledError,
    redact,
)
from sp_reports.spapi.regions import (
    DEFAULT_LWA_ENDPOINT,
    MARKETPLACE_IDS,
    REGIONS,
    SPAPI_HOSTS,
    document_url_allowed,
    get_region,
    lwa_endpoint,
    region_of_marketplace,
    spapi_endpoint,
    validate_marketplaces,
)
from tests.support.canaries import CLIENT_SECRET, REFRESH_TOKEN, assert_no_secrets

ACCESS_TOKEN = "Atza|IwEBIExampleAccessToken-123"
PRESIGNED = "https://tortuga-prod-na.s3.amazonaws.com/doc?X-Amz-Algorithm=AWS4&X-Amz-Signature=abc123"


def test_error_text_and_repr_redact_tokens_and_presigned_urls() -> None:
    error = SpApiClientError(
        400,
        "InvalidInput",
        f"bad token {ACCESS_TOKEN} and {REFRESH_TOKEN}",
        details=f"see {PRESIGNED}",
        request_id="req-1",
        operation="getReport",
    )
    for text in (str(error), repr(error)):
        assert_no_secrets(text, ACCESS_TOKEN, "X-Amz-Signature")
        assert "req-1" in text and "InvalidInput" in text


def test_redact_hides_signature_in_a_bare_request_line() -> None:
    line = redact("GET /_documents/d1?expires=1&ce=identity&sig=deadbeef HTTP/1.1")
    assert "deadbeef" not in line and "/_documents/d1" in line


# Every secret shape redact() knows, as it may appear in text: (what the text is, the text, the secret in it).
SECRET_SHAPES = [
    ("refresh token", "token Atzr|IwEBIRefresh-123 refused", "Atzr|IwEBIRefresh-123"),
    ("access token", "token Atza|IwEBIAccess-123 expired", "Atza|IwEBIAccess-123"),
    ("restricted data token", "rdt Atz.sprdt|IQEBLRdt-123", "Atz.sprdt|IQEBLRdt-123"),
    (
        "URL-encoded refresh token",
        "body grant_type=refresh_token&refresh_token=Atzr%7CIwEBIRefresh-1&x=1",
        "Atzr%7CIwEBIRefresh-1",
    ),
    (
        "URL-encoded refresh token, lower-case escape",
        "refresh_token=Atzr%7cIwEBIRefresh-2",
        "Atzr%7cIwEBIRefresh-2",
    ),
    ("URL-encoded access token", "header x-amz-access-token=Atza%7CIwEBIAccess-1", "Atza%7CIwEBIAccess-1"),
    ("URL-encoded restricted data token", "token=Atz.sprdt%7CIQEBLRdt-1", "Atz.sprdt%7CIQEBLRdt-1"),
    (
        "LWA client secret",
        "client_secret=amzn1.oa2-cs.v1.81a2cc9af8280a7352460951ecc89dbc&grant_type=x",
        "amzn1.oa2-cs.v1.81a2cc9af8280a7352460951ecc89dbc",
    ),
    (
        "LWA client secret in JSON",
        '{"clientSecret": "amzn1.oa2-cs.v1.7a0a5a1d89a1"}',
        "amzn1.oa2-cs.v1.7a0a5a1d89a1",
    ),
    ("presigned URL", f"download {PRESIGNED} failed", "X-Amz-Signature=abc123"),
]


@pytest.mark.parametrize(
    ("text", "secret"), [case[1:] for case in SECRET_SHAPES], ids=[c[0] for c in SECRET_SHAPES]
)
def test_redact_masks_every_secret_shape(text: str, secret: str) -> None:
    redacted = redact(text)
    assert secret not in redacted and "[redacted]" in redacted


def test_redact_leaves_the_client_id_and_plain_words() -> None:
    text = "client amzn1.application-oa2-client.2012e16cda8f46edb6 asked for Atzr (the prefix alone)"
    assert redact(text) == text


def test_errors_survive_pickling_with_their_fields() -> None:
    throttled = pickle.loads(
        pickle.dumps(
            SpApiThrottledError(
                429, "QuotaExceeded", "slow down", None, "r1", "createReport", retry_after=60.0
            )
        )
    )
    assert (throttled.status, throttled.code, throttled.request_id, throttled.retry_after) == (
        429,
        "QuotaExceeded",
        "r1",
        60.0,
    )
    grant = pickle.loads(pickle.dumps(LwaInvalidGrantError("revoked", error="invalid_grant", status=400)))
    assert grant.error == "invalid_grant" and grant.status == 400
    document = pickle.loads(pickle.dumps(ReportDocumentError("doc-1", "truncated")))
    assert document.report_document_id == "doc-1"


def test_lwa_error_redacts_an_echoed_client_secret_only_if_token_shaped() -> None:
    error = LwaInvalidGrantError(f"refused {REFRESH_TOKEN}", error="invalid_grant")
    assert_no_secrets(str(error) + repr(error), CLIENT_SECRET)


def test_token_not_found_names_the_seller() -> None:
    assert str(TokenNotFoundError("A3TH9S8BH6GOGM")) == "no refresh token stored for seller A3TH9S8BH6GOGM"


def test_regions_hosts_and_aws_regions() -> None:
    assert {code: (r.host, r.sandbox_host, r.aws_region) for code, r in REGIONS.items()} == {
        "NA": ("sellingpartnerapi-na.amazon.com", "sandbox.sellingpartnerapi-na.amazon.com", "us-east-1"),
        "EU": ("sellingpartnerapi-eu.amazon.com", "sandbox.sellingpartnerapi-eu.amazon.com", "eu-west-1"),
        "FE": ("sellingpartnerapi-fe.amazon.com", "sandbox.sellingpartnerapi-fe.amazon.com", "us-west-2"),
    }


# Amazon's "Marketplace IDs" page (https://developer-docs.amazon.com/sp-api/docs/marketplace-ids), row by row:
# (region, country code, marketplace id). The library must accept exactly these.
MARKETPLACE_IDS_PAGE = [
    ("NA", "CA", "A2EUQ1WTGCTBG2"),
    ("NA", "US", "ATVPDKIKX0DER"),
    ("NA", "MX", "A1AM78C64UM0Y8"),
    ("NA", "BR", "A2Q3Y263D00KWC"),
    ("EU", "IE", "A28R8C7NBKEWEA"),
    ("EU", "ES", "A1RKKUPIHCS9HS"),
    ("EU", "UK", "A1F83G8C2ARO7P"),
    ("EU", "FR", "A13V1IB3VIYZZH"),
    ("EU", "BE", "AMEN7PMS3EDWL"),
    ("EU", "NL", "A1805IZSGTT6HS"),
    ("EU", "DE", "A1PA6795UKMFR9"),
    ("EU", "IT", "APJ6JRA9NG5V4"),
    ("EU", "SE", "A2NODRKZP88ZB9"),
    ("EU", "ZA", "AE08WJ6YKNBMC"),
    ("EU", "PL", "A1C3SOZRARQ6R3"),
    ("EU", "EG", "ARBP9OOSHTCHU"),
    ("EU", "TR", "A33AVAJ2PDY3EV"),
    ("EU", "SA", "A17E79C6D8DWNP"),
    ("EU", "AE", "A2VIGQ35RCS4UG"),
    ("EU", "IN", "A21TJRUUN4KGV"),
    ("FE", "SG", "A19VAU5U5O7RUS"),
    ("FE", "AU", "A39IBJ37TRP1C6"),
    ("FE", "JP", "A1VC38T7YXB528"),
]


def test_the_marketplace_list_is_the_one_on_amazons_marketplace_ids_page() -> None:
    listed = [(code, country, mid) for code, r in REGIONS.items() for country, mid in r.marketplaces.items()]
    assert sorted(listed) == sorted(MARKETPLACE_IDS_PAGE)
    assert {mid for _region, _country, mid in MARKETPLACE_IDS_PAGE} == MARKETPLACE_IDS


@pytest.mark.parametrize(("region", "country", "marketplace"), MARKETPLACE_IDS_PAGE)
def test_every_listed_marketplace_is_accepted_in_its_region_only(region, country, marketplace) -> None:
    assert validate_marketplaces(region, [marketplace]) == [marketplace]
    assert region_of_marketplace(marketplace).marketplaces[country] == marketplace
    for other in set(REGIONS) - {region}:
        with pytest.raises(ValueError, match=f"{marketplace} belongs to region {region}, not {other}"):
            validate_marketplaces(other, [marketplace])


@pytest.mark.parametrize(
    ("marketplace", "region"),
    [
        ("ATVPDKIKX0DER", "NA"),
        ("A2Q3Y263D00KWC", "NA"),
        ("A1PA6795UKMFR9", "EU"),
        ("ARBP9OOSHTCHU", "EU"),
        ("A21TJRUUN4KGV", "EU"),
        ("A1VC38T7YXB528", "FE"),
        ("A19VAU5U5O7RUS", "FE"),
    ],
)
def test_marketplace_belongs_to_its_region(marketplace: str, region: str) -> None:
    assert region_of_marketplace(marketplace).code == region


def test_validate_marketplaces_rejects_foreign_unknown_and_empty_naming_the_field() -> None:
    assert validate_marketplaces("eu", ["A1PA6795UKMFR9", "A1F83G8C2ARO7P", "A1PA6795UKMFR9"]) == [
        "A1PA6795UKMFR9",
        "A1F83G8C2ARO7P",
    ]
    with pytest.raises(ValueError, match=r"marketplaceIds: ATVPDKIKX0DER belongs to region NA, not EU"):
        validate_marketplaces("EU", ["A1PA6795UKMFR9", "ATVPDKIKX0DER"])
    with pytest.raises(ValueError, match="marketplaceIds: unknown marketplace id 'NOPE'"):
        validate_marketplaces("NA", ["NOPE"])
    with pytest.raises(ValueError, match="marketplaceIds: at least one"):
        validate_marketplaces("NA", [])
    with pytest.raises(ValueError, match="marketplaceIds: expected a list"):
        validate_marketplaces("NA", "ATVPDKIKX0DER")
    with pytest.raises(ValueError, match="region: unknown region 'XX'"):
        get_region("XX")


def test_endpoints_default_to_amazon_and_honour_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SPAPI_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("LWA_ENDPOINT_URL", raising=False)
    assert spapi_endpoint("FE") == "https://sellingpartnerapi-fe.amazon.com"
    assert spapi_endpoint("EU", sandbox=True) == "https://sandbox.sellingpartnerapi-eu.amazon.com"
    assert lwa_endpoint() == DEFAULT_LWA_ENDPOINT == "https://api.amazon.com/auth/o2/token"
    monkeypatch.setenv("SP_REPORTS_TEST_ENDPOINTS", "true")  # a stand-in of SP-API: a test deployment
    monkeypatch.setenv("SPAPI_ENDPOINT_URL", "http://127.0.0.1:8123/")
    monkeypatch.setenv("LWA_ENDPOINT_URL", "http://127.0.0.1:8123/auth/o2/token")
    assert {spapi_endpoint(code) for code in REGIONS} == {"http://127.0.0.1:8123"}
    monkeypatch.setenv("SPAPI_ENDPOINT_URL_EU", "http://127.0.0.1:8124/")  # one region's own endpoint wins
    assert [spapi_endpoint(code) for code in ("NA", "EU", "FE")] == [
        "http://127.0.0.1:8123",
        "http://127.0.0.1:8124",
        "http://127.0.0.1:8123",
    ]
    assert lwa_endpoint() == "http://127.0.0.1:8123/auth/o2/token"
    with pytest.raises(ValueError, match="region"):
        spapi_endpoint("MARS")


# Amazon's SP-API hosts, production and sandbox ("SP-API endpoints",
# https://developer-docs.amazon.com/sp-api/docs/sp-api-endpoints; "SP-API sandbox",
# https://developer-docs.amazon.com/sp-api/docs/the-selling-partner-api-sandbox).
AMAZON_SPAPI_HOSTS = [
    "sellingpartnerapi-na.amazon.com",
    "sellingpartnerapi-eu.amazon.com",
    "sellingpartnerapi-fe.amazon.com",
    "sandbox.sellingpartnerapi-na.amazon.com",
    "sandbox.sellingpartnerapi-eu.amazon.com",
    "sandbox.sellingpartnerapi-fe.amazon.com",
]


def test_the_spapi_hosts_are_amazons_list():
    assert sorted(SPAPI_HOSTS) == sorted(AMAZON_SPAPI_HOSTS)


# (case, SPAPI_ENDPOINT_URL, accepted outside a test deployment, accepted in one)
SPAPI_OVERRIDES = [
    *[(host, f"https://{host}", True, True) for host in AMAZON_SPAPI_HOSTS],
    ("with a trailing slash", "https://sellingpartnerapi-eu.amazon.com/", True, True),
    ("port 443", "https://sellingpartnerapi-eu.amazon.com:443", True, True),
    ("upper-case host", "https://SellingPartnerAPI-EU.amazon.com", True, True),
    ("http on Amazon's host", "http://sellingpartnerapi-eu.amazon.com", False, True),
    ("another port", "https://sellingpartnerapi-eu.amazon.com:8443", False, True),
    ("a look-alike host", "https://sellingpartnerapi-eu.amazon.com.evil.example", False, True),
    ("a host under Amazon's", "https://x.sellingpartnerapi-eu.amazon.com", False, True),
    ("LWA's host", "https://api.amazon.com", False, True),
    ("the emulator, local", "http://127.0.0.1:8123", False, True),
    ("the emulator, in the account", "https://abc.lambda-url.us-east-1.on.aws", False, True),
    ("credentials in the URL", "https://user:pw@sellingpartnerapi-eu.amazon.com", False, False),
    ("not http", "ftp://sellingpartnerapi-eu.amazon.com", False, False),
    ("not a URL", "sellingpartnerapi-eu.amazon.com", False, False),
    ("a port that is no number", "https://sellingpartnerapi-eu.amazon.com:x", False, False),
]


@pytest.mark.parametrize("test_deployment", [False, True], ids=["production", "test-deployment"])
@pytest.mark.parametrize(
    ("url", "in_production", "in_test"), [c[1:] for c in SPAPI_OVERRIDES], ids=[c[0] for c in SPAPI_OVERRIDES]
)
def test_an_spapi_endpoint_override_is_amazons_unless_a_test_deployment(
    url, in_production, in_test, test_deployment
):
    environ = {
        "SPAPI_ENDPOINT_URL": url,
        **({"SP_REPORTS_TEST_ENDPOINTS": "true"} if test_deployment else {}),
    }
    accepted = in_test if test_deployment else in_production
    if accepted:
        assert spapi_endpoint("EU", environ=environ) == url.rstrip("/")
        assert spapi_endpoint("EU", environ={"SPAPI_ENDPOINT_URL_EU": url, **environ}) == url.rstrip("/")
    else:
        with pytest.raises(ConfigurationError, match="SPAPI_ENDPOINT_URL"):
            spapi_endpoint("EU", environ=environ)
        with pytest.raises(ConfigurationError, match="SPAPI_ENDPOINT_URL_EU"):
            spapi_endpoint("EU", environ={"SPAPI_ENDPOINT_URL_EU": url, **environ})


# (case, LWA_ENDPOINT_URL, accepted outside a test deployment, accepted in one)
LWA_OVERRIDES = [
    ("LWA's token URL", "https://api.amazon.com/auth/o2/token", True, True),
    ("http on LWA's host", "http://api.amazon.com/auth/o2/token", False, True),
    ("an SP-API host", "https://sellingpartnerapi-na.amazon.com/auth/o2/token", False, True),
    ("a look-alike host", "https://api.amazon.com.evil.example/auth/o2/token", False, True),
    ("another Amazon host", "https://www.amazon.com/ap/oa", False, True),
    ("the emulator", "http://127.0.0.1:8123/auth/o2/token", False, True),
    ("credentials in the URL", "https://a:b@api.amazon.com/auth/o2/token", False, False),
    ("not http", "file:///etc/passwd", False, False),
]


@pytest.mark.parametrize("test_deployment", [False, True], ids=["production", "test-deployment"])
@pytest.mark.parametrize(
    ("url", "in_production", "in_test"), [c[1:] for c in LWA_OVERRIDES], ids=[c[0] for c in LWA_OVERRIDES]
)
def test_an_lwa_endpoint_override_is_amazons_unless_a_test_deployment(
    url, in_production, in_test, test_deployment
):
    environ = {"LWA_ENDPOINT_URL": url, **({"SP_REPORTS_TEST_ENDPOINTS": "true"} if test_deployment else {})}
    if in_test if test_deployment else in_production:
        assert lwa_endpoint(environ) == url
    else:
        with pytest.raises(ConfigurationError, match="LWA_ENDPOINT_URL"):
            lwa_endpoint(environ)


@pytest.mark.parametrize("flag", ["", "false", "0", "no", "maybe"])
def test_only_a_true_flag_makes_a_test_deployment(flag):
    with pytest.raises(ConfigurationError):
        lwa_endpoint(
            {"LWA_ENDPOINT_URL": "http://127.0.0.1:1/auth/o2/token", "SP_REPORTS_TEST_ENDPOINTS": flag}
        )


# (case, document URL, accepted outside a test deployment, accepted in one). Amazon's document URLs are S3
# presigned URLs on tortuga-prod-<region> buckets (sp_reports.spapi.regions.DOCUMENT_HOST_SUFFIX cites the
# forms).
DOCUMENT_URLS = [
    (
        "S3 external-1",
        "https://tortuga-prod-na.s3-external-1.amazonaws.com/d.amzn1.tortuga.4.na.T1?X-Amz-Signature=s",
        True,
        True,
    ),
    (
        "S3 legacy regional",
        "https://tortuga-prod-eu.s3-eu-west-1.amazonaws.com/d?X-Amz-Signature=s",
        True,
        True,
    ),
    ("S3 global", "https://tortuga-prod-na.s3.amazonaws.com/d?X-Amz-Signature=s", True, True),
    ("S3 dotted regional", "https://tortuga-prod-fe.s3.us-west-2.amazonaws.com/d", True, True),
    (
        "the sandbox's example",
        "https://d34o8swod1owfl.cloudfront.net/Report_47700__GET_MERCHANT_LISTINGS_ALL_DATA_.txt",
        True,
        True,
    ),
    ("http on S3", "http://tortuga-prod-na.s3.amazonaws.com/d", False, True),
    ("another port", "https://tortuga-prod-na.s3.amazonaws.com:8443/d", False, True),
    ("a look-alike host", "https://tortuga-prod-na.s3.amazonaws.com.evil.example/d", False, True),
    ("a suffix without the dot", "https://evilamazonaws.com/d", False, True),
    ("another CloudFront distribution", "https://d111111abcdef8.cloudfront.net/d", False, True),
    ("an IP address", "https://169.254.169.254/latest/meta-data/", False, True),
    ("local S3 (moto)", "http://localhost:5000/bucket/d", False, True),
    ("the emulator's documents", "http://127.0.0.1:8123/_documents/d?sig=s", False, True),
    ("credentials in the URL", "https://a:b@tortuga-prod-na.s3.amazonaws.com/d", False, False),
    ("not http", "file:///etc/passwd", False, False),
    ("no host", "https:///d", False, False),
    ("not a URL", "tortuga-prod-na.s3.amazonaws.com/d", False, False),
]


@pytest.mark.parametrize("test_deployment", [False, True], ids=["production", "test-deployment"])
@pytest.mark.parametrize(
    ("url", "in_production", "in_test"), [c[1:] for c in DOCUMENT_URLS], ids=[c[0] for c in DOCUMENT_URLS]
)
def test_documents_come_from_amazon_s3_over_https_unless_a_test_deployment(
    url, in_production, in_test, test_deployment
):
    environ = {"SP_REPORTS_TEST_ENDPOINTS": "true"} if test_deployment else {}
    assert document_url_allowed(url, environ) is (in_test if test_deployment else in_production)
