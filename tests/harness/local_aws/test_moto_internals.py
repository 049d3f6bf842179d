"""moto's internals are touched in one module, whose patches fail loudly when moto changes and restore it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from sp_reports_harness.local_aws import moto_internals
from sp_reports_harness.local_aws.moto_internals import MotoInternalsChanged, PatchSet, require_pinned_moto


class Target:
    def existing(self) -> str:
        return "original"


def test_replace_and_add_are_undone_by_uninstall():
    patches = PatchSet("test")
    patches.replace(Target, "existing", lambda self: "patched")
    patches.add(Target, "added", lambda self: "new")

    patches.install()
    assert Target().existing() == "patched"
    assert Target().added() == "new"

    patches.uninstall()
    assert Target().existing() == "original"
    assert not hasattr(Target, "added")


def test_wrap_wraps_what_another_patch_set_installed_and_uninstall_restores_each_layer():
    inner = PatchSet("inner")
    inner.replace(Target, "existing", lambda self: "inner")
    outer = PatchSet("outer")
    outer.wrap(Target, "existing", lambda installed: lambda self: f"outer({installed(self)})")

    inner.install()
    outer.install()
    assert Target().existing() == "outer(inner)"

    outer.uninstall()
    assert Target().existing() == "inner"
    inner.uninstall()
    assert Target().existing() == "original"


def test_wrapping_a_missing_attribute_fails_loudly():
    with pytest.raises(MotoInternalsChanged, match=r"Target\.gone no longer exists"):
        PatchSet("test").wrap(Target, "gone", lambda installed: installed)


def test_replacing_a_missing_attribute_fails_loudly():
    with pytest.raises(MotoInternalsChanged, match=r"Target\.gone no longer exists"):
        PatchSet("test").replace(Target, "gone", lambda self: None)


def test_module_functions_are_replaced_and_a_missing_one_is_named_by_its_module():
    patches = PatchSet("test")
    patches.replace(moto_internals, "require_pinned_moto", lambda: "patched")
    patches.install()
    assert moto_internals.require_pinned_moto() == "patched"
    patches.uninstall()
    assert moto_internals.require_pinned_moto is require_pinned_moto
    with pytest.raises(
        MotoInternalsChanged, match=r"sp_reports_harness\.local_aws\.moto_internals\.gone no longer exists"
    ):
        PatchSet("test").replace(moto_internals, "gone", lambda: None)


def test_adding_an_attribute_moto_now_has_fails_loudly():
    with pytest.raises(MotoInternalsChanged, match="moto now defines"):
        PatchSet("test").add(Target, "existing", lambda self: None)


def test_other_moto_versions_are_refused(monkeypatch):
    monkeypatch.setattr(moto_internals.moto, "__version__", "5.3.0")
    with pytest.raises(MotoInternalsChanged, match=r"found moto 5\.3\.0"):
        require_pinned_moto()


def test_pinned_moto_is_installed():
    require_pinned_moto()


def test_the_pinned_version_is_the_dev_extras_pin(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[project]\nname = "x"\n[project.optional-dependencies]\ndev = ["pytest>=8", "moto[server]==9.8.7"]\n'
    )
    assert moto_internals.pinned_moto_version(pyproject) == "9.8.7"
    assert moto_internals.moto.__version__ == moto_internals.PINNED_MOTO_VERSION  # make venv installs the pin

    pyproject.write_text('[project]\nname = "x"\n[project.optional-dependencies]\ndev = ["moto>=5"]\n')
    with pytest.raises(MotoInternalsChanged, match="pins no moto version"):
        moto_internals.pinned_moto_version(pyproject)


# moto's documented public API (docs.getmoto.org: "Getting Started" for mock_aws, "Server mode" for
# ThreadedMotoServer). Anything else from moto is an internal and is imported through moto_internals only.
MOTO_PUBLIC_API = {("moto", "mock_aws"), ("moto.server", "ThreadedMotoServer")}
REPO = Path(__file__).resolve().parents[3]


def _moto_imports(path: Path) -> list[tuple[str, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "moto":
            found += [(node.module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(alias.name, "") for alias in node.names if alias.name.split(".")[0] == "moto"]
    return found


def test_only_moto_internals_imports_moto_beyond_its_public_api():
    sources = [
        path
        for folder in ("src", "tests", "benchmarks", "scripts")
        for path in (REPO / folder).rglob("*.py")
        if path != REPO / "harness/sp_reports_harness/local_aws/moto_internals.py"
    ]
    offenders = {
        str(path.relative_to(REPO)): private
        for path in sources
        if (private := [name for name in _moto_imports(path) if name not in MOTO_PUBLIC_API])
    }
    assert offenders == {}


def test_the_guard_sees_a_private_import(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from moto.sqs.models import sqs_backends\n", encoding="utf-8")
    assert _moto_imports(module) == [("moto.sqs.models", "sqs_backends")]
