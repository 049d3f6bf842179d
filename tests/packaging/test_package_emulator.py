"""scripts/package_lambdas.py --emulator: spapi_emulator.zip, the SP-API emulator as a Lambda (issue 15):
reproducible, with the emulator, the SP-API client, its libraries (not the runtime's) and the models read at
build time. Fake trees keep it offline and quick."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

import package_lambdas
from sp_reports_harness.repository import REPO_ROOT


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def trees(tmp_path: Path) -> tuple[Path, Path, Path]:
    src, deps, models = tmp_path / "src", tmp_path / "deps", tmp_path / "models"
    harness = tmp_path / "harness"
    _write(harness / "spapi_emulator" / "__init__.py", "")
    _write(harness / "spapi_emulator" / "lambda_function.py", "def handler(event, context):\n    return 1\n")
    _write(harness / "spapi_emulator" / "__pycache__" / "app.cpython-311.pyc", "bytecode")
    _write(src / "sp_reports" / "__init__.py", "")
    _write(src / "sp_reports" / "spapi" / "__init__.py", "")
    _write(src / "sp_reports" / "analytics" / "__init__.py", "")
    _write(src / "sp_reports" / "analytics" / "table_schemas.json", "{}\n")
    _write(src / "sp_reports" / "handlers" / "report_creator.py", "# not the emulator's\n")
    _write(deps / "werkzeug" / "__init__.py", "# werkzeug\n")
    _write(deps / "jsonschema" / "__init__.py", "# jsonschema\n")
    _write(deps / "boto3" / "__init__.py", "# the runtime has it\n")
    for name in ("reports_2021-06-30.json", "notifications.json", "LICENSE", "NOTICE"):
        _write(models / name, "{}\n")
    return src, deps, models


def _names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


def test_the_emulator_zip_holds_what_the_function_imports_and_the_models(tmp_path, trees):
    src, deps, models = trees

    built = package_lambdas.build_emulator(
        tmp_path / "out", src_dir=src, harness_dir=tmp_path / "harness", models_dir=models, deps_dir=deps
    )

    assert built.name == "spapi_emulator.zip"
    assert _names(built) == sorted(
        [
            "jsonschema/__init__.py",
            "sp_reports/__init__.py",
            "sp_reports/analytics/__init__.py",
            "sp_reports/analytics/table_schemas.json",
            "sp_reports/spapi/__init__.py",
            "spapi_emulator/__init__.py",
            "spapi_emulator/lambda_function.py",
            "spapi_emulator/models/LICENSE",
            "spapi_emulator/models/NOTICE",
            "spapi_emulator/models/notifications.json",
            "spapi_emulator/models/reports_2021-06-30.json",
            "werkzeug/__init__.py",
        ]
    )


def test_the_emulator_zip_is_byte_identical_when_its_sources_are(tmp_path, trees):
    src, deps, models = trees
    first = package_lambdas.build_emulator(
        tmp_path / "a", src_dir=src, harness_dir=tmp_path / "harness", models_dir=models, deps_dir=deps
    )
    second = package_lambdas.build_emulator(
        tmp_path / "b", src_dir=src, harness_dir=tmp_path / "harness", models_dir=models, deps_dir=deps
    )

    assert first.read_bytes() == second.read_bytes()


def test_the_emulator_zip_is_not_built_without_the_models(tmp_path, trees):
    src, deps, _ = trees

    with pytest.raises(package_lambdas.PackagingError, match="no SP-API models in"):
        package_lambdas.build_emulator(
            tmp_path / "out",
            src_dir=src,
            harness_dir=tmp_path / "harness",
            models_dir=tmp_path / "none",
            deps_dir=deps,
        )


def test_the_emulators_libraries_are_the_projects_pins():
    requirements = package_lambdas.emulator_requirements(REPO_ROOT / "pyproject.toml")

    assert [package_lambdas._requirement_name(r) for r in requirements] == ["jsonschema", "werkzeug"]
