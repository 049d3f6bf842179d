import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sp_reports_harness.repository import REPO_ROOT


@pytest.fixture(scope="session")
def built_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Our wheel, as `pip wheel .` builds it: offline (no build isolation, no dependencies), from a copy of
    the sources, so the build's egg-info and build/ never land in the checkout."""
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
    return path
