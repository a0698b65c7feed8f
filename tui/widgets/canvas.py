"""A character canvas addressed in data coordinates, rendered as Textual strips.

Three layers, bottom to top: a colour field drawn with half blocks (two pixels per
cell), lines drawn with braille dots (2x4 per cell, one colour per cell) and
single-cell glyphs. Lines are clipped and rasterised with NumPy, so paths of
thousands of steps, or points far outside the window, stay cheap and safe to draw.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

AXIS = Style(color="#808080")
"""Axis lines and tick labels."""

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
        """Each distinct colour formatted once: pictures hold far fewer colours than pixels."""
        r, g, b = np.moveaxis(np.rint(image).astype(np.int64), -1, 0)
        keys, where = np.unique((r << 16) | (g << 8) | b, return_inverse=True)
        names = np.array([f"#{key:06x}" for key in keys.tolist()], dtype=object)
        return names[where.reshape(r.shape)].tolist()

    return Backdrop(hexes(top), hexes(bottom), hexes((top + bottom) / 2))


def colour_map(t: np.ndarray, stops: list[tuple[int, int, int]]) -> np.ndarray:
    """RGB (uint8, shape t.shape + (3,)) for values ``t`` in [0, 1] along evenly spaced colour stops."""
    t = np.clip(np.nan_to_num(np.asarray(t, dtype=float), nan=1.0), 0.0, 1.0)
    anchors = np.linspace(0.0, 1.0, len(stops))
    channels = [np.interp(t, anchors, [s[i] for s in stops]) for i in range(3)]
    return np.rint(np.stack(channels, axis=-1)).astype(np.uint8)


_BRAILLE_CHARS = np.array([chr(0x2800 + bits) if bits else " " for bits in range(256)], dtype="<U1")
"""The character for each braille bit pattern (a space for none)."""


def _unique_rows(ends: np.ndarray, tags: np.ndarray, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of integer segments (n, 4) inside [0, width] x [0, height] with
    their tags (n,), ordered by tag (one key per row: far faster than ``np.unique(axis=0)``)."""
    u0, v0, u1, v1 = (ends + 1).T  # + 1: an end may sit at -1 after flooring a clipped coordinate
    w, h = width + 2, height + 2
    keys = np.sort((((tags * w + u0) * h + v0) * w + u1) * h + v1)
    keys = keys[np.r_[True, keys[1:] != keys[:-1]]]  # np.unique's first call costs ~25 ms (first paint)
    keys, v1 = np.divmod(keys, h)
    keys, u1 = np.divmod(keys, w)
    keys, v0 = np.divmod(keys, h)
    tags, u0 = np.divmod(keys, w)
    return np.column_stack([u0, v0, u1, v1]) - 1, tags


@lru_cache(maxsize=8192)
def _style(fg: str | None, bg: str | None, bold: bool = False) -> Style:
    return Style(color=fg, bgcolor=bg, bold=bold)


def _within(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """``np.clip`` without its per-call checks (tens of microseconds, many times a frame)."""
    return np.minimum(np.maximum(values, lo), hi)


def clip_segments(segs: np.ndarray, width: float, height: float) -> np.ndarray:
    """Segments (n, 4) as x0, y0, x1, y1 clipped to [0, width) x [0, height)
    (Liang-Barsky); segments outside, or with a non-finite end, are dropped."""
    clipped, keep = _clip(np.asarray(segs, dtype=float).reshape(-1, 4), width, height)
    return clipped[keep]


def _clip(segs: np.ndarray, width: float, height: float) -> tuple[np.ndarray, np.ndarray]:
    """``clip_segments`` before dropping: every segment clipped, and which ones to keep."""
    x0, y0, x1, y1 = segs.T
    dx, dy = x1 - x0, y1 - y0
    right, bottom = width - 1e-6, height - 1e-6
    p = np.stack([-dx, dx, -dy, dy])
    q = np.stack([x0, right - x0, y0, bottom - y0])
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratio = q / p
        t0 = np.max(np.where(p < 0, ratio, 0.0), axis=0)
        t1 = np.min(np.where(p > 0, ratio, 1.0), axis=0)
        clipped = np.column_stack([x0 + t0 * dx, y0 + t0 * dy, x0 + t1 * dx, y0 + t1 * dy])
    keep = np.isfinite(segs).all(axis=1) & (t0 <= t1) & ~((p == 0) & (q < 0)).any(axis=0)
    return clipped, keep


FAR_DOTS = 1e6
"""Dot coordinates are clamped to +-this before rasterising, so huge values stay integers."""


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

    def to_dots(self, points: npt.ArrayLike) -> np.ndarray:
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
        self.polylines([(points, colour)])

    def polylines(self, paths: list[tuple[np.ndarray, str]]) -> None:
        """Several polylines (points (n, 2), colour) rasterised together, later ones on
        top where they share a cell: one set of NumPy calls however many there are."""
        segs: list[np.ndarray] = []
        path_tags: list[np.ndarray] = []
        for points, colour in paths:
            # Coordinates far outside (a diverged fit at 1e153) would overflow the integer
            # rasteriser; a million dots out is off any screen, and the slope barely moves.
            dots = _within(self.to_dots(points), -FAR_DOTS, FAR_DOTS)
            if len(dots) == 1:
                dots = np.vstack([dots, dots])
            if len(dots) < 2:
                continue
            segs.append(np.hstack([dots[:-1], dots[1:]]))
            path_tags.append(np.full(len(dots) - 1, self._colour_index(colour)))
        if not segs:
            return
        width, height = 2 * self.width, 4 * self.height
        clipped, keep = _clip(np.concatenate(segs), width, height)
        if not keep.any():
            return
        ends, tags = _unique_rows(np.floor(clipped[keep]).astype(np.int64), np.concatenate(path_tags)[keep],
                                  width, height)
        counts = np.abs(ends[:, 2:] - ends[:, :2]).max(axis=1) + 1
        which = np.repeat(np.arange(len(ends)), counts)
        k = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)  # dot k of its segment
        steps = (ends[:, 2:] - ends[:, :2]) / np.maximum(counts - 1, 1)[:, None]  # per dot, along u and v
        u = _within(np.rint(ends[which, 0] + k * steps[which, 0]).astype(int), 0, width - 1)
        v = _within(np.rint(ends[which, 1] + k * steps[which, 1]).astype(int), 0, height - 1)
        self._set_dots(u, v, tags[which])

    def dots(self, points: np.ndarray, colour: str) -> None:
        """One braille dot at each data point (n, 2) inside the window (a scatter plot)."""
        uv = np.floor(self.to_dots(points))
        uv = uv[np.isfinite(uv).all(axis=1)]
        uv = uv[((uv >= 0) & (uv < (2 * self.width, 4 * self.height))).all(axis=1)].astype(int)
        if len(uv):
            self._set_dots(uv[:, 0], uv[:, 1], self._colour_index(colour))

    def _colour_index(self, colour: str) -> int:
        if colour not in self._colours:
            self._colours.append(colour)
        return self._colours.index(colour)

    def _set_dots(self, u: np.ndarray, v: np.ndarray, colour: int | np.ndarray) -> None:
        """Turn on the dots at dot coordinates (u, v), their cells taking the colour
        (index, or one index per dot; the last dot in a cell decides)."""
        cells = v // 4 * self.width + u // 2
        on = np.zeros((self.height * self.width, 8), dtype=np.uint8)
        on[cells, v % 4 * 2 + u % 2] = 1
        self._dots |= (on @ _BRAILLE.ravel()).reshape(self.height, self.width)  # 8 bits sum to 255 at most
        self._dot_colour.ravel()[cells] = colour

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
        return [Strip(row, self.width) for row in self.rows()]

    def rows(self) -> list[list[Segment]]:
        """The segments of each row (``strips`` before they become strips)."""
        if self.field is None:
            return self._line_rows()
        return [self._row(r) for r in range(self.height)]

    def _line_rows(self) -> list[list[Segment]]:
        """``rows`` without a colour field, with NumPy: each cell's character and a style key
        (0 blank, 1.. a dot colour, beyond that a glyph), then one segment per run of equal
        keys. A blank cell takes the key of the cell before it (a space shows no colour),
        so a sparse line is a few segments, not one per gap."""
        chars = _BRAILLE_CHARS[self._dots]
        keys = np.where(self._dots > 0, self._dot_colour.astype(np.int64) + 1, 0)
        styles = [_style(None, None)] + [_style(colour, None) for colour in self._colours]
        for (r, c), (char, colour, bold) in self._glyphs.items():
            chars[r, c] = char
            keys[r, c] = len(styles)
            styles.append(_style(colour, None, bold))
        width, height = self.width, self.height
        shown = np.where(chars != " ", np.arange(width), 0)
        keys = np.take_along_axis(keys, np.maximum.accumulate(shown, axis=1), axis=1)
        rows_at, cols_at = np.nonzero(np.diff(keys, axis=1))
        bounds = np.searchsorted(rows_at, np.arange(height + 1)).tolist()
        cuts_at = (cols_at + 1).tolist()
        text, key_rows = chars.tobytes().decode("utf-32-le"), keys.tolist()
        rows = []
        for r in range(height):
            line, row = text[r * width:(r + 1) * width], key_rows[r]
            cuts = [0, *cuts_at[bounds[r]:bounds[r + 1]], width]
            rows.append([Segment(line[a:b], styles[row[a]]) for a, b in zip(cuts, cuts[1:])])
        return rows

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


def framed(canvas: Canvas, yticks: list[tuple[float, str]], xticks: list[tuple[float, str]],
           label_width: int) -> list[Strip]:
    """The canvas's strips with an axis on the left (tick labels right-aligned in
    ``label_width`` - 1 cells, at the rows holding their values; of two in one row, the
    one nearer its middle, the first on a tie) and one below (labels centred on their
    columns, a label that would overlap its left neighbour left out)."""
    (x0, x1), (y0, y1) = canvas.xlim, canvas.ylim
    width, height = canvas.width, canvas.height
    rows: dict[int, tuple[float, str]] = {}  # row -> (distance from the row's middle, label)
    for value, label in yticks:
        position = (y1 - value) / (y1 - y0) * height
        row = min(max(math.floor(position), 0), height - 1)
        off = abs(position - (row + 0.5))
        if row not in rows or off < rows[row][0]:
            rows[row] = (off, label)
    strips = []
    for r, segments in enumerate(canvas.rows()):
        tick = rows[r][1] if r in rows else None
        text = (tick or "")[: label_width - 1].rjust(label_width - 1) + ("│" if tick is None else "┤")
        strips.append(Strip([Segment(text, AXIS), *segments], label_width + width))
    axis = [" "] * width
    free = 0
    for value, label in xticks:
        centre = (value - x0) / (x1 - x0) * width
        start = min(max(round(centre - len(label) / 2), 0), max(width - len(label), 0))
        if start < free:
            continue
        axis[start:start + len(label)] = label
        free = start + len(label) + 1
    bottom = " " * (label_width - 1) + "└" + "".join(axis)[:width]
    return strips + [Strip([Segment(bottom, AXIS)], label_width + width)]
