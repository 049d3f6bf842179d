"""The root module deployed from a release in S3, as a platform team's pipeline runs it: a copy of terraform/
with no .build directory anywhere (a git module source has none), planned under the mocked aws provider with
the manifest that scripts/package_lambdas.py writes for a release (the one scripts/release.py publishes) as
the manifest object's body. The plan must succeed and take every function's key and hash from that manifest:
no file function may run and no zip may be looked for in release mode.

terraform/tests/release_artifacts.tftest.hcl has the refusals (another runtime or architecture, a missing
function, an unreadable manifest, bad or conflicting inputs)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

import terraform_checks
from sp_reports.handlers import OPT_IN_FUNCTIONS

pytestmark = pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")

BUCKET = "acme-releases-eu-west-1"
PREFIX = "sp-reports/2.3.4"


def _consumer_test(manifest_text: str, manifest: dict) -> str:
    manifest_override = terraform_checks.release_manifest_override(
        "data.aws_s3_object.lambda_release_manifest", manifest_text
    )
    # A release carries every function; a deployment without the opt-in ones deploys the others.
    expected = {
        function: {"key": f"{PREFIX}/{entry['file']}", "hash": entry["base64_sha256"]}
        for function, entry in manifest["functions"].items()
        if function not in OPT_IN_FUNCTIONS
    }
    wired = (
        "{ for f, s in local.function_settings : f => "
        "{ key = s.package.s3_key, hash = s.package.source_sha256 } }"
    )
    return f"""
mock_provider "aws" {{
  source          = "./tests/mocks"
  override_during = plan
}}

variables {{
  name_prefix                = "acme-test"
  lambda_artifacts_s3_bucket = "{BUCKET}"
  lambda_artifacts_s3_prefix = "{PREFIX}"
  api_gateway_cloudwatch_role_arn = "{terraform_checks.MOCK_API_GATEWAY_CLOUDWATCH_ROLE_ARN}"
}}

{manifest_override}run "the_functions_come_from_the_release" {{
  command = plan

  assert {{
    condition     = {wired} == jsondecode({json.dumps(json.dumps(expected))})
    error_message = "Every function's key and hash must come from the release's manifest."
  }}

  assert {{
    condition     = alltrue([for s in local.function_settings : s.package.s3_bucket == "{BUCKET}"])
    error_message = "Every function must be deployed from the release's bucket."
  }}

  assert {{
    condition     = output.lambda_artifacts_release_version == "2.3.4" && length(aws_s3_object.lambda) == 0
    error_message = "The release's version must be reported, and nothing uploaded."
  }}
}}
"""


def test_a_module_checkout_without_any_build_plans_from_the_release_alone(tmp_path):
    checkout = tmp_path / "modules" / "sp_reports" / "terraform"
    shutil.copytree(
        terraform_checks.TERRAFORM_DIR,
        checkout,
        ignore=shutil.ignore_patterns(
            ".terraform", ".terraform.lock.hcl", "*.tftest.hcl", "*.tfstate*", ".plan-export-*"
        ),
    )
    assert not list(tmp_path.rglob(".build")), "the copy must have no built zips anywhere"
    release = tmp_path / "release"
    manifest_text = terraform_checks.write_test_release(release, "2.3.4")
    manifest = json.loads(manifest_text)
    test_dir = checkout / "tests" / "consumer"
    test_dir.mkdir()
    (test_dir / "release.tftest.hcl").write_text(_consumer_test(manifest_text, manifest), encoding="utf-8")
    shutil.rmtree(release)  # nothing of the release is on this machine but what S3 (mocked) serves

    env = terraform_checks.terraform_env()
    init = terraform_checks.run_step("init", terraform_checks.INIT, checkout, env)
    assert init.ok, init.output
    result = subprocess.run(
        ["terraform", "test", "-no-color", "-test-directory=tests/consumer"],  # noqa: S607 - terraform on PATH
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert terraform_checks.passed_runs(output) == (1, 0), output
    assert not list(tmp_path.rglob(".build")) and not (checkout.parent / ".build").exists()
