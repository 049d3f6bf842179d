"""Lambda function URLs of local AWS: ``{endpoint}/lambda-url/{url-id}/{path}`` invokes the function.

The pinned moto stores a function's URL configuration (``https://{url-id}.lambda-url.{region}.on.aws``) but
serves nothing there. Local AWS gives each URL a reachable address on its own endpoint (``local_url``; the
configuration's ``FunctionUrl`` says it, so Terraform's ``function_url`` attribute is usable) and serves it
as Lambda does (Lambda Developer Guide, "Invoking Lambda function URLs" and "Control access to Lambda function
URLs"):

- ``AWS_IAM``: the request must be signed with SigV4 for the service ``lambda``; an unsigned, wrongly signed
  or unauthorised request gets 403 ``{"Message":"Forbidden"}``. The caller needs ``lambda:InvokeFunctionUrl``
  on the function (condition key ``lambda:FunctionUrlAuthType`` = ``AWS_IAM``) from its identity policy or the
  function's resource-based policy, and, for URLs created from October 2025 on, ``lambda:InvokeFunction`` as
  well ("Starting in October 2025, new function URLs will require both lambda:InvokeFunctionUrl and
  lambda:InvokeFunction permissions"): every local URL is new, so both are required.
- ``NONE``: no signature; the function's resource-based policy must still allow ``lambda:InvokeFunctionUrl``
  to the public ("your function's resource-based policy is always in effect and must grant public access").
- The event is payload format 2.0 and the answer is read as Lambda reads it ("Invoking Lambda function URLs",
  request and response payloads): a dict with ``statusCode`` is used as it is; any other JSON value is the
  body of a 200 ``application/json`` answer. A function error is a 502.
"""

from __future__ import annotations

import base64
import datetime
import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from botocore.credentials import Credentials as BotoCredentials
from werkzeug.wrappers import Request, Response

from sp_reports_harness.local_aws.iam.authorization import LocalIam
from sp_reports_harness.local_aws.iam.request_context import RequestSubject
from sp_reports_harness.local_aws.iam.request_principals import Caller, CredentialRefused, identify, signed_by
from sp_reports_harness.local_aws.iam.sigv4_authentication import (
    AuthDenied,
    check_clock,
    expected_signature,
    parse_authorization,
)
from sp_reports_harness.local_aws.moto_internals import (
    FunctionUrlConfig,
    JsonRESTError,
    PatchSet,
    lambda_backends,
)

logger = logging.getLogger(__name__)

FUNCTION_URL_PATH_PREFIX = "/lambda-url"
_ROUTE = re.compile(r"^/lambda-url/(?P<url_id>[0-9a-z]+)(?P<path>/.*)?$")
# Content types whose body the event carries as text; any other body is base64-encoded.
_TEXT_TYPES = ("application/json", "application/x-www-form-urlencoded", "application/xml", "text/")
FORBIDDEN = {"Message": "Forbidden"}

InvokeLambda = Callable[[str, str, str, str], tuple[Any, bool]]


def local_url(endpoint_url: str, url_id: str) -> str:
    return f"{endpoint_url}{FUNCTION_URL_PATH_PREFIX}/{url_id}/"


def url_patches(endpoint_url: Callable[[], str]) -> PatchSet:
    """moto's URL configurations name the local address instead of an unreachable ``on.aws`` host."""
    original = FunctionUrlConfig.__init__

    def __init__(self: Any, function: Any, config: dict[str, Any]) -> None:
        original(self, function, config)
        self.url = local_url(endpoint_url(), uuid.uuid4().hex)

    patches = PatchSet("function URLs")
    patches.replace(FunctionUrlConfig, "__init__", __init__)
    return patches


class FunctionUrlMiddleware:
    def __init__(self, app: Any, iam: LocalIam, invoke_lambda: InvokeLambda, root_secret: str) -> None:
        self._app = app
        self._iam = iam
        self._invoke_lambda = invoke_lambda
        self._root_secret = root_secret

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ["PATH_INFO"]
        route = _ROUTE.match(urlsplit(raw).path)
        if route is None:
            return self._app(environ, start_response)
        request = Request(environ)
        try:
            response = self._handle(request, route["url_id"], route["path"] or "/")
        except Exception:
            logger.exception("local function URL failed on %s %s", request.method, route["url_id"])
            response = _json(500, {"Message": "Internal Server Error"})
        return response(environ, start_response)

    def _handle(self, request: Request, url_id: str, path: str) -> Response:
        found = _function_of(url_id)
        if found is None:
            return _json(403, FORBIDDEN)  # an unknown URL answers as a refused one does
        function, config = found
        auth_type = str(config.config.get("AuthType") or "AWS_IAM")
        raw_path_and_query = urlsplit(request.url).path + (
            f"?{request.query_string.decode()}" if request.query_string else ""
        )
        body = request.get_data()
        try:
            caller, access_key = self._authorised_caller(
                request, raw_path_and_query, body, function, auth_type
            )
        except _Refused as refused:
            logger.info("function URL of %s refused: %s", function.function_name, refused)
            return _json(403, FORBIDDEN)
        event = request_event(request, url_id, path, body, caller, access_key, function.account_id)
        payload, errored = self._invoke_lambda(
            function.account_id, function.region, function.function_arn, json.dumps(event)
        )
        if errored:
            return _json(502, {"Message": "Internal Server Error"})
        return function_response(payload)

    def _authorised_caller(
        self, request: Request, raw_path_and_query: str, body: bytes, function: Any, auth_type: str
    ) -> tuple[Caller, str | None]:
        """Who called (and the access key that signed, for AWS_IAM), once Lambda's checks allow it."""
        headers = dict(request.headers)
        signature = signed_by(headers, request.url) if auth_type == "AWS_IAM" else None
        if auth_type == "AWS_IAM" and signature is None:
            raise _Refused("the request is not signed")
        try:
            caller = identify(signature, self._iam.credentials, self._iam.clock())
        except CredentialRefused as refused:
            raise _Refused(str(refused)) from None
        if auth_type == "AWS_IAM":
            secret = self._root_secret if caller.kind == "root" else caller.secret_access_key
            _verify_signature(
                caller, secret, self._iam.clock(), request.method, raw_path_and_query, headers, body
            )
        # The unqualified ARN: a URL on $LATEST is the function's (Service Authorization Reference, Lambda).
        function_arn = function.function_arn.removesuffix(":$LATEST")
        subject = RequestSubject(
            (function_arn,),
            resource_policy=_resource_policy(function),
            context={"lambda:FunctionUrlAuthType": auth_type},
        )
        actions = ["lambda:InvokeFunctionUrl"] + (["lambda:InvokeFunction"] if auth_type == "AWS_IAM" else [])
        for action in actions:
            try:
                self._iam.require(caller, action, function_arn, subject, "lambda")
            except JsonRESTError as denied:
                raise _Refused(denied.message) from None
        return caller, signature.access_key_id if signature is not None else None


class _Refused(Exception):
    """Lambda answers the request 403 Forbidden; the message is logged, never answered."""


def _function_of(url_id: str) -> tuple[Any, Any] | None:
    # The functions themselves ($LATEST, where URL configurations live), not moto's `all()`: that deep-copies
    # every function while other threads invoke and update them, and fails when a dictionary changes size
    # under the copy. A function created meanwhile can still change the listing; the lookup is then repeated.
    for _ in range(3):
        try:
            return _find_function_url(url_id)
        except RuntimeError:
            continue
    return _find_function_url(url_id)


def _find_function_url(url_id: str) -> tuple[Any, Any] | None:
    for regions in list(lambda_backends.values()):
        for backend in list(regions.values()):
            for function in list(backend._lambdas.latest()):
                config = getattr(function, "url_config", None)
                if config is not None and f"{FUNCTION_URL_PATH_PREFIX}/{url_id}/" in config.url:
                    return function, config
    return None


def _resource_policy(function: Any) -> Any:
    """The function's resource-based policy, as Lambda evaluates it.

    AddPermission's ``FunctionUrlAuthType`` becomes the statement's condition on
    ``lambda:FunctionUrlAuthType`` (Lambda API reference, AddPermission: "FunctionUrlAuthType ... to restrict
    access to users with IAM authentication"; "Control access to Lambda function URLs" shows the stored
    statement with ``"Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}}``); moto keeps the
    field as it came.
    """
    statements = []
    for raw in getattr(getattr(function, "policy", None), "statements", None) or []:
        statement = {key: value for key, value in raw.items() if key != "FunctionUrlAuthType"}
        principal = statement.get("Principal")
        if isinstance(principal, str) and principal != "*":
            # AddPermission stores an account or role as {"AWS": ARN} (Lambda DG, "Viewing resource-based IAM
            # policies in Lambda"); moto keeps a role ARN or account id as the bare string.
            arn = f"arn:aws:iam::{principal}:root" if principal.isdigit() else principal
            statement["Principal"] = {"AWS": arn}
        if "FunctionUrlAuthType" in raw:
            condition = {key: dict(value) for key, value in (statement.get("Condition") or {}).items()}
            condition.setdefault("StringEquals", {})["lambda:FunctionUrlAuthType"] = raw[
                "FunctionUrlAuthType"
            ]
            statement["Condition"] = condition
        statements.append(statement)
    return {"Version": "2012-10-17", "Statement": statements} if statements else None


def _verify_signature(
    caller: Caller,
    secret: str | None,
    now: datetime.datetime,
    method: str,
    raw_path_and_query: str,
    headers: dict[str, str],
    body: bytes,
) -> None:
    """Recompute the SigV4 signature with the caller's secret, scoped to the ``lambda`` service (the parsing,
    clock skew and canonical request are API Gateway's: ``local_aws.iam.sigv4_authentication``)."""
    try:
        authorization = parse_authorization(headers.get("Authorization"))
        if authorization.service != "lambda":
            raise _Refused("the signature is not scoped to the lambda service")
        if not secret:
            raise _Refused(f"no secret known for {caller.kind} callers")
        check_clock(headers.get("X-Amz-Date"), now)
        credentials = BotoCredentials(authorization.access_key, secret, caller.session_token)
        expected = expected_signature(credentials, authorization, method, raw_path_and_query, headers, body)
    except AuthDenied as denied:
        raise _Refused(str(denied)) from None
    if expected != authorization.signature:
        raise _Refused("the signature does not match")


def request_event(
    request: Request,
    url_id: str,
    path: str,
    body: bytes,
    caller: Caller,
    access_key: str | None,
    account_id: str,
) -> dict[str, Any]:
    """The payload format 2.0 event of a function URL request."""
    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        key = name.lower()
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    cookies = [part.strip() for part in headers.pop("cookie", "").split(";") if part.strip()]
    content_type = headers.get("content-type", "")
    text = content_type.startswith(_TEXT_TYPES) or not body
    query = request.query_string.decode()
    now = time.time()
    context: dict[str, Any] = {
        "accountId": "anonymous" if caller.kind == "anonymous" else account_id,
        "apiId": url_id,
        "domainName": request.host,
        "domainPrefix": url_id,
        "http": {
            "method": request.method,
            "path": path,
            "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
            "sourceIp": request.remote_addr or "",
            "userAgent": request.headers.get("User-Agent", ""),
        },
        "requestId": str(uuid.uuid4()),
        "routeKey": "$default",
        "stage": "$default",
        "time": datetime.datetime.fromtimestamp(now, datetime.UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(now * 1000),
    }
    if access_key is not None:
        context["authorizer"] = {
            "iam": {
                "accessKey": access_key,
                "accountId": caller.account_id,
                "callerId": caller.arn.rsplit("/", 1)[-1],
                "userArn": caller.arn,
                "userId": caller.arn.rsplit("/", 1)[-1],
            }
        }
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": context,
        "isBase64Encoded": not text,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = dict(parse_qsl(query, keep_blank_values=True))
    if body:
        event["body"] = body.decode("utf-8") if text else base64.b64encode(body).decode("ascii")
    return event


def function_response(payload: Any) -> Response:
    """Lambda's reading of a function URL answer (payload format 2.0)."""
    if isinstance(payload, bytes | str):
        payload = json.loads(payload)
    if not isinstance(payload, dict) or "statusCode" not in payload:
        return Response(json.dumps(payload), status=200, content_type="application/json")
    body = payload.get("body") or ""
    data = base64.b64decode(body) if payload.get("isBase64Encoded") else str(body).encode("utf-8")
    response = Response(data, status=int(payload["statusCode"]))
    response.headers.clear()
    for name, value in (payload.get("headers") or {}).items():
        response.headers[name] = str(value)
    for cookie in payload.get("cookies") or []:
        response.headers.add("Set-Cookie", cookie)
    if "Content-Type" not in response.headers:
        response.headers["Content-Type"] = "application/json"
    return response


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")
