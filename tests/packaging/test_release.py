"""scripts/release.py (`make release VERSION=x.y.z`): a release's zips and manifest.json in dist/<version>/,
byte-identical from one build to the next, hashes that match the zips, and the refusals: no CPython of the
runtime's version (absent, or another version given), a version that is not semver, a release version without
its CHANGELOG.md entry. Builds use a small fake source and dependency tree, offline; the bytecode is compiled
by CPython 3.13 as in test_package_lambdas.py."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import sys
import zipfile
from pathlib import Path

import pytest

import lambda_bytecode
import package_lambdas
import release
from sp_reports_harness.repository import REPO_ROOT

FUNCTIONS = release.FUNCTIONS
REQUESTS_WHEEL, REQUESTS_SDIST, URLLIB3_ARM, URLLIB3_X86 = ("1" * 64, "2" * 64, "3" * 64, "4" * 64)
CHANGELOG = """# Changelog

## [1.2.0] - 2026-12-01

### Fixed

- Reports larger than 5 GiB are stored.

## [1.1.0] - 2026-11-01

### Added

- The sweep.
"""


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def tree(tmp_path: Path) -> dict[str, Path]:
    src = tmp_path / "src"
    _write(src / "sp_reports" / "handlers" / "__init__.py", "")
    _write(src / "sp_reports" / "handlers" / "_api.py", "def respond(status):\n    return status\n")
    for function in FUNCTIONS:
        _write(
            src / "sp_reports" / "handlers" / f"{function}.py",
            f"def handler(event, context):\n    return {function!r}\n",
        )
    for package in ("spapi", "pipeline", "analytics"):
        _write(src / "sp_reports" / package / "__init__.py", f"NAME = {package!r}\n")
    _write(src / "sp_reports" / "__init__.py", "")
    deps = tmp_path / "deps"
    _write(deps / "requests" / "__init__.py", "# requests\n")
    _write(deps / "requests-2.32.3.dist-info" / "METADATA", "Name: requests\n")
    _write(deps / "boto3-1.35.0.dist-info" / "METADATA", "Name: boto3\n")
    _write(deps / "urllib3-2.2.3.dist-info" / "METADATA", "Name: urllib3\n")
    _write(deps / "urllib3" / "__init__.py", "# urllib3\n")
    # The tree's pip report: the wheel it installed for requests (urllib3's tree was built without one).
    _write(
        deps / ".pip-report.json",
        json.dumps(
            {
                "install": [
                    {
                        "metadata": {"name": "requests", "version": "2.32.3"},
                        "download_info": {"archive_info": {"hashes": {"sha256": REQUESTS_WHEEL}}},
                    }
                ]
            }
        ),
    )
    changelog = tmp_path / "CHANGELOG.md"
    _write(changelog, CHANGELOG)
    # A project whose runtime dependencies the fake tree is, locked (boto3's pin is installed and dropped).
    pyproject = tmp_path / "pyproject.toml"
    _write(
        pyproject,
        '[project]\nname = "x"\ndependencies = ["boto3>=1.34", "requests>=2.32,<3"]\n'
        '[project.optional-dependencies]\nanalytics = ["pyarrow>=20"]\n',
    )
    requirements = package_lambdas.runtime_requirements(pyproject)
    digest = package_lambdas.lock_input_digest(
        requirements, package_lambdas.Target("python3.13", "x86_64"), package_lambdas.PLATFORMS
    )
    lock = tmp_path / "lambda-requirements.txt"
    _write(
        lock,
        f"{package_lambdas.LOCK_INPUT_PREFIX}{digest}\n"
        f"boto3==1.35.0 --hash=sha256:{'0' * 64}\n"
        f"requests==2.32.3 --hash=sha256:{REQUESTS_WHEEL} --hash=sha256:{REQUESTS_SDIST}\n"
        f"urllib3==2.2.3 --hash=sha256:{URLLIB3_ARM} --hash=sha256:{URLLIB3_X86}\n",
    )
    # The report converter's own tree and lock (pyarrow, for its zip alone).
    converter_deps = tmp_path / "converter-deps"
    _write(converter_deps / "pyarrow" / "__init__.py", "# pyarrow\n")
    _write(converter_deps / "pyarrow-26.0.1.dist-info" / "METADATA", "Name: pyarrow\n")
    converter_requirements = package_lambdas.converter_requirements(pyproject)
    converter_digest = package_lambdas.lock_input_digest(
        converter_requirements, package_lambdas.Target("python3.13", "x86_64"), package_lambdas.PLATFORMS
    )
    converter_lock = tmp_path / "converter-requirements.txt"
    _write(
        converter_lock,
        f"{package_lambdas.LOCK_INPUT_PREFIX}{converter_digest}\npyarrow==26.0.1 --hash=sha256:{'1' * 64}\n",
    )
    return {
        "src": src,
        "deps": deps,
        "changelog": changelog,
        "pyproject": pyproject,
        "lock": lock,
        "converter_deps": converter_deps,
        "converter_lock": converter_lock,
    }


@pytest.fixture(scope="module")
def runtime_python() -> lambda_bytecode.RuntimePython:
    python, tried = lambda_bytecode.find_runtime_python("3.13")
    if python is None:
        pytest.fail(f"CPython 3.13 (the Lambda runtime's) is needed to build a release; tried {tried}")
    return python


def _release(version: str, dist: Path, tree: dict[str, Path], *extra: str) -> int:
    return release.main(
        [
            version,
            "--dist",
            str(dist),
            "--changelog",
            str(tree["changelog"]),
            "--src",
            str(tree["src"]),
            "--deps-dir",
            str(tree["deps"]),
            "--pyproject",
            str(tree["pyproject"]),
            "--lock",
            str(tree["lock"]),
            "--converter-deps-dir",
            str(tree["converter_deps"]),
            "--converter-lock",
            str(tree["converter_lock"]),
            *extra,
        ]
    )


def _files(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}


def test_two_builds_of_a_release_are_byte_identical(tmp_path, tree, runtime_python):
    assert _release("1.2.0", tmp_path / "first", tree) == 0
    for path in tree["src"].rglob("*.py"):  # only content, never mtimes, may decide the bytes
        path.touch()
    assert _release("1.2.0", tmp_path / "second", tree) == 0

    first, second = _files(tmp_path / "first" / "1.2.0"), _files(tmp_path / "second" / "1.2.0")
    assert set(first) == {f"{f}.zip" for f in FUNCTIONS} | {"manifest.json", "sbom.cdx.json"}
    assert first == second


def test_the_manifest_describes_each_zip_of_the_release(tmp_path, tree, runtime_python):
    assert _release("1.2.0", tmp_path / "dist", tree) == 0
    directory = tmp_path / "dist" / "1.2.0"
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))

    assert manifest["version"] == "1.2.0"
    assert (manifest["runtime"], manifest["architecture"]) == ("python3.13", "x86_64")
    assert manifest["bytecode"]["python"] == runtime_python.full_version
    # What the zips carry; boto3 is the runtime's.
    assert manifest["dependencies"] == {"requests": "2.32.3", "urllib3": "2.2.3"}
    assert set(manifest["functions"]) == set(FUNCTIONS)
    for function, entry in manifest["functions"].items():
        data = (directory / entry["file"]).read_bytes()
        digest = hashlib.sha256(data).digest()
        assert entry["file"] == f"{function}.zip"
        assert entry["sha256"] == digest.hex()
        # What Lambda's source_code_hash (Terraform's filebase64sha256) is for the same bytes.
        assert entry["base64_sha256"] == base64.b64encode(digest).decode()
        assert entry["size"] == len(data)
        assert (entry["runtime"], entry["architecture"]) == ("python3.13", "x86_64")
        assert entry["python"] == runtime_python.full_version


def test_a_rebuild_replaces_the_earlier_build_whole(tmp_path, tree, runtime_python):
    dist = tmp_path / "dist"
    assert _release("1.2.0", dist, tree) == 0
    (dist / "1.2.0" / "removed_function.zip").write_bytes(b"left from an older build")
    assert _release("1.2.0", dist, tree) == 0

    assert not (dist / "1.2.0" / "removed_function.zip").exists()
    assert [p.name for p in dist.iterdir()] == ["1.2.0"]  # no staging directory left behind


def test_a_runtime_python_of_another_version_is_refused(tmp_path, tree, capsys):
    # This interpreter (the build's, not 3.13) stands for a runner with another Python.
    assert sys.version_info[:2] != (3, 13)
    assert _release("1.2.0", tmp_path / "dist", tree, "--runtime-python", sys.executable) == 1

    error = capsys.readouterr().err
    assert f"--runtime-python {sys.executable} is not a CPython 3.13 interpreter" in error
    assert not (tmp_path / "dist" / "1.2.0").exists()


def test_without_the_runtime_python_no_release_is_built(tmp_path, tree, monkeypatch, capsys):
    monkeypatch.delenv("SP_REPORTS_RUNTIME_PYTHON", raising=False)
    monkeypatch.setattr(
        lambda_bytecode, "find_runtime_python", lambda version, explicit=None: (None, ["/usr/bin/python3.13"])
    )
    assert _release("1.2.0", tmp_path / "dist", tree) == 1

    error = capsys.readouterr().err
    assert "no CPython 3.13 found (tried: /usr/bin/python3.13)" in error
    assert "python3.13" in error and "differ" in error
    assert not (tmp_path / "dist" / "1.2.0").exists()


@pytest.mark.parametrize("version", ["1.2", "v1.2.0", "01.2.0", "1.2.0-", "1.2.0-rc..1", "1.2.0+build.5", ""])
def test_a_version_that_is_not_semver_is_refused(tmp_path, tree, version, capsys):
    assert _release(version, tmp_path / "dist", tree) == 1
    assert f"VERSION {version!r}" in capsys.readouterr().err
    assert not (tmp_path / "dist").exists() or not any((tmp_path / "dist").iterdir())


def test_a_release_version_without_its_changelog_entry_is_refused(tmp_path, tree, capsys):
    assert _release("1.3.0", tmp_path / "dist", tree) == 1
    assert "has no entry for 1.3.0: add a `## [1.3.0] - YYYY-MM-DD` section" in capsys.readouterr().err

    _write(
        tree["changelog"],
        CHANGELOG.replace(
            "## [1.2.0] - 2026-12-01\n\n### Fixed\n\n- Reports",
            "## [1.3.0] - 2026-12-07\n\n## [1.2.0] - 2026-12-01\n\n### Fixed\n\n- Reports",
        ),
    )
    assert _release("1.3.0", tmp_path / "dist", tree) == 1
    assert "the entry for 1.3.0 is empty" in capsys.readouterr().err
    assert not (tmp_path / "dist" / "1.3.0").exists()


def test_a_pre_release_needs_no_changelog_entry(tmp_path, tree, runtime_python):
    assert _release("0.0.0-test", tmp_path / "dist", tree) == 0
    manifest = json.loads((tmp_path / "dist" / "0.0.0-test" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["version"] == "0.0.0-test"


def test_the_repository_changelog_has_an_entry_under_every_release_heading():
    text = (REPO_ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = [
        line.split("]")[0].removeprefix("## [") for line in text.splitlines() if line.startswith("## [")
    ]
    # Keep a Changelog's [Unreleased] collects what the next release brings; only the first heading may be it.
    versions = headings[1:] if headings[:1] == ["Unreleased"] else headings
    assert versions, "CHANGELOG.md lists no release"
    if headings[:1] == ["Unreleased"]:
        assert text.split("## [Unreleased]", 1)[1].split("\n## [", 1)[0].strip(), "[Unreleased] is empty"
    for version in versions:
        assert release.check_version(version) is False  # released versions, no pre-releases
        assert release.changelog_entry(REPO_ROOT / "CHANGELOG.md", version)


def _zip_distributions(directory: Path) -> set[tuple[str, str]]:
    """(name, version) of every *.dist-info directory in any zip of the release."""
    found = set()
    for path in directory.glob("*.zip"):
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                top = name.split("/", 1)[0]
                if top.endswith(".dist-info"):
                    distribution, _, version = top.removesuffix(".dist-info").partition("-")
                    found.add((distribution.lower().replace("_", "-"), version))
    return found


def test_the_release_carries_a_cyclonedx_sbom_of_exactly_what_its_zips_carry(tmp_path, tree, runtime_python):
    assert _release("1.2.0", tmp_path / "dist", tree) == 0
    directory = tmp_path / "dist" / "1.2.0"
    bom = json.loads((directory / "sbom.cdx.json").read_text(encoding="utf-8"))

    assert (bom["bomFormat"], bom["specVersion"], bom["version"]) == ("CycloneDX", "1.5", 1)
    assert re.fullmatch(
        r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", bom["serialNumber"]
    )
    assert bom["metadata"]["component"] == {
        "type": "application",
        "bom-ref": "pkg:generic/sp-reports@1.2.0",
        "name": "sp-reports",
        "version": "1.2.0",
    }
    listed = {(c["name"], c["version"]) for c in bom["components"]}
    # pyarrow: the report converter's zip alone carries it, from its own lock.
    assert (
        listed
        == _zip_distributions(directory)
        == {
            ("requests", "2.32.3"),
            ("urllib3", "2.2.3"),
            ("pyarrow", "26.0.1"),
        }
    )
    for component in bom["components"]:
        assert component["type"] == "library"
        assert (
            component["purl"]
            == component["bom-ref"]
            == f"pkg:pypi/{component['name']}@{component['version']}"
        )
        assert component["hashes"] and all(h["alg"] == "SHA-256" for h in component["hashes"])
    hashes = {c["name"]: [h["content"] for h in c["hashes"]] for c in bom["components"]}
    # The wheel pip installed where its report says; otherwise every file the lock accepts.
    assert hashes == {
        "requests": [REQUESTS_WHEEL],
        "urllib3": [URLLIB3_ARM, URLLIB3_X86],
        "pyarrow": ["1" * 64],
    }
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["sbom"] == {
        "file": "sbom.cdx.json",
        "sha256": hashlib.sha256((directory / "sbom.cdx.json").read_bytes()).hexdigest(),
    }


def test_a_tree_that_is_not_the_locks_gets_no_release(tmp_path, tree, runtime_python, capsys):
    _write(tree["deps"] / "idna-3.10.dist-info" / "METADATA", "Name: idna\n")

    assert _release("1.2.0", tmp_path / "dist", tree) == 1
    assert "the zips carry idna 3.10, but the lock pins nothing" in capsys.readouterr().err
    assert not (tmp_path / "dist" / "1.2.0").exists()


def test_an_installed_wheel_the_lock_does_not_list_gets_no_release(tmp_path, tree, runtime_python, capsys):
    report = json.loads((tree["deps"] / ".pip-report.json").read_text(encoding="utf-8"))
    report["install"][0]["download_info"]["archive_info"]["hashes"]["sha256"] = "f" * 64
    _write(tree["deps"] / ".pip-report.json", json.dumps(report))

    assert _release("1.2.0", tmp_path / "dist", tree) == 1
    assert "is not in the lock" in capsys.readouterr().err
