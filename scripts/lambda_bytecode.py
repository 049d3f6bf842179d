"""Bytecode for the Lambda zips, compiled by the runtime's own Python, reproducibly.

Why the zips carry `.pyc`: Lambda unpacks the zip into /var/task, which is read-only, so a zip without
bytecode has every one of its modules compiled from source at every cold start (and the result thrown away).
Python reads a module's bytecode from `__pycache__/<module>.<cache tag>.pyc` beside the source, and only when
the file's magic number is its own (PEP 3147 "PYC Repository Directories"; Python docs, reference "The import
system", section "Cached bytecode invalidation", and `importlib.util.cache_from_source`): bytecode from
our 3.11 build Python would be ignored by the 3.13 runtime. So the runtime's version compiles it, in a
subprocess (this script runs under the build Python).

Why unchecked-hash pycs (PEP 552, "Deterministic pycs"): a timestamp pyc records the source's mtime and size,
which the zip fixes at 1980-01-01 but a rebuild's checkout does not, and Python would compare them with the
unpacked file's; a checked-hash pyc makes Python read and hash the source at every import. An unchecked-hash
pyc records the source's hash and is used as it is: the content is a function of the source alone (a source
change changes the hash, so byte-identical rebuilds stay byte-identical), and the read-only /var/task can
never hold a stale one because the zip replaces code and bytecode together.

What else keeps the output reproducible: the compiler runs with PYTHONHASHSEED=0 (frozenset constants are
marshalled in hash order), files are compiled in sorted order, and the filename recorded in each code object
is the archive name (`handlers/x.py`), not the build machine's path (the loader replaces it with the real
path at import: `importlib._bootstrap_external._fix_up_module` via `_imp._fix_co_filename`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

# The Python-side compiler: reads [[source, cfile, dfile], ...] on stdin, prints the sources it could not
# compile (a dependency may ship files for other Python versions) as JSON.
_COMPILER = """
import json, py_compile, sys
failed = []
for source, cfile, dfile in json.load(sys.stdin):
    try:
        py_compile.compile(source, cfile=cfile, dfile=dfile, doraise=True,
                           invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    except py_compile.PyCompileError as error:
        failed.append([dfile, error.exc_type_name])
json.dump(failed, sys.stdout)
"""
_DESCRIBE = (
    "import importlib.util, json, sys; json.dump({'implementation': sys.implementation.name, "
    "'version': '%d.%d' % sys.version_info[:2], 'full_version': sys.version.split()[0], "
    "'cache_tag': sys.implementation.cache_tag, 'magic': importlib.util.MAGIC_NUMBER.hex()}, sys.stdout)"
)
# Unchecked-hash pyc header (PEP 552): magic (4 bytes), flags (4 bytes, little-endian; bit 0 "hash-based",
# bit 1 "check_source" - clear here), the source's SipHash (8 bytes), then the marshalled code.
HEADER_FLAGS_UNCHECKED_HASH = 0b01


class BytecodeError(Exception):
    """The runtime's Python was found but could not compile the sources."""


@dataclass(frozen=True)
class RuntimePython:
    """An interpreter of the Lambda runtime's version, able to compile bytecode the runtime will use."""

    executable: Path
    version: str  # "3.13"
    full_version: str  # "3.13.0"
    cache_tag: str  # "cpython-313"
    magic: str  # importlib.util.MAGIC_NUMBER, hex

    def describe(self) -> dict[str, str]:
        return {"python": self.full_version, "cache_tag": self.cache_tag, "magic": self.magic}


def _describe(executable: str | Path) -> RuntimePython | None:
    try:
        answer = subprocess.run(  # noqa: S603 - a fixed program run by the interpreter we were asked to try
            [str(executable), "-S", "-c", _DESCRIBE], capture_output=True, text=True, timeout=30, check=False
        )
        facts = json.loads(answer.stdout) if answer.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return None
    if not facts or facts["implementation"] != "cpython":
        return None
    return RuntimePython(
        Path(executable), facts["version"], facts["full_version"], facts["cache_tag"], facts["magic"]
    )


def candidates(version: str, explicit: str | None = None) -> list[str]:
    """Where a Python `version` may be: the one asked for, `pythonX.Y` on PATH, then pyenv's."""
    found = [explicit] if explicit else []
    on_path = shutil.which(f"python{version}")
    if on_path:
        found.append(on_path)  # may be a pyenv shim that refuses without PYENV_VERSION: checked by running it
    pyenv = shutil.which("pyenv")
    if pyenv:
        answer = subprocess.run(  # noqa: S603 - fixed argv
            [pyenv, "prefix", version], capture_output=True, text=True, timeout=30, check=False
        )
        if answer.returncode == 0:
            for prefix in answer.stdout.split(":"):
                if prefix.strip():
                    found.append(str(Path(prefix.strip()) / "bin" / f"python{version}"))
    return found


def find_runtime_python(version: str, explicit: str | None = None) -> tuple[RuntimePython | None, list[str]]:
    """The first CPython `version` among the candidates, and every candidate tried (for the message)."""
    tried = candidates(version, explicit)
    for executable in tried:
        python = _describe(executable)
        if python is not None and python.version == version:
            return python, tried
    return None, tried


def cache_name(archive_name: str, cache_tag: str) -> str:
    """`pkg/mod.py` -> `pkg/__pycache__/mod.<cache_tag>.pyc` (importlib.util.cache_from_source's layout)."""
    directory, _, filename = archive_name.rpartition("/")
    stem = filename.removesuffix(".py")
    return (
        f"{directory}/__pycache__/{stem}.{cache_tag}.pyc"
        if directory
        else f"__pycache__/{stem}.{cache_tag}.pyc"
    )


def compile_sources(
    python: RuntimePython, sources: dict[str, Path], work_dir: Path | None = None
) -> tuple[dict[str, bytes], list[str]]:
    """Archive name of each pyc -> its bytes, for every `.py` in `sources` (archive name -> file) that
    compiles under `python`; and the sources that do not (a dependency's files for other Python versions,
    which the runtime could not import either): they get no pyc."""
    python_sources = {name: path for name, path in sorted(sources.items()) if name.endswith(".py")}
    with tempfile.TemporaryDirectory(prefix="pyc-", dir=work_dir) as scratch:
        jobs = [
            [str(path), str(Path(scratch) / cache_name(name, python.cache_tag)), name]
            for name, path in python_sources.items()
        ]
        answer = subprocess.run(  # noqa: S603 - the runtime Python running our fixed compiler
            [str(python.executable), "-S", "-c", _COMPILER],
            input=json.dumps(jobs),
            capture_output=True,
            text=True,
            check=False,
            # A clean environment: no PYTHONPATH or PYTHONPYCACHEPREFIX of ours; a fixed hash seed.
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONHASHSEED": "0"},
        )
        if answer.returncode != 0:
            raise BytecodeError(
                f"{python.executable} failed to compile the sources:\n{answer.stderr[-2000:]}"
            )
        failed = sorted(dfile for dfile, _ in json.loads(answer.stdout))
        compiled = {
            cache_name(name, python.cache_tag): (
                Path(scratch) / cache_name(name, python.cache_tag)
            ).read_bytes()
            for name in python_sources
            if name not in failed
        }
        return compiled, failed
