"""``gradtui lr-find``: the range test's table or JSON and a suggestion with its rule; bad input
is one line and exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from gradtui.tui.cli.main import main


def test_table_marks_the_points_and_states_the_suggestion_and_its_rule(capsys):
    assert main(["lr-find", "--scenario", "lr-too-low"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("lr-too-low: sine (regression)")
    for mark in ("<- steepest descent", "<- lowest", "<- blow-up", "steepest descent: lr ",
                 "blow-up: lr ", "suggested lr: 0.0534", "rule: suggested lr = a tenth of the lr"):
        assert mark in out


def test_json_holds_the_curve_and_the_points(capsys):
    assert main(["lr-find", "--hidden", "8", "--steps", "30", "--start", "1e-4", "--end", "100", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["lrs"]) == len(data["losses"]) == len(data["smoothed"]) <= 30
    assert data["lrs"][0] == pytest.approx(1e-4)
    assert data["suggested_lr"] == pytest.approx(data["minimum"]["lr"] / 10)
    assert data["rule"].startswith("suggested lr = ")


def test_the_settings_flags_are_the_runs(capsys):
    assert main(["lr-find", "--dataset", "moons", "--optimizer", "sgd", "--lr", "0.1", "--steps", "10"]) == 0
    assert "sgd lr 0.1" in capsys.readouterr().out.splitlines()[0]


@pytest.mark.parametrize("argv, fragment", [
    (["--steps", "1"], "--steps must be from 2 to 10,000, got 1"),
    (["--steps", "20000"], "--steps must be from 2 to 10,000"),
    (["--steps", "ten"], "expected a whole number of at least 1"),
    (["--start", "0"], "expected a learning rate above 0, got '0'"),
    (["--end", "inf"], "expected a learning rate above 0, got 'inf'"),
    (["--start", "nan"], "expected a learning rate above 0"),
    (["--start", "1", "--end", "0.1"], "--end must be above --start"),
    (["--scenario", "quadratic"], "is a calculus scenario"),
    (["--scenario", "nope"], "unknown scenario 'nope'"),
    (["--activation", "swish"], "swish"),
    (["--load", "missing.npz"], "missing.npz"),
])
def test_bad_input_is_one_line_and_exit_2(argv, fragment, capsys):
    assert main(["lr-find", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("gradtui: error: ") and "Traceback" not in err
    assert fragment in err


def test_in_a_real_process(one_error_line):
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    ok = subprocess.run([sys.executable, "-m", "gradtui", "lr-find", "--steps", "5", "--json"],
                        capture_output=True, text=True, env=env)
    assert ok.returncode == 0 and json.loads(ok.stdout)["rule"]
    bad = subprocess.run([sys.executable, "-m", "gradtui", "lr-find", "--end", "-1"],
                         capture_output=True, text=True, env=env)
    one_error_line(bad, 2, "--end")


def test_a_checkpoint_is_tested_from_where_it_was_saved_and_left_as_it_was(tmp_path, capsys):
    from gradtui.engine import TrainConfig, Trainer
    trainer = Trainer(TrainConfig(hidden=(8,), optimizer="momentum", lr=0.05))
    fresh = trainer.evaluate().train_loss
    trainer.run(40)
    trained = trainer.evaluate().train_loss
    assert trained < fresh - 0.1
    path = tmp_path / "run.npz"
    trainer.save(str(path))
    before = path.read_bytes()
    assert main(["lr-find", "--load", str(path), "--steps", "20", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    # it starts from the trained weights (the first lr, 1e-6, barely moves them), not a fresh init
    assert abs(data["losses"][0] - trained) < 0.01
    assert path.read_bytes() == before
