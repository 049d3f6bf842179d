"""Where the scripts find the checkout's parts: the repository root, the build directory, built artifacts.

The one home of these facts in the checkout: the scripts run without the harness and import them from here,
and the harness (harness/sp_reports_harness/repository.py) names the same objects.
"""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
TERRAFORM_DIR = REPO_ROOT / "terraform"
# Never committed: fetched models, built zips, caches (`make clean` removes it).
BUILD_DIR = REPO_ROOT / ".build"
# Where `make package` (package_lambdas.py) writes the functions' zips, and the emulator's.
LAMBDA_PACKAGE_DIR = BUILD_DIR / "lambda"
EMULATOR_ZIP = "spapi_emulator.zip"
