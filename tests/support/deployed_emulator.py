"""The SP-API emulator deployed in local AWS as issue 15 deploys it in an account: a Lambda
(``spapi_emulator.lambda_function.handler``) behind an AWS_IAM function URL, its state bucket, a queue for its
notifications. Tests reach it as the acceptance run does: requests signed with SigV4 for ``lambda``."""

from __future__ import annotations

import json
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import boto3
import requests

import lambda_bytecode
import package_lambdas
from sp_reports.handlers._endpoint_auth import SigV4RequestAuth
from sp_reports_harness.local_aws import LocalAws
from sp_reports_harness.repository import REPO_ROOT
from spapi_emulator.remote_control import RemoteEmulatorControl
from tests.support.canaries import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, SELLER_ID
from tests.support.emulator_api import USER_AGENT

ACCOUNT = "123456789012"
REGION = "us-east-1"


def emulator_zip(models_dir: Path) -> bytes:
    """spapi_emulator.zip as scripts/package_lambdas.py --emulator builds it (the libraries installed from
    their hash-pinned lock for the runtime once, cached in .build like the functions' dependencies)."""
    target = package_lambdas.target_from_terraform(REPO_ROOT / "terraform")
    requirements = package_lambdas.emulator_requirements(REPO_ROOT / "pyproject.toml")
    deps = package_lambdas.install_locked(
        package_lambdas.EMULATOR_LOCK_FILE, target, REPO_ROOT / ".build", requirements
    )
    python, _tried = lambda_bytecode.find_runtime_python(target.python_version, None)
    with tempfile.TemporaryDirectory(prefix="emulator-zip-") as out:
        built = package_lambdas.build_emulator(
            Path(out), src_dir=REPO_ROOT / "src", models_dir=models_dir, deps_dir=deps, runtime_python=python
        )
        return built.read_bytes()


@dataclass
class DeployedEmulator:
    local_aws: LocalAws
    function_name: str
    function_url: str
    bucket: str
    queue_url: str
    queue_arn: str

    @property
    def aws_session(self) -> boto3.Session:
        return boto3.Session(
            aws_access_key_id=self.local_aws.access_key_id,
            aws_secret_access_key=self.local_aws.secret_access_key,
            region_name=REGION,
        )

    def control(self) -> RemoteEmulatorControl:
        return RemoteEmulatorControl(self.function_url, self.aws_session)

    @property
    def base_url(self) -> str:
        return self.function_url.rstrip("/")

    def session(self, access_token: str | None = None) -> requests.Session:
        session = requests.Session()
        session.auth = SigV4RequestAuth(self.aws_session.get_credentials(), REGION)
        session.headers["user-agent"] = USER_AGENT
        if access_token:
            session.headers["x-amz-access-token"] = access_token
        return session

    def token(self, **grant: str) -> str:
        response = self.session().post(
            self.base_url + "/auth/o2/token",
            data={**grant, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def delivered(self, wait_seconds: float = 0.0) -> list[str]:
        """The bodies of the notifications in the queue (received and deleted)."""
        sqs = self.local_aws.boto3_client("sqs")
        bodies: list[str] = []
        deadline = time.monotonic() + wait_seconds
        while True:
            messages = sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
            ).get("Messages", [])
            for message in messages:
                bodies.append(message["Body"])
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
            if not messages and (bodies or time.monotonic() >= deadline):
                return bodies


def deploy_emulator(
    local_aws: LocalAws, code: bytes, *, in_queue_seconds: float = 30, in_progress_seconds: float = 30
) -> DeployedEmulator:
    """Deploy the emulator with its bucket and a queue; its app and seller registered through the control
    routes, as the acceptance run registers them."""
    suffix = uuid.uuid4().hex[:8]
    name, queue = f"spapi-emulator-{suffix}", f"notifications-{suffix}"
    bucket = f"spapi-emulator-state-{suffix}"
    s3, sqs, iam = (local_aws.boto3_client(s) for s in ("s3", "sqs", "iam"))
    s3.create_bucket(Bucket=bucket)
    queue_url = sqs.create_queue(QueueName=queue)["QueueUrl"]
    queue_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue}"
    function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": f"arn:aws:s3:::{bucket}/*",
            },
            {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}"},
            {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": queue_arn},
            {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": function_arn},
        ],
    }
    iam.put_role_policy(RoleName=name, PolicyName="emulator", PolicyDocument=json.dumps(policy))
    client = local_aws.boto3_client("lambda")
    client.create_function(
        FunctionName=name,
        Runtime="python3.13",
        Role=role,
        Handler="spapi_emulator.lambda_function.handler",
        Code={"ZipFile": code},
        Timeout=120,
        MemorySize=1024,
        Environment={
            "Variables": {
                "SPAPI_EMULATOR_STATE_BUCKET": bucket,
                "SPAPI_EMULATOR_IN_QUEUE_SECONDS": str(in_queue_seconds),
                "SPAPI_EMULATOR_IN_PROGRESS_SECONDS": str(in_progress_seconds),
            }
        },
    )
    url = client.create_function_url_config(FunctionName=name, AuthType="AWS_IAM")["FunctionUrl"]
    deployed = DeployedEmulator(local_aws, name, url, bucket, queue_url, queue_arn)
    control = deployed.control()
    control.register_app(CLIENT_ID, CLIENT_SECRET)
    control.register_seller(REFRESH_TOKEN, SELLER_ID)
    return deployed
