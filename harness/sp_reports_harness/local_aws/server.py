"""``LocalAws``: moto's server in our own process, with the extensions the real stack needs.

    with LocalAws() as aws:
        s3 = aws.boto3_client("s3")
        subprocess.run(["terraform", "apply"], env=aws.env(os.environ))

moto runs in-process (``ThreadedMotoServer`` on 127.0.0.1, an ephemeral port by default) because our
extensions patch its classes: Step Functions actions the provider needs, Lambdas executed from their zip,
an SQS poller with partial-batch semantics, an API Gateway data plane with SigV4 and IAM checks, and echo
fixes that keep a second ``terraform plan`` clean. All of them are installed on start and removed on stop.

One ``LocalAws`` may run per process at a time: moto's backends, its configuration and ``MOTO_PORT`` (which
moto's Step Functions interpreter uses to call Lambda) are process-global. Start resets moto's state.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import boto3
from moto.server import ThreadedMotoServer
from werkzeug.serving import make_server

from sp_reports.spapi.notifications import SPAPI_NOTIFICATIONS_ACCOUNT_ID
from sp_reports_harness.local_aws.apigateway.dataplane import EXECUTE_API_PATH_PREFIX, ExecuteApiMiddleware
from sp_reports_harness.local_aws.awslambda.executor import LambdaExecutor, RoleCredentials
from sp_reports_harness.local_aws.awslambda.function_urls import FunctionUrlMiddleware
from sp_reports_harness.local_aws.awslambda.role_sessions import assume_execution_role
from sp_reports_harness.local_aws.awslambda.sqs_poller import SqsEventSourcePoller
from sp_reports_harness.local_aws.credentials import ROOT_ACCESS_KEY_ID, ROOT_SECRET_ACCESS_KEY
from sp_reports_harness.local_aws.extensions import PATCHES
from sp_reports_harness.local_aws.iam.authorization import LocalIam
from sp_reports_harness.local_aws.iam.request_principals import Caller, Credentials
from sp_reports_harness.local_aws.moto_internals import (
    DEFAULT_ACCOUNT_ID,
    DomainDispatcherApplication,
    MotoInternalsChanged,
    MotoRequestHandler,
    PatchSet,
    create_backend_app,
    default_user_config,
    lambda_backends,
    moto_api_backend,
    require_pinned_moto,
)
from sp_reports_harness.local_aws.sdk_retries import JournalEntry, SdkRetryReplay
from sp_reports_harness.local_aws.sns.sqs_delivery import SnsToSqsDelivery
from sp_reports_harness.local_aws.stepfunctions.lambda_faults import LambdaServiceFaults

_ACTIVE = threading.Lock()
_ASL_LOGGER = logging.getLogger("moto.stepfunctions.parser.asl.component.eval_component")

# SP-API sends notifications from its own account (docs/spapi-notes.md#sqs-destinations). Local AWS knows
# that account's caller by this key, so the emulator's deliveries meet the queue policy and the data key's
# policy as Amazon's do.
SPAPI_SENDER_ACCESS_KEY_ID = "AKIASPAPINOTIFYSENDER"
_SPAPI_SENDER = Caller(
    "external",
    f"arn:aws:iam::{SPAPI_NOTIFICATIONS_ACCOUNT_ID}:root",
    SPAPI_NOTIFICATIONS_ACCOUNT_ID,
    # Whatever SP-API's own account allows itself; what it may do here is for our resource policies to say.
    policies=(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": [
                            "sqs:SendMessage",
                            "sqs:GetQueueAttributes",
                            "kms:GenerateDataKey",
                            "kms:Decrypt",
                        ],
                        "Resource": "*",
                    }
                ],
            }
        ),
    ),
)

# Credentials a subprocess must not inherit next to ours (a session token would be sent with our key).
_CONFLICTING_ENV = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_DEFAULT_PROFILE")

_SERVER_ATTRIBUTES = ("_ip_address", "_port", "_server", "_server_ready_event")


class _MotoServerWithMiddleware(ThreadedMotoServer):
    """ThreadedMotoServer whose WSGI app is wrapped (the API Gateway data plane sits in front of moto)."""

    def __init__(self, ip_address: str, port: int, wrap: Callable[[Any], Any]) -> None:
        super().__init__(ip_address=ip_address, port=port, verbose=False)
        missing = [name for name in _SERVER_ATTRIBUTES if not hasattr(self, name)]
        if missing or "_server_entry" not in vars(ThreadedMotoServer):
            raise MotoInternalsChanged(
                f"ThreadedMotoServer internals changed: missing {missing or '_server_entry'}"
            )
        self._wrap = wrap

    def _server_entry(self) -> None:
        app = self._wrap(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(
            self._ip_address, self._port, app, True, request_handler=MotoRequestHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever()

    def stop(self) -> None:
        super().stop()
        if self._server is not None:
            self._server.server_close()  # moto's stop leaves the listening socket open


@dataclass
class LocalAws:
    """Local AWS for the demo and the integration tests; use as a context manager."""

    region: str = "us-east-1"
    host: str = "127.0.0.1"
    port: int = 0
    lambda_env: dict[str, str] = field(default_factory=dict)  # added to every function's environment
    sqs_poll_interval: float = 0.2
    log_requests: bool = False  # werkzeug's access log of every AWS call, on stderr
    # AWS managed policies (AWSLambdaBasicExecutionRole, ...) the stack attaches; loading them costs ~2 s.
    aws_managed_policies: bool = True
    # How long a Lambda container's execution-role session lasts; tests shorten it to prove that nothing
    # outlives its signer's session (presigned URLs, warm containers).
    lambda_session_seconds: int = 3600

    account_id: str = field(default=DEFAULT_ACCOUNT_ID, init=False)
    access_key_id: str = field(default=ROOT_ACCESS_KEY_ID, init=False)
    secret_access_key: str = field(default=ROOT_SECRET_ACCESS_KEY, init=False)

    def __post_init__(self) -> None:
        # The fault switch of local Step Functions: lambda_faults.inject(function, "Lambda.ServiceException").
        self.lambda_faults = LambdaServiceFaults()
        self._server: _MotoServerWithMiddleware | None = None
        self._executor: LambdaExecutor | None = None
        self.iam = LocalIam(
            Credentials(
                account_id=self.account_id,
                root_access_key_id=self.access_key_id,
                # moto's Step Functions interpreter calls Lambda signed with the key "ak": the service.
                service_access_keys={"ak": "states.amazonaws.com"},
                external_principals={SPAPI_SENDER_ACCESS_KEY_ID: _SPAPI_SENDER},
            )
        )
        # SNS's deliveries to SQS queues, authorised as on AWS; refused ones are in sns_to_sqs.failures.
        self.sns_to_sqs = SnsToSqsDelivery(self.iam)
        self._poller: SqsEventSourcePoller | None = None
        self._retries: SdkRetryReplay | None = None
        self._patches: list[PatchSet] = []
        self._saved_config: dict[str, Any] = {}
        self._saved_moto_port: str | None = None
        self._endpoint_url: str | None = None
        self._saved_werkzeug_level: int | None = None
        self._saved_asl_level: int | None = None

    # -- lifecycle -------------------------------------------------------------------------------------------
    def start(self) -> LocalAws:
        require_pinned_moto()
        if not _ACTIVE.acquire(blocking=False):
            raise RuntimeError("another LocalAws is running in this process; moto's state is process-global")
        try:
            self._configure_moto()
            if not self.log_requests:
                werkzeug_logger = logging.getLogger("werkzeug")
                self._saved_werkzeug_level = werkzeug_logger.level
                werkzeug_logger.setLevel(logging.WARNING)
            # moto's ASL interpreter logs every JSONPath it cannot resolve as an error, even those an
            # IsPresent rule asks about on purpose; real failures are in the execution's history.
            self._saved_asl_level = _ASL_LOGGER.level
            _ASL_LOGGER.setLevel(logging.CRITICAL)
            self._server = _MotoServerWithMiddleware(self.host, self.port, self._wrap_app)
            self._server.start()
            host, port = self._server.get_host_and_port()
            self._endpoint_url = f"http://{host}:{port}"
            self._saved_moto_port = os.environ.get("MOTO_PORT")
            os.environ["MOTO_PORT"] = str(port)
            self._executor = LambdaExecutor(
                self._endpoint_url,
                self._execution_role_credentials,
                self.lambda_env,
                clock=lambda: self.iam.clock().timestamp(),
            )
            self._poller = SqsEventSourcePoller(self.sqs_poll_interval)
            self.lambda_faults.clear()
            self._patches = [extension.patches(self) for extension in PATCHES]
            for patch_set in self._patches:
                patch_set.install()
            self._poller.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop pollers, Lambda workers and the server; restore moto. Safe to call more than once."""
        # Pollers stop taking batches first; stopping the executor then ends any invocation still running
        # (a poller may be waiting on a function with a long timeout), so joining the pollers is quick.
        if self._poller is not None:
            self._poller.request_stop()
        if self._executor is not None:
            self._executor.stop()
            self._executor = None
        if self._poller is not None:
            self._poller.stop()
            self._poller = None
        if self._server is not None:
            if self._server._thread is not None:
                self._server.stop()
            self._server = None
        for patch_set in reversed(self._patches):
            patch_set.uninstall()
        self._patches = []
        if self._endpoint_url is not None:
            if self._saved_moto_port is None:
                os.environ.pop("MOTO_PORT", None)
            else:
                os.environ["MOTO_PORT"] = self._saved_moto_port
        if self._saved_asl_level is not None:
            _ASL_LOGGER.setLevel(self._saved_asl_level)
            self._saved_asl_level = None
        if self._saved_werkzeug_level is not None:
            logging.getLogger("werkzeug").setLevel(self._saved_werkzeug_level)
            self._saved_werkzeug_level = None
        if self._saved_config:
            moto_api_backend.reset()
            default_user_config.update(self._saved_config)
            self._saved_config = {}
            self._endpoint_url = None
            _ACTIVE.release()

    def __enter__(self) -> LocalAws:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    def _configure_moto(self) -> None:
        self._saved_config = {key: default_user_config.get(key) for key in ("stepfunctions", "iam", "lambda")}
        default_user_config["stepfunctions"] = {"execute_state_machine": True}
        default_user_config["iam"] = {"load_aws_managed_policies": self.aws_managed_policies}
        # "Docker" mode keeps moto's full Lambda backend; our executor replaces its only Docker method.
        default_user_config["lambda"] = {"use_docker": True}
        moto_api_backend.reset()

    def _execution_role_credentials(self, function: Any) -> RoleCredentials:
        return assume_execution_role(function, self.lambda_session_seconds, self.iam.clock())

    def _wrap_app(self, app: Any) -> Any:
        # extensions.MIDDLEWARE lists these, innermost first.
        api_gateway = ExecuteApiMiddleware(
            app, self._invoke_lambda_for_api, (self.access_key_id, self.secret_access_key)
        )
        function_urls = FunctionUrlMiddleware(
            api_gateway, self.iam, self._invoke_lambda_for_api, self.secret_access_key
        )
        self._retries = SdkRetryReplay(function_urls)
        return self._retries

    @staticmethod
    def _invoke_lambda_for_api(
        account_id: str, region: str, function_arn: str, event: str
    ) -> tuple[Any, bool]:
        response_headers: dict[str, Any] = {}
        payload = lambda_backends[account_id][region].invoke(function_arn, None, event, {}, response_headers)
        return payload, "x-amz-function-error" in response_headers

    # -- for callers --------------------------------------------------------------------------------------
    @property
    def lambda_executor(self) -> LambdaExecutor:
        if self._executor is None:
            raise RuntimeError("LocalAws is not running")
        return self._executor

    @property
    def event_source_poller(self) -> SqsEventSourcePoller:
        if self._poller is None:
            raise RuntimeError("LocalAws is not running")
        return self._poller

    @property
    def endpoint_url(self) -> str:
        if self._endpoint_url is None:
            raise RuntimeError("LocalAws is not running")
        return self._endpoint_url

    def boto3_client(self, service: str, **kwargs: Any) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=kwargs.pop("region_name", self.region),
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            **kwargs,
        )

    def spapi_sender_client(self, service: str, region_name: str | None = None) -> Any:
        """A client that calls as SP-API's notifications account does (cross-account, see above)."""
        return boto3.client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=region_name or self.region,
            aws_access_key_id=SPAPI_SENDER_ACCESS_KEY_ID,
            aws_secret_access_key="spapi-sender-not-a-secret",  # noqa: S106 - fake, local only
        )

    def env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """Environment for a subprocess (terraform, the client): ``base`` without profile/session settings,
        plus local AWS's endpoint, credentials and region."""
        env = {key: value for key, value in (base or {}).items() if key not in _CONFLICTING_ENV}
        env.update(
            {
                "AWS_ENDPOINT_URL": self.endpoint_url,
                "AWS_ACCESS_KEY_ID": self.access_key_id,
                "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
                "AWS_REGION": self.region,
                "AWS_DEFAULT_REGION": self.region,
            }
        )
        return env

    def invoke_url(self, rest_api_id: str, stage: str) -> str:
        """Base URL of a deployed REST API stage on the local data plane (append the resource path)."""
        return f"{self.endpoint_url}{EXECUTE_API_PATH_PREFIX}/{rest_api_id}/{stage}/_user_request_"

    @property
    def server_journal(self) -> list[JournalEntry]:
        """SDK retries answered from their earlier attempt, and every 5xx answer, since start."""
        return self._retries.journal if self._retries else []

    @property
    def lambda_worker_pids(self) -> list[int]:
        return self._executor.worker_pids() if self._executor else []
