"""Loss and gradient-norm plots, drawn natively (``LinePlot``) from decimated history.

Each redraw plots at most ``View.plot_points`` buckets per series (about one per
column), so its cost, about a millisecond, does not grow with the length of the run,
and the plots can move at screen rate with the step counter.

On a log axis y values are log10'd here and the ticks labelled by hand. The gradient
plot's axis is clamped to a band around the explode threshold, so that a run whose
gradients reach 1e150 still shows where they crossed the line: values beyond the band
run along its edge, and the edge's label says so (``≥1e7``).
"""

from __future__ import annotations

import math

import numpy as np
from rich.markup import escape
from rich.text import Text

from gradtui.engine.run.frame import Frame
from gradtui.engine.run.sharpness import CROSSED, line_name
from gradtui.tui.widgets.fitting import fitting
from gradtui.tui.widgets.lineplot import (Chart, LinePlot, Series, Ticks, linear_ticks, log_ticks,
                                         nice_spacing, tick_label)

BATCH = "#787878"
TRAIN = "#50aaff"
TEST = "#ffa028"
MARK = "#c8c83c"
EXPLODE = "#e63c3c"
VANISH = "#5a6ee6"
CLIP = "#dcc850"
LR = "#b482ff"
SHARPNESS = "#f0f0f0"
RUN_COLOURS = {"A": "#50aaff", "B": "#ff783c"}
"""Twin mode: each run's colour (the twin bar's labels have the same)."""
RUN_BANDS = {"A": "#325582", "B": "#82462d"}
"""Twin mode: each run's minibatch band, a dimmer shade of its colour."""
LAYER_COLOURS = ["#50c878", "#50c8dc", "#c878dc", "#f0dc5a", "#f0825a", "#9696fa", "#a0dc50", "#fa96be"]
TWIN_LOSS_HEADROOM = 1e3
"""Twin mode's loss axis ends this many times above the runs' first minibatch loss."""
DECADES_ABOVE_EXPLODE = 4
"""The gradient plot shows at most this many decades above the explode threshold..."""
DECADES_BELOW_EXPLODE = 16
"""...and this many below it (1e-13 at the default threshold 1e3)."""


def envelope(steps: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Min then max of each bucket at its step: drawn as one line, a band as thick as the noise."""
    return np.repeat(steps, 2).astype(float), np.column_stack([lo, hi]).ravel()


def step_ticks(last: float, most: int = 5) -> Ticks:
    """Round step numbers from 0 to ``last`` (1-2-5 spacing, at most ``most`` + 1 ticks),
    labelled 500, 20k, 1.5M."""
    last = max(float(last), 1.0)
    spacing = max(nice_spacing(last, most), 1.0)
    return [(float(i * spacing), step_label(i * spacing)) for i in range(int(last // spacing) + 1)]


AXIS_ENDS_PER_DECADE = 20
"""While training, the step axis ends at the next of this many ends per decade (about 12 %
apart) past the newest step: the axis and its labels then stay put for a while and only
the newest columns of a plot change, so a frame repaints the few rows they touch instead
of every row (each row Textual repaints costs the UI thread about 0.1 ms at 200x60, time a
key press waits, and the training thread too where it shares the app's process). Paused, the axis ends at the step on show."""


Y_GRID, Y_SLACK = 10, 1.5
"""While training, the y window's ends move out to multiples of a 1-2-5 spacing that cuts the
span into at most ``Y_GRID`` parts, and the window is kept while it holds the data and is at
most ``Y_SLACK`` times as tall as they need: a new minimum or a moving threshold line then
moves it now and then, not with every frame (for the reason of ``AXIS_ENDS_PER_DECADE``)."""


def axis_end(step: float, running: bool) -> float:
    """Where the step axis ends: at ``step`` when paused, a little past it while training
    (see ``AXIS_ENDS_PER_DECADE``)."""
    step = max(float(step), 1.0)
    if not running:
        return step
    return max(step, 10 ** (math.ceil(math.log10(step) * AXIS_ENDS_PER_DECADE) / AXIS_ENDS_PER_DECADE))


def step_label(step: float) -> str:
    if step < 1e3:
        return f"{step:g}"
    if step < 1e6:
        return f"{step / 1e3:g}k"
    return f"{step / 1e6:g}M"


NO_STEPS = ("no steps yet: space runs, s steps once", "no steps yet: press space", "no steps: press space",
            "no steps yet")
"""What a plot says before the first step, instead of an axis with nothing on it."""

SHORT_LABELS_ABOVE = 3
"""With more layers than this (or fewer whose names do not fit under the plot) the gradient
legend lists them as "layers 0 1 2 ...", each index in its line's colour (the health rows
list them in the same order), so that the thresholds and every layer fit under the plot."""


class HistoryPlot(LinePlot):
    """A LinePlot drawn from a Frame; subclasses say what to draw (``draw``) and may
    clamp the y axis to a band (``clamp``, in axis units: log10 on a log axis)."""

    _titles: tuple[str, str] | None = None
    _window: tuple[float, float] | None = None
    """While training, the y window last shown (see ``Y_SLACK``)."""
    _legend_key: tuple = ()
    _legend_fit = ""
    _training = False
    """Whether the frame on show was taken while training. (Not ``_running``: that is Textual's
    own flag of a live message pump, and a widget whose ``_running`` is False never repaints.)"""

    def show(self, frame: Frame, log: bool = True, twin: Frame | None = None) -> None:
        """Draw ``frame``; with ``twin`` (run B's frame in twin mode) both runs in one chart."""
        self._log = log
        self._legend: list[str] = []
        self._legend_cells = 0  # the legend's width on screen so far, separators included
        self._short: list[str] = []  # the legend's entries in a word each (``legend``)
        self._series: list[Series] = []
        self._hlines: list[tuple[float, str]] = []
        self._vlines: list[tuple[float, str]] = []
        self._yrange = [math.inf, -math.inf]
        self._clamp: tuple[float, float] | None = None
        self._clamped = [False, False]  # below, above
        self._training = frame.running
        self._right = axis_end(max(frame.step, twin.step if twin is not None else 0), frame.running)
        title = self.draw(frame) if twin is None else self.draw_twins(frame, twin)
        legend = self.legend()
        if (title, legend) != self._titles:
            self._titles = (title, legend)
            self.set_labels(title, legend)
        if not any(len(f.steps) for f in (frame, twin) if f is not None):
            self.show_note(*NO_STEPS)
            return
        ylim, yticks = self._y_axis()
        self.show_chart(Chart((0.0, self._right), ylim, series=self._series, hlines=self._hlines,
                              vlines=self._vlines, xticks=step_ticks(self._right), yticks=yticks))

    def draw(self, frame: Frame) -> str:
        """Add the frame's series, rules and legend entries; return the title."""
        raise NotImplementedError

    def entry(self, markup: str, short: str | None = None) -> None:
        """A legend entry, and its short form (``markup`` itself if None) for a narrow pane."""
        self._legend.append(markup)
        self._short.append(markup if short is None else short)

    def legend(self) -> str:
        """The legend under the plot: every entry in full where it fits, else the first
        entries in a word each (the word in its line's colour says what the colour is) until
        it fits, else as many of those words as fit, then an ellipsis: never an entry cut
        mid-word."""
        room = self.outer_size.width - 6  # inside "╰─ … ─╯"
        wordings = ["  ".join(self._short[:n] + self._legend[n:]) for n in range(len(self._legend) + 1)]
        wordings.append(" ".join(self._short))
        if not room:
            return wordings[0]
        key = (room, *wordings)
        if key != self._legend_key:  # parsing the markup is most of a legend's cost: once per change
            self._legend_key = key
            self._legend_fit = fitting([Text.from_markup(markup) for markup in wordings], room).markup
        return self._legend_fit

    def draw_twins(self, a: Frame, b: Frame) -> str:
        """``draw`` for twin mode: runs A and B in one chart, each in its colour."""
        raise NotImplementedError

    def clamp(self, lo: float, hi: float) -> None:
        """Keep the y axis within [lo, hi] (axis units); values beyond run along its edge.
        Call before adding lines."""
        self._clamp = (lo, hi)

    def _to_axis(self, y: np.ndarray, clamp: bool = True) -> np.ndarray:
        """Finite values in axis units (positive ones, log10'd, on a log axis), NaN elsewhere;
        within the clamp band when ``clamp``: there an exact 0 on a log axis (a layer whose
        gradient vanished altogether) runs along the bottom edge, marked ≤, like any value
        below the band."""
        band = self._clamp if clamp else None
        with np.errstate(all="ignore"):
            y = np.asarray(y, dtype=float)
            ok = np.isfinite(y) & ((y > 0) if self._log else True)
            out = np.where(ok, np.log10(np.where(ok, y, 1.0)) if self._log else y, np.nan)
            if self._log and band is not None:
                out = np.where(y == 0, -np.inf, out)
        if band is not None:
            lo, hi = band
            self._clamped[0] |= bool((out < lo).any())
            self._clamped[1] |= bool((out > hi).any())
            out = np.minimum(np.maximum(out, lo), hi)
        return out

    def _include(self, y: np.ndarray) -> None:
        finite = y[np.isfinite(y)]
        if finite.size:
            self._yrange = [min(self._yrange[0], float(finite.min())), max(self._yrange[1], float(finite.max()))]

    def line(self, x: np.ndarray, y: np.ndarray, colour: str, label: str | None = None,
             short: str | None = None) -> None:
        """A series through its finite points (on a log axis, its positive ones); ``label``
        in the legend (``short``, a word, where the pane is narrow)."""
        y = self._to_axis(y)
        ok = np.isfinite(y)
        if ok.any():
            self._include(y[ok])
            self._series.append(Series(np.asarray(x, dtype=float)[ok], y[ok], colour))
        if label:
            # a layer's name is text, not markup
            self.entry(f"[{colour}]━ {escape(label)}[/]", f"[{colour}]{escape(short or label)}[/]")
            self._legend_cells += len(label) + 4

    def hline(self, value: float, colour: str, label: str, short: str | None = None) -> None:
        """A rule across the plot, left out (legend kept) where the axis is clamped short of it."""
        y = self._to_axis(np.array([value]), clamp=False)
        band = self._clamp or (-math.inf, math.inf)
        if np.isfinite(y[0]) and band[0] <= y[0] <= band[1]:
            self._include(y)
            self._hlines.append((float(y[0]), colour))
        self.entry(f"[{colour}]━ {label}[/]", f"[{colour}]{short or label}[/]")
        self._legend_cells += len(label) + 4

    def vline(self, step: float, colour: str) -> None:
        self._vlines.append((float(step), colour))

    def _y_axis(self) -> tuple[tuple[float, float], Ticks]:
        """The y window (a little wider than the data; while training, widened out to a grid,
        see ``Y_GRID``) and its ticks; a clamped edge is labelled with ≥ or ≤."""
        lo, hi = self._yrange
        if lo > hi:
            lo, hi = (-1.0, 1.0) if self._log else (0.0, 1.0)
        pad = 0.04 * (hi - lo) or (0.5 if self._log else max(abs(lo) * 0.1, 0.5))
        lo, hi = lo - pad, hi + pad
        if self._training:  # the window stays put while it holds the data and is not too wide
            kept = self._window
            if kept is None or not (kept[0] <= lo and hi <= kept[1] and kept[1] - kept[0] <= Y_SLACK * (hi - lo)):
                grid = nice_spacing(hi - lo, Y_GRID)
                kept = (math.floor(lo / grid) * grid, math.ceil(hi / grid) * grid)
            lo, hi = kept
        self._window = (lo, hi) if self._training else None
        ticks = log_ticks(lo, hi) if self._log else linear_ticks(lo, hi)
        edges = []
        if self._clamp is not None:  # only a band clamps values to an edge
            bottom, top = self._clamp
            if self._clamped[1]:
                edges.append((top, "≥" + tick_label(10 ** top) if self._log else f"≥{top:.3g}"))
            if self._clamped[0]:
                edges.append((bottom, "≤" + tick_label(10 ** bottom) if self._log else f"≤{bottom:.3g}"))
        return (lo, hi), edges + ticks


class LossPlot(HistoryPlot):
    """Minibatch loss (min/max band), full-set train and test loss, marks at control changes."""

    def draw(self, frame: Frame) -> str:
        steps, evals = frame.steps, frame.evals
        for step in frame.marks:
            self.vline(step, MARK)
        self.line(*envelope(steps.steps, steps.lo[:, 0], steps.hi[:, 0]), BATCH, "batch min–max", "batch")
        self.line(evals.steps.astype(float), evals.last[:, 0], TRAIN, "train")
        self.line(evals.steps.astype(float), evals.last[:, 1], TEST, "test")
        if frame.marks:
            self.entry(f"[{MARK}]│ control changed[/]", f"[{MARK}]│ changed[/]")
        if frame.lr_curve is not None:
            self._lr(*frame.lr_curve)
        bucket = f", {steps.width} steps/bucket" if steps.width > 1 else ""
        return f"loss ({'log' if self._log else 'linear'} scale{bucket})"

    def _lr(self, steps: np.ndarray, lrs: np.ndarray) -> None:
        """The lr schedule, scaled so its peak touches the top of the losses (its own units
        are not the loss's): its shape over steps, running a little past now."""
        peak = float(np.max(lrs, initial=0.0))
        lo, hi = self._yrange
        if not (peak > 0 and math.isfinite(peak)):
            return
        if lo > hi:
            lo, hi = 0.0, 1.0
        self._series.append(Series(steps, lo + (hi - lo) * lrs / peak, LR))
        self._right = max(self._right, float(steps[-1]))
        self.entry(f"[{LR}]━ lr (peak {peak:.3g})[/]", f"[{LR}]lr[/]")

    def draw_twins(self, a: Frame, b: Frame) -> str:
        """Each run's minibatch band (dim) and full-set train loss (bright), in its colour,
        on an axis clamped a little above where the runs started, so that a run blowing up
        to 1e180 leaves the other one readable."""
        self._clamp_above_start(a, b)
        for side, frame in (("A", a), ("B", b)):
            steps, evals = frame.steps, frame.evals
            self.line(*envelope(steps.steps, steps.lo[:, 0], steps.hi[:, 0]), RUN_BANDS[side])
            self.line(evals.steps.astype(float), evals.last[:, 0], RUN_COLOURS[side], f"{side} train", side)
        self.entry("dim: minibatch", "dim: batch")
        return f"loss of A and B ({'log' if self._log else 'linear'} scale)"


    def _clamp_above_start(self, *frames: Frame) -> None:
        """Clamp the top of the axis ``TWIN_LOSS_HEADROOM`` times above the largest first
        minibatch loss of ``frames`` (nothing before the first step, or if it is not finite)."""
        with np.errstate(all="ignore"):
            starts = [float(f.steps.hi[0, 0]) for f in frames if len(f.steps)]
        start = max((v for v in starts if math.isfinite(v) and v > 0), default=None)
        if start is None:
            return
        top = start * TWIN_LOSS_HEADROOM
        self.clamp(-math.inf, math.log10(top) if self._log else top)


class GradPlot(HistoryPlot):
    """Each layer's gradient norm (max per bucket) with the clip and flag thresholds, on a
    log axis clamped around the explode threshold."""

    def draw(self, frame: Frame) -> str:
        steps, cfg = frame.steps, frame.config
        self._clamp_around(cfg.explode_norm)
        self.hline(cfg.explode_norm, EXPLODE, f"explode {cfg.explode_norm:g}", "explode")
        out_norm = frame.layers[-1].grad_norm
        if len(frame.layers) > 1 and out_norm is not None:
            self.hline(cfg.vanish_ratio * out_norm, VANISH, f"vanish {cfg.vanish_ratio:g}×out", "vanish")
        if cfg.clip_mode == "norm":
            self.hline(cfg.clip, CLIP, f"clip {cfg.clip:g}", "clip")
        full = self._legend_cells + sum(len(layer.name) + 4 for layer in frame.layers)
        short = len(frame.layers) > SHORT_LABELS_ABOVE or full > self.outer_size.width - 6
        colours = [LAYER_COLOURS[i % len(LAYER_COLOURS)] for i in range(len(frame.layers))]
        for i, layer in enumerate(frame.layers):
            label = None if short else layer.name
            self.line(steps.steps.astype(float), steps.hi[:, 2 + i], colours[i], label)
        if short:  # deep nets: one entry, each layer's index in its colour, so every label fits
            self.entry("layers " + " ".join(f"[bold {c}]{i}[/]" for i, c in enumerate(colours)))
        bucket = f"max per {steps.width} steps" if steps.width > 1 else "per step"
        return f"gradient norm per layer (log scale, {bucket})"

    def draw_twins(self, a: Frame, b: Frame) -> str:
        """Each run's total gradient norm in its colour, the explode line, and each run's
        clip threshold when it clips by norm."""
        self._clamp_around(a.config.explode_norm)
        self.hline(a.config.explode_norm, EXPLODE, f"explode {a.config.explode_norm:g}", "explode")
        for side, frame in (("A", a), ("B", b)):
            if frame.config.clip_mode == "norm":
                self.hline(frame.config.clip, CLIP, f"{side} clips at {frame.config.clip:g}", f"{side} clip")
        for side, frame in (("A", a), ("B", b)):
            steps = frame.steps
            self.line(steps.steps.astype(float), steps.hi[:, 1], RUN_COLOURS[side], f"{side} total", side)
        return "gradient norm of A and B (log scale, max per bucket)"

    def _clamp_around(self, explode_norm: float) -> None:
        """A log axis clamped to a band around the explode threshold."""
        self._log = True
        anchor = math.log10(explode_norm)
        self.clamp(anchor - DECADES_BELOW_EXPLODE, anchor + DECADES_ABOVE_EXPLODE)


class SharpnessPlot(HistoryPlot):
    """λmax at each measurement against the stability line at the lr of that moment (a
    step line: it moves when the lr does), on a linear axis; the title says when the run
    is above it, and for rmsprop and adam that the line does not apply."""

    def draw(self, frame: Frame) -> str:
        self._log = False
        history, optimizer = frame.sharpness, frame.config.optimizer
        if history is None or not len(history):
            return "sharpness λmax: measuring…"
        steps = history.steps.astype(float)
        line = history.last[:, 1]
        if frame.stability_line is not None:
            self.line(np.append(steps, self._right), np.append(line, frame.stability_line), EXPLODE,
                      f"{line_name(optimizer)} = {frame.stability_line:.4g}")
        self.line(steps, history.last[:, 0], SHARPNESS, f"λmax {history.last[-1, 0]:.4g}")
        if frame.noise_scale is not None:
            batch = frame.config.batch_size
            self.entry(f"noise scale {frame.noise_scale:.3g} · batch {batch if batch else 'full'}")
        if frame.stability_line is None:
            return f"sharpness λmax (no 2/lr line for {optimizer}: it rescales each step)"
        if frame.above_line:
            return f"sharpness λmax ABOVE {line_name(optimizer)}: {CROSSED}"
        return f"sharpness λmax (Hessian's top eigenvalue) vs {line_name(optimizer)}"

    def draw_twins(self, a: Frame, b: Frame) -> str:
        """Twin mode: run A's sharpness (B's is not measured)."""
        return self.draw(a)
