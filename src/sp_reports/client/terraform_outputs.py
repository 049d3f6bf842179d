"""Reads the deployment's settings from `terraform output -json` (or a saved copy of it)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import ConfigurationError

# Output names the root module publishes; the Terraform configuration must keep them in step.
OUTPUT_API_INVOKE_URL = "api_invoke_url"
OUTPUT_API_INVOKE_ROLE_ARN = "api_invoke_role_arn"
OUTPUT_AWS_REGION = "aws_region"
# Also accepted, in this order after the names above (earlier drafts of the root module used them).
API_INVOKE_URL_ALIASES = ("api_base_url",)
AWS_REGION_ALIASES = ("region",)
# Optional per-endpoint URLs; when present they win over `api_invoke_url` + path. They may come as separate
# string outputs or as one map output {tokens, notifications, reports}.
OUTPUT_TOKENS_ENDPOINT_URL = "tokens_endpoint_url"
OUTPUT_NOTIFICATIONS_ENDPOINT_URL = "notifications_endpoint_url"
OUTPUT_REPORTS_ENDPOINT_URL = "reports_endpoint_url"
OUTPUT_API_ENDPOINT_URLS = "api_endpoint_urls"

TERRAFORM_TIMEOUT_SECONDS = 120


def read_terraform_outputs(terraform_dir: str, terraform_bin: str = "terraform") -> dict[str, Any]:
    """Runs `terraform -chdir=DIR output -json` and returns `{name: value}`."""
    directory = Path(terraform_dir)
    if not directory.is_dir():
        raise ConfigurationError(f"terraform directory {terraform_dir!r} does not exist (--terraform-dir)")
    executable = shutil.which(terraform_bin)
    if executable is None:
        raise ConfigurationError(
            f"{terraform_bin!r} is not on PATH; it is needed to read outputs from --terraform-dir "
            "(or pass --api-url instead)"
        )
    try:
        completed = subprocess.run(  # noqa: S603 - fixed argument list, no shell
            [executable, f"-chdir={directory}", "output", "-json", "-no-color"],
            capture_output=True,
            text=True,
            timeout=TERRAFORM_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ConfigurationError(
            f"`terraform output -json` in {terraform_dir} did not finish within {TERRAFORM_TIMEOUT_SECONDS} s"
        ) from exc
    if completed.returncode != 0:
        detail = _last_lines(completed.stderr) or f"exit code {completed.returncode}"
        raise ConfigurationError(f"`terraform output -json` failed in {terraform_dir}: {detail}")
    return parse_terraform_outputs(completed.stdout, source=f"`terraform output -json` in {terraform_dir}")


def read_terraform_outputs_file(path: str) -> dict[str, Any]:
    """Reads a file saved with `terraform output -json > FILE`."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"cannot read terraform outputs file {path!r}: {exc.strerror}") from exc
    return parse_terraform_outputs(text, source=f"terraform outputs file {path}")


def parse_terraform_outputs(text: str, source: str) -> dict[str, Any]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigurationError(f"{source} is not JSON ({exc.msg} at line {exc.lineno})") from exc
    if not isinstance(document, Mapping):
        raise ConfigurationError(f"{source} is not a JSON object of outputs")
    values: dict[str, Any] = {}
    for name, output in document.items():
        if not isinstance(output, Mapping) or "value" not in output:
            raise ConfigurationError(
                f"{source}: output {name!r} has no 'value' (expected `output -json` format)"
            )
        values[name] = output["value"]
    return values


def string_output(outputs: Mapping[str, Any], name: str, source: str) -> str | None:
    """The output's value when it is a non-empty string; None when absent or null."""
    value = outputs.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ConfigurationError(f"{source}: output {name!r} must be a string, got {type(value).__name__}")
    return value


def first_string_output(
    outputs: Mapping[str, Any], names: tuple[str, ...], source: str
) -> tuple[str, str] | tuple[None, None]:
    """(name, value) of the first of `names` that has a value."""
    for name in names:
        value = string_output(outputs, name, source)
        if value is not None:
            return name, value
    return None, None


def endpoint_map_output(outputs: Mapping[str, Any], source: str) -> dict[str, str]:
    """The `api_endpoint_urls` map output as {tokens, notifications, reports} (other keys are ignored)."""
    value = outputs.get(OUTPUT_API_ENDPOINT_URLS)
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(item, str) for item in value.values()):
        raise ConfigurationError(f"{source}: output {OUTPUT_API_ENDPOINT_URLS!r} must be a map of strings")
    return {key: value[key] for key in ("tokens", "notifications", "reports") if value.get(key)}


def _last_lines(text: str, count: int = 5) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " ".join(lines[-count:])
