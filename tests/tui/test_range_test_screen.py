"""The lr range test in the app (F): it trains a copy, draws loss against lr with its marks
and the rule, enter applies the suggestion (only the lr changes, the run goes on from its
weights as they were), escape cancels (the run bit-identical)."""

from __future__ import annotations

import numpy as np

from gradtui.engine import SCENARIOS
from gradtui.tui.app import GradtuiApp
from gradtui.tui.train.range_test_screen import RangeTestScreen
from gradtui.tui.train.screen import TrainScreen
from gradtui.tui.widgets.event_log import EventLog
from gradtui.tui.widgets.help_screen import HelpScreen
from gradtui.tui.widgets.lineplot import LinePlot

from test_app_stories import SIZE, press, wait_until


def run_state(trainer) -> tuple:
    """Everything the test must leave alone, as bytes (weights, buffers, optimizer, batch order)."""
    snap = trainer.snapshot()
    arrays = [snap.weights, *snap.buffers.values(), *snap.optimizer["arrays"].values(), snap.sampler["perm"]]
    return (snap.step, snap.optimizer["t"], *(np.asarray(a).tobytes() for a in arrays))


async def open_test(app) -> RangeTestScreen:
    await press(app, "F")
    await wait_until(lambda: isinstance(app.screen, RangeTestScreen) and app.screen.test is not None)
    return app.screen


def logged(app) -> list[str]:
    screen = next(s for s in app.screen_stack if isinstance(s, TrainScreen))
    screen.show_latest()
    return [e.text for e in screen.query_one(EventLog).events]


async def test_escape_cancels_and_the_run_is_bit_identical():
    app = GradtuiApp(scenario=SCENARIOS["default"])
    async with app.run_test(size=SIZE):
        await press(app, "0")
        for _ in range(30):
            app.session.step()
        await wait_until(lambda: not app.session.busy)
        before, lr = run_state(app.session.trainer), app.session.trainer.config.lr
        screen = await open_test(app)
        test = screen.test
        assert screen.step == 30 and len(test.lrs) > 10
        chart = screen.query_one(LinePlot)._chart
        blew_up = test.blowup is not None
        assert len(chart.vlines) == 3 + blew_up  # steepest, lowest, (blow-up,) suggested
        text = str(screen.query_one("#range-summary").render())
        assert "Rule: suggested lr = a tenth of the lr where the smoothed loss is lowest" in " ".join(text.split())
        assert f"suggested lr {test.suggestion:.3g}" in text
        assert ("blow-up lr" in text) if blew_up else ("no blow-up up to lr 10" in text)
        await press(app, "escape")
        await wait_until(lambda: not app.session.busy)
        assert not isinstance(app.screen, RangeTestScreen)
        assert run_state(app.session.trainer) == before and app.session.trainer.config.lr == lr
        assert any("lr range test cancelled: the run is as it was" in t for t in logged(app))


async def test_enter_applies_only_the_lr_and_the_run_goes_on_from_its_weights():
    app = GradtuiApp(scenario=SCENARIOS["default"])
    async with app.run_test(size=SIZE):
        await press(app, "0", "space")  # running: L pauses first
        await wait_until(lambda: app.session.frame.step >= 50)
        screen = await open_test(app)
        assert not app.session.running
        step = screen.step
        before, config = run_state(app.session.trainer), app.session.trainer.config
        await press(app, "enter")
        await wait_until(lambda: not app.session.busy)
        trainer = app.session.trainer
        assert trainer.config.lr == screen.test.suggestion != config.lr
        assert trainer.config.replace(lr=config.lr, changes=config.changes) == config  # nothing else
        assert run_state(trainer)[2] == before[2] and trainer.step_count == step  # the same weights
        assert any(f"only the lr changed: the run goes on from the weights of step {step}" in t
                   for t in logged(app))


async def test_enter_waits_for_the_result_and_help_lists_the_key():
    app = GradtuiApp(scenario=SCENARIOS["default"])
    async with app.run_test(size=SIZE) as pilot:
        await press(app, "0")
        screen = RangeTestScreen(app.session)
        assert screen.check_action("apply", ()) is False and screen.check_action("cancel", ()) is True
        await press(app, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert any(row[0] == "F" and "lr range test" in row[2] for row in app.screen.rows)


def test_every_training_key_is_bound_once():
    """Two bindings on one key: the first wins and the second key is dead (L once held both
    the range test and the next loss)."""
    from collections import Counter

    from gradtui.tui.train.keys import KEYS
    counts = Counter(key for binding in KEYS for key in binding.key.split(","))
    assert [key for key, n in counts.items() if n > 1] == []
