"""The workflow's outcome delivery, called as the report_notifier's handler calls it: the email on the topic,
the final status recorded, a repeat suppressed, the task's output, what it logs and counts, and a plan
window's ledger entry settled (also by a re-run after the email)."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest
from botocore.exceptions import ClientError

from sp_reports.pipeline.pull_ledger import PullStore
from sp_reports.pipeline.pull_plans import plan_from_request
from sp_reports.pipeline.pull_window_outcomes import PullWindowOutcomes
from sp_reports.pipeline.pull_windows import Window
from sp_reports.pipeline.report_outcome_delivery import ReportOutcomeDelivery
from sp_reports.pipeline.report_records import PullWindowRef, ReportRecords, ReportStatus
from sp_reports.pipeline.report_specifications import ReportSpecification
from tests.support.aws_resources import create_pull_plans_table, published_emails
from tests.support.canaries import SELLER_ID

REPORT_ID = "50123019999"
REPORT_TYPE = "GET_MERCHANT_LISTINGS_ALL_DATA"


@pytest.fixture
def records(resources) -> ReportRecords:
    return ReportRecords(resources.reports_table, boto3.client("dynamodb"))


@pytest.fixture
def sns(resources):
    return boto3.client("sns")


@pytest.fixture
def delivery(resources, records, sns, telemetry) -> ReportOutcomeDelivery:
    return ReportOutcomeDelivery(
        records=records,
        sns_client=sns,
        topic_arn=resources.topic_arn,
        reports_bucket=resources.bucket,
        download_links=None,
        logger=telemetry.logger,
        metrics=telemetry.metrics,
    )


def _state(**extra) -> dict:
    return {"reportId": REPORT_ID, "sellerId": SELLER_ID, "reportType": REPORT_TYPE, **extra}


def _recorded(records: ReportRecords) -> None:
    records.record_requested(REPORT_ID, ReportSpecification(SELLER_ID, "NA", REPORT_TYPE, ["ATVPDKIKX0DER"]))


def test_a_ready_report_is_emailed_with_the_fetch_command_and_recorded_done_without_a_link(
    delivery, records, resources, telemetry
):
    _recorded(records)
    stored = {"bucket": resources.bucket, "key": f"reports/{REPORT_ID}.tsv", "size": 12}

    output = delivery.deliver({"outcome": "READY", "report": _state(stored=stored)})

    assert output == {"reportId": REPORT_ID, "status": "DONE", "emailSent": True, "confirmedRecipients": 1}
    (email,) = published_emails(resources.topic_arn)
    assert f"sp-reports reports get {REPORT_ID}" in email["message"]
    assert "https://" not in email["message"]  # no link: EMAIL_DOWNLOAD_LINKS is off
    record = records.get(REPORT_ID)
    assert (record.status, record.outcome_recipients) == (ReportStatus.DONE, 1)
    assert record.notified_at
    assert telemetry.counts()["ReportsDelivered"] == 1
    (emailed,) = [line for line in telemetry.lines() if line["message"] == "outcome emailed"]
    assert (emailed["report_id"], emailed["seller_id"], emailed["outcome"]) == (REPORT_ID, SELLER_ID, "READY")


def test_an_outcome_already_delivered_is_not_sent_again(delivery, records, resources, telemetry):
    _recorded(records)
    failed = {"outcome": "FAILED", "report": _state(error={"Error": "States.Timeout", "Cause": "timed out"})}
    delivery.deliver(failed)

    again = delivery.deliver(failed)

    assert again == {"reportId": REPORT_ID, "status": "FAILED", "emailSent": False}
    assert len(published_emails(resources.topic_arn)) == 1
    assert telemetry.counts()["RepeatedOutcomesSuppressed"] == 1


def test_a_ready_outcome_stored_outside_the_reports_bucket_is_refused_before_any_email(
    delivery, records, resources
):
    _recorded(records)
    elsewhere = {"bucket": "somebody-elses-bucket", "key": "reports/x.tsv", "size": 1}

    with pytest.raises(ValueError, match="location in the reports bucket"):
        delivery.deliver({"outcome": "READY", "report": _state(stored=elsewhere)})

    assert published_emails(resources.topic_arn) == []
    assert records.get(REPORT_ID).status is ReportStatus.REQUESTED


def test_an_unrecorded_report_is_still_emailed_and_its_final_status_is_only_in_the_email(
    delivery, resources, telemetry
):
    output = delivery.deliver({"outcome": "NO_DATA", "report": _state()})

    assert (output["status"], output["emailSent"]) == ("CANCELLED", True)
    assert len(published_emails(resources.topic_arn)) == 1
    assert any(line["message"].startswith("report is not recorded") for line in telemetry.lines())
    assert telemetry.counts()["ReportsWithoutData"] == 1


def test_when_sns_cannot_list_the_subscriptions_the_outcome_is_sent_and_its_recipients_unknown(
    delivery, records, resources, sns, telemetry
):
    _recorded(records)

    def refuse(**_kwargs):
        raise ClientError({"Error": {"Code": "AuthorizationError", "Message": "denied"}}, "List")

    sns.meta.events.register("before-call.sns.ListSubscriptionsByTopic", refuse)

    output = delivery.deliver({"outcome": "NO_DATA", "report": _state()})

    assert output["confirmedRecipients"] is None
    assert len(published_emails(resources.topic_arn)) == 1
    record = records.get(REPORT_ID)
    # Published, but delivered to nobody known: a re-run of the execution may send it again.
    assert record.outcome_published_at and record.notified_at is None
    assert telemetry.counts()["OutcomeRecipientsUnknown"] == 1
    (warning,) = [line for line in telemetry.lines() if line["message"].startswith("cannot list")]
    assert warning["error_code"] == "AuthorizationError"


# -- a plan window's report ------------------------------------------------------------------------------


@pytest.fixture
def window_delivery(resources, records, sns, telemetry):
    """The delivery with the plan windows' ledger, and a plan whose window version 1 is REQUESTED as
    REPORT_ID (its record names the window)."""
    now = datetime(2026, 12, 7, 12, tzinfo=UTC)
    store = PullStore(create_pull_plans_table(), boto3.client("dynamodb"))
    plan = plan_from_request(
        {
            "sellerId": SELLER_ID,
            "marketplaceIds": ["ATVPDKIKX0DER"],
            "reportType": REPORT_TYPE,
            "cadence": "daily",
            "startDate": "2026-12-01",
        },
        now=now,
    )
    store.put_plan(plan)
    window = Window(datetime(2026, 12, 6, tzinfo=UTC), datetime(2026, 12, 7, tzinfo=UTC), ("ATVPDKIKX0DER",))
    store.claim(plan.plan_id, window, 1, now=now)
    store.record_report(plan.plan_id, window, 1, REPORT_ID, now=now)
    pull_window = PullWindowRef(plan.plan_id, window.key, 1)
    records.record_requested(
        REPORT_ID,
        ReportSpecification(SELLER_ID, "NA", REPORT_TYPE, ["ATVPDKIKX0DER"]),
        pull_window=pull_window,
    )
    delivery = ReportOutcomeDelivery(
        records=records,
        sns_client=sns,
        topic_arn=resources.topic_arn,
        reports_bucket=resources.bucket,
        download_links=None,
        logger=telemetry.logger,
        metrics=telemetry.metrics,
        pull_outcomes=PullWindowOutcomes(store, logger=telemetry.logger, metrics=telemetry.metrics),
    )
    return delivery, lambda: store.entry(plan.plan_id, window.key, 1)


def test_a_plan_windows_ready_report_settles_its_window_stored_with_the_window_key(
    window_delivery, records, resources
):
    delivery, entry = window_delivery
    stored = {
        "bucket": resources.bucket,
        "key": "k/report.tsv",
        "size": 3,
        "windowKey": "plans/x/v001/report.tsv",
    }

    output = delivery.deliver({"outcome": "READY", "report": _state(stored=stored)})

    assert (output["status"], output["emailSent"]) == ("DONE", False)
    assert (entry().state.value, entry().s3_key) == ("STORED", "plans/x/v001/report.tsv")
    # A stored window shows in the plan's coverage: no email for it, and its record is DONE.
    assert published_emails(resources.topic_arn) == []
    assert records.get(REPORT_ID).status is ReportStatus.DONE


def test_only_a_failed_plan_window_report_is_emailed(window_delivery, records, resources):
    delivery, entry = window_delivery

    empty = delivery.deliver({"outcome": "NO_DATA", "report": _state()})
    assert empty["emailSent"] is False and published_emails(resources.topic_arn) == []
    assert entry().state.value == "NO_DATA"


def test_a_failed_plan_window_report_is_emailed(window_delivery, records, resources):
    delivery, entry = window_delivery

    failed = delivery.deliver({"outcome": "FAILED", "report": _state(error={"Error": "FATAL"})})

    assert failed["emailSent"] is True and len(published_emails(resources.topic_arn)) == 1
    assert entry().state.value == "FAILED"


def test_a_plan_windows_outcome_is_settled_on_a_rerun_after_the_email(window_delivery, records, resources):
    delivery, entry = window_delivery
    # An earlier run emailed the outcome and recorded it, then stopped before the ledger.
    records.mark_finished(REPORT_ID, ReportStatus.CANCELLED, notified=True, recipients=1)

    again = delivery.deliver({"outcome": "NO_DATA", "report": _state()})

    assert again["emailSent"] is False and published_emails(resources.topic_arn) == []
    assert entry().state.value == "NO_DATA"


def test_a_ready_report_whose_conversion_failed_records_and_counts_it_and_is_delivered(
    delivery, records, resources, telemetry
):
    _recorded(records)
    stored = {"bucket": resources.bucket, "key": f"reports/{REPORT_ID}.tsv", "size": 12}
    caught = {"Error": "KMSThrottlingException", "Cause": "https://kms.example/?X-Amz-Credential=AKIA"}

    output = delivery.deliver({"outcome": "READY", "report": _state(stored=stored, conversion=caught)})

    assert (output["status"], output["emailSent"]) == ("DONE", True)
    record = records.get(REPORT_ID)
    assert record.status is ReportStatus.DONE
    assert (record.conversion["status"], record.conversion["error"]) == ("FAILED", "KMSThrottlingException")
    assert (
        "X-Amz-Credential" not in str(record.conversion)
        and "X-Amz-Credential" not in telemetry.output.getvalue()
    )
    assert telemetry.counts()["ConversionFailed"] == 1


def test_a_converted_or_unconverted_ready_report_counts_no_conversion_failure(
    delivery, records, resources, telemetry
):
    _recorded(records)
    stored = {"bucket": resources.bucket, "key": f"reports/{REPORT_ID}.tsv", "size": 12}
    converted = {"status": "CONVERTED", "files": [], "problems": [], "problemCount": 0, "unknownColumns": []}

    delivery.deliver({"outcome": "READY", "report": _state(stored=stored, conversion=converted)})

    assert records.get(REPORT_ID).conversion is None  # the converter records its own outcome
    assert "ConversionFailed" not in telemetry.counts()
