"""Step Functions actions the pinned moto lacks and the Terraform AWS provider calls.

- ``ValidateStateMachineDefinition``: the provider validates every definition before CreateStateMachine and
  retries for minutes on moto's 500. We answer with moto's own ASL parser (the one that later executes the
  machine), so a definition moto cannot run is reported as FAIL with the parser's message.
- ``ListStateMachineVersions``: called right after CreateStateMachine; answered from the versions moto records
  when a machine is published (newest first, as AWS lists them).

Both are added as methods of ``StepFunctionResponse``: moto dispatches an ``X-Amz-Target`` action to the
method named after it in snake_case, so a new method is the whole hook.

``choice_state_patches``: a Choice rule whose ``Variable`` path is missing from the input fails the execution
with ``States.Runtime``, as on AWS, where moto evaluated the rule to false (and so took ``Default``):

- Step Functions Developer Guide, "Choice" state, the note under the example: "If the state input doesn't
  contain the $.type field, the execution fails and an error is displayed in the execution history."
- Amazon States Language specification, Choice Rules, IsPresent: "In this case, if the Variable-field Path
  fails to match anything in the input no exception is thrown and the Choice Rule just returns false." So
  every other comparison on a missing path raises, and ``IsPresent`` alone answers false.
- The error is ``States.Runtime``, which ``States.ALL`` does not catch (guide, "Handling errors in Step
  Functions workflows", States.ALL). The cause copies what AWS's Step Functions Local reports:
  "Invalid path '$.x': The choice state's condition path references an invalid value."
"""

from __future__ import annotations

import json
from typing import Any

from sp_reports_harness.local_aws.moto_internals import (
    ActionResult,
    AmazonStateLanguageParser,
    ASLParserException,
    ComparisonOperatorType,
    ComparisonVariable,
    Environment,
    EventDetails,
    ExecutionFailedEventDetails,
    FailureEvent,
    FailureEventException,
    HistoryEventType,
    NoSuchVariable,
    PatchSet,
    StatesErrorName,
    StatesErrorNameType,
    StepFunctionResponse,
)

_MAX_DIAGNOSTIC_MESSAGE = 1000


def validate_definition(definition: str) -> dict[str, Any]:
    """Answer of ValidateStateMachineDefinition for one ASL document."""
    try:
        AmazonStateLanguageParser.parse(definition)
    except ASLParserException as error:
        return _failed("SCHEMA_VALIDATION_FAILED", str(error))
    except Exception as error:  # the parser raises plain errors for some semantic problems
        return _failed("SCHEMA_VALIDATION_FAILED", f"{type(error).__name__}: {error}")
    # moto's parser accepts transitions to states that do not exist; AWS rejects them at validation.
    missing = _missing_transition_targets(json.loads(definition))
    if missing:
        return _failed("MISSING_TRANSITION_TARGET", f"Missing 'Next' target: {', '.join(sorted(missing))}")
    return {"result": "OK", "diagnostics": [], "truncated": False}


def _missing_transition_targets(machine: dict[str, Any]) -> set[str]:
    """Transition targets (StartAt, Next, Default, Choices, Catch) naming no state of their own scope."""
    states: dict[str, Any] = machine.get("States") or {}
    targets = {machine.get("StartAt")}
    missing: set[str] = set()
    for state in states.values():
        targets.add(state.get("Next"))
        targets.add(state.get("Default"))
        targets.update(choice.get("Next") for choice in state.get("Choices") or [])
        targets.update(catcher.get("Next") for catcher in state.get("Catch") or [])
        for branch in state.get("Branches") or []:
            missing |= _missing_transition_targets(branch)
        for key in ("ItemProcessor", "Iterator"):
            if isinstance(state.get(key), dict):
                missing |= _missing_transition_targets(state[key])
    return missing | {target for target in targets - {None} if target not in states}


def _failed(code: str, message: str) -> dict[str, Any]:
    diagnostic = {"severity": "ERROR", "code": code, "message": message[:_MAX_DIAGNOSTIC_MESSAGE]}
    return {"result": "FAIL", "diagnostics": [diagnostic], "truncated": False}


def _validate_state_machine_definition(self: StepFunctionResponse) -> ActionResult:
    return ActionResult(validate_definition(self._get_param("definition") or ""))


def _list_state_machine_versions(self: StepFunctionResponse) -> ActionResult:
    state_machine = self.stepfunction_backend.describe_state_machine(self._get_param("stateMachineArn"))
    versions = sorted(state_machine.versions.values(), key=lambda version: version.version, reverse=True)
    return ActionResult(
        {
            "stateMachineVersions": [
                {"stateMachineVersionArn": version.arn, "creationDate": version.creation_date}
                for version in versions
            ]
        }
    )


def stepfunctions_patches() -> PatchSet:
    patches = PatchSet("stepfunctions_ext")
    patches.add(StepFunctionResponse, "validate_state_machine_definition", _validate_state_machine_definition)
    patches.add(StepFunctionResponse, "list_state_machine_versions", _list_state_machine_versions)
    return patches


def choice_state_patches() -> PatchSet:
    patches = PatchSet("stepfunctions_choice_missing_variable")
    patches.replace(ComparisonVariable, "_eval_body", _compare_present_variables_only)
    return patches


def _compare_present_variables_only(self: ComparisonVariable, env: Environment) -> None:
    self.variable.eval(env)
    if isinstance(env.stack[-1], NoSuchVariable) and (
        self.comparison_function.operator_type is not ComparisonOperatorType.IsPresent
    ):
        path = self.variable.string_sampler.literal_value
        cause = f"Invalid path '{path}': The choice state's condition path references an invalid value."
        runtime = StatesErrorNameType.StatesRuntime
        raise FailureEventException(
            failure_event=FailureEvent(
                env=env,
                error_name=StatesErrorName(typ=runtime),
                event_type=HistoryEventType.ExecutionFailed,
                event_details=EventDetails(
                    executionFailedEventDetails=ExecutionFailedEventDetails(
                        error=runtime.to_name(),
                        cause=cause,
                    )
                ),
            )
        )
    self.comparison_function.eval(env)
