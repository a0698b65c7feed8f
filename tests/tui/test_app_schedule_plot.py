"""The lr schedule on the loss plot: its values in the frame, its line and legend on the plot."""

from __future__ import annotations

import asyncio
import math

import numpy as np

from gradtui.engine import TrainConfig, Trainer
from gradtui.tui.app import GradtuiApp
from gradtui.engine.run.frame import lr_curve
from gradtui.tui.train.plots import LR, LossPlot


def test_a_constant_lr_has_no_curve():
    assert lr_curve(Trainer(TrainConfig()), 100) is None


def test_the_curve_runs_from_where_the_schedule_was_chosen_to_past_now():
    trainer = Trainer(TrainConfig(dataset="circle", lr=0.1))
    trainer.run(80)
    trainer.update(schedule="cosine:40:0.01")
    trainer.run(20)
    steps, lrs = lr_curve(trainer, 1000)
    assert steps[0] == 81 and steps[-1] == 100 + 25  # a quarter of the run past step 100
    t = np.minimum(steps - 81, 40) / 40  # hand-computed cosine from 0.1 down to 0.01
    np.testing.assert_allclose(lrs, 0.01 + 0.09 * (1 + np.cos(math.pi * t)) / 2, rtol=1e-12)
    steps, _ = lr_curve(trainer, 10)
    assert len(steps) <= 12  # at most about ``points`` samples


async def test_the_loss_plot_draws_the_schedule_and_names_its_peak():
    app = GradtuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(8):
            app.session.step()
        app.session.change({"schedule": "step:0.5:4", "warmup": 4})
        for _ in range(4):
            app.session.step()
        for _ in range(200):
            await asyncio.sleep(0.01)
            if not app.session.busy and app.session.frame.step == 12:
                break
        app.screen.painter.pacing.next_plot = 0.0
        app.screen.show_latest()
        plot = app.screen.query_one("#loss", LossPlot)
        [series] = [s for s in plot._series if s.colour == LR]
        assert series.x[0] == 9 and series.x[-1] == 32  # chosen at step 8; 12 + 20 steps ahead
        assert f"lr (peak {app.session.trainer.config.lr:.3g})" in plot.border_subtitle
        lo, hi = plot._yrange
        assert lo - 1e-12 <= series.y.min() and series.y.max() <= hi + 1e-12
