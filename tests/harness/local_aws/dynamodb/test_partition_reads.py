"""A Query under local AWS reads the partition it names and answers exactly as moto does without it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from sp_reports_harness.local_aws.dynamodb.partition_reads import partition_read_patches
from sp_reports_harness.local_aws.moto_internals import DEFAULT_ACCOUNT_ID, dynamodb_backends

REGION = "eu-west-1"
TABLE = "partition-reads"
INDEX = "by-group"


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        client.create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": name, "AttributeType": "S"} for name in ("pk", "sk", "grp")
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": INDEX,
                    "KeySchema": [
                        {"AttributeName": "grp", "KeyType": "HASH"},
                        {"AttributeName": "sk", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        )
        for number in range(600):
            item = {"pk": {"S": f"p{number % 40:02}"}, "sk": {"S": f"s{number:04}"}, "n": {"N": str(number)}}
            if number % 3:  # a sparse index: a third of the items carry no index key
                item["grp"] = {"S": f"g{number % 5}"}
            client.put_item(TableName=TABLE, Item=item)
        yield client


def _values(**values: str) -> dict[str, dict[str, str]]:
    return {f":{name}": {"S": value} for name, value in values.items()}


# Each documented Query shape the pipeline uses: a partition, a sort-key condition, descending order, a page
# limit (LastEvaluatedKey), a filter, a sparse index, an unknown key.
QUERIES = [
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": _values(p="p07")},
    {
        "KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b",
        "ExpressionAttributeValues": _values(p="p07", a="s0100", b="s0400"),
    },
    {
        "KeyConditionExpression": "pk = :p AND begins_with(sk, :s)",
        "ExpressionAttributeValues": _values(p="p07", s="s02"),
        "ScanIndexForward": False,
    },
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": _values(p="p07"), "Limit": 4},
    {
        "KeyConditionExpression": "pk = :p",
        "FilterExpression": "attribute_exists(grp)",
        "ExpressionAttributeValues": _values(p="p11"),
    },
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": _values(p="nobody")},
    {"IndexName": INDEX, "KeyConditionExpression": "grp = :g", "ExpressionAttributeValues": _values(g="g2")},
    {
        "IndexName": INDEX,
        "KeyConditionExpression": "grp = :g AND sk > :s",
        "ExpressionAttributeValues": _values(g="g1", s="s0300"),
        "Limit": 7,
        "ScanIndexForward": False,
    },
]


def _all_pages(client: Any, query: dict[str, Any]) -> list[dict[str, Any]]:
    pages, start = [], None
    while True:
        page = client.query(TableName=TABLE, **query, **({"ExclusiveStartKey": start} if start else {}))
        page.pop("ResponseMetadata")
        pages.append(page)
        start = page.get("LastEvaluatedKey")
        if start is None:
            return pages


@pytest.mark.parametrize("query", QUERIES)
def test_a_query_answers_as_moto_answers_without_the_extension(dynamodb, query):
    expected = _all_pages(dynamodb, query)
    patches = partition_read_patches()
    patches.install()
    try:
        assert _all_pages(dynamodb, query) == expected
    finally:
        patches.uninstall()


class _OtherPartitionsUnread(dict):
    """The table's partitions, refusing to be listed: a Query that lists them reads the whole table."""

    def values(self):
        raise AssertionError("the Query listed every partition of the table")


def test_a_table_query_reads_only_the_partition_it_names(dynamodb):
    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].get_table(TABLE)
    table.items = _OtherPartitionsUnread(table.items)
    patches = partition_read_patches()
    patches.install()
    try:
        items = dynamodb.query(TableName=TABLE, **QUERIES[0])["Items"]
    finally:
        patches.uninstall()
    assert [item["sk"]["S"] for item in items] == [f"s{number:04}" for number in range(7, 600, 40)]
