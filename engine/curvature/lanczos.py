"""The largest eigenvalues and eigenvectors of a symmetric operator known only by its
products with vectors: Lanczos with full reorthogonalisation.

Every new Krylov vector is orthogonalised twice against all earlier ones (classical
Gram-Schmidt, repeated), so the basis stays orthonormal to rounding and no spurious
copies of converged eigenvalues appear; the cost is O(n m) per iteration on top of one
product, small beside a Hessian-vector product. The start vector is a seeded Gaussian,
so a seed fixes the result; ``start`` (e.g. the previous step's top eigenvector) warm-
starts it and usually converges in a few iterations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

DEFAULT_TOL = 1e-6
"""Relative residual at which an eigenpair counts as converged (see ``lanczos``)."""


@dataclass(frozen=True)
class Eigen:
    """Ritz pairs, largest eigenvalue first.

    ``vectors[:, i]`` (unit length) goes with ``values[i]``; ``residuals[i]`` bounds
    ``|H q - value q|`` for that pair, and so the distance from ``values[i]`` to an exact
    eigenvalue; ``converged`` says whether every residual is within the tolerance asked for.
    """

    values: np.ndarray
    vectors: np.ndarray
    residuals: np.ndarray
    iterations: int
    converged: bool


def lanczos(matvec: Callable[[np.ndarray], np.ndarray], n: int, k: int = 1, tol: float = DEFAULT_TOL,
            max_iter: int | None = None, seed: int = 0, start: np.ndarray | None = None) -> Eigen:
    """The ``k`` largest (algebraic) eigenvalues of the symmetric n x n operator ``matvec``.

    Stops when each of the ``k`` Ritz pairs has residual ``|H q - theta q| <= tol * scale``
    (``scale`` the largest |Ritz value|; the residual is the Lanczos bound beta_m |s_m|,
    which full reorthogonalisation keeps honest), or after ``max_iter`` products (default
    min(n, 300)); after n products the result is exact. ``values`` then lie within
    ``residuals`` of true eigenvalues (usually far closer: the error is about residual^2/gap).
    """
    if not 1 <= k <= n:
        raise ValueError(f"k must be from 1 to the operator's size {n}, got {k}")
    limit = min(n, 300 if max_iter is None else max(int(max_iter), k))
    rng = np.random.default_rng(seed)
    q = rng.standard_normal(n) if start is None else np.array(start, dtype=np.float64)
    if q.shape != (n,) or not np.linalg.norm(q) > 0:
        raise ValueError(f"start must be a nonzero vector of length {n}")
    basis = np.zeros((limit, n))
    basis[0] = q / np.linalg.norm(q)
    alphas, betas = np.zeros(limit), np.zeros(limit)
    for m in range(1, limit + 1):
        j = m - 1
        w = np.asarray(matvec(basis[j]), dtype=np.float64)
        alphas[j] = basis[j] @ w
        for _ in range(2):  # full reorthogonalisation, twice is enough
            w -= basis[:m].T @ (basis[:m] @ w)
        beta = float(np.linalg.norm(w))
        theta, s = np.linalg.eigh(_tridiagonal(alphas[:m], betas[:m - 1]))
        residuals = beta * np.abs(s[-1, -min(k, m):])
        scale = max(float(np.abs(theta).max()), np.finfo(float).tiny)
        done = m >= k and bool((residuals <= tol * scale).all())
        if done or m == limit or m == n:
            break
        if beta <= 1e-12 * scale:  # an invariant subspace: continue from a fresh direction
            w = rng.standard_normal(n)
            for _ in range(2):
                w -= basis[:m].T @ (basis[:m] @ w)
            beta_next, beta = float(np.linalg.norm(w)), 0.0
            basis[m] = w / beta_next
        else:
            basis[m] = w / beta
        betas[j] = beta
    count = min(k, m)
    order = np.argsort(theta)[::-1][:count]
    vectors = basis[:m].T @ s[:, order]
    residuals = beta * np.abs(s[-1, order])
    return Eigen(theta[order], vectors, residuals, m, bool(m >= k and (residuals <= tol * scale).all()))


def _tridiagonal(alphas: np.ndarray, betas: np.ndarray) -> np.ndarray:
    m = len(alphas)
    t = np.diag(alphas)
    if m > 1:
        idx = np.arange(m - 1)
        t[idx, idx + 1] = t[idx + 1, idx] = betas
    return t
