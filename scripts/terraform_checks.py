#!/usr/bin/env python3
"""Run every Terraform check of the repository and print a summary; exit nonzero when one fails.

- `terraform fmt -check -recursive` over terraform/,
- `terraform init -backend=false` + `terraform validate` for the root, terraform/acceptance, every module
  (terraform/acceptance/modules too) and every example,
- `terraform test` (mocked aws provider) for each of them with a tests/ directory,
- `scripts/tf_docs.py --check` (README inputs/outputs tables current),
- `scripts/glue_tables.py --check` (the analytics module's tables.json is what the analytics schemas give).

Providers come from TF_CLI_CONFIG_FILE when set (the Makefile points it at a filesystem-mirror config when
SP_REPORTS_TF_PROVIDER_MIRROR is set; so does this script when run on its own), through a shared plugin
cache in .build/tf-plugin-cache. Directories are initialised two at a time after the root has filled the
cache, then tested two at a time, the root first.

`mock_plan_json()` is also importable: the plan (Terraform's JSON plan format: resource_changes,
output_changes) of the root or a module under the mocked provider, for tests that inspect IAM policies.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import glue_tables
import lambda_bytecode
import package_lambdas
import tf_docs
from repository_paths import BUILD_DIR, EMULATOR_ZIP, REPO_ROOT, TERRAFORM_DIR
from sp_reports.handlers import FUNCTIONS

# Terraform's plugin cache is not safe for installs running side by side, so each pytest-xdist worker of the
# test suite (PYTEST_XDIST_WORKER) fills its own; harness/sp_reports_harness/deployment/local_deployment.py
# names its cache the same way.
PLUGIN_CACHE = BUILD_DIR / "-".join(filter(None, ("tf-plugin-cache", os.environ.get("PYTEST_XDIST_WORKER"))))
# Stand-in zips the root tests hash (the root test sets lambda_package_dir to this directory).
TEST_PACKAGES = BUILD_DIR / "-".join(
    filter(None, ("terraform-test-packages", os.environ.get("PYTEST_XDIST_WORKER")))
)
MOCKS_DIR = TERRAFORM_DIR / "tests" / "mocks"
INIT = ("terraform", "init", "-backend=false", "-input=false", "-no-color")


@dataclass
class StepResult:
    name: str
    ok: bool
    seconds: float
    output: str = ""


@dataclass
class DirResult:
    path: Path
    steps: list[StepResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(step.ok for step in self.steps)


def terraform_env() -> dict[str, str]:
    """The environment every terraform command runs with."""
    env = dict(os.environ)
    env.setdefault("TF_IN_AUTOMATION", "1")
    env["TF_PLUGIN_CACHE_DIR"] = str(PLUGIN_CACHE)
    PLUGIN_CACHE.mkdir(parents=True, exist_ok=True)
    mirror = env.get("SP_REPORTS_TF_PROVIDER_MIRROR", "").strip()
    configured = env.get("TF_CLI_CONFIG_FILE", "")
    # A mirror wins over a CLI config that does not exist (some machines preset one to a missing file).
    if mirror and not (configured and Path(configured).is_file()):
        env["TF_CLI_CONFIG_FILE"] = str(write_mirror_config(Path(mirror)))
    return env


def write_mirror_config(mirror: Path) -> Path:
    """A CLI config installing registry providers from the filesystem mirror only, as the Makefile does."""
    config = BUILD_DIR / "terraform.rc"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f'    path    = "{mirror}"\n'
        '    include = ["registry.terraform.io/*/*"]\n'
        "  }\n"
        "  direct {\n"
        '    exclude = ["registry.terraform.io/*/*"]\n'
        "  }\n"
        "}\n",
        encoding="utf-8",
    )
    return config


def run_step(name: str, command: Sequence[str], cwd: Path, env: dict[str, str]) -> StepResult:
    started = time.monotonic()
    result = subprocess.run(  # noqa: S603 - fixed terraform argv
        list(command), cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    return StepResult(name, result.returncode == 0, time.monotonic() - started, result.stdout + result.stderr)


def write_test_packages(directory: Path = TEST_PACKAGES) -> Path:
    """Small, deterministic stand-in zips for the root tests (they are hashed, never deployed), with the
    manifest.json the root checks, written by package_lambdas for the root's default runtime/architecture."""
    directory.mkdir(parents=True, exist_ok=True)
    for function in FUNCTIONS:
        path = directory / f"{function}.zip"
        with zipfile.ZipFile(path, "w") as archive:
            info = zipfile.ZipInfo(f"sp_reports/handlers/{function}.py", date_time=(1980, 1, 1, 0, 0, 0))
            archive.writestr(info, f"# stand-in for terraform tests: {function}\n")
    # The SP-API emulator's zip, for terraform/acceptance and its spapi_emulator module (make acceptance).
    with zipfile.ZipFile(directory / EMULATOR_ZIP, "w") as archive:
        info = zipfile.ZipInfo("spapi_emulator/lambda_function.py", date_time=(1980, 1, 1, 0, 0, 0))
        archive.writestr(info, "# stand-in for terraform tests: spapi_emulator\n")
    target = package_lambdas.target_from_terraform(TERRAFORM_DIR)
    package_lambdas.write_manifest(directory, FUNCTIONS, target, requirements=[])
    return directory


def write_test_release(directory: Path, version: str) -> str:
    """A release's files as scripts/release.py writes them (distinct stand-in zips, the manifest naming the
    version and the build Python) in directory; return the manifest's text, the body S3 serves."""
    directory.mkdir(parents=True, exist_ok=True)
    for function in FUNCTIONS:
        (directory / f"{function}.zip").write_bytes(f"zip of {function} in {version}".encode())
    # What find_runtime_python reports for CPython 3.13.0 (only recorded here, never run).
    python = lambda_bytecode.RuntimePython(Path("python3.13"), "3.13", "3.13.0", "cpython-313", "f30d0d0a")
    target = package_lambdas.target_from_terraform(TERRAFORM_DIR)
    package_lambdas.write_manifest(
        directory, FUNCTIONS, target, ["requests>=2.32,<3"], python, version=version
    )
    return (directory / "manifest.json").read_text(encoding="utf-8")


def release_manifest_override(target: str, manifest_text: str) -> str:
    """A test file's override_data serving manifest_text as the release manifest object at target (the data
    source's address, e.g. module.sp_reports.data.aws_s3_object.lambda_release_manifest)."""
    body = "\n".join(f"      {line}" for line in manifest_text.splitlines())
    return (
        f"override_data {{\n  target = {target}\n  values = {{\n"
        f'    content_type = "application/json"\n    body         = <<-EOT\n{body}\n      EOT\n  }}\n}}\n\n'
    )


def prepare_directory(path: Path, env: dict[str, str]) -> DirResult:
    """init + validate; the directory's .terraform is rewritten, so nobody else may use it meanwhile."""
    result = DirResult(path)
    with module_dir_lock(path):
        init = run_step("init", INIT, path, env)
        result.steps.append(init)
        if init.ok:
            result.steps.append(run_step("validate", ["terraform", "validate", "-no-color"], path, env))
    return result


def run_tests_of(path: Path, env: dict[str, str]) -> StepResult:
    """The directory's test files in one `terraform test` (one process loads the configuration once; a process
    per file costs more than it saves). It runs beside readers of the directory's .terraform, never beside an
    init of it: pytest's Terraform tests use the same directories while `make test` runs these checks."""
    with module_dir_lock(path, shared=True):
        return run_step("test", ["terraform", "test", "-no-color"], path, env)


def terraform_dirs(terraform_dir: Path = TERRAFORM_DIR) -> list[Path]:
    """The root, then the acceptance configuration (make acceptance on a real account), every module (the
    root's, then the acceptance configuration's own, such as the SP-API emulator's) and every example."""
    dirs = [terraform_dir]
    if any((terraform_dir / "acceptance").glob("*.tf")):
        dirs.append(terraform_dir / "acceptance")
    for parent in ("modules", "acceptance/modules", "examples"):
        base = terraform_dir / parent
        if base.is_dir():
            dirs += sorted(p for p in base.iterdir() if p.is_dir() and any(p.glob("*.tf")))
    return dirs


def docs_step(terraform_dir: Path) -> StepResult:
    started = time.monotonic()
    stale = []
    for module_dir in tf_docs.module_dirs(terraform_dir):
        readme = module_dir / "README.md"
        current = readme.read_text(encoding="utf-8") if readme.exists() else ""
        if tf_docs.updated_readme(current, tf_docs.read_module(module_dir)) != current:
            stale.append(str(readme))
    output = "".join(f"stale: {s} (run scripts/tf_docs.py)\n" for s in stale)
    return StepResult("tf_docs --check", not stale, time.monotonic() - started, output)


def glue_tables_step() -> StepResult:
    started = time.monotonic()
    diff = glue_tables.stale_diff()
    output = f"stale: {glue_tables.TABLES_JSON} (run scripts/glue_tables.py)\n{diff}" if diff else ""
    return StepResult("glue_tables --check", not diff, time.monotonic() - started, output)


def passed_runs(test_output: str) -> tuple[int, int]:
    """(passed, failed) from terraform test's closing line, e.g. 'Success! 11 passed, 0 failed.'."""
    for line in reversed(test_output.splitlines()):
        if "passed" in line and ("Success!" in line or "Failure!" in line):
            words = line.replace(",", "").replace(".", "").split()
            return int(words[words.index("passed") - 1]), int(words[words.index("failed") - 1])
    return 0, 0


def run_checks(jobs: int = 2, run_tests: bool = True, terraform_dir: Path = TERRAFORM_DIR) -> bool:
    env = terraform_env()
    write_test_packages()
    started = time.monotonic()
    fmt = ["terraform", "fmt", "-check", "-recursive", "-diff", "-no-color", str(terraform_dir)]
    global_steps = [run_step("fmt -check", fmt, REPO_ROOT, env), docs_step(terraform_dir), glue_tables_step()]
    dirs = terraform_dirs(terraform_dir)
    # The root fills the plugin cache first; the concurrent inits after it only link from the cache.
    results = [prepare_directory(dirs[0], env)]
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        results += list(pool.map(lambda d: prepare_directory(d, env), dirs[1:]))
        # Then the tests, the root's (most runs, the longest) first beside the others.
        tested = [r for r in results if run_tests and r.ok and any((r.path / "tests").glob("*.tftest.hcl"))]
        steps = list(pool.map(lambda r: run_tests_of(r.path, env), tested))
    for result, step in zip(tested, steps, strict=True):
        result.steps.append(step)

    print("terraform checks:")
    for step in global_steps:
        print(f"  {'ok  ' if step.ok else 'FAIL'} {step.name:<36} {step.seconds:6.1f}s")
    total_passed = 0
    for result in results:
        label = str(result.path.relative_to(terraform_dir.parent))
        summary = ", ".join(f"{s.name} {'ok' if s.ok else 'FAILED'} {s.seconds:.1f}s" for s in result.steps)
        test = next((s for s in result.steps if s.name == "test"), None)
        counts = ""
        if test:
            passed, failed = passed_runs(test.output)
            total_passed += passed
            counts = f" ({passed} passed, {failed} failed)"
        print(f"  {'ok  ' if result.ok else 'FAIL'} {label:<36} {summary}{counts}")
    failed_steps = [(None, s) for s in global_steps if not s.ok]
    failed_steps += [(r.path, s) for r in results for s in r.steps if not s.ok]
    for path, step in failed_steps:
        where = f"{path}: terraform " if path else ""
        print(f"\n--- {where}{step.name} ---\n{step.output}")
    print(
        f"terraform checks: {len(failed_steps)} failed step(s); {total_passed} terraform test runs passed; "
        f"{time.monotonic() - started:.1f}s"
    )
    return not failed_steps


# The account's API Gateway CloudWatch role the mocked plans of the root are given (api_gateway_account.tf).
MOCK_API_GATEWAY_CLOUDWATCH_ROLE_ARN = "arn:aws:iam::123456789012:role/api-gateway-cloudwatch-logs-us-east-1"


@contextlib.contextmanager
def module_dir_lock(module_dir: Path, *, shared: bool = False) -> Iterator[None]:
    """Holds Terraform commands on one module directory to one process at a time (the test suite's workers,
    the checks `make test` runs beside them): `terraform init` rewrites the directory's .terraform while
    another process may be reading it. Commands that only read it (`terraform test` of a committed test
    file) may share the directory with each other."""
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256(str(module_dir.resolve()).encode()).hexdigest()[:16]
    with (BUILD_DIR / f".terraform-{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        yield


def mock_plan_json(
    module_dir: Path = TERRAFORM_DIR,
    variables: dict[str, object] | None = None,
    *,
    env: dict[str, str] | None = None,
    prior_config: Path | None = None,
    provider_regions: dict[str, str] | None = None,
    overrides: str = "",
    region: str | None = None,
) -> dict:
    """Plan module_dir with the mocked aws provider; return the plan in Terraform's JSON plan format.

    Computed values come from terraform/tests/mocks (valid ARNs, account 123456789012, us-east-1) and are
    known at plan time, so IAM and key policies appear in full in `resource_changes[*].change.after`. For the
    root, `lambda_package_dir` defaults to the stand-in zips. Runs `terraform init` in module_dir if needed.

    prior_config, a configuration applied first (mocked) into the same state (`state_key`), makes this the
    plan of an existing deployment of it: what moves (`previous_address`), changes or is destroyed.

    provider_regions mocks the configuration's aliased aws providers (alias -> the region they report), for
    configurations that place modules in several regions (terraform/examples/multiple-regions). overrides is
    test-file text added as it is (override_data blocks, e.g. release_manifest_override).

    region, when given, is the region every `aws_region` data source reads (the mocks' is us-east-1), as a
    caller's provider in that region would give it; other mocked ARNs keep theirs.
    """
    with module_dir_lock(module_dir):
        return _mock_plan_json(module_dir, variables, env, prior_config, provider_regions, overrides, region)


def _mock_plan_json(
    module_dir: Path,
    variables: dict[str, object] | None,
    env: dict[str, str] | None,
    prior_config: Path | None,
    provider_regions: dict[str, str] | None,
    overrides: str,
    region: str | None,
) -> dict:
    env = env or terraform_env()
    module_dir = module_dir.resolve()
    variables = dict(variables or {})
    if module_dir == TERRAFORM_DIR.resolve():
        variables.setdefault("lambda_package_dir", str(write_test_packages()))
        # As an estate passes it (the root's check block fails a terraform test run without it).
        variables.setdefault("api_gateway_cloudwatch_role_arn", MOCK_API_GATEWAY_CLOUDWATCH_ROLE_ARN)
    if not _initialised(module_dir):
        init = run_step("init", INIT, module_dir, env)
        if not init.ok:
            raise RuntimeError(f"terraform init failed in {module_dir}:\n{init.output}")
    variable_lines = "".join(f"  {name} = {json.dumps(value)}\n" for name, value in sorted(variables.items()))
    # Inline mock_data takes precedence over the mocks directory's.
    region_mock = ""
    if region is not None:
        region_values = f"id = {json.dumps(region)}, name = {json.dumps(region)}"
        region_mock = f'  mock_data "aws_region" {{\n    defaults = {{ {region_values} }}\n  }}\n'
    test_file = (
        'mock_provider "aws" {\n'
        f"  source          = {json.dumps(str(MOCKS_DIR))}\n"
        "  override_during = plan\n"
        f"{region_mock}"
        "}\n\n"
        f"variables {{\n{variable_lines}}}\n\n"
    )
    for alias, alias_region in sorted((provider_regions or {}).items()):
        test_file += (
            f'mock_provider "aws" {{\n  alias           = {json.dumps(alias)}\n'
            f"  source          = {json.dumps(str(MOCKS_DIR))}\n  override_during = plan\n\n"
            '  mock_data "aws_region" {\n'
            f"    defaults = {{\n      id   = {json.dumps(alias_region)}\n"
            f"      name = {json.dumps(alias_region)}\n    }}\n"
            "  }\n}\n\n"
        )
    test_file += overrides
    if prior_config is None:
        test_file += 'run "plan" {\n  command = plan\n}\n'
    else:
        source = os.path.relpath(prior_config.resolve(), module_dir)
        source = source if source.startswith(".") else f"./{source}"
        # Applied with the mock values coming at apply: planned ones would differ from the applied ones.
        test_file += (
            f'mock_provider "aws" {{\n  alias  = "applying"\n  source = {json.dumps(str(MOCKS_DIR))}\n'
            f"{region_mock}}}\n\n"
            'run "prior" {\n  state_key = "stack"\n  providers = {\n    aws = aws.applying\n  }\n'
            f"  module {{\n    source = {json.dumps(source)}\n  }}\n}}\n\n"
            'run "plan" {\n  state_key = "stack"\n  command   = plan\n}\n'
        )
    # terraform test reads test files below the module; a private directory keeps parallel callers apart.
    test_dir = Path(tempfile.mkdtemp(prefix=".plan-export-", dir=module_dir))
    try:
        (test_dir / "plan.tftest.hcl").write_text(test_file, encoding="utf-8")
        relative = test_dir.relative_to(module_dir)
        if prior_config is not None:  # the prior configuration is a module of the test: install it
            init = run_step("init", [*INIT, f"-test-directory={relative}"], module_dir, env)
            if not init.ok:
                raise RuntimeError(f"terraform init failed in {module_dir}:\n{init.output}")
        command = ["terraform", "test", "-json", "-verbose", f"-test-directory={relative}", "-no-color"]
        result = subprocess.run(  # noqa: S603 - fixed terraform argv
            command, cwd=module_dir, env=env, capture_output=True, text=True, check=False
        )
    finally:
        shutil.rmtree(test_dir, ignore_errors=True)
    plan = None
    errors = []
    for line in result.stdout.splitlines():
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            continue
        if message.get("type") == "test_plan":
            plan = message["test_plan"]
        elif message.get("@level") == "error":
            errors.append(message.get("@message", ""))
    if plan is None:
        details = "\n".join(errors) + result.stderr
        raise RuntimeError(f"no plan from terraform test in {module_dir}:\n{details}")
    plan.pop("provider_schemas", None)  # megabytes of schema nobody asked for
    return plan


def _initialised(module_dir: Path) -> bool:
    """Whether `terraform init` has run, its providers are still there, and it installed every module the
    configuration calls now, local ones from where it calls them now: a module added or moved since (a pull,
    a merge) otherwise fails the plan with "Module not installed" or "Module source has changed"."""
    manifest = module_dir / ".terraform" / "modules" / "modules.json"
    if not (module_dir / ".terraform").is_dir():
        return False
    # init links the providers into the plugin cache under .build, which `make clean` removes: a plan with the
    # links dangling fails with "Missing required provider".
    if not any((module_dir / ".terraform" / "providers").glob("*/*/*/*/*/terraform-provider-*")):
        return False
    texts = [path.read_text(encoding="utf-8") for path in module_dir.glob("*.tf")]
    called = {name for text in texts for name in re.findall(r'^module\s+"([^"]+)"', text, re.MULTILINE)}
    if not called:
        return True
    # Local sources (./ or ../), read where source is a module block's first argument, as it is in ours.
    local_sources = {
        name: source
        for text in texts
        for name, source in re.findall(
            r'^module\s+"([^"]+)"\s*\{\s*source\s*=\s*"(\.\.?/[^"]*)"', text, re.MULTILINE
        )
    }
    try:
        installed = {
            entry["Key"]: entry["Dir"]
            for entry in json.loads(manifest.read_text(encoding="utf-8"))["Modules"]
        }
    except (OSError, ValueError, KeyError):
        return False
    # The manifest's Dir of a local module is the directory it was installed from, relative to module_dir.
    return called <= installed.keys() and all(
        (module_dir / source).resolve() == (module_dir / installed[name]).resolve()
        for name, source in local_sources.items()
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="directories checked in parallel (default 2)")
    parser.add_argument("--no-test", action="store_true", help="skip terraform test")
    parser.add_argument("--plan-json", type=Path, metavar="FILE", help="only write the root's mocked plan")
    args = parser.parse_args(argv)
    if args.plan_json:
        plan = mock_plan_json()
        args.plan_json.write_text(json.dumps(plan, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"terraform checks: wrote the mocked root plan to {args.plan_json}")
        return 0
    return 0 if run_checks(jobs=args.jobs, run_tests=not args.no_test) else 1


if __name__ == "__main__":
    sys.exit(main())
