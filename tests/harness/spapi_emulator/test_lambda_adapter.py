"""The emulator behind a function URL: a payload-format-2.0 event reaches the WSGI app as the same request,
and the answer goes back as a function URL response (documented fields, binary bodies base64-encoded)."""

from __future__ import annotations

import base64
import gzip
import json

import pytest

from spapi_emulator.app import EmulatorApp
from spapi_emulator.lambda_adapter import NotAFunctionUrlEvent, function_url_response, wsgi_environ
from tests.support.canaries import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, SELLER_ID

DOMAIN = "abcdefghij.lambda-url.eu-west-1.on.aws"


def _event(method: str, path: str, query: str = "", body: bytes = b"", binary: bool = False, **headers: str):
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {"host": DOMAIN, "user-agent": "sp-reports/1.0 (Language=Python)", **headers},
        "requestContext": {
            "domainName": DOMAIN,
            "http": {"method": method, "path": path, "sourceIp": "1.2.3.4"},
        },
        "body": base64.b64encode(body).decode() if binary else body.decode(),
        "isBase64Encoded": binary,
    }


@pytest.fixture
def app(contract) -> EmulatorApp:
    emulator = EmulatorApp(contract)
    emulator.state.register_app(CLIENT_ID, CLIENT_SECRET, None)
    emulator.state.register_seller(REFRESH_TOKEN, SELLER_ID, None, None)
    return emulator


@pytest.mark.parametrize(
    ("event_fields", "environ_key", "expected"),
    [
        ({"rawPath": "/reports/2021-06-30/reports"}, "PATH_INFO", "/reports/2021-06-30/reports"),
        ({"rawQueryString": "reportTypes=A&pageSize=10"}, "QUERY_STRING", "reportTypes=A&pageSize=10"),
        ({"headers": {"x-amz-access-token": "Atza|t"}}, "HTTP_X_AMZ_ACCESS_TOKEN", "Atza|t"),
        ({"headers": {"content-type": "application/json"}}, "CONTENT_TYPE", "application/json"),
        ({"body": "e30=", "isBase64Encoded": True}, "CONTENT_LENGTH", "2"),
        ({"cookies": ["a=1", "b=2"]}, "HTTP_COOKIE", "a=1; b=2"),
        ({}, "wsgi.url_scheme", "https"),  # function URLs serve HTTPS only
    ],
)
def test_event_fields_become_the_wsgi_request(event_fields, environ_key, expected):
    event = _event("GET", "/")
    event.update(event_fields)

    assert wsgi_environ(event)[environ_key] == expected


@pytest.mark.parametrize("event", [{}, {"version": "1.0", "requestContext": {}}, {"version": "2.0"}])
def test_other_events_are_refused(event):
    with pytest.raises(NotAFunctionUrlEvent, match=r"payload format version 2\.0"):
        wsgi_environ(event)


def test_a_token_request_and_a_report_round_trip_through_function_url_events(app):
    form = (
        f"grant_type=refresh_token&refresh_token={REFRESH_TOKEN}"
        f"&client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}"
    )
    token = function_url_response(
        app,
        _event(
            "POST",
            "/auth/o2/token",
            body=form.encode(),
            **{"content-type": "application/x-www-form-urlencoded"},
        ),
    )
    assert token["statusCode"] == 200 and token["isBase64Encoded"] is False
    access_token = json.loads(token["body"])["access_token"]

    body = json.dumps({"reportType": "GET_MERCHANT_LISTINGS_ALL_DATA", "marketplaceIds": ["A1F83G8C2ARO7P"]})
    created = function_url_response(
        app,
        _event(
            "POST",
            "/reports/2021-06-30/reports",
            body=body.encode(),
            binary=True,
            **{"content-type": "application/json", "x-amz-access-token": access_token},
        ),
    )

    assert created["statusCode"] == 202, created["body"]
    assert created["headers"]["x-amzn-RequestId"]
    report_id = json.loads(created["body"])["reportId"]
    app.finish_report(report_id, "DONE", b"item-name\tsku\n")
    document_id = app.state.reports[report_id].report_document_id
    document = function_url_response(
        app,
        _event("GET", f"/reports/2021-06-30/documents/{document_id}", **{"x-amz-access-token": access_token}),
    )
    url = json.loads(document["body"])["url"]
    assert url.startswith(f"https://{DOMAIN}/")  # the signed URL points back at the function URL
    path, query = url.removeprefix(f"https://{DOMAIN}").split("?", 1)
    download = function_url_response(app, _event("GET", path, query))
    assert download["statusCode"] == 200 and download["isBase64Encoded"] is True
    assert gzip.decompress(base64.b64decode(download["body"])) == b"item-name\tsku\n"
