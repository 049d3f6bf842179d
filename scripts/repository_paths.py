"""Where the scripts find the checkout's parts: the repository root, the build directory, built artifacts.

The scripts run from the checkout without the harness (whose package loads local AWS), so they keep these
facts here, once for all of them; the harness's are in harness/sp_reports_harness/repository.py, and
tests/packaging/test_one_home.py holds the two to agreeing.
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
