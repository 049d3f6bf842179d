"""Run inside a fresh venv holding our wheel and both peer SP-API clients (tests/packaging/test_namespace.py):
imports each package and prints, as one JSON document, where each import came from and the files each of the
three distributions installed (from its RECORD, resolved to absolute paths)."""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import sys
from pathlib import Path

IMPORTS = {
    "sp_reports.spapi": "sp_reports.spapi",
    "sp_reports.client": "sp_reports.client",
    "amzn-sp-api": "spapi.client",  # its entry point: SPAPIClient
    "python-amazon-sp-api": "sp_api.api",  # its entry point: the API classes (Reports, Notifications...)
}
DISTRIBUTIONS = ("sp-reports", "amzn-sp-api", "python-amazon-sp-api")

imported: dict[str, str] = {}
errors: dict[str, str] = {}
for label, module_name in IMPORTS.items():
    try:
        imported[label] = str(Path(importlib.import_module(module_name).__file__).resolve())
    except Exception as error:  # every failed import is a finding to report, not a crash
        errors[label] = f"{type(error).__name__}: {error}"
if "amzn-sp-api" in imported:
    imported["SPAPIClient"] = sys.modules["spapi.client"].SPAPIClient.__module__
if "python-amazon-sp-api" in imported:
    imported["Reports"] = sys.modules["sp_api.api"].Reports.__module__

files = {}
for name in DISTRIBUTIONS:
    distribution = importlib.metadata.distribution(name)
    files[name] = sorted(str(Path(distribution.locate_file(path)).resolve()) for path in distribution.files)

print(json.dumps({"imported": imported, "errors": errors, "files": files}))
