"""Attack 1: malformed requests at the API's door.

Hypothesis builds 1,000 malformed requests per endpoint (POST /tokens, /notifications, /reports and the
path parameter of GET /reports/{reportId}) and each goes to the real handler as an API Gateway proxy event.
Every answer must be a 4xx `{"error": {"code", "message"}}` whose message names a field the request broke;
nothing may be written to a table and SP-API (and LWA) must not be called.

Each request starts from a valid body and breaks one to three fields (missing, wrong JSON type, a bad value,
a huge string, a wrong region/marketplace pair, an inverted period, injection-looking report options), with
unknown fields added on top, or breaks the body itself (invalid JSON, a non-object, non-UTF-8 or invalid
base64, more than 64 KiB). The fields a case breaks are known by construction, so the check is exact.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sp_reports.spapi.regions import get_region
from sp_reports.spapi.report_ids import REPORT_ID_MAX_LENGTH, REPORT_ID_PATTERN
from tests.support.canaries import REFRESH_TOKEN, SELLER_ID
from tests.support.reliability import api_events, scan_for_secrets

EXAMPLES = 1000
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

BODY = "body"
MAX_BODY_BYTES = 64 * 1024
EXTRA_FIELD_NAMES = (
    "sellerid",
    "Region",
    "extra",
    "__proto__",
    "$where",
    "constructor",
    "ReportTypes",
    "x" * 40,
)
NOT_STRINGS = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.sampled_from(["a", "b", "$ne"]), st.integers(), max_size=2),
)
INJECTION_FRAGMENTS = (
    "' OR '1'='1",
    '"; DROP TABLE reports; --',
    "$(rm -rf /)",
    "`id`",
    "{{7*7}}",
    "${jndi:ldap://x/a}",
    "<script>alert(1)</script>",
    "a\x00b",
    "line\r\nX-Injected: 1",
    '{"$ne": null}',
    "%00%0d%0a",
    "|| curl evil",
)


def huge_string(min_size: int = 1_000, max_size: int = 100_000) -> st.SearchStrategy[str]:
    # Built by repetition: asking hypothesis for 100k random characters would be slow for no extra coverage.
    return st.builds(lambda ch, n: ch * n, st.sampled_from("aZ9|é\u4e2d"), st.integers(min_size, max_size))


def matching_nothing(valid: re.Pattern[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=40), huge_string(100, 5_000), st.sampled_from(INJECTION_FRAGMENTS)
    ).filter(lambda s: not valid.fullmatch(s.strip()))


def _not_a_region(text: str) -> bool:
    try:
        get_region(text)
    except ValueError:
        return True
    return False


def _not_iso(text: str) -> bool:
    try:
        datetime.fromisoformat(text.strip())
    except ValueError:
        return bool(text.strip())
    return False


SELLER_IDS = matching_nothing(re.compile(r"[A-Z0-9]{8,20}"))
REFRESH_TOKENS = st.one_of(
    st.text(max_size=40).filter(lambda s: not s.startswith("Atzr|")),
    st.just("Atzr|"),
    st.builds(lambda s: f"Atzr|{s} with spaces", st.text(max_size=10)),
    st.just(REFRESH_TOKEN + "\n"),  # a real-looking token with a stray newline: refused without being echoed
    st.builds(lambda n: "Atzr|" + "x" * n, st.integers(4_092, 20_000)),
)
REGIONS = st.one_of(
    st.text(max_size=12), st.sampled_from(["US", "EUR", "N A", "JP", "na;", "EU\x00"])
).filter(_not_a_region)
REPORT_TYPES = matching_nothing(re.compile(r"[A-Z][A-Z0-9_]{2,99}"))
NOTIFICATION_TYPES = st.one_of(
    st.text(min_size=1, max_size=30),
    st.sampled_from(["ANY_OFFER_CHANGED", "report_processing_finished", "REPORT_PROCESSING_FINISHED;--"]),
).filter(lambda s: s.strip() and s.strip() not in ("REPORT_PROCESSING_FINISHED", "APPLICATION_OAUTH_CHANGED"))
TIMESTAMPS = st.one_of(
    st.text(min_size=1, max_size=30), st.sampled_from(["2024-13-01T00:00:00Z", "yesterday", "2024-02-30"])
).filter(_not_iso)
# NA is the region of the valid body: marketplaces of EU and FE, unknown ids, an empty list, non-strings.
MARKETPLACES = st.one_of(
    st.sampled_from(["A1PA6795UKMFR9", "A1VC38T7YXB528", "A1F83G8C2ARO7P", "ATVPDKIKX0DER,A1PA6795UKMFR9"]),
    st.lists(
        st.sampled_from(["A1PA6795UKMFR9", "A39IBJ37TRP1C6", "NOT-A-MARKETPLACE", ""]), min_size=1, max_size=4
    )
    .filter(lambda ids: any(i for i in ids) and "ATVPDKIKX0DER" not in ids)
    .map(lambda ids: ids if ids != [""] * len(ids) else ["BOGUS"]),
    st.just([]),
    st.just(""),
    st.lists(st.one_of(st.integers(), st.none(), st.booleans()), min_size=1, max_size=3),
    st.text(min_size=1, max_size=20).filter(lambda s: s.strip() and "ATVPDKIKX0DER" not in s),
)
OPTION_KEYS = st.sampled_from(
    ["reportPeriod", "distributorView", "$where", "a b", "__proto__", "k;DROP", "x" * 80]
)
REPORT_OPTIONS = st.one_of(
    # Injection-looking values (or keys) and values that are not strings.
    st.dictionaries(OPTION_KEYS, st.sampled_from(INJECTION_FRAGMENTS), min_size=1, max_size=3),
    st.dictionaries(
        st.sampled_from(["reportPeriod", "$gt", "../../etc/passwd"]),
        st.sampled_from(["WEEK", "DAY"]),
        min_size=1,
    ).filter(lambda d: set(d) != {"reportPeriod"}),
    st.dictionaries(
        st.sampled_from(["reportPeriod", "asinGranularity"]),
        st.one_of(
            st.booleans(),
            st.none(),
            st.lists(st.text(max_size=3)),
            st.dictionaries(st.text(max_size=3), st.text(max_size=3), min_size=1),
        ),
        min_size=1,
    ),
    st.builds(lambda key, n: {"reportPeriod": key * n}, st.sampled_from("AZ9"), st.integers(300, 20_000)),
    st.sampled_from(["{not json", "[1,2]", '"WEEK"', "reportPeriod=WEEK", "null;--"]),
    st.one_of(st.integers(), st.lists(st.text(max_size=3), min_size=1), st.just(True)),
)


def _required_string(name: str, bad_values: st.SearchStrategy) -> dict:
    return {"name": name, "required": True, "bad": st.one_of(bad_values, NOT_STRINGS, huge_string())}


def _optional_string(name: str, bad_values: st.SearchStrategy) -> dict:
    return {"name": name, "required": False, "bad": st.one_of(bad_values, NOT_STRINGS, huge_string())}


ENDPOINTS = {
    "tokens": {
        "path": "/tokens",
        "valid": {"SellerId": SELLER_ID, "RefreshToken": REFRESH_TOKEN},
        "fields": [
            _required_string("SellerId", SELLER_IDS),
            {"name": "RefreshToken", "required": True, "bad": st.one_of(REFRESH_TOKENS, NOT_STRINGS)},
        ],
    },
    "notifications": {
        "path": "/notifications",
        "valid": {
            "SellerId": SELLER_ID,
            "RegionCode": "NA",
            "NotificationType": "REPORT_PROCESSING_FINISHED",
        },
        "fields": [
            _required_string("SellerId", SELLER_IDS),
            _required_string("RegionCode", REGIONS),
            _optional_string("NotificationType", NOTIFICATION_TYPES),
        ],
    },
    "reports": {
        "path": "/reports",
        "valid": {
            "SellerId": SELLER_ID,
            "RegionCode": "NA",
            "ReportType": "GET_MERCHANT_LISTINGS_ALL_DATA",
            "MarketplaceIds": ["ATVPDKIKX0DER"],
            "ReportDataStartTime": "2024-05-01T00:00:00Z",
            "ReportDataEndTime": "2024-05-02T00:00:00Z",
            "ReportOptions": {"reportPeriod": "WEEK"},
        },
        "fields": [
            _required_string("SellerId", SELLER_IDS),
            _required_string("RegionCode", REGIONS),
            _required_string("ReportType", REPORT_TYPES),
            {"name": "MarketplaceIds", "required": True, "bad": MARKETPLACES},
            _optional_string("ReportDataStartTime", TIMESTAMPS),
            _optional_string("ReportDataEndTime", TIMESTAMPS),
            {"name": "ReportOptions", "required": False, "bad": REPORT_OPTIONS},
            {
                "name": "SplitRange",
                "required": False,
                "bad": st.one_of(
                    st.integers(),
                    st.lists(st.booleans(), min_size=1, max_size=2),
                    st.text(min_size=1, max_size=8).filter(
                        lambda s: s.strip() and s.strip().lower() not in ("true", "false")
                    ),
                ),
            },
        ],
    },
}


@st.composite
def broken_fields(draw, endpoint: dict) -> tuple[dict, set[str]]:
    body = json.loads(json.dumps(endpoint["valid"]))
    broken: set[str] = set()
    fields = draw(
        st.lists(st.sampled_from(endpoint["fields"]), min_size=1, max_size=3, unique_by=lambda f: f["name"])
    )
    for spec in fields:
        if spec["required"] and draw(st.integers(0, 4)) == 0:
            del body[spec["name"]]
        else:
            body[spec["name"]] = draw(spec["bad"])
        broken.add(spec["name"])
    if endpoint["path"] == "/reports" and draw(st.integers(0, 5)) == 0:
        # An inverted period: the end before the start (a ValidationError naming the end).
        start, end = sorted(draw(st.lists(st.datetimes(), min_size=2, max_size=2, unique=True)), reverse=True)
        body["ReportDataStartTime"], body["ReportDataEndTime"] = start.isoformat(), end.isoformat()
        broken |= {"ReportDataStartTime", "ReportDataEndTime"}
    for name in draw(st.lists(st.sampled_from(EXTRA_FIELD_NAMES), max_size=3)):
        body[name] = draw(st.one_of(st.text(max_size=10), st.integers(), huge_string(10, 2_000)))
    return body, broken


@st.composite
def broken_body(draw, endpoint: dict) -> tuple[str | None, bool, set[str]]:
    """(body text, isBase64Encoded, {"body"}): a body that is no JSON object at all."""
    valid = json.dumps(endpoint["valid"])
    kind = draw(
        st.sampled_from(["invalid_json", "not_object", "non_utf8", "bad_base64", "too_large", "empty"])
    )
    if kind == "invalid_json":
        text = draw(
            st.one_of(
                st.builds(lambda n: valid[:n], st.integers(1, len(valid) - 1)),
                st.text(min_size=1, max_size=50).filter(lambda s: not _is_json(s)),
                st.just(valid.replace('"', "'")),
            )
        )
        return text, False, {BODY}
    if kind == "not_object":
        value = draw(
            st.one_of(st.lists(st.integers(), max_size=3), st.integers(), st.text(max_size=10), st.none())
        )
        return json.dumps(value if value is not None else [valid]), False, {BODY}
    if kind == "non_utf8":
        raw = draw(st.binary(min_size=1, max_size=200).filter(_not_utf8))
        return base64.b64encode(raw).decode(), True, {BODY}
    if kind == "bad_base64":
        return draw(st.sampled_from(["@@@", "e30", "====", "eyJh"]).map(lambda s: s + "!")), True, {BODY}
    if kind == "too_large":
        padding = draw(st.integers(64 * 1024, 300 * 1024))
        return json.dumps({**endpoint["valid"], "padding": "p" * padding}), draw(st.booleans()), {BODY}
    return draw(st.sampled_from([None, ""])), False, {BODY}


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _not_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


@st.composite
def malformed_request(draw, endpoint: dict) -> tuple[dict, set[str]]:
    if draw(st.integers(0, 3)) == 0:
        text, is_base64, broken = draw(broken_body(endpoint))
    else:
        body, broken = draw(broken_fields(endpoint))
        text, is_base64 = json.dumps(body), draw(st.integers(0, 9)) == 0
        if len(text.encode()) > MAX_BODY_BYTES:
            broken = broken | {BODY}  # a huge value makes the whole body too large, refused first
        if is_base64:
            text = base64.b64encode(text.encode()).decode()
    event = api_events.api_event("POST", endpoint["path"], text)
    event["body"] = text
    event["isBase64Encoded"] = is_base64
    return event, broken


# -- the observers --------------------------------------------------------------------------------------


class SideEffects:
    """Counts of everything a request could change: table items and SP-API/LWA exchanges."""

    def __init__(self, resources, emulator) -> None:
        self._dynamodb = boto3.client("dynamodb")
        self._tables = (resources.tokens_table, resources.reports_table)
        self._emulator = emulator

    def snapshot(self) -> tuple:
        items = tuple(self._dynamodb.scan(TableName=t, Select="COUNT")["Count"] for t in self._tables)
        return items, len(self._emulator.exchanges), self._emulator.lwa_exchange_count


def assert_refused_naming(response: dict, broken: set[str]) -> None:
    assert 400 <= response["statusCode"] < 500, (response["statusCode"], response["body"][:300])
    assert response["headers"]["Content-Type"] == "application/json"
    error = json.loads(response["body"])["error"]
    assert isinstance(error["code"], str) and error["code"]
    named = error["message"].split(":", 1)[0]
    assert named in broken, f"message {error['message'][:200]!r} names none of {sorted(broken)}"
    scan_for_secrets(response["body"], "API error bodies")


@pytest.fixture
def side_effects(pipeline_resources, spapi_emulator) -> SideEffects:
    return SideEffects(pipeline_resources, spapi_emulator)


HANDLERS = {
    "tokens": "token_storage",
    "notifications": "notifications_subscriber",
    "reports": "report_creator",
}


@pytest.mark.parametrize("endpoint_name", sorted(HANDLERS))
def test_malformed_posts_get_a_4xx_naming_the_field_and_change_nothing(
    endpoint_name, fresh_handler, side_effects, lambda_context, attack_results
):
    module = fresh_handler(HANDLERS[endpoint_name])
    endpoint = ENDPOINTS[endpoint_name]
    before = side_effects.snapshot()
    tried = []

    @SETTINGS
    @given(case=malformed_request(endpoint))
    def attack(case):
        event, broken = case
        assert_refused_naming(module.handler(event, lambda_context), broken)
        assert side_effects.snapshot() == before, "a malformed request wrote to a table or called SP-API"
        tried.append(1)

    attack()
    assert len(tried) >= EXAMPLES
    attack_results.record(
        f"1-door-{endpoint_name}",
        attack=f"Bad input: POST {endpoint['path']}",
        cases=len(tried),
        outcome="4xx naming the field; 0 table writes, 0 SP-API/LWA calls",
        lost=None,
    )


REPORT_ID = re.compile(REPORT_ID_PATTERN.pattern.removeprefix("^").removesuffix("\\Z"))  # the one rule


@st.composite
def malformed_report_path(draw) -> tuple[dict, set[str]]:
    kind = draw(st.integers(0, 3))
    if kind == 0:
        parameters = draw(st.sampled_from([None, {}, {"reportId": ""}, {"reportId": None}]))
    elif kind == 1:
        # Ids of the right shape that nobody recorded: 404, still naming the field.
        parameters = {"reportId": draw(st.from_regex(REPORT_ID, fullmatch=True))}
    else:
        bad = st.one_of(
            st.text(min_size=1, max_size=80),
            huge_string(REPORT_ID_MAX_LENGTH + 1, 10_000),
            st.sampled_from((*INJECTION_FRAGMENTS, "../../etc/passwd", "1 OR 1=1", "123/../456", "%2e%2e")),
        )
        parameters = {"reportId": draw(bad.filter(lambda s: not REPORT_ID.fullmatch(s)))}
    event = api_events.api_event("GET", "/reports/{reportId}", path_parameters=parameters)
    return event, {"reportId"}


def test_malformed_report_ids_get_a_4xx_naming_the_field_and_change_nothing(
    fresh_handler, side_effects, lambda_context, attack_results
):
    module = fresh_handler("report_status")
    before = side_effects.snapshot()
    tried = []

    @SETTINGS
    @given(case=malformed_report_path())
    def attack(case):
        event, broken = case
        assert_refused_naming(module.handler(event, lambda_context), broken)
        assert side_effects.snapshot() == before
        tried.append(1)

    attack()
    assert len(tried) >= EXAMPLES
    attack_results.record(
        "1-door-report-status",
        attack="Bad input: GET /reports/{reportId}",
        cases=len(tried),
        outcome="4xx (400 malformed, 404 unknown) naming reportId; 0 writes, 0 SP-API calls",
        lost=None,
    )


@pytest.mark.parametrize(
    "options",
    [
        {"reportPeriod": "' OR '1'='1"},
        {"reportPeriod": "WEEK\n"},
        {"$where": "1"},
        {"reportPeriod": "${jndi:ldap://x/a}"},
        {f"option{n}": "x" for n in range(21)},
    ],
)
def test_injection_looking_report_options_are_refused_before_spapi_is_asked(
    options, fresh_handler, side_effects, lambda_context
):
    # Found by the property test above: these used to reach createReport and be recorded.
    module = fresh_handler("report_creator")
    before = side_effects.snapshot()
    body = {**ENDPOINTS["reports"]["valid"], "ReportOptions": options}
    assert_refused_naming(
        module.handler(api_events.api_event("POST", "/reports", body), lambda_context), {"ReportOptions"}
    )
    assert side_effects.snapshot() == before


def test_documented_report_options_still_reach_spapi(fresh_handler, lambda_context):
    module = fresh_handler("report_creator")
    body = {
        **ENDPOINTS["reports"]["valid"],
        "ReportOptions": {
            "reportPeriod": "WEEK",
            "custom": True and "true",
            "dateGranularity": "2024-05-01T00:00:00Z",
        },
    }
    response = module.handler(api_events.api_event("POST", "/reports", body), lambda_context)
    assert response["statusCode"] == 202, response["body"]
