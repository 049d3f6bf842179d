"""The emulator deployed as a Lambda (spapi_emulator.lambda_function) in local AWS: what only a deployment
has - state in S3 with conditional writes, shared by concurrent containers; reports that finish and notify
with nobody calling; documents bigger than a function URL answer, through the bucket; the control routes'
refusals."""

from __future__ import annotations

import gzip
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from sp_reports_harness.local_aws import LocalAws
from spapi_emulator.document_charsets import content_type, served_charset
from spapi_emulator.remote_control import ControlError
from spapi_emulator.state_in_s3 import StateStore
from tests.support.canaries import REFRESH_TOKEN, assert_no_secrets
from tests.support.deployed_emulator import DeployedEmulator, deploy_emulator
from tests.support.emulator_api import LISTINGS, US

# Lambda quotas ("Invocation payload (request and response)"): 6 MB for a synchronous invocation's request
# and response, which is what a function URL's request and answer are.
FUNCTION_URL_PAYLOAD_LIMIT = 6 * 1024 * 1024


def _seller(deployed: DeployedEmulator) -> requests.Session:
    return deployed.session(deployed.token(grant_type="refresh_token", refresh_token=REFRESH_TOKEN))


def _create_report(seller: requests.Session, deployed: DeployedEmulator) -> str:
    response = seller.post(
        deployed.base_url + "/reports/2021-06-30/reports",
        json={"reportType": LISTINGS, "marketplaceIds": [US]},
        timeout=60,
    )
    assert response.status_code == 202, response.text
    return response.json()["reportId"]


def test_a_report_finishes_and_notifies_with_nobody_calling(module_local_aws, emulator_code):
    deployed = deploy_emulator(module_local_aws, emulator_code, in_queue_seconds=0.5, in_progress_seconds=0.5)
    seller = _seller(deployed)
    grantless = deployed.session(
        deployed.token(grant_type="client_credentials", scope="sellingpartnerapi::notifications")
    )
    destination = grantless.post(
        deployed.base_url + "/notifications/v1/destinations",
        json={"name": "reports", "resourceSpecification": {"sqs": {"arn": deployed.queue_arn}}},
        timeout=60,
    ).json()["payload"]["destinationId"]
    subscribed = seller.post(
        deployed.base_url + "/notifications/v1/subscriptions/REPORT_PROCESSING_FINISHED",
        json={"payloadVersion": "1.0", "destinationId": destination},
        timeout=60,
    )
    assert subscribed.status_code == 200, subscribed.text

    report_id = _create_report(seller, deployed)
    delivered = deployed.delivered(wait_seconds=60)  # nothing calls the emulator meanwhile

    (message,) = [json.loads(body) for body in delivered]
    finished = message["payload"]["reportProcessingFinishedNotification"]
    assert (finished["reportId"], finished["processingStatus"]) == (report_id, "DONE")
    control = deployed.control()
    assert control.report(report_id).processing_status == "DONE"
    assert control.notification_errors() == [] and control.contract_violations() == []


def test_concurrent_requests_all_land_in_the_stored_state(module_local_aws, emulator_code):
    deployed = deploy_emulator(module_local_aws, emulator_code)
    seller = _seller(deployed)

    with ThreadPoolExecutor(max_workers=4) as pool:
        report_ids = list(pool.map(lambda _: _create_report(seller, deployed), range(6)))

    control = deployed.control()
    assert len(set(report_ids)) == 6
    assert {control.report(report_id).processing_status for report_id in report_ids} == {"IN_QUEUE"}
    created = [e for e in control.exchanges() if e.operation_id == "createReport"]
    assert len(created) == 6


def test_a_document_bigger_than_a_function_url_answer_goes_through_the_bucket(
    module_local_aws, emulator_code
):
    deployed = deploy_emulator(module_local_aws, emulator_code)
    seller = _seller(deployed)
    report_id = _create_report(seller, deployed)
    line = b"item-name\tseller-sku\tprice\n"
    content = line * (FUNCTION_URL_PAYLOAD_LIMIT // len(line) + 4096)
    assert len(content) > FUNCTION_URL_PAYLOAD_LIMIT
    control = deployed.control()

    control.set_report_document(report_id, content)
    control.finish_report(report_id)

    document_id = control.report(report_id).report_document_id
    served = seller.get(deployed.base_url + f"/reports/2021-06-30/documents/{document_id}", timeout=60).json()
    download = requests.get(served["url"], timeout=60)  # presigned: no signature of ours
    assert download.status_code == 200
    # The charset as SP-API names it for the US marketplace, on the object itself.
    assert download.headers["Content-Type"] == content_type(served_charset(LISTINGS, [US]).label)
    assert served["compressionAlgorithm"] == "GZIP" and gzip.decompress(download.content) == content
    assert control.document(document_id).plain == content


BAD_BASE64 = "document: base64 is required"


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "message"),
    [
        ("POST", "sellers", {"seller_id": "A1"}, 400, "refresh_token: a non-empty string is required"),
        ("POST", "reports/123/finish", {}, 400, "status: a non-empty string is required"),
        ("POST", "reports/123/finish", {"status": "DONE"}, 404, "unknown report 123"),
        ("POST", "reports/1/finish", {"status": "DONE", "document": "!"}, 400, BAD_BASE64),
        ("GET", "documents/nope", None, 404, "unknown report document nope"),
        ("GET", "nothing-here", None, 404, "no control route GET /_emulator/v1/nothing-here"),
    ],
)
def test_the_control_routes_refuse_bad_requests_saying_what_to_fix(
    module_local_aws, emulator_code, method, path, body, status, message
):
    deployed = _shared_deployment(module_local_aws, emulator_code)
    control = deployed.control()
    response = control.session.request(
        method, control.base_url + path, data=None if body is None else json.dumps(body), timeout=60
    )

    assert (response.status_code, response.json()) == (status, {"message": message})


def test_the_control_routes_refuse_an_unsigned_request(module_local_aws, emulator_code):
    deployed = _shared_deployment(module_local_aws, emulator_code)

    response = requests.get(deployed.base_url + "/_emulator/v1/exchanges", timeout=60)

    assert response.status_code == 403


def test_a_finish_the_emulator_refuses_is_a_control_error(module_local_aws, emulator_code):
    deployed = _shared_deployment(module_local_aws, emulator_code)
    report_id = _create_report(_seller(deployed), deployed)
    control = deployed.control()
    control.finish_report(report_id, "CANCELLED")

    with pytest.raises(ControlError, match="already CANCELLED"):
        control.finish_report(report_id, "DONE")


_SHARED: dict[int, DeployedEmulator] = {}


def _shared_deployment(local_aws: LocalAws, code: bytes) -> DeployedEmulator:
    if id(local_aws) not in _SHARED:
        _SHARED[id(local_aws)] = deploy_emulator(local_aws, code)
    return _SHARED[id(local_aws)]


# S3 conditional writes (S3 User Guide, "How to prevent object overwrites with conditional writes"):
# If-None-Match: * fails when the key exists, If-Match fails when the ETag differs; both 412. Local AWS's
# moto honours both on PutObject (an AWS rule our state store depends on, so it is held here).
CONDITIONAL_WRITE_CASES = [
    ("first write, nothing stored", False, None, True),
    ("first write, already stored", True, None, False),
    ("If-Match the stored ETag", True, "current", True),
    ("If-Match a stale ETag", True, "stale", False),
]


@pytest.mark.parametrize(
    ("case", "stored", "etag", "saved"), CONDITIONAL_WRITE_CASES, ids=[c[0] for c in CONDITIONAL_WRITE_CASES]
)
def test_the_state_is_saved_only_over_what_was_loaded(module_local_aws, case, stored, etag, saved):
    s3 = module_local_aws.boto3_client("s3")
    bucket = f"state-{uuid.uuid4().hex}"
    s3.create_bucket(Bucket=bucket)
    store = StateStore(s3, bucket)
    if stored:
        store.save({"generation": 1}, None)  # type: ignore[arg-type]
    loaded_etag = store.load()[1]
    condition = {"current": loaded_etag, "stale": '"0123456789abcdef0123456789abcdef"', None: None}[etag]

    assert store.save({"generation": 2}, condition) is saved  # type: ignore[arg-type]
    assert store.load()[0] == {"generation": 2 if saved else 1}


def test_reports_stay_put_between_requests_on_the_wall_clock(module_local_aws, emulator_code):
    """The lifecycle runs on the wall clock across containers: a report created long enough ago has moved
    on at the next request, whichever container serves it."""
    deployed = deploy_emulator(module_local_aws, emulator_code, in_queue_seconds=1, in_progress_seconds=60)
    seller = _seller(deployed)
    report_id = _create_report(seller, deployed)
    time.sleep(1.5)

    assert deployed.control().report(report_id).processing_status == "IN_PROGRESS"


def test_the_functions_logs_hold_no_secret(module_local_aws, emulator_code):
    """Tokens, the client secret, RDTs and presigned URLs pass through the function; none reaches its log."""
    deployed = deploy_emulator(module_local_aws, emulator_code)
    access_token = deployed.token(grant_type="refresh_token", refresh_token=REFRESH_TOKEN)
    seller = deployed.session(access_token)
    report_id = _create_report(seller, deployed)
    path = f"/reports/2021-06-30/reports/{report_id}"
    rdt = seller.post(
        deployed.base_url + "/tokens/2021-03-01/restrictedDataToken",
        json={"restrictedResources": [{"method": "GET", "path": path}]},
        timeout=60,
    ).json()["restrictedDataToken"]
    control = deployed.control()
    control.finish_report(report_id)
    document_id = control.report(report_id).report_document_id
    served = seller.get(deployed.base_url + f"/reports/2021-06-30/documents/{document_id}", timeout=60).json()
    control.document(document_id)
    seller.get(deployed.base_url + "/reports/2021-06-30/reports/nope", timeout=60)  # an error answer too

    logs = module_local_aws.boto3_client("logs").filter_log_events(
        logGroupName=f"/aws/lambda/{deployed.function_name}"
    )["events"]
    text = "\n".join(event["message"] for event in logs)
    assert "START RequestId" in text  # the log is there
    assert_no_secrets(text, access_token, rdt, served["url"].split("?", 1)[1])
