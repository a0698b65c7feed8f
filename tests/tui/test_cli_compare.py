"""``gradtui compare`` end to end: real processes for the acceptance run and every listed
mistake (one line on stderr, exit code 2), in-process calls for value parsing."""

from __future__ import annotations

import csv
import json
import math
import os
import subprocess
import sys

import pytest

from gradtui.engine import Trainer, get_scenario
from gradtui.tui.cli.settings import UsageError, parse_change

ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}


def gradtui(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gradtui", *args], capture_output=True, text=True,
                          env=ENV, timeout=120)


def usage_error(result) -> str:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("gradtui: error: "), result.stderr
    return lines[0]


def test_exploding_without_and_with_clipping(tmp_path):
    out = tmp_path / "twin.jsonl"
    result = gradtui("compare", "--scenario", "exploding", "--change", "clip_mode=norm", "--steps", "300",
                     "--out", str(out))
    assert result.returncode == 0 and result.stderr == ""
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["run"] for r in rows] == ["A", "B"] * 300
    a = [r for r in rows if r["run"] == "A"]
    b = [r for r in rows if r["run"] == "B"]
    assert [r["step"] for r in a] == [r["step"] for r in b] == list(range(1, 301))
    assert any(r["loss"] is None for r in a[:20])  # NaN is written as null
    assert all(math.isfinite(r["loss"]) and math.isfinite(r["grad_norm"]) and r["test_loss"] is not None
               for r in b)
    # same initial weights and first batch: step 1 measures the same loss and gradient
    assert (a[0]["loss"], a[0]["grad_norm"]) == (b[0]["loss"], b[0]["grad_norm"])
    assert a[1]["loss"] != b[1]["loss"]
    first_nan = next(r["step"] for r in a if r["loss"] is None)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("A = exploding: spiral (2 classes), 2-32-32-32-32-32-2 leaky_relu, sgd lr 0.1")
    assert lines[1] == "B = A with clip_mode=norm"
    assert "A and B started from the same weights, probe set and batch order" in lines
    assert lines[-1] == f"verdict: B never went non-finite; A hit NaN at step {first_nan}"


def test_csv_rows_carry_a_run_column_and_the_union_of_both_runs_layers(tmp_path):
    out = tmp_path / "twin.csv"
    result = gradtui("compare", "--hidden", "8,8", "--change", "hidden=8", "--steps", "20", "--every", "10",
                     "--out", str(out))
    assert result.returncode == 0, result.stderr
    with out.open() as f:
        rows = list(csv.DictReader(f))
    assert [(r["run"], r["step"]) for r in rows] == [("A", "10"), ("B", "10"), ("A", "20"), ("B", "20")]
    assert list(rows[0])[:2] == ["run", "step"]
    assert rows[0]["layers.2.grad_norm"] != "" and rows[1]["layers.2.grad_norm"] == ""
    assert "not shared: B's layers.1.W, layers.1.b start from a draw of its own" in result.stdout


def test_a_loaded_run_is_forked(tmp_path):
    path = tmp_path / "run.npz"
    assert gradtui("run", "--steps", "30", "--save", str(path)).returncode == 0
    result = gradtui("compare", "--load", str(path), "--change", "lr=0.05", "--steps", "10")
    assert result.returncode == 0, result.stderr
    assert "steps             31-40" in result.stdout and "lr 0.01" in result.stdout
    line = usage_error(gradtui("compare", "--load", str(path), "--change", "seed=4", "--steps", "10"))
    assert "cannot change 'seed' mid-run" in line


@pytest.mark.parametrize("argv, fragment", [
    (["--change", "learning_rate=0.1"], "--change learning_rate=0.1: unknown setting 'learning_rate'; valid keys:"),
    (["--change", "lr=abc"], "--change lr=abc: lr must be a number, got 'abc'"),
    (["--change", "lr=-1"], "lr must be greater than zero, got -1.0"),
    (["--change", "clip_mode=sideways"], "unknown clip mode 'sideways'; valid: none, norm, value"),
    (["--change", "hidden=16,x"], "hidden must be a list of whole numbers"),
    (["--change", "lr"], "expected KEY=VALUE"),
    ([], "compare needs at least one --change KEY=VALUE"),
    (["--change", "lr=0.1", "--change", "lr=0.2"], "--change lr is given twice"),
    (["--change", "lr=0.1", "--out", "rows.txt"], "unknown format .txt"),
    (["--change", "lr=0.1", "--scenario", "quadratic"], "compare trains networks"),
    (["--change", "lr=0.1", "--steps", "0"], "--steps: expected a whole number of at least 1"),
])
def test_mistakes_are_one_line_and_exit_2(argv, fragment):
    assert fragment in usage_error(gradtui("compare", *argv))


@pytest.mark.parametrize("text, expected", [
    ("clip_mode=norm", ("clip_mode", "norm")), ("clip-mode=off", ("clip_mode", None)),
    ("hidden=16,8", ("hidden", (16, 8))), ("hidden=", ("hidden", ())), ("batch_size=full", ("batch_size", None)),
    ("batch_size=64", ("batch_size", 64)), ("lr=1e-3", ("lr", 0.001)), ("batchnorm=true", ("batchnorm", True)),
    ("seed=3", ("seed", 3)), ("bias_init=none", ("bias_init", None)), ("bias_init=0.5", ("bias_init", 0.5)),
])
def test_change_values_are_read_by_the_setting_s_type(text, expected):
    assert parse_change(text) == expected


def test_a_value_of_the_wrong_type_names_the_type():
    with pytest.raises(UsageError, match="batchnorm must be true or false, got 'maybe'"):
        parse_change("batchnorm=maybe")
    with pytest.raises(UsageError, match="seed must be a whole number, got '1.5'"):
        parse_change("seed=1.5")


def test_the_table_pairs_a_and_b_and_ends_with_the_comparison():
    result = gradtui("compare", "--scenario", "lr-too-high", "--change", "lr=0.03", "--steps", "40")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[2].split() == ["step", "loss", "A", "loss", "B", "acc", "A", "acc", "B", "grad_norm", "A",
                                "grad_norm", "B", "flags", "A", "flags", "B"]
    steps = [int(line.split()[0]) for line in lines[3:] if line.split() and line.split()[0].isdigit()]
    assert steps == list(range(2, 41, 2))
    trainer = Trainer(get_scenario("lr-too-high").config)
    first_a = trainer.run(2)[-1].loss
    assert lines[3].split()[1] == f"{first_a:.4g}"
    assert lines[-1].startswith("verdict: ")
