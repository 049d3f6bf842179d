"""DynamoDB tables as terraform/modules/storage/main.tf creates them, for the tests and benchmarks that
stand up the pipeline's tables in moto without applying Terraform (tests/terraform/test_table_shapes.py holds
them to Terraform's plan)."""

from __future__ import annotations

from typing import Any

# The pull plans table: PK/SK, the sparse `due` index (sharded next-due times, keys only) and the sparse
# `seller` index (plan items, all attributes).
PULL_PLANS_TABLE_SHAPE: dict[str, Any] = {
    "KeySchema": [{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
    "AttributeDefinitions": [
        {"AttributeName": attribute, "AttributeType": "S"}
        for attribute in ("PK", "SK", "DueShard", "DueAt", "SellerId", "PlanId")
    ],
    "GlobalSecondaryIndexes": [
        {
            "IndexName": "due",
            "KeySchema": [
                {"AttributeName": "DueShard", "KeyType": "HASH"},
                {"AttributeName": "DueAt", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "KEYS_ONLY"},
        },
        {
            "IndexName": "seller",
            "KeySchema": [
                {"AttributeName": "SellerId", "KeyType": "HASH"},
                {"AttributeName": "PlanId", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        },
    ],
    "BillingMode": "PAY_PER_REQUEST",
}


def create_pull_plans_table(dynamodb: Any, name: str) -> str:
    dynamodb.create_table(TableName=name, **PULL_PLANS_TABLE_SHAPE)
    return name
