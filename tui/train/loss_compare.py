"""The loss comparison: ``M`` on the training screen.

One prediction against its target under every regression loss (prediction 15 for target
20 costs 5 under MAE and 25 under MSE; the Huber loss, MSE near the target and MAE far
from it, for comparison), and one score on a margin under every classification loss
(cross-entropy, bce and hinge, against the margin y·s). Every value and gradient is the
engine's own ``Loss.value`` and ``Loss.grad`` on that one sample; Huber, which the engine
does not train with, is written out here.

Keys: ``left``/``right`` move the prediction, ``up``/``down`` the margin, ``escape`` back.
"""

from __future__ import annotations

import numpy as np
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Static

from gradtui.engine import LOSSES, get_loss

from gradtui.tui.widgets.footer import FittedFooter
from gradtui.tui.widgets.lineplot import Chart, LinePlot, Series, linear_ticks

TARGET = 20.0
HUBER_DELTA = 1.0
REGRESSION = ("mse", "mae")
CLASSIFICATION = tuple(name for name in LOSSES if name not in REGRESSION)
COLOURS = {"mse": "red", "mae": "green", "huber": "yellow", "cross_entropy": "magenta",
           "bce": "cyan", "hinge": "orange1"}


def huber(prediction: float, target: float, delta: float = HUBER_DELTA) -> tuple[float, float]:
    """Huber loss and its gradient: (p - y)^2 / 2 within ``delta`` of the target, linear beyond."""
    r = prediction - target
    if abs(r) <= delta:
        return 0.5 * r * r, r
    return delta * (abs(r) - 0.5 * delta), delta * float(np.sign(r))


def regression_loss(name: str, prediction: float, target: float) -> tuple[float, float]:
    """The engine's loss ``name`` and dL/dp for one prediction of one output."""
    loss = get_loss(name)
    p, y = np.array([[prediction]]), np.array([[target]])
    return float(loss.value(p, y)), float(loss.grad(p, y)[0, 0])


def margin_loss(name: str, margin: float) -> tuple[float, float]:
    """The engine's classification loss ``name`` and dL/ds for a sample of class 1 scored
    with margin ``margin`` (one score s = margin for bce and hinge; logits (0, margin) for
    cross-entropy, so the margin is the true class's lead)."""
    loss = get_loss(name)
    if name == "cross_entropy":
        out = np.array([[0.0, margin]])
        target = np.array([1])
        return float(loss.value(out, target)), float(loss.grad(out, target)[0, 1])
    out = np.array([[margin]])
    target = loss.targets(np.array([1]), 2)
    return float(loss.value(out, target)), float(loss.grad(out, target)[0, 0])


def regression_rows(prediction: float, target: float) -> list[tuple[str, float, float]]:
    rows = [(name, *regression_loss(name, prediction, target)) for name in REGRESSION]
    return rows + [(f"huber δ={HUBER_DELTA:g}", *huber(prediction, target))]


def margin_rows(margin: float) -> list[tuple[str, float, float]]:
    return [(name, *margin_loss(name, margin)) for name in CLASSIFICATION]


def table(title: str, rows: list[tuple[str, float, float]], gradient: str) -> str:
    lines = [f"[b]{title}[/b]", f"{'loss':<14}{'value':>10}{gradient:>12}"]
    lines += [f"{name:<14}{value:>10.4g}{grad:>12.4g}" for name, value, grad in rows]
    return "\n".join(lines)


def regression_chart(prediction: float, target: float) -> Chart:
    p = np.linspace(target - 10, target + 10, 201)
    series = [Series(p, np.array([regression_loss(n, x, target)[0] for x in p]), COLOURS[n]) for n in REGRESSION]
    series.append(Series(p, np.array([huber(x, target)[0] for x in p]), COLOURS["huber"]))
    top = 30.0
    return Chart((p[0], p[-1]), (0.0, top), series=[Series(s.x, np.clip(s.y, 0, top), s.colour) for s in series],
                 vlines=[(prediction, "grey50"), (target, "grey30")],
                 xticks=linear_ticks(p[0], p[-1], 4), yticks=linear_ticks(0, top, 3))


def margin_chart(margin: float) -> Chart:
    m = np.linspace(-3, 3, 121)
    series = [Series(m, np.array([margin_loss(n, x)[0] for x in m]), COLOURS[n]) for n in CLASSIFICATION]
    return Chart((-3.0, 3.0), (0.0, 4.0), series=series, vlines=[(margin, "grey50"), (1.0, "grey30")],
                 xticks=linear_ticks(-3, 3, 6), yticks=linear_ticks(0, 4, 4))


class LossScreen(Screen):
    """Every loss and its gradient for one prediction, and for one margin."""

    CSS = """
    LossScreen #loss-top, LossScreen #loss-bottom { height: 1fr; }
    LossScreen .loss-table { width: 40; padding: 0 1; }
    LossScreen LinePlot { border: round $primary 50%; height: 1fr; }
    """
    BINDINGS = [
        Binding("left", "prediction(-1)", "prediction", key_display="← →", tooltip="prediction one lower"),
        Binding("right", "prediction(1)", show=False, tooltip="prediction one higher"),
        Binding("up", "margin(0.25)", "margin", key_display="↑ ↓", tooltip="margin 0.25 higher"),
        Binding("down", "margin(-0.25)", show=False, tooltip="margin 0.25 lower"),
        Binding("escape", "back", "back", tooltip="back to the training screen"),
    ]

    def __init__(self, prediction: float = 15.0, margin: float = 0.5) -> None:
        super().__init__()
        self.prediction = prediction
        self.margin = margin

    def compose(self) -> ComposeResult:
        with Horizontal(id="loss-top"):
            yield Static(id="loss-regression", classes="loss-table")
            yield LinePlot(id="loss-regression-plot")
        with Horizontal(id="loss-bottom"):
            yield Static(id="loss-margin", classes="loss-table")
            yield LinePlot(id="loss-margin-plot")
        yield FittedFooter(("prediction(-1)", "margin(0.25)", "back"))

    def on_mount(self) -> None:
        self.redraw()

    def redraw(self) -> None:
        p, m = self.prediction, self.margin
        self.query_one("#loss-regression", Static).update(
            table(f"prediction {p:g}, target {TARGET:g}", regression_rows(p, TARGET), "dL/dp")
            + "\n\n[dim]squared error grows with the miss squared: an outlier 10 off costs 100 "
              "under MSE, 10 under MAE; Huber is MSE near the target, MAE beyond δ[/dim]")
        self.query_one("#loss-margin", Static).update(
            table(f"class 1 scored with margin {m:g}", margin_rows(m), "dL/ds")
            + "\n\n[dim]hinge is exactly 0 once the margin passes 1: no more push; "
              "cross-entropy and bce never reach 0[/dim]")
        plot = self.query_one("#loss-regression-plot", LinePlot)
        plot.border_title = "loss against the prediction: [red]mse[/] [green]mae[/] [yellow]huber[/]"
        plot.show_chart(regression_chart(p, TARGET))
        plot = self.query_one("#loss-margin-plot", LinePlot)
        plot.border_title = "loss against the margin y·s: [magenta]cross_entropy[/] [cyan]bce[/] [orange1]hinge[/]"
        plot.show_chart(margin_chart(m))

    def action_prediction(self, delta: int) -> None:
        self.prediction += delta
        self.redraw()

    def action_margin(self, delta: float) -> None:
        self.margin = round(self.margin + delta, 2)
        self.redraw()

    def action_back(self) -> None:
        self.app.pop_screen()
