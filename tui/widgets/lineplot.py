"""A line chart drawn natively: NumPy into braille cells on a ``Canvas``, with tick labels.

Why not plotext here: plotext rebuilds the whole figure and Textual re-parses its ANSI
text on every refresh (tens of milliseconds at 200x60), which capped the live plots at
under 2 redraws a second. This widget draws a ``Chart`` (plain arrays and tick lists
prepared by the caller) in about a millisecond at the widget's current size, and only
the rows that changed are repainted, so the training screen can redraw its plots at
screen rate.
"""

from __future__ import annotations

import math
import sys
from time import thread_time
from dataclasses import dataclass, field

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from gradtui.tui.widgets.canvas import Canvas, framed
from gradtui.tui.widgets.strips import StripsView

Ticks = list[tuple[float, str]]
NOTE_STYLE = Style(dim=True, italic=True)


@dataclass(frozen=True)
class Series:
    """A polyline through (x, y) points; non-finite points break nothing, they are skipped."""

    x: np.ndarray
    y: np.ndarray
    colour: str


@dataclass(frozen=True)
class Chart:
    """What to draw: scattered points (one dot each), rules, then series in order (later
    ones on top), in the window, with tick labels at data positions."""

    xlim: tuple[float, float]
    ylim: tuple[float, float]
    series: list[Series] = field(default_factory=list)
    scatter: list[Series] = field(default_factory=list)
    hlines: list[tuple[float, str]] = field(default_factory=list)
    vlines: list[tuple[float, str]] = field(default_factory=list)
    xticks: Ticks = field(default_factory=list)
    yticks: Ticks = field(default_factory=list)


def draw_chart(chart: Chart, width: int, height: int) -> list[Strip]:
    """The chart as ``height`` strips of ``width`` cells: y labels left, x labels below."""
    label_width = max((len(label) for _, label in chart.yticks), default=0) + 1
    cw, ch = width - label_width, height - 1
    if cw < 4 or ch < 2:
        return [Strip.blank(width)] * height
    (x0, x1), (y0, y1) = chart.xlim, chart.ylim
    canvas = Canvas(cw, ch, (x0, x1) if x1 > x0 else (x0, x0 + 1), (y0, y1) if y1 > y0 else (y0 - 1, y0 + 1))
    (left, right), (bottom, top) = canvas.xlim, canvas.ylim
    for points in chart.scatter:
        canvas.dots(np.column_stack([points.x, points.y]), points.colour)
    canvas.polylines([(np.array([[x, bottom], [x, top]]), colour) for x, colour in chart.vlines]
                     + [(np.array([[left, y], [right, y]]), colour) for y, colour in chart.hlines]
                     + [(np.column_stack([series.x, series.y]), series.colour)
                        for series in chart.series if len(series.x)])
    return framed(canvas, chart.yticks, chart.xticks, label_width)


def nice_spacing(span: float, most: int) -> float:
    """The smallest 1-2-5 spacing that cuts ``span`` into at most ``most`` parts."""
    exponent = math.floor(math.log10(span / most)) if span > 0 else 0
    return next(m * 10.0 ** e for e in range(exponent, exponent + 3) for m in (1, 2, 5)
                if span / (m * 10.0 ** e) <= most)


LOG10_FLOAT_MAX = math.log10(sys.float_info.max)


def log_ticks(lo: float, hi: float) -> Ticks:
    """Ticks (log10 position, label) for a log axis spanning [lo, hi] (log10 units):
    every decade over a wide range, 1-2-5 or every digit over a narrow one, the ends if
    nothing else falls inside. No tick above the largest float (a diverged loss near 1e308
    pads the window past it, and an axis must not name a value no number can take)."""
    hi = min(hi, LOG10_FLOAT_MAX)
    first, last = math.floor(lo), math.ceil(hi)
    span = hi - lo
    mantissas = range(1, 10) if span < 1 else (1, 2, 5) if span < 2 else (1,)
    stride = max(1, (last - first) // 6)
    ticks = [e + math.log10(m) for e in range(first, last + 1, stride) for m in mantissas]
    ticks = [t for t in ticks if lo - 1e-9 <= t <= hi + 1e-9]
    if len(ticks) < 2:
        ticks = sorted({lo, hi, *ticks})
    return [(t, tick_label(10 ** t)) for t in ticks]


def linear_ticks(lo: float, hi: float, most: int = 5) -> Ticks:
    """Round values from ``lo`` to ``hi`` (1-2-5 spacing, at most ``most`` + 1 ticks)."""
    spacing = nice_spacing(hi - lo, most)
    first = math.ceil(lo / spacing)
    values = [i * spacing for i in range(first, int(math.floor(hi / spacing)) + 1)]
    return [(v, f"{v:.3g}") for v in values]


def tick_label(value: float) -> str:
    """Short axis label: 0.05, 20, 1e-8, 3e5."""
    if 1e-3 <= value < 1e4:
        return np.format_float_positional(value, precision=2, fractional=False, trim="-")
    mantissa, exponent = f"{value:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"


class LinePlot(StripsView):
    """Shows a ``Chart``; ``show_chart`` replaces it, draws it at the widget's size and
    repaints only the rows that changed. ``render_cost`` is the CPU seconds the last drawing
    took on the UI thread, the time it held the GIL: a screen that paces redraws by it draws
    less often where drawing is slow. (Not wall-clock seconds: those also count the waits
    for the GIL while the training thread holds it, and paced by them the plots fell to 5
    redraws a second at 200x60 beside a training run.)"""

    DEFAULT_CSS = "LinePlot { width: 1fr; height: 1fr; }"

    render_cost = 0.0
    redraws = 0
    """Charts drawn so far."""
    drawing_seconds = 0.0
    """CPU seconds spent drawing charts so far."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._chart: Chart | None = None
        self._notes: tuple[str, ...] = ()

    def show_chart(self, chart: Chart) -> None:
        self._chart = chart
        self.redraw()

    def show_note(self, *notes: str) -> None:
        """A note in the middle instead of a chart, for a plot with nothing to draw yet (an
        empty chart would show an axis range made up from nothing): the first of ``notes``
        (longest first) that fits the plot's width."""
        if self._chart is None and notes == self._notes:
            return
        self._chart, self._notes = None, notes
        self.redraw()

    def rows(self, width: int) -> list[Strip]:
        height = self.size.height
        if self._chart is None or not height:
            rows = [Strip.blank(width)] * height
            if height:
                note = next((note for note in self._notes if len(note) <= width), "")
                rows[(height - 1) // 2] = Strip([Segment(note.center(width), NOTE_STYLE)], width)
            return rows
        start = thread_time()
        strips = draw_chart(self._chart, width, height)
        self.render_cost = thread_time() - start
        self.redraws += 1
        self.drawing_seconds += self.render_cost
        return strips
