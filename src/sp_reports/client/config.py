"""Where the client finds the API: flags, then environment variables, then Terraform outputs."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from . import terraform_outputs as tf
from .errors import ConfigurationError

ENV_API_URL = "SP_REPORTS_API_URL"
ENV_ROLE_ARN = "SP_REPORTS_ROLE_ARN"
ENV_TERRAFORM_DIR = "SP_REPORTS_TERRAFORM_DIR"
ENV_TERRAFORM_OUTPUTS_FILE = "SP_REPORTS_TERRAFORM_OUTPUTS"
ENV_ENDPOINT_URL = "AWS_ENDPOINT_URL"
ENV_REGIONS = ("AWS_REGION", "AWS_DEFAULT_REGION")

_EXECUTE_API_HOST = re.compile(
    r"^[a-z0-9-]+\.execute-api\.(?P<region>[a-z]{2}(?:-[a-z]+)+-\d)\.(?:vpce\.)?amazonaws\.com(?:\.cn)?$"
)
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
_REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d$")


@dataclass(frozen=True)
class ApiEndpoints:
    """The URLs of the API's resources: stage invoke URL + resource path, or per-endpoint URLs."""

    tokens_url: str
    notifications_url: str
    reports_url: str

    @property
    def sellers_url(self) -> str:
        """/sellers beside /tokens: both are resources of the same stage's root."""
        return f"{self.tokens_url.rstrip('/').removesuffix('/tokens')}/sellers"

    @property
    def plans_url(self) -> str:
        """/plans beside /tokens: both are resources of the same stage's root."""
        return f"{self.tokens_url.rstrip('/').removesuffix('/tokens')}/plans"

    @classmethod
    def from_base_url(cls, base_url: str) -> ApiEndpoints:
        base = validate_url(base_url, "the API URL").rstrip("/")
        return cls(
            tokens_url=f"{base}/tokens",
            notifications_url=f"{base}/notifications",
            reports_url=f"{base}/reports",
        )


@dataclass(frozen=True)
class ConfigFlags:
    """The command-line flags that take part in configuration (None when not given)."""

    api_url: str | None = None
    region: str | None = None
    role_arn: str | None = None
    terraform_dir: str | None = None
    terraform_outputs_file: str | None = None
    endpoint_url: str | None = None


@dataclass(frozen=True)
class ClientConfig:
    endpoints: ApiEndpoints
    region: str
    role_arn: str | None = None
    sts_endpoint_url: str | None = None
    # setting name -> where its value came from, for --verbose.
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)


TerraformReader = Callable[[str], dict[str, Any]]


def resolve_config(
    flags: ConfigFlags,
    environ: Mapping[str, str],
    read_terraform: TerraformReader = tf.read_terraform_outputs,
    read_outputs_file: TerraformReader = tf.read_terraform_outputs_file,
) -> ClientConfig:
    """Builds the configuration; each setting is taken from the first source that has it.

    Terraform is only asked when a terraform directory (or a saved outputs file) is configured.
    The signing region is the --region flag, else the region in an execute-api hostname (a fact about the
    API, so it beats a shell's default region), else AWS_REGION / AWS_DEFAULT_REGION, else Terraform's
    `aws_region`.
    """
    sources: dict[str, str] = {}
    outputs, outputs_source = _terraform_outputs(flags, environ, read_terraform, read_outputs_file)

    endpoints = _resolve_endpoints(flags, environ, outputs, outputs_source, sources)
    region = _resolve_region(flags, environ, endpoints, outputs, outputs_source, sources)
    role_arn = _first(
        sources,
        "role_arn",
        ("--role-arn", flags.role_arn),
        (ENV_ROLE_ARN, environ.get(ENV_ROLE_ARN)),
        (
            _output_label(tf.OUTPUT_API_INVOKE_ROLE_ARN),
            _output(outputs, tf.OUTPUT_API_INVOKE_ROLE_ARN, outputs_source),
        ),
    )
    if role_arn is not None and not _ROLE_ARN.match(role_arn):
        raise ConfigurationError(
            f"role ARN {role_arn!r} from {sources['role_arn']} is not an IAM role ARN "
            "(arn:aws:iam::123456789012:role/NAME)"
        )
    sts_endpoint_url = _first(
        sources,
        "sts_endpoint_url",
        ("--endpoint-url", flags.endpoint_url),
        (ENV_ENDPOINT_URL, environ.get(ENV_ENDPOINT_URL)),
    )
    if sts_endpoint_url is not None:
        validate_url(sts_endpoint_url, f"the endpoint URL from {sources['sts_endpoint_url']}")
    return ClientConfig(
        endpoints=endpoints,
        region=region,
        role_arn=role_arn,
        sts_endpoint_url=sts_endpoint_url,
        sources=sources,
    )


def region_from_url(url: str) -> str | None:
    """The AWS region in an execute-api hostname (`abc123.execute-api.eu-west-1.amazonaws.com`), else None."""
    host = (urlsplit(url).hostname or "").lower()
    match = _EXECUTE_API_HOST.match(host)
    return match.group("region") if match else None


def validate_url(url: str, what: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"{what} {url!r} is not an http(s) URL")
    if parts.query or parts.fragment:
        raise ConfigurationError(f"{what} {url!r} must not carry a query or fragment")
    return url


def _terraform_outputs(
    flags: ConfigFlags,
    environ: Mapping[str, str],
    read_terraform: TerraformReader,
    read_outputs_file: TerraformReader,
) -> tuple[Mapping[str, Any], str]:
    outputs_file = flags.terraform_outputs_file or environ.get(ENV_TERRAFORM_OUTPUTS_FILE)
    if outputs_file:
        return read_outputs_file(outputs_file), f"terraform outputs file {outputs_file}"
    terraform_dir = flags.terraform_dir or environ.get(ENV_TERRAFORM_DIR)
    if terraform_dir:
        return read_terraform(terraform_dir), f"terraform output in {terraform_dir}"
    return {}, ""


def _resolve_endpoints(
    flags: ConfigFlags,
    environ: Mapping[str, str],
    outputs: Mapping[str, Any],
    outputs_source: str,
    sources: dict[str, str],
) -> ApiEndpoints:
    base_output, base_output_value = tf.first_string_output(
        outputs, (tf.OUTPUT_API_INVOKE_URL, *tf.API_INVOKE_URL_ALIASES), outputs_source
    )
    base_url = _first(
        sources,
        "api_url",
        ("--api-url", flags.api_url),
        (ENV_API_URL, environ.get(ENV_API_URL)),
        (_output_label(base_output or tf.OUTPUT_API_INVOKE_URL), base_output_value),
    )
    explicit = sources.get("api_url") in ("--api-url", ENV_API_URL)
    per_endpoint = _terraform_endpoints(outputs, outputs_source)
    if base_url is None and len(per_endpoint) < 3:
        hint = f" ({outputs_source} has no {tf.OUTPUT_API_INVOKE_URL!r} output)" if outputs_source else ""
        raise ConfigurationError(
            "the API URL is not configured: pass --api-url, set "
            f"{ENV_API_URL}, or point --terraform-dir / {ENV_TERRAFORM_DIR} at the deployment{hint}"
        )
    from_base = ApiEndpoints.from_base_url(base_url) if base_url else None
    if explicit or not per_endpoint:
        assert from_base is not None
        return from_base
    # Terraform published per-endpoint URLs: they win over the base URL, which fills any gap.
    resolved = {}
    for name in ("tokens_url", "notifications_url", "reports_url"):
        if name in per_endpoint:
            resolved[name] = validate_url(per_endpoint[name], f"{outputs_source} endpoint").rstrip("/")
        else:
            assert from_base is not None
            resolved[name] = getattr(from_base, name)
    if "api_url" not in sources:
        sources["api_url"] = f"per-endpoint outputs of {outputs_source}"
    return ApiEndpoints(**resolved)


def _terraform_endpoints(outputs: Mapping[str, Any], outputs_source: str) -> dict[str, str]:
    from_map = tf.endpoint_map_output(outputs, outputs_source)
    endpoints = {}
    for name, output_name, map_key in (
        ("tokens_url", tf.OUTPUT_TOKENS_ENDPOINT_URL, "tokens"),
        ("notifications_url", tf.OUTPUT_NOTIFICATIONS_ENDPOINT_URL, "notifications"),
        ("reports_url", tf.OUTPUT_REPORTS_ENDPOINT_URL, "reports"),
    ):
        value = _output(outputs, output_name, outputs_source) or from_map.get(map_key)
        if value:
            endpoints[name] = value
    return endpoints


def _resolve_region(
    flags: ConfigFlags,
    environ: Mapping[str, str],
    endpoints: ApiEndpoints,
    outputs: Mapping[str, Any],
    outputs_source: str,
    sources: dict[str, str],
) -> str:
    env_region = next(
        ((name, environ[name]) for name in ENV_REGIONS if environ.get(name)), (ENV_REGIONS[0], None)
    )
    region_output, region_output_value = tf.first_string_output(
        outputs, (tf.OUTPUT_AWS_REGION, *tf.AWS_REGION_ALIASES), outputs_source
    )
    region = _first(
        sources,
        "region",
        ("--region", flags.region),
        ("the execute-api hostname", region_from_url(endpoints.reports_url)),
        env_region,
        (_output_label(region_output or tf.OUTPUT_AWS_REGION), region_output_value),
    )
    if region is None:
        raise ConfigurationError(
            "the AWS region is not configured and the API URL does not name one: "
            "pass --region or set AWS_REGION"
        )
    if not _REGION.match(region):
        raise ConfigurationError(f"region {region!r} from {sources['region']} is not an AWS region name")
    return region


def _first(sources: dict[str, str], setting: str, *candidates: tuple[str, str | None]) -> str | None:
    for label, value in candidates:
        if value:
            sources[setting] = label
            return value.strip()
    return None


def _output(outputs: Mapping[str, Any], name: str, source: str) -> str | None:
    return tf.string_output(outputs, name, source)


def _output_label(name: str) -> str:
    return f"terraform output {name!r}"
