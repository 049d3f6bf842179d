"""One Athena query run to its end through a workgroup, as any caller of the Athena API runs one: start it,
poll its state until it ends, read its answer.

- ``StartQueryExecution`` names the workgroup (whose enforced settings choose the results location and its
  encryption) and the database the query's unqualified names resolve in.
- ``GetQueryExecution`` until ``Status.State`` is SUCCEEDED, FAILED or CANCELLED (QueryExecutionStatus, Athena
  API Reference: QUEUED and RUNNING are the other two). A query still running at the deadline is stopped
  (``StopQueryExecution``) and reported, so no query of the run outlives it.
- ``GetQueryResults``, every page. For a SELECT (StatementType DML) the first row of the result set holds the
  column labels, the data rows follow (Athena User Guide, "Work with query results":
  https://docs.aws.amazon.com/athena/latest/ug/querying.html; the AWS CLI's get-query-results example). An
  answer without that header row is not taken for an empty result: it is reported.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ENDED_STATES = ("SUCCEEDED", "FAILED", "CANCELLED")


class QueryFailed(Exception):
    """The query ended FAILED or CANCELLED, timed out, or answered in a shape a SELECT's answer never has."""


@dataclass(frozen=True)
class QueryAnswer:
    execution_id: str
    columns: tuple[str, ...]
    rows: tuple[
        tuple[str | None, ...], ...
    ]  # VarCharValue per column; None where Athena gave no value (NULL)


def run_query(
    athena: Any,
    sql: str,
    *,
    workgroup: str,
    database: str,
    timeout: float = 300.0,
    interval: float = 1.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> QueryAnswer:
    """Run the SELECT ``sql`` through ``workgroup`` and return its answer (QueryFailed otherwise)."""
    started = athena.start_query_execution(
        QueryString=sql,
        WorkGroup=workgroup,
        QueryExecutionContext={"Database": database},
    )
    execution_id = started["QueryExecutionId"]
    execution = _ended_execution(athena, execution_id, clock() + timeout, interval, clock, sleep)
    status = execution["Status"]
    if status["State"] != "SUCCEEDED":
        reason = status.get("StateChangeReason") or status.get("AthenaError", {}).get("ErrorMessage") or ""
        raise QueryFailed(f"query {execution_id} ended {status['State']}: {reason or 'no reason given'}")
    if execution.get("StatementType") not in (None, "DML"):
        raise QueryFailed(f"query {execution_id} ran as {execution['StatementType']}, not as a SELECT")
    return _answer(athena, execution_id)


def _ended_execution(
    athena: Any,
    execution_id: str,
    deadline: float,
    interval: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> dict[str, Any]:
    while True:
        execution = athena.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
        state = execution["Status"]["State"]
        if state in ENDED_STATES:
            return execution
        if clock() >= deadline:
            athena.stop_query_execution(QueryExecutionId=execution_id)
            raise QueryFailed(f"query {execution_id} was still {state} at the deadline; it is stopped")
        sleep(interval)


def _answer(athena: Any, execution_id: str) -> QueryAnswer:
    columns: tuple[str, ...] = ()
    rows: list[tuple[str | None, ...]] = []
    for page in athena.get_paginator("get_query_results").paginate(QueryExecutionId=execution_id):
        result_set = page["ResultSet"]
        if not columns:
            columns = tuple(info["Label"] for info in result_set["ResultSetMetadata"]["ColumnInfo"])
        rows.extend(tuple(datum.get("VarCharValue") for datum in row["Data"]) for row in result_set["Rows"])
    if not columns or not rows or rows[0] != columns:
        raise QueryFailed(
            f"query {execution_id} answered without its header row (columns {list(columns)}, "
            f"first row {list(rows[0]) if rows else 'none'}): not an answer Athena gives to a SELECT"
        )
    return QueryAnswer(execution_id, columns, tuple(rows[1:]))
