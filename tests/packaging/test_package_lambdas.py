"""scripts/package_lambdas.py: reproducible zips, the right contents, bytecode compiled by the runtime's
Python, --check, and pip asked for Lambda's platform. Builds use a small fake source tree and dependency tree
so they run offline in a second (the bytecode is compiled by CPython 3.13, which CI machines have through
pyenv)."""

from __future__ import annotations

import hashlib
import json
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import lambda_bytecode
import package_lambdas
from sp_reports_harness.repository import REPO_ROOT

FUNCTIONS = package_lambdas.FUNCTIONS


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    _write(src / "sp_reports" / "__init__.py", "")
    _write(src / "sp_reports" / "handlers" / "__init__.py", "")
    _write(src / "sp_reports" / "handlers" / "_api.py", "def respond(status):\n    return status\n")
    for function in FUNCTIONS:
        _write(
            src / "sp_reports" / "handlers" / f"{function}.py",
            f"def handler(event, context):\n    return {function!r}\n",
        )
    _write(src / "sp_reports" / "spapi" / "__init__.py", "VERSION = 1\n")
    _write(src / "sp_reports" / "spapi" / "reports.py", "class ReportsClient: ...\n")
    _write(src / "sp_reports" / "spapi" / "__pycache__" / "reports.cpython-311.pyc", "bytecode")
    _write(src / "sp_reports" / "pipeline" / "__init__.py", "")
    _write(src / "sp_reports" / "pipeline" / "token_store.py", "class TokenStore: ...\n")
    _write(src / "sp_reports" / "analytics" / "__init__.py", "")
    _write(src / "sp_reports" / "analytics" / "parquet_files.py", "import pyarrow\n")
    return src


@pytest.fixture
def deps(tmp_path: Path) -> Path:
    deps = tmp_path / "deps"
    _write(deps / "requests" / "__init__.py", "# requests\n")
    _write(deps / "requests-2.32.0.dist-info" / "METADATA", "Name: requests\n")
    _write(deps / "urllib3" / "__init__.py", "# urllib3\n")
    _write(deps / "boto3" / "__init__.py", "# boto3: the runtime has it\n")
    _write(deps / "boto3-1.35.0.dist-info" / "METADATA", "Name: boto3\n")
    _write(deps / "botocore" / "__init__.py", "# botocore\n")
    _write(deps / "s3transfer" / "__init__.py", "# s3transfer\n")
    _write(deps / "dateutil" / "__init__.py", "# python-dateutil: botocore's, the runtime has it\n")
    _write(deps / "python_dateutil-2.9.0.post0.dist-info" / "METADATA", "Name: python-dateutil\n")
    _write(deps / "six.py", "# six: python-dateutil's, the runtime has it\n")
    _write(deps / "six-1.17.0.dist-info" / "METADATA", "Name: six\n")
    _write(deps / "requests" / "__pycache__" / "api.cpython-313.pyc", "bytecode")
    _write(deps / "bin" / "normalizer", "#!/bin/sh\n")
    return deps


def _build(out: Path, sources: Path, deps: Path, *extra: str) -> int:
    # The report converter's own tree: pyarrow (a stand-in file; the real one is 170 MB).
    converter_deps = deps.parent / "converter-deps"
    if not converter_deps.exists():
        _write(converter_deps / "pyarrow" / "__init__.py", "# pyarrow\n")
        _write(converter_deps / "pyarrow-26.0.1.dist-info" / "METADATA", "Name: pyarrow\n")
    return package_lambdas.main(
        [
            "--out",
            str(out),
            "--src",
            str(sources),
            "--deps-dir",
            str(deps),
            "--converter-deps-dir",
            str(converter_deps),
            *extra,
        ]
    )


@pytest.fixture(scope="module")
def runtime_python() -> lambda_bytecode.RuntimePython:
    python, tried = lambda_bytecode.find_runtime_python("3.13")
    if python is None:
        pytest.fail(
            f"CPython 3.13 (the Lambda runtime's) is needed to compile the zips' bytecode; tried {tried}"
        )
    return python


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _pycs(zip_path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(zip_path) as archive:
        return {name: archive.read(name) for name in archive.namelist() if name.endswith(".pyc")}


def test_two_builds_of_the_same_sources_are_byte_identical(tmp_path, sources, deps, runtime_python):
    assert _build(tmp_path / "first", sources, deps) == 0
    # Touch every source so only content, not mtimes, could make the builds equal.
    for path in sources.rglob("*.py"):
        path.touch()
    assert _build(tmp_path / "second", sources, deps) == 0

    for function in FUNCTIONS:
        assert _sha256(tmp_path / "first" / f"{function}.zip") == _sha256(
            tmp_path / "second" / f"{function}.zip"
        )
    manifest = (tmp_path / "first" / "manifest.json").read_bytes()
    assert manifest == (tmp_path / "second" / "manifest.json").read_bytes()
    # ... bytecode included: same pycs, none recording the build directory's path.
    first, second = (_pycs(tmp_path / build / "report_storer.zip") for build in ("first", "second"))
    assert first and first == second
    assert not [name for name, data in first.items() if str(tmp_path).encode() in data]


def test_every_source_has_an_unchecked_hash_pyc_of_the_runtime_pythons_magic(
    tmp_path, sources, deps, runtime_python
):
    _build(tmp_path / "out", sources, deps)
    with zipfile.ZipFile(tmp_path / "out" / "report_storer.zip") as archive:
        names = set(archive.namelist())
        pycs = {name: archive.read(name) for name in names if name.endswith(".pyc")}

    expected = {lambda_bytecode.cache_name(name, "cpython-313") for name in names if name.endswith(".py")}
    assert set(pycs) == expected
    assert "sp_reports/handlers/__pycache__/report_storer.cpython-313.pyc" in pycs
    for data in pycs.values():
        magic, flags = data[:4], struct.unpack("<I", data[4:8])[0]
        assert magic.hex() == runtime_python.magic  # 3.13's magic: 3.11's bytecode would be ignored
        assert flags == lambda_bytecode.HEADER_FLAGS_UNCHECKED_HASH  # PEP 552: hash-based, check_source off
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["bytecode"] == {
        "python": runtime_python.full_version,
        "cache_tag": "cpython-313",
        "magic": runtime_python.magic,
    }


def test_the_pycs_are_those_python_3_13_makes_of_these_sources(tmp_path, sources, deps, runtime_python):
    _build(tmp_path / "out", sources, deps)
    pyc = _pycs(tmp_path / "out" / "report_storer.zip")[
        "sp_reports/handlers/__pycache__/report_storer.cpython-313.pyc"
    ]
    (tmp_path / "check.pyc").write_bytes(pyc)
    source = sources / "sp_reports" / "handlers" / "report_storer.py"
    # 3.13 itself: the header's hash is its source_hash of the source, and the code loads and runs.
    check = subprocess.run(  # noqa: S603 - the runtime Python running our fixed check
        [
            str(runtime_python.executable),
            "-S",
            "-c",
            "import _imp, importlib.util, marshal, sys\n"
            "data = open(sys.argv[1], 'rb').read(); source = open(sys.argv[2], 'rb').read()\n"
            "assert data[8:16] == _imp.source_hash(importlib.util._RAW_MAGIC_NUMBER, source)\n"
            "code = marshal.loads(data[16:]); namespace = {}; exec(code, namespace)\n"
            "print(code.co_filename, namespace['handler'](None, None))",
            str(tmp_path / "check.pyc"),
            str(source),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr
    assert check.stdout.split() == ["sp_reports/handlers/report_storer.py", "report_storer"]


def test_without_the_runtime_python_the_zips_are_built_without_bytecode_and_say_so(
    tmp_path, sources, deps, monkeypatch, capsys
):
    monkeypatch.setattr(lambda_bytecode, "find_runtime_python", lambda version, explicit=None: (None, ["x"]))

    assert _build(tmp_path / "out", sources, deps) == 0
    assert not _pycs(tmp_path / "out" / "report_storer.zip")
    warning = capsys.readouterr().err
    assert "no CPython 3.13" in warning and "NO bytecode" in warning and "every cold start" in warning
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["bytecode"] is None


def test_a_runtime_python_of_another_version_is_refused(tmp_path, sources, deps, capsys):
    assert _build(tmp_path / "out", sources, deps, "--runtime-python", sys.executable) == 1
    assert "not a CPython 3.13 interpreter" in capsys.readouterr().err


def test_manifest_records_each_zips_sha256(tmp_path, sources, deps):
    _build(tmp_path / "out", sources, deps)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())

    assert set(manifest["functions"]) == set(FUNCTIONS)
    for function, entry in manifest["functions"].items():
        assert entry["sha256"] == _sha256(tmp_path / "out" / f"{function}.zip")
    assert manifest["runtime"] == "python3.13"
    assert manifest["architecture"] == "x86_64"


def test_entries_are_sorted_with_fixed_timestamps_and_file_modes(tmp_path, sources, deps):
    _build(tmp_path / "out", sources, deps)
    with zipfile.ZipFile(tmp_path / "out" / "report_storer.zip") as archive:
        infos = archive.infolist()

    names = [info.filename for info in infos]
    assert names == sorted(names)
    assert all(info.date_time == (1980, 1, 1, 0, 0, 0) for info in infos)
    assert all((info.external_attr >> 16) & 0o777 == 0o644 for info in infos)
    assert not any(name.endswith("/") for name in names), "no directory entries"


def test_each_zip_holds_its_handler_the_shared_helpers_the_libraries_and_dependencies_only(
    tmp_path, sources, deps
):
    _build(tmp_path / "out", sources, deps)
    with zipfile.ZipFile(tmp_path / "out" / "token_storage.zip") as archive:
        names = set(archive.namelist())

    assert {
        "sp_reports/handlers/__init__.py",
        "sp_reports/handlers/token_storage.py",
        "sp_reports/handlers/_api.py",
    } <= names
    assert {
        "sp_reports/spapi/__init__.py",
        "sp_reports/spapi/reports.py",
        "requests/__init__.py",
        "urllib3/__init__.py",
    } <= names
    assert {"sp_reports/pipeline/__init__.py", "sp_reports/pipeline/token_store.py"} <= names
    assert {"sp_reports/analytics/__init__.py", "sp_reports/analytics/parquet_files.py"} <= names
    assert "sp_reports/handlers/report_storer.py" not in names
    assert not [n for n in names if n.startswith(("pyarrow/", "pyarrow-"))]


def test_the_report_converter_alone_carries_pyarrow_and_the_manifest_names_its_lock(tmp_path, sources, deps):
    assert _build(tmp_path / "out", sources, deps) == 0
    carrying = set()
    for function in FUNCTIONS:
        with zipfile.ZipFile(tmp_path / "out" / f"{function}.zip") as archive:
            names = set(archive.namelist())
        assert "requests/__init__.py" in names and "sp_reports/analytics/__init__.py" in names
        if "pyarrow/__init__.py" in names:
            carrying.add(function)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())

    assert carrying == {package_lambdas.CONVERTER_FUNCTION}
    assert manifest["converter_dependencies"] == {"pyarrow": "26.0.1"}
    assert manifest["converter_lock"]["file"] == "converter-requirements.txt"
    assert "pyarrow" not in manifest["dependencies"]


def test_building_the_converter_without_its_dependency_tree_is_refused(tmp_path, sources, deps):
    with pytest.raises(package_lambdas.PackagingError, match="pyarrow"):
        package_lambdas.build(
            tmp_path / "out",
            src_dir=sources,
            functions=[package_lambdas.CONVERTER_FUNCTION],
            target=package_lambdas.Target("python3.13", "x86_64"),
            deps_dir=deps,
            requirements=[],
        )


def test_the_converter_tree_is_installed_for_manylinux_2_28_on_each_architecture(tmp_path, monkeypatch):
    """pyarrow's CPython 3.13 wheels are manylinux_2_28 on both architectures; python3.13's Amazon Linux 2023
    (glibc 2.34) runs them, and pip must be told so or it finds no wheel."""
    commands = []

    def fake_run(command, **kwargs):
        commands.append(command)
        target_dir = Path(command[command.index("--target") + 1])
        (target_dir / "pyarrow").mkdir(parents=True, exist_ok=True)
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(package_lambdas.subprocess, "run", fake_run)
    requirements = package_lambdas.converter_requirements(REPO_ROOT / "pyproject.toml")
    for architecture, wheel_platform in (("x86_64", "x86_64"), ("arm64", "aarch64")):
        package_lambdas.install_converter_locked(
            package_lambdas.CONVERTER_LOCK_FILE,
            package_lambdas.Target("python3.13", architecture),
            tmp_path / architecture,
            requirements,
        )
        platforms = [commands[-1][i + 1] for i, a in enumerate(commands[-1]) if a == "--platform"]
        assert platforms == [f"manylinux_2_28_{wheel_platform}", f"manylinux2014_{wheel_platform}"]
    assert requirements == ["pyarrow>=20"]


def test_foreign_bytecode_scripts_and_runtime_provided_sdk_are_left_out(tmp_path, sources, deps):
    _build(tmp_path / "out", sources, deps)
    with zipfile.ZipFile(tmp_path / "out" / "report_creator.zip") as archive:
        names = archive.namelist()

    # Bytecode lying in the trees (our 3.11's, a dependency's) is not shipped: only what the runtime compiled.
    assert "sp_reports/spapi/__pycache__/reports.cpython-311.pyc" not in names
    assert not [n for n in names if n.endswith(".pyc") and not n.endswith(".cpython-313.pyc")]
    assert not [
        n
        for n in names
        if n.endswith(".pyc")
        and n.removesuffix(".cpython-313.pyc").replace("/__pycache__/", "/") + ".py" not in names
    ]
    assert not [n for n in names if n.split("/")[0].split("-")[0] in ("boto3", "botocore", "s3transfer")]
    botocore_only = ("dateutil", "python_dateutil", "six.py")
    assert not [n for n in names if n.split("/")[0].split("-")[0] in botocore_only]
    assert not [n for n in names if n.startswith("six-")]
    assert not [n for n in names if n.startswith("bin/")]


def test_what_the_zips_leave_to_the_runtime_beside_botocore_is_needed_by_botocore_alone():
    """The lock says why each package is there; python-dateutil and six may stay out of the zips only while
    botocore, which the runtime provides with them, is all that needs them."""
    via: dict[str, list[str]] = {}
    name = None
    for line in package_lambdas.LOCK_FILE.read_text().splitlines():
        if line and not line.startswith((" ", "#")):
            name = line.split("==")[0]
            via[name] = []
        elif name and line.strip().startswith("# via"):
            via[name].extend(line.strip().removeprefix("# via").split())
        elif name and line.strip().startswith("#   "):
            via[name].append(line.strip().removeprefix("#").strip())
    assert via["python-dateutil"] == ["botocore"]
    assert via["six"] == ["python-dateutil"]
    assert {"python_dateutil", "dateutil", "six", "six.py"} == set(package_lambdas.BOTOCORE_ONLY)


def test_a_handler_change_changes_only_that_functions_zip(tmp_path, sources, deps):
    _build(tmp_path / "before", sources, deps)
    _write(
        sources / "sp_reports" / "handlers" / "report_status.py",
        "def handler(event, context):\n    return 'changed'\n",
    )
    _build(tmp_path / "after", sources, deps)

    changed = {
        f
        for f in FUNCTIONS
        if _sha256(tmp_path / "before" / f"{f}.zip") != _sha256(tmp_path / "after" / f"{f}.zip")
    }
    assert changed == {"report_status"}


def test_check_mode_fails_when_built_zips_are_stale_and_passes_when_current(tmp_path, sources, deps, capsys):
    out = tmp_path / "out"
    _build(out, sources, deps)
    assert _build(out, sources, deps, "--check") == 0

    _write(sources / "sp_reports" / "spapi" / "reports.py", "class ReportsClient:\n    changed = True\n")
    assert _build(out, sources, deps, "--check") == 1
    assert "stale" in capsys.readouterr().err

    _build(out, sources, deps)
    assert _build(out, sources, deps, "--check") == 0


def test_check_mode_fails_when_a_zip_is_missing(tmp_path, sources, deps):
    out = tmp_path / "out"
    _build(out, sources, deps)
    (out / "report_notifier.zip").unlink()

    assert _build(out, sources, deps, "--check") == 1


def test_a_missing_handler_is_a_clear_error(tmp_path, sources, deps, capsys):
    (sources / "sp_reports" / "handlers" / "report_notifier.py").unlink()

    assert _build(tmp_path / "out", sources, deps) == 1
    assert "report_notifier" in capsys.readouterr().err


def test_runtime_and_architecture_come_from_the_terraform_defaults(tmp_path):
    assert package_lambdas.target_from_terraform(REPO_ROOT / "terraform") == package_lambdas.Target(
        "python3.13", "x86_64"
    )
    _write(
        tmp_path / "variables.tf",
        'variable "lambda_runtime" {\n  type    = string\n  default = "python3.12" # older\n}\n'
        'variable "lambda_architecture" {\n  default = "arm64"\n  validation {\n'
        '    condition     = contains(["x86_64", "arm64"], var.lambda_architecture)\n'
        '    error_message = "x86_64 or arm64 {only}."\n  }\n}\n',
    )
    target = package_lambdas.target_from_terraform(tmp_path)
    assert (target.runtime, target.architecture, target.platform) == (
        "python3.12",
        "arm64",
        "manylinux2014_aarch64",
    )


def test_boto3_is_left_to_the_runtime_and_urllib3_is_held_below_3():
    requirements = package_lambdas.runtime_requirements(REPO_ROOT / "pyproject.toml")

    names = [package_lambdas._requirement_name(r) for r in requirements]
    assert "boto3" not in names
    assert {"requests", "aws-lambda-powertools"} <= set(names)
    assert "urllib3<3" in requirements


def test_pip_installs_for_the_lambda_platform_once_then_reuses_the_cache(tmp_path, monkeypatch):
    calls = []

    def fake_run(command, **kwargs):
        calls.append(command)
        target_dir = Path(command[command.index("--target") + 1])
        _write(target_dir / "requests" / "__init__.py", "")
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(package_lambdas.subprocess, "run", fake_run)
    target = package_lambdas.Target("python3.13", "x86_64")
    requirements = ["aws-lambda-powertools>=3.0,<4", "requests>=2.32,<3", "urllib3<3"]

    first = package_lambdas.install_dependencies(requirements, target, tmp_path)
    second = package_lambdas.install_dependencies(requirements, target, tmp_path)

    assert first == second and (first / "requests" / "__init__.py").exists()
    assert len(calls) == 1, "the second build must reuse the cached dependency tree"
    command = calls[0]
    assert command[command.index("--platform") + 1] == "manylinux2014_x86_64"
    assert command[command.index("--python-version") + 1] == "3.13"
    assert command[command.index("--implementation") + 1] == "cp"
    assert "--only-binary=:all:" in command
    assert command[-3:] == requirements


def test_a_different_runtime_gets_its_own_dependency_cache(tmp_path, monkeypatch):
    def fake_run(command, **kwargs):
        Path(command[command.index("--target") + 1]).mkdir(parents=True, exist_ok=True)
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(package_lambdas.subprocess, "run", fake_run)
    requirements = ["requests>=2.32,<3"]
    py313 = package_lambdas.install_dependencies(
        requirements, package_lambdas.Target("python3.13", "x86_64"), tmp_path
    )
    py312 = package_lambdas.install_dependencies(
        requirements, package_lambdas.Target("python3.12", "x86_64"), tmp_path
    )
    arm = package_lambdas.install_dependencies(
        requirements, package_lambdas.Target("python3.13", "arm64"), tmp_path
    )

    assert len({py313, py312, arm}) == 3


def test_a_failing_pip_install_is_reported_and_leaves_no_cache(tmp_path, monkeypatch):
    def failing_run(command, **kwargs):
        return subprocess.CompletedProcess(command, 1, "", "No matching distribution found for requests")

    monkeypatch.setattr(package_lambdas.subprocess, "run", failing_run)
    with pytest.raises(package_lambdas.PackagingError, match="No matching distribution"):
        package_lambdas.install_dependencies(
            ["requests"], package_lambdas.Target("python3.13", "x86_64"), tmp_path
        )
    assert not list(tmp_path.glob("deps-*"))


BUILT = REPO_ROOT / ".build" / "lambda"


@pytest.mark.skipif(not (BUILT / "manifest.json").exists(), reason="run make package first")
def test_built_zips_carry_binary_wheels_for_the_lambda_runtime_not_this_python():
    manifest = json.loads((BUILT / "manifest.json").read_text())
    with zipfile.ZipFile(BUILT / "token_storage.zip") as archive:
        names = archive.namelist()

    extensions = [n for n in names if n.endswith(".so")]
    version = manifest["runtime"].removeprefix("python3.")
    assert extensions, "charset_normalizer ships compiled wheels; none found"
    assert all(f"cpython-3{version}-x86_64-linux-gnu" in n or ".abi3." in n for n in extensions), extensions
    assert "aws_lambda_powertools/__init__.py" in names and "requests/__init__.py" in names
    assert not [n for n in names if n.startswith(("boto3/", "botocore/"))]


@pytest.fixture
def emulator_sources(sources: Path, tmp_path: Path) -> tuple[Path, Path]:
    _write(tmp_path / "harness" / "spapi_emulator" / "__init__.py", "")
    _write(
        tmp_path / "harness" / "spapi_emulator" / "lambda_function.py",
        "def handler(event, context):\n    return 1\n",
    )
    models = tmp_path / "models"
    _write(models / "reports_2021-06-30.json", '{"swagger": "2.0"}\n')
    _write(models / "LICENSE", "Apache-2.0\n")
    return sources, models


def test_the_emulator_zip_is_rebuilt_byte_identical_with_its_models_and_bytecode(
    tmp_path, emulator_sources, deps, runtime_python
):
    sources, models = emulator_sources
    first = package_lambdas.build_emulator(
        tmp_path / "first",
        src_dir=sources,
        harness_dir=tmp_path / "harness",
        models_dir=models,
        deps_dir=deps,
        runtime_python=runtime_python,
    )
    for path in [*sources.rglob("*.py"), *(tmp_path / "harness").rglob("*.py"), *models.iterdir()]:
        path.touch()
    second = package_lambdas.build_emulator(
        tmp_path / "second",
        src_dir=sources,
        harness_dir=tmp_path / "harness",
        models_dir=models,
        deps_dir=deps,
        runtime_python=runtime_python,
    )

    assert first.name == "spapi_emulator.zip" and _sha256(first) == _sha256(second)
    with zipfile.ZipFile(first) as archive:
        names = set(archive.namelist())
    assert {"spapi_emulator/models/reports_2021-06-30.json", "spapi_emulator/models/LICENSE"} <= names
    assert "spapi_emulator/__pycache__/lambda_function.cpython-313.pyc" in names
    assert "sp_reports/spapi/reports.py" in names and "requests/__init__.py" in names
    assert not any(
        name.startswith(("sp_reports/handlers/", "sp_reports/pipeline/", "boto3/")) for name in names
    )


def test_the_emulator_zip_is_built_only_when_asked(tmp_path, sources, deps):
    assert _build(tmp_path / "out", sources, deps) == 0
    assert not (tmp_path / "out" / "spapi_emulator.zip").exists()
    assert set(json.loads((tmp_path / "out" / "manifest.json").read_text())["functions"]) == set(FUNCTIONS)


@pytest.mark.skipif(not (BUILT / "manifest.json").exists(), reason="run make package first")
def test_built_zips_carry_the_locked_versions_and_the_manifest_names_the_lock():
    manifest = json.loads((BUILT / "manifest.json").read_text())
    pins = package_lambdas.read_lock(package_lambdas.LOCK_FILE)

    locked = {
        n: p.version
        for n, p in pins.items()
        if n not in package_lambdas.RUNTIME_PROVIDED and n not in ("python-dateutil", "six")
    }
    assert manifest["dependencies"] == locked
    assert manifest["lock"] == {
        "file": "lambda-requirements.txt",
        "sha256": hashlib.sha256(package_lambdas.LOCK_FILE.read_bytes()).hexdigest(),
    }
