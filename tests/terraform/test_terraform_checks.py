"""scripts/terraform_checks.py: which directories it checks, how it finds providers, how it reads results."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import threading
import zipfile
from pathlib import Path

import terraform_checks
from sp_reports_harness.repository import REPO_ROOT


def test_root_modules_and_examples_are_all_checked_root_first():
    dirs = [d.relative_to(REPO_ROOT).as_posix() for d in terraform_checks.terraform_dirs()]

    assert dirs[0] == "terraform"
    # The real-account acceptance composition (the root with the SP-API emulator) is checked like the root.
    assert dirs[1] == "terraform/acceptance"
    modules = ("api", "lambda_function", "queue", "security", "state_machine", "storage")
    for module in modules:
        assert f"terraform/modules/{module}" in dirs
    # The acceptance configuration's own module, which only it calls, is checked like the root's modules.
    assert "terraform/acceptance/modules/spapi_emulator" in dirs
    # Examples exist for the modules someone can reuse; api and state_machine are parts of this stack.
    for module in ("lambda_function", "queue"):
        assert f"terraform/examples/{module}" in dirs


def test_a_mirror_replaces_a_cli_config_that_does_not_exist(tmp_path, monkeypatch):
    monkeypatch.setattr(terraform_checks, "BUILD_DIR", tmp_path)
    monkeypatch.setattr(terraform_checks, "PLUGIN_CACHE", tmp_path / "cache")
    monkeypatch.setenv("SP_REPORTS_TF_PROVIDER_MIRROR", "/opt/mirror")
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(tmp_path / "missing.rc"))

    env = terraform_checks.terraform_env()

    config = Path(env["TF_CLI_CONFIG_FILE"])
    assert config == tmp_path / "terraform.rc"
    assert 'path    = "/opt/mirror"' in config.read_text()
    assert env["TF_PLUGIN_CACHE_DIR"] == str(tmp_path / "cache")


def test_an_existing_cli_config_is_kept(tmp_path, monkeypatch):
    existing = tmp_path / "mine.rc"
    existing.write_text("# mine\n")
    monkeypatch.setattr(terraform_checks, "PLUGIN_CACHE", tmp_path / "cache")
    monkeypatch.setenv("SP_REPORTS_TF_PROVIDER_MIRROR", "/opt/mirror")
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(existing))

    assert terraform_checks.terraform_env()["TF_CLI_CONFIG_FILE"] == str(existing)


def test_without_a_mirror_terraform_keeps_its_normal_registry_behaviour(tmp_path, monkeypatch):
    monkeypatch.setattr(terraform_checks, "PLUGIN_CACHE", tmp_path / "cache")
    monkeypatch.delenv("SP_REPORTS_TF_PROVIDER_MIRROR", raising=False)
    monkeypatch.delenv("TF_CLI_CONFIG_FILE", raising=False)

    assert "TF_CLI_CONFIG_FILE" not in terraform_checks.terraform_env()


def test_test_counts_are_read_from_terraform_tests_closing_line():
    assert terraform_checks.passed_runs("...\nSuccess! 11 passed, 0 failed.\n") == (11, 0)
    assert terraform_checks.passed_runs("run x... fail\nFailure! 5 passed, 1 failed, 5 skipped.\n") == (5, 1)
    assert terraform_checks.passed_runs("Error: Missing required provider\n") == (0, 0)


def test_stand_in_packages_exist_for_every_function_and_are_stable(tmp_path):
    first = terraform_checks.write_test_packages(tmp_path / "a")
    second = terraform_checks.write_test_packages(tmp_path / "b")

    for function in terraform_checks.FUNCTIONS:
        assert (first / f"{function}.zip").read_bytes() == (second / f"{function}.zip").read_bytes()
        with zipfile.ZipFile(first / f"{function}.zip") as archive:
            assert archive.namelist() == [f"sp_reports/handlers/{function}.py"]


def test_stand_in_packages_carry_the_manifest_the_root_checks(tmp_path):
    directory = terraform_checks.write_test_packages(tmp_path)

    manifest = json.loads((directory / "manifest.json").read_text())

    # The root refuses zips whose manifest names another runtime/architecture or another digest.
    assert (manifest["runtime"], manifest["architecture"]) == ("python3.13", "x86_64")
    for function in terraform_checks.FUNCTIONS:
        digest = base64.b64encode(hashlib.sha256((directory / f"{function}.zip").read_bytes()).digest())
        assert manifest["functions"][function]["base64_sha256"] == digest.decode()


def test_a_stand_in_emulator_package_exists_for_the_acceptance_configuration(tmp_path):
    directory = terraform_checks.write_test_packages(tmp_path)

    # terraform/acceptance/modules/spapi_emulator hashes <lambda_package_dir>/spapi_emulator.zip.
    with zipfile.ZipFile(directory / "spapi_emulator.zip") as archive:
        assert archive.namelist() == ["spapi_emulator/lambda_function.py"]


def _installed(configuration: Path, sources: dict[str, str], dirs: dict[str, str]) -> None:
    """A configuration calling sources by name, and the manifest `terraform init` left of dirs by name."""
    configuration.mkdir()
    (configuration / "main.tf").write_text(
        "".join(f'module "{name}" {{\n  source = "{source}"\n}}\n' for name, source in sources.items())
    )
    (configuration / ".terraform" / "modules").mkdir(parents=True)
    modules = [{"Key": "", "Source": "", "Dir": "."}]
    modules += [{"Key": name, "Source": dirs[name], "Dir": dirs[name]} for name in dirs]
    (configuration / ".terraform" / "modules" / "modules.json").write_text(json.dumps({"Modules": modules}))
    provider = configuration / ".terraform" / "providers" / "registry.terraform.io" / "hashicorp" / "aws"
    (provider / "5.100.0" / "linux_amd64").mkdir(parents=True)
    (provider / "5.100.0" / "linux_amd64" / "terraform-provider-aws_v5.100.0_x5").write_bytes(b"")


def test_a_module_installed_from_where_the_configuration_calls_it_needs_no_init(tmp_path):
    # Terraform records "../" as Dir "..", "./modules/x" as "modules/x".
    _installed(
        tmp_path / "acceptance",
        {"stack": "../", "emulator": "./modules/spapi_emulator"},
        {"stack": "..", "emulator": "modules/spapi_emulator"},
    )

    assert terraform_checks._initialised(tmp_path / "acceptance")


def test_a_module_moved_since_init_needs_init_again(tmp_path):
    # Planning it without a new init fails with "Module source has changed".
    _installed(
        tmp_path / "acceptance",
        {"emulator": "./modules/spapi_emulator"},
        {"emulator": "../modules/spapi_emulator"},
    )

    assert not terraform_checks._initialised(tmp_path / "acceptance")


def test_providers_gone_since_init_need_init(tmp_path):
    # init links the providers into the plugin cache; `make clean` removes the cache, and the links dangle.
    configuration = tmp_path / "acceptance"
    _installed(configuration, {"stack": "../"}, {"stack": ".."})
    assert terraform_checks._initialised(configuration)
    cache = tmp_path / "cache"
    (configuration / ".terraform" / "providers").rename(cache)
    (configuration / ".terraform" / "providers").symlink_to(cache)
    assert terraform_checks._initialised(configuration)  # a link to the cache is as good as the files
    shutil.rmtree(cache)

    assert not terraform_checks._initialised(configuration)


def test_a_module_added_since_init_needs_init(tmp_path):
    _installed(
        tmp_path / "acceptance", {"stack": "../", "emulator": "./modules/spapi_emulator"}, {"stack": ".."}
    )

    assert not terraform_checks._initialised(tmp_path / "acceptance")


def test_readers_of_a_module_directory_share_it_and_an_init_waits_for_them(tmp_path):
    """`make test` runs the checks' test files beside pytest's Terraform tests in the same directories."""
    entered: list[str] = []

    def use(name: str, *, shared: bool) -> threading.Thread:
        def run() -> None:
            with terraform_checks.module_dir_lock(tmp_path, shared=shared):
                entered.append(name)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread

    with terraform_checks.module_dir_lock(tmp_path, shared=True):
        other_reader = use("reader", shared=True)
        other_reader.join(timeout=10)
        init = use("init", shared=False)
        init.join(timeout=0.5)
        assert entered == ["reader"]  # the second reader got in; the init waits for the first
    init.join(timeout=10)
    assert entered == ["reader", "init"]
