#!/usr/bin/env python3
"""Build a release of the Lambda code: `dist/<version>/`, the zips, their manifest.json and SBOM, once.

`make release VERSION=x.y.z` runs this. The release is what a deployment takes from S3 (the root module's
lambda_artifacts_s3_bucket / lambda_artifacts_s3_prefix; docs/releases.md): with it, the machine that runs
`terraform plan` needs Terraform only, and every such machine plans the same code because the hashes come from
the manifest, not from zips built where Terraform runs.

The zips are scripts/package_lambdas.py's (sorted entries, fixed timestamps and modes, unchecked-hash pycs
compiled by the runtime's Python), so two builds of the same sources and dependencies are byte-identical. A
release refuses what would make them differ:

- a version that is not semver (https://semver.org) or carries build metadata: the version names the S3 prefix
  and the git tag (`vX.Y.Z`), and `+` is not one of S3's safe key characters (Amazon S3 User Guide, "Naming
  Amazon S3 objects", https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html);
- no CPython of the functions' runtime version (python3.13 -> 3.13) to compile the bytecode: package_lambdas
  would build zips without bytecode (or, with another Python, bytecode the runtime ignores), which are
  different bytes, so a release is not built at all;
- for a release version (no pre-release part), no CHANGELOG.md entry `## [X.Y.Z] - YYYY-MM-DD` with some
  text under it (Keep a Changelog, https://keepachangelog.com/en/1.1.0/). The entry is written by a person: a
  heading added by this script would publish a release that says nothing about itself. A pre-release
  (`1.2.0-rc.1`, `0.0.0-test`) is a candidate or a test build and needs none.

The release is built in a staging directory beside `dist/<version>/` and moved into place whole, so an
interrupted build never leaves a half release; an earlier build of the same version is replaced.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import lambda_bytecode
import package_lambdas
import sbom
from repository_paths import BUILD_DIR, REPO_ROOT, TERRAFORM_DIR
from sp_reports.handlers import FUNCTIONS

# Semantic Versioning 2.0.0's grammar (https://semver.org, "Backus-Naur Form Grammar") without build
# metadata.
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?$"
)


class ReleaseError(Exception):
    """The release cannot be built as asked (bad version, no changelog entry, no runtime Python)."""


def check_version(version: str) -> bool:
    """Refuse anything but MAJOR.MINOR.PATCH[-PRERELEASE]; True for a pre-release."""
    if "+" in version:
        raise ReleaseError(
            f"VERSION {version!r}: build metadata (+...) is not allowed: the version names the release's S3 "
            "prefix and git tag, and '+' is not a safe S3 key character"
        )
    match = SEMVER.match(version)
    if match is None:
        raise ReleaseError(
            f"VERSION {version!r} is not a semantic version: give MAJOR.MINOR.PATCH, e.g. 1.2.0 or 1.2.0-rc.1"
        )
    return match.group(4) is not None


def changelog_entry(changelog: Path, version: str) -> str:
    """The text of CHANGELOG.md's `## [version] - YYYY-MM-DD` entry; refused when missing or empty."""
    try:
        text = changelog.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReleaseError(f"{changelog} not found: a release needs its CHANGELOG.md entry") from None
    heading = re.compile(rf"^## \[{re.escape(version)}\] - \d{{4}}-\d{{2}}-\d{{2}}[ \t]*$", re.MULTILINE)
    match = heading.search(text)
    if match is None:
        raise ReleaseError(
            f"{changelog} has no entry for {version}: add a `## [{version}] - YYYY-MM-DD` section saying "
            "what changed (Keep a Changelog: Added, Changed, Fixed, Removed...) before building the release"
        )
    following = re.compile(r"^## ", re.MULTILINE).search(text, match.end())
    body = text[match.end() : following.start() if following else len(text)].strip()
    if not body:
        raise ReleaseError(f"{changelog}: the entry for {version} is empty: say what the release changes")
    return body


def require_runtime_python(
    target: package_lambdas.Target, explicit: str | None
) -> lambda_bytecode.RuntimePython:
    """The CPython of the runtime's version; refused (`make package` only warns) when absent."""
    version = target.python_version
    python, tried = lambda_bytecode.find_runtime_python(version, explicit)
    if explicit and (python is None or python.executable != Path(explicit)):
        raise ReleaseError(
            f"--runtime-python {explicit} is not a CPython {version} interpreter; the {target.runtime} "
            f"runtime ignores bytecode of any other version, so a release needs CPython {version} itself"
        )
    if python is None:
        raise ReleaseError(
            f"no CPython {version} found (tried: {', '.join(tried) or 'nothing on PATH, no pyenv'}). The "
            f"functions run on {target.runtime}; without CPython {version} the zips would carry no (or "
            "unused) bytecode and so differ from the same release built elsewhere. Install Python "
            f"{version} (e.g. `pyenv install {version}`) or pass --runtime-python (or set "
            "SP_REPORTS_RUNTIME_PYTHON) to its interpreter."
        )
    return python


def build_release(
    version: str,
    *,
    dist_dir: Path,
    changelog: Path,
    src_dir: Path,
    terraform_dir: Path,
    pyproject: Path,
    build_dir: Path,
    lock: Path = package_lambdas.LOCK_FILE,
    deps_dir: Path | None = None,
    runtime_python: str | None = None,
    functions: list[str] | None = None,
    converter_lock: Path = package_lambdas.CONVERTER_LOCK_FILE,
    converter_deps_dir: Path | None = None,
) -> tuple[Path, dict]:
    """Build dist_dir/<version>/ (zips, manifest.json, sbom.cdx.json); return its path and the manifest."""
    prerelease = check_version(version)
    if not prerelease:
        changelog_entry(changelog, version)
    target = package_lambdas.target_from_terraform(terraform_dir)
    python = require_runtime_python(target, runtime_python)
    requirements = package_lambdas.runtime_requirements(pyproject)
    pins = package_lambdas.check_lock(lock, requirements, target)
    deps = deps_dir or package_lambdas.install_locked(lock, target, build_dir, requirements)
    functions = functions or list(FUNCTIONS)
    converter_pins, converter_deps = None, None
    if package_lambdas.CONVERTER_FUNCTION in functions:  # its zip alone carries pyarrow, from its own lock
        converter = package_lambdas.converter_requirements(pyproject)
        converter_pins = package_lambdas.check_lock(converter_lock, converter, target)
        converter_deps = converter_deps_dir or package_lambdas.install_converter_locked(
            converter_lock, target, build_dir, converter
        )
    dist_dir.mkdir(parents=True, exist_ok=True)
    destination = dist_dir / version
    staging = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=dist_dir))
    try:
        manifest = package_lambdas.build(
            staging,
            src_dir=src_dir,
            functions=functions,
            target=target,
            deps_dir=deps,
            requirements=requirements,
            runtime_python=python,
            version=version,
            lock=lock,
            converter_deps_dir=converter_deps,
            converter_lock=converter_lock,
        )
        try:
            bom = sbom.write(
                staging,
                version,
                deps,
                pins,
                converter_deps_dir=converter_deps,
                converter_pins=converter_pins,
            )
        except sbom.SbomError as error:
            raise ReleaseError(str(error)) from None
        manifest["sbom"] = {"file": bom.name, "sha256": hashlib.sha256(bom.read_bytes()).hexdigest()}
        package_lambdas.write_manifest_json(staging, manifest)
        if destination.exists():
            shutil.rmtree(destination)
        staging.rename(destination)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return destination, manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("version", help="the release's semantic version, e.g. 1.2.0 (git tag v1.2.0)")
    parser.add_argument(
        "--dist", type=Path, default=REPO_ROOT / "dist", help="releases go to DIST/<version>/"
    )
    parser.add_argument("--changelog", type=Path, default=REPO_ROOT / "CHANGELOG.md")
    parser.add_argument("--src", type=Path, default=REPO_ROOT / "src")
    parser.add_argument("--terraform-dir", type=Path, default=TERRAFORM_DIR)
    parser.add_argument("--pyproject", type=Path, default=REPO_ROOT / "pyproject.toml")
    parser.add_argument("--lock", type=Path, default=package_lambdas.LOCK_FILE, help="the hash-pinned lock")
    parser.add_argument("--build-dir", type=Path, default=BUILD_DIR, help="the dependency cache")
    parser.add_argument("--deps-dir", type=Path, help="an already-installed dependency tree (no pip)")
    parser.add_argument(
        "--converter-lock",
        type=Path,
        default=package_lambdas.CONVERTER_LOCK_FILE,
        help="the hash-pinned lock of the report converter's own dependencies (pyarrow)",
    )
    parser.add_argument(
        "--converter-deps-dir", type=Path, help="the report converter's installed tree (pyarrow; no pip)"
    )
    parser.add_argument(
        "--runtime-python",
        default=os.environ.get("SP_REPORTS_RUNTIME_PYTHON"),
        help="CPython of the runtime's version (default: $SP_REPORTS_RUNTIME_PYTHON, python3.X, pyenv's)",
    )
    args = parser.parse_args(argv)
    try:
        destination, manifest = build_release(
            args.version,
            dist_dir=args.dist,
            changelog=args.changelog,
            src_dir=args.src,
            terraform_dir=args.terraform_dir,
            pyproject=args.pyproject,
            build_dir=args.build_dir,
            lock=args.lock,
            deps_dir=args.deps_dir,
            runtime_python=args.runtime_python,
            converter_lock=args.converter_lock,
            converter_deps_dir=args.converter_deps_dir,
        )
    except (ReleaseError, package_lambdas.PackagingError) as error:
        print(f"release: {error}", file=sys.stderr)
        return 1
    for function, entry in manifest["functions"].items():
        print(f"release: {function}.zip {entry['size']} bytes sha256 {entry['sha256']}")
    print(
        f"release: {args.version} for {manifest['runtime']}/{manifest['architecture']} (bytecode by CPython "
        f"{manifest['bytecode']['python']}) in {destination}\n"
        f"release: publish it to a bucket in each region you deploy to (docs/releases.md), e.g.\n"
        f"  aws s3 sync {destination} s3://BUCKET/sp-reports/{args.version}/ --exclude manifest.json\n"
        f"  aws s3 cp {destination}/manifest.json s3://BUCKET/sp-reports/{args.version}/manifest.json "
        "--content-type application/json"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
