"""No room everyone must enter: no class in tui/ is over 400 lines, and the training screen
and its session, the two every change to training passes through, stay under 300."""

from __future__ import annotations

import ast
import pathlib

import pytest

TUI = pathlib.Path(__file__).resolve().parents[1] / "tui"
MOST = 400
"""The most lines a class in tui/ may have."""
FEWER = {"TrainScreen": 300, "Session": 300}
"""Classes that must stay below a smaller size (by name, wherever they are in tui/)."""


def class_sizes(root: pathlib.Path) -> dict[str, int]:
    """Every class under ``root``, as "path:Name", with its length in lines (its decorators
    not counted, its docstring and every method counted)."""
    sizes = {}
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                assert node.end_lineno is not None
                sizes[f"{path.relative_to(root)}:{node.name}"] = node.end_lineno - node.lineno + 1
    return sizes


def too_big(sizes: dict[str, int]) -> dict[str, int]:
    """The classes of ``sizes`` over their limit."""
    return {name: n for name, n in sizes.items() if n >= FEWER.get(name.rpartition(":")[2], MOST + 1)}


def test_no_class_in_the_tui_is_too_big():
    sizes = class_sizes(TUI)
    assert {"train/screen.py:TrainScreen", "train/session.py:Session"} <= set(sizes)
    assert too_big(sizes) == {}


@pytest.mark.parametrize("name, lines, big", [("Widget", 400, False), ("Widget", 401, True),
                                              ("TrainScreen", 299, False), ("TrainScreen", 300, True),
                                              ("Session", 300, True)])
def test_the_size_check_fails_on_a_class_too_big(tmp_path, name, lines, big):
    body = "\n".join(f"    x{i} = {i}" for i in range(lines - 1))
    (tmp_path / "big.py").write_text(f"class {name}:\n{body}\n")
    assert class_sizes(tmp_path) == {f"big.py:{name}": lines}
    assert bool(too_big(class_sizes(tmp_path))) is big
