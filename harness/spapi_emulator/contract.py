"""The model contract checker: Amazon's official SP-API models as executable rules.

`ModelContract` loads the swagger 2.0 models of Reports 2021-06-30, Notifications v1 and Tokens 2021-03-01 and
the draft-07
schema of the REPORT_PROCESSING_FINISHED notification from the models directory (`default_models_dir`). It
answers three questions:

- `match(method, path)`: which operation a request is (operationId and path parameters);
- `validate_request(...)`: does a request satisfy the operation (path, method, path/query parameters with
  their type, enum, min/max, minItems/maxItems and `date-time` format, the JSON body against its definition);
- `validate_response(...)`: is the status declared for the operation, does the body match the declared
  schema and are the declared headers present.

Every failure raises `ContractViolation` with a message that names the operation and the field.

Choices made where the models leave room:
- Query arrays have no `collectionFormat`, so swagger's default `csv` applies; repeated parameters
  (`?a=X&a=Y`) are accepted too, because some HTTP clients encode lists that way.
- A query parameter the operation does not declare is a violation: it catches misspelt parameter names
  (`reportType` for `reportTypes`), which SP-API would silently ignore.
- Swagger-only keywords (`x-*`, `example`, `discriminator`) are ignored by the JSON-schema validator; the
  schemas are checked with draft 4 rules, which swagger 2.0 schemas follow.
- Mutual exclusions stated only in prose (processingDirective's eventFilter vs filterExpression, getReports'
  "nextToken must be the only parameter") are not part of the contract; the emulator enforces the latter
  itself.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jsonschema

MODEL_FILES = ("reports_2021-06-30.json", "notifications.json", "tokens_2021-03-01.json")
NOTIFICATION_SCHEMA_FILE = "ReportProcessingFinishedNotification.json"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


_NO_LONGER_RETURNED = "no longer returned"


class ContractViolation(Exception):
    """A request, response or notification that the official models do not allow."""

    def __init__(self, message: str, *, kind: str = "request", operation_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.operation_id = operation_id


class ModelsNotFoundError(FileNotFoundError):
    """The models directory is missing; `make models` downloads it."""


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path_template: str
    api: str
    spec: Mapping[str, Any] = field(repr=False)
    definitions: Mapping[str, Any] = field(repr=False)

    @property
    def parameters(self) -> list[Mapping[str, Any]]:
        return list(self.spec.get("parameters", []))

    @property
    def body_parameter(self) -> Mapping[str, Any] | None:
        return next((p for p in self.parameters if p.get("in") == "body"), None)

    @property
    def declared_statuses(self) -> list[int]:
        return sorted(int(code) for code in self.spec.get("responses", {}) if code.isdigit())

    def response_spec(self, status: int) -> Mapping[str, Any] | None:
        return self.spec.get("responses", {}).get(str(status))

    def declares_header(self, status: int, header: str) -> bool:
        """Whether SP-API sends `header` with `status`: declared, and not marked as no longer returned."""
        return header.lower() in {name.lower() for name in self.returned_headers(status)}

    def returned_headers(self, status: int) -> list[str]:
        """The headers the model declares for `status`, less those it says are "deprecated and no longer
        returned" for it (tokens_2021-03-01.json notes this of x-amzn-RateLimit-Limit on its 429 and 5xx)."""
        response = self.response_spec(status) or {}
        return [
            name
            for name, spec in response.get("headers", {}).items()
            if _NO_LONGER_RETURNED not in str(spec.get("description", "")).lower()
        ]


@dataclass(frozen=True)
class OperationMatch:
    operation: Operation
    path_params: dict[str, str]

    @property
    def operation_id(self) -> str:
        return self.operation.operation_id


@dataclass(frozen=True)
class _Route:
    segments: tuple[str, ...]
    operations: dict[str, Operation]

    @property
    def literal_count(self) -> int:
        return sum(1 for segment in self.segments if not segment.startswith("{"))

    def bind(self, parts: list[str]) -> dict[str, str] | None:
        if len(parts) != len(self.segments):
            return None
        params: dict[str, str] = {}
        for template, value in zip(self.segments, parts, strict=True):
            if template.startswith("{") and template.endswith("}"):
                if not value:
                    return None
                params[template[1:-1]] = value
            elif template != value:
                return None
        return params


MODELS_DIR_ENV = "SPAPI_MODELS_DIR"
# Where `make models` (scripts/fetch_models.py) puts its copy, downloaded at a pinned commit and sha256
# checked: `.build/` at the repository root, two levels above this package's directory. Never committed.
FETCHED_MODELS_DIR = Path(__file__).resolve().parents[2] / ".build" / "spapi-models"
# Where spapi_emulator.zip carries the models (scripts/package_lambdas.py): the deployed emulator needs
# nothing beside its zip.
BUNDLED_MODELS_DIR = Path(__file__).resolve().with_name("models")


@dataclass(frozen=True)
class ModelsSource:
    """Where the SP-API models come from, and what `make models` (scripts/fetch_models.py) does with them."""

    directory: Path
    # VERIFY: a copy the machine configures, checked against the pinned sha256 and never written;
    # USE: a complete copy; FETCH: no complete copy, so the pinned files are downloaded into `directory`.
    action: str


VERIFY, USE, FETCH = "verify", "use", "fetch"


def models_source(
    environ: Mapping[str, str] | None = None,
    bundled: Path | None = None,
    fetched: Path | None = None,
) -> ModelsSource:
    """The one choice of where the SP-API models come from (docs/spapi-notes.md#models).

    `SPAPI_MODELS_DIR` when set (a local copy the machine provides, verified); else the copy inside the
    emulator's zip when running from it; else the copy in `.build/spapi-models` when complete; else that
    directory, to be fetched at the pinned commit.
    """
    environ = os.environ if environ is None else environ
    bundled = BUNDLED_MODELS_DIR if bundled is None else bundled
    fetched = FETCHED_MODELS_DIR if fetched is None else fetched
    configured = environ.get(MODELS_DIR_ENV)
    if configured:
        return ModelsSource(Path(configured), VERIFY)
    for candidate in (bundled, fetched):
        if not _missing_model_files(candidate):
            return ModelsSource(candidate, USE)
    return ModelsSource(fetched, FETCH)


def default_models_dir() -> Path:
    """The directory `models_source` chooses; when the models are still to be fetched, an error that names
    `make models`, which fetches them (the emulator never downloads at run time)."""
    source = models_source()
    if source.action != FETCH:
        return source.directory
    raise ModelsNotFoundError(
        f"SP-API models not found: {MODELS_DIR_ENV} is unset and {source.directory} "
        f"(missing {', '.join(_missing_model_files(source.directory))}) is not complete; "
        f"run `make models` to download them, or set {MODELS_DIR_ENV} to a local copy"
    )


def _missing_model_files(models_dir: Path) -> list[str]:
    return [name for name in (*MODEL_FILES, NOTIFICATION_SCHEMA_FILE) if not (models_dir / name).is_file()]


def _check_models_dir(models_dir: Path) -> None:
    missing = _missing_model_files(models_dir)
    if missing:
        raise ModelsNotFoundError(
            f"SP-API models not found in {models_dir} (missing {', '.join(missing)}); "
            "set SPAPI_MODELS_DIR or run `make models` to download them"
        )


class ModelContract:
    """The operations of the official models, with request, response and notification validation."""

    _cache: dict[Path, ModelContract] = {}
    _cache_lock = threading.Lock()

    def __init__(
        self, models: Mapping[str, Mapping[str, Any]], notification_schema: Mapping[str, Any]
    ) -> None:
        self._routes: list[_Route] = []
        self._operations: dict[str, Operation] = {}
        for api, model in models.items():
            self._add_model(api, model)
        # Most literal segments first, so `/subscriptions/{type}/testNotification` wins over `/{type}/{id}`.
        self._routes.sort(key=lambda route: -route.literal_count)
        self._notification_schema = notification_schema
        self._validators: dict[tuple[str, str], jsonschema.protocols.Validator] = {}
        self._validators_lock = threading.Lock()

    @classmethod
    def load(cls, models_dir: str | os.PathLike[str] | None = None) -> ModelContract:
        """Load (once per directory; the result is immutable and shared) the models from `models_dir`."""
        directory = Path(models_dir) if models_dir is not None else default_models_dir()
        directory = directory.resolve()
        with cls._cache_lock:
            cached = cls._cache.get(directory)
            if cached is not None:
                return cached
            _check_models_dir(directory)
            models = {}
            for name in MODEL_FILES:
                with open(directory / name, encoding="utf-8") as handle:
                    models[name.split("_")[0].removesuffix(".json")] = json.load(handle)
            with open(directory / NOTIFICATION_SCHEMA_FILE, encoding="utf-8") as handle:
                notification_schema = json.load(handle)
            contract = cls(models, notification_schema)
            cls._cache[directory] = contract
            return contract

    def _add_model(self, api: str, model: Mapping[str, Any]) -> None:
        base_path = model.get("basePath", "/").rstrip("/")
        definitions = model.get("definitions", {})
        for path_template, path_item in model.get("paths", {}).items():
            shared_parameters = path_item.get("parameters", [])
            operations: dict[str, Operation] = {}
            for method, spec in path_item.items():
                if method not in HTTP_METHODS or not isinstance(spec, dict):
                    continue
                merged = dict(spec)
                if shared_parameters:
                    own = {(p.get("name"), p.get("in")) for p in spec.get("parameters", [])}
                    merged["parameters"] = list(spec.get("parameters", [])) + [
                        p for p in shared_parameters if (p.get("name"), p.get("in")) not in own
                    ]
                operation = Operation(
                    operation_id=spec["operationId"],
                    method=method.upper(),
                    path_template=base_path + path_template,
                    api=api,
                    spec=merged,
                    definitions=definitions,
                )
                operations[operation.method] = operation
                self._operations[operation.operation_id] = operation
            segments = tuple((base_path + path_template).strip("/").split("/"))
            self._routes.append(_Route(segments=segments, operations=operations))

    # -- lookup -----------------------------------------------------------------------------------------

    @property
    def operations(self) -> dict[str, Operation]:
        return dict(self._operations)

    def operation(self, operation_id: str) -> Operation:
        try:
            return self._operations[operation_id]
        except KeyError:
            raise KeyError(f"unknown operation {operation_id!r}") from None

    def match(self, method: str, path: str) -> OperationMatch:
        """The operation for `method path`, or ContractViolation naming what does not exist."""
        parts = [unquote(part) for part in path.split("?", 1)[0].strip("/").split("/")]
        allowed: list[str] = []
        for route in self._routes:
            params = route.bind(parts)
            if params is None:
                continue
            operation = route.operations.get(method.upper())
            if operation is not None:
                return OperationMatch(operation=operation, path_params=params)
            allowed.extend(route.operations)
        if allowed:
            raise ContractViolation(
                f"method {method.upper()} is not allowed on {path} "
                f"(allowed: {', '.join(sorted(set(allowed)))})",
                kind="method",
            )
        raise ContractViolation(f"path {path} is not part of the SP-API models", kind="path")

    # -- requests ---------------------------------------------------------------------------------------

    def validate_request(
        self,
        method: str,
        path: str,
        query: Mapping[str, Any] | None = None,
        body: bytes | str | Any = None,
        tolerated: list[str] | None = None,
    ) -> OperationMatch:
        """Check a request against its operation; returns the match so callers need not match again.

        With a `tolerated` list, the deviations SP-API lets pass (TOLERATED below) are appended to it instead
        of raised, and the check goes on; without one, every deviation raises (how our own client is judged).
        """
        matched = self.match(method, path)
        operation = matched.operation
        op_id = operation.operation_id
        query = dict(query or {})
        declared_query = set()
        body_parameter = None
        for parameter in operation.parameters:
            location = parameter.get("in")
            name = parameter["name"]
            if location == "path":
                _check_value(op_id, f"path parameter {name}", parameter, [matched.path_params.get(name, "")])
            elif location == "query":
                declared_query.add(name)
                raw = query.get(name)
                values = _split_query_values(raw)
                if not values:
                    if parameter.get("required"):
                        raise ContractViolation(
                            f"{op_id}: required query parameter {name} is missing", operation_id=op_id
                        )
                    continue
                _check_value(op_id, f"query parameter {name}", parameter, values)
            elif location == "body":
                body_parameter = parameter
        unknown = sorted(set(query) - declared_query)
        if unknown:
            _deviate(
                tolerated,
                UNDECLARED_QUERY_PARAMETER,
                f"{op_id}: query parameter {unknown[0]} is not declared by the operation "
                f"(declared: {', '.join(sorted(declared_query)) or 'none'})",
                op_id,
            )
        document = _parse_body(op_id, body)
        if body_parameter is None:
            if document == {}:
                message = f"{op_id}: the operation takes no request body (sent {{}})"
                _deviate(tolerated, EMPTY_BODY_ON_BODYLESS_OPERATION, message, op_id)
            elif document is not None:
                raise ContractViolation(f"{op_id}: the operation takes no request body", operation_id=op_id)
        elif document is None:
            if body_parameter.get("required"):
                raise ContractViolation(f"{op_id}: the request body is required", operation_id=op_id)
        else:
            self._validate_schema(operation, "request", body_parameter["schema"], document, kind="request")
        return matched

    # -- responses --------------------------------------------------------------------------------------

    def validate_response(
        self,
        method: str,
        path: str,
        status: int,
        body: bytes | str | Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> OperationMatch:
        matched = self.match(method, path)
        operation = matched.operation
        op_id = operation.operation_id
        response = operation.response_spec(status)
        if response is None:
            raise ContractViolation(
                f"{op_id}: status {status} is not declared (declared: "
                f"{', '.join(str(s) for s in operation.declared_statuses)})",
                kind="response",
                operation_id=op_id,
            )
        present = {name.lower() for name in (headers or {})}
        for header in operation.returned_headers(status):
            if header.lower() not in present:
                raise ContractViolation(
                    f"{op_id}: response {status} lacks the declared header {header}",
                    kind="response",
                    operation_id=op_id,
                )
        document = _parse_body(op_id, body, kind="response")
        schema = response.get("schema")
        if schema is None:
            if document is not None:
                raise ContractViolation(
                    f"{op_id}: response {status} declares no body but one was sent",
                    kind="response",
                    operation_id=op_id,
                )
        else:
            if document is None:
                raise ContractViolation(
                    f"{op_id}: response {status} has no body but the model declares one",
                    kind="response",
                    operation_id=op_id,
                )
            self._validate_schema(operation, f"response{status}", schema, document, kind="response")
        return matched

    # -- notifications ----------------------------------------------------------------------------------

    def validate_notification(self, message: Mapping[str, Any]) -> None:
        validator = self._validator(
            ("notification", NOTIFICATION_SCHEMA_FILE),
            lambda: jsonschema.Draft7Validator(
                self._notification_schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
            ),
        )
        _raise_first_error(
            validator, message, "REPORT_PROCESSING_FINISHED notification", "notification", None
        )

    # -- helpers ----------------------------------------------------------------------------------------

    def _validator(self, key: tuple[str, str], build: Any) -> Any:
        with self._validators_lock:
            validator = self._validators.get(key)
            if validator is None:
                validator = build()
                self._validators[key] = validator
            return validator

    def _validate_schema(
        self, operation: Operation, role: str, schema: Mapping[str, Any], document: Any, *, kind: str
    ) -> None:
        def build() -> Any:
            root = {"definitions": operation.definitions, **schema}
            return jsonschema.Draft4Validator(root, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)

        validator = self._validator((operation.operation_id, role), build)
        what = "request body" if kind == "request" else f"{role.replace('response', 'response ')} body"
        _raise_first_error(
            validator, document, f"{operation.operation_id}: {what}", kind, operation.operation_id
        )


# What SP-API lets pass although the models do not declare it, so the emulator answers as SP-API does and
# records the deviation (our own client is still judged without tolerance):
# - an undeclared query parameter: python-amazon-sp-api adds MarketplaceId/MarketplaceIds/marketplaceIds to
#   every GET and DELETE (sp_api/base/client.py, _add_marketplaces, 2.1.35), and its users call getReport and
#   the Notifications operations with them against SP-API;
# - a `{}` body on an operation that takes none: Amazon's own SDK sends `{}` on every DELETE with a JSON
#   content type (amzn-sp-api 1.13.0, spapi/rest.py, RESTClientObject.request), e.g. cancelReport and
#   deleteSubscriptionById, and SP-API answers them.
# Each is a row of the table in docs/spapi-notes.md#tolerance, with SP-API's behaviour and its source
# (tests/harness/spapi_emulator/test_tolerance_table.py keeps the two in step).
UNDECLARED_QUERY_PARAMETER = "undeclared query parameter"
EMPTY_BODY_ON_BODYLESS_OPERATION = "empty JSON object as the body of a body-less operation"
TOLERATED = (UNDECLARED_QUERY_PARAMETER, EMPTY_BODY_ON_BODYLESS_OPERATION)


def _deviate(tolerated: list[str] | None, kind: str, message: str, op_id: str) -> None:
    if kind not in TOLERATED:
        raise ValueError(f"{kind!r} is not in TOLERATED: a tolerance needs its row and source there")
    if tolerated is None:
        raise ContractViolation(message, operation_id=op_id)
    tolerated.append(message)


def _raise_first_error(validator: Any, document: Any, what: str, kind: str, op_id: str | None) -> None:
    errors = sorted(validator.iter_errors(document), key=lambda error: (len(error.path), list(error.path)))
    if not errors:
        return
    error = errors[0]
    location = "".join(f"[{part!r}]" if isinstance(part, int) else f".{part}" for part in error.path)
    field_name = location.lstrip(".") or "(root)"
    raise ContractViolation(f"{what}: {field_name}: {error.message}", kind=kind, operation_id=op_id)


def _parse_body(op_id: str, body: Any, kind: str = "request") -> Any:
    if body is None:
        return None
    if isinstance(body, bytes | bytearray):
        if not body.strip():
            return None
        body = body.decode("utf-8")
    if isinstance(body, str):
        if not body.strip():
            return None
        try:
            return json.loads(body)
        except json.JSONDecodeError as error:
            raise ContractViolation(f"{op_id}: {kind} body is not JSON ({error.msg})", kind=kind) from None
    return body


def _split_query_values(raw: Any) -> list[str]:
    if raw is None:
        return []
    items = raw if isinstance(raw, list | tuple) else [raw]
    values: list[str] = []
    for item in items:
        values.extend(str(item).split(","))
    return [value for value in values if value != ""]


_INTEGER = re.compile(r"^-?\d+$")


def _check_value(op_id: str, what: str, parameter: Mapping[str, Any], values: list[str]) -> None:
    kind = parameter.get("type", "string")
    if kind == "array":
        count = len(values)
        if "minItems" in parameter and count < parameter["minItems"]:
            raise ContractViolation(
                f"{op_id}: {what} needs at least {parameter['minItems']} item(s), got {count}",
                operation_id=op_id,
            )
        if "maxItems" in parameter and count > parameter["maxItems"]:
            raise ContractViolation(
                f"{op_id}: {what} allows at most {parameter['maxItems']} item(s), got {count}",
                operation_id=op_id,
            )
        item_spec = parameter.get("items", {"type": "string"})
        for value in values:
            _check_scalar(op_id, what, item_spec, value)
        return
    if len(values) != 1:
        raise ContractViolation(
            f"{op_id}: {what} takes a single value, got {len(values)}", operation_id=op_id
        )
    _check_scalar(op_id, what, parameter, values[0])


def _check_scalar(op_id: str, what: str, spec: Mapping[str, Any], value: str) -> None:
    kind = spec.get("type", "string")
    if kind == "integer":
        if not _INTEGER.match(value):
            raise ContractViolation(f"{op_id}: {what} must be an integer, got {value!r}", operation_id=op_id)
        number = int(value)
        if "minimum" in spec and number < spec["minimum"]:
            raise ContractViolation(
                f"{op_id}: {what} must be >= {spec['minimum']}, got {number}", operation_id=op_id
            )
        if "maximum" in spec and number > spec["maximum"]:
            raise ContractViolation(
                f"{op_id}: {what} must be <= {spec['maximum']}, got {number}", operation_id=op_id
            )
    elif kind == "boolean":
        if value not in ("true", "false"):
            raise ContractViolation(
                f"{op_id}: {what} must be true or false, got {value!r}", operation_id=op_id
            )
    elif kind == "string":
        if not value and spec.get("in") == "path":
            raise ContractViolation(f"{op_id}: {what} is empty", operation_id=op_id)
        if spec.get("format") == "date-time" and not _is_date_time(value):
            raise ContractViolation(
                f"{op_id}: {what} must be an ISO 8601 date-time, got {value!r}", operation_id=op_id
            )
        if "maxLength" in spec and len(value) > spec["maxLength"]:
            raise ContractViolation(f"{op_id}: {what} is longer than {spec['maxLength']}", operation_id=op_id)
        if "minLength" in spec and len(value) < spec["minLength"]:
            raise ContractViolation(
                f"{op_id}: {what} is shorter than {spec['minLength']}", operation_id=op_id
            )
    if "enum" in spec and value not in spec["enum"]:
        raise ContractViolation(
            f"{op_id}: {what} value {value!r} is not one of {', '.join(spec['enum'])}", operation_id=op_id
        )


def _is_date_time(value: str) -> bool:
    if "T" not in value:
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True
