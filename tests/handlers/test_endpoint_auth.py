"""``SPAPI_ENDPOINT_AUTH``: our functions sign SP-API, Tokens API and LWA requests with SigV4 for ``lambda``
when their endpoints sit behind an AWS_IAM function URL (issue 15), and nothing else: document downloads go
to presigned URLs, unsigned."""

from __future__ import annotations

import io
import json
import logging

import pytest
import requests
import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from sp_reports.handlers._endpoint_auth import SigV4RequestAuth, endpoint_auth
from sp_reports.spapi.credentials import AppCredentials
from sp_reports.spapi.documents import iter_report_document
from sp_reports.spapi.http import SpApiHttpClient
from sp_reports.spapi.lwa import LwaClient
from sp_reports.spapi.reports import ReportsClient

SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
CREDENTIALS = Credentials("AKIAEXAMPLE", SECRET_KEY, "session-token-example")
ENDPOINT = "https://abc123.lambda-url.eu-west-1.on.aws"
DOCUMENT_URL = "https://bucket.s3.amazonaws.com/documents/doc-1?X-Amz-Signature=presigned"
ACCESS_TOKEN = "Atza|access-token-example"


class _Session:
    def __init__(self) -> None:
        self.credentials = CREDENTIALS

    def get_credentials(self) -> Credentials:
        return self.credentials

    def get_config_variable(self, name: str) -> str | None:
        return None


class _Recorder(requests.adapters.BaseAdapter):
    """Answers like LWA, getReportDocument and the document's S3 URL; keeps every request sent."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[requests.PreparedRequest] = []

    def send(self, request, **kwargs):
        self.sent.append(request)
        if request.url.startswith(DOCUMENT_URL.split("?")[0]):
            body = b"item-name\nA\n"
        elif "/auth/o2/token" in request.url:
            body = json.dumps({"access_token": ACCESS_TOKEN, "expires_in": 3600}).encode()
        else:
            body = json.dumps({"reportDocumentId": "doc-1", "url": DOCUMENT_URL}).encode()
        response = requests.Response()
        response.status_code, response._content, response.url = 200, body, request.url
        response.headers.update({"content-type": "application/json", "content-length": str(len(body))})
        response.request = request
        response.raw = urllib3.HTTPResponse(io.BytesIO(body), preload_content=False, status=200)
        return response

    def close(self) -> None:
        pass


def _session(recorder: _Recorder) -> requests.Session:
    session = requests.Session()
    session.mount("https://", recorder)
    return session


def _verifies(request: requests.PreparedRequest, service: str, region: str) -> bool:
    """Recompute the SigV4 signature from the request as sent (what the function URL does)."""
    authorization = request.headers["Authorization"]
    fields = dict(part.strip().split("=", 1) for part in authorization.split(" ", 1)[1].split(","))
    signed_names = fields["SignedHeaders"].split(";")
    headers = {name: value for name, value in request.headers.items() if name.lower() in signed_names}
    body = request.body or b""
    again = AWSRequest(method=request.method, url=request.url, data=body, headers=headers)
    again.context["timestamp"] = request.headers["X-Amz-Date"]
    signer = SigV4Auth(CREDENTIALS, service, region)
    expected = signer.signature(signer.string_to_sign(again, signer.canonical_request(again)), again)
    return fields["Signature"] == expected and fields["Credential"].endswith(
        f"/{region}/{service}/aws4_request"
    )


@pytest.mark.parametrize(
    ("value", "signs"),
    [(None, False), ("", False), ("none", False), ("NONE", False), ("aws_iam", True), (" aws_iam ", True)],
)
def test_the_setting_chooses_signing(value, signs):
    environ = {"AWS_REGION": "eu-west-1"} | ({} if value is None else {"SPAPI_ENDPOINT_AUTH": value})
    auth = endpoint_auth(environ, session_factory=_Session)
    assert (auth is not None) is signs
    if signs:
        assert isinstance(auth, SigV4RequestAuth) and (auth.service, auth.region) == ("lambda", "eu-west-1")


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"SPAPI_ENDPOINT_AUTH": "iam", "AWS_REGION": "eu-west-1"}, "expected one of none, aws_iam"),
        ({"SPAPI_ENDPOINT_AUTH": "aws_iam"}, "needs the function's region"),
    ],
)
def test_a_wrong_setting_is_refused_with_what_to_fix(environ, message):
    with pytest.raises(ValueError, match=message):
        endpoint_auth(environ, session_factory=_Session)


def test_no_credentials_to_sign_with_is_refused():
    class NoCredentials(_Session):
        def get_credentials(self):
            return None

    with pytest.raises(ValueError, match="no AWS credentials"):
        endpoint_auth(
            {"SPAPI_ENDPOINT_AUTH": "aws_iam", "AWS_REGION": "eu-west-1"}, session_factory=NoCredentials
        )


@pytest.mark.parametrize("signed", [True, False])
def test_sp_api_lwa_and_document_requests(signed, caplog):
    caplog.set_level(logging.DEBUG)
    recorder = _Recorder()
    session = _session(recorder)
    auth = SigV4RequestAuth(CREDENTIALS, "eu-west-1") if signed else None
    lwa = LwaClient(
        AppCredentials("amzn1.application-oa2-client.example", "client-secret-example"),
        endpoint=ENDPOINT + "/auth/o2/token",
        session=session,
        request_auth=auth,
    )
    http = SpApiHttpClient(ENDPOINT, session=session, request_auth=auth)
    reports = ReportsClient(http, lwa.seller_token_provider("Atzr|refresh-token-example"))

    document = reports.get_report_document("doc-1")
    assert b"".join(iter_report_document(reports, "doc-1", session=session)) == b"item-name\nA\n"

    token_request, api_request, *_ = recorder.sent
    downloads = [request for request in recorder.sent if request.url == DOCUMENT_URL]
    assert document.url == DOCUMENT_URL and downloads
    assert "/auth/o2/token" in token_request.url and api_request.url.startswith(ENDPOINT + "/reports/")
    for request in downloads:  # a presigned URL carries its own signature: a second one would break it
        assert "Authorization" not in request.headers and "X-Amz-Date" not in request.headers
    for request in [r for r in recorder.sent if r.url != DOCUMENT_URL]:
        assert ("Authorization" in request.headers) is signed
        if signed:
            assert _verifies(request, "lambda", "eu-west-1")
            assert request.headers["X-Amz-Security-Token"] == "session-token-example"
    assert api_request.headers["x-amz-access-token"] == ACCESS_TOKEN
    if signed:
        assert "x-amz-access-token" in api_request.headers["Authorization"]  # the token header is signed too
    for secret in (SECRET_KEY, "session-token-example", ACCESS_TOKEN, "client-secret-example", "presigned"):
        assert secret not in caplog.text
    assert SECRET_KEY not in repr(auth) and "session-token" not in repr(auth)


def test_the_clients_factory_signs_when_the_function_is_configured_so(monkeypatch):
    from sp_reports.handlers._spapi_clients import SpApiClients

    monkeypatch.setenv("SPAPI_ENDPOINT_AUTH", "aws_iam")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    clients = SpApiClients(
        lwa_secret_arn="arn:aws:secretsmanager:eu-west-1:123456789012:secret:x", secretsmanager_client=None
    )
    assert isinstance(clients.http("NA").request_auth, SigV4RequestAuth)
    assert clients.lwa._request_auth is clients.http("NA").request_auth
    monkeypatch.setenv("SPAPI_ENDPOINT_AUTH", "none")
    unsigned = SpApiClients(
        lwa_secret_arn="arn:aws:secretsmanager:eu-west-1:123456789012:secret:x", secretsmanager_client=None
    )
    assert unsigned.http("NA").request_auth is None and unsigned.lwa._request_auth is None
