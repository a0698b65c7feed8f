"""The expression tree: immutable, hashable nodes, n-ary for sums and products.

Numbers are exact where the text was (``Fraction`` for integers and their quotients) and
float64 where it was not (a decimal point); ``number`` keeps exact values small enough that
arithmetic on them stays fast (a huge one becomes a float, possibly inf).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Union

Number = Union[Fraction, float]

EXACT_BITS = 256
"""Exact numbers with more bits than this (numerator or denominator) become floats."""

FUNCTIONS = ("sin", "cos", "tan", "exp", "log", "sqrt", "abs")
"""The elementary functions of the grammar (``ln`` is read as ``log``: the natural log)."""


def number(value: Number | int) -> Number:
    """``value`` as a grammar number: a small exact Fraction, else a float (inf on overflow)."""
    if isinstance(value, float):
        return value
    if not isinstance(value, Fraction):
        value = Fraction(value)
    if value.numerator.bit_length() > EXACT_BITS or value.denominator.bit_length() > EXACT_BITS:
        try:
            return float(value)
        except OverflowError:
            return math.copysign(math.inf, value.numerator)
    return value


class Expr:
    """Base of every node; nodes compare and hash by structure, the hash computed once per
    node (from its children's cached hashes) so that deep trees stay cheap as dict keys."""

    def _fields(self) -> tuple:
        return tuple(getattr(self, name) for name in self.__dataclass_fields__)  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        cached = self.__dict__.get("_hash")
        if cached is None:
            cached = hash((type(self).__name__, *self._fields()))
            object.__setattr__(self, "_hash", cached)
        return cached

    def __eq__(self, other: object) -> bool:
        return self is other or (type(self) is type(other) and hash(self) == hash(other)
                                 and self._fields() == other._fields())


@dataclass(frozen=True, eq=False)
class Num(Expr):
    """A number."""

    value: Number


@dataclass(frozen=True, eq=False)
class Var(Expr):
    """A variable (x, y, or a placeholder the computation graph names)."""

    name: str


@dataclass(frozen=True, eq=False)
class Const(Expr):
    """pi or e."""

    name: str


@dataclass(frozen=True, eq=False)
class Neg(Expr):
    """-arg."""

    arg: Expr


@dataclass(frozen=True, eq=False)
class Sum(Expr):
    """terms[0] + terms[1] + ...; a subtraction is a ``Neg`` term."""

    terms: tuple[Expr, ...]


@dataclass(frozen=True, eq=False)
class Product(Expr):
    """factors[0] * factors[1] * ... (written or implicit multiplication)."""

    factors: tuple[Expr, ...]


@dataclass(frozen=True, eq=False)
class Div(Expr):
    """num / den."""

    num: Expr
    den: Expr


@dataclass(frozen=True, eq=False)
class Pow(Expr):
    """base ^ exp."""

    base: Expr
    exp: Expr


@dataclass(frozen=True, eq=False)
class Call(Expr):
    """An elementary function applied to ``arg``: one of ``FUNCTIONS``."""

    fn: str
    arg: Expr


ZERO = Num(Fraction(0))
ONE = Num(Fraction(1))
TWO = Num(Fraction(2))


def children(e: Expr) -> tuple[Expr, ...]:
    """The direct sub-expressions of ``e``."""
    if isinstance(e, (Neg, Call)):
        return (e.arg,)
    if isinstance(e, Sum):
        return e.terms
    if isinstance(e, Product):
        return e.factors
    if isinstance(e, Div):
        return (e.num, e.den)
    if isinstance(e, Pow):
        return (e.base, e.exp)
    return ()


def variables(e: Expr) -> frozenset[str]:
    """The names of the variables ``e`` depends on."""
    if isinstance(e, Var):
        return frozenset((e.name,))
    found: frozenset[str] = frozenset()
    for c in children(e):
        found |= variables(c)
    return found


def depends_on(e: Expr, var: str) -> bool:
    """Whether ``e`` contains the variable ``var``."""
    return var in variables(e)


def substitute(e: Expr, mapping: dict[Expr, Expr]) -> Expr:
    """``e`` with every sub-expression found in ``mapping`` replaced (outermost first)."""
    if e in mapping:
        return mapping[e]
    if isinstance(e, Neg):
        return Neg(substitute(e.arg, mapping))
    if isinstance(e, Call):
        return Call(e.fn, substitute(e.arg, mapping))
    if isinstance(e, Sum):
        return Sum(tuple(substitute(t, mapping) for t in e.terms))
    if isinstance(e, Product):
        return Product(tuple(substitute(f, mapping) for f in e.factors))
    if isinstance(e, Div):
        return Div(substitute(e.num, mapping), substitute(e.den, mapping))
    if isinstance(e, Pow):
        return Pow(substitute(e.base, mapping), substitute(e.exp, mapping))
    return e
