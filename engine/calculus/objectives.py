"""Analytic objectives with exact gradients, for calculus mode.

Each objective writes its formula once, in ``_f``, ``_grad`` and ``_hessian`` (the
exact second derivatives, by hand), with NumPy operations that work on scalars and
arrays alike: ``f``/``grad``/``hessian`` evaluate one point and ``f_grid`` evaluates a
whole mesh (a curve for 1-D) for heat maps.
``lrs`` holds a learning rate per optimizer that behaves well on that surface.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar

import numpy as np

Point = tuple[float, ...]
Window = tuple[float, float] | tuple[tuple[float, float], tuple[float, float]]


REACH_TOL = 1e-3
"""Distance to a known minimum that counts as having reached it."""


@dataclass(frozen=True)
class Objective:
    """A function f: R^dim -> R with its exact gradient and viewing hints.

    Class attributes: ``name``, ``dim``, ``story`` (one line), ``lrs`` (default
    learning rate per optimizer name). Per instance: ``minima`` (the known global
    minima; empty when f is unbounded below), ``window`` ((xmin, xmax) for 1-D,
    ((xmin, xmax), (ymin, ymax)) for 2-D) and ``start`` (the default start point).
    """

    name: ClassVar[str]
    dim: ClassVar[int]
    story: ClassVar[str]
    lrs: ClassVar[dict[str, float]]
    start: ClassVar[Point]

    @property
    def minima(self) -> tuple[Point, ...]:
        """The known global minima (a class attribute, or a property of the parameters)."""
        raise NotImplementedError

    @property
    def window(self) -> Window:
        """The viewing window (a class attribute, or a property of the parameters)."""
        raise NotImplementedError

    def f(self, x: Any) -> float:
        """f at one point (a sequence of ``dim`` numbers, or a number when dim is 1)."""
        return float(self._f(*self.as_point(x)))

    def grad(self, x: Any) -> np.ndarray:
        """The exact gradient at one point, shape (dim,)."""
        return np.array(self._grad(*self.as_point(x)), dtype=float)

    def hessian(self, x: Any) -> np.ndarray:
        """The exact Hessian (second derivatives) at one point, shape (dim, dim), symmetric."""
        rows = self._hessian(*self.as_point(x))
        return np.array([[float(v) for v in row] for row in rows], dtype=float)

    def f_grid(self, *coords: np.ndarray) -> np.ndarray:
        """f over arrays of coordinates, element-wise: ``f_grid(X, Y)`` for 2-D, ``f_grid(X)`` for 1-D."""
        if len(coords) != self.dim:
            raise ValueError(f"{self.name} takes {self.dim} coordinate array(s), got {len(coords)}")
        return np.asarray(self._f(*(np.asarray(c, dtype=float) for c in coords)), dtype=float)

    def reached(self, x: Any, tol: float = REACH_TOL) -> bool:
        """Whether ``x`` lies within ``tol`` of a known minimum: the one rule every mode and
        report uses for "reached the minimum"."""
        return self.distance_to_minimum(x) <= tol

    def distance_to_minimum(self, x: Any) -> float:
        """Euclidean distance from ``x`` to the nearest known minimum (inf when there is none)."""
        p = self.as_point(x)
        return min((float(np.linalg.norm(p - np.array(m))) for m in self.minima), default=np.inf)

    def as_point(self, x: Any) -> np.ndarray:
        """``x`` as a float array of shape (dim,), rejecting the wrong number of coordinates."""
        p = np.asarray(x, dtype=float)
        if p.size != self.dim:
            raise ValueError(f"{self.name} takes a point of {self.dim} coordinate(s), "
                             f"got shape {p.shape}")
        return p.reshape(self.dim)

    def _f(self, *coords):
        raise NotImplementedError

    def _grad(self, *coords):
        raise NotImplementedError

    def _hessian(self, *coords):
        raise NotImplementedError


@dataclass(frozen=True)
class Quadratic(Objective):
    """f(x) = a x^2 + b x + c; the vertex -b/(2a) is the minimum when a > 0."""

    a: float = 1.0
    b: float = 0.0
    c: float = 0.0

    name = "quadratic"
    dim = 1
    story = "A parabola: gradient descent multiplies the distance to the vertex by (1 - 2a*lr) each step."
    lrs = {"sgd": 0.1, "momentum": 0.02, "nesterov": 0.05, "rmsprop": 0.1, "adam": 0.3}
    start = (10.0,)

    @property
    def minima(self) -> tuple[Point, ...]:
        return ((-self.b / (2 * self.a),),) if self.a > 0 else ()

    @property
    def window(self) -> Window:
        vertex = -self.b / (2 * self.a) if self.a else 0.0
        half = 1.2 * max(abs(self.start[0] - vertex), 10.0)
        return (vertex - half, vertex + half)

    def _f(self, x):
        return self.a * x**2 + self.b * x + self.c

    def _grad(self, x):
        return (2 * self.a * x + self.b,)

    def _hessian(self, x):
        return ((2 * self.a,),)


@dataclass(frozen=True)
class Bowl(Objective):
    """f = 0.5 (x^2 + 25 y^2): condition number 25, so y is 25 times steeper than x."""

    name = "bowl"
    dim = 2
    story = "An ill-conditioned bowl: plain SGD zig-zags across the steep y walls while crawling along x."
    lrs = {"sgd": 0.07, "momentum": 0.01, "nesterov": 0.02, "rmsprop": 0.1, "adam": 0.2}
    minima = ((0.0, 0.0),)
    window = ((-10.0, 10.0), (-4.0, 4.0))
    start = (-9.0, 3.0)

    def _f(self, x, y):
        return 0.5 * (x**2 + 25 * y**2)

    def _grad(self, x, y):
        return (x, 25 * y)

    def _hessian(self, x, y):
        return ((1.0, 0.0), (0.0, 25.0))


@dataclass(frozen=True)
class Rosenbrock(Objective):
    """f = (a - x)^2 + b (y - x^2)^2, minimum (a, a^2) at the end of a curved flat valley."""

    a: float = 1.0
    b: float = 100.0

    name = "rosenbrock"
    dim = 2
    story = "A banana-shaped valley: finding the valley is easy, following its gentle floor is slow."
    lrs = {"sgd": 0.001, "momentum": 0.001, "nesterov": 0.001, "rmsprop": 0.001, "adam": 0.1}
    start = (-1.2, 1.0)

    @property
    def minima(self) -> tuple[Point, ...]:
        return ((self.a, self.a**2),)

    @property
    def window(self) -> Window:
        return ((min(-2.0, self.a - 1), max(2.0, self.a + 1)),
                (min(-1.0, self.a**2 - 1), max(3.0, self.a**2 + 1)))

    def _f(self, x, y):
        return (self.a - x) ** 2 + self.b * (y - x**2) ** 2

    def _grad(self, x, y):
        return (-2 * (self.a - x) - 4 * self.b * x * (y - x**2), 2 * self.b * (y - x**2))

    def _hessian(self, x, y):
        cross = -4 * self.b * x
        return ((2 - 4 * self.b * y + 12 * self.b * x**2, cross), (cross, 2 * self.b))


@dataclass(frozen=True)
class Himmelblau(Objective):
    """f = (x^2 + y - 11)^2 + (x + y^2 - 7)^2, four minima with f = 0."""

    name = "himmelblau"
    dim = 2
    story = "Four equal minima: which one you reach depends on where you start and how you step."
    lrs = {"sgd": 0.01, "momentum": 0.002, "nesterov": 0.002, "rmsprop": 0.05, "adam": 0.1}
    minima = ((3.0, 2.0), (-2.805118086952745, 3.131312518250573),
              (-3.779310253377747, -3.2831859912861696), (3.5844283403304917, -1.8481265269644034))
    window = ((-5.0, 5.0), (-5.0, 5.0))
    start = (0.0, 0.0)

    def _f(self, x, y):
        return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2

    def _grad(self, x, y):
        u, v = x**2 + y - 11, x + y**2 - 7
        return (4 * x * u + 2 * v, 2 * u + 4 * y * v)

    def _hessian(self, x, y):
        u, v = x**2 + y - 11, x + y**2 - 7
        cross = 4 * x + 4 * y
        return ((4 * u + 8 * x**2 + 2, cross), (cross, 4 * v + 8 * y**2 + 2))


@dataclass(frozen=True)
class Saddle(Objective):
    """f = x^2 - y^2: (0, 0) is a saddle point, and f is unbounded below, so no minima."""

    name = "saddle"
    dim = 2
    story = "A saddle: descent slides in along x, stalls near the flat middle, then escapes along y."
    lrs = {"sgd": 0.1, "momentum": 0.02, "nesterov": 0.02, "rmsprop": 0.01, "adam": 0.1}
    minima = ()
    window = ((-2.0, 2.0), (-2.0, 2.0))
    start = (1.5, 0.001)

    def _f(self, x, y):
        return x**2 - y**2

    def _grad(self, x, y):
        return (2 * x, -2 * y)

    def _hessian(self, x, y):
        return ((2.0, 0.0), (0.0, -2.0))


@dataclass(frozen=True)
class Beale(Objective):
    """f = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2, minimum (3, 0.5)."""

    name = "beale"
    dim = 2
    story = "Flat plateaus and steep ridges: step sizes that suit one region are wrong for the next."
    lrs = {"sgd": 0.01, "momentum": 0.005, "nesterov": 0.005, "rmsprop": 0.02, "adam": 0.1}
    minima = ((3.0, 0.5),)
    window = ((-4.5, 4.5), (-4.5, 4.5))
    start = (1.0, 1.0)

    def _f(self, x, y):
        return sum(t**2 for t, _, _ in self._terms(x, y))

    def _grad(self, x, y):
        terms = self._terms(x, y)
        return (sum(2 * t * dx for t, dx, _ in terms), sum(2 * t * dy for t, _, dy in terms))

    def _hessian(self, x, y):
        xx = xy = yy = 0.0
        for (t, dx, dy), k in zip(self._terms(x, y), (1, 2, 3)):
            xx += 2 * dx * dx  # d2 t / dx2 = 0
            xy += 2 * (dx * dy + t * k * y ** (k - 1))
            yy += 2 * (dy * dy + t * k * (k - 1) * x * y ** max(k - 2, 0))
        return ((xx, xy), (xy, yy))

    @staticmethod
    def _terms(x, y):
        """(residual, d residual/dx, d residual/dy) for c - x + x y^k, k = 1, 2, 3."""
        return [(c - x + x * y**k, y**k - 1, k * x * y ** (k - 1))
                for k, c in ((1, 1.5), (2, 2.25), (3, 2.625))]


@dataclass(frozen=True)
class DoubleWell(Objective):
    """f(x) = (x^2 - 1)^2 + tilt x: two wells, the left one deeper by about 2 tilt.

    The wells and the bump between them are the roots of f'(x) = 4x^3 - 4x + tilt; the
    global minimum is the left root (the deep well) for tilt > 0.
    """

    tilt: float = 0.3

    name = "double-well"
    dim = 1
    story = ("Two wells, one deeper: descent from the right rolls into the nearer, shallow one and "
             "stays, unless a big step or momentum carries it over the bump.")
    lrs = {"sgd": 0.01, "momentum": 0.01, "nesterov": 0.001, "rmsprop": 0.01, "adam": 0.01}
    start = (2.0,)

    def stationary(self) -> tuple[float, ...]:
        """The real roots of f', ascending: (deep well, bump, shallow well) for 0 < tilt < 1.5."""
        roots = np.roots([4.0, 0.0, -4.0, self.tilt])
        return tuple(sorted(float(r.real) for r in roots if abs(r.imag) < 1e-9))

    @property
    def minima(self) -> tuple[Point, ...]:
        xs = self.stationary()
        deep = min(xs[::2], key=lambda x: float(self._f(x)))
        return ((deep,),)

    @property
    def shallow(self) -> float:
        """The x of the shallower well (the local minimum that is not global)."""
        xs = self.stationary()
        return max(xs[::2], key=lambda x: float(self._f(x)))

    @property
    def window(self) -> Window:
        return (-2.5, 2.5)

    def _f(self, x):
        return (x**2 - 1) ** 2 + self.tilt * x

    def _grad(self, x):
        return (4 * x * (x**2 - 1) + self.tilt,)

    def _hessian(self, x):
        return ((12 * x**2 - 4,),)


OBJECTIVES: dict[str, type[Objective]] = {
    cls.name: cls for cls in (Quadratic, Bowl, Rosenbrock, Himmelblau, Saddle, Beale, DoubleWell)
}


def get_objective(name: str, **params: float) -> Objective:
    """Build an objective by name; ``params`` set its constants (e.g. ``a=2`` for quadratic)."""
    cls = OBJECTIVES.get(name)
    if cls is None:
        raise ValueError(f"unknown objective {name!r}; valid: {', '.join(OBJECTIVES)}")
    valid = [f.name for f in fields(cls)]
    unknown = sorted(set(params) - set(valid))
    if unknown:
        raise ValueError(f"{name} has no parameter {unknown[0]!r}; "
                         f"valid: {', '.join(valid) if valid else 'none'}")
    return cls(**{k: float(v) for k, v in params.items()})
