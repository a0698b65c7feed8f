"""A character canvas addressed in data coordinates, rendered as Textual strips.

Three layers, bottom to top: a colour field drawn with half blocks (two pixels per
cell), lines drawn with braille dots (2x4 per cell, one colour per cell) and
single-cell glyphs. Lines are clipped and rasterised with NumPy, so paths of
thousands of steps, or points far outside the window, stay cheap and safe to draw.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

_BRAILLE = np.array([[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]], dtype=np.uint8)
"""Braille dot bit for (dot row 0-3, dot column 0-1) inside one cell."""


class Backdrop(NamedTuple):
    """A colour field as hex strings per cell: upper pixel, lower pixel, and their blend
    (the background under a glyph or braille dots)."""

    top: list[list[str]]
    bottom: list[list[str]]
    blend: list[list[str]]


def backdrop(rgb: np.ndarray) -> Backdrop:
    """The ``Backdrop`` of an RGB image of shape (2 * rows, columns, 3)."""
    rgb = np.asarray(rgb, dtype=float)
    top, bottom = rgb[0::2], rgb[1::2]

    def hexes(image: np.ndarray) -> list[list[str]]:
        return [[f"#{r:02x}{g:02x}{b:02x}" for r, g, b in row]
                for row in np.rint(image).astype(int).tolist()]

    return Backdrop(hexes(top), hexes(bottom), hexes((top + bottom) / 2))


def colour_map(t: np.ndarray, stops: list[tuple[int, int, int]]) -> np.ndarray:
    """RGB (uint8, shape t.shape + (3,)) for values ``t`` in [0, 1] along evenly spaced colour stops."""
    t = np.clip(np.nan_to_num(np.asarray(t, dtype=float), nan=1.0), 0.0, 1.0)
    anchors = np.linspace(0.0, 1.0, len(stops))
    channels = [np.interp(t, anchors, [s[i] for s in stops]) for i in range(3)]
    return np.rint(np.stack(channels, axis=-1)).astype(np.uint8)


@lru_cache(maxsize=8192)
def _style(fg: str | None, bg: str | None, bold: bool = False) -> Style:
    return Style(color=fg, bgcolor=bg, bold=bold)


def clip_segments(segs: np.ndarray, width: float, height: float) -> np.ndarray:
    """Segments (n, 4) as x0, y0, x1, y1 clipped to [0, width) x [0, height)
    (Liang-Barsky); segments outside, or with a non-finite end, are dropped."""
    segs = np.asarray(segs, dtype=float).reshape(-1, 4)
    segs = segs[np.isfinite(segs).all(axis=1)]
    x0, y0, x1, y1 = segs.T
    dx, dy = x1 - x0, y1 - y0
    right, bottom = width - 1e-6, height - 1e-6
    p = np.stack([-dx, dx, -dy, dy])
    q = np.stack([x0, right - x0, y0, bottom - y0])
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratio = q / p
        t0 = np.max(np.where(p < 0, ratio, 0.0), axis=0)
        t1 = np.min(np.where(p > 0, ratio, 1.0), axis=0)
    keep = (t0 <= t1) & ~((p == 0) & (q < 0)).any(axis=0)
    clipped = np.column_stack([x0 + t0 * dx, y0 + t0 * dy, x0 + t1 * dx, y0 + t1 * dy])
    return clipped[keep]


class Canvas:
    """``width`` x ``height`` cells showing data coordinates ``xlim`` x ``ylim`` (y upward)."""

    def __init__(self, width: int, height: int, xlim: tuple[float, float],
                 ylim: tuple[float, float]) -> None:
        self.width, self.height = width, height
        self.xlim, self.ylim = xlim, ylim
        self.field: Backdrop | None = None
        self._dots = np.zeros((height, width), dtype=np.uint8)
        self._dot_colour = np.full((height, width), -1, dtype=np.int16)
        self._colours: list[str] = []
        self._glyphs: dict[tuple[int, int], tuple[str, str, bool]] = {}

    def to_dots(self, points: np.ndarray) -> np.ndarray:
        """Data points (n, 2) as braille dot coordinates (n, 2): column, row from the top left."""
        pts = np.asarray(points, dtype=float).reshape(-1, 2)
        (x0, x1), (y0, y1) = self.xlim, self.ylim
        with np.errstate(over="ignore", invalid="ignore"):
            u = (pts[:, 0] - x0) / (x1 - x0) * 2 * self.width
            v = (y1 - pts[:, 1]) / (y1 - y0) * 4 * self.height
        return np.column_stack([u, v])

    def from_dots(self, dots: np.ndarray) -> np.ndarray:
        """Braille dot coordinates (n, 2) back to data points (n, 2)."""
        dots = np.asarray(dots, dtype=float).reshape(-1, 2)
        (x0, x1), (y0, y1) = self.xlim, self.ylim
        return np.column_stack([x0 + dots[:, 0] / (2 * self.width) * (x1 - x0),
                                y1 - dots[:, 1] / (4 * self.height) * (y1 - y0)])

    def polyline(self, points: np.ndarray, colour: str) -> None:
        """Straight segments through consecutive data points (n, 2), in braille dots."""
        dots = self.to_dots(points)
        if len(dots) == 1:
            dots = np.vstack([dots, dots])
        segs = clip_segments(np.hstack([dots[:-1], dots[1:]]), 2 * self.width, 4 * self.height)
        if not len(segs):
            return
        ends = np.unique(np.floor(segs).astype(np.int64), axis=0)
        counts = np.abs(ends[:, 2:] - ends[:, :2]).max(axis=1) + 1
        which = np.repeat(np.arange(len(ends)), counts)
        t = (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts))
        t = t / np.maximum(counts - 1, 1)[which]
        e = ends[which]
        u = np.clip(np.rint(e[:, 0] + t * (e[:, 2] - e[:, 0])).astype(int), 0, 2 * self.width - 1)
        v = np.clip(np.rint(e[:, 1] + t * (e[:, 3] - e[:, 1])).astype(int), 0, 4 * self.height - 1)
        rows, cols = v // 4, u // 2
        np.bitwise_or.at(self._dots, (rows, cols), _BRAILLE[v % 4, u % 2])
        if colour not in self._colours:
            self._colours.append(colour)
        self._dot_colour[rows, cols] = self._colours.index(colour)

    def mark(self, x: float, y: float, char: str, colour: str, bold: bool = False,
             clamp: bool = False) -> bool:
        """Put ``char`` in the cell holding data point (x, y) and return True. A point
        outside goes to the nearest edge cell when ``clamp`` (returning False), else nowhere."""
        u, v = self.to_dots([x, y])[0]
        if np.isnan(u) or np.isnan(v):
            return False
        col, row = np.floor(u / 2), np.floor(v / 4)
        inside = 0 <= col < self.width and 0 <= row < self.height
        if inside or clamp:
            cell = (int(np.clip(row, 0, self.height - 1)), int(np.clip(col, 0, self.width - 1)))
            self._glyphs[cell] = (char, colour, bold)
        return bool(inside)

    def scatter(self, points: np.ndarray, char: str, colour: str) -> None:
        """``char`` in every cell that holds one of the data points (n, 2); points outside are skipped."""
        cells = np.floor(self.to_dots(points) / (2, 4))
        cells = cells[np.isfinite(cells).all(axis=1)]
        inside = ((cells >= 0) & (cells < (self.width, self.height))).all(axis=1)
        for col, row in np.unique(cells[inside].astype(int), axis=0).tolist():
            self._glyphs[(row, col)] = (char, colour, False)

    def strips(self) -> list[Strip]:
        """One strip per row, runs of equal style merged into one segment."""
        return [Strip(self._row(r), self.width) for r in range(self.height)]

    def _row(self, r: int) -> list[Segment]:
        segments: list[Segment] = []
        text, style = "", None
        for c in range(self.width):
            char, cell_style = self._cell(r, c)
            if cell_style is style:
                text += char
                continue
            if text:
                segments.append(Segment(text, style))
            text, style = char, cell_style
        if text:
            segments.append(Segment(text, style))
        return segments

    def _cell(self, r: int, c: int) -> tuple[str, Style]:
        field = self.field
        under = field.blend[r][c] if field else None
        glyph = self._glyphs.get((r, c))
        if glyph:
            char, colour, bold = glyph
            return char, _style(colour, under, bold)
        bits = int(self._dots[r, c])
        if bits:
            return chr(0x2800 + bits), _style(self._colours[self._dot_colour[r, c]], under)
        if field:
            return "\u2580", _style(field.top[r][c], field.bottom[r][c])
        return " ", _style(None, None)
