"""The invoke role: credentials from sts:AssumeRole (moto) sign the requests and are renewed before expiry."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws
from moto.server import ThreadedMotoServer

from sp_reports.client import SpReportsClient
from sp_reports.client.credentials import AssumedRoleCredentials
from sp_reports_harness.local_aws.moto_internals import DEFAULT_ACCOUNT_ID, sts_backends
from tests.support.fake_sp_reports_api import REGION, FakeApi, known_credentials

ROLE_ARN = f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/sp-reports-invoke"


def assumed_roles():
    return sts_backends[DEFAULT_ACCOUNT_ID]["aws"].assumed_roles


def moto_or_known_credentials(access_key_id: str) -> tuple[str, str | None] | None:
    """The fake API accepts the test's own keys and any role session moto has issued."""
    for role in assumed_roles():
        if role.access_key_id == access_key_id:
            return role.secret_access_key, role.session_token
    return known_credentials(access_key_id)


@pytest.fixture
def role_api():
    api = FakeApi(REGION, moto_or_known_credentials).start()
    yield api
    api.stop()


@pytest.fixture
def sts():
    with mock_aws():
        yield boto3.client("sts", region_name=REGION)


def test_requests_are_signed_with_the_assumed_role(sts, role_api):
    client = SpReportsClient(role_api.base_url, REGION, role_arn=ROLE_ARN)
    role_api.add_report("11", ["DONE"])

    assert client.get_report("11").status == "DONE"
    assert client.get_report("11").status == "DONE"

    (role,) = assumed_roles()  # one AssumeRole for both calls
    assert (role.role_arn, role.session_name) == (ROLE_ARN, "sp-reports-client")
    for request in role_api.requests:
        assert request.access_key_id == role.access_key_id
        assert request.headers["X-Amz-Security-Token"] == role.session_token


def test_assumed_credentials_are_renewed_before_they_expire(sts):
    now = [datetime.now(UTC)]
    credentials = AssumedRoleCredentials(sts, ROLE_ARN, duration_seconds=900, now=lambda: now[0])

    first = credentials.get()
    now[0] += timedelta(minutes=9)
    assert credentials.get() == first  # six minutes left: still good
    now[0] += timedelta(minutes=2)
    renewed = credentials.get()  # four minutes left: inside the margin

    assert renewed.access_key != first.access_key
    assert len(assumed_roles()) == 2


@pytest.fixture
def moto_server_url():
    """moto as a server on an ephemeral port, for the CLI's --endpoint-url."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_cli_assumes_the_role_through_the_sts_endpoint_url(role_api, moto_server_url, run_cli):
    role_api.add_report("12", ["DONE"])
    result = run_cli(
        "--api-url", role_api.base_url, "--region", REGION,
        "--role-arn", ROLE_ARN, "--endpoint-url", moto_server_url, "--json", "reports", "get", "12",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "DONE"
    assert role_api.requests[0].access_key_id in {role.access_key_id for role in assumed_roles()}


def test_cli_reads_the_role_from_terraform_output(
    role_api, moto_server_url, fake_terraform, run_cli, tmp_path, monkeypatch
):
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server_url)
    outputs = {"api_invoke_url": role_api.base_url, "api_invoke_role_arn": ROLE_ARN, "aws_region": REGION}
    fake_terraform(json.dumps({name: {"value": value} for name, value in outputs.items()}))
    role_api.add_report("13", ["DONE"])

    result = run_cli("--terraform-dir", str(tmp_path), "reports", "get", "13")

    assert result.exit_code == 0, result.stderr
    role_keys = {role.access_key_id for role in assumed_roles() if role.role_arn == ROLE_ARN}
    assert role_api.requests[0].access_key_id in role_keys


def test_sts_refusing_the_role_is_a_configuration_error(fake_api, api_args, run_cli, monkeypatch):
    # The fake API is no STS: AssumeRole gets an error answer, which must become a clear exit 2.
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    result = run_cli(
        *api_args, "--role-arn", ROLE_ARN, "--endpoint-url", fake_api.base_url, "reports", "get", "1"
    )
    assert result.exit_code == 2
    assert f"cannot assume the invoke role {ROLE_ARN} (--role-arn)" in result.stderr
    assert "Traceback" not in result.stderr
