"""The email observer: an SQS queue of its own, subscribed to the topic, sees each Publish once with its
subject, admits no other topic, and leaves nothing behind."""

from __future__ import annotations

import contextlib
import json

import pytest

from sp_reports_harness.deployment.email_observer import SqsEmailObserver, observer_queue_name


@pytest.fixture
def clients(local_aws):
    sns, sqs = local_aws.boto3_client("sns"), local_aws.boto3_client("sqs")
    return sns, sqs, sns.create_topic(Name="outcomes")["TopicArn"]


def test_each_publish_is_observed_once_with_its_subject_and_body(clients):
    sns, sqs, topic_arn = clients
    with SqsEmailObserver.subscribed(sqs, sns, topic_arn, observer_queue_name("stack")) as observer:
        first = sns.publish(TopicArn=topic_arn, Subject="Report ready", Message="report R1 is ready")
        second = sns.publish(TopicArn=topic_arn, Subject="Report ready", Message="report R1 is ready")
        sns.publish(TopicArn=topic_arn, Message="report R2 failed")

        about = observer.about("R1", timeout=5)

        assert [e.message_id for e in about] == [first["MessageId"], second["MessageId"]]
        assert {(e.subject, e.body) for e in about} == {("Report ready", "report R1 is ready")}
        assert [e.subject for e in observer.about("R2", timeout=5)] == [None]
        assert len(observer.emails()) == 3  # drained messages are kept, not lost


def test_a_redelivered_message_counts_once(clients):
    sns, sqs, topic_arn = clients
    with SqsEmailObserver.subscribed(sqs, sns, topic_arn, "observer") as observer:
        sns.publish(TopicArn=topic_arn, Subject="s", Message="report R1")
        (delivered,) = observer.emails()
        # SQS delivers at least once: the same SNS envelope again.
        envelope = {
            "Type": "Notification",
            "MessageId": delivered.message_id,
            "Subject": "s",
            "Message": "report R1",
        }
        sqs.send_message(QueueUrl=observer.queue_url, MessageBody=json.dumps(envelope))

        assert observer.about("R1", timeout=5) == [delivered]


def test_only_the_observed_topic_may_send_to_the_queue(local_aws, clients):
    sns, sqs, topic_arn = clients
    other = sns.create_topic(Name="other")["TopicArn"]
    with SqsEmailObserver.subscribed(sqs, sns, topic_arn, "observer") as observer:
        queue_arn = sqs.get_queue_attributes(QueueUrl=observer.queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        sns.subscribe(TopicArn=other, Protocol="sqs", Endpoint=queue_arn)

        sns.publish(TopicArn=other, Message="from another topic")

        assert observer.about("another", timeout=1, interval=0.2) == []
        (refused,) = local_aws.sns_to_sqs.failures
        assert refused.startswith(f"delivery from {other} to {queue_arn} refused: the queue policy")


def test_nothing_is_observed_when_nothing_is_published(clients):
    sns, sqs, topic_arn = clients
    with SqsEmailObserver.subscribed(sqs, sns, topic_arn, "observer") as observer:
        assert observer.about("R1", timeout=0.5, interval=0.1) == []


@pytest.mark.parametrize("fails", [False, True])
def test_the_subscription_and_the_queue_are_removed_when_the_block_ends(clients, fails):
    sns, sqs, topic_arn = clients
    ending = pytest.raises(RuntimeError) if fails else contextlib.nullcontext()
    with ending, SqsEmailObserver.subscribed(sqs, sns, topic_arn, "observer"):
        assert sqs.list_queues().get("QueueUrls")
        if fails:
            raise RuntimeError("an assertion failed meanwhile")

    assert sqs.list_queues().get("QueueUrls", []) == []
    assert sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"] == []
