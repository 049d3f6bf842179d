"""Fixtures for the sp-reports client: known AWS credentials, a signature-checking fake API, a CLI runner."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sp_reports.client import cli
from tests.support.fake_sp_reports_api import (
    ACCESS_KEY_ID,
    REGION,
    SECRET_ACCESS_KEY,
    SESSION_TOKEN,
    FakeApi,
    known_credentials,
)

_CLEARED = (
    "AWS_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_SECURITY_TOKEN",
    "SP_REPORTS_API_URL",
    "SP_REPORTS_ROLE_ARN",
    "SP_REPORTS_TERRAFORM_DIR",
    "SP_REPORTS_TERRAFORM_OUTPUTS",
    "SP_REPORTS_REFRESH_TOKEN",
)


@pytest.fixture(autouse=True)
def aws_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Session credentials the fake API knows, and no AWS config or client settings from the machine."""
    for name in _CLEARED:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
    monkeypatch.setenv("AWS_SESSION_TOKEN", SESSION_TOKEN)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def fake_api() -> Iterator[FakeApi]:
    api = FakeApi(REGION, known_credentials).start()
    yield api
    api.stop()


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def fields(self) -> dict[str, str]:
        """The `Label: value` lines of a report printed for people."""
        pairs = (line.split(":", 1) for line in self.stdout.splitlines() if ":" in line)
        return {label.strip(): value.strip() for label, value in pairs}


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """Runs `sp-reports ARGS` in-process and answers its exit code and output. The client's loggers start
    without handlers, as in the `sp-reports` process: a Lambda handler test in the same worker configures
    Powertools, whose handlers (writing to that test's closed capture) stay on the sp_reports loggers."""
    for name in ("sp_reports", "sp_reports.client"):
        monkeypatch.setattr(logging.getLogger(name), "handlers", [])

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        try:
            exit_code = cli.main(list(args))
        except SystemExit as exc:  # argparse usage errors
            exit_code = exc.code if isinstance(exc.code, int) else 2
        captured = capsys.readouterr()
        return CliResult(exit_code, captured.out, captured.err)

    return run


@pytest.fixture
def api_args(fake_api: FakeApi) -> list[str]:
    """Global flags that point the CLI at the fake API."""
    return ["--api-url", fake_api.base_url, "--region", REGION]


@pytest.fixture
def fake_terraform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Puts a `terraform` executable first on PATH that prints the given `output -json` document.

    It records its arguments in `calls.log` and fails like Terraform when asked to (`exit_code`).
    """
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")

    def install(stdout: str, exit_code: int = 0, stderr: str = "") -> Path:
        (bin_dir / "stdout.txt").write_text(stdout)
        (bin_dir / "stderr.txt").write_text(stderr)
        script = bin_dir / "terraform"
        script.write_text(
            "#!/bin/sh\n"
            f'echo "$@" >> "{bin_dir}/calls.log"\n'
            f'cat "{bin_dir}/stdout.txt"\n'
            f'cat "{bin_dir}/stderr.txt" >&2\n'
            f"exit {exit_code}\n"
        )
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
        return bin_dir / "calls.log"

    return install
