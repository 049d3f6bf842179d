"""The Lambda runtime a local function runs on: the runtime's own Python and a stand-in for its packages.

A function configured with runtime ``python3.13`` runs, in Lambda, on CPython 3.13 with the zip's contents
first on ``sys.path`` and the runtime's bundled SDK (boto3 and what it imports) after them (Lambda Developer
Guide, "Building Lambda functions with Python": the runtime includes the SDK for Python (Boto3); "Working
with .zip file archives for Python Lambda functions": the deployment package's dependencies take precedence
over the runtime's copies, because /var/task comes first on the path). Running our zips the same way
locally is what makes local AWS run what Lambda runs: the zip's compiled wheels (``isal``,
``charset_normalizer``) built for that Python and architecture, and the bytecode ``package_lambdas`` compiled
for it (``scripts/lambda_bytecode.py``), which any other Python would ignore.

When the runtime's Python is not installed, or the zip was built for another architecture than this
machine's (its wheels would not load), the caller falls back to this process's interpreter and libraries and
says so (``RuntimeChoice.reason``).
"""

from __future__ import annotations

import fcntl
import json
import os
import platform
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from pathlib import Path

import lambda_bytecode  # scripts/: the packaging's finder of the runtime's Python
from sp_reports_harness.repository import BUILD_DIR

RUNTIME_PYTHON_ENV = "SP_REPORTS_RUNTIME_PYTHON"
# What every Python Lambda runtime provides: boto3 and what it imports (the runtime's SDK).
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six.py", "urllib3")
# Lambda's architecture names and the machine names (platform.machine()) that can load their wheels.
MACHINES = {"x86_64": ("x86_64", "amd64"), "arm64": ("aarch64", "arm64")}
STAND_IN_DIR = BUILD_DIR / "lambda-runtime"


@dataclass(frozen=True)
class RuntimeChoice:
    """The interpreter and library path a function's worker uses; ``reason`` says why it is not the runtime's
    own Python (None when it is)."""

    executable: str
    library_paths: tuple[str, ...]
    reason: str | None = None

    @property
    def is_runtime_python(self) -> bool:
        return self.reason is None


def find_runtime_python(runtime: str) -> tuple[lambda_bytecode.RuntimePython | None, list[str]]:
    """CPython of a ``pythonX.Y`` runtime (``SP_REPORTS_RUNTIME_PYTHON``, ``pythonX.Y`` on PATH, pyenv)."""
    version = runtime.removeprefix("python")
    return lambda_bytecode.find_runtime_python(version, os.environ.get(RUNTIME_PYTHON_ENV))


def loads_wheels_of(architecture: str) -> bool:
    return platform.machine().lower() in MACHINES.get(architecture, ())


def stand_in(python: lambda_bytecode.RuntimePython, directory: Path = STAND_IN_DIR) -> Path:
    """The runtime's SDK for ``python``: this virtualenv's copies of ``RUNTIME_PACKAGES``, compiled by it.

    Every file is copied, sources (their bytecode goes next to them) and data files alike: the runtime ships
    regular files, and botocore's first client stats every service's data directory (links would cost it an
    extra lookup per file, which the cold-start benchmark would count). Built once per interpreter and
    package versions, then reused; built in a temporary directory and renamed, so a concurrent builder or an
    interrupted build never leaves a half-built stand-in in place."""
    site_packages = Path(sysconfig.get_paths()["purelib"])
    stamp = json.dumps(
        {
            "python": python.full_version,
            "layout": "copies",  # data files copied, no longer linked
            "packages": sorted(
                p.name
                for p in site_packages.glob("*.dist-info")
                if p.name.split("-")[0].lower()
                in {name.split(".")[0].replace("dateutil", "python_dateutil") for name in RUNTIME_PACKAGES}
            ),
        },
        sort_keys=True,
    )
    target = directory / f"runtime-{python.cache_tag}"
    if (target / ".complete").is_file() and (target / ".complete").read_text() == stamp:
        return target
    directory.mkdir(parents=True, exist_ok=True)
    # Builders side by side (the test suite's workers, each starting its first function) build once: the
    # second waits and finds the stand-in complete, instead of replacing it while the first's functions run.
    with (directory / f".runtime-{python.cache_tag}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / ".complete").is_file() and (target / ".complete").read_text() == stamp:
            return target
        return _build_stand_in(python, site_packages, stamp, directory, target)


def _build_stand_in(
    python: lambda_bytecode.RuntimePython, site_packages: Path, stamp: str, directory: Path, target: Path
) -> Path:
    staging = Path(tempfile.mkdtemp(dir=directory, prefix=".building-"))
    try:
        for name in RUNTIME_PACKAGES:
            source = site_packages / name
            if not source.exists():
                raise FileNotFoundError(f"{source} is missing from the virtualenv")
            if source.is_file():
                shutil.copyfile(source, staging / name)
                continue
            for path in source.rglob("*"):
                if "__pycache__" in path.parts or path.is_dir():
                    continue
                copy = staging / name / path.relative_to(source)
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, copy)
        compiled = subprocess.run(  # noqa: S603 - the runtime's Python compiling our copy
            [str(python.executable), "-S", "-m", "compileall", "-q", str(staging)],
            capture_output=True,
            text=True,
            check=False,
        )
        if compiled.returncode != 0:
            raise RuntimeError(f"compiling the runtime stand-in failed:\n{compiled.stdout[-2000:]}")
        (staging / ".complete").write_text(stamp)
        shutil.rmtree(target, ignore_errors=True)
        try:
            staging.rename(target)
        except OSError:
            if not (target / ".complete").is_file():  # not a concurrent builder's finished copy
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def runtime_for(runtime: str, architecture: str, fallback_paths: tuple[str, ...]) -> RuntimeChoice:
    """The runtime's Python and SDK stand-in when this machine can run the zip as Lambda would; otherwise this
    interpreter with ``fallback_paths`` (this virtualenv's libraries) and the reason."""
    fallback = sys.executable
    if not runtime.startswith("python"):
        return RuntimeChoice(fallback, fallback_paths, f"runtime {runtime!r} is not a Python runtime")
    if not loads_wheels_of(architecture):
        return RuntimeChoice(
            fallback,
            fallback_paths,
            f"the zip's wheels are built for {architecture}, this machine is {platform.machine()}",
        )
    python, tried = find_runtime_python(runtime)
    if python is None:
        return RuntimeChoice(
            fallback,
            fallback_paths,
            f"no CPython for {runtime} found (tried: {', '.join(tried) or 'nothing'}; install it with pyenv "
            f"or set {RUNTIME_PYTHON_ENV})",
        )
    return RuntimeChoice(str(python.executable), (str(stand_in(python)),))
