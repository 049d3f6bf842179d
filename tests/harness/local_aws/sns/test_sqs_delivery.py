"""SNS's delivery to a subscribed SQS queue in local AWS: only what the queue (and its key) let SNS send
arrives, as on AWS; a refused delivery never fails the publisher."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

ACCOUNT = "123456789012"
REGION = "us-east-1"
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:outcomes"
QUEUE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:observer"


def _queue_policy(principal: object, source_arn: str | None = TOPIC_ARN, effect: str = "Allow") -> str:
    statement: dict = {
        "Effect": effect,
        "Principal": principal,
        "Action": "sqs:SendMessage",
        "Resource": QUEUE_ARN,
    }
    if source_arn is not None:
        statement["Condition"] = {"ArnEquals": {"aws:SourceArn": source_arn}}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


SNS = {"Service": "sns.amazonaws.com"}


@dataclass(frozen=True)
class Case:
    name: str
    policy: str | None
    delivered: bool
    source: str


# SNS Developer Guide, "Fanout Amazon SNS notifications to Amazon SQS queues": the queue's policy must give
# the topic permission to send (Principal sns.amazonaws.com, aws:SourceArn the topic); IAM User Guide,
# "AWS JSON policy elements: Principal": "*" and {"AWS": "*"} name every principal, services included; an
# explicit Deny wins ("Policy evaluation logic").
DOCUMENTED_CASES = [
    Case("the documented statement: SNS, for this topic", _queue_policy(SNS), True, "SNS DG, Fanout to SQS"),
    Case("SNS for any topic", _queue_policy(SNS, source_arn=None), True, "IAM UG, Principal: Service"),
    Case("everyone, for this topic", _queue_policy({"AWS": "*"}), True, "IAM UG, Principal: all principals"),
    Case("no queue policy", None, False, "SNS DG, Fanout to SQS: the permission is required"),
    Case(
        "SNS, for another topic",
        _queue_policy(SNS, source_arn=f"arn:aws:sns:{REGION}:{ACCOUNT}:other"),
        False,
        "IAM UG, global condition keys: aws:SourceArn is the topic's ARN",
    ),
    Case(
        "another service",
        _queue_policy({"Service": "events.amazonaws.com"}),
        False,
        "IAM UG, Principal: a service is named by its own service principal",
    ),
    Case(
        "the account only",
        _queue_policy({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}),
        False,
        "IAM UG, Principal: naming the account does not name a service",
    ),
]


@pytest.fixture
def topic(local_aws):
    sns = local_aws.boto3_client("sns")
    assert sns.create_topic(Name="outcomes")["TopicArn"] == TOPIC_ARN
    return sns


def _subscribe_queue(local_aws, sns, attributes: dict[str, str]) -> str:
    sqs = local_aws.boto3_client("sqs")
    url = sqs.create_queue(QueueName="observer", Attributes=attributes)["QueueUrl"]
    sns.subscribe(TopicArn=TOPIC_ARN, Protocol="sqs", Endpoint=QUEUE_ARN, ReturnSubscriptionArn=True)
    return url


def _received(local_aws, url: str) -> list[dict]:
    messages = local_aws.boto3_client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    return [json.loads(message["Body"]) for message in messages.get("Messages", [])]


def _sns_decisions(local_aws) -> dict[tuple[str, bool], int]:
    return {
        (decision.action, decision.allowed): count
        for decision, count in local_aws.iam.decisions().items()
        if decision.principal == "sns.amazonaws.com"
    }


@pytest.mark.parametrize("case", DOCUMENTED_CASES, ids=lambda case: case.name)
def test_a_queue_receives_what_its_policy_lets_sns_send(local_aws, topic, case):
    url = _subscribe_queue(local_aws, topic, {"Policy": case.policy} if case.policy else {})

    # Publishing succeeds whether or not the delivery does: SNS answers the publisher first.
    message_id = topic.publish(TopicArn=TOPIC_ARN, Subject="Report ready", Message="the body")["MessageId"]

    received = _received(local_aws, url)
    assert _sns_decisions(local_aws) == {("sqs:SendMessage", case.delivered): 1}
    if case.delivered:
        (envelope,) = received
        # The SQS message is SNS's JSON envelope, subject included (SNS DG, Fanout to SQS).
        assert envelope["Type"] == "Notification"
        assert envelope["MessageId"] == message_id
        assert envelope["TopicArn"] == TOPIC_ARN
        assert (envelope["Subject"], envelope["Message"]) == ("Report ready", "the body")
        assert local_aws.sns_to_sqs.failures == []
    else:
        assert received == []
        (failure,) = local_aws.sns_to_sqs.failures
        assert f"to {QUEUE_ARN} refused: the queue policy does not allow it" in failure


def test_a_deny_in_the_queue_policy_wins_over_an_allow(local_aws, topic):
    allow = json.loads(_queue_policy(SNS))["Statement"]
    deny = json.loads(_queue_policy(SNS, effect="Deny"))["Statement"]
    policy = json.dumps({"Version": "2012-10-17", "Statement": allow + deny})
    url = _subscribe_queue(local_aws, topic, {"Policy": policy})

    topic.publish(TopicArn=TOPIC_ARN, Message="denied")

    assert _received(local_aws, url) == []
    assert _sns_decisions(local_aws) == {("sqs:SendMessage", False): 1}


def _key(local_aws, allow_sns: bool) -> str:
    statements = [
        {
            "Sid": "AccountAdministers",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    if allow_sns:
        # SQS Developer Guide, "Amazon SQS Key management", Configure KMS permissions for AWS services.
        statements.append(
            {
                "Sid": "SnsUsesTheKey",
                "Effect": "Allow",
                "Principal": SNS,
                "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                "Resource": "*",
            }
        )
    policy = json.dumps({"Version": "2012-10-17", "Statement": statements})
    return local_aws.boto3_client("kms").create_key(Policy=policy)["KeyMetadata"]["Arn"]


@pytest.mark.parametrize(
    ("encryption", "delivered"),
    [
        ("customer managed key allowing SNS", True),
        ("customer managed key not allowing SNS", False),
        ("AWS managed key alias/aws/sqs", True),
        ("SQS managed encryption", True),
    ],
)
def test_an_encrypted_queue_receives_only_when_its_key_lets_sns_use_it(
    local_aws, topic, encryption, delivered
):
    attributes = {"Policy": _queue_policy(SNS)}
    if encryption.startswith("customer managed"):
        attributes["KmsMasterKeyId"] = _key(local_aws, allow_sns=" not " not in encryption)
    elif encryption.startswith("AWS managed"):
        attributes["KmsMasterKeyId"] = "alias/aws/sqs"
    else:
        attributes["SqsManagedSseEnabled"] = "true"
    url = _subscribe_queue(local_aws, topic, attributes)

    topic.publish(TopicArn=TOPIC_ARN, Message="encrypted")

    assert len(_received(local_aws, url)) == (1 if delivered else 0)
    if not delivered:
        (failure,) = local_aws.sns_to_sqs.failures
        assert "the queue's key policy does not allow kms:GenerateDataKey" in failure


def test_a_deleted_queue_is_a_failed_delivery_not_a_failed_publish(local_aws, topic):
    url = _subscribe_queue(local_aws, topic, {"Policy": _queue_policy(SNS)})
    local_aws.boto3_client("sqs").delete_queue(QueueUrl=url)

    topic.publish(TopicArn=TOPIC_ARN, Message="nowhere to go")

    (failure,) = local_aws.sns_to_sqs.failures
    assert failure.endswith("the queue does not exist")


def test_a_message_the_filter_policy_drops_is_not_a_delivery_attempt(local_aws, topic):
    _subscribe_queue(local_aws, topic, {})
    (subscription,) = topic.list_subscriptions_by_topic(TopicArn=TOPIC_ARN)["Subscriptions"]
    topic.set_subscription_attributes(
        SubscriptionArn=subscription["SubscriptionArn"],
        AttributeName="FilterPolicy",
        AttributeValue=json.dumps({"kind": ["report"]}),
    )

    topic.publish(TopicArn=TOPIC_ARN, Message="filtered out")

    assert _sns_decisions(local_aws) == {}
    assert local_aws.sns_to_sqs.failures == []


def test_email_subscriptions_are_untouched_by_the_queue_check(local_aws, topic):
    from sp_reports_harness.local_aws import published_messages

    topic.subscribe(TopicArn=TOPIC_ARN, Protocol="email", Endpoint="someone@example.com")

    topic.publish(TopicArn=TOPIC_ARN, Subject="s", Message="m")

    assert [m.message for m in published_messages(TOPIC_ARN)] == ["m"]
    assert _sns_decisions(local_aws) == {}
