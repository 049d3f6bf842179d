"""The deployed offboarding: `DELETE /sellers/{sellerId}` through API Gateway, with IAM enforced for the
seller eraser's role, erases a second seller's subscription, token, record and every object version (its
curated Parquet files included), and
leaves the stack's own seller alone. (test_stack_real_aws_rules checks afterwards that no role, the eraser's
included, was refused anything.)"""

from __future__ import annotations

import pytest

from sp_reports.analytics.table_schemas import curated_seller_prefix, schemas_for_report_type
from sp_reports.client.errors import ApiError
from sp_reports.pipeline.seller_erasure import seller_object_prefixes
from tests.support.deployed_stack import emulator_of, execution_of, wait_for

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
    # The workflow converts the document after storing it: its curated files exist before the erasure.
    assert wait_for(lambda: execution_of(stack, report_id)["status"] == "SUCCEEDED", timeout=60)
    s3 = stack.boto3_client("s3")
    bucket = stack.outputs["reports_bucket_name"]
    (table,) = schemas_for_report_type(seller.report_type)
    curated = s3.list_object_versions(Bucket=bucket, Prefix=curated_seller_prefix(table, OFFBOARDED))
    assert curated.get("Versions"), "the report's curated file is missing"

    erasure = client.delete_seller(OFFBOARDED)

    assert erasure.not_erased == ()
    assert (erasure.erased["tokens"], erasure.erased["subscriptions"], erasure.erased["reportRecords"]) == (
        1,
        1,
        1,
    )
    assert erasure.erased["objectVersions"] >= 2  # the stored document and its curated file at least
    # The eraser's role lists every prefix of the seller (its s3:prefix condition allows them all).
    for prefix in seller_object_prefixes(OFFBOARDED):
        left = s3.list_object_versions(Bucket=bucket, Prefix=prefix)
        assert left.get("Versions", []) == [] and left.get("DeleteMarkers", []) == [], prefix
    with pytest.raises(ApiError) as unknown:
        client.get_report(report_id)
    assert unknown.value.status == 404
    assert client.delete_seller(OFFBOARDED).nothing_to_erase
    # The stack's own seller keeps its report.
    assert client.get_report(done_report.report_id).status == "DONE"
