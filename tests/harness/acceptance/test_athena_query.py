"""sp_reports_harness.acceptance.athena_query, as far as it can be proven without a real Athena: botocore's
Stubber checks each request and response against Athena's service model (the calls' shapes), and the answers
are the states and result sets Athena's API reference describes (FAILED, CANCELLED, still QUEUED at the
deadline, an answer over several pages, an answer without its header row). moto's Athena is no judge here: it
runs no SQL, and the SDK's Athena model (rest-json) is one moto's Athena does not serve."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from sp_reports_harness.acceptance.athena_query import QueryFailed, run_query

REGION = "eu-west-1"
WORKGROUP = "spacc-0123abcd-analytics"
DATABASE = "spacc_0123abcd_reports"
SQL = "SELECT count(*) AS row_count FROM \"merchant_listings\" WHERE seller_id = 'A1' AND report_id = '5'"


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _stubbed() -> tuple[object, Stubber]:
    athena = boto3.client(
        "athena", region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    stubber = Stubber(athena)
    stubber.add_response(
        "start_query_execution",
        {"QueryExecutionId": "q-1"},
        {"QueryString": SQL, "WorkGroup": WORKGROUP, "QueryExecutionContext": {"Database": DATABASE}},
    )
    return athena, stubber


def _execution(state: str, **status: str) -> dict:
    return {
        "QueryExecution": {
            "QueryExecutionId": "q-1",
            "StatementType": "DML",
            "Status": {"State": state, **status},
        }
    }


@pytest.mark.parametrize(
    ("state", "status", "expected"),
    [
        (
            "FAILED",
            {"StateChangeReason": "TABLE_NOT_FOUND: line 1:22: Table 'merchant_listings' does not exist"},
            "ended FAILED: TABLE_NOT_FOUND",
        ),
        ("CANCELLED", {}, "ended CANCELLED: no reason given"),
    ],
)
def test_a_query_that_ends_failed_or_cancelled_is_reported_with_athenas_reason(state, status, expected):
    athena, stubber = _stubbed()
    stubber.add_response("get_query_execution", _execution("RUNNING"), {"QueryExecutionId": "q-1"})
    stubber.add_response("get_query_execution", _execution(state, **status), {"QueryExecutionId": "q-1"})
    clock = FakeClock()

    with stubber, pytest.raises(QueryFailed, match=expected):
        run_query(athena, SQL, workgroup=WORKGROUP, database=DATABASE, clock=clock, sleep=clock.sleep)
    stubber.assert_no_pending_responses()  # no GetQueryResults of a query that did not succeed


def _page(rows: list[list[str | None]], next_token: str | None = None) -> dict:
    page: dict = {
        "ResultSet": {
            "Rows": [
                {"Data": [{} if value is None else {"VarCharValue": value} for value in row]} for row in rows
            ],
            "ResultSetMetadata": {
                "ColumnInfo": [{"Name": "seller_sku", "Label": "seller_sku", "Type": "varchar"}]
            },
        }
    }
    if next_token:
        page["NextToken"] = next_token
    return page


def test_a_succeeded_querys_answer_is_read_over_every_page_without_its_header_row():
    athena, stubber = _stubbed()
    stubber.add_response("get_query_execution", _execution("QUEUED"), {"QueryExecutionId": "q-1"})
    stubber.add_response("get_query_execution", _execution("SUCCEEDED"), {"QueryExecutionId": "q-1"})
    stubber.add_response(
        "get_query_results", _page([["seller_sku"], ["SKU-1"]], next_token="t-2"), {"QueryExecutionId": "q-1"}
    )
    stubber.add_response(
        "get_query_results", _page([[None], ["SKU-3"]]), {"QueryExecutionId": "q-1", "NextToken": "t-2"}
    )
    clock = FakeClock()

    with stubber:
        answer = run_query(
            athena, SQL, workgroup=WORKGROUP, database=DATABASE, clock=clock, sleep=clock.sleep
        )

    assert answer.execution_id == "q-1"
    assert answer.columns == ("seller_sku",)
    assert answer.rows == (("SKU-1",), (None,), ("SKU-3",))
    assert clock.sleeps == [1.0]


def test_a_query_still_queued_at_the_deadline_is_stopped_and_reported():
    athena, stubber = _stubbed()
    for _ in range(6):  # at 0, 2, 4, 6, 8 and 10 s: the last one is at the deadline
        stubber.add_response("get_query_execution", _execution("QUEUED"), {"QueryExecutionId": "q-1"})
    stubber.add_response("stop_query_execution", {}, {"QueryExecutionId": "q-1"})
    clock = FakeClock()

    with stubber, pytest.raises(QueryFailed, match="still QUEUED at the deadline; it is stopped"):
        run_query(
            athena,
            SQL,
            workgroup=WORKGROUP,
            database=DATABASE,
            timeout=10.0,
            interval=2.0,
            clock=clock,
            sleep=clock.sleep,
        )
    stubber.assert_no_pending_responses()
    assert clock.sleeps == [2.0] * 5  # polled every interval until the deadline, then stopped, no more


def test_an_answer_without_its_header_row_is_not_taken_for_an_empty_result():
    # What an Athena that runs no SQL (moto's) answers to a SELECT: no rows at all.
    athena, stubber = _stubbed()
    stubber.add_response("get_query_execution", _execution("SUCCEEDED"), {"QueryExecutionId": "q-1"})
    stubber.add_response(
        "get_query_results",
        {"ResultSet": {"Rows": [], "ResultSetMetadata": {"ColumnInfo": []}}},
        {"QueryExecutionId": "q-1"},
    )

    with stubber, pytest.raises(QueryFailed, match="without its header row"):
        run_query(athena, SQL, workgroup=WORKGROUP, database=DATABASE)


def test_a_query_that_ran_as_another_kind_of_statement_is_not_read_as_a_select():
    athena, stubber = _stubbed()
    ddl = _execution("SUCCEEDED")
    ddl["QueryExecution"]["StatementType"] = "DDL"
    stubber.add_response("get_query_execution", ddl, {"QueryExecutionId": "q-1"})

    with stubber, pytest.raises(QueryFailed, match="ran as DDL, not as a SELECT"):
        run_query(athena, SQL, workgroup=WORKGROUP, database=DATABASE)
