"""API Gateway REST API data plane for Lambda proxy integrations, as WSGI middleware in front of moto.

The pinned moto stores REST APIs but serves no requests to them. This middleware answers
``{endpoint}/restapis/{rest_api_id}/{stage}/_user_request_/{path}`` (the form LocalStack uses;
``LocalAws.invoke_url`` builds it) and passes every other request to moto. For each request it:

1. reads the API from moto's backend and matches the resource (literal segments before ``{param}`` before
   ``{proxy+}``) and the method (or ``ANY``); unknown routes get API Gateway's 403 "Missing Authentication
   Token";
2. for ``AWS_IAM`` methods verifies the SigV4 signature (``local_aws.iam.sigv4_authentication``) and
   ``execute-api:Invoke`` with moto's IAM policy evaluation, answering 403 ``{"message": ...}`` with API
   Gateway's wording on failure; for methods without authorisation (``NONE``) on an API with a resource
   policy, lets an unsigned request through only where that policy allows everyone and nothing denies it;
3. checks that the function's resource policy lets ``apigateway.amazonaws.com`` invoke it from this method's
   ARN;
4. builds the REST (v1) proxy event, invokes the function, and maps ``statusCode``/``headers``/
   ``multiValueHeaders``/``body``/``isBase64Encoded``; a function error or malformed answer is a 502.

Resources are read live, not from a deployment snapshot: what moto has is what is served.
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
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from werkzeug.wrappers import Request, Response

from sp_reports_harness.local_aws.iam.sigv4_authentication import (
    AuthDenied,
    CallerIdentity,
    anonymous_invoke,
    authenticate,
)
from sp_reports_harness.local_aws.moto_internals import (
    Method,
    Resource,
    RestAPI,
    apigateway_backends,
    lambda_backends,
)

logger = logging.getLogger(__name__)

EXECUTE_API_PATH_PREFIX = "/restapis"
_ROUTE = re.compile(r"^/restapis/(?P<api_id>[^/]+)/(?P<stage>[^/]+)/_user_request_(?P<path>/.*)?$")
_LAMBDA_URI = re.compile(
    r"^arn:[^:]+:apigateway:[^:]+:lambda:path/[^/]+/functions/(?P<function>.+)/invocations$"
)

InvokeLambda = Callable[[str, str, str, str], tuple[Any, bool]]


@dataclass(frozen=True)
class RouteMatch:
    resource: Resource
    method: Method
    resource_path: str
    path_parameters: dict[str, str]


def _json_response(status: int, message: str) -> Response:
    return Response(json.dumps({"message": message}), status=status, content_type="application/json")


class ExecuteApiMiddleware:
    def __init__(self, app: Any, invoke_lambda: InvokeLambda, root_credentials: tuple[str, str]) -> None:
        self._app = app
        self._invoke_lambda = invoke_lambda
        self._root_credentials = root_credentials

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        raw_path = urlsplit(environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ["PATH_INFO"]).path
        route = _ROUTE.match(raw_path)
        if route is None:
            return self._app(environ, start_response)
        request = Request(environ)
        try:
            response = self._handle(request, raw_path, route["api_id"], route["stage"], route["path"] or "/")
        except Exception:
            logger.exception("local API Gateway failed on %s %s", request.method, raw_path)
            response = _json_response(500, "Internal server error")
        return response(environ, start_response)

    def _handle(self, request: Request, raw_path: str, api_id: str, stage: str, path: str) -> Response:
        api = _find_api(api_id)
        if api is None:
            return _json_response(404, f"No REST API with id {api_id}")
        if stage not in api.stages:
            return _json_response(403, "Forbidden")
        match = match_route(api, unquote(path), request.method)
        if match is None:
            return _json_response(403, "Missing Authentication Token")

        partition = "aws"
        api_arn = f"arn:{partition}:execute-api:{api.region_name}:{api.account_id}:{api_id}"
        resource_arn = f"{api_arn}/{stage}/{request.method}{unquote(path)}"
        identity = CallerIdentity.anonymous()
        if (match.method.authorization_type or "NONE").upper() == "AWS_IAM":
            try:
                identity = authenticate(
                    account_id=api.account_id,
                    method=request.method,
                    raw_path_and_query=raw_path
                    + (f"?{request.query_string.decode()}" if request.query_string else ""),
                    headers=dict(request.headers),
                    body=request.get_data(),
                    resource_arn=resource_arn,
                    root_credentials=self._root_credentials,
                    resource_policy=getattr(api, "policy", None),
                )
            except AuthDenied as denied:
                return _json_response(403, str(denied))
        elif (match.method.authorization_type or "NONE").upper() != "NONE":
            return _json_response(
                500, f"authorizer {match.method.authorization_type} is not emulated locally"
            )
        elif getattr(api, "policy", None):
            try:
                anonymous_invoke(resource_arn, api.policy, datetime.datetime.now(datetime.UTC))
            except AuthDenied as denied:
                return _json_response(403, str(denied))

        integration = match.method.method_integration
        function_match = _LAMBDA_URI.match(integration.uri or "") if integration else None
        if integration is None or integration.integration_type != "AWS_PROXY" or function_match is None:
            logger.error("method %s %s has no Lambda proxy integration", request.method, match.resource_path)
            return _json_response(500, "Internal server error")
        function_arn = function_match["function"]
        source_arn = f"{api_arn}/{stage}/{request.method}{match.resource_path}"
        if not lambda_permits_apigateway(function_arn, source_arn):
            logger.error("Lambda %s does not allow apigateway from %s", function_arn, source_arn)
            return _json_response(500, "Internal server error")

        event = proxy_event(request, api, stage, path, match, identity)
        region = function_arn.split(":")[3]
        account = function_arn.split(":")[4]
        payload, errored = self._invoke_lambda(account, region, function_arn, json.dumps(event))
        if errored:
            return _json_response(502, "Internal server error")
        return proxy_response(payload)


def _find_api(api_id: str) -> RestAPI | None:
    for regions in list(apigateway_backends.values()):
        for backend in list(regions.values()):
            api = backend.apis.get(api_id)
            if api is not None:
                return api
    return None


def match_route(api: RestAPI, path: str, method: str) -> RouteMatch | None:
    """The most specific resource for ``path`` that has ``method`` (or ANY)."""
    request_segments = [segment for segment in path.split("/") if segment]
    best: tuple[tuple[int, ...], RouteMatch] | None = None
    for resource in list(api.resources.values()):
        resource_path = resource.get_path()
        parameters = _match_template([s for s in resource_path.split("/") if s], request_segments)
        if parameters is None:
            continue
        method_model = resource.resource_methods.get(method) or resource.resource_methods.get("ANY")
        if method_model is None:
            continue
        score = tuple(_segment_rank(s) for s in resource_path.split("/") if s)
        candidate = RouteMatch(resource, method_model, resource_path, parameters)
        if best is None or score > best[0]:
            best = (score, candidate)
    return best[1] if best else None


def _segment_rank(segment: str) -> int:
    if segment.endswith("+}"):
        return 0
    return 1 if segment.startswith("{") else 2


def _match_template(template: list[str], segments: list[str]) -> dict[str, str] | None:
    parameters: dict[str, str] = {}
    for index, part in enumerate(template):
        if part.startswith("{") and part.endswith("+}"):
            rest = segments[index:]
            if not rest:
                return None
            parameters[part[1:-2]] = "/".join(rest)
            return parameters
        if index >= len(segments):
            return None
        if part.startswith("{") and part.endswith("}"):
            parameters[part[1:-1]] = segments[index]
        elif part != segments[index]:
            return None
    return parameters if len(template) == len(segments) else None


def lambda_permits_apigateway(function_arn: str, source_arn: str) -> bool:
    """Whether the function's resource policy lets API Gateway invoke it for ``source_arn``."""
    parts = function_arn.split(":")
    region, account, name = parts[3], parts[4], parts[6]
    qualifier = parts[7] if len(parts) > 7 else None
    function = lambda_backends[account][region].get_function(name, qualifier)
    for statement in function.policy.statements:
        if statement.get("Effect", "Allow") != "Allow":
            continue
        principal = statement.get("Principal")
        service = principal.get("Service") if isinstance(principal, dict) else principal
        if service not in ("apigateway.amazonaws.com", "*"):
            continue
        if statement.get("Action") not in ("lambda:InvokeFunction", "lambda:*", "*"):
            continue
        condition = statement.get("Condition") or {}
        patterns = [
            value
            for operator in ("ArnLike", "ArnEquals", "StringLike", "StringEquals")
            for key, value in (condition.get(operator) or {}).items()
            if key.lower() == "aws:sourcearn"
        ]
        if not patterns or any(_arn_like(pattern, source_arn) for pattern in patterns):
            return True
    return False


def _arn_like(pattern: str, value: str) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value) is not None


def proxy_event(
    request: Request, api: RestAPI, stage: str, path: str, match: RouteMatch, identity: CallerIdentity
) -> dict[str, Any]:
    """The REST API (payload format 1.0) Lambda proxy event."""
    multi_headers: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        multi_headers.setdefault(name, []).append(value)
    multi_query: dict[str, list[str]] = {}
    for name, value in parse_qsl(request.query_string.decode(), keep_blank_values=True):
        multi_query.setdefault(name, []).append(value)
    raw_body = request.get_data()
    try:
        body: str | None = raw_body.decode("utf-8") if raw_body else None
        is_base64 = False
    except UnicodeDecodeError:
        body, is_base64 = base64.b64encode(raw_body).decode("ascii"), True
    now = time.time()
    variables = getattr(api.stages[stage], "variables", None) or None
    request_id = str(uuid.uuid4())
    return {
        "resource": match.resource_path,
        "path": unquote(path),
        "httpMethod": request.method,
        "headers": {name: values[-1] for name, values in multi_headers.items()} or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": {name: values[-1] for name, values in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": match.path_parameters or None,
        "stageVariables": variables,
        "requestContext": {
            "accountId": api.account_id,
            "apiId": api.id,
            "resourceId": match.resource.id,
            "resourcePath": match.resource_path,
            "stage": stage,
            "httpMethod": request.method,
            "path": f"/{stage}{unquote(path)}",
            "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
            "requestId": request_id,
            "extendedRequestId": request_id,
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "requestTimeEpoch": int(now * 1000),
            "domainName": request.host,
            "identity": identity.to_event(request.remote_addr or "127.0.0.1", request.user_agent.string),
        },
        "body": body,
        "isBase64Encoded": is_base64,
    }


def proxy_response(payload: Any) -> Response:
    """Map a Lambda proxy answer; anything malformed is API Gateway's 502."""
    try:
        answer = json.loads(payload) if isinstance(payload, bytes | str) else payload
        status = int(answer["statusCode"])
    except (ValueError, TypeError, KeyError):
        logger.error("malformed Lambda proxy response")
        return _json_response(502, "Internal server error")
    body = answer.get("body") or ""
    if not isinstance(body, str):
        return _json_response(502, "Internal server error")
    data = base64.b64decode(body) if answer.get("isBase64Encoded") else body.encode("utf-8")
    response = Response(data, status=status)
    response.headers["Content-Type"] = "application/json"
    for name, value in (answer.get("headers") or {}).items():
        response.headers[name] = str(value)
    for name, values in (answer.get("multiValueHeaders") or {}).items():
        response.headers.pop(name, None)
        for value in values:
            response.headers.add(name, str(value))
    return response
