"""Make moto echo what it was given, so a second ``terraform plan`` reports no changes.

Measured with the AWS provider 5.100.0 against the pinned moto
(``tests/harness/local_aws/test_terraform_provider.py``:
``test_second_plan_after_apply_is_clean`` applies a small configuration and asserts
``plan -detailed-exitcode`` = 0; ``test_redrive_policy_and_logging_config_come_back_as_given`` checks each
fix):

- SQS ``RedrivePolicy``: moto parses the JSON and returns ``json.dumps`` of it, re-spaced, which the provider
  shows as a whitespace change on every plan. We keep the text the caller sent and return it unchanged (AWS
  also returns the policy as given).
- API Gateway REST API ``policy``: AWS returns a REST API's resource policy as the text of a JSON string,
  its quotes escaped (``{\\"Version\\":...}``), and the provider reads it so (it parses ``"`` + policy +
  ``"`` as a JSON string); moto returns the policy as given, which the provider fails to read ("invalid
  character ... after top-level value"), so ``aws_api_gateway_rest_api_policy`` could not be applied. We
  return it escaped; moto keeps the policy as given, which local AWS's execute-api authorisation reads.
- Lambda ``LoggingConfig``: moto drops it, so a configured ``logging_config`` block is re-added on every plan.
  We store it on create and update and return it with AWS's defaults (``LogFormat`` Text, ``LogGroup``
  ``/aws/lambda/<name>``).

Not a moto difference, so not patched: the root module hashes ``aws_api_gateway_method.request_parameters``
/ ``request_models`` (and the integration's) into the deployment's ``triggers``; they are null in the state
after create and ``{}`` after the first refresh (the provider stores an absent map as empty), so the first
plan after an apply replaces the deployment once.
"""

from __future__ import annotations

import json
from typing import Any

from sp_reports_harness.local_aws.moto_internals import LambdaFunction, PatchSet, Queue, RestAPI


def drift_fix_patches() -> PatchSet:
    patches = PatchSet("drift_fixes")
    _echo_redrive_policy(patches)
    _keep_lambda_logging_config(patches)
    _escape_rest_api_policy(patches)
    return patches


def _escape_rest_api_policy(patches: PatchSet) -> None:
    original_to_dict = RestAPI.to_dict

    def to_dict(self: RestAPI) -> dict[str, Any]:
        result = original_to_dict(self)
        if result.get("policy"):
            result["policy"] = escaped_policy(result["policy"])
        return result

    patches.replace(RestAPI, "to_dict", to_dict)


def escaped_policy(policy: str) -> str:
    """A REST API's policy as API Gateway returns it: the text of a JSON string holding the policy."""
    return json.dumps(policy)[1:-1]


def _echo_redrive_policy(patches: PatchSet) -> None:
    original_setup_dlq = Queue._setup_dlq
    original_attributes = Queue.attributes

    def _setup_dlq(self: Queue, policy: Any) -> None:
        original_setup_dlq(self, policy)
        self._redrive_policy_text = policy if isinstance(policy, str) and self.redrive_policy else None

    def attributes(self: Queue) -> dict[str, Any]:
        result = original_attributes.fget(self)
        text = getattr(self, "_redrive_policy_text", None)
        if "RedrivePolicy" in result and text:
            result["RedrivePolicy"] = text
        return result

    patches.replace(Queue, "_setup_dlq", _setup_dlq)
    patches.replace(Queue, "attributes", property(attributes))


def _keep_lambda_logging_config(patches: PatchSet) -> None:
    original_init = LambdaFunction.__init__
    original_update = LambdaFunction.update_configuration
    original_get = LambdaFunction.get_configuration

    def __init__(self: LambdaFunction, account_id: str, spec: dict[str, Any], *args: Any, **kw: Any) -> None:
        original_init(self, account_id, spec, *args, **kw)
        self._logging_config = dict(spec.get("LoggingConfig") or {})

    def update_configuration(self: LambdaFunction, config_updates: dict[str, Any]) -> dict[str, Any]:
        if "LoggingConfig" in config_updates:
            self._logging_config = {**_logging_config(self), **(config_updates["LoggingConfig"] or {})}
        return original_update(self, config_updates)

    def get_configuration(self: LambdaFunction, on_create: bool = False) -> dict[str, Any]:
        config = original_get(self, on_create)
        config["LoggingConfig"] = {
            "LogFormat": "Text",
            "LogGroup": f"/aws/lambda/{self.function_name}",
            **_logging_config(self),
        }
        return config

    patches.replace(LambdaFunction, "__init__", __init__)
    patches.replace(LambdaFunction, "update_configuration", update_configuration)
    patches.replace(LambdaFunction, "get_configuration", get_configuration)


def _logging_config(function: LambdaFunction) -> dict[str, Any]:
    # Functions created before the patch was installed have no stored configuration.
    return getattr(function, "_logging_config", {})
