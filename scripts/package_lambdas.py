#!/usr/bin/env python3
"""Build the Lambda zips Terraform deploys, byte-identical whenever the sources are.

One zip per function (`<name>.zip`) holding the namespace's `sp_reports/__init__.py`,
`sp_reports/handlers/__init__.py`, `sp_reports/handlers/<name>.py`, the shared `sp_reports/handlers/_*.py`
helpers, the packages in `LIBRARY_PACKAGES` (the SP-API client `sp_reports.spapi`, the application layer
`sp_reports.pipeline` and the analytics tables `sp_reports.analytics`) and the runtime dependencies; the
report converter's zip also carries pyarrow (CONVERTER_FUNCTION). The sp-reports CLI (`sp_reports.client`)
stays out. Dependencies are installed by pip for the Lambda runtime and architecture that
`terraform/variables.tf` declares (not for this machine's Python), from the hash-pinned lock
`lambda-requirements.txt` (`make lock`, scripts/lock.py) with `--require-hashes --no-deps`, so every machine
installs the same files or none; they are cached in `.build/deps-<key>`, the key a digest of the lock's pins
and hashes and the target, so a relock (what was resolved) and nothing else picks a new tree. The build
refuses a lock that no longer satisfies pyproject.toml's runtime dependencies. Every `.py` in a zip comes with
its `__pycache__/*.pyc`, compiled by an interpreter of the runtime's Python version as unchecked-hash pycs
(scripts/lambda_bytecode.py says why and how they stay reproducible); bytecode found in the source or
dependency trees is left out. Entries are sorted, timestamps fixed at 1980-01-01, modes 0644, so
`source_code_hash` changes exactly when code does. `manifest.json` lists each zip's sha256, the runtime and
architecture the dependencies were built for and the Python that compiled the bytecode; the Terraform root
refuses to deploy the zips when the runtime or architecture differ from its lambda_runtime and
lambda_architecture.

Without an interpreter of the runtime's version (`--runtime-python`, $SP_REPORTS_RUNTIME_PYTHON,
`python3.X` on PATH or pyenv's) the zips are built without bytecode, with a warning: they work, but every cold
start then compiles the zip's modules from source (docs/benchmarks.md, "Cold start", measures what it costs).

`--check` builds into a temporary directory and fails when the zips in `--out` differ (stale or missing).

Left out on purpose: boto3, botocore and s3transfer, which every Python Lambda runtime provides. urllib3
(pulled by requests) and jmespath (pulled by Powertools) are kept: the runtime has them too, but in whatever
version AWS ships that month; shipping ours pins what requests and botocore import, in tests and in Lambda
alike. urllib3 is held below 3 because the runtime's botocore imports the copy in the zip (/var/task comes
first on sys.path) and supports only urllib3 < 3.
"""

from __future__ import annotations

import argparse
import base64
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

import lambda_bytecode
import tf_docs
from repository_paths import BUILD_DIR, EMULATOR_ZIP, LAMBDA_PACKAGE_DIR, REPO_ROOT, TERRAFORM_DIR
from sp_reports.handlers import FUNCTIONS

# The functions' runtime dependencies, pinned and hashed (scripts/lock.py writes it; docs/releases.md).
LOCK_FILE = REPO_ROOT / "lambda-requirements.txt"
HARNESS_DIR = REPO_ROOT / "harness"
EMULATOR_LOCK_FILE = REPO_ROOT / "emulator-requirements.txt"
# The lock's header line recording what it was resolved from; a different digest means it is stale.
LOCK_INPUT_PREFIX = "# input-sha256: "
# Files the build writes into a dependency tree beside what pip installed; never shipped.
TREE_MARKERS = (".complete", ".pip-report.json")
# Provided by every Python Lambda runtime; shipping them would only grow the zip.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer")
# botocore's own dependencies, which the runtime provides beside it (local AWS's runtime stand-in holds the
# same set: sp_reports_harness.local_aws.awslambda.runtime.RUNTIME_PACKAGES) and which nothing we ship needs
# but botocore: the lock resolves python-dateutil "via botocore" and six "via python-dateutil" only
# (tests/packaging/test_package_lambdas.py holds the lock to that). Names as in the installed tree.
BOTOCORE_ONLY = ("python_dateutil", "dateutil", "six", "six.py")
# Extra pins: the runtime's botocore imports the urllib3 we ship.
CONSTRAINTS = ("urllib3<3",)
FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644
PLATFORMS = {"x86_64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}
EXCLUDED_DIR_NAMES = {"__pycache__", "bin"}
EXCLUDED_SUFFIXES = (".pyc", ".pyo")
# The packages every handler imports from, whole: the SP-API client, the application layer on top of it and
# the analytics tables (sp_reports.analytics: the schemas and curated keys that seller erasure and plan
# coverage read too; its one module importing pyarrow, parquet_files, is imported by the report converter
# alone).
NAMESPACE = "sp_reports"
LIBRARY_PACKAGES = ("sp_reports/spapi", "sp_reports/pipeline", "sp_reports/analytics")


# The report converter (sp_reports.handlers.report_converter) alone carries pyarrow, which
# sp_reports.analytics.parquet_files imports: pyproject.toml's optional dependency group `analytics`,
# hash-pinned in its own lock (converter-requirements.txt, `make lock`) and installed into its own tree, so
# the other zips stay as small as they were. pyarrow's wheels for CPython 3.13 are manylinux_2_28 on both
# architectures (glibc 2.28 or later): Lambda's python3.13 runtime is Amazon Linux 2023, glibc 2.34 (Lambda
# Developer Guide, "Lambda runtimes": https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html), so
# pip is told the platform accepts manylinux_2_28 wheels as well as manylinux2014 ones. The zip, about 60
# MB, goes to Lambda through S3 in both deployment modes (terraform/artifacts.tf), where the limit is 250 MB
# unzipped (Lambda Developer Guide, "Lambda quotas"); docs/design.md, "Analytics output: dependency choice",
# has the figures.
CONVERTER_FUNCTION = "report_converter"
CONVERTER_LOCK_FILE = REPO_ROOT / "converter-requirements.txt"
CONVERTER_EXTRA = "analytics"
CONVERTER_PLATFORMS = {
    "x86_64": ("manylinux_2_28_x86_64", "manylinux2014_x86_64"),
    "arm64": ("manylinux_2_28_aarch64", "manylinux2014_aarch64"),
}


# The SP-API emulator deployed as a Lambda (make acceptance's real-account target), built with `--emulator`
# into `spapi_emulator.zip`: its package, the pure SP-API client it imports, the libraries it needs that the
# runtime lacks (pyproject.toml's dev requirements, resolved by `make lock` into the hash-pinned
# emulator-requirements.txt and installed as the functions' lock is), and the SP-API models it holds every
# exchange to, read from --models-dir at build time (build output: never copied into the repository), with
# their LICENSE and NOTICE.
EMULATOR = "spapi_emulator"
EMULATOR_PACKAGE = "spapi_emulator"  # from the harness (harness/), beside the library it imports from src/
EMULATOR_LIBRARY_PACKAGES = ("sp_reports/spapi", "sp_reports/analytics")  # analytics: its table schemas
EMULATOR_LIBRARIES = ("jsonschema", "werkzeug")
EMULATOR_MODELS_DIR = "spapi_emulator/models"


class PackagingError(Exception):
    """The zips cannot be built (missing source, pip failure, unreadable Terraform default)."""


@dataclass(frozen=True)
class Target:
    """The Lambda environment the dependencies are built for."""

    runtime: str
    architecture: str

    @property
    def python_version(self) -> str:
        if not self.runtime.startswith("python3."):
            raise PackagingError(f"runtime {self.runtime!r} is not a Python runtime")
        return self.runtime.removeprefix("python")

    @property
    def platform(self) -> str:
        try:
            return PLATFORMS[self.architecture]
        except KeyError:
            raise PackagingError(
                f"architecture {self.architecture!r} is not one of {sorted(PLATFORMS)}"
            ) from None


def target_from_terraform(variables_dir: Path) -> Target:
    """Read the lambda_runtime and lambda_architecture defaults of the root module."""
    defaults = tf_docs.variable_defaults(variables_dir)
    values = {}
    for name in ("lambda_runtime", "lambda_architecture"):
        source = defaults.get(name)
        if source is None or not source.startswith('"'):
            raise PackagingError(f"{variables_dir}/variables.tf: variable {name} needs a string default")
        values[name] = json.loads(source)
    return Target(runtime=values["lambda_runtime"], architecture=values["lambda_architecture"])


def runtime_requirements(pyproject: Path) -> list[str]:
    """The project's runtime dependencies minus what the Lambda runtime provides, plus our constraints."""
    dependencies = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
    kept = [d for d in dependencies if _requirement_name(d) not in RUNTIME_PROVIDED]
    return sorted(kept) + list(CONSTRAINTS)


def converter_requirements(pyproject: Path) -> list[str]:
    """The report converter's own dependencies: pyproject.toml's optional group `analytics`."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    extra = project.get("optional-dependencies", {}).get(CONVERTER_EXTRA)
    if not extra:
        raise PackagingError(f"{pyproject}: no optional dependency group {CONVERTER_EXTRA!r}")
    return sorted(extra)


def _requirement_name(requirement: str) -> str:
    name = requirement
    for separator in "<>=!~;[ ":
        name = name.split(separator, 1)[0]
    return name.strip().lower().replace("_", "-")


@dataclass(frozen=True)
class Pin:
    """One entry of the lock: an exact version and the sha256 of every file pip may install for it."""

    name: str
    version: str
    hashes: tuple[str, ...]


def lock_input_digest(requirements: list[str], target: Target, architectures: Iterable[str]) -> str:
    """What a lock was resolved from: the requirements, the runtime's Python and the architectures."""
    source = json.dumps(
        {
            "requirements": requirements,
            "python": target.python_version,
            "architectures": sorted(architectures),
        },
        sort_keys=True,
    )
    return hashlib.sha256(source.encode()).hexdigest()


def _logical_lines(text: str) -> Iterator[str]:
    pending = ""
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        pending += line
        if pending.strip():
            yield pending.strip()
        pending = ""
    if pending.strip():
        yield pending.strip()


def read_lock(path: Path) -> dict[str, Pin]:
    """Canonical name -> Pin for every entry of a hash-pinned requirements file (`name==version --hash=...`).

    Anything pip's hash-checking mode would not install exactly (no `==`, no hash, a marker, an option) is
    refused here, so a hand-edited lock fails the build before pip runs."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PackagingError(f"{path} not found: run `make lock`") from None
    return pins_of(text, path)


def pins_of(text: str, path: Path | str = "lock") -> dict[str, Pin]:
    """read_lock's parser, on the text of a hash-pinned requirements file (`path` names it in errors)."""
    pins: dict[str, Pin] = {}
    for line in _logical_lines(text):
        requirement, *options = line.split()
        hashes = []
        for option in options:
            if not option.startswith("--hash=sha256:"):
                raise PackagingError(f"{path}: {line!r}: only --hash=sha256:... may follow a pin")
            hashes.append(option.removeprefix("--hash=sha256:"))
        name, separator, version = requirement.partition("==")
        if not separator or not version or ";" in requirement or not hashes:
            raise PackagingError(f"{path}: {requirement!r} is not an exact pin with hashes: run `make lock`")
        canonical = canonicalize_name(name.split("[", 1)[0])
        pins[canonical] = Pin(canonical, version, tuple(sorted(hashes)))
    if not pins:
        raise PackagingError(f"{path} pins nothing: run `make lock`")
    return pins


def lock_input(path: Path) -> str | None:
    """The input digest a lock records in its header (None when it records none)."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(LOCK_INPUT_PREFIX):
            return line.removeprefix(LOCK_INPUT_PREFIX).strip()
    return None


def lock_problems(requirements: list[str], pins: dict[str, Pin]) -> list[str]:
    """Why the lock does not cover the requirements: one message per requirement it lacks or pins outside the
    requirement's range (pre-releases count as in range when pinned: the lock chose them)."""
    problems = []
    for text in requirements:
        try:
            requirement = Requirement(text)
        except InvalidRequirement as error:
            problems.append(f"{text!r}: {error}")
            continue
        pin = pins.get(canonicalize_name(requirement.name))
        if pin is None:
            problems.append(f"{text!r}: not in the lock")
            continue
        try:
            satisfied = requirement.specifier.contains(Version(pin.version), prereleases=True)
        except InvalidVersion:
            satisfied = False
        if not satisfied:
            problems.append(f"{text!r}: the lock pins {pin.name}=={pin.version}")
    return problems


def check_lock(lock: Path, requirements: list[str], target: Target) -> dict[str, Pin]:
    """The lock's pins, refused when they no longer cover the requirements or were resolved from other input
    (the requirements, the runtime's Python or the architectures changed without `make lock`)."""
    pins = read_lock(lock)
    problems = lock_problems(requirements, pins)
    if lock_input(lock) != lock_input_digest(requirements, target, PLATFORMS):
        problems.append(
            "it was resolved from other requirements or for another Python than "
            f"{target.python_version} on {', '.join(sorted(PLATFORMS))}"
        )
    if problems:
        raise PackagingError(
            f"{lock} is stale: " + "; ".join(problems) + ". Run `make lock` and commit the new lock."
        )
    return pins


def dependency_cache_key(pins: dict[str, Pin], target: Target) -> str:
    """The dependency tree's cache key: what the lock resolved (names, versions, hashes) and the target.

    Comments and order in the lock do not count; a new version or a new file hash does, on any machine."""
    resolved = [
        [pin.name, pin.version, list(pin.hashes)] for pin in sorted(pins.values(), key=lambda p: p.name)
    ]
    source = json.dumps(
        {"lock": resolved, "runtime": target.runtime, "platform": target.platform}, sort_keys=True
    )
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def install_locked(
    lock: Path,
    target: Target,
    build_dir: Path,
    requirements: list[str],
    platforms: tuple[str, ...] | None = None,
) -> Path:
    """Install the lock for the target, hash-checked, into `.build/deps-<key>`, reused while the key holds.
    `platforms` are the wheel platforms pip may take (default: the target's manylinux2014 one)."""
    pins = check_lock(lock, requirements, target)
    key = dependency_cache_key(pins, target)
    marker = json.dumps({"lock_key": key, "runtime": target.runtime, "platform": target.platform})
    # --no-deps: the lock is the whole resolution (pip would refuse an unhashed extra anyway).
    return _pip_install(
        ["--require-hashes", "--no-deps", "-r", str(lock)], key, marker, target, build_dir, platforms
    )


def install_converter_locked(lock: Path, target: Target, build_dir: Path, requirements: list[str]) -> Path:
    """The report converter's own tree (pyarrow), from its lock, for the target's manylinux_2_28 platform."""
    return install_locked(lock, target, build_dir, requirements, CONVERTER_PLATFORMS[target.architecture])


def install_dependencies(requirements: list[str], target: Target, build_dir: Path) -> Path:
    """Install requirement strings for the target, keyed by them: the emulator's libraries only (the make
    acceptance stand-in, never released); the functions' dependencies come from the lock (install_locked)."""
    key_source = json.dumps(
        {"requirements": requirements, "runtime": target.runtime, "platform": target.platform}, sort_keys=True
    )
    key = hashlib.sha256(key_source.encode()).hexdigest()[:16]
    return _pip_install(list(requirements), key, key_source, target, build_dir)


def _pip_install(
    arguments: list[str],
    key: str,
    marker: str,
    target: Target,
    build_dir: Path,
    platforms: tuple[str, ...] | None = None,
) -> Path:
    cache = build_dir / f"deps-{key}"
    if (cache / ".complete").exists():
        return cache
    build_dir.mkdir(parents=True, exist_ok=True)
    # Builds running side by side (the test suite's workers) install a key once: the second waits for the
    # first and finds the cache complete, instead of replacing it under the first's feet.
    with (build_dir / f".deps-{key}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (cache / ".complete").exists():
            return cache
        return _pip_install_locked(arguments, cache, marker, target, build_dir, platforms)


def _pip_install_locked(
    arguments: list[str],
    cache: Path,
    marker: str,
    target: Target,
    build_dir: Path,
    platforms: tuple[str, ...] | None = None,
) -> Path:
    staging = Path(tempfile.mkdtemp(prefix="deps-", dir=build_dir))
    report = staging.with_suffix(".report.json")
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",
        *[option for platform in platforms or (target.platform,) for option in ("--platform", platform)],
        "--python-version",
        target.python_version,
        "--implementation",
        "cp",
        "--only-binary=:all:",
        # pip's record of each file it installed and its sha256: the SBOM names the exact wheels.
        "--report",
        str(report),
        "--target",
        str(staging),
        *arguments,
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - fixed argv
    if result.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        report.unlink(missing_ok=True)
        raise PackagingError(f"pip install failed ({result.returncode}):\n{result.stderr.strip()}")
    if report.exists():
        report.replace(staging / ".pip-report.json")
    (staging / ".complete").write_text(marker + "\n", encoding="utf-8")
    if cache.exists():  # a half-built cache from an interrupted run
        shutil.rmtree(cache)
    staging.rename(cache)
    return cache


def _walk_files(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in EXCLUDED_DIR_NAMES)
        for filename in sorted(filenames):
            if not filename.endswith(EXCLUDED_SUFFIXES):
                yield Path(dirpath) / filename


def _is_runtime_provided(relative: Path) -> bool:
    top = relative.parts[0]
    name = top.split("-", 1)[0].lower() if top.endswith(".dist-info") else top.lower()
    return name in RUNTIME_PROVIDED or name in BOTOCORE_ONLY


def dependency_entries(deps_dir: Path) -> dict[str, Path]:
    """Archive name -> file for the installed dependencies, minus runtime-provided packages and our marker."""
    entries = {}
    for path in _walk_files(deps_dir):
        relative = path.relative_to(deps_dir)
        if relative.name in TREE_MARKERS and len(relative.parts) == 1:
            continue
        if _is_runtime_provided(relative):
            continue
        entries[relative.as_posix()] = path
    return entries


def source_entries(src_dir: Path, function: str) -> dict[str, Path]:
    """Archive name -> file for one function's handler, the handler helpers and the library packages."""
    handlers = src_dir / NAMESPACE / "handlers"
    handler = handlers / f"{function}.py"
    if not handler.is_file():
        raise PackagingError(f"{handler} not found: no handler for function {function!r}")
    files = [
        src_dir / NAMESPACE / "__init__.py",
        handlers / "__init__.py",
        handler,
        *sorted(handlers.glob("_*.py")),
    ]
    entries = {f.relative_to(src_dir).as_posix(): f for f in files if f.is_file()}
    entries.update(_package_entries(src_dir, LIBRARY_PACKAGES))
    return entries


def _package_entries(root: Path, packages: tuple[str, ...]) -> dict[str, Path]:
    """Archive name -> file for whole packages under root (each named by its path, e.g. sp_reports/spapi)."""
    entries = {}
    for package in packages:
        package_dir = root / package
        if not (package_dir / "__init__.py").is_file():
            raise PackagingError(f"{package_dir}/__init__.py not found")
        for path in _walk_files(package_dir):
            entries[path.relative_to(root).as_posix()] = path
    return entries


def emulator_requirements(pyproject: Path) -> list[str]:
    """The emulator's own libraries, as pinned in the project's dev dependencies."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    dev = project.get("optional-dependencies", {}).get("dev", [])
    kept = sorted(d for d in dev if _requirement_name(d) in EMULATOR_LIBRARIES)
    missing = set(EMULATOR_LIBRARIES) - {_requirement_name(d) for d in kept}
    if missing:
        raise PackagingError(f"{pyproject}: no dev dependency pins {', '.join(sorted(missing))}")
    return kept


def emulator_source_entries(src_dir: Path, harness_dir: Path, models_dir: Path) -> dict[str, Path]:
    """Archive name -> file for the emulator's package, the SP-API client it imports and the SP-API models."""
    entries = {f"{NAMESPACE}/__init__.py": src_dir / NAMESPACE / "__init__.py"}
    entries.update(_package_entries(src_dir, EMULATOR_LIBRARY_PACKAGES))
    entries.update(_package_entries(harness_dir, (EMULATOR_PACKAGE,)))
    models = sorted(p for p in models_dir.glob("*") if p.is_file()) if models_dir.is_dir() else []
    if not any(p.suffix == ".json" for p in models):
        raise PackagingError(f"no SP-API models in {models_dir}: pass --models-dir or run `make models`")
    for path in models:
        entries[f"{EMULATOR_MODELS_DIR}/{path.name}"] = path
    return entries


def build_emulator(
    out_dir: Path,
    *,
    src_dir: Path,
    models_dir: Path,
    deps_dir: Path,
    harness_dir: Path = HARNESS_DIR,
    runtime_python: lambda_bytecode.RuntimePython | None = None,
) -> Path:
    """Build spapi_emulator.zip into out_dir (reproducible as the functions' zips are); its path."""
    sources = {**dependency_entries(deps_dir), **emulator_source_entries(src_dir, harness_dir, models_dir)}
    entries: dict[str, Path | bytes] = dict(sources)
    if runtime_python is not None:
        try:
            bytecode, _uncompiled = lambda_bytecode.compile_sources(runtime_python, sources)
        except lambda_bytecode.BytecodeError as error:
            raise PackagingError(str(error)) from None
        for name in sources:
            pyc = lambda_bytecode.cache_name(name, runtime_python.cache_tag)
            if pyc in bytecode:
                entries[pyc] = bytecode[pyc]
    destination = out_dir / EMULATOR_ZIP
    write_zip(destination, entries)
    return destination


def write_zip(destination: Path, entries: dict[str, Path | bytes]) -> None:
    """Write a reproducible zip: sorted names, fixed time and mode, no directory entries."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    temporary = destination.with_suffix(".zip.tmp")
    with zipfile.ZipFile(temporary, "w") as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so external_attr carries the mode
            info.external_attr = (0o100000 | FILE_MODE) << 16
            content = entries[name]
            data = content if isinstance(content, bytes) else content.read_bytes()
            archive.writestr(info, data, compresslevel=9)
    temporary.replace(destination)


def _digests(path: Path) -> dict[str, str | int]:
    data = path.read_bytes()
    digest = hashlib.sha256(data).digest()
    return {"sha256": digest.hex(), "base64_sha256": base64.b64encode(digest).decode(), "size": len(data)}


def build(
    out_dir: Path,
    *,
    src_dir: Path,
    functions: Iterable[str],
    target: Target,
    deps_dir: Path,
    requirements: list[str],
    runtime_python: lambda_bytecode.RuntimePython | None = None,
    version: str | None = None,
    lock: Path | None = None,
    converter_deps_dir: Path | None = None,
    converter_lock: Path | None = None,
) -> dict:
    """Build every function's zip into out_dir and write manifest.json; return the manifest.

    With `runtime_python`, each zip carries the bytecode that interpreter compiled for its `.py` entries;
    `version` names a release (scripts/release.py) in the manifest. The report converter's zip also carries
    `converter_deps_dir` (pyarrow), which building it requires."""
    dependencies = dependency_entries(deps_dir)
    per_function = {function: {**dependencies, **source_entries(src_dir, function)} for function in functions}
    if CONVERTER_FUNCTION in per_function:
        if converter_deps_dir is None:
            raise PackagingError(f"{CONVERTER_FUNCTION} needs its own dependency tree (pyarrow)")
        per_function[CONVERTER_FUNCTION] = {
            **dependency_entries(converter_deps_dir),
            **per_function[CONVERTER_FUNCTION],
        }
    bytecode: dict[str, bytes] = {}
    if runtime_python is not None:
        everything: dict[str, Path] = {}
        for entries in per_function.values():
            everything.update(entries)
        try:
            bytecode, uncompiled = lambda_bytecode.compile_sources(runtime_python, everything)
        except lambda_bytecode.BytecodeError as error:
            raise PackagingError(str(error)) from None
        if uncompiled:
            print(
                f"package_lambdas: {len(uncompiled)} source(s) do not compile under Python "
                f"{runtime_python.full_version} and ship without bytecode: {', '.join(uncompiled[:5])}"
                + (" ..." if len(uncompiled) > 5 else ""),
                file=sys.stderr,
            )
    for function in sorted(per_function):
        entries: dict[str, Path | bytes] = dict(per_function[function])
        for name in list(per_function[function]):
            pyc = lambda_bytecode.cache_name(name, runtime_python.cache_tag) if runtime_python else None
            if pyc in bytecode:
                entries[pyc] = bytecode[pyc]
        write_zip(out_dir / f"{function}.zip", entries)
    return write_manifest(
        out_dir,
        functions,
        target,
        requirements,
        runtime_python,
        version=version,
        dependencies=installed_distributions(deps_dir),
        lock=lock,
        converter_dependencies=(
            installed_distributions(converter_deps_dir)
            if converter_deps_dir and CONVERTER_FUNCTION in per_function
            else None
        ),
        converter_lock=converter_lock if CONVERTER_FUNCTION in per_function else None,
    )


def installed_distributions(deps_dir: Path) -> dict[str, str]:
    """Name -> version of every distribution the zips carry (their `*.dist-info` directories), minus what the
    runtime provides: what pip resolved the requirements to when the dependency tree was built."""
    found = {}
    for info in sorted(deps_dir.glob("*.dist-info")):
        name, _, version = info.name.removesuffix(".dist-info").partition("-")
        if version and name.lower() not in RUNTIME_PROVIDED and name.lower() not in BOTOCORE_ONLY:
            found[_requirement_name(name)] = version
    return found


def installed_wheel_hashes(deps_dir: Path) -> dict[str, str]:
    """Name -> sha256 of the wheel pip installed for it, from the report pip wrote when it built the tree
    (empty for a tree built without one, e.g. --deps-dir)."""
    try:
        report = json.loads((deps_dir / ".pip-report.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    found = {}
    for item in report.get("install", []):
        name = canonicalize_name(item["metadata"]["name"])
        archive = item.get("download_info", {}).get("archive_info", {})
        digest = archive.get("hashes", {}).get("sha256")
        if digest is None and str(archive.get("hash", "")).startswith("sha256="):
            digest = archive["hash"].removeprefix("sha256=")
        if digest:
            found[name] = digest
    return found


def write_manifest(
    out_dir: Path,
    functions: Iterable[str],
    target: Target,
    requirements: list[str],
    runtime_python: lambda_bytecode.RuntimePython | None = None,
    *,
    version: str | None = None,
    dependencies: dict[str, str] | None = None,
    lock: Path | None = None,
    converter_dependencies: dict[str, str] | None = None,
    converter_lock: Path | None = None,
) -> dict:
    """Write out_dir/manifest.json for the zips in out_dir and return it.

    The root module refuses to deploy zips whose manifest `runtime`/`architecture` differ from its
    lambda_runtime/lambda_architecture, or (local directory) whose `base64_sha256` differs from the zip
    next to it. Each function's entry repeats the runtime, architecture and build Python, so an entry read
    on its own (a release's manifest in S3) says what its zip is for. `version` names a release
    (scripts/release.py).
    """
    python = runtime_python.full_version if runtime_python else None
    manifest: dict = {
        "runtime": target.runtime,
        "architecture": target.architecture,
        "requirements": requirements,
        # Which interpreter compiled the zips' bytecode (null: none, every cold start compiles the sources).
        "bytecode": runtime_python.describe() if runtime_python else None,
        "functions": {},
    }
    if version is not None:
        manifest["version"] = version
    if dependencies is not None:
        manifest["dependencies"] = dependencies
    if lock is not None:
        # The lock the dependencies were installed from: its file name and sha256 (the bytes committed).
        manifest["lock"] = {"file": lock.name, "sha256": hashlib.sha256(lock.read_bytes()).hexdigest()}
    # What the report converter's zip carries beside them (pyarrow), and the lock it came from.
    if converter_dependencies is not None:
        manifest["converter_dependencies"] = converter_dependencies
    if converter_lock is not None:
        manifest["converter_lock"] = {
            "file": converter_lock.name,
            "sha256": hashlib.sha256(converter_lock.read_bytes()).hexdigest(),
        }
    for function in sorted(functions):
        zip_path = out_dir / f"{function}.zip"
        manifest["functions"][function] = {
            "file": zip_path.name,
            **_digests(zip_path),
            "runtime": target.runtime,
            "architecture": target.architecture,
            "python": python,
        }
    write_manifest_json(out_dir, manifest)
    return manifest


def write_manifest_json(out_dir: Path, manifest: dict) -> None:
    """out_dir/manifest.json, formatted the one way (sorted keys) that keeps rebuilds byte-identical."""
    (out_dir / "manifest.json").write_text(
        json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )


def stale_zips(built_dir: Path, out_dir: Path, functions: Iterable[str]) -> list[str]:
    """Names of the files in out_dir that differ from (or are missing next to) a fresh build in built_dir."""
    stale = []
    for name in [f"{f}.zip" for f in sorted(functions)] + ["manifest.json"]:
        existing = out_dir / name
        if not existing.is_file() or existing.read_bytes() != (built_dir / name).read_bytes():
            stale.append(name)
    return stale


def runtime_python_for(target: Target, explicit: str | None) -> lambda_bytecode.RuntimePython | None:
    """The interpreter that compiles the zips' bytecode; None (with a warning saying what it costs) when this
    machine has no Python of the runtime's version. One asked for by name must be that version."""
    python, tried = lambda_bytecode.find_runtime_python(target.python_version, explicit)
    if explicit and (python is None or python.executable != Path(explicit)):
        raise PackagingError(
            f"--runtime-python {explicit}: not a CPython {target.python_version} interpreter"
        )
    if python is None:
        print(
            f"package_lambdas: WARNING: no CPython {target.python_version} found (tried: "
            f"{', '.join(tried) or 'nothing on PATH, no pyenv'}); the zips carry NO bytecode, so every cold "
            f"start compiles their modules from source (docs/benchmarks.md, 'Cold start', has the cost). "
            f"Install Python {target.python_version} (e.g. `pyenv install {target.python_version}`) or pass "
            "--runtime-python.",
            file=sys.stderr,
        )
    return python


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=LAMBDA_PACKAGE_DIR, help="where the zips go")
    parser.add_argument("--check", action="store_true", help="fail when the zips in --out are stale")
    parser.add_argument("--src", type=Path, default=REPO_ROOT / "src", help="holds the sp_reports package")
    parser.add_argument("--functions", nargs="+", default=list(FUNCTIONS), help="functions to build")
    parser.add_argument("--terraform-dir", type=Path, default=TERRAFORM_DIR)
    parser.add_argument("--runtime", help="Lambda runtime (default: the Terraform lambda_runtime default)")
    parser.add_argument(
        "--architecture", help="x86_64 or arm64 (default: the Terraform lambda_architecture default)"
    )
    parser.add_argument(
        "--runtime-python",
        default=os.environ.get("SP_REPORTS_RUNTIME_PYTHON"),
        help="interpreter of the runtime's Python version that compiles the bytecode "
        "(default: $SP_REPORTS_RUNTIME_PYTHON, then python3.X on PATH, then pyenv's)",
    )
    parser.add_argument("--pyproject", type=Path, default=REPO_ROOT / "pyproject.toml")
    parser.add_argument(
        "--lock", type=Path, default=LOCK_FILE, help="the hash-pinned lock the dependencies come from"
    )
    parser.add_argument(
        "--converter-lock",
        type=Path,
        default=CONVERTER_LOCK_FILE,
        help="the hash-pinned lock of the report converter's own dependencies (pyarrow)",
    )
    parser.add_argument(
        "--converter-deps-dir",
        type=Path,
        help="use this already-installed tree as the report converter's own dependencies instead of pip",
    )
    parser.add_argument(
        "--emulator-lock",
        type=Path,
        default=EMULATOR_LOCK_FILE,
        help="the hash-pinned lock the emulator's libraries come from (with --emulator)",
    )
    parser.add_argument("--build-dir", type=Path, default=BUILD_DIR, help="where the dependency cache lives")
    parser.add_argument(
        "--deps-dir", type=Path, help="use this already-installed dependency tree instead of running pip"
    )
    parser.add_argument(
        "--emulator",
        action="store_true",
        help="also build spapi_emulator.zip, the SP-API emulator as a Lambda (make acceptance's real target)",
    )
    parser.add_argument(
        "--models-dir",
        type=Path,
        default=None,
        help="the SP-API models the emulator zip carries "
        "(default: spapi_emulator.contract.default_models_dir: $SPAPI_MODELS_DIR, else make models' copy)",
    )
    args = parser.parse_args(argv)

    try:
        target = target_from_terraform(args.terraform_dir)
        target = Target(
            runtime=args.runtime or target.runtime, architecture=args.architecture or target.architecture
        )
        requirements = runtime_requirements(args.pyproject)
        if args.deps_dir:
            check_lock(args.lock, requirements, target)
            deps_dir = args.deps_dir
        else:
            deps_dir = install_locked(args.lock, target, args.build_dir, requirements)
        converter_deps_dir = None
        if CONVERTER_FUNCTION in args.functions:
            converter = converter_requirements(args.pyproject)
            if args.converter_deps_dir:
                check_lock(args.converter_lock, converter, target)
                converter_deps_dir = args.converter_deps_dir
            else:
                converter_deps_dir = install_converter_locked(
                    args.converter_lock, target, args.build_dir, converter
                )
        runtime_python = runtime_python_for(target, args.runtime_python)
        options = {
            "src_dir": args.src,
            "functions": args.functions,
            "target": target,
            "deps_dir": deps_dir,
            "requirements": requirements,
            "runtime_python": runtime_python,
            "lock": args.lock,
            "converter_deps_dir": converter_deps_dir,
            "converter_lock": args.converter_lock,
        }
        if args.check:
            with tempfile.TemporaryDirectory(prefix="lambda-check-") as fresh:
                build(Path(fresh), **options)
                stale = stale_zips(Path(fresh), args.out, args.functions)
            if stale:
                print(
                    f"package_lambdas: stale in {args.out}: {', '.join(stale)}; run make package",
                    file=sys.stderr,
                )
                return 1
            print(f"package_lambdas: {args.out} is up to date")
            return 0
        manifest = build(args.out, **options)
        if args.emulator:
            from spapi_emulator.contract import ModelsNotFoundError, default_models_dir

            try:
                models_dir = args.models_dir or default_models_dir()  # the emulator's own choice, one place
            except ModelsNotFoundError as error:
                raise PackagingError(str(error)) from error
            emulator_deps = install_locked(
                args.emulator_lock, target, args.build_dir, emulator_requirements(args.pyproject)
            )
            built = build_emulator(
                args.out,
                src_dir=args.src,
                models_dir=models_dir,
                deps_dir=emulator_deps,
                runtime_python=runtime_python,
            )
            print(f"package_lambdas: {built.name} {built.stat().st_size} bytes")
    except PackagingError as error:
        print(f"package_lambdas: {error}", file=sys.stderr)
        return 1
    for function, entry in manifest["functions"].items():
        print(f"package_lambdas: {function}.zip {entry['size']} bytes sha256 {entry['sha256']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
