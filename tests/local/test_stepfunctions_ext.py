"""ValidateStateMachineDefinition and ListStateMachineVersions, which the Terraform provider calls."""

from __future__ import annotations

import json

import pytest

from sp_reports_local.moto_patch import MotoInternalsChanged
from sp_reports_local.stepfunctions_ext import stepfunctions_patches, validate_definition

PASS_MACHINE = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}


def test_valid_definition_is_ok(local_aws):
    answer = local_aws.boto3_client("stepfunctions").validate_state_machine_definition(
        definition=json.dumps(PASS_MACHINE)
    )
    assert answer["result"] == "OK"
    assert answer["diagnostics"] == []


@pytest.mark.parametrize(
    ("definition", "code"),
    [
        ("{", "SCHEMA_VALIDATION_FAILED"),
        (
            json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}}),
            "MISSING_TRANSITION_TARGET",
        ),
        (
            json.dumps({"StartAt": "Missing", "States": {"A": {"Type": "Pass", "End": True}}}),
            "MISSING_TRANSITION_TARGET",
        ),
    ],
)
def test_invalid_definition_fails_with_a_diagnostic(local_aws, definition, code):
    answer = local_aws.boto3_client("stepfunctions").validate_state_machine_definition(definition=definition)
    assert answer["result"] == "FAIL"
    assert answer["diagnostics"][0]["code"] == code
    assert answer["diagnostics"][0]["severity"] == "ERROR"


def test_missing_target_inside_a_parallel_branch_is_found():
    branch = {"StartAt": "B", "States": {"B": {"Type": "Pass", "Next": "Gone"}}}
    machine = {"StartAt": "P", "States": {"P": {"Type": "Parallel", "Branches": [branch], "End": True}}}
    assert validate_definition(json.dumps(machine))["result"] == "FAIL"


def test_versions_are_listed_newest_first_and_empty_without_publish(local_aws):
    sfn = local_aws.boto3_client("stepfunctions")
    role = "arn:aws:iam::123456789012:role/sfn"
    unpublished = sfn.create_state_machine(name="plain", definition=json.dumps(PASS_MACHINE), roleArn=role)
    published = sfn.create_state_machine(
        name="versioned", definition=json.dumps(PASS_MACHINE), roleArn=role, publish=True
    )
    sfn.update_state_machine(
        stateMachineArn=published["stateMachineArn"], definition=json.dumps(PASS_MACHINE), publish=True
    )

    assert (
        sfn.list_state_machine_versions(stateMachineArn=unpublished["stateMachineArn"])[
            "stateMachineVersions"
        ]
        == []
    )
    versions = sfn.list_state_machine_versions(stateMachineArn=published["stateMachineArn"])[
        "stateMachineVersions"
    ]
    assert [v["stateMachineVersionArn"] for v in versions] == [
        f"{published['stateMachineArn']}:2",
        f"{published['stateMachineArn']}:1",
    ]


def test_patch_refuses_to_shadow_an_action_moto_gained(monkeypatch):
    from moto.stepfunctions.responses import StepFunctionResponse

    monkeypatch.setattr(
        StepFunctionResponse, "validate_state_machine_definition", lambda self: None, raising=False
    )
    with pytest.raises(MotoInternalsChanged, match="validate_state_machine_definition"):
        stepfunctions_patches()
