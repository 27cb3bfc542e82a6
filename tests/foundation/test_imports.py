"""Imports in mhc/ run one way: every module imports on its own, module-level imports form no cycle, and an
import placed inside a function says why (docs/architecture.md, "What each part may import")."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "mhc"

# Imports every module given on stdin in a child forked from this process, so each child starts with no mhc
# module loaded (third-party packages are imported once, first, only to keep 100+ imports fast).
ISOLATED_IMPORTS = """
import importlib, os, sys
names = sys.stdin.read().split()
for lib in sorted({line for line in os.environ["MHC_THIRD_PARTY"].split()}):
    try:
        importlib.import_module(lib)
    except Exception:
        pass
assert not [m for m in sys.modules if m == "mhc" or m.startswith("mhc.")]
for name in names:
    pid = os.fork()
    if pid == 0:
        try:
            importlib.import_module(name)
        except BaseException as exc:
            print(f"{name}: {type(exc).__name__}: {exc}", flush=True)
            os._exit(1)
        os._exit(0)
    os.waitpid(pid, 0)
"""


def modules() -> dict[str, Path]:
    """Every module of the mhc package: dotted name -> file."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def module_names() -> list[str]:
    """Every module of the mhc package, by dotted name, sorted."""
    return sorted(modules())


def _targets(node: ast.Import | ast.ImportFrom, known) -> list[str]:
    """The mhc modules an import statement names (a `from pkg import sub` names the submodule)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name in known]
    if node.level or not node.module or node.module not in known:
        return []
    subs = [f"{node.module}.{alias.name}" for alias in node.names if f"{node.module}.{alias.name}" in known]
    plain = len(subs) < len(node.names)  # some names come from the module itself
    return subs + ([node.module] if plain else [])


def _module_level_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Imports that run when the module is imported (not under `if TYPE_CHECKING:`, not in functions)."""
    found, todo = [], list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        elif isinstance(node, ast.If) and "TYPE_CHECKING" not in ast.unparse(node.test):
            todo += node.body + node.orelse
        elif isinstance(node, ast.Try):
            todo += node.body + node.orelse + node.finalbody + [n for h in node.handlers for n in h.body]
        elif isinstance(node, ast.ClassDef):
            todo += node.body
    return found


def import_graph() -> dict[str, set[str]]:
    """Module -> the mhc modules its module-level imports name (a parent package is not counted)."""
    known = modules()
    graph = {}
    for name, path in known.items():
        tree = ast.parse(path.read_text())
        graph[name] = {t for node in _module_level_imports(tree) for t in _targets(node, known) if t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every group of modules that import each other, directly or around a circle (Tarjan's algorithm)."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(groups)


def unexplained_function_imports() -> list[str]:
    """`path:line` of each mhc import inside a function with no comment on its line or the line above."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        lines = path.read_text().splitlines()
        for func in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(func):
                if not isinstance(node, (ast.Import, ast.ImportFrom)):
                    continue
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                if not any(n == "mhc" or n.startswith("mhc.") for n in names):
                    continue
                here, above = lines[node.lineno - 1], lines[node.lineno - 2]
                if "#" not in here and not above.strip().startswith("#"):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return sorted(set(found))


def test_the_checks_see_a_cycle_and_an_unexplained_import():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
    tree = ast.parse("from mhc.jobs import enqueue, runner\nimport mhc.models\n")
    known = {"mhc.jobs", "mhc.jobs.runner", "mhc.models"}
    assert [_targets(node, known) for node in tree.body] == [["mhc.jobs.runner", "mhc.jobs"], ["mhc.models"]]


def test_the_graph_holds_the_known_one_way_imports():
    graph = import_graph()
    assert {"mhc.jobs.runs", "mhc.jobs.runner"} <= graph["mhc.jobs.affiliate_jobs"]
    assert "mhc.jobs.kinds" in graph["mhc.jobs.runner"]
    assert not {m for m in graph["mhc.jobs.runner"] | graph["mhc.jobs.runs"] if m.endswith("_jobs")}
    assert "mhc.services.access.passwords" in graph["mhc.services.access.accounts"]


def test_module_level_imports_form_no_cycle():
    assert cycles(import_graph()) == []


def test_no_import_hides_in_a_function_without_a_reason():
    assert unexplained_function_imports() == []


def test_every_module_imports_on_its_own():
    names = module_names()
    assert len(names) > 100 and "mhc.jobs.runner" in names
    tops = set()
    for path in modules().values():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                tops |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                tops.add(node.module.split(".")[0])
    third_party = " ".join(sorted(tops - {"mhc", "config", "__future__"}))
    result = subprocess.run(
        [sys.executable, "-c", ISOLATED_IMPORTS],
        input="\n".join(names),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "MHC_THIRD_PARTY": third_party, "PYTHONPATH": str(ROOT)},
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout == ""
