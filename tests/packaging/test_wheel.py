"""`pip wheel .` builds the distribution users install: the libraries, the handlers and the CLI, not the
development harness (local AWS on moto and the SP-API emulator run only from this checkout)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator

import pytest

from sp_reports_local.repository import REPO_ROOT

SHIPPED = {"spapi", "reports_pipeline", "handlers", "sp_reports_client"}
HARNESS = {"sp_reports_local", "spapi_emulator"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Iterator[zipfile.ZipFile]:
    # Build from a copy, so the build's egg-info and build/ never land in the checkout.
    root = tmp_path_factory.mktemp("wheel")
    project = root / "project"
    shutil.copytree(
        REPO_ROOT / "src", project / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO_ROOT / name, project / name)
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet"]
    command += ["--disable-pip-version-check", "--wheel-dir", str(root / "dist"), str(project)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - fixed argv
    assert result.returncode == 0, result.stderr[-2000:]
    (path,) = (root / "dist").glob("sp_reports-*.whl")
    with zipfile.ZipFile(path) as archive:
        yield archive


def _top_level_packages(archive: zipfile.ZipFile) -> set[str]:
    return {n.split("/")[0] for n in archive.namelist() if n.endswith("/__init__.py") and n.count("/") == 1}


def test_the_wheel_carries_the_libraries_the_handlers_and_the_cli(wheel):
    names = set(wheel.namelist())
    assert _top_level_packages(wheel) == SHIPPED
    assert "sp_reports_client/openapi.yaml" in names
    assert "spapi/report_types.json" in names  # the report-type catalogue is data beside its accessor
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    assert "sp-reports = sp_reports_client.cli:main" in wheel.read(entry_points).decode()


def test_the_wheel_leaves_the_development_harness_out(wheel):
    assert not [n for n in wheel.namelist() if n.split("/")[0] in HARNESS]


def test_the_wheel_depends_on_no_development_package(wheel):
    (metadata,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    requires = [
        line.removeprefix("Requires-Dist: ")
        for line in wheel.read(metadata).decode().splitlines()
        if line.startswith("Requires-Dist: ")
    ]
    runtime = {re.match(r"[A-Za-z0-9_.-]+", r).group().lower() for r in requires if "extra ==" not in r}
    assert not runtime & {"moto", "werkzeug", "pytest"}
