"""The live plots: they show the newest frame, redraw with every frame while drawing is
cheap, and keep the explode threshold readable when gradients blow up."""

from __future__ import annotations

import asyncio
import dataclasses
import math

from rich.text import Text

from gradtui.engine import SCENARIOS
from gradtui.tui.app import GradtuiApp
from gradtui.tui.train.plots import DECADES_ABOVE_EXPLODE, SHORT_LABELS_ABOVE, GradPlot, LossPlot
from gradtui.tui.widgets import lineplot

SIZE = (120, 40)


def plot_text(plot) -> str:
    return "\n".join("".join(segment.text for segment in plot.render_line(y)) for y in range(plot.size.height))


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.pause()


async def steps(app, pilot, n: int) -> None:
    """``n`` steps by hand, then let the screen show them."""
    for _ in range(n):
        app.session.step()
    await settle(pilot)


async def test_the_plots_end_at_the_step_on_show():
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await steps(app, pilot, 137)
        loss, grads = app.screen.query_one(LossPlot), app.screen.query_one(GradPlot)
        assert app.session.frame.step == 137
        assert loss._chart.xlim == (0.0, 137.0) and grads._chart.xlim == (0.0, 137.0)
        assert loss.redraws >= 1 and grads.redraws >= 1


async def test_while_training_every_frame_is_plotted_unless_drawing_would_cost_too_much(monkeypatch):
    cost, cpu = [0.001], [0.0]  # CPU seconds one chart takes to draw; the UI thread's CPU clock
    draw = lineplot.draw_chart

    def timed_draw(chart, width, height):
        cpu[0] += cost[0]
        return draw(chart, width, height)

    monkeypatch.setattr(lineplot, "thread_time", lambda: cpu[0])
    monkeypatch.setattr(lineplot, "draw_chart", timed_draw)
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await steps(app, pilot, 20)
        screen = app.screen
        loss = screen.query_one(LossPlot)
        running = dataclasses.replace(app.session.frame, running=True)
        screen.painter.pacing.next_plot = 0.0
        screen.painter.show_plots(running)  # 2 ms for both: 10 ms apart at most
        first = loss._chart
        screen.painter.pacing.next_plot -= 1.0  # the next frame comes after the drawing's share has passed
        screen.painter.show_plots(dataclasses.replace(running, step=running.step + 1))
        assert loss._chart is not first
        cost[0] = 0.5  # one slow drawing (a page fault, another process): the next frame still plots
        screen.painter.pacing.next_plot = 0.0
        screen.painter.show_plots(running)
        slow = loss._chart
        screen.painter.pacing.next_plot -= 1.0  # a frame later, not the 5 s that drawing alone would ask
        screen.painter.show_plots(dataclasses.replace(running, step=running.step + 2))
        assert loss._chart is not slow
        for _ in range(3):  # a second of drawing every time: 5 s apart
            screen.painter.pacing.next_plot = 0.0
            screen.painter.show_plots(running)
        second = loss._chart
        screen.painter.show_plots(dataclasses.replace(running, step=running.step + 3))
        assert loss._chart is second
        screen.painter.show_plots(dataclasses.replace(running, running=False))  # paused: always drawn
        assert loss._chart is not second


async def test_an_exploding_run_keeps_the_threshold_crossing_on_the_gradient_axis():
    app = GradtuiApp(scenario=SCENARIOS["exploding"])
    async with app.run_test(size=SIZE) as pilot:
        while app.session.frame.halted is None and app.session.trainer.step_count < 200:
            app.session.step()
            await pilot.pause()
        await settle(pilot)
        grads = app.screen.query_one(GradPlot)
        explode = math.log10(app.session.trainer.config.explode_norm)
        peak = max(float(v) for v in app.session.frame.steps.hi[:, 2:].ravel() if math.isfinite(v))
        assert peak > 10 ** (explode + DECADES_ABOVE_EXPLODE)  # the gradients went far past the band
        chart = grads._chart
        low, high = chart.ylim
        assert high < explode + DECADES_ABOVE_EXPLODE + 1 and low < explode < high
        assert (explode, "#e63c3c") in chart.hlines
        text = plot_text(grads)
        assert f"≥1e{int(explode) + DECADES_ABOVE_EXPLODE}" in text and "1000┤" in text


async def test_a_healthy_run_has_no_clamped_edge():
    app = GradtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await steps(app, pilot, 50)
        assert "≥" not in plot_text(app.screen.query_one(GradPlot))


async def test_a_deep_networks_gradient_legend_keeps_every_threshold_and_layer_at_120x40():
    app = GradtuiApp(scenario=SCENARIOS["vanishing"])  # 7 dense layers
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("0")  # skip the prediction question
        await steps(app, pilot, 5)
        grads = app.screen.query_one(GradPlot)
        legend = Text.from_markup(grads.border_subtitle).plain
        layers = len(app.session.frame.layers)
        assert layers > SHORT_LABELS_ABOVE
        assert "explode" in legend and "vanish" in legend
        assert "layers " + " ".join(str(i) for i in range(layers)) in legend
        assert len(legend) <= grads.size.width - 4  # drawn whole inside the border
