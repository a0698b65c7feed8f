"""The curvature of an objective at a point, read from its exact Hessian.

The Hessian's eigenvalues are the curvatures along its eigenvectors (the principal
axes); their signs classify a critical point (minimum: all positive, maximum: all
negative, saddle: both signs, degenerate: one is zero, so second derivatives cannot
decide; ``classify``, also the typed functions' rule), the ratio of the largest to the smallest magnitude is the condition number,
and the largest, λmax (the sharpness), sets the largest learning rate that still
converges (``stability.lr_limit``: 2/λmax for plain gradient descent). The critical
points of a surface are found by Newton's method on the gradient from a grid of starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from gradtui.engine.calculus.objectives import Objective, Point
from gradtui.engine.optim.stability import lr_limit

def classify(eigenvalues: np.ndarray, gradient: np.ndarray, tol: float = 1e-9) -> tuple[str, bool]:
    """What the Hessian's ``eigenvalues`` make a point, and whether it is critical (the
    ``gradient`` vanishes): "minimum", "maximum", "saddle", or "degenerate" when an
    eigenvalue is within ``tol`` (relative to the largest magnitude, or 1) of zero."""
    largest = max(1.0, float(np.max(np.abs(eigenvalues))))
    zero = tol * largest
    if np.all(eigenvalues > zero):
        kind = "minimum"
    elif np.all(eigenvalues < -zero):
        kind = "maximum"
    elif np.any(eigenvalues > zero) and np.any(eigenvalues < -zero):
        kind = "saddle"
    else:
        kind = "degenerate"
    return kind, bool(np.linalg.norm(gradient) <= 1e-7 * largest)


@dataclass(frozen=True)
class Curvature:
    """The Hessian at ``point``, its eigenvalues (ascending) and unit eigenvectors (the
    columns of ``eigenvectors``, in the same order), and the gradient there."""

    point: np.ndarray
    gradient: np.ndarray
    hessian: np.ndarray
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray

    @property
    def sharpness(self) -> float:
        """λmax, the largest eigenvalue."""
        return float(self.eigenvalues[-1])

    @property
    def condition_number(self) -> float:
        """max |λ| / min |λ| (λmax/λmin on a bowl); inf when an eigenvalue is zero."""
        magnitudes = np.abs(self.eigenvalues)
        low = float(magnitudes.min())
        return float(magnitudes.max()) / low if low > 0 else float("inf")

    @property
    def kind(self) -> str:
        """What the Hessian's signs give (``classify``: minimum, maximum, saddle or
        degenerate): the critical point when ``critical``, else f's local shape."""
        return classify(self.eigenvalues, self.gradient)[0]

    @property
    def critical(self) -> bool:
        """Whether the gradient vanishes here (to rounding, relative to the curvature)."""
        return classify(self.eigenvalues, self.gradient)[1]

    def lr_limit(self, optimizer: str = "sgd", momentum: float = 0.9) -> float | None:
        """The largest lr that still converges on this curvature (``stability.lr_limit``)."""
        return lr_limit(self.sharpness, optimizer, momentum)


def curvature(objective: Objective, x: object) -> Curvature:
    """The curvature of ``objective`` at ``x`` from its exact Hessian (``numpy.linalg.eigh``);
    ValueError where the Hessian is not finite."""
    point = objective.as_point(x)
    hessian = objective.hessian(point)
    if not np.all(np.isfinite(hessian)):
        raise ValueError(f"{objective.name} has no finite Hessian at {point.tolist()}")
    eigenvalues, eigenvectors = np.linalg.eigh(hessian)
    return Curvature(point.copy(), objective.grad(point), hessian, eigenvalues, eigenvectors)


@dataclass(frozen=True)
class CriticalPoint:
    """A point where the gradient vanishes, and what the Hessian's signs make it."""

    point: Point
    kind: str


NEWTON_GRID = 9
"""Newton starts per axis across the window (9 for a curve, 9 x 9 for a surface)."""


@lru_cache(maxsize=64)
def critical_points(objective: Objective) -> tuple[CriticalPoint, ...]:
    """The critical points inside ``objective``'s window, each found by Newton's method
    on the gradient (x -= H⁻¹ grad) from a grid of starts, duplicates merged, sorted."""
    bounds = np.array(objective.window, dtype=float).reshape(objective.dim, 2)
    span = bounds[:, 1] - bounds[:, 0]
    axes = [np.linspace(lo, hi, NEWTON_GRID) for lo, hi in bounds]
    starts = np.stack([a.ravel() for a in np.meshgrid(*axes)], axis=1)
    found: list[np.ndarray] = []
    for start in starts:
        x = _newton(objective, start)
        if x is None or not np.all(np.abs(x - bounds.mean(axis=1)) <= 0.5 * span * (1 + 1e-9)):
            continue
        if all(np.linalg.norm((x - other) / span) > 1e-6 for other in found):
            found.append(x)
    found = [_snap(objective, x) for x in found]
    found.sort(key=lambda p: tuple(p))
    return tuple(CriticalPoint(tuple(float(v) for v in x), curvature(objective, x).kind) for x in found)


def _snap(objective: Objective, x: np.ndarray) -> np.ndarray:
    """``x``, or the known minimum it is (Newton stops within rounding of it, not on it)."""
    near = [m for m in objective.minima if np.linalg.norm(x - np.array(m)) <= 1e-6]
    return np.array(near[0], dtype=float) if near else x


def stability_point(objective: Objective, x: object) -> np.ndarray:
    """Where the curvature that decides convergence from ``x`` is read: the known minimum
    nearest ``x`` (descent converges there exactly when lr is below that minimum's limit),
    or ``x`` itself on a surface without one."""
    p = objective.as_point(x)
    if not objective.minima or not np.all(np.isfinite(p)):
        return p
    return np.array(min(objective.minima, key=lambda m: float(np.linalg.norm(p - np.array(m)))), dtype=float)


def _newton(objective: Objective, x: np.ndarray, steps: int = 100) -> np.ndarray | None:
    """Newton's iteration on the gradient from ``x``; the point where the gradient
    vanishes, or None if it does not settle (a singular Hessian, or a wander off)."""
    for _ in range(steps):
        g = objective.grad(x)
        h = objective.hessian(x)
        scale = max(1.0, float(np.max(np.abs(h))))
        if np.linalg.norm(g) <= 1e-12 * scale:
            return x
        try:
            x = x - np.linalg.solve(h, g)
        except np.linalg.LinAlgError:
            return None
        if not np.all(np.isfinite(x)):
            return None
    g = objective.grad(x)
    return x if np.linalg.norm(g) <= 1e-9 * max(1.0, float(np.max(np.abs(objective.hessian(x))))) else None
