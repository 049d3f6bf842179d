"""The curated tables answer a query: the converted report, read back through the stack's Athena workgroup and
Glue tables as an analyst reads it. Only a real account's Athena runs SQL (``athena_of``); elsewhere the test
is skipped with that reason, and the query runner's own handling is proven in
tests/harness/acceptance/test_athena_query.py."""

from __future__ import annotations

import re

import pytest
from boto3.dynamodb.types import TypeDeserializer

from sp_reports.analytics.table_schemas import schemas_for_report_type
from sp_reports_harness.acceptance.athena_query import run_query
from tests.support.deployed_stack import athena_of

pytestmark = pytest.mark.integration

# The values put into the query's text: a seller id and a report id are letters and digits only.
_LITERAL = re.compile(r"^[A-Za-z0-9]+$")
QUERY_TIMEOUT_SECONDS = 300.0


def test_athena_counts_the_converted_rows_of_the_report_in_each_curated_table(stack, seller, request):
    athena = athena_of(stack, "count the report's rows in its curated tables")
    if not schemas_for_report_type(seller.report_type):
        pytest.skip(f"{seller.report_type} has no curated table to query")
    # Asked for only where the query runs (a real SP-API report takes minutes).
    done_report = request.getfixturevalue("done_report")
    item = stack.boto3_client("dynamodb").get_item(
        TableName=stack.outputs["reports_table_name"], Key={"ReportId": {"S": done_report.report_id}}
    )["Item"]
    conversion = TypeDeserializer().deserialize(item["Conversion"])
    assert conversion["status"] in ("CONVERTED", "CONVERTED_WITH_PROBLEMS"), conversion
    converted: dict[str, int] = {}
    for file in conversion["files"]:
        converted[file["table"]] = converted.get(file["table"], 0) + int(file["rows"])
    assert converted and all(converted.values()), conversion  # a report with rows: the count proves them
    assert _LITERAL.match(seller.seller_id) and _LITERAL.match(done_report.report_id)

    counted = {}
    for table in converted:
        # seller_id is an injected partition: the query names it with an equality, as every query must. The
        # values are letters and digits (checked above) and the table is one of the converter's own names.
        sql = (
            f'SELECT count(*) AS row_count FROM "{table}" '  # noqa: S608 - checked values, see above
            f"WHERE seller_id = '{seller.seller_id}' AND report_id = '{done_report.report_id}'"
        )
        answer = run_query(
            athena,
            sql,
            workgroup=str(stack.outputs["athena_workgroup_name"]),
            database=str(stack.outputs["analytics_database_name"]),
            timeout=QUERY_TIMEOUT_SECONDS,
        )
        assert answer.columns == ("row_count",), answer
        counted[table] = int(answer.rows[0][0] or "-1")

    assert counted == converted
