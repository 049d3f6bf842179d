"""Where the harness finds the checkout's parts: the repository root, the build directory, built artifacts.

The harness runs only from the checkout (pyproject.toml keeps it out of the wheel), so these are paths in it.
The scripts, which run without the harness, keep the same facts in scripts/repository_paths.py;
tests/packaging/test_one_home.py holds the two to agreeing.
"""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
TERRAFORM_DIR = REPO_ROOT / "terraform"
# Never committed: fetched models, built zips, caches (`make clean` removes it).
BUILD_DIR = REPO_ROOT / ".build"
# Where `make package` (scripts/package_lambdas.py) writes the functions' zips, and the emulator's.
LAMBDA_PACKAGE_DIR = BUILD_DIR / "lambda"
EMULATOR_ZIP = "spapi_emulator.zip"
