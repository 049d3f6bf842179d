"""The emulator's modules meet through public names: the operations take `EmulatorContext`, the control
routes `DeployedEmulator`, the Lambda's stored state `snapshot()` / `restore()`; no module reads a private
attribute (`x._name`) that another module defines."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any

import spapi_emulator
from spapi_emulator import EmulatorConfig, ModelContract
from spapi_emulator.app import EmulatorApp
from spapi_emulator.context import DocumentUrls, EmulatorContext
from spapi_emulator.lambda_function import StoredEmulatorApp
from spapi_emulator.remote_control_routes import DeployedEmulator

EMULATOR = Path(spapi_emulator.__file__).parent


def _members(protocol: type) -> set[str]:
    methods = {name for name, value in vars(protocol).items() if inspect.isfunction(value)}
    return (set(protocol.__annotations__) | methods) - {name for name in methods if name.startswith("_")}


def _missing(instance: Any, protocol: type) -> list[str]:
    missing = []
    for name in sorted(_members(protocol)):
        if not hasattr(instance, name):
            missing.append(name)
        elif inspect.isfunction(vars(protocol).get(name)) and not callable(getattr(instance, name)):
            missing.append(f"{name} (not callable)")
    return missing


def private_reads(package: Path) -> list[str]:
    """Every `x._name` (not a dunder) in a module of `package` that the module itself does not define."""
    found = []
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        own: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                own.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                own.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                own.add(node.id)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and node.attr not in own
            ):
                found.append(f"{path.relative_to(package)}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_the_app_is_an_emulator_context(contract: ModelContract):
    app = EmulatorApp(contract)

    assert _missing(app, EmulatorContext) == []
    assert _missing(app.documents, DocumentUrls) == []


def test_the_lambdas_app_is_what_the_control_routes_drive(contract: ModelContract):
    app = StoredEmulatorApp(contract, EmulatorConfig(), s3=object(), bucket="emulator-state")

    assert _missing(app, DeployedEmulator) == []


def test_no_emulator_module_reads_another_modules_private_attributes():
    assert private_reads(EMULATOR) == []


def test_the_reading_finds_a_private_attribute_of_another_module(tmp_path):
    # The check above can fail: b reads a's private attribute, a reading its own is fine.
    (tmp_path / "a.py").write_text(
        "class A:\n    def __init__(self):\n        self._x = 1\n", encoding="utf-8"
    )
    (tmp_path / "b.py").write_text("def f(a):\n    return a._x + a.__class__.y\n", encoding="utf-8")

    assert private_reads(tmp_path) == ["b.py:2: a._x"]


def test_a_snapshot_carries_the_app_on_elsewhere(contract: ModelContract):
    app = EmulatorApp(contract)
    app.state.register_app("client", "secret")
    app.advance_time(120)
    app.configure_report_type("GET_X", outcome="FATAL")
    app.rate_limiter.set_rate("getReport", 0.5, 2)
    assert app.rate_limiter.allow("getReport", "seller")
    other = EmulatorApp(contract)

    other.restore(app.snapshot())

    assert "client" in other.state.apps
    assert other.monotonic() - app.monotonic() < 1.0
    assert other.configures_report_type("GET_X")
    assert other.rate_limiter.rate_of("getReport") == 0.5
    assert other.rate_limiter.allow("getReport", "seller")
    assert not other.rate_limiter.allow("getReport", "seller")  # one of the burst of two was spent before
