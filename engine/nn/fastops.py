"""Small-array speed helpers: NumPy's axis reductions are slow on tiny matrices, and its
segmented reductions (``np.add.reduceat``) are slow on long float32 vectors."""

from __future__ import annotations

import numpy as np

_ONES: dict[type, np.ndarray] = {}

DOT_MIN = 1 << 13
"""From this many elements on, ``segment_dots`` runs one BLAS dot per segment (no temporary,
vectorised, and more accurate than a running sum); below it a single segmented reduction
over all segments is fewer calls, which is what a small vector's time goes to."""


def ones(n: int, dtype: type = np.float64) -> np.ndarray:
    """A cached vector of n ones: ``ones(n) @ A`` sums A's rows several times faster than ``A.sum(0)``."""
    cached = _ONES.get(dtype)
    if cached is None or cached.size < n:
        cached = _ONES[dtype] = np.ones(max(n, 64, 2 * (0 if cached is None else cached.size)), dtype)
    return cached[:n]


def segment_dots(x: np.ndarray, y: np.ndarray | None, starts: np.ndarray, work: np.ndarray) -> np.ndarray:
    """Per-segment sums of ``x * y`` (of ``x`` when ``y`` is None) over the segments of the
    1-D vectors starting at ``starts`` (the first at 0): ``[x[a:b] @ y[a:b], ...]``. ``work``
    is scratch of x's size (used below ``DOT_MIN``). With ``y`` = ``x``: the segments'
    squared norms. An array, not a list: arrays of numbers cost the garbage collector nothing."""
    if x.size < DOT_MIN:
        return np.add.reduceat(x if y is None else np.multiply(x, y, out=work), starts)
    other = ones(x.size, x.dtype.type) if y is None else y
    ends = [*starts.tolist()[1:], x.size]
    return np.array([np.dot(x[a:b], other[a:b]) for a, b in zip(starts.tolist(), ends)])
