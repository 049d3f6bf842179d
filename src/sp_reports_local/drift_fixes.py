"""Placeholder replaced below."""

from .moto_patch import PatchSet


def drift_fix_patches() -> PatchSet:
    return PatchSet("drift_fixes")
