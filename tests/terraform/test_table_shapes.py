"""The tables the tests and benchmarks build in moto (sp_reports_harness.table_shapes) are the tables
Terraform creates: keys, attribute types, indexes and their projections."""

from __future__ import annotations

import terraform_checks
from sp_reports_harness.table_shapes import PULL_PLANS_TABLE_SHAPE

STORAGE = terraform_checks.TERRAFORM_DIR / "modules" / "storage"
KMS_KEY = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"


def _planned_table(name: str) -> dict:
    plan = terraform_checks.mock_plan_json(STORAGE, {"name_prefix": "shape-test", "kms_key_arn": KMS_KEY})
    return next(
        change["change"]["after"]
        for change in plan["resource_changes"]
        if change["type"] == "aws_dynamodb_table" and change["name"] == name
    )


def test_the_pull_plans_table_has_terraforms_shape():
    table = _planned_table("pull_plans")
    shape = PULL_PLANS_TABLE_SHAPE
    keys = {key["KeyType"]: key["AttributeName"] for key in shape["KeySchema"]}
    assert (table["hash_key"], table["range_key"]) == (keys["HASH"], keys["RANGE"])
    assert table["billing_mode"] == shape["BillingMode"]
    assert {(a["name"], a["type"]) for a in table["attribute"]} == {
        (a["AttributeName"], a["AttributeType"]) for a in shape["AttributeDefinitions"]
    }
    planned_indexes = {
        index["name"]: (index["hash_key"], index["range_key"], index["projection_type"])
        for index in table["global_secondary_index"]
    }
    assert planned_indexes == {
        index["IndexName"]: (
            index["KeySchema"][0]["AttributeName"],
            index["KeySchema"][1]["AttributeName"],
            index["Projection"]["ProjectionType"],
        )
        for index in shape["GlobalSecondaryIndexes"]
    }
