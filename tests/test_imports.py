"""The engine is headless: importing it loads NumPy and the standard library, nothing else."""

import ast
import importlib.util
import json
import pathlib
import re
import subprocess
import sys

import pytest

import gradtui.engine

ALLOWED = {"gradtui", "numpy", "cython_runtime"}  # cython_runtime: a pseudo-module NumPy's extensions create
UI_MODULES = ("textual", "rich", "plotext", "textual_plotext", "gradtui.tui")
ENGINE_DIR = pathlib.Path(gradtui.engine.__file__).parent
TUI_DIR = ENGINE_DIR.parent / "tui"
ENGINE_MODULES = sorted(
    "gradtui.engine." + ".".join(p.relative_to(ENGINE_DIR).with_suffix("").parts).removesuffix(".__init__")
    for p in ENGINE_DIR.rglob("*.py") if p != ENGINE_DIR / "__init__.py")

PROBE = """
import json, sys
before = set(sys.modules)
for name in {modules!r}:
    __import__(name)
new = sorted(set(sys.modules) - before)
print(json.dumps(new))
"""


def modules_loaded_by(*modules: str) -> list[str]:
    """Modules that importing ``modules`` in a fresh interpreter adds to sys.modules."""
    out = subprocess.run([sys.executable, "-c", PROBE.format(modules=list(modules))],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def third_party(loaded: list[str]) -> set[str]:
    tops = {name.split(".")[0] for name in loaded}
    return {t for t in tops if t not in sys.stdlib_module_names and not t.startswith("_")}


def test_import_gradtui_engine_loads_no_ui_library():
    loaded = modules_loaded_by("gradtui.engine")
    assert "gradtui.engine" in loaded
    assert not [m for m in loaded if m.split(".")[0] in UI_MODULES or m.startswith("gradtui.tui")]
    assert third_party(loaded) <= ALLOWED


def test_every_engine_module_is_headless():
    loaded = modules_loaded_by(*ENGINE_MODULES)
    assert set(ENGINE_MODULES) <= set(loaded)
    assert third_party(loaded) <= ALLOWED


def module_name(path: pathlib.Path, root: pathlib.Path, package: str) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join((package, *parts))


def source_modules() -> dict[str, pathlib.Path]:
    """Every module of the installed engine and tui packages, by dotted name."""
    roots = {"gradtui.engine": pathlib.Path(gradtui.engine.__file__).parent,
             "gradtui.tui": pathlib.Path(importlib.util.find_spec("gradtui.tui").origin).parent}
    return {module_name(p, root, pkg): p for pkg, root in roots.items() for p in root.rglob("*.py")}


def imports_of(name: str, path: pathlib.Path, known: set[str]) -> set[str]:
    """gradtui modules that ``path`` imports anywhere (function-level imports included)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        found |= {t for t in targets if t in known}
    return found - {name}


def import_graph() -> dict[str, set[str]]:
    modules = source_modules()
    return {name: imports_of(name, path, set(modules)) for name, path in modules.items()}


def test_engine_never_imports_the_ui_side():
    graph = import_graph()
    bad = {m: sorted(t for t in deps if t.startswith("gradtui.tui"))
           for m, deps in graph.items() if m.startswith("gradtui.engine")}
    assert {m: d for m, d in bad.items() if d} == {}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of imports among modules (ignoring a package's own ``__init__`` re-exports), or None."""
    edges = {m: {d for d in deps if not m.startswith(d + ".")} for m, deps in graph.items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(edges.get(node, ())):
            if state.get(dep) == 1:
                return stack[stack.index(dep):] + [dep]
            if dep not in state and (cycle := visit(dep)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(edges):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_no_import_cycles_among_gradtui_modules():
    assert find_cycle(import_graph()) is None


def test_cycle_finder_finds_a_planted_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
