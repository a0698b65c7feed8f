"""The training screen's sharpness pane (h): λmax of the Hessian over the steps against the
stability line 2/lr, measured in the background; the crossing flagged in the pane's title
and the event log; measured only while the pane shows; truncated by rewind and reset."""

from __future__ import annotations

import time

import numpy as np
import pytest

from gradtui.engine import SCENARIOS, TrainConfig, Trainer
from gradtui.tui.app import GradtuiApp
from gradtui.tui.train.help import SHARPNESS_NOTES
from gradtui.tui.train.plots import GradPlot, SharpnessPlot
from gradtui.tui.train.session import Session, View
from gradtui.engine.run.sharpness import CROSSED, SharpnessRecord, stability_line
from gradtui.tui.widgets.event_log import EventLog
from gradtui.tui.widgets.help_screen import HelpScreen

from test_app_stories import SIZE, press, run_until, wait_until

SINE = SCENARIOS["lr-too-high"].config  # full-batch SGD at lr 0.3: λmax is past 2/lr from the start


def test_a_measurement_is_the_trainers_sharpness_and_the_line_is_2_over_lr():
    trainer = Trainer(SINE.replace(lr=0.01))
    trainer.run(20)
    record = SharpnessRecord()
    assert record.measure(trainer) == []  # λmax about 20, far below 2/0.01 = 200
    step, value, line = record.latest
    assert step == 20 and line == 2 / 0.01
    assert value == pytest.approx(trainer.sharpness(), rel=1e-3)
    assert record.vector is not None and record.vector.size == trainer.model.flat_value.size
    assert record.noise_scale == trainer.gradient_noise_scale().value  # beside λmax, the same moment
    assert stability_line(Trainer(SINE.replace(optimizer="momentum", lr=0.1))) == pytest.approx(38.0)
    assert stability_line(Trainer(SINE.replace(optimizer="adam"))) is None


def test_crossing_the_line_raises_an_event_and_falling_well_below_clears_it():
    trainer = Trainer(SINE.replace(lr=0.01))
    record = SharpnessRecord()
    lam = trainer.sharpness()
    trainer.update(lr=2.2 / lam)  # just above the line: 2/lr = 0.91 λmax
    (raised,) = record.measure(trainer)
    assert raised.kind == "raised" and CROSSED in raised.text and record.above
    assert record.measure(trainer) == []  # still above: said once
    trainer.update(lr=1.9 / lam)  # below the line, but not by 10%: no flicker
    assert record.measure(trainer) == [] and record.above
    trainer.update(lr=1.0 / lam)
    (cleared,) = record.measure(trainer)
    assert cleared.kind == "cleared" and not record.above


def settle(session: Session) -> None:
    while session.busy:  # a costly refresh finishes in a background thread
        time.sleep(0.01)


def test_the_session_measures_only_while_the_pane_asks_and_rewind_forgets_the_future():
    session = Session(Trainer(SINE))
    for _ in range(5):
        session.step()
    assert session.frame.sharpness is None and not len(session.timeline.sharpness.history.view())
    session.set_view(View(sharpness=True))
    for _ in range(150):
        session.step()
    frame = session.frame
    assert frame.sharpness is not None and len(frame.sharpness) > 1
    assert frame.stability_line == pytest.approx(2 / 0.3) and frame.above_line
    lam, line = frame.sharpness.last[:, 0], frame.sharpness.last[:, 1]
    assert lam[0] > line[0] and lam[-1] > line[-1] == pytest.approx(2 / 0.3)
    session.rewind()
    settle(session)
    assert session.timeline.sharpness.history.view().steps.max() <= session.trainer.step_count
    session.reset()
    settle(session)
    assert session.trainer.step_count == 0 and session.frame.sharpness.steps.tolist() == [0]


async def test_h_opens_the_pane_the_run_crosses_the_line_and_the_log_says_so():
    app = GradtuiApp(scenario=SCENARIOS["lr-too-high"])
    async with app.run_test(size=SIZE) as pilot:
        await press(app, "0", "h")
        screen = app.screen
        assert screen.sharpness_shown and app.session.view.sharpness
        assert screen.query_one(SharpnessPlot).display and not screen.query_one(GradPlot).display
        assert screen.query_one(SharpnessPlot).tooltip == SHARPNESS_NOTES
        await run_until(app, 10**6)  # to the NaN pause; the worker measures as it trains
        frame = app.session.frame
        assert frame.sharpness is not None and len(frame.sharpness) >= 1 and frame.above_line
        assert "ABOVE 2/lr" in str(screen.query_one(SharpnessPlot).border_title)
        assert frame.noise_scale is None  # paused at NaN (step 239): no noise scale of an inf loss
        logged = [e.text for e in screen.query_one(EventLog).events]
        assert any(CROSSED in text for text in logged)
        await press(app, "h")
        assert not screen.sharpness_shown and not app.session.view.sharpness
        assert screen.query_one(GradPlot).display and not screen.query_one(SharpnessPlot).display


async def test_for_adam_the_pane_says_the_line_does_not_apply():
    app = GradtuiApp(scenario=SCENARIOS["default"])
    async with app.run_test(size=SIZE) as pilot:
        await press(app, "0", "h", "s", "s")
        await wait_until(lambda: app.session.frame.sharpness is not None and len(app.session.frame.sharpness))
        app.screen.show_latest()
        assert app.session.frame.stability_line is None and not app.session.frame.above_line
        plot = app.screen.query_one(SharpnessPlot)
        assert "no 2/lr line for adam" in str(plot.border_title)
        noise = app.session.frame.noise_scale
        assert noise is not None and noise > 0 and f"noise scale {noise:.3g} · batch 32" in str(plot.border_subtitle)


async def test_help_lists_the_key_and_explains_the_pane():
    app = GradtuiApp(scenario=SCENARIOS["default"])
    async with app.run_test(size=SIZE) as pilot:
        await press(app, "0", "question_mark")
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        assert any(row[0] == "h" and "2/lr" in row[2] for row in help_screen.rows)
        assert "Sharpness pane" in help_screen.notes and "does not apply as such" in help_screen.notes


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_pane_fits(size):
    app = GradtuiApp(scenario=SCENARIOS["lr-too-high"])
    async with app.run_test(size=size) as pilot:
        await press(app, "0", "h", "s")
        await pilot.pause()
        plot = app.screen.query_one(SharpnessPlot)
        loss = app.screen.query_one("#loss")
        assert plot.size.height >= 4 and plot.size.width >= 20
        assert plot.region.y >= loss.region.y and abs(plot.size.height - loss.size.height) <= 1
        assert plot.size.width == loss.size.width  # the gradient plot's place, whole
