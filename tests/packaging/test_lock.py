"""lambda-requirements.txt, the functions' hash-pinned dependencies (scripts/lock.py writes it,
scripts/package_lambdas.py installs it): the committed lock covers pyproject.toml's runtime dependencies, a
change of them without `make lock` fails, pip is asked to check every hash, and the dependency cache is keyed
by what the lock resolved. Offline: pip and uv never run (subprocess is faked where a command is built)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

import lock
import package_lambdas
from sp_reports_harness.repository import REPO_ROOT

TARGET = package_lambdas.Target("python3.13", "x86_64")
HASH_A = "a" * 64
HASH_B = "b" * 64
HASH_C = "c" * 64


def _lock_body(requests_version: str = "2.32.3", requests_hash: str = HASH_A) -> str:
    return (
        f"requests=={requests_version} \\\n"
        f"    --hash=sha256:{requests_hash} \\\n"
        f"    --hash=sha256:{HASH_B}\n"
        "    # via -r -\n"
        f"urllib3==2.2.3 \\\n    --hash=sha256:{HASH_C}\n    # via requests\n"
    )


def _write_lock(path: Path, requirements: list[str], body: str, target=TARGET) -> Path:
    digest = package_lambdas.lock_input_digest(requirements, target, package_lambdas.PLATFORMS)
    path.write_text(f"# a lock\n{package_lambdas.LOCK_INPUT_PREFIX}{digest}\n{body}", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("lock", "requirements_of", "pulled_in"),
    [
        (
            package_lambdas.LOCK_FILE,
            package_lambdas.runtime_requirements,
            {"aws-xray-sdk", "wrapt", "charset-normalizer", "idna", "certifi"},
        ),
        (
            package_lambdas.EMULATOR_LOCK_FILE,
            package_lambdas.emulator_requirements,
            {"markupsafe", "referencing", "rpds-py"},
        ),
    ],
    ids=["functions", "emulator"],
)
def test_the_committed_lock_pins_and_hashes_every_declared_runtime_requirement(
    lock, requirements_of, pulled_in
):
    requirements = requirements_of(REPO_ROOT / "pyproject.toml")
    target = package_lambdas.target_from_terraform(REPO_ROOT / "terraform")

    # Fails when pyproject.toml's requirements, the runtime or the architectures changed without `make lock`.
    pins = package_lambdas.check_lock(lock, requirements, target)

    assert package_lambdas.lock_problems(requirements, pins) == []
    for text in requirements:
        name = package_lambdas._requirement_name(text)
        assert name in pins, f"{text} is not pinned"
    assert all(pin.hashes and all(len(h) == 64 for h in pin.hashes) for pin in pins.values())
    # What the requirements pull in is locked too (the build installs with --no-deps).
    assert pulled_in <= set(pins)


def test_a_requirement_the_lock_does_not_satisfy_is_named():
    pins = package_lambdas.pins_of(_lock_body())

    assert package_lambdas.lock_problems(["requests>=2.32,<3", "urllib3<3"], pins) == []
    problems = package_lambdas.lock_problems(["requests>=2.33", "isal>=1.7", "urllib3<3"], pins)
    assert problems == [
        "'requests>=2.33': the lock pins requests==2.32.3",
        "'isal>=1.7': not in the lock",
    ]


def test_changing_the_requirements_without_relocking_fails_the_build(tmp_path):
    requirements = ["requests>=2.32,<3", "urllib3<3"]
    lock_file = _write_lock(tmp_path / "lock.txt", requirements, _lock_body())
    assert set(package_lambdas.check_lock(lock_file, requirements, TARGET)) == {"requests", "urllib3"}

    # A range the pins still satisfy, but not what the lock was resolved from: stale all the same.
    with pytest.raises(
        package_lambdas.PackagingError, match="stale: it was resolved from other requirements"
    ):
        package_lambdas.check_lock(lock_file, ["requests>=2.31,<3", "urllib3<3"], TARGET)
    with pytest.raises(package_lambdas.PackagingError, match=r"'isal>=1\.7': not in the lock"):
        package_lambdas.check_lock(lock_file, [*requirements, "isal>=1.7"], TARGET)
    # Another runtime's Python needs its own resolution.
    with pytest.raises(package_lambdas.PackagingError, match=r"for another Python than 3\.12"):
        package_lambdas.check_lock(lock_file, requirements, package_lambdas.Target("python3.12", "x86_64"))


def test_package_lambdas_refuses_a_stale_lock_before_building(tmp_path, capsys):
    stale = _write_lock(tmp_path / "lock.txt", ["requests>=2.32,<3"], _lock_body())
    deps = tmp_path / "deps"
    deps.mkdir()

    code = package_lambdas.main(
        ["--out", str(tmp_path / "out"), "--deps-dir", str(deps), "--lock", str(stale)]
    )

    assert code == 1
    error = capsys.readouterr().err
    assert "is stale" in error and "Run `make lock`" in error
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "body",
    [
        "requests>=2.32 \\\n    --hash=sha256:" + HASH_A + "\n",  # a range, not a pin
        "requests==2.32.3\n",  # no hash
        "requests==2.32.3 ; python_version < '3.14' \\\n    --hash=sha256:" + HASH_A + "\n",  # a marker
        "requests==2.32.3 \\\n    --index-url=https://example.invalid\n",  # an option
        "# only comments\n",
    ],
)
def test_a_lock_that_pip_would_not_install_exactly_is_refused(tmp_path, body):
    path = tmp_path / "lock.txt"
    path.write_text(body, encoding="utf-8")

    with pytest.raises(package_lambdas.PackagingError):
        package_lambdas.read_lock(path)


def test_the_cache_key_is_what_the_lock_resolved():
    same = package_lambdas.pins_of(_lock_body())
    key = package_lambdas.dependency_cache_key(same, TARGET)

    assert package_lambdas.dependency_cache_key(package_lambdas.pins_of(_lock_body()), TARGET) == key
    # Comments, annotations and order are not what was resolved.
    reordered = "# relocked\n" + "\n".join(reversed(_lock_body().split("\n    # via -r -\n")))
    assert package_lambdas.dependency_cache_key(package_lambdas.pins_of(reordered), TARGET) == key
    # A new version, or the same version with other files, is.
    assert package_lambdas.dependency_cache_key(package_lambdas.pins_of(_lock_body("2.32.4")), TARGET) != key
    other_file = package_lambdas.pins_of(_lock_body(requests_hash="d" * 64))
    assert package_lambdas.dependency_cache_key(other_file, TARGET) != key
    # So is the platform the wheels are for.
    arm = package_lambdas.Target("python3.13", "arm64")
    assert package_lambdas.dependency_cache_key(same, arm) != key


def _fake_pip(calls: list[list[str]]):
    def fake_run(command, **kwargs):
        calls.append(command)
        target_dir = Path(command[command.index("--target") + 1])
        (target_dir / "requests").mkdir(parents=True, exist_ok=True)
        (target_dir / "requests" / "__init__.py").write_text("", encoding="utf-8")
        return subprocess.CompletedProcess(command, 0, "", "")

    return fake_run


def test_the_lock_is_installed_hash_checked_once_per_resolution(tmp_path, monkeypatch):
    calls: list[list[str]] = []
    monkeypatch.setattr(package_lambdas.subprocess, "run", _fake_pip(calls))
    requirements = ["requests>=2.32,<3", "urllib3<3"]
    first_lock = _write_lock(tmp_path / "first.txt", requirements, _lock_body())
    relocked = _write_lock(tmp_path / "second.txt", requirements, _lock_body("2.32.4"))
    build = tmp_path / "build"

    first = package_lambdas.install_locked(first_lock, TARGET, build, requirements)
    again = package_lambdas.install_locked(first_lock, TARGET, build, requirements)
    second = package_lambdas.install_locked(relocked, TARGET, build, requirements)

    assert first == again and first != second
    assert (
        first.name
        == f"deps-{package_lambdas.dependency_cache_key(package_lambdas.read_lock(first_lock), TARGET)}"
    )
    assert len(calls) == 2, "the same lock reuses its tree; a relock installs anew"
    command = calls[0]
    assert {"--require-hashes", "--no-deps", "--only-binary=:all:"} <= set(command)
    assert command[command.index("-r") + 1] == str(first_lock)
    assert command[command.index("--platform") + 1] == "manylinux2014_x86_64"
    assert command[command.index("--python-version") + 1] == "3.13"
    assert not [argument for argument in command if argument.startswith(("requests", "urllib3"))]


def test_lock_writes_one_file_when_every_architecture_resolves_alike():
    requirements = ["requests>=2.32,<3", "urllib3<3"]

    text = lock.lock_text(requirements, TARGET, {"x86_64": _lock_body(), "arm64": _lock_body()})

    pins = package_lambdas.pins_of(text)
    assert {name: pin.version for name, pin in pins.items()} == {"requests": "2.32.3", "urllib3": "2.2.3"}
    digest = package_lambdas.lock_input_digest(requirements, TARGET, package_lambdas.PLATFORMS)
    assert f"{package_lambdas.LOCK_INPUT_PREFIX}{digest}\n" in text


def test_lock_refuses_architectures_that_resolve_differently():
    with pytest.raises(lock.LockError, match=r"arm64 and x86_64 resolve differently \(requests\)"):
        lock.lock_text(["requests"], TARGET, {"x86_64": _lock_body(), "arm64": _lock_body("2.32.4")})


def test_lock_asks_uv_for_the_runtimes_python_and_each_platform_binary_only(monkeypatch):
    calls = []

    def fake_run(command, **kwargs):
        calls.append((command, kwargs["input"]))
        return subprocess.CompletedProcess(command, 0, _lock_body(), "")

    monkeypatch.setattr(lock.subprocess, "run", fake_run)
    assert (
        lock.compile_for(["requests>=2.32,<3", "urllib3<3"], "3.13", "aarch64-manylinux_2_17") == _lock_body()
    )

    command, stdin = calls[0]
    assert command[1:5] == ["-m", "uv", "pip", "compile"]
    assert "--generate-hashes" in command
    assert command[command.index("--python-version") + 1] == "3.13"
    assert command[command.index("--python-platform") + 1] == "aarch64-manylinux_2_17"
    assert command[command.index("--only-binary") + 1] == ":all:"
    assert stdin == "requests>=2.32,<3\nurllib3<3\n"
    assert set(lock.UV_PLATFORMS) == set(package_lambdas.PLATFORMS)
