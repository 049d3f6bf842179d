"""What a request to local AWS is about: its resource ARNs, its resource policy and its condition keys.

IAM evaluates a request against the resource it names and the condition keys it carries (IAM User Guide,
"Policy evaluation logic: the request context"). Pinned moto authorises every non-S3 call against the resource
``*``, so a role whose policy names its own table is refused and one allowed ``*`` is never noticed. Here each
service this stack calls gets its resource from the request, as the Service Authorization Reference lists it
for the action (DynamoDB: table; KMS: key; Secrets Manager: secret; SNS: topic; SQS: queue; Step Functions:
state machine or execution; STS AssumeRole: role). A call whose resource we cannot name is refused, not
guessed: local AWS fails closed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

PARTITION = "aws"

# Conditions every request carries. Local AWS stands in for AWS's TLS endpoints (SDKs use HTTPS by default),
# so aws:SecureTransport is "true" (IAM User Guide, "AWS global condition context keys": aws:SecureTransport).
GLOBAL_CONTEXT = {"aws:SecureTransport": "true"}

# Encryption headers S3 exposes as condition keys (S3 User Guide, "Amazon S3 condition key examples":
# s3:x-amz-server-side-encryption and s3:x-amz-server-side-encryption-aws-kms-key-id come from the request's
# headers, so a request without the header has no such key).
S3_HEADER_KEYS = ("x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id")


class UnknownResource(Exception):
    """Local AWS cannot tell which resource a call acts on, so it refuses the call."""


@dataclass(frozen=True)
class RequestSubject:
    """The resources of one request, their resource policy, and the request's condition keys."""

    resources: tuple[str, ...]
    resource_policy: Any = None
    resource_kind: str = "other"  # "kms_key" when the policy is a key policy (KMS rules differ)
    context: Mapping[str, Any] = field(default_factory=dict)


def _param(response: Any, name: str) -> Any:
    value = response._get_param(name)
    if value is None and isinstance(getattr(response, "body", None), str | bytes):
        try:
            value = json.loads(response.body or "{}").get(name)
        except (ValueError, AttributeError):
            value = None
    return value


def subject_of(response: Any, service: str, action: str, moto_resource: str) -> RequestSubject:
    """The subject of a request ``response`` (moto's BaseResponse) for ``service:action``."""
    resolver = _RESOLVERS.get(service)
    if resolver is None:
        raise UnknownResource(f"local AWS does not know the resources of {service}:{action}")
    return resolver(response, action, moto_resource)


def _account_and_region(response: Any) -> tuple[str, str]:
    return response.current_account, response.region


def _dynamodb(response: Any, action: str, _: str) -> RequestSubject:
    from sp_reports_harness.local_aws.moto_internals import dynamodb_backends

    account, region = _account_and_region(response)
    names: list[str] = []
    if _param(response, "TableName"):
        names.append(_param(response, "TableName"))
    for item in _param(response, "TransactItems") or []:
        for operation in item.values():
            names.append(operation["TableName"])
    for table in _param(response, "RequestItems") or {}:
        names.append(table)
    if not names and action in ("ListTables", "DescribeLimits", "DescribeEndpoints"):
        return RequestSubject(("*",))
    if not names:
        raise UnknownResource(f"dynamodb:{action} names no table")
    backend = dynamodb_backends[account][region]
    resources = tuple(
        f"arn:{PARTITION}:dynamodb:{region}:{account}:table/{name}" for name in dict.fromkeys(names)
    )
    index = _param(response, "IndexName")
    if index:
        # A Query or Scan of a secondary index is authorised against the index's ARN, which the table's does
        # not cover: policies name both (DynamoDB Developer Guide, "IAM policy to grant access to a specific
        # DynamoDB table and its indexes": .../table/Books and .../table/Books/index/*).
        resources = tuple(f"{arn}/index/{index}" for arn in resources)
    keys = []
    leading: list[str] = []
    for name in dict.fromkeys(names):
        table = backend.tables.get(name)
        sse = getattr(table, "sse_specification", None) or {}
        if sse.get("KMSMasterKeyId"):
            keys.append(sse["KMSMasterKeyId"])
        if table is not None:
            leading += _leading_keys(table, name, response, action)
    context: dict[str, Any] = {"_encrypted_with": keys}
    if leading:
        context["dynamodb:LeadingKeys"] = list(dict.fromkeys(leading))
    return RequestSubject(resources, context=context)


def _leading_keys(table: Any, name: str, response: Any, action: str) -> list[str]:
    """The partition key values a request names: dynamodb:LeadingKeys (DynamoDB Developer Guide, "Using IAM
    policy conditions for fine-grained access control": the partition key values of the items or, for a
    Query, of the index or table queried). Nothing for a Scan, which names no partition: a ForAllValues
    condition then holds for want of values, as IAM evaluates an absent multivalued key."""
    hash_name = table.hash_key_attr
    index_name = _param(response, "IndexName")
    if index_name:
        for index in [*getattr(table, "global_indexes", []), *getattr(table, "indexes", [])]:
            if index.name == index_name:
                hash_name = next(k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH")
    items: list[Mapping[str, Any]] = []
    if action in ("GetItem", "DeleteItem", "UpdateItem"):
        items.append(_param(response, "Key") or {})
    elif action == "PutItem":
        items.append(_param(response, "Item") or {})
    elif action == "BatchGetItem":
        items += ((_param(response, "RequestItems") or {}).get(name) or {}).get("Keys", [])
    elif action == "BatchWriteItem":
        for entry in (_param(response, "RequestItems") or {}).get(name) or []:
            if "PutRequest" in entry:
                items.append(entry["PutRequest"]["Item"])
            if "DeleteRequest" in entry:
                items.append(entry["DeleteRequest"]["Key"])
    elif action in ("TransactWriteItems", "TransactGetItems"):
        for operation in _param(response, "TransactItems") or []:
            for body in operation.values():
                if body.get("TableName") == name:
                    items.append(body.get("Key") or body.get("Item") or {})
    elif action == "Query":
        return _queried_partition(hash_name, response)
    return [_scalar(item[hash_name]) for item in items if hash_name in item]


def _queried_partition(hash_name: str, response: Any) -> list[str]:
    """The partition key value of a Query's key condition (`<key> = <:value>`, with #names resolved)."""
    values = _param(response, "ExpressionAttributeValues") or {}
    aliases = _param(response, "ExpressionAttributeNames") or {}
    expression = _param(response, "KeyConditionExpression") or ""
    for left, right in re.findall(r"([#:]?[A-Za-z0-9_]+)\s*=\s*([#:]?[A-Za-z0-9_]+)", expression):
        for attribute, placeholder in ((left, right), (right, left)):
            if aliases.get(attribute, attribute) == hash_name and placeholder in values:
                return [_scalar(values[placeholder])]
    conditions = (_param(response, "KeyConditions") or {}).get(hash_name) or {}
    return [_scalar(value) for value in conditions.get("AttributeValueList", [])[:1]]


def _scalar(value: Mapping[str, Any]) -> str:
    """A key attribute value ({"S": ...}, {"N": ...} or {"B": ...}) as the text a condition compares."""
    return str(next(iter(value.values())))


def _kms(response: Any, action: str, _: str) -> RequestSubject:
    from sp_reports_harness.local_aws.moto_internals import kms_backends

    account, region = _account_and_region(response)
    key_id = _param(response, "KeyId")
    if not key_id:
        if action in ("ListKeys", "ListAliases", "CreateKey", "GenerateRandom"):
            return RequestSubject(("*",))
        raise UnknownResource(f"kms:{action} names no key")
    backend = kms_backends[account][region]
    key = backend.describe_key(key_id)
    context: dict[str, Any] = {"kms:CallerAccount": account}
    encryption_context = _param(response, "EncryptionContext") or {}
    if encryption_context:
        # KMS Developer Guide, "kms:EncryptionContext:context-key" and "kms:EncryptionContextKeys".
        context["kms:EncryptionContextKeys"] = list(encryption_context)
        for name, value in encryption_context.items():
            context[f"kms:EncryptionContext:{name}"] = value
    return RequestSubject((key.arn,), resource_policy=key.policy, resource_kind="kms_key", context=context)


def _secretsmanager(response: Any, action: str, _: str) -> RequestSubject:
    from sp_reports_harness.local_aws.moto_internals import secretsmanager_backends

    account, region = _account_and_region(response)
    secret_id = _param(response, "SecretId")
    if not secret_id:
        if action in ("ListSecrets", "GetRandomPassword", "CreateSecret", "BatchGetSecretValue"):
            return RequestSubject(("*",))
        raise UnknownResource(f"secretsmanager:{action} names no secret")
    secret = secretsmanager_backends[account][region].describe_secret(secret_id)
    key = getattr(secret, "kms_key_id", None)
    encrypted_with = [key] if key and not str(key).startswith("alias/aws/") else []
    return RequestSubject(
        (secret.arn,),
        resource_policy=getattr(secret, "policy", None),
        context={"_encrypted_with": encrypted_with},
    )


def _sns(response: Any, action: str, _: str) -> RequestSubject:
    from sp_reports_harness.local_aws.moto_internals import sns_backends

    account, region = _account_and_region(response)
    topic_arn = _param(response, "TopicArn") or _param(response, "TargetArn")
    if not topic_arn:
        if action in ("ListTopics", "ListSubscriptions", "CreateTopic"):
            return RequestSubject(("*",))
        raise UnknownResource(f"sns:{action} names no topic")
    topic = sns_backends[account][region].get_topic(topic_arn)
    key = getattr(topic, "kms_master_key_id", "") or ""
    encrypted_with = [key] if key and not key.startswith("alias/aws/") else []
    context: dict[str, Any] = {"_encrypted_with": encrypted_with}
    if action == "Subscribe":
        # The condition keys of Subscribe: the subscription's protocol and endpoint (Service Authorization
        # Reference, "Actions, resources, and condition keys for Amazon SNS": sns:Protocol, sns:Endpoint;
        # https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsns.html).
        for key_name, parameter in (("sns:Protocol", "Protocol"), ("sns:Endpoint", "Endpoint")):
            value = _param(response, parameter)
            if value is not None:
                context[key_name] = value
    return RequestSubject((topic_arn,), resource_policy=getattr(topic, "policy", None), context=context)


def _sqs(response: Any, action: str, _: str) -> RequestSubject:
    from sp_reports_harness.local_aws.moto_internals import sqs_backends

    account, region = _account_and_region(response)
    queue_url = _param(response, "QueueUrl")
    if not queue_url:
        if action in ("ListQueues", "CreateQueue", "GetQueueUrl"):
            return RequestSubject(("*",))
        raise UnknownResource(f"sqs:{action} names no queue")
    name = queue_url.rstrip("/").rsplit("/", 1)[-1]
    queue = sqs_backends[account][region].queues.get(name)
    if queue is None:
        # A deleted or never created queue: authorise against its ARN, then SQS's own answer follows
        # (QueueDoesNotExist), as `terraform destroy` expects while it waits for a deleted queue to be gone.
        return RequestSubject((f"arn:aws:sqs:{region}:{account}:{name}",))
    key = getattr(queue, "kms_master_key_id", None) or ""
    encrypted_with = [key] if key and not key.startswith("alias/aws/") else []
    return RequestSubject(
        (queue.queue_arn,), resource_policy=queue.policy, context={"_encrypted_with": encrypted_with}
    )


def _states(response: Any, action: str, _: str) -> RequestSubject:
    arn = (
        _param(response, "stateMachineArn")
        or _param(response, "executionArn")
        or _param(response, "mapRunArn")
        or _param(response, "activityArn")
    )
    if not arn:
        if action in (
            "ListStateMachines",
            "ListActivities",
            "CreateStateMachine",
            "ValidateStateMachineDefinition",
        ):
            return RequestSubject(("*",))
        raise UnknownResource(f"states:{action} names no state machine or execution")
    return RequestSubject((arn,))


def _lambda(response: Any, action: str, _: str) -> RequestSubject:
    """Invoke acts on the function (Service Authorization Reference, AWS Lambda: InvokeFunction's resource
    is `function`, arn:aws:lambda:region:account:function:name[:qualifier]). The path names it by name,
    ARN or partial ARN (Lambda API reference, Invoke: FunctionName). Other Lambda calls (Terraform's, by the
    account root) stay unknown. The function's resource-based policy is not consulted: a caller of this
    account is allowed by its identity policy, which is what our schedule's role uses."""
    if action != "Invoke":
        raise UnknownResource(f"lambda:{action} is not resolved by local AWS")
    account, region = _account_and_region(response)
    segments = response.path.split("/")
    name = segments[segments.index("functions") + 1] if "functions" in segments else ""
    name = unquote(name)
    if not name:
        raise UnknownResource("lambda:Invoke names no function")
    if name.startswith("arn:"):
        arn = name
    else:
        function = name.split(":")[-1] if name.count(":") >= 2 else name.split(":")[0]
        arn = f"arn:{PARTITION}:lambda:{region}:{account}:function:{function}"
    qualifier = response.querystring.get("Qualifier", [None])[0] if hasattr(response, "querystring") else None
    return RequestSubject((f"{arn}:{qualifier}" if qualifier else arn,))


def _sts(response: Any, action: str, _: str) -> RequestSubject:
    from sp_reports_harness.local_aws.moto_internals import iam_backends

    account, _region = _account_and_region(response)
    role_arn = _param(response, "RoleArn")
    if not role_arn:
        return RequestSubject(("*",))
    # The role's trust policy is the resource policy of sts:AssumeRole (IAM User Guide, "Roles terms and
    # concepts": trust policy).
    role_name = role_arn.rsplit("/", 1)[-1]
    role = iam_backends[account][PARTITION].get_role(role_name)
    return RequestSubject(
        (role_arn,), resource_policy=trust_policy(role.assume_role_policy_document, role_arn)
    )


def trust_policy(document: str | Mapping[str, Any], role_arn: str) -> dict[str, Any]:
    """A role's trust policy as a resource policy of the role. Trust policies name no Resource: the role they
    are attached to is it (IAM User Guide, "IAM JSON policy elements: Resource": "In IAM roles, the
    Resource element is not used in the role trust policy")."""
    policy = json.loads(document) if isinstance(document, str) else dict(document)
    statements = policy.get("Statement", [])
    statements = [statements] if isinstance(statements, dict) else statements
    return {
        **policy,
        "Statement": [
            statement
            if "Resource" in statement or "NotResource" in statement
            else {**statement, "Resource": role_arn}
            for statement in statements
        ],
    }


def _s3(response: Any, action: str, moto_resource: str) -> RequestSubject:
    from sp_reports_harness.local_aws.moto_internals import s3_backends

    account = response.current_account
    context: dict[str, Any] = {}
    for header in S3_HEADER_KEYS:
        value = response.headers.get(header)
        if value is not None:
            context[f"s3:{header}"] = value
    prefix = (response.querystring or {}).get("prefix") if hasattr(response, "querystring") else None
    if prefix:
        context["s3:prefix"] = prefix[0] if isinstance(prefix, list) else prefix
    bucket_name = moto_resource.split(":::", 1)[-1].split("/", 1)[0]
    resources: tuple[str, ...] = (moto_resource,)
    deleted = multi_object_delete_keys(response)
    if deleted is not None:
        # DeleteObjects is authorised per key, as a DeleteObject of each (S3 API Reference, DeleteObjects:
        # "s3:DeleteObject - To delete an object from a bucket, you must always specify the s3:DeleteObject
        # permission"), not on the bucket moto names.
        resources = tuple(dict.fromkeys(f"arn:aws:s3:::{bucket_name}/{key}" for key, _version in deleted))
    policy = None
    if bucket_name and bucket_name != "*":
        try:
            bucket = s3_backends[account][PARTITION].get_bucket(bucket_name)
        except Exception:  # NoSuchBucket: S3 answers it after authorisation
            bucket = None
        if bucket is not None and bucket.policy:
            policy = bucket.policy.decode() if isinstance(bucket.policy, bytes) else bucket.policy
    return RequestSubject(resources or (moto_resource,), resource_policy=policy, context=context)


def multi_object_delete_keys(response: Any) -> list[tuple[str, str | None]] | None:
    """(key, version id) of each object a DeleteObjects request (POST /?delete) names; None for any other
    request."""
    import xml.etree.ElementTree as ElementTree
    from urllib.parse import parse_qsl, urlparse

    query = dict(parse_qsl(urlparse(response.uri).query, keep_blank_values=True))
    if response.method.upper() != "POST" or "delete" not in query:
        return None
    body = response.body if isinstance(response.body, bytes) else (response.body or "").encode()
    root = ElementTree.fromstring(body)  # noqa: S314
    deleted = []
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] != "Object":
            continue
        fields = {child.tag.rsplit("}", 1)[-1]: child.text for child in element}
        if fields.get("Key"):
            deleted.append((fields["Key"], fields.get("VersionId")))
    return deleted


_RESOLVERS = {
    "dynamodb": _dynamodb,
    "lambda": _lambda,
    "kms": _kms,
    "secretsmanager": _secretsmanager,
    "sns": _sns,
    "sqs": _sqs,
    "states": _states,
    "sts": _sts,
    "s3": _s3,
}
