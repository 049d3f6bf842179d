"""The registry of local AWS's extensions names real modules, and a started LocalAws installs exactly it."""

from __future__ import annotations

import importlib

from sp_reports_harness.local_aws import LocalAws
from sp_reports_harness.local_aws.extensions import MIDDLEWARE, PATCHES


def test_every_extension_names_a_module_of_local_aws_that_has_a_test():
    modules = {extension.module for extension in PATCHES} | {module for module, _ in MIDDLEWARE}
    for module in sorted(modules):
        importlib.import_module(f"sp_reports_harness.local_aws.{module}")
    assert all(extension.what for extension in PATCHES)


def test_local_aws_installs_the_registry_in_its_order_and_removes_it():
    with LocalAws(aws_managed_policies=False) as aws:
        installed = list(aws._patches)
        assert len(installed) == len(PATCHES)
        assert all(patch_set.installed for patch_set in installed)
    assert not any(patch_set.installed for patch_set in installed)
