"""API Gateway refuses stage logging until the account has a CloudWatch Logs role; the pinned moto does not.

AWS answers ``BadRequestException`` "CloudWatch Logs role ARN must be set in account settings to enable
logging" when a REST API stage turns on access logging or execution logging while the account (per region)
has no ``cloudwatchRoleArn`` (API Gateway Developer Guide, "Set up CloudWatch logging for REST APIs in API
Gateway": https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html, "Permissions for
CloudWatch logging"). moto accepts such stages, so a stack that forgot the account setting applied locally and
failed on a fresh AWS account. With this extension the local stack fails the same way.

Only UpdateStage can turn logging on: CreateStage has no access log or method settings members (its request
shape in the API model; ``test_create_stage_cannot_carry_logging_settings`` keeps that fact checked), and the
Terraform provider sets ``access_log_settings`` and ``aws_api_gateway_method_settings`` through UpdateStage
patch operations:

- ``replace /accessLogSettings/destinationArn`` (or ``/format``) with a value: access logging;
- ``replace /<resource>/<method>/logging/loglevel`` with ERROR or INFO: execution logging;
- ``replace /<resource>/<method>/logging/dataTrace`` with true: full request/response logging, which is also
  execution logging.

Turning logging off (``remove /accessLogSettings``, loglevel OFF) stays allowed. moto already implements
GetAccount and UpdateAccount (``aws_api_gateway_account``): the role is read from its backend's ``account``.

UpdateAccount's reset: ``replace /cloudwatchRoleArn`` with no value (or an empty one) clears the setting.
The Terraform AWS provider sends exactly that when ``aws_api_gateway_account`` is destroyed with
``reset_on_delete = true`` (provider 5.x) and on every destroy from provider 6.0 ("Terraform AWS Provider
Version 6 Upgrade Guide", resource/aws_api_gateway_account: "The destroy operation will now always reset the
API Gateway account settings"); the PatchOperation's ``value`` is optional (API Gateway API Reference,
"PatchOperation": https://docs.aws.amazon.com/apigateway/latest/api/API_PatchOperation.html). moto reads
``op["value"]`` and fails with a KeyError (an internal error to the caller); here it clears the role, so a
destroy of ``modules/account_settings`` resets the local account as it does an AWS one.
"""

from __future__ import annotations

import re
from typing import Any

from sp_reports_harness.local_aws.moto_internals import APIGatewayBackend, BadRequestException, PatchSet

CLOUDWATCH_ROLE_REQUIRED = "CloudWatch Logs role ARN must be set in account settings to enable logging"
CLOUDWATCH_ROLE_PATH = "/cloudwatchRoleArn"


def resets_cloudwatch_role(operation: dict[str, Any]) -> bool:
    """Whether an UpdateAccount patch operation clears the account's CloudWatch role."""
    return (
        operation.get("path") == CLOUDWATCH_ROLE_PATH
        and operation.get("op") in ("replace", "remove")
        and not operation.get("value")
    )


def enables_logging(patch_operations: list[dict[str, Any]]) -> bool:
    """Whether UpdateStage patch operations turn access or execution logging on."""
    for operation in patch_operations or []:
        if operation.get("op") not in ("replace", "add"):
            continue
        path = str(operation.get("path", ""))
        value = operation.get("value")
        if path.startswith("/accessLogSettings/") and value:
            return True
        if path.endswith("/logging/loglevel") and str(value or "OFF").upper() != "OFF":
            return True
        if path.endswith("/logging/dataTrace") and str(value).lower() == "true":
            return True
    return False


# A method's setting in an UpdateStage patch path: /<resource path>/<HTTP method>/<setting>, a slash inside a
# name escaped as ~1 (API Gateway API Reference, "PatchOperation", path: "the path for the child/name property
# will be /name/child~1name"; https://docs.aws.amazon.com/apigateway/latest/api/API_PatchOperation.html) or
# not. The pinned moto splits the path at its first three slashes, so a nested resource's setting
# (authorization/redirect/GET) lands under a wrong key and GetStage never shows it: the Terraform provider
# then reads the setting back as missing ("empty result").
_NESTED_METHOD_SETTING = re.compile(
    r"^/(?P<resource>[^*]+?)/(?P<method>GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY)/"
    r"(?P<setting>(?:metrics|logging|throttling|caching)/[A-Za-z]+)$"
)


def nested_method_setting(operation: dict[str, Any]) -> tuple[str, str] | None:
    """(``<resource path>/<method>`` as GetStage keys it, the setting) for a replace of a nested resource's
    method setting; None for anything moto handles itself."""
    if operation.get("op") != "replace":
        return None
    match = _NESTED_METHOD_SETTING.match(str(operation.get("path", "")))
    if match is None:
        return None
    resource = match["resource"].replace("~1", "/").strip("/")
    if "/" not in resource:
        return None
    return f"{resource}/{match['method']}", match["setting"]


def apigateway_logging_patches() -> PatchSet:
    patches = PatchSet("apigateway_logging")
    original_update_stage = vars(APIGatewayBackend).get("update_stage")  # checked by patches.replace below

    def update_stage(
        self: APIGatewayBackend, function_id: str, stage_name: str, patch_operations: Any
    ) -> Any:
        if enables_logging(patch_operations) and not self.account.cloudwatch_role_arn:
            raise BadRequestException(CLOUDWATCH_ROLE_REQUIRED)
        operations = list(patch_operations or [])
        nested = [(op, nested_method_setting(op)) for op in operations]
        stage = original_update_stage(
            self, function_id, stage_name, [op for op, setting in nested if setting is None]
        )
        for op, setting in nested:
            if setting is not None:
                stage._patch_method_setting(setting[0], setting[1], op.get("value"))
        return stage

    patches.replace(APIGatewayBackend, "update_stage", update_stage)

    original_update_account = vars(APIGatewayBackend).get("update_account")  # checked by patches.replace

    def update_account(self: APIGatewayBackend, patch_operations: Any) -> Any:
        operations = list(patch_operations or [])
        if any(resets_cloudwatch_role(operation) for operation in operations):
            self.account.cloudwatch_role_arn = None
        return original_update_account(
            self, [operation for operation in operations if not resets_cloudwatch_role(operation)]
        )

    patches.replace(APIGatewayBackend, "update_account", update_account)
    return patches
