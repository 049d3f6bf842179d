"""The emulator's WSGI app behind a Lambda function URL: the URL's event to a WSGI request, the answer back.

Used by ``lambda_function``, the emulator as a Lambda in the account under test (the acceptance run's
real-account target). Event and response follow the function URL payloads (AWS Lambda Developer Guide,
"Invoking Lambda function URLs", request and response payloads: payload format version 2.0, i.e. ``rawPath``,
``rawQueryString``, lower-case ``headers`` with repeated values joined by commas, ``cookies``,
``requestContext.http.method`` and ``requestContext.domainName``, ``body`` base64-encoded when
``isBase64Encoded``; the answer is ``statusCode``, ``headers``, ``body`` and ``isBase64Encoded``). Function
URLs serve HTTPS only, so the WSGI scheme is https and the document URLs the emulator signs point back at
the function URL.
"""

from __future__ import annotations

import base64
import io
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# Headers WSGI carries as CONTENT_TYPE / CONTENT_LENGTH rather than HTTP_* (PEP 3333, environ variables).
_UNPREFIXED = {"content-type": "CONTENT_TYPE", "content-length": "CONTENT_LENGTH"}
# Text bodies in UTF-8 go back as they are; everything else (gzip documents, documents in windows-1252 or
# Windows-31J even when their type is text/plain) base64-encoded, as the payload requires.
_TEXT_TYPES = ("application/json", "text/")


class NotAFunctionUrlEvent(ValueError):
    """The event is no function URL request (payload format 2.0)."""


def wsgi_environ(event: Mapping[str, Any]) -> dict[str, Any]:
    """The WSGI environ of a function URL event."""
    http = event.get("requestContext", {}).get("http")
    if event.get("version") != "2.0" or not isinstance(http, Mapping):
        raise NotAFunctionUrlEvent("expected a Lambda function URL event (payload format version 2.0)")
    body = event.get("body") or ""
    raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode("utf-8")
    headers = {str(name).lower(): str(value) for name, value in (event.get("headers") or {}).items()}
    if event.get("cookies"):
        headers["cookie"] = "; ".join(event["cookies"])
    host = headers.get("host") or event["requestContext"].get("domainName", "localhost")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": str(http.get("method", "GET")).upper(),
        "SCRIPT_NAME": "",
        "PATH_INFO": event.get("rawPath") or "/",
        "QUERY_STRING": event.get("rawQueryString") or "",
        "SERVER_NAME": host.split(":", 1)[0],
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": str(http.get("protocol", "HTTP/1.1")),
        "REMOTE_ADDR": str(http.get("sourceIp", "")),
        "CONTENT_LENGTH": str(len(raw)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "https",
        "wsgi.input": io.BytesIO(raw),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in headers.items():
        environ[_UNPREFIXED.get(name, "HTTP_" + name.upper().replace("-", "_"))] = value
    return environ


def function_url_response(app: WsgiApp, event: Mapping[str, Any]) -> dict[str, Any]:
    """Run ``app`` on the event's request; the function URL response payload of its answer."""
    started: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        started["status"] = int(status.split(" ", 1)[0])
        started["headers"] = headers

    chunks = app(wsgi_environ(event), start_response)
    try:
        body = b"".join(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in started["headers"]:
        if name.lower() == "set-cookie":
            cookies.append(value)
        elif name in headers:
            headers[name] = f"{headers[name]},{value}"
        else:
            headers[name] = value
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    text = _utf8_text(body) if content_type.startswith(_TEXT_TYPES) else None
    response: dict[str, Any] = {
        "statusCode": started["status"],
        "headers": headers,
        "body": text if text is not None else base64.b64encode(body).decode("ascii"),
        "isBase64Encoded": text is None,
    }
    if cookies:
        response["cookies"] = cookies
    return response


def _utf8_text(body: bytes) -> str | None:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None
