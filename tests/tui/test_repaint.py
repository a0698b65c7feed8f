"""Training costs the UI thread as little drawing as possible: no new layout of the screen
while it trains, and a pane repaints only the rows whose content changed (every row
Textual repaints is time the training thread waits for the GIL)."""

from __future__ import annotations

import asyncio
import time

from textual.screen import Screen

from gradtui.tui.app import GradtuiApp
from gradtui.tui.train.health_view import LayerHealth
from gradtui.tui.train.plots import GradPlot, LossPlot
from gradtui.tui.train.status import StatusLine

SIZE = (120, 40)


async def until(condition, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        await asyncio.sleep(0.005)


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
        await until(lambda: session.frame.step > 0 and screen.refreshes > 2)
        layouts.clear()
        drawn = screen.refreshes
        await until(lambda: screen.refreshes >= drawn + 12)
        laid_out = len(layouts)
        await pilot.press("space")
        await until(lambda: not session.busy)
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
        await until(lambda: session.frame.step == 30 and screen._shown[0] == session.frame.serial)
        await pilot.pause()
        rendered = {pane: count_rendered_rows(pane) for pane in (status, health, loss, grads)}
        frame = session.frame
        health.show(frame)  # the same frame again: nothing to repaint
        loss.show(frame)
        grads.show(frame)
        await pilot.pause()
        assert all(rows == [] for rows in rendered.values())
        session.step()  # one step: the status line says step 31 on its only row
        await until(lambda: session.frame.step == 31 and screen._shown[0] == session.frame.serial)
        await pilot.pause()
        assert rendered[status] == [0]
        # the health header says the same; each layer row has new numbers
        assert 0 not in rendered[health] and 1 <= len(rendered[health]) <= len(frame.layers)
        assert all(len(set(rendered[plot])) < plot.size.height for plot in (loss, grads))
