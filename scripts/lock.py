#!/usr/bin/env python3
"""Write lambda-requirements.txt: the functions' runtime dependencies, pinned, with every file's sha256.

`make lock` runs this after a change to pyproject.toml's runtime dependencies, to the functions' runtime
(terraform/variables.tf's lambda_runtime default) or to the architectures the build accepts; and whenever the
dependencies should move to newer versions within their ranges. The build (scripts/package_lambdas.py)
installs the lock with `pip install --require-hashes --no-deps` and refuses one that no longer matches those
inputs.

The resolver is uv (`uv pip compile --generate-hashes`, pinned in pyproject.toml's dev dependencies) because
it resolves for a Python and platform other than its own (`--python-version 3.13 --python-platform
x86_64-manylinux_2_17`): the build machine's Python is 3.11, the functions' is 3.13, and pip-compile resolves
for the interpreter that runs it, so its markers and wheel choices would be the build machine's. Each
architecture the build accepts (package_lambdas.PLATFORMS) is resolved with `--only-binary :all:`, as the
build installs, and the lock is written only when all resolve to the same pins: one file then serves both
x86_64 and arm64 builds, and a release of either architecture carries the same versions. uv lists the sha256
of every file of each pinned version, so the one lock holds both architectures' wheel hashes.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import package_lambdas
from repository_paths import REPO_ROOT, TERRAFORM_DIR

# uv's name for the manylinux2014 (glibc 2.17) platform pip installs for, per Lambda architecture.
UV_PLATFORMS = {"x86_64": "x86_64-manylinux_2_17", "arm64": "aarch64-manylinux_2_17"}
# The report converter's pyarrow is built manylinux_2_28 on both architectures; Lambda's python3.13 runtime
# (Amazon Linux 2023, glibc 2.34) runs those (package_lambdas.CONVERTER_PLATFORMS says where that is written).
UV_CONVERTER_PLATFORMS = {"x86_64": "x86_64-manylinux_2_28", "arm64": "aarch64-manylinux_2_28"}
HEADER = """\
# {what}, pinned with the sha256 of every file of each version.
# Written by `make lock` (scripts/lock.py, uv pip compile --generate-hashes) from pyproject.toml's
# {source} for {python} on {architectures}; do not edit: the build installs it with --require-hashes
# and refuses it when the line below no longer matches those inputs. docs/releases.md says when to relock.
{prefix}{digest}
"""
# What each lock holds: the functions' runtime dependencies, and the libraries of the SP-API emulator that
# make acceptance deploys as a Lambda in a real account (its dev requirements' jsonschema and werkzeug).
FUNCTIONS_LOCK = ("The Lambda functions' runtime dependencies", "dependencies")
EMULATOR_LOCK = ("The SP-API emulator Lambda's libraries (make acceptance)", "emulator dev requirements")
CONVERTER_LOCK = ("The report converter Lambda's own dependencies (pyarrow)", "optional group analytics")


class LockError(Exception):
    """The dependencies cannot be locked (uv failed, or the architectures resolve differently)."""


def compile_for(requirements: list[str], python_version: str, uv_platform: str) -> str:
    """uv's hash-pinned resolution of the requirements for one Python and platform, binary wheels only."""
    command = [
        sys.executable,
        "-m",
        "uv",
        "pip",
        "compile",
        "-",
        "--generate-hashes",
        "--python-version",
        python_version,
        "--python-platform",
        uv_platform,
        "--only-binary",
        ":all:",
        "--no-header",
        "--quiet",
    ]
    result = subprocess.run(  # noqa: S603 - fixed argv
        command, input="\n".join(requirements) + "\n", capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise LockError(f"uv pip compile for {uv_platform} failed:\n{result.stderr.strip()}")
    return result.stdout


def lock_text(
    requirements: list[str],
    target: package_lambdas.Target,
    compiled: dict[str, str],
    kind: tuple[str, str] = FUNCTIONS_LOCK,
) -> str:
    """The lock file: our header, then the one resolution every architecture agreed on."""
    resolutions = {architecture: package_lambdas.pins_of(text) for architecture, text in compiled.items()}
    first, *others = sorted(resolutions)
    for other in others:
        if resolutions[other] != resolutions[first]:
            differ = sorted(
                name
                for name in set(resolutions[first]) | set(resolutions[other])
                if resolutions[first].get(name) != resolutions[other].get(name)
            )
            raise LockError(
                f"{first} and {other} resolve differently ({', '.join(differ)}): one lock cannot serve both; "
                "constrain the requirements in pyproject.toml until they agree"
            )
    header = HEADER.format(
        what=kind[0],
        source=kind[1],
        python=target.runtime,
        architectures=" and ".join(sorted(compiled)),
        prefix=package_lambdas.LOCK_INPUT_PREFIX,
        digest=package_lambdas.lock_input_digest(requirements, target, compiled),
    )
    return header + compiled[first]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pyproject", type=Path, default=REPO_ROOT / "pyproject.toml")
    parser.add_argument("--terraform-dir", type=Path, default=TERRAFORM_DIR)
    parser.add_argument("--out", type=Path, default=package_lambdas.LOCK_FILE)
    parser.add_argument("--emulator-out", type=Path, default=package_lambdas.EMULATOR_LOCK_FILE)
    parser.add_argument("--converter-out", type=Path, default=package_lambdas.CONVERTER_LOCK_FILE)
    args = parser.parse_args(argv)
    try:
        target = package_lambdas.target_from_terraform(args.terraform_dir)
        locks = [
            (args.out, package_lambdas.runtime_requirements(args.pyproject), FUNCTIONS_LOCK),
            (args.emulator_out, package_lambdas.emulator_requirements(args.pyproject), EMULATOR_LOCK),
            (args.converter_out, package_lambdas.converter_requirements(args.pyproject), CONVERTER_LOCK),
        ]
        texts = []
        for out, requirements, kind in locks:
            platforms = UV_CONVERTER_PLATFORMS if kind is CONVERTER_LOCK else UV_PLATFORMS
            compiled = {
                architecture: compile_for(requirements, target.python_version, platforms[architecture])
                for architecture in sorted(package_lambdas.PLATFORMS)
            }
            texts.append((out, lock_text(requirements, target, compiled, kind)))
    except (LockError, package_lambdas.PackagingError) as error:
        print(f"lock: {error}", file=sys.stderr)
        return 1
    for out, text in texts:  # written only when every lock resolved
        out.write_text(text, encoding="utf-8")
        pins = package_lambdas.read_lock(out)
        architectures = ", ".join(sorted(package_lambdas.PLATFORMS))
        print(f"lock: {out.name}: {len(pins)} distributions for {target.runtime} on {architectures}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
