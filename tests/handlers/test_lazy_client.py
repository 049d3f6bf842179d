"""Clients that only some paths need are created on the first use, once, and reused
(sp_reports.handlers._lazy_client);
the paths that do not need them never create them."""

from __future__ import annotations

import threading

import boto3

from sp_reports.handlers._lazy_client import LazyClient
from sp_reports.pipeline.report_records import ReportRecords, ReportStatus
from sp_reports.pipeline.report_specifications import ReportSpecification
from tests.support import api_events
from tests.support.canaries import SELLER_ID


class _CountingFactory:
    def __init__(self) -> None:
        self.created: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, service_name: str) -> object:
        with self._lock:
            self.created.append(service_name)
        return type("Client", (), {"get_caller_identity": lambda self: {"Account": "123456789012"}})()


def test_nothing_is_created_until_the_first_use_then_once_and_reused():
    factory = _CountingFactory()
    lazy = LazyClient("sts", factory)
    assert factory.created == [] and not lazy.created

    assert lazy.get_caller_identity() == {"Account": "123456789012"}
    first = lazy.client()
    assert lazy.get_caller_identity() == {"Account": "123456789012"}
    assert factory.created == ["sts"] and lazy.created and lazy.client() is first


def test_threads_racing_to_the_first_use_create_one_client():
    factory = _CountingFactory()
    lazy = LazyClient("stepfunctions", factory)
    start = threading.Barrier(8)

    def use() -> None:
        start.wait()
        lazy.get_caller_identity()

    threads = [threading.Thread(target=use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert factory.created == ["stepfunctions"]


def test_a_real_client_made_later_talks_to_the_same_aws(aws):
    lazy = LazyClient("sts")
    assert lazy.get_caller_identity()["Account"] == boto3.client("sts").get_caller_identity()["Account"]
    assert isinstance(lazy.exceptions.ClientError, type)


def _get(module, report_id, context):
    event = api_events.api_event("GET", f"/reports/{report_id}", path_parameters={"reportId": report_id})
    return module.handler(event, context)


def test_report_status_creates_sts_for_the_first_link_only(load_handler, resources, lambda_context):
    module = load_handler("report_status")
    records = ReportRecords(resources.reports_table, boto3.client("dynamodb"))
    for report_id in ("60001", "60002"):
        records.record_requested(
            report_id,
            ReportSpecification(SELLER_ID, "EU", "GET_MERCHANT_LISTINGS_ALL_DATA", ["A1F83G8C2ARO7P"]),
        )
    assert not module.sts.created  # the cold start created none

    assert _get(module, "60001", lambda_context)["statusCode"] == 200  # requested: no link
    assert _get(module, "69999", lambda_context)["statusCode"] == 404
    assert not module.sts.created

    records.mark_stored("60002", bucket=resources.bucket, key="k/report.tsv", size=3, report_document_id="d")
    records.mark_finished("60002", ReportStatus.DONE, notified=True)
    assert "downloadUrl" in api_events.answer_body(_get(module, "60002", lambda_context))
    client = module.sts.client()
    assert "downloadUrl" in api_events.answer_body(_get(module, "60002", lambda_context))
    assert module.sts.client() is client


def test_report_notifier_creates_sts_for_a_ready_outcome_only(load_handler, resources, lambda_context):
    module = load_handler("report_notifier", EMAIL_DOWNLOAD_LINKS="true")
    report = {"reportId": "61001", "sellerId": SELLER_ID, "reportType": "GET_MERCHANT_LISTINGS_ALL_DATA"}
    failed = {**report, "error": {"Error": "States.TaskFailed", "Cause": "store failed"}}
    assert module.handler({"outcome": "FAILED", "report": failed}, lambda_context)["status"] == "FAILED"
    no_data = {**report, "reportId": "61002"}
    assert module.handler({"outcome": "NO_DATA", "report": no_data}, lambda_context)["status"] == "CANCELLED"
    assert not module.sts.created

    stored = {"bucket": resources.bucket, "key": "k/report.tsv", "size": 3}
    ready = {**report, "reportId": "61003", "stored": stored}
    assert module.handler({"outcome": "READY", "report": ready}, lambda_context)["status"] == "DONE"
    assert module.sts.created
