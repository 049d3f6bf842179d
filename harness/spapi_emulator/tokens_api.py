"""Tokens API 2021-03-01: createRestrictedDataToken (tokens_2021-03-01.json).

SP-API's rules for restricted report types and their tokens: docs/spapi-notes.md#restricted-data-tokens.

The request has already passed the model's validation (restrictedResources required, each with a method from
the enum and a path). What the model states only in prose is enforced here: at most 50 resources
("restrictedResources ... Maximum: 50"). The answer is {restrictedDataToken, expiresIn} with the sandbox's
token shape (`Atz.sprdt|...`) and lifetime (3600 s). The token authorises exactly the resources it names, for
the seller whose LWA token asked for it: "The RDT authorizes subsequent calls to restricted operations that
correspond to the restricted resources that you specified" (the model's info.description); the app's
authorisation holds that.
"""

from __future__ import annotations

import secrets
from typing import Any

from spapi_emulator import state as st
from spapi_emulator.operation_calls import ApiError, Handler, OperationCall

RDT_LIFETIME_SECONDS = 3600  # the sandbox answers' expiresIn
MAX_RESTRICTED_RESOURCES = 50


def invalid_request(details: str) -> ApiError:
    """The model's sandbox 400: code InvalidRequest, "Request is missing or has invalid parameters"."""
    return ApiError(400, "InvalidRequest", "Request is missing or has invalid parameters", details)


def create_restricted_data_token(call: OperationCall) -> tuple[int, Any]:
    resources = call.body["restrictedResources"]
    if not resources:
        raise invalid_request("Resource not provided.")
    if len(resources) > MAX_RESTRICTED_RESOURCES:
        raise invalid_request(f"At most {MAX_RESTRICTED_RESOURCES} restricted resources are allowed.")
    token = "Atz.sprdt|" + secrets.token_urlsafe(32)
    grant = st.AccessGrant(
        kind="restricted",
        client_id=call.grant.client_id,
        expires_at=call.context.monotonic() + RDT_LIFETIME_SECONDS,
        seller_id=call.grant.seller_id,
        secret=call.grant.secret,
        restricted_resources=frozenset((r["method"], r["path"]) for r in resources),
    )
    with call.context.state.lock:
        call.context.state.access_tokens[token] = grant
    return 200, {"restrictedDataToken": token, "expiresIn": RDT_LIFETIME_SECONDS}


HANDLERS: dict[str, Handler] = {"createRestrictedDataToken": create_restricted_data_token}
