"""Attack 7: local AWS is as strict as AWS where this stack depends on it.

The documented condition-semantics table (tests/harness/local_aws/iam/test_policy_evaluation.py, each row
quoting the IAM User
Guide or the KMS Developer Guide) is what local AWS authorises every request with; here it runs once more
as a suite row, and render_report.py lists the rows with their sources. The calls each role made under
enforcement come from the deployed-stack tests (tests/integration/deployed_stack), which write them to
.build/reliability/authorisation.json when their deployment ends.
"""

from __future__ import annotations

from tests.harness.local_aws.iam.test_policy_evaluation import DOCUMENTED_CASES


def test_local_aws_decides_every_documented_case_as_the_guides_state(attack_results):
    wrong = [(row.case, row.request_summary) for row in DOCUMENTED_CASES if row.outcome() != row.expected]
    assert not wrong, wrong
    conditions = sum(1 for row in DOCUMENTED_CASES if hasattr(row, "operator"))
    attack_results.record(
        "7-condition-semantics",
        attack="Local AWS: IAM condition semantics and evaluation logic (documented cases, table below)",
        cases=len(DOCUMENTED_CASES),
        outcome=f"{conditions} condition rows and {len(DOCUMENTED_CASES) - conditions} authorisation rows "
        "decided as the IAM User Guide and KMS Developer Guide state",
        lost=None,
    )
