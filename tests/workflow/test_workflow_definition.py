"""The ASL file itself: renders like Terraform's templatefile; every task retries and catches as designed."""

from __future__ import annotations

import re

import pytest

import sp_reports.pipeline.errors
import sp_reports.spapi.errors
from sp_reports_harness.local_aws.stepfunctions.lambda_faults import LAMBDA_SERVICE_ERRORS
from tests.support import aws_resources

STORER = "arn:aws:lambda:us-east-1:123456789012:function:storer"
NOTIFIER = "arn:aws:lambda:us-east-1:123456789012:function:notifier"
CONVERTER = "arn:aws:lambda:us-east-1:123456789012:function:converter"


@pytest.fixture(scope="module")
def definition():
    return aws_resources.render_workflow(STORER, NOTIFIER, convert_function_arn=CONVERTER)


def _tasks(definition):
    return {name: state for name, state in definition["States"].items() if state["Type"] == "Task"}


def test_template_uses_only_the_variables_terraform_passes():
    template = aws_resources.WORKFLOW_PATH.read_text()
    assert set(re.findall(r"\$\{([^}]*)\}", template)) == {
        "store_function_arn",
        "convert_function_arn",
        "notify_function_arn",
        "store_task_timeout_seconds",
        "convert_task_timeout_seconds",
        "notify_task_timeout_seconds",
    }
    assert "%{" not in template  # templatefile directives would be interpreted too
    module = (aws_resources.WORKFLOW_PATH.parent / "main.tf").read_text()
    passed = re.search(r"templatefile\([^{]*\{(.*?)\}\)", module, re.DOTALL)
    assert passed and set(re.findall(r"^\s*(\w+)\s*=", passed.group(1), re.MULTILINE)) == set(
        re.findall(r"\$\{([^}]*)\}", template)
    )


def test_each_task_waits_for_its_own_function_timeout_not_a_fixed_one():
    rendered = aws_resources.render_workflow(
        STORER,
        NOTIFIER,
        convert_function_arn=CONVERTER,
        store_task_timeout_seconds=931,
        convert_task_timeout_seconds=612,
        notify_task_timeout_seconds=77,
    )
    timeouts = {name: state["TimeoutSeconds"] for name, state in _tasks(rendered).items()}
    assert timeouts == {
        "StoreReport": 931,
        "StoreErrorDocument": 931,
        "ConvertReport": 612,
        "NotifyReady": 77,
        "NotifyNoData": 77,
        "NotifyFailed": 77,
    }


def test_tasks_run_the_storer_the_converter_and_the_notifier(definition):
    resources = {name: state["Resource"] for name, state in _tasks(definition).items()}
    assert resources == {
        "StoreReport": STORER,
        "StoreErrorDocument": STORER,
        "ConvertReport": CONVERTER,
        "NotifyReady": NOTIFIER,
        "NotifyNoData": NOTIFIER,
        "NotifyFailed": NOTIFIER,
    }


def test_every_transition_targets_an_existing_state_and_every_state_is_reachable(definition):
    states = definition["States"]
    targets = {definition["StartAt"]}
    for state in states.values():
        targets.update(choice["Next"] for choice in state.get("Choices", []))
        targets.update(catch["Next"] for catch in state.get("Catch", []))
        targets.update(value for key, value in state.items() if key in ("Next", "Default"))
    assert targets == set(states)


def test_every_task_but_the_last_resort_catches_everything_into_notify_failed_keeping_its_input(definition):
    for name, state in _tasks(definition).items():
        if name == "NotifyFailed":
            assert "Catch" not in state  # catching here would loop; a failure here fails the execution
            continue
        if name == "ConvertReport":
            continue  # test_a_conversion_that_fails_still_announces_the_stored_report
        assert state["Catch"] == [
            {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "NotifyFailed"}
        ]


def test_every_task_retries_lambda_service_errors_and_storers_retry_spapi_faults(definition):
    retried_spapi = {"SpApiThrottledError", "SpApiServerError", "SpApiTimeoutError", "LwaUnavailableError"}
    for name, state in _tasks(definition).items():
        retried = {error for retrier in state["Retry"] for error in retrier["ErrorEquals"]}
        assert retried >= LAMBDA_SERVICE_ERRORS, name
        if name.startswith("Store"):
            assert retried >= retried_spapi, name
        for retrier in state["Retry"]:
            if set(retrier["ErrorEquals"]) & TIMEOUTS:
                continue  # retried once only: test_a_timeout_is_retried_once_and_only_once
            assert retrier["BackoffRate"] >= 2 and retrier["MaxAttempts"] >= 3, name


# A timeout as Step Functions names it: the task's TimeoutSeconds (States.Timeout), the function's own timeout
# (Sandbox.Timedout) and, in the Step Functions guide's words, "Unhandled errors in Lambda are reported as
# Lambda.Unknown [...] These include out-of-memory errors and function timeouts" ("Handle Lambda service
# exceptions").
TIMEOUTS = {"States.Timeout", "Sandbox.Timedout", "Lambda.Unknown"}
# Retriers that would also take a timeout or any error (States.TaskFailed matches every task failure but
# States.Timeout).
_BROAD = {"States.ALL", "States.TaskFailed"}


def test_a_timeout_is_retried_once_and_only_once(definition):
    """A store that ran out of time would mostly run out of time again: the first retrier takes every timeout
    and gives it one more attempt, so no broader retrier after it retries it again."""
    for name, state in _tasks(definition).items():
        first, *others = state["Retry"]
        assert set(first["ErrorEquals"]) == TIMEOUTS and first["MaxAttempts"] == 1, name
        assert not [r for r in others if set(r["ErrorEquals"]) & TIMEOUTS], name


def test_a_catch_all_retrier_stands_alone_and_last(definition):
    """The States Language allows States.ALL in a retrier only alone and in the last one ("Retrying after
    error"); ConvertReport has one, so an S3, KMS or DynamoDB hiccup is retried before it is reported."""
    for name, state in _tasks(definition).items():
        for index, retrier in enumerate(state["Retry"]):
            if "States.ALL" in retrier["ErrorEquals"]:
                assert retrier["ErrorEquals"] == ["States.ALL"] and index == len(state["Retry"]) - 1, name
    last = definition["States"]["ConvertReport"]["Retry"][-1]
    assert last["ErrorEquals"] == ["States.ALL"] and last["MaxAttempts"] >= 2 and last["BackoffRate"] >= 2


def test_a_document_too_large_to_store_in_time_is_never_retried(definition):
    """ReportDocumentTooLargeError would fail the same way on every attempt: no retrier of a store names it,
    nor anything that matches it, so Catch takes it to NotifyFailed at once."""
    name = sp_reports.pipeline.errors.ReportDocumentTooLargeError.__name__
    for state_name, state in _tasks(definition).items():
        if not state_name.startswith("Store"):
            continue
        retried = {error for retrier in state["Retry"] for error in retrier["ErrorEquals"]}
        assert not retried & ({name} | _BROAD), state_name
        assert state["Catch"][0]["ErrorEquals"] == ["States.ALL"]


def test_retried_error_names_are_the_library_exception_class_names(definition):
    known = {
        name
        for module in (sp_reports.spapi.errors, sp_reports.pipeline.errors)
        for name, value in vars(module).items()
        if isinstance(value, type)
    }
    for state in _tasks(definition).values():
        for retrier in state["Retry"]:
            for error in retrier["ErrorEquals"]:
                assert error in known or error.startswith(("Lambda.", "States.", "Sandbox.")), error


def test_task_results_never_replace_the_state(definition):
    # Each task adds its result beside the input, so the notifier sees the whole report (and no URL, as the
    # notifier's output is status only).
    for name, state in _tasks(definition).items():
        assert state["ResultPath"] in ("$.stored", "$.conversion", "$.notification"), name
        if state["Resource"] == NOTIFIER:
            assert state["Parameters"]["report.$"] == "$"


def test_a_stored_report_is_converted_and_a_conversion_that_fails_still_announces_it(definition):
    """The raw document is stored before ConvertReport runs: whatever the conversion does, the report is
    READY. Its error is kept under $.conversion (the notifier reads $.error as a failure), and only DONE
    reports are converted, never an error document."""
    states = definition["States"]
    assert states["StoreReport"]["Next"] == "ConvertReport"
    assert states["StoreErrorDocument"]["Next"] == "NotifyFailed"
    convert = states["ConvertReport"]
    assert convert["Next"] == "NotifyReady" and convert["ResultPath"] == "$.conversion"
    assert [
        {key: catch[key] for key in ("ErrorEquals", "ResultPath", "Next")} for catch in convert["Catch"]
    ] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.conversion", "Next": "NotifyReady"}]
