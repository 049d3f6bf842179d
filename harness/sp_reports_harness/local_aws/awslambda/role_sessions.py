"""A Lambda function's execution-role session, issued by local STS as Lambda would obtain it.

Lambda assumes the function's execution role and gives the function the session's credentials (Lambda
Developer Guide, "Defining Lambda function permissions with an execution role"). It can do so only when the
role's trust policy lets the Lambda service assume it; otherwise AWS refuses the function ("The role defined
for the function cannot be assumed by Lambda.", CreateFunction's InvalidParameterValueException). Local AWS
checks the same trust policy, with the condition keys a service request carries (aws:SourceAccount and
aws:SourceArn: IAM User Guide, "The confused deputy problem").
"""

from __future__ import annotations

import datetime
from typing import Any

from sp_reports_harness.local_aws.awslambda.executor import RoleCredentials
from sp_reports_harness.local_aws.iam.policy_evaluation import AuthorizationRequest, Principal, authorize
from sp_reports_harness.local_aws.iam.request_context import trust_policy
from sp_reports_harness.local_aws.moto_internals import iam_backends, sts_backends

LAMBDA_SERVICE = "lambda.amazonaws.com"


class RoleNotAssumable(Exception):
    """The function's role does not trust the Lambda service."""


def assume_execution_role(function: Any, duration_seconds: int, now: datetime.datetime) -> RoleCredentials:
    account = function.account_id
    role_arn = function.role
    role = iam_backends[account]["aws"].get_role_by_arn(role_arn)
    request = AuthorizationRequest(
        action="sts:AssumeRole",
        resource=role_arn,
        principal=Principal(arn=LAMBDA_SERVICE, account_id="", service=LAMBDA_SERVICE),
        context={"aws:SourceAccount": account, "aws:SourceArn": function.function_arn},
    )
    if not authorize(request, (), trust_policy(role.assume_role_policy_document, role_arn)).allowed:
        raise RoleNotAssumable("The role defined for the function cannot be assumed by Lambda.")
    session = sts_backends[account]["aws"].assume_role(
        region_name=function.region,
        role_session_name=function.function_name,
        role_arn=role_arn,
        policy="",
        duration=duration_seconds,
        external_id="",
    )
    # moto dates sessions by the wall clock (naive UTC); local IAM may run on a test clock: date it by that.
    expiration = now + datetime.timedelta(seconds=duration_seconds)
    session.expiration = expiration.astimezone(datetime.UTC).replace(tzinfo=None)
    return RoleCredentials(
        access_key_id=session.access_key_id,
        secret_access_key=session.secret_access_key,
        session_token=session.session_token,
        expiration=expiration.timestamp(),
    )
