"""Training costs the UI thread as little drawing as possible: no new layout of the screen
while it trains, and a pane repaints only the rows whose content changed (every row
Textual repaints is time the training thread waits for the GIL)."""

from __future__ import annotations

import dataclasses
import time

from textual.screen import Screen

from test_app_stories import wait_until

from gradtui.engine import Flag
from gradtui.tui.app import GradtuiApp
from gradtui.tui.train.health_view import LayerHealth
from gradtui.tui.train.pacing import HEALTH_EVERY
from gradtui.tui.train.session import Session
from gradtui.tui.train.plots import GradPlot, LossPlot
from gradtui.tui.train.status import StatusLine
from gradtui.tui.widgets.event_log import EventLog

SIZE = (120, 40)



async def test_while_training_the_screen_is_never_laid_out_again(monkeypatch):
    layouts = []
    relayout = Screen._refresh_layout

    def counted(screen, *args, **kwargs):
        layouts.append(screen)
        return relayout(screen, *args, **kwargs)

    monkeypatch.setattr(Screen, "_refresh_layout", counted)
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("0")  # the scenario's question answered: nothing left to lay out
        screen, session = app.screen, app.session
        await pilot.press("space")
        await wait_until(lambda: session.frame.step > 0 and screen.refreshes > 2)
        logged = []  # a new line in the event log is laid out: rare, and not what this counts
        monkeypatch.setattr(EventLog, "write", lambda log, line: logged.append(line) or log)
        for _ in range(50):  # the start's one-off layouts (the footer's new keys) are done: 3 frames without
            layouts.clear()
            drawn = screen.refreshes
            await wait_until(lambda: screen.refreshes >= drawn + 3)
            if not layouts:
                break
        layouts.clear()
        drawn = screen.refreshes
        await wait_until(lambda: screen.refreshes >= drawn + 12)
        laid_out = len(layouts)
        await pilot.press("space")
        await wait_until(lambda: not session.busy)
    assert laid_out == 0  # was one per frame while the prediction row called Static.update


def count_rendered_rows(pane) -> list[int]:
    """The rows of ``pane`` that Textual renders from now on (it asks only for dirty ones)."""
    rows, render_line = [], pane.render_line

    def counted(y: int):
        rows.append(y)
        return render_line(y)

    pane.render_line = counted
    return rows


async def test_a_new_frame_repaints_only_the_rows_that_changed():
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("0")
        screen, session = app.screen, app.session
        status, health = screen.query_one(StatusLine), screen.query_one(LayerHealth)
        loss, grads = screen.query_one(LossPlot), screen.query_one(GradPlot)
        for _ in range(30):
            session.step()
        await wait_until(lambda: session.frame.step == 30 and screen.painter.shown[0] == session.frame.serial)
        await pilot.pause()
        rendered = {pane: count_rendered_rows(pane) for pane in (status, health, loss, grads)}
        frame = session.frame
        health.show(frame)  # the same frame again: nothing to repaint
        loss.show(frame)
        grads.show(frame)
        await pilot.pause()
        assert all(rows == [] for rows in rendered.values())
        session.step()  # one step: the status line says step 31 on its only row
        await wait_until(lambda: session.frame.step == 31 and screen.painter.shown[0] == session.frame.serial)
        await pilot.pause()
        assert rendered[status] == [0]
        # the health header says the same; each layer row has new numbers
        assert 0 not in rendered[health] and 1 <= len(rendered[health]) <= len(frame.layers)
        assert all(len(set(rendered[plot])) < plot.size.height for plot in (loss, grads))


async def test_a_new_plot_title_repaints_the_border_rows_only():
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("0")
        loss = app.screen.query_one(LossPlot)
        await pilot.pause()
        rendered = count_rendered_rows(loss)
        loss.set_labels("loss (a new title)", "a new legend")
        await pilot.pause()
        assert rendered == []  # no content row
        picture = app.export_screenshot()
        assert "a&#160;new&#160;title" in picture and "a&#160;new&#160;legend" in picture


class StoppedClock:
    """The screen's clock, stopped: the health pane's next redraw never comes due. It is
    set ahead of every real time the screen has read (a real draw while a step ran may
    have scheduled the next one for then)."""

    now = 0.0

    @staticmethod
    def perf_counter() -> float:
        return StoppedClock.now


async def test_while_training_the_health_pane_redraws_a_few_times_a_second_and_badges_at_once(monkeypatch):
    import gradtui.tui.train.pacing as pacing
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("0")
        screen, session = app.screen, app.session
        health = screen.query_one(LayerHealth)
        frames = []
        for _ in range(4):
            session.step()
            await wait_until(lambda: session.frame.step > len(frames) and not session.busy)
            frames.append(session.frame)
        assert not any(layer.badges for frame in frames for layer in frame.layers)
        flagged = dataclasses.replace(frames[3], serial=frames[3].serial + 1, layers=[
            dataclasses.replace(frames[3].layers[0], badges=(Flag("vanishing", "layers.0", ""),), held=(None,)),
            *frames[3].layers[1:]])
        StoppedClock.now = time.perf_counter() + 10
        monkeypatch.setattr(pacing, "time", StoppedClock)
        monkeypatch.setattr(Session, "running", property(lambda session: True))  # as if training

        def draw(frame):
            session.frame = frame
            screen.show_latest()
        draw(frames[0])  # the first frame on the stopped clock: due
        draw(frames[1])  # not due: the pane keeps frame 0, the status moves on
        assert health._frame is frames[0] and "step 2 " in screen.query_one(StatusLine).text
        draw(flagged)  # a raised badge is drawn at once
        assert health._frame is flagged
        draw(frames[2])  # and so is its clearing
        assert health._frame is frames[2]
        StoppedClock.now += HEALTH_EVERY
        draw(frames[3])  # due again
        assert health._frame is frames[3]


async def test_while_training_the_plot_axes_stay_put_and_paused_they_end_at_the_step():
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("0")
        session = app.session
        loss, grads = app.screen.query_one(LossPlot), app.screen.query_one(GradPlot)
        frames = []
        for _ in range(3):
            for _ in range(100):
                session.step()
            await wait_until(lambda: session.frame.step == 100 * (len(frames) + 1) and not session.busy)
            frames.append(session.frame)
        for plot in (loss, grads):
            plot.show(dataclasses.replace(frames[1], running=True))
            window = plot._chart.xlim, plot._chart.ylim
            assert 200 < window[0][1] <= 200 * 1.13  # a little room past the newest step
            steps = frames[1].steps  # five steps later, every value 2% nearer the middle
            middle = (steps.lo + steps.hi) / 2
            nearer = dataclasses.replace(steps, lo=middle + (steps.lo - middle) * 0.98,
                                         hi=middle + (steps.hi - middle) * 0.98)
            plot.show(dataclasses.replace(frames[1], running=True, step=frames[1].step + 5, steps=nearer))
            assert (plot._chart.xlim, plot._chart.ylim) == window  # the data still fit: it stays
            plot.show(dataclasses.replace(frames[2], running=True))
            assert plot._chart.xlim[1] > 300
            plot.show(frames[2])
            assert plot._chart.xlim == (0.0, 300.0)
