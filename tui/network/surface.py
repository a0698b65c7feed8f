"""The loss surface: the network's own train loss around its current weights, drawn like
the calculus surfaces.

``Trainer.loss_landscape`` on a plane of two filter-normalised random directions (Li et
al. 2018), computed in a thread worker from a replica of the network taken between two
training steps, so neither the screen nor training waits for it. Big train sets are
measured on a fixed sample (said on screen). The path of the run (its snapshots, every 100
steps and before each control change) is projected onto the plane; the current weights
are the centre. Recomputed on request (``r``), with new directions (``d``) or another
span (``-``/``=``), never every frame.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from gradtui.engine import Landscape
from gradtui.engine.inspect.landscape import SAMPLE_ROWS

from gradtui.tui.calculus.plot import LABEL_WIDTH, MARK, heat_backdrop, with_axes
from gradtui.tui.train.session import Session
from gradtui.tui.widgets.canvas import Canvas
from gradtui.tui.widgets.footer import FittedFooter

STEPS = 21
SPANS = (0.125, 0.25, 0.5, 1.0, 2.0, 4.0)
PATH = "#ff5f5f"


def upsample(land: Landscape, width: int, height: int) -> np.ndarray:
    """The surface at two pixels per cell, (2 * height, width), beta upward, by bilinear
    interpolation between grid points."""
    alphas, betas, loss = land.alphas, land.betas, land.loss
    xs = np.linspace(alphas[0], alphas[-1], width)
    ys = np.linspace(betas[-1], betas[0], 2 * height)  # top row first
    along = np.array([np.interp(xs, alphas, loss[:, j]) for j in range(len(betas))])  # (beta, x)
    return np.array([np.interp(ys, betas, along[:, c]) for c in range(width)]).T


def surface_canvas(land: Landscape, path: np.ndarray, width: int, height: int) -> Canvas:
    """The heat map with the projected path, the lowest grid point and the centre."""
    span = float(land.alphas[-1])
    canvas = Canvas(width, height, (-span, span), (-span, span))
    with np.errstate(all="ignore"):
        values = upsample(land, width, height)
    if not np.isfinite(values).any():  # a diverged run: one flat colour, the legend says why
        values = np.zeros_like(values)
    canvas.field = heat_backdrop(values)
    if len(path):
        canvas.polyline(path, PATH)
        x, y = path[0]
        canvas.mark(x, y, "○", PATH, bold=True, clamp=True)
    if np.isfinite(land.loss).any():
        i, j = np.unravel_index(np.nanargmin(np.where(np.isfinite(land.loss), land.loss, np.nan)),
                                land.loss.shape)
        canvas.mark(land.alphas[i], land.betas[j], "✕", MARK, bold=True)
    canvas.mark(0.0, 0.0, "●", MARK, bold=True)
    return canvas


def surface_text(land: Landscape, path_steps: list[int]) -> Text:
    """The legend: what the axes are, what was measured on what, where the minimum is."""
    n = len(land.alphas)
    centre = land.loss[n // 2, n // 2]
    text = Text(no_wrap=False)
    text.append("loss surface", style="bold")
    text.append(f" at step {land.step}\n")
    text.append(f"L(w + α·d1 + β·d2), α, β in ±{land.alphas[-1]:g}\n")
    text.append("d1, d2: random directions, each neuron's incoming weights scaled to its own "
                f"weight norm (Li et al. 2018; seed {land.seed})\n", style="dim")
    if land.sampled:
        text.append(f"on a fixed sample of {land.rows:,} of {land.of_rows:,} training rows\n",
                    style="bold #ffaf00")
    else:
        text.append(f"on all {land.rows:,} training rows\n")
    text.append("● centre = the weights now: ")
    text.append(f"{centre:.5g}\n", style="bold")
    if not np.isfinite(land.loss).any():
        text.append("the loss is NaN/Inf all over the plane: the weights are no longer finite "
                    "numbers (rewind with u on the training screen)\n", style="bold red")
        return text
    finite = np.where(np.isfinite(land.loss), land.loss, np.inf)
    i, j = np.unravel_index(np.argmin(finite), finite.shape)
    text.append(f"✕ lowest on the plane: {finite[i, j]:.5g} at α {land.alphas[i]:+.3g}, β {land.betas[j]:+.3g}\n")
    text.append(f"highest: {np.nanmax(np.where(np.isfinite(land.loss), land.loss, np.nan)):.5g}\n")
    if path_steps:
        text.append(f"○─ the run's path, steps {path_steps[0]}…{path_steps[-1]} "
                    f"({len(path_steps)} points), projected\n", style=PATH)
        text.append("random directions catch little of a path: it stays near the centre\n", style="dim")
    return text


class SurfaceReady(Message):
    """A landscape computed by the worker, with the path projected onto its plane."""

    def __init__(self, landscape: Landscape, path: np.ndarray, path_steps: list[int]) -> None:
        super().__init__()
        self.landscape, self.path, self.path_steps = landscape, path, path_steps


class SurfacePlot(Widget):
    """The heat map with axes, from the calculus screen's painter."""

    DEFAULT_CSS = "SurfacePlot { width: 1fr; height: 1fr; }"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.landscape: Landscape | None = None
        self.path = np.zeros((0, 2))
        self._strips: list[Strip] | None = None

    def show(self, landscape: Landscape, path: np.ndarray) -> None:
        self.landscape, self.path = landscape, path
        self._strips = None
        self.refresh()

    def on_resize(self) -> None:
        self._strips = None

    def render_line(self, y: int) -> Strip:
        width, height = self.size.width - LABEL_WIDTH, self.size.height - 1
        if self._strips is None and self.landscape is not None and width >= 4 and height >= 2:
            self._strips = with_axes(surface_canvas(self.landscape, self.path, width, height))
        if self._strips is not None and y < len(self._strips):
            return self._strips[y]
        return Strip.blank(self.size.width)


class LossSurfaceScreen(Screen):
    """The loss surface of the run on show; see the module docstring."""

    CSS_PATH = "network.tcss"
    BINDINGS = [
        Binding("r", "recompute", "recompute", tooltip="measure the surface again around the weights now"),
        Binding("d", "directions", "new directions", tooltip="two new random directions"),
        Binding("minus", "span(-1)", "span", key_display="- =", tooltip="halve the span"),
        Binding("equals_sign", "span(1)", show=False, tooltip="double the span"),
        Binding("escape", "back", "back", tooltip="back"),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.span = 1.0
        self.seed = 0
        self.landscape: Landscape | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="surf-status")
        with Horizontal(id="surf-body"):
            yield SurfacePlot(id="surf-plot")
            yield Static(id="surf-legend")
        yield FittedFooter(("back", "recompute", "directions", "span(-1)"))

    def on_mount(self) -> None:
        self.action_recompute()

    def action_recompute(self) -> None:
        trainer = self.session.trainer
        n = len(trainer.data.X_train)
        rows = f"a fixed sample of {SAMPLE_ROWS:,} of {n:,}" if n > SAMPLE_ROWS else f"all {n:,}"
        self.query_one("#surf-status", Static).update(
            f"[b]loss surface[/b] · computing {STEPS} x {STEPS} = {STEPS * STEPS} losses on {rows} "
            f"training rows, span ±{self.span:g}, in the background…")
        self.compute(self.span, self.seed)

    def action_directions(self) -> None:
        self.seed += 1
        self.action_recompute()

    def action_span(self, direction: int) -> None:
        index = SPANS.index(self.span) + direction
        if 0 <= index < len(SPANS):
            self.span = SPANS[index]
            self.action_recompute()

    def action_back(self) -> None:
        self.app.pop_screen()

    @work(thread=True, exclusive=True, group="landscape", exit_on_error=False)
    def compute(self, span: float, seed: int) -> None:
        """Measure the surface from a replica taken between two steps (thread worker)."""
        twin, step, snapshots = self.session.inspection_copy()
        land = self.session.trainer.loss_landscape(span, STEPS, seed, max_rows=SAMPLE_ROWS, model=twin)
        land = dataclasses.replace(land, step=step)
        kept = [snap for snap in snapshots if snap.step <= step]
        weights = np.array([snap.weights for snap in kept] + [land.weights])
        if np.isfinite(weights).all() and all(np.isfinite(d).all() for d in land.directions):
            path, steps = land.project(weights), [snap.step for snap in kept] + [step]
        else:  # a diverged run: no plane to project onto
            path, steps = np.zeros((0, 2)), []
        self.post_message(SurfaceReady(land, path, steps))

    def on_surface_ready(self, message: SurfaceReady) -> None:
        self.landscape = message.landscape
        self.query_one(SurfacePlot).show(message.landscape, message.path)
        self.query_one("#surf-legend", Static).update(surface_text(message.landscape, message.path_steps))
        self.query_one("#surf-status", Static).update(
            f"[b]loss surface[/b] at step {message.landscape.step} · r recompute · d new directions · "
            "- = span · escape back")
