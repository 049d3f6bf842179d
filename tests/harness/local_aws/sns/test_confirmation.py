"""Email subscriptions stay pending until confirmed with their token, and receive nothing until then."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from sp_reports_harness.local_aws import delivered_messages, pending_confirmations, published_messages
from sp_reports_harness.local_aws.sns.confirmation import sns_confirmation_patches


@pytest.fixture
def sns(local_aws):
    client = local_aws.boto3_client("sns")
    topic_arn = client.create_topic(Name="reports")["TopicArn"]
    return client, topic_arn


def _listed(client, topic_arn) -> dict[str, str]:
    return {
        s["Endpoint"]: s["SubscriptionArn"]
        for s in client.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
    }


# GetSubscriptionAttributes (SNS API reference): PendingConfirmation is "true if the subscription hasn't been
# confirmed"; Subscribe answers "pending confirmation" unless ReturnSubscriptionArn is true.
@pytest.mark.parametrize(
    ("protocol", "endpoint", "pending"),
    [
        ("email", "seller@example.com", True),
        ("email-json", "robot@example.com", True),
        ("sqs", "arn:aws:sqs:us-east-1:123456789012:reports", False),
    ],
)
def test_only_email_subscriptions_wait_for_confirmation(local_aws, sns, protocol, endpoint, pending):
    client, topic_arn = sns
    if protocol == "sqs":
        local_aws.boto3_client("sqs").create_queue(QueueName="reports")
    answer = client.subscribe(TopicArn=topic_arn, Protocol=protocol, Endpoint=endpoint)
    assert (answer["SubscriptionArn"] == "pending confirmation") is pending
    arn = client.subscribe(
        TopicArn=topic_arn, Protocol=protocol, Endpoint=endpoint, ReturnSubscriptionArn=True
    )["SubscriptionArn"]
    assert arn.startswith(f"{topic_arn}:")
    attributes = client.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert attributes["PendingConfirmation"] == ("true" if pending else "false")
    assert (_listed(client, topic_arn)[endpoint] == "PendingConfirmation") is pending
    assert [p.endpoint for p in pending_confirmations(topic_arn)] == ([endpoint] if pending else [])


def test_the_token_from_the_confirmation_email_confirms_and_only_then_messages_arrive(sns):
    client, topic_arn = sns
    client.subscribe(TopicArn=topic_arn, Protocol="email", Endpoint="seller@example.com")
    client.publish(TopicArn=topic_arn, Subject="before", Message="sent while pending")
    assert delivered_messages(topic_arn, "seller@example.com") == []

    (confirmation,) = pending_confirmations(topic_arn)
    with pytest.raises(ClientError, match="InvalidParameter"):
        client.confirm_subscription(TopicArn=topic_arn, Token="not-the-token")
    confirmed = client.confirm_subscription(TopicArn=topic_arn, Token=confirmation.token)

    assert _listed(client, topic_arn)["seller@example.com"] == confirmed["SubscriptionArn"]
    attributes = client.get_subscription_attributes(SubscriptionArn=confirmed["SubscriptionArn"])
    assert attributes["Attributes"]["PendingConfirmation"] == "false"
    assert pending_confirmations(topic_arn) == []
    client.publish(TopicArn=topic_arn, Subject="after", Message="sent once confirmed")
    assert [m.subject for m in delivered_messages(topic_arn, "seller@example.com")] == ["after"]
    assert [m.subject for m in published_messages(topic_arn)] == ["before", "after"]  # SNS accepted both


def test_uninstall_restores_moto_confirming_at_once():
    from sp_reports_harness.local_aws.moto_internals import SNSBackend

    original = SNSBackend.subscribe
    patches = sns_confirmation_patches()
    patches.install()
    assert SNSBackend.subscribe is not original
    patches.uninstall()
    assert SNSBackend.subscribe is original
