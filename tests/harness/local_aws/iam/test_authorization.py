"""Local AWS refuses what AWS refuses: one test per documented rule, each row naming its source.

The rules are those this stack depends on (issue 10): identity and resource policies with AWS's condition
semantics, S3's 403 for a missing key without s3:ListBucket, UploadPart authorised as s3:PutObject without
encryption headers, KMS use through S3, sessions and presigned URLs that end, and role chaining's hour.
"""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from sp_reports_harness.local_aws import LocalAws

BUCKET = "authz-bucket"
TABLE = "authz-table"
PART = 5 * 1024 * 1024


@pytest.fixture(scope="module")
def aws() -> Iterator[LocalAws]:
    with LocalAws(aws_managed_policies=False) as local:
        yield local


def _policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _allow(actions: list[str] | str, resources: list[str] | str, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resources, **extra}


class Roles:
    """Roles of the account, each assumed through local STS by the root (the harness)."""

    def __init__(self, aws: LocalAws) -> None:
        self.aws = aws
        self.count = 0

    def session(self, *statements: dict[str, Any], duration: int = 3600) -> boto3.Session:
        self.count += 1
        name = f"authz-role-{self.count}"
        iam = self.aws.boto3_client("iam")
        trust = _policy(
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{self.aws.account_id}:root"},
                "Action": "sts:AssumeRole",
            }
        )
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
        if statements:
            iam.put_role_policy(RoleName=name, PolicyName="access", PolicyDocument=_policy(*statements))
        credentials = self.aws.boto3_client("sts").assume_role(
            RoleArn=arn, RoleSessionName="test", DurationSeconds=duration
        )["Credentials"]
        return boto3.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            region_name=self.aws.region,
        )

    def client(self, session: boto3.Session, service: str) -> Any:
        return session.client(
            service,
            endpoint_url=self.aws.endpoint_url,
            config=Config(signature_version="s3v4", retries={"max_attempts": 1}),
        )


@pytest.fixture(scope="module")
def roles(aws: LocalAws) -> Roles:
    return Roles(aws)


@pytest.fixture(scope="module")
def data_key(aws: LocalAws) -> str:
    account = aws.account_id
    policy = _policy(
        {
            "Sid": "EnableIamPolicies",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    )
    return aws.boto3_client("kms").create_key(Policy=policy)["KeyMetadata"]["Arn"]


@pytest.fixture(scope="module")
def bucket(aws: LocalAws, data_key: str) -> str:
    s3 = aws.boto3_client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_encryption(
        Bucket=BUCKET,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": data_key,
                    }
                }
            ]
        },
    )
    return BUCKET


def _code(call: Callable[[], Any]) -> str:
    try:
        call()
    except ClientError as error:
        return str(error.response["Error"]["Code"])
    return "OK"


def _via_s3(key_arn: str, *actions: str) -> dict[str, Any]:
    return _allow(
        list(actions), key_arn, Condition={"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}
    )


# -- S3: missing keys --------------------------------------------------------------------------------------


def test_head_of_a_missing_key_is_403_without_list_bucket_and_404_with_it(aws, roles, bucket):
    # S3 API reference, HeadObject: "If you don't have the s3:ListBucket permission, Amazon S3 returns an
    # HTTP status code 403 Forbidden error" (and 404 with it).
    without = roles.client(roles.session(_allow("s3:GetObject", f"arn:aws:s3:::{bucket}/*")), "s3")
    with_list = roles.client(
        roles.session(
            _allow("s3:GetObject", f"arn:aws:s3:::{bucket}/*"),
            _allow("s3:ListBucket", f"arn:aws:s3:::{bucket}"),
        ),
        "s3",
    )
    assert _code(lambda: without.head_object(Bucket=bucket, Key="missing")) == "403"
    assert _code(lambda: with_list.head_object(Bucket=bucket, Key="missing")) == "404"
    assert _code(lambda: without.get_object(Bucket=bucket, Key="missing")) == "AccessDenied"
    assert _code(lambda: with_list.get_object(Bucket=bucket, Key="missing")) == "NoSuchKey"


# -- S3: bucket policies and multipart uploads --------------------------------------------------------


def _deny_put(condition: dict[str, Any], sid: str) -> dict[str, Any]:
    return {
        "Sid": sid,
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{BUCKET}/*",
        "Condition": condition,
    }


BARE_NEGATION = _deny_put({"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}, "Bare")
PRESENT_AND_WRONG = _deny_put(
    {
        "StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"},
        "Null": {"s3:x-amz-server-side-encryption": "false"},
    },
    "PresentAndWrong",
)


def _multipart(s3: Any, key: str, data_key: str) -> str:
    upload = s3.create_multipart_upload(
        Bucket=BUCKET, Key=key, ServerSideEncryption="aws:kms", SSEKMSKeyId=data_key
    )
    try:
        part = s3.upload_part(
            Bucket=BUCKET, Key=key, UploadId=upload["UploadId"], PartNumber=1, Body=b"x" * PART
        )
        s3.complete_multipart_upload(
            Bucket=BUCKET,
            Key=key,
            UploadId=upload["UploadId"],
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
        )
    except ClientError as error:
        s3.abort_multipart_upload(Bucket=BUCKET, Key=key, UploadId=upload["UploadId"])
        return f"{error.operation_name}:{error.response['Error']['Code']}"
    return "OK"


@pytest.mark.parametrize(
    ("bucket_statement", "expected"),
    [
        # IAM User Guide, condition operators: "If the policy condition requires that the key is not matched,
        # such as StringNotLike or ArnNotLike, and the right key is not present, the condition is true." An
        # UploadPart carries no encryption header (botocore#471, aws-cli#4251), so the bare Deny refuses it.
        (BARE_NEGATION, "UploadPart:AccessDenied"),
        # The shape the bucket now uses denies only a header that is present and wrong.
        (PRESENT_AND_WRONG, "OK"),
    ],
    ids=["bare-StringNotEquals-denies-every-part", "IfExists-with-Null-false-lets-parts-through"],
)
def test_multipart_parts_meet_the_bucket_policy_without_encryption_headers(
    aws, roles, bucket, data_key, bucket_statement, expected
):
    aws.boto3_client("s3").put_bucket_policy(Bucket=bucket, Policy=_policy(bucket_statement))
    try:
        s3 = roles.client(
            roles.session(
                _allow(["s3:PutObject", "s3:AbortMultipartUpload"], f"arn:aws:s3:::{bucket}/*"),
                _via_s3(data_key, "kms:GenerateDataKey", "kms:Decrypt"),
            ),
            "s3",
        )
        assert _multipart(s3, "multi", data_key) == expected
        # A single PUT asking for another encryption is denied by both shapes.
        assert _code(
            lambda: s3.put_object(Bucket=bucket, Key="aes", Body=b"x", ServerSideEncryption="AES256")
        ) == ("AccessDenied")
    finally:
        aws.boto3_client("s3").delete_bucket_policy(Bucket=bucket)


def test_the_bucket_policy_denies_the_account_root_too(aws, bucket):
    # IAM User Guide, "Policy evaluation logic": an explicit deny in any policy overrides any allow; the
    # account root's full access does not escape a resource-based policy's Deny.
    s3 = aws.boto3_client("s3")
    s3.put_bucket_policy(Bucket=bucket, Policy=_policy(PRESENT_AND_WRONG))
    try:
        assert _code(
            lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="AES256")
        ) == ("AccessDenied")
        assert _code(lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"x")) == "OK"
    finally:
        s3.delete_bucket_policy(Bucket=bucket)


# -- KMS through S3 ----------------------------------------------------------------------------------------


def test_sse_kms_uploads_and_downloads_need_the_key_through_s3(aws, roles, bucket, data_key):
    # S3 User Guide, "Using server-side encryption with AWS KMS keys": uploading needs kms:GenerateDataKey,
    # downloading kms:Decrypt, on the key; a multipart upload also kms:Decrypt.
    objects = _allow(["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"], f"arn:aws:s3:::{bucket}/*")
    no_key = roles.client(roles.session(objects), "s3")
    generate_only = roles.client(roles.session(objects, _via_s3(data_key, "kms:GenerateDataKey")), "s3")
    both = roles.client(roles.session(objects, _via_s3(data_key, "kms:GenerateDataKey", "kms:Decrypt")), "s3")

    assert _code(lambda: no_key.put_object(Bucket=bucket, Key="sse", Body=b"x")) == "AccessDenied"
    assert _code(lambda: generate_only.put_object(Bucket=bucket, Key="sse", Body=b"x")) == "OK"
    assert _code(lambda: generate_only.get_object(Bucket=bucket, Key="sse")) == "AccessDenied"
    assert _code(lambda: both.get_object(Bucket=bucket, Key="sse")) == "OK"
    assert _code(lambda: generate_only.create_multipart_upload(Bucket=bucket, Key="m")) == "AccessDenied"


# -- identity policies name their resources -----------------------------------------------------------------


def test_a_role_reaches_only_the_table_its_policy_names(aws, roles):
    dynamodb = aws.boto3_client("dynamodb")
    for name in (TABLE, f"{TABLE}-other"):
        dynamodb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "Id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "Id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    table_arn = f"arn:aws:dynamodb:us-east-1:{aws.account_id}:table/{TABLE}"
    client = roles.client(roles.session(_allow("dynamodb:GetItem", table_arn)), "dynamodb")
    key = {"Id": {"S": "x"}}
    assert _code(lambda: client.get_item(TableName=TABLE, Key=key)) == "OK"
    assert _code(lambda: client.get_item(TableName=f"{TABLE}-other", Key=key)) == "AccessDeniedException"
    assert _code(lambda: client.put_item(TableName=TABLE, Item=key)) == "AccessDeniedException"


def test_a_query_of_an_index_needs_the_index_arn_and_the_table_arn_does_not_grant_it(aws, roles):
    dynamodb = aws.boto3_client("dynamodb")
    name = f"{TABLE}-indexed"
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "Id", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "Id", "AttributeType": "S"},
            {"AttributeName": "Group", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-group",
                "KeySchema": [{"AttributeName": "Group", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    table_arn = f"arn:aws:dynamodb:us-east-1:{aws.account_id}:table/{name}"
    query = {
        "TableName": name,
        "IndexName": "by-group",
        "KeyConditionExpression": "#g = :g",
        "ExpressionAttributeNames": {"#g": "Group"},
        "ExpressionAttributeValues": {":g": {"S": "a"}},
    }
    table_only = roles.client(roles.session(_allow("dynamodb:Query", table_arn)), "dynamodb")
    index_only = roles.client(
        roles.session(_allow("dynamodb:Query", f"{table_arn}/index/by-group")), "dynamodb"
    )
    assert _code(lambda: table_only.query(**query)) == "AccessDeniedException"
    assert _code(lambda: index_only.query(**query)) == "OK"
    table_query = {"TableName": name, "KeyConditionExpression": "Id = :id"}
    table_query["ExpressionAttributeValues"] = {":id": {"S": "x"}}
    assert _code(lambda: index_only.query(**table_query)) == "AccessDeniedException"
    assert _code(lambda: table_only.query(**table_query)) == "OK"


def test_leading_keys_conditions_see_the_partition_keys_a_request_names(aws, roles):
    dynamodb = aws.boto3_client("dynamodb")
    name = f"{TABLE}-leading"
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "PK", "AttributeType": "S"},
            {"AttributeName": "SK", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    table_arn = f"arn:aws:dynamodb:us-east-1:{aws.account_id}:table/{name}"
    actions = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"]
    actions += ["dynamodb:BatchWriteItem", "dynamodb:Scan"]
    mine_only = {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["mine#*"]}}
    client = roles.client(roles.session(_allow(actions, table_arn, Condition=mine_only)), "dynamodb")

    def key(partition: str) -> dict[str, Any]:
        return {"PK": {"S": partition}, "SK": {"S": "s"}}

    def query(partition: str) -> Any:
        return client.query(
            TableName=name,
            KeyConditionExpression="#pk = :pk AND SK = :sk",
            ExpressionAttributeNames={"#pk": "PK"},
            ExpressionAttributeValues={":pk": {"S": partition}, ":sk": {"S": "s"}},
        )

    def batch(*partitions: str) -> Any:
        requests = [{"PutRequest": {"Item": key(p)}} for p in partitions]
        return client.batch_write_item(RequestItems={name: requests})

    assert _code(lambda: client.put_item(TableName=name, Item=key("mine#1"))) == "OK"
    assert _code(lambda: client.put_item(TableName=name, Item=key("other#1"))) == "AccessDeniedException"
    assert _code(lambda: client.get_item(TableName=name, Key=key("mine#1"))) == "OK"
    assert _code(lambda: client.get_item(TableName=name, Key=key("other#1"))) == "AccessDeniedException"
    update = {"UpdateExpression": "SET A = :a", "ExpressionAttributeValues": {":a": {"S": "x"}}}
    assert (
        _code(lambda: client.update_item(TableName=name, Key=key("other#1"), **update))
        == "AccessDeniedException"
    )
    assert _code(lambda: query("mine#1")) == "OK"
    assert _code(lambda: query("other#1")) == "AccessDeniedException"
    assert _code(lambda: batch("mine#2", "mine#3")) == "OK"
    assert _code(lambda: batch("mine#4", "other#2")) == "AccessDeniedException"
    # A Scan names no partition key: ForAllValues holds for want of values, in AWS as here.
    assert _code(lambda: client.scan(TableName=name)) == "OK"


def test_a_key_policy_condition_on_the_encryption_context_is_enforced(aws, roles):
    account = aws.account_id
    session = roles.session()
    role_arn = f"arn:aws:iam::{account}:role/authz-role-{roles.count}"
    key = aws.boto3_client("kms").create_key(
        Policy=_policy(
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Effect": "Allow",
                "Principal": {"AWS": role_arn},
                "Action": "kms:Encrypt",
                "Resource": "*",
                "Condition": {
                    "ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["SellerId"]},
                    "Null": {"kms:EncryptionContext:SellerId": "false"},
                },
            },
        )
    )["KeyMetadata"]["Arn"]
    kms = roles.client(session, "kms")
    assert _code(lambda: kms.encrypt(KeyId=key, Plaintext=b"t", EncryptionContext={"SellerId": "A1"})) == "OK"
    assert _code(lambda: kms.encrypt(KeyId=key, Plaintext=b"t")) == "AccessDeniedException"
    assert (
        _code(
            lambda: kms.encrypt(KeyId=key, Plaintext=b"t", EncryptionContext={"SellerId": "A1", "Other": "x"})
        )
        == "AccessDeniedException"
    )


# -- sessions, presigned URLs, role chaining ----------------------------------------------------------------


def test_a_presigned_url_ends_with_its_expiry_or_its_signers_session_and_refuses_tampering(
    aws, roles, bucket, data_key
):
    aws.boto3_client("s3").put_object(Bucket=bucket, Key="report.tsv", Body=b"rows")
    s3 = roles.client(
        roles.session(
            _allow("s3:GetObject", f"arn:aws:s3:::{bucket}/*"), _via_s3(data_key, "kms:Decrypt"), duration=900
        ),
        "s3",
    )
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "report.tsv"}, ExpiresIn=3600
    )
    now = datetime.datetime.now(datetime.UTC)
    real_clock = aws.iam.clock
    time.sleep(1.1)  # verified in a later second than it was signed in: the URL's own X-Amz-Date counts
    try:
        assert requests.get(url, timeout=10).content == b"rows"
        assert requests.get(url.replace("report.tsv", "report.csv"), timeout=10).status_code == 403
        # AWS Knowledge Center, "presigned-url-s3-bucket-expiration": a URL signed with temporary credentials
        # expires when they do, even though X-Amz-Expires says an hour.
        aws.iam.clock = lambda: now + datetime.timedelta(seconds=901)
        answer = requests.get(url, timeout=10)
        assert answer.status_code == 400 and b"ExpiredToken" in answer.content
    finally:
        aws.iam.clock = real_clock
    short = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "report.tsv"}, ExpiresIn=60
    )
    aws.iam.clock = lambda: now + datetime.timedelta(seconds=120)
    try:
        answer = requests.get(short, timeout=10)
        assert answer.status_code == 403 and b"Request has expired" in answer.content
    finally:
        aws.iam.clock = real_clock


def test_role_chaining_is_limited_to_one_hour(aws, roles):
    # IAM User Guide, "Roles terms and concepts": "Role chaining limits your AWS CLI or AWS API role session
    # to a maximum of one hour ... If you specify a value higher than one hour, the operation fails."
    iam = aws.boto3_client("iam")
    target = iam.create_role(
        RoleName="authz-chained",
        MaxSessionDuration=43200,
        AssumeRolePolicyDocument=_policy(
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{aws.account_id}:root"},
                "Action": "sts:AssumeRole",
            }
        ),
    )["Role"]["Arn"]
    sts = roles.client(roles.session(_allow("sts:AssumeRole", target)), "sts")
    assert _code(lambda: sts.assume_role(RoleArn=target, RoleSessionName="ss", DurationSeconds=7200)) == (
        "ValidationError"
    )
    assert _code(lambda: sts.assume_role(RoleArn=target, RoleSessionName="ss", DurationSeconds=3600)) == "OK"
    # Root is not chaining: it may ask for the role's whole maximum.
    assert (
        _code(
            lambda: aws.boto3_client("sts").assume_role(
                RoleArn=target, RoleSessionName="ss", DurationSeconds=7200
            )
        )
        == "OK"
    )


def test_unknown_keys_and_expired_sessions_are_refused(aws, roles):
    unknown = boto3.client(
        "dynamodb",
        endpoint_url=aws.endpoint_url,
        region_name=aws.region,
        aws_access_key_id="AKIAUNKNOWNKEY000000",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 1}),
    )
    assert _code(unknown.list_tables) == "UnrecognizedClientException"
    session = roles.session(_allow("dynamodb:ListTables", "*"), duration=900)
    client = roles.client(session, "dynamodb")
    assert _code(client.list_tables) == "OK"
    real_clock = aws.iam.clock
    aws.iam.clock = lambda: real_clock() + datetime.timedelta(seconds=901)
    try:
        assert _code(client.list_tables) == "ExpiredTokenException"
    finally:
        aws.iam.clock = real_clock


def test_every_decision_is_counted_per_principal(aws, roles):
    before = aws.iam.decisions()
    client = roles.client(roles.session(_allow("dynamodb:ListTables", "*")), "dynamodb")
    client.list_tables()
    _code(lambda: client.describe_table(TableName=TABLE))
    after = aws.iam.decisions() - before
    name = f"authz-role-{roles.count}"
    assert {(d.principal, d.action, d.allowed): n for d, n in after.items() if d.principal == name} == {
        (name, "dynamodb:ListTables", True): 1,
        (name, "dynamodb:DescribeTable", False): 1,
    }


# -- SP-API's account delivering to an encrypted queue ------------------------------------------------------


def test_spapi_delivers_only_where_the_queue_policy_and_the_key_policy_let_its_account(aws):
    # SQS Developer Guide, "Key management": a producer needs kms:GenerateDataKey and kms:Decrypt on the
    # queue's key; cross-account, both the queue policy and the key policy must name SP-API's account
    # (IAM User Guide, "Cross-account policy evaluation logic").
    account, spapi = aws.account_id, "arn:aws:iam::437568002678:root"
    kms = aws.boto3_client("kms")
    statement = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:*"}
    spapi_use = {
        "Effect": "Allow",
        "Principal": {"AWS": spapi},
        "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
        "Resource": "*",
        "Condition": {"StringEquals": {"kms:ViaService": "sqs.us-east-1.amazonaws.com"}},
    }
    open_key = kms.create_key(Policy=_policy({**statement, "Resource": "*"}, spapi_use))["KeyMetadata"]["Arn"]
    closed_key = kms.create_key(Policy=_policy({**statement, "Resource": "*"}))["KeyMetadata"]["Arn"]
    sqs = aws.boto3_client("sqs")
    send = aws.spapi_sender_client("sqs")

    def queue(name: str, key: str, allow_spapi: bool) -> str:
        url = sqs.create_queue(QueueName=name, Attributes={"KmsMasterKeyId": key})["QueueUrl"]
        arn = f"arn:aws:sqs:us-east-1:{account}:{name}"
        if allow_spapi:
            policy = _policy(
                {"Effect": "Allow", "Principal": {"AWS": spapi}, "Action": "sqs:SendMessage", "Resource": arn}
            )
            sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})
        return url

    assert (
        _code(lambda: send.send_message(QueueUrl=queue("spapi-ok", open_key, True), MessageBody="{}")) == "OK"
    )
    for name, key, allow in (("spapi-no-policy", open_key, False), ("spapi-closed-key", closed_key, True)):
        code = _code(
            lambda name=name, key=key, allow=allow: send.send_message(
                QueueUrl=queue(name, key, allow), MessageBody="{}"
            )
        )
        assert code in ("AccessDenied", "AccessDeniedException"), (name, code)


def test_a_deleted_queue_answers_queue_does_not_exist_not_a_server_error(aws):
    # Amazon SQS API reference, GetQueueAttributes, Errors: "QueueDoesNotExist - Ensure that the QueueUrl is
    # correct and that the queue has not been deleted." (HTTP 400). terraform destroy polls GetQueueAttributes
    # until it gets this answer; a 500 instead kept it waiting until its 3-minute timeout.
    sqs = aws.boto3_client("sqs")
    url = sqs.create_queue(QueueName="authz-deleted")["QueueUrl"]
    sqs.delete_queue(QueueUrl=url)

    with pytest.raises(ClientError) as error:
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])

    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "NonExistentQueue" in error.value.response["Error"]["Code"] or "QueueDoesNotExist" in str(
        error.value
    )


def test_a_topic_policy_limits_subscriptions_by_protocol(aws):
    # The stack's topic policy denies subscriptions whose sns:Protocol is not allowed (terraform/modules/
    # state_machine): local SNS gives Subscribe its sns:Protocol key, so the Deny applies here as on AWS.
    sns = aws.boto3_client("sns")
    topic_arn = sns.create_topic(Name="authz-topic")["TopicArn"]
    deny_other_protocols = {
        "Sid": "SubscribeByEmailOnly",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "sns:Subscribe",
        "Resource": topic_arn,
        "Condition": {"StringNotEquals": {"sns:Protocol": ["email"]}},
    }
    sns.set_topic_attributes(
        TopicArn=topic_arn, AttributeName="Policy", AttributeValue=_policy(deny_other_protocols)
    )
    try:
        assert _code(
            lambda: sns.subscribe(TopicArn=topic_arn, Protocol="https", Endpoint="https://example.com/hook")
        ) == ("AuthorizationError")  # SNS's code for a refused request
        assert (
            _code(lambda: sns.subscribe(TopicArn=topic_arn, Protocol="email", Endpoint="a@example.com"))
            == "OK"
        )
    finally:
        sns.delete_topic(TopicArn=topic_arn)


# -- S3: multi-object delete -------------------------------------------------------------------------------

# S3 API Reference, DeleteObjects: "s3:DeleteObject - To delete an object from a bucket, you must always
# specify the s3:DeleteObject permission. s3:DeleteObjectVersion - To delete a specific version of an object
# from a versioning-enabled bucket, you must specify the s3:DeleteObjectVersion permission." Authorised per
# key, on the object's ARN.
_OBJECTS = f"arn:aws:s3:::{BUCKET}/*"
_SELLER_OBJECTS = f"arn:aws:s3:::{BUCKET}/seller-a/*"


@pytest.mark.parametrize(
    ("case", "actions", "resource", "by_version", "expected"),
    [
        ("DeleteObject on the objects, keys without versions", ["s3:DeleteObject"], _OBJECTS, False, "OK"),
        (
            "DeleteObjectVersion alone, keys without versions",
            ["s3:DeleteObjectVersion"],
            _OBJECTS,
            False,
            "AccessDenied",
        ),
        ("DeleteObject alone, versions named", ["s3:DeleteObject"], _OBJECTS, True, "AccessDenied"),
        ("both, versions named", ["s3:DeleteObject", "s3:DeleteObjectVersion"], _OBJECTS, True, "OK"),
        (
            "both, but only on another prefix than one of the keys",
            ["s3:DeleteObject", "s3:DeleteObjectVersion"],
            _SELLER_OBJECTS,
            True,
            "AccessDenied",
        ),
        (
            "both on the bucket's ARN, not its objects",
            ["s3:DeleteObject", "s3:DeleteObjectVersion"],
            f"arn:aws:s3:::{BUCKET}",
            True,
            "AccessDenied",
        ),
    ],
)
def test_delete_objects_is_authorised_per_key_and_per_version(
    aws, roles, bucket, data_key, case, actions, resource, by_version, expected
):
    root = aws.boto3_client("s3")
    root.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    keys = ["seller-a/one.txt", "seller-b/two.txt"]
    versions = [root.put_object(Bucket=bucket, Key=key, Body=b"x")["VersionId"] for key in keys]
    objects = [
        {"Key": key, "VersionId": version} if by_version else {"Key": key}
        for key, version in zip(keys, versions, strict=True)
    ]
    s3 = roles.client(roles.session(_allow(actions, resource), _via_s3(data_key, "kms:Decrypt")), "s3")
    assert _code(lambda: s3.delete_objects(Bucket=bucket, Delete={"Objects": objects})) == expected, case
