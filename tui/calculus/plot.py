"""The calculus screen's picture and the widget that shows it.

Three pictures from one ``CalculusSession``: a 1-D objective as a curve with the
tangent at the current point; a 2-D objective as a heat map of log-scaled f with
contour bands and the descent direction as an arrow; and the derivative view, a curve
with a point, the secant through a second point h away, and the tangent. Every lane's
path is drawn in its optimizer's colour, the selected lane on top.
"""

from __future__ import annotations

from functools import lru_cache
from typing import cast

import numpy as np
from rich.segment import Segment
from textual.strip import Strip
from textual.widget import Widget

from gradtui.engine import Objective

from gradtui.tui.widgets.canvas import AXIS, Backdrop, Canvas, backdrop, colour_map, framed
from gradtui.tui.calculus.curvature_view import draw_curvature
from gradtui.tui.calculus.session import CalculusSession, Lane

OPTIMIZER_COLOURS = {"sgd": "#ff5f5f", "momentum": "#ffaf00", "nesterov": "#f0f05a",
                     "rmsprop": "#5fff87", "adam": "#5fd7ff"}
CURVE, TANGENT, SECANT, MARK, DIVERGED = "#b0b0b0", "#5fff87", "#ffaf00", "#ffffff", "#ff3030"
HEAT_STOPS = [(10, 14, 40), (24, 44, 90), (34, 92, 118), (84, 128, 128), (150, 150, 130)]
CONTOUR_BANDS = 12
LABEL_WIDTH = 8
ARROW_DOTS = 16
ARROWS = "→↗↑↖←↙↓↘"


def lane_colour(name: str) -> str:
    return OPTIMIZER_COLOURS.get(name, MARK)


def render_picture(session: CalculusSession, width: int, height: int,
                   derivative: bool = False, curvature: bool = False) -> list[Strip]:
    """The picture for a ``width`` x ``height`` area, axis labels included; ``curvature``
    adds the curvature view's marks (``draw_curvature``)."""
    cw, ch = width - LABEL_WIDTH, height - 1
    if cw < 4 or ch < 2:
        note = "too small"[:width]
        return [Strip([Segment(note, AXIS)], len(note))] + [Strip.blank(width)] * (height - 1)
    if derivative:
        canvas = _derivative(session, cw, ch)
    elif session.objective.dim == 1:
        canvas = _curve(session, cw, ch)
    else:
        canvas = _surface(session, cw, ch)
    if curvature and not derivative:
        draw_curvature(canvas, session)
    return with_axes(canvas)


def log_levels(values: np.ndarray) -> np.ndarray:
    """``values`` mapped to [0, 1] on a log scale above their minimum, so a valley floor
    a thousand times lower than the walls still shows its shape."""
    rel = np.nan_to_num(values - np.nanmin(values), nan=np.inf, posinf=np.inf)
    top = float(np.max(rel[np.isfinite(rel)], initial=0.0))
    scale = max(top * 1e-3, np.finfo(float).tiny)
    with np.errstate(over="ignore"):
        return np.minimum(np.log1p(rel / scale) / np.log1p(top / scale), 1.0) if top else rel * 0.0


@lru_cache(maxsize=16)
def heat_field(objective: Objective, width: int, height: int) -> Backdrop:
    """f over the window sampled at two pixels per cell, coloured by ``log_levels`` with
    every other contour band darker."""
    # Only 2-D objectives get a heat map, so the window is ((xmin, xmax), (ymin, ymax)).
    (x0, x1), (y0, y1) = cast("tuple[tuple[float, float], tuple[float, float]]", objective.window)
    xs = x0 + (np.arange(width) + 0.5) / width * (x1 - x0)
    ys = y1 - (np.arange(2 * height) + 0.5) / (2 * height) * (y1 - y0)
    with np.errstate(over="ignore", invalid="ignore"):
        return heat_backdrop(objective.f_grid(*np.meshgrid(xs, ys)))


def heat_backdrop(values: np.ndarray) -> Backdrop:
    """A heat map of ``values`` (2 * rows, columns), one value per pixel: coloured by
    ``log_levels`` with every other contour band darker."""
    t = log_levels(values)
    shade = np.where(np.floor(t * CONTOUR_BANDS) % 2 == 1, 0.8, 1.0)
    return backdrop(colour_map(t, HEAT_STOPS) * shade[..., None])


def _surface(session: CalculusSession, cw: int, ch: int) -> Canvas:
    (x0, x1), (y0, y1) = session.bounds
    canvas = Canvas(cw, ch, (x0, x1), (y0, y1))
    canvas.field = heat_field(session.objective, cw, ch)
    for x, y in session.objective.minima:
        canvas.mark(x, y, "✕", MARK, bold=True)
    _lanes(canvas, session, lambda path: path)
    _arrow(canvas, session.focus)
    return canvas


def _curve(session: CalculusSession, cw: int, ch: int) -> Canvas:
    objective = session.objective
    canvas = _curve_canvas(lambda xs: objective.f_grid(xs), tuple(session.bounds[0]), cw, ch)
    for (m,) in objective.minima:
        canvas.mark(m, objective.f(m), "✕", MARK, bold=True)
    _lanes(canvas, session, lambda path: np.column_stack([path[:, 0], objective.f_grid(path[:, 0])]))
    row = session.focus.last
    x, fx, slope = float(row.x[0]), row.f, float(row.grad[0])
    reach = 0.15 * session.x_span
    _line(canvas, x, fx, slope, x - reach, x + reach, TANGENT)
    return canvas


def _derivative(session: CalculusSession, cw: int, ch: int) -> Canvas:
    f, x, exact = session.slice()
    canvas = _curve_canvas(np.vectorize(f, otypes=[float]), tuple(session.bounds[0]), cw, ch)
    if not np.isfinite([x, exact]).all():
        return canvas
    h = session.secant_h
    (row,) = session.secants([session.h])
    fx = f(x)
    low, high = canvas.xlim
    _line(canvas, x, fx, row.slope, low, high, SECANT)
    _line(canvas, x, fx, exact, low, high, TANGENT)
    canvas.mark(x + h, f(x + h), "○", SECANT, bold=True, clamp=True)
    canvas.mark(x, fx, "●", MARK, bold=True, clamp=True)
    return canvas


def _curve_canvas(f, window: tuple[float, float], cw: int, ch: int) -> Canvas:
    """A canvas framing the graph of ``f`` (vectorised) over ``window``, with the graph drawn."""
    xs = np.linspace(*window, 4 * cw)
    with np.errstate(over="ignore", invalid="ignore"):
        fs = f(xs)
    finite = fs[np.isfinite(fs)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    pad = 0.04 * (high - low) or 1.0
    canvas = Canvas(cw, ch, window, (low - pad, high + pad))
    canvas.polyline(np.column_stack([xs, fs]), CURVE)
    return canvas


def _line(canvas: Canvas, x: float, y: float, slope: float, low: float, high: float,
          colour: str) -> None:
    """The line through (x, y) with ``slope``, drawn from ``low`` to ``high``."""
    ts = np.array([low, high])
    with np.errstate(over="ignore", invalid="ignore"):
        canvas.polyline(np.column_stack([ts, y + slope * (ts - x)]), colour)


def _lanes(canvas: Canvas, session: CalculusSession, to_plane) -> None:
    """Each lane's path (``to_plane`` maps its points into the canvas's coordinates),
    start and current point; the selected lane last, so on top."""
    lanes = sorted(session.lanes.values(), key=lambda lane: lane is session.focus)
    for lane in lanes:
        points = to_plane(lane.path)
        colour = lane_colour(lane.name)
        canvas.polyline(points, colour)
        if session.objective.dim == 1:
            canvas.scatter(points, "•", colour)
    x, y = to_plane(session.focus.path[:1])[0]
    canvas.mark(x, y, "○", MARK, bold=True)
    for lane in lanes:
        x, y = to_plane(lane.path[-1:])[0]
        canvas.mark(x, y, "●", DIVERGED if lane.diverged else lane_colour(lane.name),
                    bold=True, clamp=True)


def _arrow(canvas: Canvas, lane: Lane) -> None:
    """A fixed-length arrow from the current point along -grad f, as it looks on screen."""
    row = lane.last
    if lane.diverged or not np.isfinite(row.grad).all() or not row.grad.any():
        return
    start, towards = canvas.to_dots(np.array([row.x, row.x - row.grad]))
    direction = towards - start
    norm = float(np.hypot(*direction))
    if not np.isfinite(norm) or norm == 0:
        return
    tip = canvas.from_dots(start + direction / norm * ARROW_DOTS)[0]
    canvas.polyline(np.array([row.x, tip]), MARK)
    angle = np.arctan2(-direction[1], direction[0])
    canvas.mark(tip[0], tip[1], ARROWS[int(np.round(angle / (np.pi / 4))) % 8], MARK, bold=True)


def with_axes(canvas: Canvas) -> list[Strip]:
    """The canvas with y labels (top, middle, bottom) on the left and x labels below."""
    (x0, x1), (y0, y1) = canvas.xlim, canvas.ylim
    yticks = [(v, f"{v:.3g}"[: LABEL_WIDTH - 1]) for v in (y1, (y0 + y1) / 2, y0)]
    xticks = [(v, f"{v:.3g}") for v in (x0, (x0 + x1) / 2, x1)]
    return framed(canvas, yticks, xticks, LABEL_WIDTH)


class CalculusPlot(Widget):
    """Shows ``render_picture`` for a session; call ``redraw`` after the session changes."""

    DEFAULT_CSS = "CalculusPlot { width: 1fr; height: 1fr; }"

    def __init__(self, session: CalculusSession, **kwargs) -> None:
        super().__init__(**kwargs)
        self.session = session
        self.derivative = False
        self.curvature = False
        self._strips: list[Strip] | None = None
        self._drawn_size: tuple[int, int] | None = None

    def redraw(self) -> None:
        self._strips = None
        self.refresh()

    def render_line(self, y: int) -> Strip:
        size = (self.size.width, self.size.height)
        if self._strips is None or self._drawn_size != size:
            self._strips = render_picture(self.session, *size, self.derivative, self.curvature)
            self._drawn_size = size
        return self._strips[y] if y < len(self._strips) else Strip.blank(size[0])
