"""The engine is headless: importing it loads NumPy and the standard library, nothing else."""

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
ENGINE_MODULES = sorted(f"gradtui.engine.{p.stem}" for p in ENGINE_DIR.glob("*.py") if p.stem != "__init__")

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


@pytest.mark.parametrize("path", sorted(ENGINE_DIR.glob("*.py")), ids=lambda p: p.name)
def test_engine_modules_import_each_other_relatively(path):
    absolute = re.findall(r"^\s*(?:from|import)\s+(gradtui\S*)", path.read_text(), re.MULTILINE)
    assert absolute == []
