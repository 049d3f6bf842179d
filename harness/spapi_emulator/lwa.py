"""Login with Amazon's token endpoint (`POST /auth/o2/token`), with LWA's error bodies.

Grants: `refresh_token` (seller tokens), `client_credentials` with scope `sellingpartnerapi::notifications`
(grantless tokens) and `authorization_code` (a seller's consent becomes a refresh token: SP-API "Website
Authorization Workflow", https://developer-docs.amazon.com/sp-api/docs/website-authorization-workflow, and LWA
"Authorization Code Grant", https://developer.amazon.com/docs/login-with-amazon/authorization-code-grant.html).
Form-encoded bodies as the Python and JS SDKs send them, and JSON as the Java SDK does.
Exchanges are counted per grant type whether or not they succeed.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid

from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request, Response

from spapi_emulator import state as st
from spapi_emulator.context import EmulatorContext

INVALID_CODE = "The request has an invalid grant parameter : code"
INVALID_GRANT = (
    "The request has an invalid grant parameter : refresh_token. "
    "User may have revoked or didn't grant the permission."
)


def lwa_error(status: int, error: str, description: str) -> Response:
    response = Response(
        json.dumps({"error_description": description, "error": error}),
        status=status,
        content_type="application/json;charset=UTF-8",
    )
    response.headers["x-amzn-RequestId"] = str(uuid.uuid4())
    return response


def _missing(name: str) -> Response:
    return lwa_error(400, "invalid_request", f"The request is missing a required parameter : {name}")


def handle_token_request(context: EmulatorContext, request: Request) -> Response:
    if request.method != "POST":
        return lwa_error(405, "invalid_request", "The token endpoint accepts POST only.")
    if request.mimetype == "application/json":
        data = request.get_json(silent=True)
        fields = MultiDict(data) if isinstance(data, dict) else MultiDict()
    else:
        fields = request.form
    grant_type = fields.get("grant_type", "")
    with context.state.lock:
        context.lwa_exchanges[grant_type or "(none)"] += 1
    outage = context.faults.take_lwa_outage()
    if outage:
        error = "temporarily_unavailable" if outage == 503 else "server_error"
        return lwa_error(outage, error, "The authorization server is temporarily unavailable.")
    delay = context.faults.take_delay("lwa")
    if delay:
        time.sleep(delay)
    injected = context.faults.take_status("lwa")
    if injected:
        return lwa_error(injected, "server_error", "Injected fault.")
    if not grant_type:
        return _missing("grant_type")
    if grant_type not in ("refresh_token", "client_credentials", "authorization_code"):
        return lwa_error(400, "unsupported_grant_type", f"The grant type {grant_type} is not supported.")
    for name in ("client_id", "client_secret"):
        if not fields.get(name):
            return _missing(name)
    client_id = fields["client_id"]
    with context.state.lock:
        registered = context.state.apps.get(client_id)
        secret = registered.secret_matching(fields["client_secret"]) if registered is not None else None
    if secret is None or secret.lwa_expired(context.monotonic()):
        # An unknown client, a wrong secret and a secret past its rotation overlap all get the same answer:
        # 401 {"error_description":"Client authentication failed","error":"invalid_client"}
        # (jlevers/selling-partner-api#595, right after a rotation).
        return lwa_error(401, "invalid_client", "Client authentication failed")
    if grant_type in registered.unauthorized_grants:
        # The application authenticated but may not use this grant: {"error_description":"Not authorized for
        # requested operation","error":"unauthorized_client"} (jlevers/selling-partner-api#31,
        # jrl84/amazon-sp-api#34). 400 as RFC 6749 section 5.2 gives every error but invalid_client.
        return lwa_error(400, "unauthorized_client", "Not authorized for requested operation")
    if grant_type == "refresh_token":
        return _refresh_grant(context, client_id, secret, fields.get("refresh_token", ""))
    if grant_type == "authorization_code":
        return _authorization_code_grant(
            context, client_id, secret, fields.get("code", ""), fields.get("redirect_uri", "")
        )
    return _client_credentials_grant(context, client_id, secret, fields.get("scope", ""))


def _refresh_grant(
    context: EmulatorContext, client_id: str, secret: st.ClientSecret, refresh_token: str
) -> Response:
    if not refresh_token:
        return _missing("refresh_token")
    with context.state.lock:
        seller = context.state.sellers.get(refresh_token)
        if seller is None or seller.revoked or seller.client_id not in (None, client_id):
            return lwa_error(400, "invalid_grant", INVALID_GRANT)
        token = _issue(
            context, st.AccessGrant("seller", client_id, 0.0, seller_id=seller.seller_id, secret=secret)
        )
    return _token_response({"refresh_token": refresh_token, **token})


def _authorization_code_grant(
    context: EmulatorContext, client_id: str, secret: st.ClientSecret, code: str, redirect_uri: str
) -> Response:
    """RFC 6749 section 4.1.3, which LWA's authorization code grant follows: `code` and `redirect_uri` are
    required; a code that is unknown, expired (five minutes, st.AUTHORIZATION_CODE_TTL_SECONDS), already used,
    issued to another client, or sent with another redirect URI than it was delivered to is `invalid_grant`
    (400, RFC 6749 section 5.2). Only a successful exchange uses a code up ("If an authorization code is used
    more than once, the authorization server MUST deny the request", RFC 6749 section 4.1.2)."""
    if not code:
        return _missing("code")
    if not redirect_uri:
        return _missing("redirect_uri")
    with context.state.lock:
        issued = context.state.authorization_codes.get(code)
        if (
            issued is None
            or issued.used
            or context.monotonic() >= issued.expires_at
            or issued.client_id != client_id
            or issued.redirect_uri != redirect_uri
        ):
            return lwa_error(400, "invalid_grant", INVALID_CODE)
        issued.used = True
        refresh_token = "Atzr|" + secrets.token_urlsafe(96)
        context.state.sellers[refresh_token] = st.RegisteredSeller(
            seller_id=issued.seller_id, client_id=client_id
        )
        token = _issue(
            context, st.AccessGrant("seller", client_id, 0.0, seller_id=issued.seller_id, secret=secret)
        )
    return _token_response({**token, "refresh_token": refresh_token})


def _client_credentials_grant(
    context: EmulatorContext, client_id: str, secret: st.ClientSecret, scope: str
) -> Response:
    if not scope:
        return _missing("scope")
    if scope not in st.GRANTLESS_SCOPES:
        return lwa_error(400, "invalid_scope", "An unknown scope was requested")
    with context.state.lock:
        token = _issue(context, st.AccessGrant("grantless", client_id, 0.0, scope=scope, secret=secret))
    return _token_response(token)


def _issue(context: EmulatorContext, grant: st.AccessGrant) -> dict:
    access_token = "Atza|" + secrets.token_urlsafe(96)
    grant.expires_at = context.monotonic() + context.config.access_token_ttl
    context.state.access_tokens[access_token] = grant
    return {
        "access_token": access_token,
        "token_type": "bearer",
        "expires_in": context.config.access_token_ttl,
    }


def _token_response(body: dict) -> Response:
    response = Response(json.dumps(body), status=200, content_type="application/json;charset=UTF-8")
    response.headers["Cache-Control"] = "no-cache, no-store, must-revalidate"
    response.headers["x-amzn-RequestId"] = str(uuid.uuid4())
    return response
