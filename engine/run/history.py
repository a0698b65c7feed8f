"""A bounded, decimated record of per-step numbers, so a million-step run stays visible and cheap.

Steps are grouped into buckets of ``width`` consecutive steps (bucket key =
step // width) keeping the min, max and last value of each channel. When there
are more than ``capacity`` buckets the width doubles and neighbours merge, so
memory and redraw cost are bounded however long the run gets, and a one-step
spike survives as a bucket's max. ``add`` only appends a tuple (it runs every
training step); ``flush`` folds the pending rows in with a few NumPy reductions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

FLUSH_EVERY = 4096
"""Pending rows are folded in at least this often, whoever reads the history."""


@dataclass(frozen=True)
class HistoryView:
    """Decimated arrays ready to draw: one entry per bucket, columns are channels."""

    steps: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    last: np.ndarray
    width: int

    def __len__(self) -> int:
        return len(self.steps)


class MinMaxHistory:
    """Min, max and last value per bucket of steps for ``channels`` numbers per step."""

    def __init__(self, channels: int, capacity: int = 512) -> None:
        self.channels = channels
        self.capacity = capacity
        self.clear()

    def clear(self) -> None:
        """Forget everything (after a reset)."""
        self.width = 1
        self._rows: list[tuple[float, ...]] = []
        self._keys = np.empty(0, dtype=np.int64)
        self._steps = np.empty(0, dtype=np.int64)
        self._lo = self._hi = self._last = np.empty((0, self.channels))

    def add(self, step: int, values: Sequence[float]) -> None:
        """Record one step's values (steps must not decrease)."""
        self._rows.append((step, *values))
        if len(self._rows) >= FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        """Fold the pending rows into the buckets."""
        if not self._rows:
            return
        block = np.array(self._rows, dtype=float).reshape(len(self._rows), self.channels + 1)
        self._rows = []
        steps = block[:, 0].astype(np.int64)
        values = block[:, 1:]
        self._keys = np.concatenate([self._keys, steps // self.width])
        self._steps = np.concatenate([self._steps, steps])
        self._lo = np.concatenate([self._lo, values])
        self._hi = np.concatenate([self._hi, values])
        self._last = np.concatenate([self._last, values])
        self._regroup()
        while len(self._keys) > self.capacity:
            self.width *= 2
            self._keys //= 2
            self._regroup()

    def _regroup(self) -> None:
        """Merge consecutive buckets that share a key."""
        keys = self._keys
        if len(keys) < 2:
            return
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        if len(starts) == len(keys):
            return
        ends = np.r_[starts[1:], len(keys)] - 1
        self._lo = np.fmin.reduceat(self._lo, starts, axis=0)
        self._hi = np.fmax.reduceat(self._hi, starts, axis=0)
        self._last = self._last[ends]
        self._steps = self._steps[ends]
        self._keys = keys[starts]

    def truncate(self, step: int) -> None:
        """Forget every bucket holding a step after ``step`` (after a rewind). A bucket that
        straddles ``step`` goes whole: its min, max and last mix in the abandoned future and
        cannot be taken apart, so the record ends up to ``width - 1`` steps early instead."""
        self.flush()
        keep = self._steps <= step
        self._keys, self._steps = self._keys[keep], self._steps[keep]
        self._lo, self._hi, self._last = self._lo[keep], self._hi[keep], self._last[keep]

    def resize(self, channels: int) -> None:
        """Keep ``channels`` channels from now on (the network changed its number of layers):
        the first ones keep their past, new ones start empty (NaN)."""
        self.flush()
        keep = min(channels, self.channels)
        pad = np.full((len(self._keys), channels - keep), np.nan)
        self._lo, self._hi, self._last = (np.hstack([a[:, :keep], pad]) for a in (self._lo, self._hi, self._last))
        self.channels = channels

    def view(self, max_points: int | None = None) -> HistoryView:
        """Copies of the buckets, merged further down to at most ``max_points`` of them."""
        self.flush()
        n = len(self._keys)
        if max_points is None or n <= max_points:
            return HistoryView(self._steps.copy(), self._lo.copy(), self._hi.copy(),
                               self._last.copy(), self.width)
        factor = -(-n // max_points)
        starts = np.arange(0, n, factor)
        ends = np.r_[starts[1:], n] - 1
        return HistoryView(self._steps[ends], np.fmin.reduceat(self._lo, starts, axis=0),
                           np.fmax.reduceat(self._hi, starts, axis=0), self._last[ends],
                           self.width * factor)

    @property
    def nbytes(self) -> int:
        """Memory held by the buckets (pending rows excluded)."""
        return sum(a.nbytes for a in (self._keys, self._steps, self._lo, self._hi, self._last))
