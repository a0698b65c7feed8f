"""A grid of terminal cells (character, colours, bold) built with NumPy, turned into strips.

The network diagram is mostly colour (half-block pixels, histogram bars) with a few labels,
redrawn several times a second while training, on the UI thread (which, where training
shares the app's process, also holds the GIL the training thread needs). So each cell's look is one integer (foreground, background, bold),
runs of equal integers become one segment, each distinct integer's ``Style`` is made once
and cached across frames, and ``Cells.strips`` reuses the strips of rows that did not
change since the last frame (the widget then repaints only the others).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

NONE = -1
"""No colour (the terminal's own)."""
UPPER_HALF = "\u2580"
EIGHTHS = np.array([" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"])
"""A bar's top cell by its height in eighths of a cell."""


QUANTUM = 4
"""Colour channels are rounded to multiples of this: the eye cannot tell, and a picture
that changes a little between frames then repeats most of its colours (styles cached,
longer runs of equal cells)."""


def packed(rgb: np.ndarray) -> np.ndarray:
    """RGB (..., 3) in 0-255 as one integer per pixel, 0xRRGGBB, channels rounded to ``QUANTUM``."""
    channels = np.rint(np.clip(rgb, 0, 255) / QUANTUM).astype(np.int64) * QUANTUM
    r, g, b = np.moveaxis(np.minimum(channels, 255), -1, 0)
    return (r << 16) | (g << 8) | b


@lru_cache(maxsize=16384)
def style_of(key: int) -> Style:
    """The Style of a cell key (see ``Cells.keys``): made once per distinct look."""
    fg, bg, bold = (key >> 26) - 1, ((key >> 1) & 0x1FFFFFF) - 1, bool(key & 1)
    return Style(color=None if fg < 0 else f"#{fg:06x}", bgcolor=None if bg < 0 else f"#{bg:06x}",
                 bold=bold or None)


class Cells:
    """``height`` x ``width`` cells, blank until painted."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.chars = np.full((height, width), " ", dtype="<U1")
        self.fg = np.full((height, width), NONE, dtype=np.int64)
        self.bg = np.full((height, width), NONE, dtype=np.int64)
        self.bold = np.zeros((height, width), dtype=bool)

    def field(self, rgb: np.ndarray) -> None:
        """Every cell a half block of two pixels of ``rgb`` (2 * height, width, 3), or a blank
        on their colour when both are the same."""
        colours = packed(rgb)
        top, bottom = colours[0::2], colours[1::2]
        same = top == bottom
        self.chars[...] = np.where(same, " ", UPPER_HALF)
        self.fg[...], self.bg[...] = np.where(same, NONE, top), bottom

    def text(self, row: int, col: int, text: str, colour: str, bold: bool = False) -> None:
        """``text`` from (row, col) on, over the field (on the average of its two pixels), cut
        at the edges."""
        if not 0 <= row < self.height:
            return
        start, stop = max(col, 0), min(col + len(text), self.width)
        if start >= stop:
            return
        fg, bg = self.fg[row, start:stop], self.bg[row, start:stop]
        under = self.chars[row, start:stop] == UPPER_HALF
        self.bg[row, start:stop] = np.where(under, _average(fg, bg), bg)
        self.chars[row, start:stop] = list(text[start - col:stop - col])
        self.fg[row, start:stop] = int(colour.lstrip("#"), 16)
        self.bold[row, start:stop] = bold

    def keys(self) -> np.ndarray:
        """One integer per cell for its look: (fg + 1) << 26 | (bg + 1) << 1 | bold."""
        return ((self.fg + 1) << 26) | ((self.bg + 1) << 1) | self.bold

    def strips(self, previous: list[Strip] | None = None,
               previous_keys: np.ndarray | None = None) -> tuple[list[Strip], np.ndarray]:
        """The strips and the keys they were made from; rows equal to those of ``previous``
        (made from ``previous_keys``, same size) reuse their strip."""
        keys = self.keys()
        same = np.zeros(self.height, dtype=bool)
        if previous is not None and previous_keys is not None and previous_keys.shape == keys.shape:
            same = (keys == previous_keys).all(axis=1)
        cuts_all = np.diff(keys, axis=1) != 0
        strips = []
        for r in range(self.height):
            row = keys[r]
            text = self.chars[r].tobytes().decode("utf-32-le")
            if previous is not None and same[r] and previous[r].text == text:
                strips.append(previous[r])
                continue
            cuts = [0, *(np.flatnonzero(cuts_all[r]) + 1).tolist(), self.width]
            looks = row[cuts[:-1]].tolist()
            strips.append(Strip([Segment(text[a:b], style_of(k)) for a, b, k in zip(cuts, cuts[1:], looks)],
                                self.width))
        return strips, keys


def _average(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The average of two packed colours, channel by channel (NONE stays NONE)."""
    out = np.zeros_like(a)
    for shift in (16, 8, 0):
        out |= ((((a >> shift) & 0xFF) + ((b >> shift) & 0xFF)) // 2) << shift
    return np.where((a < 0) | (b < 0), NONE, out)
