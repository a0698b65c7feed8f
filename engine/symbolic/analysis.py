"""A typed function at a point: value, gradient, Hessian and what its curvature says.

Every derivative is symbolic (``rules.derive``) and checked against a central difference
(``central_difference``); the Hessian's eigenvalues classify a critical point as a
minimum, maximum, saddle or degenerate (the second-derivative test says nothing there).
Also the Jacobian of a vector function, the softmax's s_i(δij - s_j), a total derivative
dz/dt along a path, and the critical points of f found by Newton's method on the gradient.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from gradtui.engine.calculus.curvature import classify as point_kind
from gradtui.engine.symbolic.evaluate import evaluate
from gradtui.engine.symbolic.rules import Derivation, derive
from gradtui.engine.symbolic.simplify import simplify
from gradtui.engine.symbolic.tree import Expr, Product, Sum, Var, substitute

CENTRAL_H = 1e-5
"""Step of the central difference, relative to max(1, |coordinate|)."""


def central_difference(expr: Expr, var: str, point: Mapping[str, float], h: float = CENTRAL_H) -> float:
    """(f(p + h e_var) - f(p - h e_var)) / 2h, with h scaled by max(1, |p_var|)."""
    step = h * max(1.0, abs(float(point[var])))
    up = dict(point, **{var: float(point[var]) + step})
    down = dict(point, **{var: float(point[var]) - step})
    with np.errstate(all="ignore"):  # inf - inf is nan: a value to show
        return float((evaluate(expr, up) - evaluate(expr, down)) / (2 * step))


def gradient(expr: Expr, variables: Sequence[str]) -> tuple[Derivation, ...]:
    """One derivation per variable, in order (the gradient's components are their results)."""
    return tuple(derive(expr, v) for v in variables)


def hessian(expr: Expr, variables: Sequence[str]) -> tuple[tuple[Expr, ...], ...]:
    """The symbolic second derivatives H[i][j] = d/dv_j (d f/dv_i), simplified."""
    first = gradient(expr, variables)
    return tuple(tuple(derive(d.result, v).result for v in variables) for d in first)


@dataclass(frozen=True)
class Curvature:
    """The Hessian's eigenvalues at a point and what they say: ``kind`` is "minimum",
    "maximum", "saddle", "degenerate" or "undefined" (a non-finite entry); ``critical``
    tells whether the gradient vanishes there (the classification is about critical points)."""

    eigenvalues: tuple[float, ...]
    kind: str
    critical: bool

    @property
    def sentence(self) -> str:
        """One line for the learner."""
        shape = {"minimum": "curves up in every direction",
                 "maximum": "curves down in every direction",
                 "saddle": "curves up one way and down another",
                 "degenerate": "is flat in some direction: the second-derivative test cannot decide",
                 "undefined": "has no finite Hessian here"}[self.kind]
        if self.critical:
            name = "a degenerate critical point" if self.kind == "degenerate" else f"a {self.kind}"
            return f"critical point: {name} (f {shape})" if self.kind != "undefined" else f"f {shape}"
        return f"not a critical point (gradient is not 0); f {shape}"


def classify(hess: np.ndarray, grad: np.ndarray, tol: float = 1e-9) -> Curvature:
    """Eigenvalues of the symmetric ``hess`` and the point's kind; ``tol`` is relative to the
    largest eigenvalue (and to the gradient's scale for "critical")."""
    hess = np.atleast_2d(np.asarray(hess, dtype=float))
    grad = np.atleast_1d(np.asarray(grad, dtype=float))
    if not (np.all(np.isfinite(hess)) and np.all(np.isfinite(grad))):
        return Curvature(tuple(float("nan") for _ in range(len(hess))), "undefined", False)
    eig = np.linalg.eigvalsh((hess + hess.T) / 2)
    kind, critical = point_kind(eig, grad, tol)  # calculus mode's rule, for every surface
    return Curvature(tuple(float(v) for v in eig), kind, critical)


@dataclass(frozen=True)
class Analysis:
    """f at one point: value, each partial derivative (symbolic, its value, the central
    difference beside it), the Hessian (symbolic and in numbers) and the curvature."""

    expr: Expr
    variables: tuple[str, ...]
    point: tuple[float, ...]
    value: float
    derivations: tuple[Derivation, ...]
    gradient: tuple[float, ...]
    numeric_gradient: tuple[float, ...]
    hessian_exprs: tuple[tuple[Expr, ...], ...]
    hessian: tuple[tuple[float, ...], ...]
    curvature: Curvature


def analyse(expr: Expr, variables: Sequence[str], point: Sequence[float]) -> Analysis:
    """Everything ``Analysis`` holds, at ``point`` (one coordinate per variable, in order)."""
    names = tuple(variables)
    env = {v: float(p) for v, p in zip(names, point)}
    derivations = gradient(expr, names)
    grad = tuple(float(evaluate(d.result, env)) for d in derivations)
    numeric = tuple(central_difference(expr, v, env) for v in names)
    h_exprs = tuple(tuple(derive(d.result, v).result for v in names) for d in derivations)
    h = tuple(tuple(float(evaluate(e, env)) for e in row) for row in h_exprs)
    return Analysis(expr, names, tuple(env.values()), float(evaluate(expr, env)), derivations, grad, numeric,
                    h_exprs, h, classify(np.array(h), np.array(grad)))


def jacobian(exprs: Sequence[Expr], variables: Sequence[str]) -> tuple[tuple[Expr, ...], ...]:
    """J[i][j] = d f_i / d v_j, simplified."""
    return tuple(tuple(d.result for d in gradient(f, variables)) for f in exprs)


@dataclass(frozen=True)
class JacobianAt:
    """A vector function f = (f_1, ..., f_m) at one point: its values and each entry
    J[i][j] = d f_i / d v_j (its derivation, its value, the central difference beside it)."""

    components: tuple[Expr, ...]
    variables: tuple[str, ...]
    point: tuple[float, ...]
    values: tuple[float, ...]
    derivations: tuple[tuple[Derivation, ...], ...]
    jacobian: tuple[tuple[float, ...], ...]
    numeric: tuple[tuple[float, ...], ...]


def jacobian_at(exprs: Sequence[Expr], variables: Sequence[str], point: Sequence[float]) -> JacobianAt:
    """Everything ``JacobianAt`` holds, at ``point`` (one coordinate per variable, in order)."""
    names = tuple(variables)
    env = {v: float(p) for v, p in zip(names, point)}
    derivations = tuple(gradient(f, names) for f in exprs)
    with np.errstate(all="ignore"):  # a value that is not finite is shown, not raised
        return JacobianAt(tuple(exprs), names, tuple(env.values()), tuple(float(evaluate(f, env)) for f in exprs),
                          derivations, tuple(tuple(float(evaluate(d.result, env)) for d in row) for row in derivations),
                          tuple(tuple(central_difference(f, v, env) for v in names) for f in exprs))


def softmax_jacobian(z: Sequence[float]) -> np.ndarray:
    """d s_i / d z_j = s_i (δij - s_j) for s = softmax(z), computed stably."""
    logits = np.asarray(z, dtype=float)
    s = np.exp(logits - logits.max())
    s /= s.sum()
    return np.diag(s) - np.outer(s, s)


@dataclass(frozen=True)
class TotalDerivative:
    """dz/dt for z(x, y) along x(t), y(t): the chain-rule terms (∂z/∂x · dx/dt and
    ∂z/∂y · dy/dt, in t) and their simplified sum."""

    terms: tuple[Expr, ...]
    result: Expr


def total_derivative(z: Expr, path: Mapping[str, Expr], t: str = "t") -> TotalDerivative:
    """dz/dt = sum over v of (∂z/∂v)(path) · d path_v/dt."""
    along: dict[Expr, Expr] = {Var(v): e for v, e in path.items()}
    terms = tuple(simplify(Product((substitute(derive(z, v).result, along), derive(e, t).result)))
                  for v, e in path.items())
    return TotalDerivative(terms, simplify(Sum(terms)))


def critical_points(expr: Expr, variables: Sequence[str], window: Sequence[tuple[float, float]],
                    starts_per_axis: int = 7, iterations: int = 60) -> list[tuple[tuple[float, ...], Curvature]]:
    """Points of ``window`` where the gradient vanishes, by Newton's method on the gradient
    from a grid of starts, each with its classification; sorted by coordinates."""
    with np.errstate(all="ignore"):
        return _critical_points(expr, tuple(variables), window, starts_per_axis, iterations)


def _critical_points(expr: Expr, names: tuple[str, ...], window: Sequence[tuple[float, float]],
                     starts_per_axis: int, iterations: int) -> list[tuple[tuple[float, ...], Curvature]]:
    grad_exprs = [d.result for d in gradient(expr, names)]
    h_exprs = [[derive(g, v).result for v in names] for g in grad_exprs]
    axes = [np.linspace(lo, hi, starts_per_axis) for lo, hi in window]
    found: list[np.ndarray] = []
    for start in np.array(np.meshgrid(*axes)).reshape(len(names), -1).T:
        p = start.astype(float)
        for _ in range(iterations):
            env = dict(zip(names, p))
            g = np.array([float(evaluate(e, env)) for e in grad_exprs])
            if not np.all(np.isfinite(g)):
                break
            if np.linalg.norm(g) < 1e-12:
                break
            h = np.array([[float(evaluate(e, env)) for e in row] for row in h_exprs])
            try:
                p = p - np.linalg.solve(h, g)
            except np.linalg.LinAlgError:
                break
        env = dict(zip(names, p))
        g = np.array([float(evaluate(e, env)) for e in grad_exprs])
        inside = all(lo - 1e-9 <= c <= hi + 1e-9 for c, (lo, hi) in zip(p, window))
        if inside and np.all(np.isfinite(g)) and np.linalg.norm(g) < 1e-9 and not any(
                np.linalg.norm(p - q) < 1e-6 for q in found):
            found.append(p)
    out = []
    for p in sorted(found, key=lambda q: [round(float(c), 9) for c in q]):
        env = dict(zip(names, p))
        h = np.array([[float(evaluate(e, env)) for e in row] for row in h_exprs])
        g = np.array([float(evaluate(e, env)) for e in grad_exprs])
        rounded: list[float] = np.round(p, 12).tolist()
        out.append((tuple(c + 0.0 for c in rounded), classify(h, g)))
    return out
