"""The zips carry ISA-L's compiled inflate for the function's runtime and architecture
(sp_reports.spapi.documents uses
it when it loads and falls back to zlib otherwise, so only this test notices a zip built without it)."""

from __future__ import annotations

import json
import zipfile

import pytest

from sp_reports_harness.repository import LAMBDA_PACKAGE_DIR

ZIP_DIR = LAMBDA_PACKAGE_DIR
MACHINE = {"x86_64": "x86_64", "arm64": "aarch64"}  # Lambda's architecture name -> the wheel's


def test_the_store_zip_carries_isal_built_for_its_runtime_and_architecture():
    manifest_path = ZIP_DIR / "manifest.json"
    if not manifest_path.exists():
        pytest.fail(f"{manifest_path} is missing: run `make package` first (make test does)")
    manifest = json.loads(manifest_path.read_text())
    python_tag = manifest["runtime"].removeprefix("python").replace(".", "")
    machine = MACHINE[manifest["architecture"]]
    names = zipfile.ZipFile(ZIP_DIR / "report_storer.zip").namelist()
    assert f"isal/isal_zlib.cpython-{python_tag}-{machine}-linux-gnu.so" in names
