"""The course's scenarios followed in the app as a learner would: press exactly the keys
each hint names (N batch norm, m the next loss, U run until, b the batch size; calculus
mode's ] r and o) and see the promised outcome (measured across seeds in
tests/engine/test_lesson_scenarios.py)."""

from __future__ import annotations

import numpy as np

from gradtui.engine import get_objective
from gradtui.tui.calculus.screen import CalculusScreen
from gradtui.engine.run.outputs import Bars

from test_app_stories import SIZE, badges, evaluation, open_scenario, press, run_until, wait_until


async def test_batchnorm_dying_n_at_the_dead_badge_passes_85_percent_within_1500_steps():
    app = open_scenario("batchnorm-dying")
    async with app.run_test(size=SIZE):
        await press(app, "0")
        while not badges(app, "dead"):
            await press(app, "s")
        await press(app, "N")
        assert app.session.trainer.config.batchnorm
        at = app.session.trainer.step_count
        await run_until(app, at + 1500)
        assert evaluation(app).test_accuracy >= 0.85


async def test_batchnorm_vanishing_n_clears_the_flag_and_lifts_layers_0():
    app = open_scenario("batchnorm-vanishing")
    async with app.run_test(size=SIZE):
        await press(app, "0", "s")
        assert "layers.0" in badges(app, "vanishing")
        await press(app, "N")
        await run_until(app, 100)
        assert not badges(app, "vanishing", current=True)
        first, out = app.session.frame.layers[0], app.session.frame.layers[-1]
        assert first.grad_norm > out.grad_norm / 50
        await run_until(app, 3000)
        assert evaluation(app).test_accuracy >= 0.6


async def test_overfitting_r_u_plateau_stops_before_step_300_below_the_long_run_s_test_loss():
    app = open_scenario("overfitting")
    async with app.run_test(size=SIZE) as pilot:
        await press(app, "0")
        await run_until(app, 2000)
        long_run = evaluation(app).test_loss
        assert evaluation(app).train_loss < 0.01 and long_run > 0.2
        await press(app, "r", "U")
        await pilot.pause()
        for key in "plateau:100":
            await pilot.press(key)
        await pilot.press("enter")
        await wait_until(lambda: not app.session.running and not app.session.busy
                         and app.session.trainer.step_count > 0)
        app.screen.show_latest()
        assert 100 < app.session.trainer.step_count < 300
        assert evaluation(app).test_loss < long_run


async def test_batch_size_r_then_b_twice_trains_at_32_and_passes_75_percent_within_1000_steps():
    app = open_scenario("batch-size")
    async with app.run_test(size=SIZE):
        await press(app, "0")
        await run_until(app, 1000)
        ones = evaluation(app).test_accuracy
        await press(app, "r", "b", "b")
        assert app.session.trainer.config.batch_size == 32 and app.session.trainer.step_count == 0
        await run_until(app, 1000)
        assert evaluation(app).test_accuracy >= 0.75 > ones


async def test_outlier_l_to_mae_puts_the_line_within_3_percent():
    app = open_scenario("outlier")
    async with app.run_test(size=SIZE):
        await press(app, "0", "m")
        assert app.session.trainer.config.loss == "mae"
        await run_until(app, 1000)
        m, b = app.session.frame.output.line
        assert abs(m - 2) <= 0.06 and abs(b - 1) <= 0.03


async def test_hinge_l_reaches_exactly_zero_loss_within_1000_steps():
    app = open_scenario("hinge")
    async with app.run_test(size=SIZE):
        await press(app, "0", "m")
        assert app.session.trainer.config.loss == "hinge"
        await run_until(app, 1000)
        assert app.session.frame.batch_loss == 0 and evaluation(app).train_loss == 0


async def test_digits_passes_90_percent_within_300_steps_and_shows_the_confusion_matrix():
    app = open_scenario("digits")
    async with app.run_test(size=SIZE):
        await press(app, "0")
        await run_until(app, 300)
        assert evaluation(app).test_accuracy >= 0.9
        bars = app.session.frame.output
        assert isinstance(bars, Bars) and bars.confusion.shape == (10, 10)
        assert bars.confusion.sum() == 898 and np.trace(bars.confusion) == round(898 * evaluation(app).test_accuracy)
        assert all(m.label != m.predicted and m.image.shape == (8, 8) for m in bars.misread)


async def test_double_well_hint_keys_in_calculus_mode():
    app = open_scenario("double-well")
    surface = get_objective("double-well")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CalculusScreen)

        def x() -> float:
            return float(screen.session.focus.descent.trajectory[-1].x[0])

        screen.advance(300)
        assert abs(x() - surface.shallow) < 1e-3  # sgd at lr 0.01 stays in the shallow well
        await pilot.press("right_square_bracket", "right_square_bracket", "r")
        assert screen.session.lr == 0.11  # the ladder's rung at half the lr limit
        screen.advance(300)
        assert surface.reached([x()])
        await pilot.press("o")
        assert screen.session.optimizer == "momentum" and screen.session.lr == 0.01
        screen.advance(300)
        assert surface.reached([x()])
