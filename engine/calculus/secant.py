"""Calculus mode: derivatives as limits of secants, and descent on analytic surfaces.

This module holds the secant helpers and re-exports the rest of calculus mode
(``objectives.py`` for the surfaces, ``descent.py`` for descents and races), so
callers import everything from one place.
"""

from __future__ import annotations

from typing import Callable, Iterable, NamedTuple

from gradtui.engine.calculus.descent import DIVERGENCE_LIMIT, Descent, Race, RaceResult, TrajectoryRow
from gradtui.engine.calculus.objectives import OBJECTIVES, Objective, get_objective

RULES = ("central", "forward")


def secant(f: Callable[[float], float], x: float, h: float) -> float:
    """Forward secant slope (f(x+h) - f(x)) / h: the line through x and a second point h away."""
    return (f(x + h) - f(x)) / h


def central_secant(f: Callable[[float], float], x: float, h: float) -> float:
    """Central secant slope (f(x+h) - f(x-h)) / (2h); its error shrinks like h^2, not h."""
    return (f(x + h) - f(x - h)) / (2 * h)


class SecantRow(NamedTuple):
    """One secant estimate: step ``h``, the ``slope``, and its ``error`` against the exact derivative."""

    h: float
    slope: float
    error: float


def secant_slopes(f: Callable[[float], float], x: float, hs: Iterable[float], exact: float,
                  rule: str = "central") -> list[SecantRow]:
    """Secant slopes of ``f`` at ``x`` for each h, with |slope - exact|.

    As h shrinks the truncation error falls, until rounding in f(x+h) - f(x)
    takes over (around h = 1e-8 forward, 1e-5 central) and the error grows again.
    """
    if rule not in RULES:
        raise ValueError(f"unknown secant rule {rule!r}; valid: {', '.join(RULES)}")
    hs = list(hs)
    if 0 in hs:
        raise ValueError("secant steps h must be non-zero")
    slope_at = central_secant if rule == "central" else secant
    slopes = [(float(h), float(slope_at(f, x, h))) for h in hs]
    return [SecantRow(h, s, abs(s - float(exact))) for h, s in slopes]


__all__ = [
    "DIVERGENCE_LIMIT", "Descent", "OBJECTIVES", "Objective", "Race", "RaceResult", "RULES",
    "SecantRow", "TrajectoryRow", "central_secant", "get_objective", "secant", "secant_slopes",
]
