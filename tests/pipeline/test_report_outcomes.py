"""What people read: failure reasons and the outcome emails."""

from __future__ import annotations

import json

import pytest

from sp_reports.pipeline.report_outcomes import (
    Outcome,
    ReportSummary,
    TopicSubscribers,
    compose_email,
    failure_reason_from_error_document,
    failure_reason_from_state,
    plain_reason,
    topic_subscribers,
)

SUMMARY = ReportSummary(
    report_id="54517018502",
    report_type="GET_MERCHANT_LISTINGS_ALL_DATA",
    seller_id="A3TH9S8BH6GOGM",
    marketplace_ids=("A1F83G8C2ARO7P", "A1PA6795UKMFR9"),
    data_start_time="2024-05-01T00:00:00Z",
    data_end_time="2024-05-02T00:00:00Z",
)


def test_ready_email_says_what_where_how_big_and_until_when():
    email = compose_email(
        Outcome.READY,
        SUMMARY,
        status="DONE",
        bucket="reports",
        key="A3TH9S8BH6GOGM/GET_MERCHANT_LISTINGS_ALL_DATA/54517018502/report.tsv",
        size=12_345_678,
        download_url="https://reports.s3.amazonaws.com/k?X-Amz-Signature=abc",
        url_expires_at="2024-05-02T11:15:42Z",
        url_ttl_seconds=3600,
    )
    assert email.subject == "SP-API report GET_MERCHANT_LISTINGS_ALL_DATA is ready to download"
    body = email.body
    for expected in (
        "Seller:       A3TH9S8BH6GOGM",
        "Report id:    54517018502",
        "A1F83G8C2ARO7P (UK), A1PA6795UKMFR9 (DE)",
        "2024-05-01T00:00:00Z to 2024-05-02T00:00:00Z",
        "11.8 MiB (12,345,678 bytes)",
        "s3://reports/A3TH9S8BH6GOGM/",
        "valid until 2024-05-02T11:15:42Z (1 hour)",
        "https://reports.s3.amazonaws.com/k?X-Amz-Signature=abc",
        "GET /reports/54517018502",
    ):
        assert expected in body, expected


def test_ready_email_without_a_link_names_the_report_its_location_and_the_command_that_fetches_it():
    email = compose_email(
        Outcome.READY,
        SUMMARY,
        status="DONE",
        bucket="reports",
        key="A3TH9S8BH6GOGM/GET_MERCHANT_LISTINGS_ALL_DATA/54517018502/report.tsv",
        size=12_345_678,
    )
    body = email.body
    for expected in (
        "Seller:       A3TH9S8BH6GOGM",
        "Report type:  GET_MERCHANT_LISTINGS_ALL_DATA",
        "Report id:    54517018502",
        "Stored at:    s3://reports/A3TH9S8BH6GOGM/GET_MERCHANT_LISTINGS_ALL_DATA/54517018502/report.tsv",
        "  sp-reports reports get 54517018502\n",
    ):
        assert expected in body, expected
    assert "X-Amz-" not in body and "https://" not in body and "valid until" not in body


def test_failed_email_gives_the_reason_and_no_link():
    email = compose_email(Outcome.FAILED, SUMMARY, status="FAILED", failure_reason="date range too long")
    assert email.subject.endswith("failed")
    assert "Reason:" in email.body and "date range too long" in email.body
    assert "http" not in email.body


def test_no_data_email_and_long_subjects_fit_sns_limits():
    long_type = ReportSummary(report_id="1", report_type="GET_" + "X" * 120, seller_id="S")
    email = compose_email(Outcome.NO_DATA, long_type, status="CANCELLED")
    assert len(email.subject) < 100
    assert "nothing was stored" in email.body
    assert "SP-API's default for this report type" in email.body


# SNS Publish API reference, Subject: "less than 100 characters long". "SP-API report <type> has no data" is
# 26 characters plus the type, so types of 73, 74 and 75 characters give subjects of 99, 100 and 101.
@pytest.mark.parametrize(
    ("type_length", "expected_subject_length", "shortened"),
    [(73, 99, False), (74, 99, True), (75, 99, True)],
    ids=["99-is-sent-whole", "100-is-shortened", "101-is-shortened"],
)
def test_subjects_stay_under_the_100_characters_sns_allows(type_length, expected_subject_length, shortened):
    report_type = "GET_" + "X" * (type_length - 4)
    summary = ReportSummary(report_id="1", report_type=report_type, seller_id="S")
    email = compose_email(Outcome.NO_DATA, summary, status="CANCELLED")
    assert len(email.subject) == expected_subject_length
    assert email.subject.endswith("…") is shortened
    assert not any(ord(character) < 32 for character in email.subject)  # no line breaks or control characters


def test_error_document_reason_is_its_error_details():
    document = json.dumps({"errorDetails": "Report request exceeded the 30 day range"}).encode()
    assert failure_reason_from_error_document(document) == "Report request exceeded the 30 day range"
    assert failure_reason_from_error_document(b"plain words") == "plain words"
    assert failure_reason_from_error_document(b"") == "SP-API gave no reason"
    assert len(failure_reason_from_error_document(b"x" * 5000)) == 1000


def test_caught_lambda_error_reason_is_its_type_and_message():
    cause = json.dumps(
        {"errorType": "SpApiClientError", "errorMessage": "getReportDocument failed", "stackTrace": []}
    )
    state = {"error": {"Error": "SpApiClientError", "Cause": cause}}
    assert failure_reason_from_state(state) == "SpApiClientError: getReportDocument failed"
    assert failure_reason_from_state({"error": {"Error": "States.Timeout"}}) == "States.Timeout"


def test_fatal_reason_comes_from_the_stored_error_document_or_says_there_was_none():
    assert "range" in failure_reason_from_state(
        {"processingStatus": "FATAL", "stored": {"failureReason": "range"}}
    )
    assert "no error document" in failure_reason_from_state({"processingStatus": "FATAL"})


def test_reasons_never_carry_secrets():
    cause = json.dumps({"errorType": "X", "errorMessage": "https://h/doc?X-Amz-Signature=s3cr3t Atza|tok"})
    reason = failure_reason_from_state({"error": {"Error": "X", "Cause": cause}})
    assert "s3cr3t" not in reason and "Atza|" not in reason


# What a failure reason may carry and how it reads in the email: (case, reason, as the email shows it).
REASONS_AS_TEXT = [
    ("plain words", "date range too long", "date range too long"),
    (
        "injected lines and a link",
        "bad\n\nDownload: https://evil.example/x",
        "bad Download: hxxps://evil[.]example/x",
    ),
    ("carriage returns and tabs", "a\r\n\tb", "a b"),
    ("http link", "see http://evil.example", "see hxxp://evil[.]example"),
    ("upper-case scheme", "HTTPS://EVIL.EXAMPLE/x", "hxxps://EVIL[.]EXAMPLE/x"),
    ("other scheme", "open ftp://evil.example/f", "open ftp[:]//evil[.]example/f"),
    ("bare www host", "visit www.evil.example now", "visit www[.]evil[.]example now"),
    ("NUL, bell and escape", "a\x00b\x07c\x1b[31md", "a b c [31md"),
    ("DEL and C1 controls", "a\x7fb\x85c", "a b c"),
    ("Unicode line and paragraph separators", "a\u2028b\u2029c", "a b c"),
    ("right-to-left override", "invoice\u202egpj.exe", "invoicegpj.exe"),
    ("zero-width space", "ev\u200bil", "evil"),
    ("runs of spaces", "  a    b  ", "a b"),
]


@pytest.mark.parametrize(
    ("reason", "shown"), [c[1:] for c in REASONS_AS_TEXT], ids=[c[0] for c in REASONS_AS_TEXT]
)
def test_a_reason_is_one_line_of_inert_text(reason, shown):
    assert plain_reason(reason) == shown


@pytest.mark.parametrize(
    "make_reason",
    [
        lambda reason: failure_reason_from_error_document(json.dumps({"errorDetails": reason}).encode()),
        lambda reason: failure_reason_from_state(
            {"error": {"Error": "X", "Cause": json.dumps({"errorType": "X", "errorMessage": reason})}}
        ),
        lambda reason: failure_reason_from_state(
            {"processingStatus": "FATAL", "stored": {"failureReason": reason}}
        ),
        lambda reason: reason,  # passed to compose_email as it is (e.g. read back from a record)
    ],
    ids=["error-document", "caught-error", "stored-reason", "as-given"],
)
def test_an_injected_reason_cannot_add_lines_or_links_to_the_email(make_reason):
    reason = make_reason("range too long\n\nDownload: https://evil.example/steal\r\nStatus: DONE")
    email = compose_email(Outcome.FAILED, SUMMARY, status="FAILED", failure_reason=reason)
    lines = email.body.splitlines()
    reason_lines = [line for line in lines if line.startswith("Reason:")]
    assert len(reason_lines) == 1 and "Download: hxxps://evil[.]example/steal Status: DONE" in reason_lines[0]
    assert not any(line.startswith(("Download", "Status: DONE")) for line in lines)
    assert "https://" not in email.body and "evil.example" not in email.body


def test_only_confirmed_subscriptions_count_as_recipients(aws):
    import boto3

    from sp_reports_harness.local_aws.sns.confirmation import sns_confirmation_patches

    patches = sns_confirmation_patches()  # SNS as AWS runs it: email subscriptions wait for confirmation
    patches.install()
    try:
        sns = boto3.client("sns")
        topic_arn = sns.create_topic(Name="reports")["TopicArn"]
        assert topic_subscribers(sns, topic_arn) == TopicSubscribers(confirmed=0, pending=0)
        boto3.client("sqs").create_queue(QueueName="audit")
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint="arn:aws:sqs:us-east-1:123456789012:audit")
        for address in ("a@example.com", "b@example.com"):
            sns.subscribe(TopicArn=topic_arn, Protocol="email", Endpoint=address)
        assert topic_subscribers(sns, topic_arn) == TopicSubscribers(confirmed=1, pending=2)
    finally:
        patches.uninstall()
