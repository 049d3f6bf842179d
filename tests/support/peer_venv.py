"""The peer clients' virtual environment: Amazon's SDK and python-amazon-sp-api, installed from the
hash-pinned `requirements.txt` beside this file, once per cache key, under `.build/peer-clients/<key>`.

A venv of their own because Amazon's SDK is imported as `spapi`, as our client library is: the two cannot
share a process. The key hashes the requirements and the Python version, so a changed pin builds a new venv.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from sp_reports_harness.repository import BUILD_DIR, REPO_ROOT

HERE = Path(__file__).resolve().parent
REQUIREMENTS = REPO_ROOT / "tests" / "peers" / "requirements.txt"
CACHE_ROOT = BUILD_DIR / "peer-clients"
DEFAULT_INDEX = "https://pypi.org/simple"


class PeerVenvUnavailable(RuntimeError):
    """No cached venv and no package index to build one from."""


def cache_key() -> str:
    digest = hashlib.sha256(REQUIREMENTS.read_bytes())
    digest.update(f"{sys.version_info.major}.{sys.version_info.minor}".encode())
    return digest.hexdigest()[:16]


def venv_dir() -> Path:
    return CACHE_ROOT / cache_key()


def venv_python(directory: Path | None = None) -> Path:
    directory = directory or venv_dir()
    return directory / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _ready(directory: Path) -> bool:
    return (directory / ".installed").is_file() and venv_python(directory).is_file()


def index_url() -> str:
    """The index pip installs from: PIP_INDEX_URL, else pip's configured index-url, else PyPI."""
    if os.environ.get("PIP_INDEX_URL"):
        return os.environ["PIP_INDEX_URL"]
    configured = subprocess.run(
        [sys.executable, "-m", "pip", "config", "get", "global.index-url"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return (
        configured.stdout.strip()
        if configured.returncode == 0 and configured.stdout.strip()
        else DEFAULT_INDEX
    )


def index_reachable(timeout: float = 5.0) -> bool:
    """Whether pip's index answers a TCP connection (a file:// index: whether it exists)."""
    parts = urlsplit(index_url())
    if parts.scheme == "file":
        return Path(parts.path).exists()
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "pypi.org", port), timeout=timeout):
            return True
    except OSError:
        return False


def ensure_venv() -> Path:
    """The cached venv's python, built first when missing. Raises PeerVenvUnavailable when it is missing and
    the index cannot be reached, and RuntimeError (with pip's output) when the install fails."""
    directory = venv_dir()
    if _ready(directory):
        return venv_python(directory)
    CACHE_ROOT.mkdir(parents=True, exist_ok=True)
    with open(CACHE_ROOT / ".lock", "w") as lock:  # one builder at a time (pytest-xdist, parallel runs)
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _ready(directory):
            return venv_python(directory)
        if not index_reachable():
            raise PeerVenvUnavailable(
                f"the peer clients' venv {directory} does not exist and the package index is unreachable"
            )
        building = directory.with_name(directory.name + ".building")
        shutil.rmtree(building, ignore_errors=True)
        shutil.rmtree(directory, ignore_errors=True)
        _run([sys.executable, "-m", "venv", str(building)])
        _run(
            [
                str(venv_python(building)),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--require-hashes",
                "--only-binary=:all:",
                "-r",
                str(REQUIREMENTS),
            ]
        )
        (building / ".installed").write_text(REQUIREMENTS.read_text())
        building.rename(directory)
    return venv_python(directory)


def _run(command: list[str]) -> None:
    result = subprocess.run(  # noqa: S603 - our own venv and pip commands
        command, capture_output=True, text=True, timeout=600, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"building the peer clients' venv failed: {' '.join(command[:4])} ... "
            f"exited {result.returncode}\n"
            f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )


def run_in_venv(
    python: Path, script: Path, stdin: str, extra_env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run `script` with the venv's `python`, nothing of ours on its path: Amazon's SDK is `spapi`, as our
    package is (no PYTHONPATH or PYTHONHOME, no user site, `-E -s`)."""
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME")}
    env["PYTHONNOUSERSITE"] = "1"
    env.update(extra_env or {})
    return subprocess.run(  # noqa: S603 - the peer venv's Python on our own script
        [str(python), "-E", "-s", str(script)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


if __name__ == "__main__":
    print(ensure_venv())
