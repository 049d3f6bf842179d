"""Configuration from environment variables, read once at cold start.

A missing or malformed variable fails the cold start with one message that lists every problem, so a
misconfigured deployment shows up in the first invocation's log instead of as a confusing error later.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping

from sp_reports.spapi.errors import ConfigurationError


def required(names: Iterable[str], environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The values of `names`; ConfigurationError naming every missing one."""
    environ = os.environ if environ is None else environ
    values = {name: environ.get(name, "").strip() for name in names}
    missing = sorted(name for name, value in values.items() if not value)
    if missing:
        raise ConfigurationError(f"missing environment variables: {', '.join(missing)}")
    return values


def positive_int(name: str, default: int | None = None, *, maximum: int | None = None) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        if default is None:
            raise ConfigurationError(f"missing environment variable: {name}")
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, got {raw!r}") from None
    if value < 1 or (maximum is not None and value > maximum):
        bound = f"1-{maximum}" if maximum is not None else "at least 1"
        raise ConfigurationError(f"{name} must be {bound}, got {value}")
    return value


def boolean(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("true", "1", "yes"):
        return True
    if raw in ("false", "0", "no"):
        return False
    raise ConfigurationError(f"{name} must be true or false, got {raw!r}")


_WORD = re.compile(r"^[A-Z0-9_]{1,100}\Z")


def word_list(name: str) -> list[str]:
    """A comma-separated list of upper-case identifiers (report types), empty when unset."""
    raw = os.environ.get(name, "").strip()
    words = [word.strip() for word in raw.split(",") if word.strip()]
    wrong = [word for word in words if not _WORD.match(word)]
    if wrong:
        raise ConfigurationError(f"{name}: {wrong[0]!r} is not an upper-case identifier (a report type)")
    return words
