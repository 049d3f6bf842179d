"""Patches on moto internals fail loudly when moto changes, and restore moto exactly."""

from __future__ import annotations

import pytest

from sp_reports_local import moto_patch
from sp_reports_local.moto_patch import MotoInternalsChanged, PatchSet, require_pinned_moto


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


def test_replacing_a_missing_attribute_fails_loudly():
    with pytest.raises(MotoInternalsChanged, match=r"Target\.gone no longer exists"):
        PatchSet("test").replace(Target, "gone", lambda self: None)


def test_module_functions_are_replaced_and_a_missing_one_is_named_by_its_module():
    patches = PatchSet("test")
    patches.replace(moto_patch, "require_pinned_moto", lambda: "patched")
    patches.install()
    assert moto_patch.require_pinned_moto() == "patched"
    patches.uninstall()
    assert moto_patch.require_pinned_moto is require_pinned_moto
    with pytest.raises(MotoInternalsChanged, match=r"sp_reports_local\.moto_patch\.gone no longer exists"):
        PatchSet("test").replace(moto_patch, "gone", lambda: None)


def test_adding_an_attribute_moto_now_has_fails_loudly():
    with pytest.raises(MotoInternalsChanged, match="moto now defines"):
        PatchSet("test").add(Target, "existing", lambda self: None)


def test_other_moto_versions_are_refused(monkeypatch):
    monkeypatch.setattr(moto_patch.moto, "__version__", "5.3.0")
    with pytest.raises(MotoInternalsChanged, match=r"found moto 5\.3\.0"):
        require_pinned_moto()


def test_pinned_moto_is_installed():
    require_pinned_moto()


def test_the_pinned_version_is_the_dev_extras_pin(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[project]\nname = "x"\n[project.optional-dependencies]\ndev = ["pytest>=8", "moto[server]==9.8.7"]\n'
    )
    assert moto_patch.pinned_moto_version(pyproject) == "9.8.7"
    assert moto_patch.moto.__version__ == moto_patch.PINNED_MOTO_VERSION  # make venv installs the pin

    pyproject.write_text('[project]\nname = "x"\n[project.optional-dependencies]\ndev = ["moto>=5"]\n')
    with pytest.raises(MotoInternalsChanged, match="pins no moto version"):
        moto_patch.pinned_moto_version(pyproject)
