"""gradtui run --plot: the finished run's curves in the terminal (plotext), plain text in a pipe."""

import os
import subprocess
import sys

import numpy as np

from gradtui.engine import TrainConfig, Trainer
from gradtui.engine.run.headless import run_headless
from gradtui.tui.cli.run_plot import CURVES, RunCurves

ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "COLUMNS": "100", "LINES": "40"}


def gradtui(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gradtui", *args], capture_output=True, text=True,
                          env=ENV, timeout=120)


def test_run_plot_draws_both_curves_after_the_summary_as_plain_text_in_a_pipe():
    result = gradtui("run", "--steps", "300", "--plot")
    assert result.returncode == 0, result.stderr
    summary_at = result.stdout.index("steps 1-300:")
    for _, title, _ in CURVES:
        assert result.stdout.index(title) > summary_at
    assert "\x1b[" not in result.stdout
    assert any(ch in result.stdout for ch in "▀▄▌▐▖▗▘▝▚▞▙▛▜▟█")


def test_run_plot_refuses_a_calculus_run_in_one_line():
    result = gradtui("run", "--scenario", "quadratic", "--plot")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "--plot" in result.stderr and "Traceback" not in result.stderr


def test_the_curves_keep_every_steps_extremes_in_bounded_memory():
    curves = RunCurves()
    trainer = Trainer(TrainConfig(hidden=(8,)))
    run_headless(trainer, 3000, every=3000, on_step=curves.add)
    view = curves.history.view()
    assert view.steps[-1] == 3000 and len(view) <= curves.history.capacity
    losses = [s.loss for s in Trainer(TrainConfig(hidden=(8,))).run(3000)]
    assert np.nanmax(view.hi[:, 0]) == max(losses) and np.nanmin(view.lo[:, 0]) == min(losses)
    text = curves.render(80, 30, colour=False)
    assert all(title in text for _, title, _ in CURVES)
