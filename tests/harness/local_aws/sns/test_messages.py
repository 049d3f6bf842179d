"""Reading what SNS would have delivered (moto sends no email)."""

from __future__ import annotations

import json

import pytest

from sp_reports_harness.local_aws import published_messages


def test_published_messages_are_returned_oldest_first_with_subject(local_aws):
    sns = local_aws.boto3_client("sns")
    topic_arn = sns.create_topic(Name="reports")["TopicArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="email", Endpoint="seller@example.com")
    sns.publish(TopicArn=topic_arn, Subject="Report ready", Message="Your report is ready")
    sns.publish(
        TopicArn=topic_arn,
        MessageStructure="json",
        Message=json.dumps({"default": "plain", "email": "for email readers"}),
    )

    messages = published_messages(topic_arn)

    assert [m.subject for m in messages] == ["Report ready", None]
    assert messages[0].body_for("email") == "Your report is ready"
    assert messages[1].body_for("email") == "for email readers"
    assert messages[1].body_for("sqs") == "plain"


def test_unknown_topic_and_malformed_arn_are_errors(local_aws):
    with pytest.raises(LookupError, match="does not exist"):
        published_messages("arn:aws:sns:us-east-1:123456789012:missing")
    with pytest.raises(ValueError, match="topic_arn"):
        published_messages("reports")
