"""Loss and gradient-norm plots (plotext via textual-plotext), drawn from decimated history.

Each redraw plots at most ``View.plot_points`` buckets per series (about two per
column), so the cost does not grow with the length of the run.

Log scale is done here, not by plotext: plotext's ``yscale("log")`` takes the log of
the stored data in place at every build, and Textual may render a widget twice
for one update. So y values are log10'd once and the ticks are labelled by hand.
"""

from __future__ import annotations

import math
import time

import numpy as np
from textual_plotext import PlotextPlot

from gradtui.tui.train.frame import Frame

BATCH = (120, 120, 120)
TRAIN = (80, 170, 255)
TEST = (255, 160, 40)
MARK = (200, 200, 60)
EXPLODE = (230, 60, 60)
VANISH = (90, 110, 230)
CLIP = (220, 200, 80)
MARKER = "hd"
"""plotext's 2x2 quarter blocks: in every monospace font, unlike braille or sextants."""
RUN_COLOURS = {"A": (80, 170, 255), "B": (255, 120, 60)}
"""Twin mode: each run's colour (the twin bar's labels have the same)."""
RUN_BANDS = {"A": (50, 85, 130), "B": (130, 70, 45)}
"""Twin mode: each run's minibatch band, a dimmer shade of its colour."""
LAYER_COLOURS = [(80, 200, 120), (80, 200, 220), (200, 120, 220), (240, 220, 90),
                 (240, 130, 90), (150, 150, 250), (160, 220, 80), (250, 150, 190)]


def envelope(steps: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Min then max of each bucket at its step: drawn as one line, a band as thick as the noise."""
    return np.repeat(steps, 2).astype(float), np.column_stack([lo, hi]).ravel()


def log_ticks(lo: float, hi: float) -> tuple[list[float], list[str]]:
    """Tick positions (log10 units) and labels for a log axis spanning [lo, hi] (log10 units):
    every decade over a wide range, 1-2-5 or every digit over a narrow one, the ends if
    nothing else falls inside."""
    first, last = math.floor(lo), math.ceil(hi)
    span = hi - lo
    mantissas = range(1, 10) if span < 1 else (1, 2, 5) if span < 2 else (1,)
    stride = max(1, (last - first) // 6)
    ticks = [e + math.log10(m) for e in range(first, last + 1, stride) for m in mantissas]
    ticks = [t for t in ticks if lo - 1e-9 <= t <= hi + 1e-9]
    if len(ticks) < 2:
        ticks = sorted({lo, hi, *ticks})
    return ticks, [tick_label(10 ** t) for t in ticks]


def step_ticks(last: float, most: int = 5) -> tuple[list[float], list[str]]:
    """Round step numbers from 0 to ``last`` (1-2-5 spacing, at most ``most`` + 1 ticks),
    labelled 500, 20k, 1.5M."""
    last = max(float(last), 1.0)
    spacing = next(m * 10 ** e for e in range(0, 16) for m in (1, 2, 5) if last / (m * 10 ** e) <= most)
    ticks = [float(i * spacing) for i in range(int(last // spacing) + 1)]
    return ticks, [step_label(t) for t in ticks]


def step_label(step: float) -> str:
    if step < 1e3:
        return f"{step:g}"
    if step < 1e6:
        return f"{step / 1e3:g}k"
    return f"{step / 1e6:g}M"


def tick_label(value: float) -> str:
    """Short axis label: 0.05, 20, 1e-8, 3e5."""
    if 1e-3 <= value < 1e4:
        return np.format_float_positional(value, precision=2, fractional=False, trim="-")
    mantissa, exponent = f"{value:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"


class HistoryPlot(PlotextPlot):
    """A PlotextPlot redrawn from a Frame; subclasses say what to draw.

    ``render_cost`` is how long the last render took (seconds), so the screen can
    redraw plots less often on a machine where they are expensive.
    """

    render_cost = 0.0

    def render(self):
        start = time.perf_counter()
        result = super().render()
        self.render_cost = time.perf_counter() - start
        return result

    def show(self, frame: Frame, log: bool = True, twin: Frame | None = None) -> None:
        """Draw ``frame``; with ``twin`` (run B's frame in twin mode) both runs in one chart."""
        plt = self.plt
        plt.clear_figure()
        self._twin = twin
        self._log, self._yrange, self._legend = log, [math.inf, -math.inf], []
        self._right = float(max(frame.step, twin.step if twin is not None else 0, 1))
        plt.xlim(0, self._right)
        plt.xticks(*step_ticks(self._right))
        self.border_title = self.draw(frame)
        self.border_subtitle = "  ".join(self._legend)
        lo, hi = self._yrange
        if log and lo <= hi:
            plt.yticks(*log_ticks(lo, hi))
        self.refresh()

    def draw(self, frame: Frame) -> str:
        """Plot the frame's series; return the title."""
        raise NotImplementedError

    def line(self, x: np.ndarray, y: np.ndarray, colour, label: str | None = None) -> None:
        """Plot finite points (positive ones, log10'd, on a log axis)."""
        with np.errstate(all="ignore"):
            ok = np.isfinite(y) & ((y > 0) if self._log else True)
            x, y = x[ok], (np.log10(y[ok]) if self._log else y[ok])
        if len(x):
            self._yrange = [min(self._yrange[0], float(y.min())), max(self._yrange[1], float(y.max()))]
            self.plt.plot(x.tolist(), y.tolist(), marker=MARKER, color=colour)
        if label:
            self._legend.append(f"[rgb{colour}]━ {label}[/]")

    def hline(self, value: float, colour, label: str) -> None:
        self.line(np.array([0.0, self._right]), np.array([value, value], dtype=float), colour, label)


class LossPlot(HistoryPlot):
    """Minibatch loss (min/max band), full-set train and test loss, marks at control changes."""

    def draw(self, frame: Frame) -> str:
        if self._twin is not None:
            return self.draw_twins(frame, self._twin)
        steps, evals = frame.steps, frame.evals
        self.line(*envelope(steps.steps, steps.lo[:, 0], steps.hi[:, 0]), BATCH, "batch")
        self.line(evals.steps.astype(float), evals.last[:, 0], TRAIN, "train")
        self.line(evals.steps.astype(float), evals.last[:, 1], TEST, "test")
        for step in frame.marks:
            self.plt.vline(step, MARK)
        if frame.marks:
            self._legend.append(f"[rgb{MARK}]│ control changed[/]")
        bucket = f", {steps.width} steps/bucket" if steps.width > 1 else ""
        return f"loss ({'log' if self._log else 'linear'} scale{bucket})"

    def draw_twins(self, a: Frame, b: Frame) -> str:
        """Each run's minibatch band (dim) and full-set train loss (bright), in its colour."""
        for side, frame in (("A", a), ("B", b)):
            steps, evals = frame.steps, frame.evals
            self.line(*envelope(steps.steps, steps.lo[:, 0], steps.hi[:, 0]), RUN_BANDS[side])
            self.line(evals.steps.astype(float), evals.last[:, 0], RUN_COLOURS[side], f"{side} train")
        self._legend.append("dim: minibatch")
        return f"loss of A and B ({'log' if self._log else 'linear'} scale)"


class GradPlot(HistoryPlot):
    """Each layer's gradient norm (max per bucket) with the clip and flag thresholds."""

    def draw(self, frame: Frame) -> str:
        if self._twin is not None:
            return self.draw_twins(frame, self._twin)
        steps, cfg = frame.steps, frame.config
        for i, layer in enumerate(frame.layers):
            colour = LAYER_COLOURS[i % len(LAYER_COLOURS)]
            self.line(steps.steps.astype(float), steps.hi[:, 2 + i], colour, layer.name)
        self.hline(cfg.explode_norm, EXPLODE, f"explode {cfg.explode_norm:g}")
        out_norm = frame.layers[-1].grad_norm
        if len(frame.layers) > 1 and out_norm is not None:
            self.hline(cfg.vanish_ratio * out_norm, VANISH, f"vanish {cfg.vanish_ratio:g}×out")
        if cfg.clip_mode == "norm":
            self.hline(cfg.clip, CLIP, f"clip {cfg.clip:g}")
        bucket = f"max per {steps.width} steps" if steps.width > 1 else "per step"
        return f"gradient norm per layer (log scale, {bucket})"

    def draw_twins(self, a: Frame, b: Frame) -> str:
        """Each run's total gradient norm in its colour, the explode line, and each run's
        clip threshold when it clips by norm."""
        for side, frame in (("A", a), ("B", b)):
            steps = frame.steps
            self.line(steps.steps.astype(float), steps.hi[:, 1], RUN_COLOURS[side], f"{side} total")
        self.hline(a.config.explode_norm, EXPLODE, f"explode {a.config.explode_norm:g}")
        for side, frame in (("A", a), ("B", b)):
            if frame.config.clip_mode == "norm":
                self.hline(frame.config.clip, CLIP, f"{side} clips at {frame.config.clip:g}")
        return "gradient norm of A and B (log scale, max per bucket)"
