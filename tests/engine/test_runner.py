"""The headless runner: which rows it emits, what they hold, and what its summaries say."""

from __future__ import annotations

import numpy as np
import pytest

from gradtui.engine import Descent, TrainConfig, Trainer, get_objective, get_scenario
from gradtui.engine.run.headless import run_headless
from gradtui.engine.train.runner import run_descent, trainer_row

SMALL = TrainConfig(hidden=(4,), n_samples=40)


def collect(run, *args, **kwargs):
    rows = []
    summary = run(*args, on_row=rows.append, **kwargs)
    return rows, summary


def test_rows_come_every_k_steps_and_at_the_last_one():
    rows, _ = collect(run_headless, Trainer(SMALL), 25, 10)
    assert [r["step"] for r in rows] == [10, 20, 25]


def test_row_steps_count_from_the_trainer_s_step_not_from_the_run():
    trainer = Trainer(SMALL)
    trainer.run(3)
    rows, summary = collect(run_headless, trainer, 25, 10)
    assert [r["step"] for r in rows] == [10, 20, 28]
    assert (summary.first_step, summary.last_step) == (4, 28)


def test_evaluation_happens_only_at_rows(monkeypatch):
    trainer = Trainer(SMALL)
    calls = []
    evaluate = trainer.evaluate
    monkeypatch.setattr(trainer, "evaluate", lambda: calls.append(1) or evaluate())
    rows, _ = collect(run_headless, trainer, 30, 7)
    assert len(calls) == len(rows) == 5


def test_a_run_with_rows_is_bit_identical_to_a_plain_run():
    watched, plain = Trainer(SMALL), Trainer(SMALL)
    run_headless(watched, 40, 1, on_row=lambda row: None)
    plain.run(40)
    assert watched.model.flat_value.tobytes() == plain.model.flat_value.tobytes()


def test_trainer_row_holds_the_step_the_evaluation_and_each_layer():
    trainer = Trainer(SMALL)
    stats = trainer.step()
    ev = trainer.evaluate()
    row = trainer_row(stats, ev)
    assert list(row) == ["step", "epoch", "loss", "test_loss", "accuracy", "grad_norm", "clipped",
                         "lr", "layers", "flags", "changes"]
    assert (row["step"], row["loss"], row["test_loss"], row["accuracy"]) == (
        1, stats.loss, ev.test_loss, ev.test_accuracy)
    assert [ls["name"] for ls in row["layers"]] == ["layers.0", "layers.1"]
    assert row["layers"][0] == {"name": "layers.0", "grad_norm": stats.layers[0].grad_norm,
                                "update_ratio": stats.layers[0].update_ratio,
                                "dead": stats.layers[0].dead, "saturated": stats.layers[0].saturated}


def test_regression_rows_have_no_accuracy_and_no_test_set_means_no_test_loss():
    regression = trainer_row(*_step_and_eval(TrainConfig(dataset="sine", n_samples=20)))
    assert "accuracy" not in regression
    no_test = trainer_row(*_step_and_eval(SMALL.replace(test_fraction=0.0)))
    assert no_test["test_loss"] is None
    assert no_test["accuracy"] is not None  # falls back to the train set


def _step_and_eval(cfg):
    trainer = Trainer(cfg)
    return trainer.step(), trainer.evaluate()


def test_flags_become_kind_and_layer():
    rows, summary = collect(run_headless, Trainer(get_scenario("exploding").config), 20, 10)
    assert {"kind": "exploding", "layer": "layers.0"} in rows[0]["flags"]
    assert rows[1]["flags"] == [{"kind": "nonfinite", "layer": "loss"}]
    assert summary.diverged and summary.nonfinite_first == 14
    assert any(line.startswith("diverged: loss or gradients became NaN/Inf at step 14")
               for line in summary.lines())


def test_healthy_summary_says_so():
    _, summary = collect(run_headless, Trainer(SMALL), 5, 5)
    assert not summary.diverged
    assert "no health flags raised" in summary.lines()


@pytest.mark.parametrize("steps, every", [(0, 1), (5, 0), (2.5, 1), (True, 1)])
def test_bad_counts_are_rejected(steps, every):
    with pytest.raises(ValueError, match="must be a whole number of at least 1"):
        run_headless(Trainer(SMALL), steps, every)


def quadratic(lr=None):
    return Descent(get_objective("quadratic"), "sgd", lr)


def test_descent_rows_start_at_the_start_point_and_are_exact():
    rows, summary = collect(run_descent, quadratic(), 20)
    assert [r["step"] for r in rows] == list(range(21))
    assert [r["x"][0] for r in rows[1:6]] == [8.0, 6.4, 5.12, 4.096, 3.2768]
    assert rows[4]["f"] == 16.777216
    assert rows[20]["x"] == [0.11529215046068471]
    assert rows[20]["f"] == 0.013292279957849162
    assert summary.outcome == "descending"
    assert summary.lines()[0].endswith("x = 0.11529215046068471, f(x) = 0.013292279957849162")


def test_lr_one_bounces_between_10_and_minus_10():
    rows, summary = collect(run_descent, quadratic(1.0), 20)
    assert [r["x"][0] for r in rows] == [10.0, -10.0] * 10 + [10.0]
    assert summary.outcome == "stalled"
    assert summary.lines()[1].startswith("no progress")


def test_lr_above_one_is_reported_as_diverging_then_diverged():
    _, summary = collect(run_descent, quadratic(1.1), 20)
    assert summary.outcome == "diverging" and "diverging" in summary.lines()[1]
    rows, summary = collect(run_descent, quadratic(1.1), 1000, 50)
    assert summary.outcome == "diverged" and summary.end.step == 64
    assert rows[-1]["step"] == 64 and abs(rows[-1]["x"][0]) > 1e6  # the stopping row is emitted
    assert summary.lines()[1].startswith("diverged at step 64")


def test_reaching_a_minimum_names_the_step():
    descent = Descent(get_objective("rosenbrock"), "adam")
    _, summary = collect(run_descent, descent, 3000, 1000)
    assert summary.outcome == "reached"
    assert summary.reached == descent.steps_to_minimum(1e-3)
    assert f"at step {summary.reached}" in summary.lines()[1]


def test_a_surface_without_minima_never_claims_distance_to_one():
    _, summary = collect(run_descent, Descent(get_objective("saddle"), "sgd"), 10)
    assert not summary.has_minima
    assert "within" not in " ".join(summary.lines())


def test_the_saddle_escaping_along_y_is_said_as_such_not_diverged():
    _, summary = collect(run_descent, Descent(get_objective("saddle"), "sgd"), 500)
    assert summary.diverged and summary.outcome == "escaped"
    tail = summary.lines()[1]
    assert tail.startswith("escaped along y: f has no minimum") and "diverged" not in tail
    assert f"stopped at step {summary.end.step}, when |y| passed 1e+06" in tail


def test_descent_rows_are_json_ready_lists():
    rows, _ = collect(run_descent, Descent(get_objective("bowl"), "adam"), 3)
    assert all(isinstance(r["x"], list) and len(r["x"]) == 2 for r in rows)
    assert np.isfinite([r["f"] for r in rows]).all()
