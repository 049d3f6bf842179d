"""`reports wait` / `wait_for_report`: progress while waiting, the terminal statuses, timeouts."""

from __future__ import annotations

import json

import pytest

from sp_reports.client import TERMINAL_STATUSES, SpReportsClient, WaitTimeoutError
from tests.support.fake_sp_reports_api import REGION


class FakeClock:
    """Time that moves only when the client sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_wait_shows_each_status_on_stderr_and_the_report_on_stdout(fake_api, api_args, run_cli):
    fake_api.add_report(
        "777",
        ["REQUESTED", "IN_PROGRESS", "IN_PROGRESS", "STORED", "DONE"],
        reportType="GET_FLAT_FILE_OPEN_LISTINGS_DATA",
    )
    result = run_cli(*api_args, "reports", "wait", "777", "--interval", "0.01")
    assert result.exit_code == 0, result.stderr
    progress = [line for line in result.stderr.splitlines() if line.startswith("waiting for report 777")]
    # One line per change of status when stderr is not a terminal.
    assert [line.split(": ")[1].split(" after")[0] for line in progress] == [
        "REQUESTED",
        "IN_PROGRESS",
        "STORED",
        "DONE",
    ]
    assert result.fields()["Status"] == "DONE"
    assert len([r for r in fake_api.requests if r.path == "/v1/reports/777"]) == 5


@pytest.mark.parametrize("final_status", ["FATAL", "FAILED", "CANCELLED"])
def test_wait_for_a_report_that_ends_without_data_exits_4(fake_api, api_args, run_cli, final_status):
    fake_api.add_report("778", ["IN_PROGRESS", final_status])
    result = run_cli(*api_args, "reports", "wait", "778", "--interval", "0.01")
    assert result.exit_code == 4
    assert result.fields()["Status"] == final_status
    assert f"report 778 ended {final_status}" in result.stderr


def test_wait_with_json_prints_the_final_report_only(fake_api, api_args, run_cli):
    fake_api.add_report("779", ["IN_QUEUE", "DONE"], s3={"bucket": "b", "key": "k"})
    result = run_cli(*api_args, "--json", "reports", "wait", "779", "--interval", "0.01")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "reportId": "779",
        "sellerId": "A3TH9S8BH6GOGM",
        "status": "DONE",
        "s3": {"bucket": "b", "key": "k"},
    }
    assert "waiting for report 779: IN_QUEUE" in result.stderr


def test_wait_times_out_with_exit_4_naming_the_last_status(fake_api, api_args, run_cli):
    fake_api.add_report("780", ["IN_PROGRESS"])
    result = run_cli(*api_args, "reports", "wait", "780", "--interval", "0.05", "--timeout", "0.2")
    assert result.exit_code == 4
    assert "report 780 is still IN_PROGRESS after 0 s" in result.stderr
    assert result.stdout == ""


def test_wait_of_an_unknown_report_exits_1(fake_api, api_args, run_cli):
    result = run_cli(*api_args, "reports", "wait", "nope", "--interval", "0.01")
    assert result.exit_code == 1
    assert "ReportNotFound: reportId: no report nope" in result.stderr


def test_wait_for_report_polls_at_the_interval_and_reports_progress(fake_api):
    fake_api.add_report("781", ["IN_QUEUE", "IN_PROGRESS", "STORED", "DONE"])
    clock = FakeClock()
    client = SpReportsClient(fake_api.base_url, REGION, sleep=clock.sleep, clock=clock.monotonic)
    seen: list[tuple[str, float]] = []

    report = client.wait_for_report(
        "781", timeout=60, poll_interval=7, on_progress=lambda r, elapsed: seen.append((r.status, elapsed))
    )

    assert report.succeeded and report.is_terminal
    assert seen == [("IN_QUEUE", 0), ("IN_PROGRESS", 7), ("STORED", 14), ("DONE", 21)]
    assert clock.sleeps == [7, 7, 7]


def test_wait_for_report_gives_up_at_the_timeout(fake_api):
    fake_api.add_report("782", ["IN_PROGRESS"])
    clock = FakeClock()
    client = SpReportsClient(fake_api.base_url, REGION, sleep=clock.sleep, clock=clock.monotonic)
    with pytest.raises(WaitTimeoutError) as caught:
        client.wait_for_report("782", timeout=20, poll_interval=8)
    assert clock.sleeps == [8, 8, 4]  # the last wait is cut to the time left
    assert (caught.value.last_status, caught.value.waited_seconds) == ("IN_PROGRESS", 20)


def test_stored_is_not_terminal_because_the_email_is_still_to_be_sent():
    assert "STORED" not in TERMINAL_STATUSES
    assert {"DONE", "FATAL", "FAILED", "CANCELLED", "SKIPPED"} == TERMINAL_STATUSES


def test_wait_rejects_a_non_positive_interval(run_cli):
    result = run_cli("reports", "wait", "1", "--interval", "0")
    assert result.exit_code == 2
    assert "must be positive" in result.stderr
