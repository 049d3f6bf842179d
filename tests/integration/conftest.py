"""What the integration tests share: the Lambda zips of the current sources, built once per test session."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sp_reports_harness.repository import REPO_ROOT


@pytest.fixture(scope="session")
def lambda_package_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Zips of the current sources (what `make package` builds) and the SP-API emulator's (what the
    real-account target of `make acceptance` deploys), so no test deploys stale code."""
    out = tmp_path_factory.mktemp("lambda")
    subprocess.run(  # noqa: S603 - our own packaging script
        [sys.executable, str(REPO_ROOT / "scripts" / "package_lambdas.py"), "--out", str(out), "--emulator"],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return out
