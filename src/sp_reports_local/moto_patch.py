"""Version-checked monkey patches on moto's internals.

Every extension in this package changes a moto class attribute. Those are internals, so each patch names the
attribute it replaces and fails loudly (``MotoInternalsChanged``) when moto is not the pinned version or the
attribute is gone, instead of silently doing nothing after an upgrade. Patches are reversible: ``LocalAws``
installs them on start and restores moto's originals on stop, so tests that use plain ``mock_aws`` in the same
process see unmodified moto.
"""

from __future__ import annotations

import re
import threading
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import moto

# The harness runs only from the checkout (it is not in the wheel), so pyproject.toml is beside src/.
PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"

_MISSING = object()


class MotoInternalsChanged(RuntimeError):
    """moto is not the version our extensions were written against, or a hooked internal has changed."""


def pinned_moto_version(pyproject: Path = PYPROJECT) -> str:
    """The moto version the dev extra pins (``moto[server]==X.Y.Z``): the one place the version is stated."""
    extras = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    for requirement in extras["dev"]:
        match = re.fullmatch(r"moto(?:\[[^\]]*\])?==([0-9][0-9A-Za-z.]*)", requirement.strip())
        if match:
            return match.group(1)
    raise MotoInternalsChanged(f"{pyproject}: the dev extra pins no moto version (moto[server]==X.Y.Z)")


PINNED_MOTO_VERSION = pinned_moto_version()


def require_pinned_moto() -> None:
    if moto.__version__ != PINNED_MOTO_VERSION:
        raise MotoInternalsChanged(
            f"sp_reports_local extends moto {PINNED_MOTO_VERSION} internals, found moto {moto.__version__}: "
            "re-check every module in sp_reports_local and its test before changing the pin"
        )


@dataclass
class PatchSet:
    """A group of attribute replacements applied and restored together."""

    name: str
    _planned: list[tuple[Any, str, Any, bool]] = field(default_factory=list)
    _saved: list[tuple[Any, str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def replace(self, owner: Any, attribute: str, replacement: Any) -> None:
        """Plan replacing an existing attribute (of a class or a module); it must exist in the pinned moto."""
        if attribute not in vars(owner):
            raise MotoInternalsChanged(
                f"{self.name}: {_qualname(owner)}.{attribute} no longer exists in moto"
            )
        self._planned.append((owner, attribute, replacement, True))

    def add(self, owner: Any, attribute: str, value: Any) -> None:
        """Plan adding an attribute moto lacks; if moto gained it, our addition may no longer be needed."""
        if hasattr(owner, attribute):
            raise MotoInternalsChanged(
                f"{self.name}: moto now defines {_qualname(owner)}.{attribute}; "
                "check whether this extension is still needed"
            )
        self._planned.append((owner, attribute, value, False))

    @property
    def installed(self) -> bool:
        return bool(self._saved)

    def install(self) -> None:
        with self._lock:
            if self._saved:
                return
            for owner, attribute, value, _existed in self._planned:
                self._saved.append((owner, attribute, vars(owner).get(attribute, _MISSING)))
                setattr(owner, attribute, value)

    def uninstall(self) -> None:
        with self._lock:
            for owner, attribute, original in reversed(self._saved):
                if original is _MISSING:
                    delattr(owner, attribute)
                else:
                    setattr(owner, attribute, original)
            self._saved.clear()


def _qualname(owner: Any) -> str:
    """A class's qualified name, or a module's name."""
    return getattr(owner, "__qualname__", None) or owner.__name__
