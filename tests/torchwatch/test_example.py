"""examples/torch_digits.py goes wrong the way its docstring says, and gradtui's record shows it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch", reason="the PyTorch watcher's tests need torch (pip install 'gradtui[torch]')")
pytest.importorskip("sklearn", reason="the digits example needs scikit-learn (pip install 'gradtui[digits]')")

EXAMPLE = Path(__file__).parents[2] / "examples" / "torch_digits.py"


def test_the_digits_example_kills_its_relu_units_and_the_dead_flag_says_so(tmp_path):
    log = tmp_path / "digits.jsonl"
    subprocess.run([sys.executable, str(EXAMPLE), "--steps", "60", "--delay", "0", "--log", str(log),
                    "--name", "example"], check=True, capture_output=True, timeout=120)
    rows = [json.loads(line) for line in log.read_text().splitlines()[1:] if "loss" in json.loads(line)]
    dead = [r for r in rows if any(f["kind"] == "dead" for f in r["flags"])]
    assert dead, "the example at lr 1 should kill most ReLU units within 60 steps"
    assert max(layer["dead"] for layer in dead[-1]["layers"]) > 64  # most of a 128-unit layer
