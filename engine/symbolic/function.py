"""A typed f(x) or f(x, y) as an ``Objective``, so every descent and race runs on it.

``TypedFunction`` holds the text, its tree and its variables (x, or x and y when y
appears); ``typed_objective`` wraps it as a ``TypedCurve`` (1-D) or ``TypedSurface``
(2-D) whose gradient and Hessian are the symbolic ones and whose minima are the local minima that
Newton's method finds in the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar

import numpy as np

from gradtui.engine.calculus.objectives import Objective, Point, Window
from gradtui.engine.symbolic.analysis import critical_points, hessian
from gradtui.engine.symbolic.evaluate import evaluate
from gradtui.engine.symbolic.parser import parse, parse_vector
from gradtui.engine.symbolic.printer import to_text
from gradtui.engine.symbolic.rules import derive
from gradtui.engine.symbolic.tree import Expr, variables

DEFAULT_LRS = {"sgd": 0.05, "momentum": 0.01, "nesterov": 0.01, "rmsprop": 0.05, "adam": 0.1}
"""Learning rates for a function nobody tuned: small enough for most textbook examples."""


@dataclass(frozen=True)
class TypedFunction:
    """The text a learner typed, its tree and its variables in order (x, then y)."""

    text: str
    expr: Expr
    variables: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> TypedFunction:
        """Parse ``text`` (ParseError when it is not in the grammar); a function of y alone is
        still a function of (x, y)."""
        expr = parse(text)
        return cls(text, expr, ("x", "y") if "y" in variables(expr) else ("x",))

    @property
    def dim(self) -> int:
        return len(self.variables)

    def __str__(self) -> str:
        return to_text(self.expr)


@dataclass(frozen=True)
class TypedVector:
    """A vector function typed as ``f1, f2, ...``: the text, its components and their
    variables (x, or x and y when any component uses y). It has a Jacobian, but no descent:
    descending needs one number to lower."""

    text: str
    components: tuple[Expr, ...]
    variables: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> TypedVector:
        """Parse ``text`` (ParseError, its column counted in the whole text, when a component is not in the grammar)."""
        parts = parse_vector(text)
        return cls(text, parts, ("x", "y") if any("y" in variables(p) for p in parts) else ("x",))

    @property
    def first(self) -> TypedFunction:
        """f_1 as a function of all the vector's variables: the surface calculus mode draws."""
        return TypedFunction(self.text.split(",")[0], self.components[0], self.variables)

    def __str__(self) -> str:
        return f"({', '.join(to_text(p) for p in self.components)})"


class _Typed(Objective):
    """f and its gradient from a ``TypedFunction``."""

    function: TypedFunction
    window_given: Window
    start_given: Point
    name = "typed"
    lrs = DEFAULT_LRS

    @property
    def story(self) -> str:  # type: ignore[override]
        return f"Your function f = {self.function}: its gradient comes from the rules, step by step."

    @property
    def start(self) -> Point:  # type: ignore[override]
        return self.start_given

    @property
    def window(self) -> Window:
        return self.window_given

    @cached_property
    def _gradient(self) -> tuple[Expr, ...]:
        return tuple(derive(self.function.expr, v).result for v in self.function.variables)

    @cached_property
    def _minima(self) -> tuple[Point, ...]:
        window = (self.window,) if self.dim == 1 else self.window
        return tuple(p for p, c in critical_points(self.function.expr, self.function.variables, window)  # type: ignore[arg-type]
                     if c.kind == "minimum")

    @property
    def minima(self) -> tuple[Point, ...]:
        return self._minima

    def _env(self, coords: tuple[Any, ...]) -> dict[str, Any]:
        return dict(zip(self.function.variables, coords))

    def _f(self, *coords: Any) -> Any:
        return np.broadcast_to(evaluate(self.function.expr, self._env(coords)), np.shape(coords[0]))

    def _grad(self, *coords: Any) -> tuple[Any, ...]:
        env = self._env(coords)
        return tuple(float(evaluate(g, env)) for g in self._gradient)

    @cached_property
    def _hessian_exprs(self) -> tuple[tuple[Expr, ...], ...]:
        return hessian(self.function.expr, self.function.variables)

    def _hessian(self, *coords: Any) -> tuple[tuple[Any, ...], ...]:
        """The symbolic Hessian at a point (calculus mode's curvature view reads it)."""
        env = self._env(coords)
        return tuple(tuple(float(evaluate(e, env)) for e in row) for row in self._hessian_exprs)


@dataclass(frozen=True)
class TypedCurve(_Typed):
    """A typed f(x)."""

    function: TypedFunction
    window_given: Window = (-5.0, 5.0)
    start_given: Point = (2.0,)
    dim: ClassVar[int] = 1


@dataclass(frozen=True)
class TypedSurface(_Typed):
    """A typed f(x, y)."""

    function: TypedFunction
    window_given: Window = ((-3.0, 3.0), (-3.0, 3.0))
    start_given: Point = (1.0, 1.0)
    dim: ClassVar[int] = 2


def typed_objective(function: TypedFunction | str, window: Window | None = None,
                    start: Point | None = None) -> Objective:
    """The Objective of a typed function (text is parsed first)."""
    fn = TypedFunction.parse(function) if isinstance(function, str) else function
    cls: type[_Typed] = TypedCurve if fn.dim == 1 else TypedSurface
    kwargs: dict[str, Any] = {}
    if window is not None:
        kwargs["window_given"] = window
    if start is not None:
        kwargs["start_given"] = tuple(float(c) for c in start)
    return cls(fn, **kwargs)  # type: ignore[call-arg]
