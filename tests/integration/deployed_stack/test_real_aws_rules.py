"""What would fail on a real account, proven on the deployed stack with local AWS enforcing AWS's rules:
every Lambda runs as its own role, a report larger than one multipart part is stored through the bucket
policy and SSE-KMS, and a download link works until the time its email states, and not after.

In a real account the rules are AWS's own; what needs local AWS's clock or its record of decisions is
skipped there, with the reason."""

from __future__ import annotations

import datetime
import re
from urllib.parse import parse_qsl, urlparse

import pytest
import requests

from sp_reports.pipeline.report_storage import DEFAULT_PART_SIZE
from spapi_emulator.state import synthetic_listings_report_of_size
from tests.support.deployed_stack import FinishedReport, emulator_of, local_aws_of

pytestmark = pytest.mark.integration

MULTIPART_DOCUMENT_BYTES = 20 * 1024 * 1024  # several of the storer's parts: its multipart path
STACK_ROLES = (
    "token-storage",
    "notifications-subscriber",
    "report-creator",
    "report-status",
    "notifications-processor",
    "report-storer",
    "report-notifier",
    "download-link-signer",
    "seller-eraser",
)


def test_a_report_larger_than_one_part_is_stored_whole_through_the_bucket_policy(
    stack, seller, client, subscribed_seller
):
    emulator = emulator_of(stack, "serve a 20 MiB document (a real seller's is as large as their data)")
    document = synthetic_listings_report_of_size("multipart", MULTIPART_DOCUMENT_BYTES)
    report_id = client.create_report(
        seller.seller_id, seller.region_code, seller.report_type, [seller.marketplace_id]
    )
    # Before the emulator's lifecycle ends the report (seconds): the document it will serve.
    emulator.set_report_document(report_id, document)

    report = client.wait_for_report(report_id, timeout=180, poll_interval=0.5)

    assert report.status == "DONE", report.raw
    stored = stack.boto3_client("s3").get_object(Bucket=report.s3_bucket, Key=report.s3_key)
    parts = -(-len(document) // DEFAULT_PART_SIZE)
    assert parts > 1 and stored["ETag"].strip('"').endswith(f"-{parts}")  # CompleteMultipartUpload of `parts`
    assert stored["ServerSideEncryption"] == "aws:kms"
    assert stored["SSEKMSKeyId"] == stack.outputs["data_kms_key_arn"]
    assert stored["Body"].read() == document


def _stated_expiry(emails, report: FinishedReport) -> tuple[datetime.datetime, str]:
    (email,) = emails.about(report.report_id)
    stated = re.search(r"valid until (\S+Z)", email.body)
    assert stated is not None, "the email states no expiry"
    url = email.body.split(stated.group(0), 1)[1].split("\n")[1].strip()
    expiry = datetime.datetime.strptime(stated.group(1), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.UTC)
    return expiry, url


def test_the_emailed_link_works_and_its_signature_ends_when_the_email_says(emails, done_report):
    expiry, url = _stated_expiry(emails, done_report)
    query = dict(parse_qsl(urlparse(url).query))
    signed = datetime.datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.UTC)
    signature_ends = signed + datetime.timedelta(seconds=int(query["X-Amz-Expires"]))

    response = requests.get(url, timeout=30)

    assert response.status_code == 200, response.content[:300]
    # Never promised beyond the signature; at most the second lost to rounding down short of it.
    assert datetime.timedelta(0) <= signature_ends - expiry <= datetime.timedelta(seconds=2)
    assert signature_ends - signed <= datetime.timedelta(hours=1)  # a role-chained signer's limit


def test_the_emailed_link_works_until_the_stated_expiry_and_not_after(stack, emails, done_report):
    iam = local_aws_of(stack, "a link at and after its stated expiry (its clock is moved)").iam
    expiry, url = _stated_expiry(emails, done_report)
    real_clock = iam.clock
    try:
        # Lambda sessions in this deployment last 900 s; the link promises an hour. A link signed with the
        # notifier's own session would be refused here with ExpiredToken.
        iam.clock = lambda: expiry - datetime.timedelta(seconds=5)
        before = requests.get(url, timeout=30)
        assert before.status_code == 200, before.content[:300]
        iam.clock = lambda: expiry + datetime.timedelta(seconds=5)
        after = requests.get(url, timeout=30)
        assert after.status_code in (400, 403), after.content[:300]
    finally:
        iam.clock = real_clock


def test_a_tampered_link_is_refused(emails, done_report):
    _, url = _stated_expiry(emails, done_report)
    assert requests.get(url.replace("report.", "other."), timeout=30).status_code == 403


def test_every_function_ran_as_its_own_role_and_nothing_it_needed_was_refused(stack, done_report):
    aws = local_aws_of(stack, "every authorisation decision it made, per role")
    decisions = aws.iam.decisions()
    refused = {(d.principal, d.action): n for d, n in decisions.items() if not d.allowed}
    # make acceptance deploys with a prefix of its own; IAM names carry the region too (iam_name_prefix).
    prefix = f"{stack.name_prefix}-{stack.region}-"
    allowed_roles = {d.principal.removeprefix(prefix) for d in decisions if d.allowed}

    assert {"token-storage", "notifications-subscriber", "report-creator", "report-storer"} <= allowed_roles
    assert {"report-status", "report-notifier", "download-link-signer"} <= allowed_roles
    assert not {key: n for key, n in refused.items() if key[0].removeprefix(prefix) in STACK_ROLES}, refused
