"""REPORT_PROCESSING_FINISHED messages as SP-API puts them into our queue (camelCase, raw JSON body)."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

from tests.support.canaries import SELLER_ID


def notification(
    report_id: str = "54517018502",
    processing_status: str = "DONE",
    *,
    seller_id: str | None = SELLER_ID,
    account_id: str | None = None,
    report_type: str = "GET_MERCHANT_LISTINGS_ALL_DATA",
    report_document_id: str | None = "amzn1.tortuga.3.edbcd0d8-3434-8222-1234-52ad8ade1208.REP4567URI9BMZ",
) -> dict[str, Any]:
    report: dict[str, Any] = {
        "accountId": account_id or f"amzn1.merchant.o.{seller_id}",
        "reportId": report_id,
        "reportType": report_type,
        "processingStatus": processing_status,
    }
    if seller_id is not None:
        report["sellerId"] = seller_id
    if report_document_id is not None:
        report["reportDocumentId"] = report_document_id
    return {
        "notificationVersion": "2020-09-04",
        "notificationType": "REPORT_PROCESSING_FINISHED",
        "payloadVersion": "2020-09-04",
        "eventTime": "2024-05-02T10:15:42.118Z",
        "payload": {"reportProcessingFinishedNotification": report},
        "notificationMetadata": {
            "applicationId": "amzn1.sellerapps.app.aacccfff-4455-4b7c-4422-664ecacdd336",
            "subscriptionId": "7fcacc7e-727b-11e9-8848-1681be663d3e",
            "publishTime": "2024-05-02T10:15:42.284Z",
            "notificationId": str(uuid.uuid4()),
        },
    }


def sqs_event(*bodies: Any) -> dict[str, Any]:
    """An SQS event-source batch; each body is a dict (sent as JSON) or a raw string."""
    records = []
    for index, body in enumerate(bodies):
        records.append(
            {
                "messageId": f"message-{index}-{uuid.uuid4().hex[:8]}",
                "receiptHandle": f"handle-{index}",
                "body": body if isinstance(body, str) else json.dumps(body),
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1714644942284"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:sp-reports-notifications",
                "awsRegion": "us-east-1",
            }
        )
    return {"Records": records}


def without(document: dict[str, Any], *path: str) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    target = changed
    for name in path[:-1]:
        target = target[name]
    del target[path[-1]]
    return changed


def replaced(document: dict[str, Any], value: Any, *path: str) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    target = changed
    for name in path[:-1]:
        target = target[name]
    target[path[-1]] = value
    return changed
