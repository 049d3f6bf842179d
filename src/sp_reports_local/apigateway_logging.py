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
"""

from __future__ import annotations

from typing import Any

from .moto_internals import APIGatewayBackend, BadRequestException, PatchSet

CLOUDWATCH_ROLE_REQUIRED = "CloudWatch Logs role ARN must be set in account settings to enable logging"


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


def apigateway_logging_patches() -> PatchSet:
    patches = PatchSet("apigateway_logging")
    original_update_stage = vars(APIGatewayBackend).get("update_stage")  # checked by patches.replace below

    def update_stage(
        self: APIGatewayBackend, function_id: str, stage_name: str, patch_operations: Any
    ) -> Any:
        if enables_logging(patch_operations) and not self.account.cloudwatch_role_arn:
            raise BadRequestException(CLOUDWATCH_ROLE_REQUIRED)
        return original_update_stage(self, function_id, stage_name, patch_operations)

    patches.replace(APIGatewayBackend, "update_stage", update_stage)
    return patches
