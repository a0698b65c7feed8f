"""The integral as a sum of small pieces: left, right and midpoint Riemann sums of a typed f.

The exact value comes from a symbolic antiderivative when the function is a sum of the
textbook cases (c·x^n, 1/x, (ax+b)^n, sin, cos and exp of a linear argument, e^(ax+b)); otherwise
from composite Gauss-Legendre quadrature, named as such, so the learner knows which.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

import numpy as np

from gradtui.engine.symbolic.evaluate import evaluate
from gradtui.engine.symbolic.rules import derive
from gradtui.engine.symbolic.simplify import build, form, simplify
from gradtui.engine.symbolic.tree import (ONE, ZERO, Call, Const, Div, Expr, Neg, Num, Pow, Product, Sum, Var,
                                          depends_on, number)

RIEMANN_RULES = ("left", "right", "midpoint")
MAX_PIECES = 10_000_000
GAUSS_NODES, GAUSS_PANELS = 20, 64
QUADRATURE = f"Gauss-Legendre quadrature ({GAUSS_NODES} nodes x {GAUSS_PANELS} panels)"


def riemann_sum(expr: Expr, a: float, b: float, n: int, rule: str = "midpoint", var: str = "x") -> float:
    """The sum of f(sample) · (b - a)/n over n equal pieces of [a, b]; the sample is each
    piece's left end, right end or midpoint."""
    if rule not in RIEMANN_RULES:
        raise ValueError(f"unknown rule {rule!r}; valid: {', '.join(RIEMANN_RULES)}")
    if not 1 <= n <= MAX_PIECES:
        raise ValueError(f"pieces must be between 1 and {MAX_PIECES:,}, got {n}")
    width = (b - a) / n
    offset = {"left": 0.0, "right": 1.0, "midpoint": 0.5}[rule]
    samples = a + (np.arange(n) + offset) * width
    values = np.broadcast_to(evaluate(expr, {var: samples}), samples.shape)
    with np.errstate(all="ignore"):  # a sum of infinities is inf or nan: a value to show
        return float(np.sum(values) * width)


@dataclass(frozen=True)
class Integral:
    """The integral of f over [a, b]: its ``value``, ``method`` ("antiderivative" or the
    quadrature's name) and the ``antiderivative`` when there is one."""

    value: float
    method: str
    antiderivative: Expr | None


def antiderivative(expr: Expr, var: str = "x") -> Expr | None:
    """F with F' = expr for the textbook cases, or None."""
    pieces = []
    for coeff, factors in form(expr):
        varying = [(b, e) for b, e in factors if depends_on(b, var) or depends_on(e, var)]
        rest = build([(coeff, tuple(f for f in factors if f not in varying))])
        if not varying:
            pieces.append(Product((rest, Var(var))))
            continue
        if len(varying) != 1:
            return None
        piece = _integrate_one(*varying[0], var)
        if piece is None:
            return None
        pieces.append(Product((rest, piece)))
    return simplify(Sum(tuple(pieces))) if pieces else ZERO


def _linear_slope(arg: Expr, var: str) -> Expr | None:
    """a when ``arg`` = a·var + b (a non-zero constant), else None."""
    slope = derive(arg, var).result
    return None if depends_on(slope, var) or slope == Num(Fraction(0)) else slope


def _integrate_one(base: Expr, exp: Expr, var: str) -> Expr | None:
    if base == Var(var) and isinstance(exp, Num):
        if exp.value == -1:
            return Call("log", Call("abs", Var(var)))
        raised = Num(number(exp.value + 1))
        return Div(Pow(Var(var), raised), raised)
    if isinstance(exp, Num) and not depends_on(exp, var):  # (a x + b)^n: the chain rule backwards
        slope = _linear_slope(base, var)
        if slope is not None and exp != ONE:
            if exp.value == -1:
                return Div(Call("log", Call("abs", base)), slope)
            raised = Num(number(exp.value + 1))
            return Div(Pow(base, raised), Product((raised, slope)))
    if exp != ONE and not (base == Const("e") and depends_on(exp, var)):
        return None
    if base == Const("e"):
        slope = _linear_slope(exp, var)
        return None if slope is None else Div(Pow(base, exp), slope)
    if isinstance(base, Call) and base.fn in ("sin", "cos", "exp"):
        slope = _linear_slope(base.arg, var)
        if slope is None:
            return None
        outer = {"sin": Neg(Call("cos", base.arg)), "cos": Call("sin", base.arg), "exp": base}[base.fn]
        return Div(outer, slope)
    return None


def integral(expr: Expr, a: float, b: float, var: str = "x") -> Integral:
    """The integral over [a, b]: by the antiderivative when there is one (and f is finite on
    [a, b]), else by composite Gauss-Legendre quadrature."""
    f_anti = antiderivative(expr, var)
    grid = np.linspace(a, b, 257)
    finite = bool(np.all(np.isfinite(np.broadcast_to(evaluate(expr, {var: grid}), grid.shape))))
    if f_anti is not None and finite:
        with np.errstate(all="ignore"):
            value = float(evaluate(f_anti, {var: b}) - evaluate(f_anti, {var: a}))
        return Integral(value, "antiderivative", f_anti)
    nodes, weights = np.polynomial.legendre.leggauss(GAUSS_NODES)
    edges = np.linspace(a, b, GAUSS_PANELS + 1)
    half = (edges[1:] - edges[:-1]) / 2
    centres = (edges[1:] + edges[:-1]) / 2
    samples = (centres[:, None] + half[:, None] * nodes[None, :]).ravel()
    values = np.broadcast_to(evaluate(expr, {var: samples}), samples.shape).reshape(GAUSS_PANELS, GAUSS_NODES)
    with np.errstate(all="ignore"):
        return Integral(float(np.sum(values * weights[None, :] * half[:, None])), QUADRATURE, None)


@dataclass(frozen=True)
class RiemannRow:
    """The three sums for one n and their errors against the exact integral."""

    n: int
    sums: dict[str, float]
    errors: dict[str, float]


def riemann_table(expr: Expr, a: float, b: float, ns: Sequence[int] = (4, 16, 64, 256, 1024),
                  var: str = "x") -> tuple[Integral, list[RiemannRow]]:
    """The exact integral and, for each n, left/right/midpoint sums with their errors."""
    exact = integral(expr, a, b, var)
    rows = []
    for n in ns:
        sums = {r: riemann_sum(expr, a, b, n, r, var) for r in RIEMANN_RULES}
        rows.append(RiemannRow(n, sums, {r: s - exact.value for r, s in sums.items()}))
    return exact, rows
