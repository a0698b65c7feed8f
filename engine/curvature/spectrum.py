"""The whole Hessian of a small network, its spectrum, and the top eigenvalue of each
layer's diagonal block.

The full matrix costs one Hessian-vector product per parameter (column j is H e_j), so
it is offered up to ``MAX_FULL_PARAMETERS``; the per-layer blocks need only products
restricted to one layer's parameters and work at any size.
"""

from __future__ import annotations

import numpy as np

from gradtui.engine.curvature.hvp import HessianOperator
from gradtui.engine.curvature.lanczos import DEFAULT_TOL, lanczos

MAX_FULL_PARAMETERS = 5_000
"""Largest network whose full Hessian is built (5,000 products, a 200 MB matrix)."""


def full_hessian(op: HessianOperator) -> np.ndarray:
    """H as an n x n matrix, column by column, not symmetrised (its asymmetry is rounding)."""
    if op.n > MAX_FULL_PARAMETERS:
        raise ValueError(f"the full Hessian of {op.n:,} parameters is too big to build; gradtui builds "
                         f"it up to {MAX_FULL_PARAMETERS:,} (use the top eigenvalues or the trace)")
    H = np.empty((op.n, op.n))
    e = np.zeros(op.n)
    for j in range(op.n):
        e[j] = 1.0
        H[:, j] = op.matvec(e)
        e[j] = 0.0
    return H


def spectrum(op: HessianOperator) -> np.ndarray:
    """Every eigenvalue of H, ascending (``numpy.linalg.eigvalsh`` of its symmetric part)."""
    H = full_hessian(op)
    return np.linalg.eigvalsh((H + H.T) / 2)


def layer_sharpness(op: HessianOperator, tol: float = DEFAULT_TOL, seed: int = 0) -> list[float]:
    """The largest eigenvalue of each layer's diagonal block of H (the curvature along that
    layer's own parameters, the others held still), in layer order."""
    model = op.model
    tops = []
    for start, size in zip(model.layer_starts.tolist(), model.layer_sizes.tolist()):
        def block(u: np.ndarray, start: int = start, size: int = size) -> np.ndarray:
            v = np.zeros(op.n)
            v[start:start + size] = u
            return op.matvec(v)[start:start + size]
        tops.append(float(lanczos(block, size, 1, tol, seed=seed).values[0]))
    return tops
