"""The permissions boundary of every role ``make acceptance`` creates in an account.

docs/acceptance-iam-policy.json lets the run create roles only with this boundary
(``iam:PermissionsBoundary``), so no role of the run can do more than
docs/acceptance-permissions-boundary.json allows: the stack's services, no IAM. Creating the managed policy is
the operator's one-time step on a real account; the run checks that the account's policy is the document as
it is, since a widened boundary would widen every role of the run. With local AWS as the account, the run
takes that step itself.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from sp_reports_harness.acceptance.results import AcceptanceFailed
from sp_reports_harness.repository import REPO_ROOT

BOUNDARY_POLICY_NAME = "sp-reports-acceptance-boundary"
BOUNDARY_DOCUMENT = REPO_ROOT / "docs" / "acceptance-permissions-boundary.json"


def boundary_document() -> dict[str, Any]:
    return json.loads(BOUNDARY_DOCUMENT.read_text(encoding="utf-8"))


def boundary_arn(account_id: str, partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account_id}:policy/{BOUNDARY_POLICY_NAME}"


def ensure_boundary(iam: Any, account_id: str, *, create: bool) -> str:
    """The boundary's ARN, once the account holds the documented policy unchanged. ``create`` makes it where
    it is missing (local AWS standing in for the account); otherwise a missing or different policy stops the
    run before anything is created, saying how to put it right."""
    arn = boundary_arn(account_id)
    document = boundary_document()
    try:
        policy = iam.get_policy(PolicyArn=arn)["Policy"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "NoSuchEntity":
            raise
        if not create:
            raise AcceptanceFailed(
                f"the account has no {BOUNDARY_POLICY_NAME} policy, the permissions boundary of every role "
                "the run creates; create it once: aws iam create-policy --policy-name "
                f"{BOUNDARY_POLICY_NAME} --policy-document file://docs/acceptance-permissions-boundary.json; "
                "nothing was created"
            ) from None
        iam.create_policy(
            PolicyName=BOUNDARY_POLICY_NAME,
            PolicyDocument=json.dumps(document),
            Description="Permissions boundary of the roles make acceptance creates (sp-reports)",
        )
        return arn
    version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])["PolicyVersion"]
    # boto3 decodes the policy document IAM answers URL-encoded into a dict (botocore's json_decode_policies).
    if version["Document"] != document:
        raise AcceptanceFailed(
            f"the account's {BOUNDARY_POLICY_NAME} policy differs from "
            "docs/acceptance-permissions-boundary.json, and it bounds every role the run creates; make it "
            "the document again: aws iam "
            f"create-policy-version --policy-arn {arn} --policy-document "
            "file://docs/acceptance-permissions-boundary.json --set-as-default; nothing was created"
        )
    return arn
