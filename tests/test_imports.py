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


def installed_roots() -> dict[str, pathlib.Path]:
    """The folders the installed ``gradtui.engine`` and ``gradtui.tui`` packages live in."""
    return {"gradtui.engine": pathlib.Path(gradtui.engine.__file__).parent,
            "gradtui.tui": pathlib.Path(importlib.util.find_spec("gradtui.tui").origin).parent}


def source_modules(roots: dict[str, pathlib.Path]) -> dict[str, pathlib.Path]:
    """Every module under ``roots`` (package name -> folder), by dotted name."""
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


def import_graph(roots: dict[str, pathlib.Path] | None = None) -> dict[str, set[str]]:
    """Module -> the gradtui modules it imports, for the installed packages or ``roots``."""
    modules = source_modules(installed_roots() if roots is None else roots)
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


def package_of(module: str) -> str:
    """The unit the package-level check compares: ``gradtui.engine.train`` for every module
    under engine/train, ``gradtui.engine.registry`` for a module at the top of a package."""
    return ".".join(module.split(".")[:3])


def package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """Package -> the other packages its modules import (imports inside one package dropped)."""
    packages: dict[str, set[str]] = {}
    for module, deps in graph.items():
        mine = package_of(module)
        packages.setdefault(mine, set()).update(package_of(d) for d in deps if package_of(d) != mine)
    return packages


def test_no_import_cycles_among_gradtui_packages():
    """Imports point one way between packages too: engine.train may use engine.inspect or
    engine.inspect engine.train, not both (a module-level check misses such a loop when no
    single module closes it)."""
    assert find_cycle(package_graph(import_graph())) is None


def test_package_check_fails_on_a_planted_package_cycle(tmp_path):
    engine = tmp_path / "engine"
    for folder, source in {"train": "from gradtui.engine.inspect.trace import trace\n",
                           "inspect": "from gradtui.engine.train.atomic import write\n"}.items():
        (engine / folder).mkdir(parents=True)
        (engine / folder / "__init__.py").write_text("")
    (engine / "train" / "trainer.py").write_text("from gradtui.engine.inspect.trace import trace\n")
    (engine / "train" / "atomic.py").write_text("def write(): pass\n")
    (engine / "inspect" / "trace.py").write_text("from gradtui.engine.train.atomic import write\ndef trace(): pass\n")
    graph = import_graph({"gradtui.engine": engine})
    assert find_cycle(graph) is None  # no module imports itself back ...
    assert find_cycle(package_graph(graph)) == ["gradtui.engine.inspect", "gradtui.engine.train",
                                                "gradtui.engine.inspect"]  # ... but the packages do
    (engine / "inspect" / "trace.py").write_text("def trace(): pass\n")
    assert find_cycle(package_graph(import_graph({"gradtui.engine": engine}))) is None


def test_shared_widgets_import_no_screen():
    """tui/widgets is what several screens share; a widget importing a screen's package (or
    the app) would tie every other screen to it."""
    graph = import_graph()
    bad = {m: sorted(d for d in deps if d.startswith("gradtui.tui") and package_of(d) != "gradtui.tui.widgets")
           for m, deps in graph.items() if package_of(m) == "gradtui.tui.widgets"}
    assert {m: d for m, d in bad.items() if d} == {}
