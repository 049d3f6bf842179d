"""Configuration discovery: flags beat environment variables, which beat `terraform output -json`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sp_reports.client import ConfigFlags, ConfigurationError, resolve_config
from sp_reports.client.config import region_from_url
from sp_reports.client.terraform_outputs import (
    API_INVOKE_URL_ALIASES,
    OUTPUT_API_ENDPOINT_URLS,
    OUTPUT_API_INVOKE_ROLE_ARN,
    OUTPUT_API_INVOKE_URL,
)
from tests.support.fake_sp_reports_api import REGION

ROLE_FROM_TERRAFORM = "arn:aws:iam::123456789012:role/sp-reports-invoke"
ROLE_FROM_ENV = "arn:aws:iam::123456789012:role/from-env"
ROLE_FROM_FLAG = "arn:aws:iam::123456789012:role/from-flag"


def terraform_output_json(**values: object) -> str:
    """The document `terraform output -json` prints."""
    return json.dumps(
        {name: {"sensitive": False, "type": "string", "value": value} for name, value in values.items()}
    )


def outputs_reader(**values: object):
    def read(_: str) -> dict:
        return dict(values)

    return read


def test_flags_win_over_environment_and_terraform():
    config = resolve_config(
        ConfigFlags(
            api_url="https://flag.example/v1",
            region="eu-central-1",
            role_arn=ROLE_FROM_FLAG,
            terraform_dir="infra",
        ),
        {
            "SP_REPORTS_API_URL": "https://env.example/v1",
            "AWS_REGION": "us-west-2",
            "SP_REPORTS_ROLE_ARN": ROLE_FROM_ENV,
        },
        read_terraform=outputs_reader(
            api_invoke_url="https://tf.example/v1",
            aws_region="us-east-1",
            api_invoke_role_arn=ROLE_FROM_TERRAFORM,
        ),
    )
    assert config.endpoints.reports_url == "https://flag.example/v1/reports"
    assert (config.region, config.role_arn) == ("eu-central-1", ROLE_FROM_FLAG)
    assert config.sources == {"api_url": "--api-url", "region": "--region", "role_arn": "--role-arn"}


def test_environment_wins_over_terraform():
    config = resolve_config(
        ConfigFlags(),
        {
            "SP_REPORTS_API_URL": "https://env.example/v1",
            "AWS_DEFAULT_REGION": "us-west-2",
            "SP_REPORTS_ROLE_ARN": ROLE_FROM_ENV,
            "SP_REPORTS_TERRAFORM_DIR": "infra",
        },
        read_terraform=outputs_reader(
            api_invoke_url="https://tf.example/v1",
            aws_region="us-east-1",
            api_invoke_role_arn=ROLE_FROM_TERRAFORM,
        ),
    )
    assert config.endpoints.tokens_url == "https://env.example/v1/tokens"
    assert (config.region, config.role_arn) == ("us-west-2", ROLE_FROM_ENV)


def test_terraform_fills_what_flags_and_environment_leave_open():
    config = resolve_config(
        ConfigFlags(terraform_dir="infra"),
        {},
        read_terraform=outputs_reader(
            api_invoke_url="http://127.0.0.1:4566/restapis/abc/v1/_user_request_",
            aws_region="us-east-1",
            api_invoke_role_arn=ROLE_FROM_TERRAFORM,
        ),
    )
    assert (
        config.endpoints.notifications_url
        == "http://127.0.0.1:4566/restapis/abc/v1/_user_request_/notifications"
    )
    assert (config.region, config.role_arn) == ("us-east-1", ROLE_FROM_TERRAFORM)
    assert config.sources["api_url"] == f"terraform output '{OUTPUT_API_INVOKE_URL}'"


def test_terraform_is_not_run_without_a_terraform_directory():
    def must_not_run(_: str) -> dict:
        raise AssertionError("terraform was run")

    config = resolve_config(ConfigFlags(api_url="https://x.example/v1", region="us-east-1"), {}, must_not_run)
    assert config.role_arn is None


def test_region_of_an_execute_api_hostname_beats_the_shell_default_region():
    config = resolve_config(
        ConfigFlags(api_url="https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod"),
        {"AWS_REGION": "us-east-1"},
    )
    assert config.region == "eu-west-1"
    assert config.sources["region"] == "the execute-api hostname"


@pytest.mark.parametrize(
    ("url", "region"),
    [
        ("https://a1b2c3d4e5.execute-api.ap-southeast-2.amazonaws.com/v1", "ap-southeast-2"),
        (
            "https://a1b2c3d4e5-vpce-0123456789abcdef0.execute-api.us-gov-west-1.vpce.amazonaws.com/v1",
            "us-gov-west-1",
        ),
        ("https://a1b2c3d4e5.execute-api.cn-north-1.amazonaws.com.cn/v1", "cn-north-1"),
        ("https://api.example.com/v1", None),
        ("http://127.0.0.1:5000/v1", None),
    ],
)
def test_region_is_read_from_execute_api_hostnames_only(url, region):
    assert region_from_url(url) == region


def test_per_endpoint_terraform_outputs_win_over_the_base_url():
    config = resolve_config(
        ConfigFlags(terraform_dir="infra"),
        {"AWS_REGION": "us-east-1"},
        read_terraform=outputs_reader(
            api_invoke_url="https://base.example/v1",
            tokens_endpoint_url="https://tokens.example/v1/tokens",
            reports_endpoint_url="https://reports.example/v1/reports/",
        ),
    )
    assert config.endpoints.tokens_url == "https://tokens.example/v1/tokens"
    assert config.endpoints.reports_url == "https://reports.example/v1/reports"
    assert config.endpoints.notifications_url == "https://base.example/v1/notifications"


def test_invalid_role_arn_is_rejected_naming_its_source():
    with pytest.raises(ConfigurationError, match="SP_REPORTS_ROLE_ARN is not an IAM role ARN"):
        resolve_config(
            ConfigFlags(api_url="https://x.example/v1", region="us-east-1"),
            {"SP_REPORTS_ROLE_ARN": "invoke-role"},
        )


def test_api_url_must_be_http():
    with pytest.raises(ConfigurationError, match="is not an http"):
        resolve_config(ConfigFlags(api_url="ftp://x.example/v1", region="us-east-1"), {})


# The command line against a fake `terraform` executable on PATH.


def test_cli_reads_url_region_and_role_from_terraform_output(fake_api, fake_terraform, run_cli, tmp_path):
    calls = fake_terraform(terraform_output_json(api_invoke_url=fake_api.base_url, aws_region=REGION))
    fake_api.add_report("1001", ["DONE"])
    stack = tmp_path / "stack"
    stack.mkdir()

    result = run_cli("--terraform-dir", str(stack), "--json", "reports", "get", "1001")

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "DONE"
    assert calls.read_text().split() == [f"-chdir={stack}", "output", "-json", "-no-color"]


def test_cli_takes_the_terraform_directory_from_the_environment(
    fake_api, fake_terraform, run_cli, tmp_path, monkeypatch
):
    fake_terraform(terraform_output_json(api_invoke_url=fake_api.base_url, aws_region=REGION))
    monkeypatch.setenv("SP_REPORTS_TERRAFORM_DIR", str(tmp_path))
    fake_api.add_report("1002", ["IN_PROGRESS"])
    result = run_cli("reports", "get", "1002")
    assert result.exit_code == 0, result.stderr
    assert "IN_PROGRESS" in result.stdout


def test_cli_reads_a_saved_terraform_outputs_file(fake_api, run_cli, tmp_path):
    saved = tmp_path / "outputs.json"
    saved.write_text(terraform_output_json(api_invoke_url=fake_api.base_url, aws_region=REGION))
    fake_api.add_report("1003", ["DONE"])
    result = run_cli("--terraform-outputs", str(saved), "reports", "get", "1003")
    assert result.exit_code == 0, result.stderr


def test_cli_flag_overrides_a_terraform_output(fake_api, fake_terraform, run_cli, tmp_path):
    fake_terraform(terraform_output_json(api_invoke_url="http://127.0.0.1:9/nowhere", aws_region=REGION))
    fake_api.add_report("1004", ["DONE"])
    result = run_cli(
        "--terraform-dir", str(tmp_path), "--api-url", fake_api.base_url, "reports", "get", "1004"
    )
    assert result.exit_code == 0, result.stderr


def test_cli_reads_url_and_region_from_the_environment(fake_api, run_cli, monkeypatch):
    monkeypatch.setenv("SP_REPORTS_API_URL", fake_api.base_url)
    monkeypatch.setenv("AWS_REGION", REGION)
    fake_api.add_report("1005", ["DONE"])
    assert run_cli("reports", "get", "1005").exit_code == 0


def test_missing_api_url_exits_2_naming_the_flag_and_variable(run_cli):
    result = run_cli("reports", "get", "1")
    assert result.exit_code == 2
    assert "pass --api-url, set SP_REPORTS_API_URL, or point --terraform-dir" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_region_for_a_non_aws_hostname_exits_2(run_cli):
    result = run_cli("--api-url", "http://127.0.0.1:9/v1", "reports", "get", "1")
    assert result.exit_code == 2
    assert "pass --region or set AWS_REGION" in result.stderr


def test_terraform_without_the_api_output_exits_2_naming_the_output(fake_terraform, run_cli, tmp_path):
    fake_terraform(terraform_output_json(aws_region=REGION))
    result = run_cli("--terraform-dir", str(tmp_path), "reports", "get", "1")
    assert result.exit_code == 2
    assert f"has no '{OUTPUT_API_INVOKE_URL}' output" in result.stderr


def test_terraform_output_that_is_not_json_exits_2(fake_terraform, run_cli, tmp_path):
    fake_terraform("Warning: No outputs found\n")
    result = run_cli("--terraform-dir", str(tmp_path), "reports", "get", "1")
    assert result.exit_code == 2
    assert "is not JSON" in result.stderr


def test_terraform_failure_exits_2_with_its_error(fake_terraform, run_cli, tmp_path):
    fake_terraform(
        "", exit_code=1, stderr="Error: Backend initialization required, please run terraform init\n"
    )
    result = run_cli("--terraform-dir", str(tmp_path), "reports", "get", "1")
    assert result.exit_code == 2
    assert "`terraform output -json` failed" in result.stderr
    assert "Backend initialization required" in result.stderr


def test_terraform_output_of_the_wrong_type_exits_2(fake_terraform, run_cli, tmp_path):
    fake_terraform(json.dumps({OUTPUT_API_INVOKE_URL: {"type": ["list", "string"], "value": ["a", "b"]}}))
    result = run_cli("--terraform-dir", str(tmp_path), "reports", "get", "1")
    assert result.exit_code == 2
    assert f"output '{OUTPUT_API_INVOKE_URL}' must be a string" in result.stderr


def test_terraform_missing_from_path_exits_2(run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    result = run_cli("--terraform-dir", str(tmp_path), "reports", "get", "1")
    assert result.exit_code == 2
    assert "'terraform' is not on PATH" in result.stderr


def test_missing_terraform_directory_exits_2(run_cli, tmp_path):
    result = run_cli("--terraform-dir", str(tmp_path / "absent"), "reports", "get", "1")
    assert result.exit_code == 2
    assert "does not exist (--terraform-dir)" in result.stderr


def test_the_root_module_names_of_earlier_drafts_are_understood():
    config = resolve_config(
        ConfigFlags(terraform_dir="infra"),
        {},
        read_terraform=outputs_reader(
            api_base_url="https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod",
            api_endpoint_urls={
                "tokens": "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/tokens",
                "notifications": "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/notifications",
                "reports": "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/reports",
                "report": "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/reports/{reportId}",
            },
            region="us-east-1",
            api_invoke_role_arn=ROLE_FROM_TERRAFORM,
        ),
    )
    assert (
        config.endpoints.reports_url == "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/reports"
    )
    assert (config.region, config.role_arn) == ("us-east-1", ROLE_FROM_TERRAFORM)


def test_endpoint_map_output_of_the_wrong_shape_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="'api_endpoint_urls' must be a map of strings"):
        resolve_config(
            ConfigFlags(terraform_dir="infra"),
            {"AWS_REGION": "us-east-1"},
            read_terraform=outputs_reader(api_base_url="https://x.example/v1", api_endpoint_urls=["a"]),
        )


def test_the_root_module_publishes_outputs_the_client_reads():
    outputs_tf = Path(__file__).resolve().parents[2] / "terraform" / "outputs.tf"
    if not outputs_tf.is_file():
        pytest.skip("terraform/outputs.tf is not in this checkout")
    declared = set(re.findall(r'^output\s+"([^"]+)"', outputs_tf.read_text(), flags=re.MULTILINE))
    url_outputs = {OUTPUT_API_INVOKE_URL, *API_INVOKE_URL_ALIASES, OUTPUT_API_ENDPOINT_URLS}
    assert declared & url_outputs, f"terraform/outputs.tf declares none of {sorted(url_outputs)}"
    assert OUTPUT_API_INVOKE_ROLE_ARN in declared
