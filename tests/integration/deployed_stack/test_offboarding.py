"""The deployed offboarding: `DELETE /sellers/{sellerId}` through API Gateway, with IAM enforced for the
seller eraser's role, erases a second seller's subscription, token, record and every object version, and
leaves the stack's own seller alone. (test_stack_real_aws_rules checks afterwards that no role, the eraser's
included, was refused anything.)"""

from __future__ import annotations

import pytest

from sp_reports.client.errors import ApiError
from tests.support.deployed_stack import emulator_of

pytestmark = pytest.mark.integration

OFFBOARDED = "A1OFFBOARDED00X"
OFFBOARDED_TOKEN = "Atzr|IwEBIOffboarded-seller-refresh-token-00000000"


def test_an_erased_seller_leaves_nothing_and_the_other_seller_keeps_its_report(
    stack, client, seller, done_report
):
    emulator = emulator_of(stack, "authorise a second seller, to erase it")
    emulator.register_seller(OFFBOARDED_TOKEN, OFFBOARDED)
    client.put_token(OFFBOARDED, OFFBOARDED_TOKEN)
    client.subscribe_notifications(OFFBOARDED, seller.region_code)
    report_id = client.create_report(
        OFFBOARDED, seller.region_code, seller.report_type, [seller.marketplace_id]
    )
    assert (
        client.wait_for_report(report_id, timeout=seller.report_timeout, poll_interval=0.5).status == "DONE"
    )

    erasure = client.delete_seller(OFFBOARDED)

    assert erasure.not_erased == ()
    assert (erasure.erased["tokens"], erasure.erased["subscriptions"], erasure.erased["reportRecords"]) == (
        1,
        1,
        1,
    )
    assert erasure.erased["objectVersions"] >= 1
    bucket = stack.outputs["reports_bucket_name"]
    left = stack.boto3_client("s3").list_object_versions(Bucket=bucket, Prefix=f"{OFFBOARDED}/")
    assert left.get("Versions", []) == [] and left.get("DeleteMarkers", []) == []
    with pytest.raises(ApiError) as unknown:
        client.get_report(report_id)
    assert unknown.value.status == 404
    assert client.delete_seller(OFFBOARDED).nothing_to_erase
    # The stack's own seller keeps its report.
    assert client.get_report(done_report.report_id).status == "DONE"
