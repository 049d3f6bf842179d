"""Attack 6: least privilege, read from what Terraform would create.

The root module is planned with the mocked aws provider (`terraform test` with a plan-only run, the same
mocks as terraform/tests; `scripts/terraform_checks.py: mock_plan_json`), so every IAM, key, bucket, queue
and topic policy appears in full in Terraform's JSON plan. The mocks give every resource of a kind the same
ARN (one table, one key ARN...), so these checks are about actions, principals, wildcards and conditions,
which the mocks do not change; which table or key a statement names is checked by the modules' own
terraform tests.
"""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass
from typing import Any

import pytest

from sp_reports_harness.local_aws.iam.policy_evaluation import (
    AuthorizationRequest,
    PolicyOutcome,
    Principal,
    authorize,
    evaluate_policy,
)
from sp_reports_harness.local_aws.iam.request_context import trust_policy
from tests.support.reliability import planned_resource, planned_resources

pytestmark = pytest.mark.terraform

# The documented value written out: an independent check of
# sp_reports.spapi.notifications.SPAPI_NOTIFICATIONS_ACCOUNT_ID
SPAPI_NOTIFICATIONS_ACCOUNT = "437568002678"
TOKEN_WRITERS = {"token_storage"}
TOKEN_READERS = {
    "notifications_subscriber",
    "report_creator",
    "report_storer",
    "report_sweeper",
    "seller_eraser",
    "pull_planner",
}


@dataclass(frozen=True)
class Allowed:
    """A wildcard allowed in an Allow statement of an identity policy, and why."""

    actions: str  # regex over the action
    resource: str  # regex over the resource
    why: str


# The short, commented allow-list. Anything else with a '*' in an Allow statement fails the test.
WILDCARD_ALLOW_LIST = (
    Allowed(
        r"xray:(PutTraceSegments|PutTelemetryRecords|GetSamplingRules|GetSamplingTargets)",
        r"\*",
        "X-Ray has no resource-level permissions: these actions only accept Resource '*'",
    ),
    Allowed(
        r"logs:(Create|Get|Update|Delete)LogDelivery|logs:ListLogDeliveries|logs:PutResourcePolicy"
        r"|logs:DescribeResourcePolicies|logs:DescribeLogGroups",
        r"\*",
        "Step Functions' vended log delivery: AWS documents these actions with Resource '*' only",
    ),
    Allowed(
        r"logs:(CreateLogStream|PutLogEvents)",
        r"arn:aws:logs:[^*]+:log-group:[^*:]+:\*",
        "the log streams of the function's own log group (stream names are made by Lambda)",
    ),
    Allowed(
        r"lambda:InvokeFunction",
        r"arn:aws:lambda:[^*]+:function:[^*:]+:\*",
        "versions and aliases of the workflow's own two functions",
    ),
    Allowed(
        r"states:DescribeExecution",
        r"arn:aws:states:[^*]+:execution:[^*:]+:\*",
        "executions of the one report workflow (the processor finds a report's execution by its name)",
    ),
    Allowed(
        r"execute-api:Invoke",
        r"arn:aws:execute-api:[^*]+/[^*/]+/GET/reports/\*",
        "GET /reports/{reportId}: the path parameter is the only wildcard",
    ),
    Allowed(
        r"execute-api:Invoke",
        r"arn:aws:execute-api:[^*]+/[^*/]+/DELETE/sellers/\*",
        "DELETE /sellers/{sellerId}: the path parameter is the only wildcard",
    ),
    Allowed(
        r"execute-api:Invoke",
        r"arn:aws:execute-api:[^*]+/[^*/]+/(GET|PATCH|DELETE)/plans/\*",
        "GET, PATCH and DELETE /plans/{planId} (GET also its /coverage): the plan id is the only wildcard",
    ),
    Allowed(
        r"s3:DeleteObject(Version)?",
        r"arn:aws:s3:::[^*/]+/\*",
        "the seller eraser deletes the versions under the prefix of the seller a request names: no prefix "
        "fixed at deployment narrows it, so the objects of the one reports bucket are the resource",
    ),
    Allowed(
        r"s3:(GetObject|PutObject|PutObjectTagging|AbortMultipartUpload|ListMultipartUploadParts)",
        r"arn:aws:s3:::[^*/]+/\*",
        "objects of the one reports bucket (keys are per seller and report; uploads carry a data-class tag)",
    ),
    Allowed(
        r"s3:(PutObject|PutObjectTagging|AbortMultipartUpload)",
        r"arn:aws:s3:::[^*/]+/plans/\*",
        "the pull planner's copies of plan windows' reports and their manifests, under plans/ only (keys are "
        "per seller, report type, lane, window and version)",
    ),
    Allowed(
        r"s3:(GetObject|GetObjectTagging)",
        r"arn:aws:s3:::[^*/]+/\*/report\.\*",
        "the report converter reads the stored reports (<seller>/<type>/<report id>/report.<ext>), not the "
        "error documents or the plans' copies",
    ),
    Allowed(
        r"s3:(PutObject|PutObjectTagging|GetObject|DeleteObject|AbortMultipartUpload)",
        r"arn:aws:s3:::[^*/]+/curated-staging/\*",
        "the report converter's staged Parquet files, under curated-staging/ only (random keys, copied then "
        "deleted)",
    ),
    Allowed(
        r"s3:(PutObject|PutObjectTagging|GetObject)",
        r"arn:aws:s3:::[^*/]+/curated/\*",
        "the report converter's published Parquet files, under curated/ only (keys are per table, seller, "
        "partition and report; it reads the held file's window version before replacing it)",
    ),
)


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _document(policy: Any) -> dict:
    return json.loads(policy) if isinstance(policy, str) else policy


def identity_policies(plan: dict) -> dict[str, dict]:
    """address -> policy document of every inline role policy and managed policy Terraform would create."""
    policies = {}
    for resource_type in ("aws_iam_role_policy", "aws_iam_policy"):
        for address, after in planned_resources(plan, resource_type).items():
            policies[address] = _document(after["policy"])
    assert policies, "the plan has no IAM policies: did the module layout change?"
    return policies


def test_identity_policies_allow_no_wildcard_outside_the_allow_list(terraform_plan, attack_results):
    problems, pairs = [], 0
    for address, policy in identity_policies(terraform_plan).items():
        for statement in policy["Statement"]:
            assert "NotAction" not in statement and "NotResource" not in statement, address
            if statement["Effect"] != "Allow":
                continue
            for action in _as_list(statement["Action"]):
                for resource in _as_list(statement["Resource"]):
                    pairs += 1
                    if "*" not in action and "*" not in resource:
                        continue
                    if not any(
                        re.fullmatch(entry.actions, action) and re.fullmatch(entry.resource, resource)
                        for entry in WILDCARD_ALLOW_LIST
                    ):
                        problems.append(f"{address} [{statement.get('Sid')}]: {action} on {resource}")
    assert not problems, "wildcards not on the allow-list:\n" + "\n".join(problems)
    attack_results.record(
        "6-iam-wildcards",
        attack="Least privilege: wildcard actions/resources in every planned IAM policy",
        cases=pairs,
        outcome=f"0 outside the {len(WILDCARD_ALLOW_LIST)}-entry allow-list",
        lost=None,
    )


def _function_of(address: str) -> str | None:
    # Each function's module creates its role: module.<group>.module.function["<function>"]...
    # (functions of no stack module: module.standalone_function["<function>"]...).
    match = re.search(r'module\.(?:standalone_)?function\["(\w+)"\]\.aws_iam_role_policy\.this\[', address)
    return match.group(1) if match else None


def _grants(statement: dict, action: str) -> bool:
    return statement["Effect"] == "Allow" and any(
        fnmatch.fnmatchcase(action, pattern) for pattern in _as_list(statement["Action"])
    )


def _via_service_only(statement: dict) -> bool:
    # A key used only through DynamoDB/S3/SQS/... (kms:ViaService) cannot decrypt what KMS Encrypt produced.
    return any("kms:ViaService" in block for block in statement.get("Condition", {}).values())


def test_only_token_storage_encrypts_and_only_readers_decrypt_refresh_tokens(terraform_plan, attack_results):
    encryptors, decryptors = set(), set()
    policies = identity_policies(terraform_plan)
    for address, policy in policies.items():
        for statement in policy["Statement"]:
            function = _function_of(address) or address
            if _grants(statement, "kms:Encrypt"):
                encryptors.add(function)
            if _grants(statement, "kms:Decrypt") and not _via_service_only(statement):
                decryptors.add(function)
                conditions = statement.get("Condition", {})
                assert conditions.get("Null", {}).get("kms:EncryptionContext:SellerId") == "false", address
    assert encryptors == TOKEN_WRITERS
    assert decryptors == TOKEN_READERS

    key_policy = _document(
        planned_resource(terraform_plan, "module.security.aws_kms_key_policy.tokens[0]")["policy"]
    )
    encrypt_principals, decrypt_principals = set(), set()
    for statement in key_policy["Statement"]:
        principals = (
            set(_as_list(statement["Principal"]["AWS"])) if "AWS" in statement["Principal"] else set()
        )
        for action in ("kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:CreateGrant"):
            if _grants(statement, action):
                assert not any(p.endswith(":root") for p in principals), (
                    f"the tokens key lets the whole account {action} (any IAM policy could then grant it)"
                )
        if _grants(statement, "kms:Encrypt"):
            encrypt_principals |= principals
        if _grants(statement, "kms:Decrypt"):
            decrypt_principals |= principals
    role = "arn:aws:iam::123456789012:role/sp-reports-us-east-1-{}"  # IAM names carry the region
    assert encrypt_principals == {role.format(f.replace("_", "-")) for f in TOKEN_WRITERS}
    assert decrypt_principals == {role.format(f.replace("_", "-")) for f in TOKEN_READERS}
    attack_results.record(
        "6-kms-tokens",
        attack="Least privilege: who may encrypt/decrypt refresh tokens (IAM policies and the key policy)",
        cases=len(policies) + len(key_policy["Statement"]),
        outcome="Encrypt: token_storage only; Decrypt: subscriber, creator, storer, sweeper, eraser only",
        lost=None,
    )


# -- resource policies, evaluated ------------------------------------------------------------------------


def _principal(arn: str) -> Principal:
    """The caller an ARN stands for: a role's session, an account's root, or anonymous ("*")."""
    if arn == "*":
        return Principal(arn="anonymous", account_id="")
    account = arn.split(":")[4]
    if ":role/" in arn:
        name = arn.rsplit("/", 1)[-1]
        return Principal(f"arn:aws:sts::{account}:assumed-role/{name}/session", account, role_arn=arn)
    return Principal(arn, account)


def decide(policy: dict, principal: str, action: str, resource: str, context: dict[str, str]) -> str:
    """What one resource policy says, with IAM's evaluation logic and condition semantics: the evaluator
    local AWS authorises with (sp_reports_harness.local_aws.iam.policy_evaluation), held by its documented
    table."""
    request = AuthorizationRequest(action, resource, _principal(principal), context)
    outcome = evaluate_policy(policy, request, resource_policy=True).outcome
    if outcome is PolicyOutcome.EXPLICIT_DENY:
        return "DENY"
    return "ALLOW" if outcome in (PolicyOutcome.ALLOW, PolicyOutcome.ALLOW_ACCOUNT) else "IMPLICIT_DENY"


ACCOUNT_ROLE = "arn:aws:iam::123456789012:role/sp-reports-report-storer"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"


def test_bucket_policy_denies_plain_http_and_puts_not_encrypted_with_the_bucket_key(
    terraform_plan, attack_results
):
    policy = _document(
        planned_resource(terraform_plan, "module.storage.aws_s3_bucket_policy.reports")["policy"]
    )
    obj = "arn:aws:s3:::mock-bucket/A3TH9S8BH6GOGM/GET_X/1/report.tsv"
    tls = {"aws:SecureTransport": "true"}
    cases = {
        "GetObject over plain HTTP": ("s3:GetObject", {"aws:SecureTransport": "false"}, "DENY"),
        "PutObject over plain HTTP": ("s3:PutObject", {"aws:SecureTransport": "false"}, "DENY"),
        "PutObject with SSE-S3 (AES256)": (
            "s3:PutObject",
            {**tls, "s3:x-amz-server-side-encryption": "AES256"},
            "DENY",
        ),
        "PutObject with another KMS key": (
            "s3:PutObject",
            {
                **tls,
                "s3:x-amz-server-side-encryption": "aws:kms",
                "s3:x-amz-server-side-encryption-aws-kms-key-id": KEY_ARN + "0",
            },
            "DENY",
        ),
        # No encryption header: an UploadPart, or a put that relies on the bucket's default encryption.
        "PutObject without encryption headers (UploadPart) over TLS": ("s3:PutObject", tls, "IMPLICIT_DENY"),
        # SSE-KMS that names no key would use aws/s3.
        "PutObject with SSE-KMS naming no key": (
            "s3:PutObject",
            {**tls, "s3:x-amz-server-side-encryption": "aws:kms"},
            "DENY",
        ),
        # Left to the role's own policy (no Deny): TLS, the bucket's key.
        "PutObject with the bucket key over TLS": (
            "s3:PutObject",
            {
                **tls,
                "s3:x-amz-server-side-encryption": "aws:kms",
                "s3:x-amz-server-side-encryption-aws-kms-key-id": KEY_ARN,
            },
            "IMPLICIT_DENY",
        ),
    }
    for name, (action, context, expected) in cases.items():
        assert decide(policy, ACCOUNT_ROLE, action, obj, context) == expected, name
    # A put without the header is not denied by the policy: the bucket's default encryption applies it.
    encryption = planned_resource(
        terraform_plan, "module.storage.aws_s3_bucket_server_side_encryption_configuration.reports"
    )
    (default,) = encryption["rule"][0]["apply_server_side_encryption_by_default"]
    assert default["sse_algorithm"] == "aws:kms" and default["kms_master_key_id"] == KEY_ARN
    block = planned_resource(terraform_plan, "module.storage.aws_s3_bucket_public_access_block.reports")
    assert all(
        block[name]
        for name in (
            "block_public_acls",
            "block_public_policy",
            "ignore_public_acls",
            "restrict_public_buckets",
        )
    )
    attack_results.record(
        "6-bucket-policy",
        attack="Least privilege: reports bucket policy (evaluated requests)",
        cases=len(cases),
        outcome="plain HTTP, SSE-S3, foreign-key and keyless SSE-KMS puts denied; header-less parts not "
        "denied; default SSE-KMS; public access blocked",
        lost=None,
    )


def queue_policy(plan: dict) -> dict:
    """The notifications queue's policy: set in CreateQueue (its `policy`) or by aws_sqs_queue_policy."""
    separate = planned_resources(plan, "aws_sqs_queue_policy")
    if separate:
        (after,) = separate.values()
        return _document(after["policy"])
    return _document(planned_resource(plan, "module.queue.aws_sqs_queue.this")["policy"])


def test_queue_lets_only_spapi_send_and_denies_plain_http(terraform_plan, attack_results):
    policy = queue_policy(terraform_plan)
    (queue,) = {r for s in policy["Statement"] for r in _as_list(s["Resource"])}
    spapi = f"arn:aws:iam::{SPAPI_NOTIFICATIONS_ACCOUNT}:root"
    tls, plain = {"aws:SecureTransport": "true"}, {"aws:SecureTransport": "false"}
    cases = [
        (spapi, "sqs:SendMessage", tls, "ALLOW"),
        (spapi, "sqs:GetQueueAttributes", tls, "ALLOW"),
        (spapi, "sqs:SendMessage", plain, "DENY"),
        (spapi, "sqs:ReceiveMessage", tls, "IMPLICIT_DENY"),
        (spapi, "sqs:DeleteMessage", tls, "IMPLICIT_DENY"),
        (spapi, "sqs:SetQueueAttributes", tls, "IMPLICIT_DENY"),
        ("arn:aws:iam::999999999999:root", "sqs:SendMessage", tls, "IMPLICIT_DENY"),
        ("*", "sqs:SendMessage", tls, "IMPLICIT_DENY"),
        (ACCOUNT_ROLE, "sqs:SendMessage", plain, "DENY"),
    ]
    for principal, action, context, expected in cases:
        assert decide(policy, principal, action, queue, context) == expected, (principal, action, context)
    topic_policy = _document(
        planned_resource(terraform_plan, "module.state_machine.aws_sns_topic_policy.this")["policy"]
    )
    topic = "arn:aws:sns:us-east-1:123456789012:mock-topic"
    assert decide(topic_policy, "arn:aws:iam::123456789012:root", "sns:Publish", topic, plain) == "DENY"
    assert (
        decide(
            topic_policy,
            "arn:aws:iam::999999999999:root",
            "sns:Publish",
            topic,
            {"aws:SecureTransport": "true", "aws:SourceAccount": "999999999999"},
        )
        != "ALLOW"
    )
    attack_results.record(
        "6-queue-topic-policy",
        attack="Least privilege: notifications queue and topic policies (evaluated requests)",
        cases=len(cases) + 2,
        outcome="only SP-API's account may send; plain HTTP denied; no foreign publisher",
        lost=None,
    )


def test_spapi_may_use_the_data_key_only_through_sqs_for_our_queues(terraform_plan, attack_results):
    """SP-API's account sends to many applications' queues; SQS asks KMS with the queue ARN as encryption
    context (aws:sqs:arn, SQS Developer Guide "Amazon SQS Key management"), so the grant names our queues."""
    key_policy = _document(planned_resource(terraform_plan, "module.security.aws_kms_key.data[0]")["policy"])
    spapi = f"arn:aws:iam::{SPAPI_NOTIFICATIONS_ACCOUNT}:root"
    via_sqs = "sqs.us-east-1.amazonaws.com"
    ours = "arn:aws:sqs:us-east-1:123456789012:sp-reports-notifications"
    our_dlq = f"{ours}-dlq"
    theirs = "arn:aws:sqs:us-east-1:999999999999:another-application-notifications"
    cases = [
        ({"kms:ViaService": via_sqs, "kms:EncryptionContext:aws:sqs:arn": ours}, "ALLOW"),
        ({"kms:ViaService": via_sqs, "kms:EncryptionContext:aws:sqs:arn": our_dlq}, "ALLOW"),
        ({"kms:ViaService": via_sqs, "kms:EncryptionContext:aws:sqs:arn": theirs}, "IMPLICIT_DENY"),
        ({"kms:ViaService": via_sqs}, "IMPLICIT_DENY"),
        (
            {"kms:ViaService": "s3.us-east-1.amazonaws.com", "kms:EncryptionContext:aws:sqs:arn": ours},
            "IMPLICIT_DENY",
        ),
    ]
    for context, expected in cases:
        for action in ("kms:GenerateDataKey", "kms:Decrypt"):
            assert decide(key_policy, spapi, action, KEY_ARN, context) == expected, (action, context)
    attack_results.record(
        "6-kms-spapi",
        attack="Least privilege: SP-API's account using the data key (evaluated key policy requests)",
        cases=2 * len(cases),
        outcome="only through SQS and only with our queue or DLQ as the aws:sqs:arn encryption context",
        lost=None,
    )


def test_failed_executions_raise_the_planned_alarm(terraform_plan, attack_results):
    """What the SNS-publish-for-good attack leaves behind (an execution FAILED) is what this alarm counts."""
    alarm = planned_resource(
        terraform_plan, "module.state_machine.aws_cloudwatch_metric_alarm.executions_failed"
    )
    assert (alarm["namespace"], alarm["metric_name"], alarm["statistic"]) == (
        "AWS/States",
        "ExecutionsFailed",
        "Sum",
    )
    assert alarm["comparison_operator"] == "GreaterThanThreshold" and alarm["threshold"] == 0
    assert alarm["alarm_actions"], "the alarm notifies nobody"
    attack_results.record(
        "6-executions-failed-alarm",
        attack="Alarm: ExecutionsFailed (Sum > 0) on the state machine",
        cases=1,
        outcome="one FAILED execution is enough to alarm",
        lost=None,
    )


SCHEDULER = "scheduler.amazonaws.com"
SWEEPER = "arn:aws:lambda:us-east-1:123456789012:function:mock-function"


def test_the_sweep_schedules_role_is_scheduler_s_for_this_account_and_invokes_the_sweeper_only(
    terraform_plan, attack_results
):
    """The schedule's role, as IAM would decide for the requests documented in the EventBridge Scheduler User
    Guide ("Set up the execution role"; "Confused deputy prevention": aws:SourceAccount, and aws:SourceArn
    the schedule group's ARN)."""
    role = planned_resource(terraform_plan, "module.sweep_schedule.aws_iam_role.this")
    trust = _document(role["assume_role_policy"])
    group = "arn:aws:scheduler:us-east-1:123456789012:schedule-group/default"
    role_arn = f"arn:aws:iam::123456789012:role/{role['name']}"

    def assume(service: str, account: str, source_arn: str) -> bool:
        # As local AWS decides a service's AssumeRole (sp_reports_harness.local_aws.scheduler.delivery,
        # role_sessions).
        request = AuthorizationRequest(
            "sts:AssumeRole",
            role_arn,
            Principal(arn=service, account_id="", service=service),
            {"aws:SourceAccount": account, "aws:SourceArn": source_arn},
        )
        return authorize(request, (), trust_policy(trust, role_arn)).allowed

    trust_cases = {
        "Scheduler, this account's schedule group": ((SCHEDULER, "123456789012", group), True),
        "Scheduler for another account": (
            (SCHEDULER, "999999999999", group.replace("123456789012", "999999999999")),
            False,
        ),
        "Scheduler, another schedule group": (
            (SCHEDULER, "123456789012", group.replace("default", "other")),
            False,
        ),
        "Lambda": (("lambda.amazonaws.com", "123456789012", group), False),
        "EventBridge rules": (("events.amazonaws.com", "123456789012", group), False),
    }
    for name, (args, allowed) in trust_cases.items():
        assert assume(*args) is allowed, name

    access = _document(
        planned_resource(terraform_plan, "module.sweep_schedule.aws_iam_role_policy.this")["policy"]
    )
    dlq = "arn:aws:sqs:us-east-1:123456789012:sp-reports-report-sweeper-dlq"
    data_key = planned_resource(terraform_plan, "module.security.aws_kms_key.data[0]")["arn"]
    # Invoking the sweeper; and, for an invocation Scheduler could not deliver, its dead-letter queue
    # (EventBridge Scheduler User Guide, "Configuring a dead-letter queue": Scheduler sends with the
    # schedule's role), encrypted with the data key, used through SQS only.
    assert [(s["Effect"], s["Action"], s["Resource"]) for s in access["Statement"]] == [
        ("Allow", "lambda:InvokeFunction", SWEEPER),
        ("Allow", "sqs:SendMessage", dlq),
        ("Allow", ["kms:GenerateDataKey", "kms:Decrypt"], data_key),
    ]
    assert access["Statement"][2]["Condition"] == {
        "StringEquals": {"kms:ViaService": "sqs.us-east-1.amazonaws.com"}
    }
    schedule = planned_resource(terraform_plan, "module.sweep_schedule.aws_scheduler_schedule.this")
    (target,) = schedule["target"]
    assert target["arn"] == SWEEPER and schedule["schedule_expression"] == "rate(1 hour)"
    alarm = planned_resource(terraform_plan, "module.sweep_schedule.aws_cloudwatch_metric_alarm.errors")
    assert (alarm["namespace"], alarm["metric_name"], alarm["statistic"], alarm["threshold"]) == (
        "AWS/Lambda",
        "Errors",
        "Sum",
        0,
    )
    assert alarm["dimensions"] == {"FunctionName": "sp-reports-report-sweeper"} and alarm["alarm_actions"]
    attack_results.record(
        "6-sweep-schedule-role",
        attack="Least privilege: the sweep schedule's role (trust evaluated, policy) and the sweep's alarm",
        cases=len(trust_cases) + 2,
        outcome="only Scheduler for this account's schedule group assumes it; it invokes the sweeper only; "
        "a failed sweep alarms",
        lost=None,
    )
