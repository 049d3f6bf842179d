"""Every function validates its environment at cold start and names what is missing or malformed."""

from __future__ import annotations

import pytest

from sp_reports.spapi.errors import ConfigurationError

REQUIRED = {
    "token_storage": ["TOKENS_TABLE_NAME", "TOKENS_KMS_KEY_ID", "LWA_CREDENTIALS_SECRET_ARN"],
    "notifications_subscriber": [
        "TOKENS_TABLE_NAME",
        "LWA_CREDENTIALS_SECRET_ARN",
        "NOTIFICATIONS_QUEUE_ARN",
        "SPAPI_DESTINATION_NAME",
    ],
    "report_creator": ["TOKENS_TABLE_NAME", "REPORTS_TABLE_NAME", "LWA_CREDENTIALS_SECRET_ARN"],
    "report_status": ["REPORTS_TABLE_NAME", "REPORTS_BUCKET_NAME"],
    "notifications_processor": ["REPORTS_TABLE_NAME", "STATE_MACHINE_ARN", "TOKENS_TABLE_NAME"],
    "report_storer": [
        "TOKENS_TABLE_NAME",
        "REPORTS_TABLE_NAME",
        "LWA_CREDENTIALS_SECRET_ARN",
        "REPORTS_BUCKET_NAME",
        "REPORTS_KMS_KEY_ID",
    ],
    "report_converter": ["REPORTS_TABLE_NAME", "REPORTS_KMS_KEY_ID"],
    "report_notifier": ["REPORTS_TABLE_NAME", "REPORTS_BUCKET_NAME", "NOTIFICATIONS_TOPIC_ARN"],
    "report_sweeper": [
        "TOKENS_TABLE_NAME",
        "REPORTS_TABLE_NAME",
        "STATE_MACHINE_ARN",
        "LWA_CREDENTIALS_SECRET_ARN",
    ],
    "pull_planner": [
        "TOKENS_TABLE_NAME",
        "REPORTS_TABLE_NAME",
        "PULL_PLANS_TABLE_NAME",
        "LWA_CREDENTIALS_SECRET_ARN",
        "REPORTS_BUCKET_NAME",
        "REPORTS_KMS_KEY_ID",
        "STATE_MACHINE_ARN",
    ],
    "plans_api": ["TOKENS_TABLE_NAME", "PULL_PLANS_TABLE_NAME", "REPORTS_TABLE_NAME"],
    "seller_eraser": [
        "TOKENS_TABLE_NAME",
        "REPORTS_TABLE_NAME",
        "REPORTS_BUCKET_NAME",
        "LWA_CREDENTIALS_SECRET_ARN",
        "NOTIFICATIONS_QUEUE_ARN",
        "PULL_PLANS_TABLE_NAME",
    ],
}


@pytest.mark.parametrize("function", sorted(REQUIRED))
def test_function_loads_with_its_documented_environment(load_handler, function):
    assert callable(load_handler(function).handler)


@pytest.mark.parametrize(("function", "variable"), [(f, v) for f, names in REQUIRED.items() for v in names])
def test_missing_variable_fails_the_cold_start_naming_it(load_handler, monkeypatch, function, variable):
    monkeypatch.setenv(variable, " ")
    with pytest.raises(ConfigurationError, match=variable):
        load_handler(function)


@pytest.mark.parametrize(
    ("function", "variable", "value"),
    [
        ("report_creator", "REPORT_RECORD_TTL_DAYS", "ninety"),
        ("report_creator", "REPORT_RECORD_TTL_DAYS", "0"),
        ("report_creator", "SELLER_DAILY_REPORT_BUDGET", "0"),
        ("report_creator", "SELLER_DAILY_REPORT_BUDGET", "unlimited"),
        ("plans_api", "SELLER_DAILY_REPORT_BUDGET", "0"),
        ("plans_api", "ALLOW_RESTRICTED_REPORT_TYPES", "sometimes"),
        ("report_status", "PRESIGNED_URL_TTL_SECONDS", "604801"),
        ("report_storer", "REPORT_UPLOAD_PART_SIZE_MIB", "4"),
        ("report_storer", "MAX_DOCUMENT_BYTES", "0"),
        ("report_creator", "LWA_CREDENTIALS_CACHE_SECONDS", "an hour"),
        ("token_storage", "LWA_CREDENTIALS_CACHE_SECONDS", "0"),
        ("notifications_subscriber", "LWA_CREDENTIALS_CACHE_SECONDS", "604800"),  # over a day: the overlap
        ("report_storer", "REFRESH_TOKEN_CACHE_SECONDS", "0"),
        ("report_creator", "REFRESH_TOKEN_CACHE_SECONDS", "3600"),  # over 15 minutes: no longer short-lived
        ("report_sweeper", "SWEEP_STUCK_AFTER_HOURS", "six"),
        ("report_sweeper", "SWEEP_STUCK_AFTER_HOURS", "2161"),  # beyond SP-API's 90 days of reports
        ("report_sweeper", "SWEEP_AMAZON_GENERATED_REPORT_TYPES", "settlement reports"),
        ("pull_planner", "PULL_PLANNER_MAX_REPORTS_PER_TICK", "0"),
        ("pull_planner", "PULL_PLANNER_MAX_REPORTS_PER_TICK", "10001"),
    ],
)
def test_malformed_numbers_fail_the_cold_start_naming_them(load_handler, function, variable, value):
    with pytest.raises(ConfigurationError, match=variable):
        load_handler(function, **{variable: value})


def test_a_notifier_that_emails_links_needs_the_link_signer_and_a_valid_lifetime(load_handler, monkeypatch):
    monkeypatch.setenv("DOWNLOAD_LINK_SIGNER_ROLE_ARN", " ")
    assert load_handler("report_notifier").download_links is None  # no links by default: no signer needed
    with pytest.raises(ConfigurationError, match="DOWNLOAD_LINK_SIGNER_ROLE_ARN"):
        load_handler("report_notifier", EMAIL_DOWNLOAD_LINKS="true")
    monkeypatch.setenv("DOWNLOAD_LINK_SIGNER_ROLE_ARN", "arn:aws:iam::123456789012:role/signer")
    with pytest.raises(ConfigurationError, match="PRESIGNED_URL_TTL_SECONDS"):
        load_handler("report_notifier", EMAIL_DOWNLOAD_LINKS="true", PRESIGNED_URL_TTL_SECONDS="-1")
    with pytest.raises(ConfigurationError, match="EMAIL_DOWNLOAD_LINKS"):
        load_handler("report_notifier", EMAIL_DOWNLOAD_LINKS="links please")


@pytest.mark.parametrize(("value", "expected"), [("", False), ("false", False), ("true", True)])
def test_the_storer_transcodes_only_when_told_to(load_handler, value, expected):
    assert load_handler("report_storer", TRANSCODE_REPORTS_TO_UTF8=value).transcode_to_utf8 is expected


def test_a_malformed_transcoding_switch_fails_the_cold_start_naming_it(load_handler):
    with pytest.raises(ConfigurationError, match="TRANSCODE_REPORTS_TO_UTF8"):
        load_handler("report_storer", TRANSCODE_REPORTS_TO_UTF8="utf-8")


SPAPI_CALLERS = [
    "token_storage",
    "notifications_subscriber",
    "report_creator",
    "report_storer",
    "report_sweeper",
    "pull_planner",
]


@pytest.mark.parametrize("function", SPAPI_CALLERS)
@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SPAPI_ENDPOINT_URL", "https://sellingpartnerapi.example.net"),
        ("SPAPI_ENDPOINT_URL_EU", "http://sellingpartnerapi-eu.amazon.com"),
        ("LWA_ENDPOINT_URL", "https://lwa.example.net/auth/o2/token"),
    ],
)
def test_an_endpoint_override_off_amazon_fails_the_cold_start_outside_a_test_deployment(
    load_handler, monkeypatch, function, variable, value
):
    monkeypatch.delenv("SP_REPORTS_TEST_ENDPOINTS", raising=False)
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError, match=variable):
        load_handler(function)
    monkeypatch.setenv("SP_REPORTS_TEST_ENDPOINTS", "true")  # a stand-in of SP-API: a test deployment
    assert callable(load_handler(function).handler)
