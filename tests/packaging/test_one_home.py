"""Each fact has one home: SP-API's names and values in `spapi`, the checkout's paths in the scripts' module.

Read with `ast`, so docstrings and comments that mention a value do not count; only code that spells it out
does. The SP-API emulator keeps its own copies on purpose (it plays SP-API and judges our client against the
documentation, not against the client's own constants); tests may write documented values out as independent
checks, so tests/ is not scanned for them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import repository_paths
from sp_reports_harness import repository
from sp_reports_harness.repository import REPO_ROOT

CODE_TREES = ("src", "harness", "scripts", "benchmarks")
EMULATOR = "harness/spapi_emulator/"

# value -> the modules allowed to spell it out (beyond the emulator's deliberate copies).
SPAPI_VALUES = {
    "REPORT_PROCESSING_FINISHED": {"src/sp_reports/spapi/notifications.py"},
    "APPLICATION_OAUTH_CHANGED": {"src/sp_reports/spapi/notifications.py"},
    "437568002678": {"src/sp_reports/spapi/notifications.py"},
}
FINISHED = frozenset({"CANCELLED", "DONE", "FATAL"})


def _modules(*trees: str) -> dict[str, ast.Module]:
    return {
        path.relative_to(REPO_ROOT).as_posix(): ast.parse(path.read_text(encoding="utf-8"))
        for tree in trees
        for path in sorted((REPO_ROOT / tree).rglob("*.py"))
    }


def _where(value_test, trees=CODE_TREES) -> set[str]:
    return {
        name
        for name, module in _modules(*trees).items()
        if any(value_test(node) for node in ast.walk(module)) and not name.startswith(EMULATOR)
    }


def test_spapi_names_and_values_are_spelt_out_only_in_spapi():
    for value, homes in SPAPI_VALUES.items():
        spelt = _where(lambda node, value=value: isinstance(node, ast.Constant) and node.value == value)
        assert spelt == homes, value


def test_the_finished_statuses_are_listed_only_in_spapi_reports():
    def lists_finished(node: ast.AST) -> bool:
        if not isinstance(node, ast.Set | ast.Tuple | ast.List):
            return False
        values = {element.value for element in node.elts if isinstance(element, ast.Constant)}
        return values == FINISHED and len(node.elts) == len(FINISHED)

    assert _where(lists_finished) == {"src/sp_reports/spapi/reports.py"}


def _assigned(name: str, trees: tuple[str, ...]) -> set[str]:
    def assigns(node: ast.AST) -> bool:
        return isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == name for target in node.targets
        )

    return {path for path, module in _modules(*trees).items() if any(assigns(n) for n in ast.walk(module))}


def test_the_checkout_paths_are_defined_once_and_the_harness_names_the_scripts_ones():
    for name in ("REPO_ROOT", "TERRAFORM_DIR", "BUILD_DIR", "LAMBDA_PACKAGE_DIR", "EMULATOR_ZIP"):
        assert _assigned(name, (*CODE_TREES, "tests")) == {"scripts/repository_paths.py"}, name
        assert getattr(repository, name) is getattr(repository_paths, name), name
    assert (REPO_ROOT / "pyproject.toml").is_file() and Path(
        repository_paths.__file__
    ).parent.name == "scripts"
