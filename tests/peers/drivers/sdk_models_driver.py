"""Our client's SP-API messages through the model classes of Amazon's SDK (amzn-sp-api, import name `spapi`,
pinned in tests/peers/requirements.txt), validation on (`Configuration.client_side_validation`).

Reads a JSON list of messages on stdin, each {"api", "operation", "direction", "body"}, and prints one JSON
line per message. The model is the one the SDK itself uses for that operation, read from its API method
(`:param <Model> body:` for a request, `response_type='<Model>'` for an answer), so no mapping of ours
stands between the two. A request is built as the SDK builds an object from JSON (`ApiClient.deserialize`,
each setter validating) and written back as the SDK writes a request body (`sanitize_for_serialization`);
an answer is parsed the way the SDK parses one. Each date-time field is also given to the SDK as a parsed
datetime, as an SDK user passes one, so the test can compare the SDK's ISO 8601 form with ours.

Also prints, per enum our client checks values against, the values the SDK's model allows (the allowed list
its setter names when refusing a value).

Runs in the peer clients' venv only: our own package is also named `spapi`.
"""

from __future__ import annotations

import datetime
import inspect
import json
import re
import sys
from typing import Any

from spapi.api.notifications_v1.notifications_api import NotificationsApi
from spapi.api.reports_v2021_06_30.reports_api import ReportsApi
from spapi.api.tokens_v2021_03_01.tokens_api import TokensApi
from spapi.api_client import ApiClient
from spapi.configuration import Configuration
from spapi.rest import ApiException

APIS = {"reports": ReportsApi, "notifications": NotificationsApi, "tokens": TokensApi}

configuration = Configuration()
configuration.access_token_cache = None  # set by SPAPIClient; the models need no token
assert configuration.client_side_validation, "the SDK validates its models by default, and here"
client = ApiClient(configuration)


class _Answer:
    """What `ApiClient.deserialize` reads: the `data` of an HTTP response."""

    def __init__(self, body: Any) -> None:
        self.data = json.dumps(body)


def _snake(operation: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()


def model_name(api: str, operation: str, direction: str) -> str | None:
    """The model the SDK's own method for `operation` takes as its body or returns."""
    source = inspect.getsource(getattr(APIS[api], _snake(operation) + "_with_http_info"))
    pattern = r":param (\w+) body:" if direction == "request" else r"response_type='(\w+)'"
    found = re.search(pattern, source)
    return found.group(1) if found else None


def model_class(api: str, name: str) -> type:
    module = __import__(APIS[api].api_models_module, fromlist=[name])
    return getattr(module, name)


def date_fields(instance: Any, path: tuple = ()) -> list[tuple[tuple, str]]:
    """(path in the JSON, value) of every date-time attribute the model declares, nested models included."""
    found = []
    if isinstance(instance, list):
        for index, item in enumerate(instance):
            found += date_fields(item, (*path, index))
        return found
    if not hasattr(instance, "swagger_types"):
        return found
    for attribute, kind in instance.swagger_types.items():
        value = getattr(instance, attribute)
        key = (*path, instance.attribute_map[attribute])
        if value is None:
            continue
        if kind == "datetime":
            found.append((key, value if isinstance(value, str) else value.isoformat()))
        else:
            found += date_fields(value, key)
    return found


def as_sdk_user_sends(value: str) -> str:
    """The SDK's form of the same instant: a datetime, as its users pass one, serialized by the SDK."""
    parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return client.sanitize_for_serialization(parsed)


def through_the_models(message: dict[str, Any]) -> dict[str, Any]:
    api, operation, direction = message["api"], message["operation"], message["direction"]
    name = model_name(api, operation, direction)
    result: dict[str, Any] = {"operation": operation, "direction": direction, "model": name}
    if name is None:
        return {**result, "accepted": False, "error": "the SDK's method has no model for this message"}
    client.api_models_module = APIS[api].api_models_module
    try:
        instance = client.deserialize(_Answer(message["body"]), name)
        written = client.sanitize_for_serialization(instance)
        dates = [
            {"path": list(path), "ours": value, "sdk": as_sdk_user_sends(value)}
            for path, value in date_fields(instance)
        ]
    except (ValueError, TypeError, AttributeError, ApiException) as refusal:
        return {**result, "accepted": False, "error": f"{type(refusal).__name__}: {refusal}"[:800]}
    return {**result, "accepted": True, "round_trip": written, "dates": dates}


def allowed_values(api: str, model: str, attribute: str) -> list[str]:
    """The values the model's setter allows, from the list it names when refusing one."""
    instance = model_class(api, model).__new__(model_class(api, model))
    instance._configuration = configuration
    try:
        setattr(instance, attribute, "NOT-A-VALUE-OF-ANY-ENUM")
    except ValueError as refusal:
        listed = re.search(r"must be one of (\[.*\])", str(refusal))
        if listed:
            return json.loads(listed.group(1).replace("'", '"'))
    raise AssertionError(f"{model}.{attribute} refused nothing: it is no enum in the SDK")


request = json.loads(sys.stdin.read())
for message in request["messages"]:
    print(json.dumps(through_the_models(message), default=str), flush=True)
for api, model, attribute in request["enums"]:
    print(json.dumps({"enum": f"{model}.{attribute}", "allowed": allowed_values(api, model, attribute)}))
