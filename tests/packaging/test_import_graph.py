"""The project's imports, read with `ast`: data flows one way, and what ships never imports the harness.

Every `import` and `from ... import` between modules under src/ (what ships) and harness/ (what does not)
counts, those inside functions and under
`if TYPE_CHECKING:` too (an import inside a function that dodges a circle is still the circle). A module's
own package (its `__init__`) is imported before the module anyway and is not an edge.
"""

from __future__ import annotations

import ast
from pathlib import Path

from sp_reports_harness.repository import REPO_ROOT

SRC = REPO_ROOT / "src"
HARNESS = REPO_ROOT / "harness"


def _modules(*roots: Path) -> dict[str, Path]:
    modules = {}
    for path in sorted(p for root in roots for p in root.rglob("*.py")):
        root = next(r for r in roots if path.is_relative_to(r))
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def import_graph(*roots: Path) -> dict[str, set[str]]:
    """module -> the project modules it imports (the modules under roots: src/ and harness/ by default)."""
    modules = _modules(*(roots or (SRC, HARNESS)))
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
                module = ".".join([*base, node.module] if node.module else base)
                submodules = [f"{module}.{alias.name}" for alias in node.names]
                named = [sub for sub in submodules if sub in modules]
                targets = named if len(named) == len(submodules) else [module, *named]
            else:
                continue
            for target in targets:
                if target in modules and target != name and not name.startswith(f"{target}."):
                    graph[name].add(target)
    return graph


def circles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph[successor]))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(component)
    return found


def test_no_module_of_the_project_is_in_an_import_circle():
    assert sorted(map(sorted, circles(import_graph()))) == []


def test_nothing_that_ships_imports_the_harness():
    graph = import_graph()
    shipped, harness = set(_modules(SRC)), set(_modules(HARNESS))
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in graph.items()
        if module in shipped
        for target in targets
        if target in harness
    )

    assert shipped and harness
    assert {m.split(".")[0] for m in shipped} == {"sp_reports"}

    assert wrong == []


def test_the_reading_finds_circles_and_harness_imports(tmp_path):
    # The checks above can fail: a circle through a function-level import and a relative import is found.
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("from .a import A\n", encoding="utf-8")
    (package / "a.py").write_text("from . import b\nA = 1\n", encoding="utf-8")
    (package / "b.py").write_text("def f():\n    from pkg.a import A\n    return A\n", encoding="utf-8")
    (package / "c.py").write_text("import pkg.b\n", encoding="utf-8")

    graph = import_graph(tmp_path)

    assert graph["pkg.c"] == {"pkg.b"}
    assert circles(graph) == [{"pkg.a", "pkg.b"}]


PARQUET_MODULE = "sp_reports.analytics.parquet_files"  # the one module that imports pyarrow
CONVERTER_HANDLER = "sp_reports.handlers.report_converter"  # the one function whose zip carries pyarrow


def _imports_of(path: Path) -> set[str]:
    """The top-level names of every package `path` imports (third-party ones included)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        module = todo.pop()
        for target in graph.get(module, ()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def test_analytics_builds_on_spapi_alone_and_only_its_parquet_module_imports_pyarrow():
    graph = import_graph()
    analytics = {m for m in graph if m == "sp_reports.analytics" or m.startswith("sp_reports.analytics.")}
    wrong = sorted(
        f"{module} imports {target}"
        for module in analytics
        for target in graph[module]
        if target not in analytics
        and target != "sp_reports.spapi"
        and not target.startswith("sp_reports.spapi.")
    )
    pyarrow_importers = sorted(name for name, path in _modules(SRC).items() if "pyarrow" in _imports_of(path))
    # A function other than the converter reaching the Parquet module would need pyarrow in its zip.
    handlers_reaching_parquet = sorted(
        module
        for module in graph
        if module.startswith("sp_reports.handlers.")
        and module != CONVERTER_HANDLER
        and PARQUET_MODULE in _reachable(graph, module)
    )

    assert "sp_reports.analytics.table_schemas" in analytics
    assert wrong == []
    assert set(pyarrow_importers) <= {PARQUET_MODULE}
    assert handlers_reaching_parquet == []
