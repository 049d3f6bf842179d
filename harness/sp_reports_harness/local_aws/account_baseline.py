"""What an estate's account baseline (a landing zone) sets before any stack is deployed, done in local AWS.

The stack does not manage account-wide settings (terraform/README.md, "What is account-wide"): a REST API
stage's access and execution logs need the account's API Gateway CloudWatch Logs role in the region (API
Gateway Developer Guide, "Set up CloudWatch logging for REST APIs in API Gateway":
https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html), and local AWS refuses the
stage without it as AWS does (``local_aws.apigateway.account_logging``). A fresh local account gets the role
here, the way a landing zone sets it: a role API Gateway may assume, with AWS's managed policy for pushing
logs, named in the account setting.
"""

from __future__ import annotations

import json

from sp_reports_harness.local_aws.server import LocalAws

BASELINE_ROLE_NAME = "estate-baseline-apigateway-cloudwatch-logs"
# AWS managed policy for API Gateway's CloudWatch role (API Gateway Developer Guide, same page).
PUSH_TO_CLOUDWATCH_LOGS_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"


def apply_account_baseline(aws: LocalAws) -> str:
    """Give local AWS's account an API Gateway CloudWatch Logs role in its region; return the role's ARN.

    Idempotent: an account whose setting already names a role keeps it."""
    apigateway = aws.boto3_client("apigateway")
    current = apigateway.get_account().get("cloudwatchRoleArn")
    if current:
        return str(current)
    iam = aws.boto3_client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "apigateway.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role = iam.create_role(RoleName=BASELINE_ROLE_NAME, AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    iam.attach_role_policy(RoleName=BASELINE_ROLE_NAME, PolicyArn=PUSH_TO_CLOUDWATCH_LOGS_POLICY)
    apigateway.update_account(
        patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": role["Arn"]}]
    )
    return str(role["Arn"])
