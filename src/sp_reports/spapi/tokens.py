"""Tokens API 2021-03-01: createRestrictedDataToken (tokens_2021-03-01.json).

SP-API's rules for restricted report types and their tokens: docs/spapi-notes.md#restricted-data-tokens.

A Restricted Data Token (RDT) authorises calls to restricted operations for the restricted resources named
when it was made. getReportDocument of a restricted report type needs one, for the document's exact path: "the
specified restricted resource can contain only a specific path, not a generic path" (Tokens API use case
guide), with no dataElements (those are for the Orders API). The call is made with the seller's LWA access
token, at the operation's own usage plan (1 request/s, burst 10). The RDT goes in x-amz-access-token.

An RDT is a secret: it is never kept in a repr, logged or put in an error message
(sp_reports.spapi.errors.redact also
knows its `Atz.sprdt|` prefix).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sp_reports.spapi.errors import SpApiServerError
from sp_reports.spapi.http import AccessToken, SpApiHttpClient

RESTRICTED_DATA_TOKEN_PATH = "/tokens/2021-03-01/restrictedDataToken"  # noqa: S105 - a path, not a secret
MAX_RESTRICTED_RESOURCES = 50  # CreateRestrictedDataTokenRequest.restrictedResources: "Maximum: 50"
METHODS = frozenset({"GET", "PUT", "POST", "DELETE"})  # RestrictedResource.method enum


@dataclass(frozen=True)
class RestrictedResource:
    method: str
    path: str
    data_elements: tuple[str, ...] = ()

    def to_model(self) -> dict[str, Any]:
        body: dict[str, Any] = {"method": self.method, "path": self.path}
        if self.data_elements:
            body["dataElements"] = list(self.data_elements)
        return body


@dataclass(frozen=True)
class RestrictedDataToken:
    token: str = field(repr=False)
    expires_in: int


class TokensClient:
    def __init__(self, http: SpApiHttpClient, access_token_provider: AccessToken) -> None:
        self.http = http
        self._token = access_token_provider  # the seller's LWA access token: an RDT is made for a seller

    def __repr__(self) -> str:
        return f"TokensClient(http={self.http!r})"

    def create_restricted_data_token(self, resources: Sequence[RestrictedResource]) -> RestrictedDataToken:
        if not resources or len(resources) > MAX_RESTRICTED_RESOURCES:
            raise ValueError(f"restrictedResources: 1-{MAX_RESTRICTED_RESOURCES} resources are required")
        for resource in resources:
            if resource.method not in METHODS:
                raise ValueError(f"restrictedResources: method must be one of {', '.join(sorted(METHODS))}")
            if not resource.path.startswith("/"):
                raise ValueError("restrictedResources: path must be an absolute SP-API path")
        response = self.http.request(
            "createRestrictedDataToken",
            "POST",
            RESTRICTED_DATA_TOKEN_PATH,
            access_token=self._token,
            json={"restrictedResources": [resource.to_model() for resource in resources]},
        )
        body = response.body if isinstance(response.body, dict) else {}
        token, expires_in = body.get("restrictedDataToken"), body.get("expiresIn")
        if not isinstance(token, str) or not token or not isinstance(expires_in, int):
            raise SpApiServerError(
                response.status,
                "InvalidResponse",
                "createRestrictedDataToken answered without a restrictedDataToken and expiresIn",
                request_id=response.request_id,
                operation="createRestrictedDataToken",
            )
        return RestrictedDataToken(token=token, expires_in=expires_in)


class RestrictedDataTokenFor:
    """An access-token provider giving an RDT for one exact resource, made on first use.

    It keeps the seller token's `rate_limit_partition`, so the restricted call is metered in that seller's
    bucket, not in one shared by every seller. It has no `invalidate`: a refused RDT is not renewed by the
    HTTP client (a fresh one would be refused for the same reason)."""

    def __init__(self, tokens: TokensClient, resource: RestrictedResource, partition: str) -> None:
        self._tokens = tokens
        self._resource = resource
        self.rate_limit_partition = partition
        self._token: RestrictedDataToken | None = None

    def __repr__(self) -> str:
        return f"RestrictedDataTokenFor({self._resource.method} {self._resource.path})"

    def __call__(self) -> str:
        if self._token is None:
            self._token = self._tokens.create_restricted_data_token([self._resource])
        return self._token.token
