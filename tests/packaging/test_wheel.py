"""`pip wheel .` builds the distribution users install: the libraries, the handlers and the CLI, not the
development harness (local AWS on moto and the SP-API emulator run only from this checkout)."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from sp_reports_harness.repository import REPO_ROOT

SHIPPED = {
    "sp_reports.spapi",
    "sp_reports.analytics",
    "sp_reports.pipeline",
    "sp_reports.handlers",
    "sp_reports.client",
}
HARNESS = {path.name for path in (REPO_ROOT / "harness").iterdir() if (path / "__init__.py").is_file()}


@pytest.fixture(scope="module")
def wheel(built_wheel: Path) -> Iterator[zipfile.ZipFile]:
    with zipfile.ZipFile(built_wheel) as archive:
        yield archive


def _packages(archive: zipfile.ZipFile, depth: int) -> set[str]:
    """The packages `depth` levels deep (1: top-level) the wheel carries, dotted."""
    return {
        ".".join(n.split("/")[:depth])
        for n in archive.namelist()
        if n.endswith("/__init__.py") and n.count("/") == depth
    }


def test_the_wheel_carries_the_libraries_the_handlers_and_the_cli(wheel):
    names = set(wheel.namelist())
    assert _packages(wheel, 1) == {"sp_reports"}  # one namespace, beside Amazon's SDK's top-level `spapi`
    assert _packages(wheel, 2) == SHIPPED
    assert "sp_reports/client/openapi.yaml" in names
    assert "sp_reports/spapi/report_types.json" in names  # the catalogue is data beside its accessor
    assert "sp_reports/analytics/table_schemas.json" in names  # so are the analytics tables
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    assert "sp-reports = sp_reports.client.cli:main" in wheel.read(entry_points).decode()


def test_the_wheel_leaves_the_development_harness_out(wheel):
    assert {"sp_reports_harness", "spapi_emulator"} == HARNESS
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
