"""Small-array speed helpers: NumPy's axis reductions are slow on tiny matrices."""

from __future__ import annotations

import numpy as np

_ONES = np.ones(0)


def ones(n: int) -> np.ndarray:
    """A cached vector of n ones: ``ones(n) @ A`` sums A's rows several times faster than ``A.sum(0)``."""
    global _ONES
    if _ONES.size < n:
        _ONES = np.ones(max(n, 2 * _ONES.size))
    return _ONES[:n]
