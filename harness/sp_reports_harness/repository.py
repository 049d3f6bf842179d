"""Where the harness finds the checkout's parts: the repository root, the build directory, built artifacts.

The scripts' module (scripts/repository_paths.py) is their one home: the harness runs only from the checkout
with scripts/ on its path (the Makefile's and pytest's pythonpath), and builds the functions' zips with the
scripts' packaging too, so it names the same paths instead of working them out again.
"""

from __future__ import annotations

from repository_paths import BUILD_DIR, EMULATOR_ZIP, LAMBDA_PACKAGE_DIR, REPO_ROOT, TERRAFORM_DIR

__all__ = ["BUILD_DIR", "EMULATOR_ZIP", "LAMBDA_PACKAGE_DIR", "REPO_ROOT", "TERRAFORM_DIR"]
