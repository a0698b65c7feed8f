"""Simplification to the form a textbook prints: a sum of terms, each a coefficient times powers.

``simplify`` brings a tree to a normal form and back: like terms collected (in the order
they first appear), numbers multiplied out, powers of one base merged (x·x^2 = x^3,
e^x·e^x = e^(2x)), quotients as negative powers printed under a fraction bar. Sums are
never multiplied out: d/dx (2x+3)^2 stays 4(2x + 3). A sum with coefficient ±1 inside a
sum is opened ((x - 1) + (x + 1) = 2x). Numeric powers are folded only while the result
stays small (``MAX_FOLD_BITS``): 9^(9^9) stays a power and evaluates to inf in float.
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache

from gradtui.engine.symbolic.tree import (ONE, ZERO, Call, Const, Div, Expr, Neg, Num, Number, Pow,
                                          Product, Sum, Var, number)

MAX_FOLD_BITS = 4096
"""A numeric power is folded into a number only when the result needs fewer bits than this."""

Factors = tuple[tuple[Expr, Expr], ...]
Term = tuple[Number, Factors]
"""(coefficient, ((base, exponent), ...)): bases are never products or numbers to the first power."""


def simplify(e: Expr) -> Expr:
    """``e`` in textbook normal form (same value wherever both are defined)."""
    return build(form(e))


def form(e: Expr) -> list[Term]:
    """``e`` as a list of terms whose sum it is (an empty list is 0)."""
    return list(_form(e))


@lru_cache(maxsize=2048)
def _form(e: Expr) -> tuple[Term, ...]:
    """``form``, remembered: a derivation simplifies the same sub-trees again and again
    (``forget`` empties it after each one, so that no garbage-collector pass has to walk it)."""
    return tuple(_normal(e))


def forget() -> None:
    """Empty the memo of normal forms."""
    _form.cache_clear()


def _normal(e: Expr) -> list[Term]:
    if isinstance(e, Num):
        return [] if e.value == 0 else [(e.value, ())]
    if isinstance(e, (Var, Const)):
        return [(Fraction(1), ((e, ONE),))]
    if isinstance(e, Neg):
        return [(number(-c), fs) for c, fs in form(e.arg)]
    if isinstance(e, Sum):
        return _collect([t for term in e.terms for t in _opened(form(term))])
    if isinstance(e, Product):
        coeff: Number = Fraction(1)
        factors: list[tuple[Expr, Expr]] = []
        for f in e.factors:  # merged once at the end: one pass, however many factors
            (c, fs), = _as_factor(form(f)) or [(Fraction(0), ())]
            coeff = coeff if c == 1 else number(coeff * c)
            factors.extend(fs)
        folded, merged = _merge(tuple(factors))
        coeff = number(coeff * folded)
        return [] if coeff == 0 else [(coeff, merged)]
    if isinstance(e, Div):
        return _multiply(form(e.num), _power(form(e.den), Num(Fraction(-1))))
    if isinstance(e, Pow):
        return _power(form(e.base), build(form(e.exp)))
    if isinstance(e, Call):
        return _call(e.fn, build(form(e.arg)))
    raise TypeError(f"not an expression node: {type(e).__name__}")


def _opened(terms: list[Term]) -> list[Term]:
    """A single term ±(sum) as the sum's own terms (with the sign), anything else unchanged."""
    if len(terms) == 1:
        c, fs = terms[0]
        if abs(c) == 1 and len(fs) == 1 and isinstance(fs[0][0], Sum) and fs[0][1] == ONE:
            return [(number(c * ci), fsi) for ci, fsi in form(fs[0][0])]
    return terms


def _collect(terms: list[Term]) -> list[Term]:
    """Like terms added, in the order each first appears; zero terms dropped."""
    totals: dict[frozenset, list] = {}
    for c, fs in terms:
        key = frozenset(fs)
        if key in totals:
            totals[key][0] = number(totals[key][0] + c)
        else:
            totals[key] = [c, fs]
    return [(c, fs) for c, fs in totals.values() if c != 0]


def _multiply(a: list[Term], b: list[Term]) -> list[Term]:
    """The product of two sums: term by term when both have one term, else the sum is a factor."""
    if not a or not b:
        return []
    if len(a) == 1 and len(b) == 1:
        (ca, fa), (cb, fb) = a[0], b[0]
        folded, factors = _merge(fa + fb)
        coeff = number(number(ca * cb) * folded)
        return [] if coeff == 0 else [(coeff, factors)]
    return _multiply(_as_factor(a), _as_factor(b))


def _as_factor(terms: list[Term]) -> list[Term]:
    """One term: the sum itself as a factor (a single term stays as it is)."""
    if len(terms) == 1:
        return terms
    return [(Fraction(1), ((build(terms), ONE),))]


def _merge(factors: Factors) -> tuple[Number, Factors]:
    """Powers of the same base multiplied (exponents added), exponent 0 dropped, numeric
    powers folded into a number when small (returned first); variables first (by name),
    then the rest in order of appearance."""
    merged: dict[Expr, Expr] = {}
    for base, exp in factors:
        merged[base] = _add_exponents(merged[base], exp) if base in merged else exp
    out: list[tuple[Expr, Expr]] = []
    coeff: Number = Fraction(1)
    for base, exp in merged.items():
        if exp == ZERO:
            continue
        if isinstance(base, Num) and isinstance(exp, Num):
            folded = _fold(base.value, exp.value)
            if folded is not None:
                coeff = number(coeff * folded)
                continue
        out.append((base, exp))
    out.sort(key=lambda f: (0, f[0].name) if isinstance(f[0], Var) else (1, ""))
    return coeff, tuple(out)


def _add_exponents(a: Expr, b: Expr) -> Expr:
    if isinstance(a, Num) and isinstance(b, Num):
        return Num(number(a.value + b.value))
    return simplify(Sum((a, b)))


def _fold(base: Number, exp: Number) -> Number | None:
    """base^exp as a number when the exponent is an integer and the result is small, else None."""
    if isinstance(exp, float) and not exp.is_integer() or isinstance(exp, Fraction) and exp.denominator != 1:
        return None
    k = int(exp)
    if base == 0 and k < 0:
        return None
    if isinstance(base, Fraction):
        bits = max(base.numerator.bit_length(), base.denominator.bit_length(), 1)
        return number(base ** k) if bits * abs(k) <= MAX_FOLD_BITS else None
    try:
        return math.pow(base, k) if abs(k) <= MAX_FOLD_BITS else None
    except (OverflowError, ValueError):
        return None


def _power(base: list[Term], exp: Expr) -> list[Term]:
    """(sum)^exp: exponent 0 and 1 done, a single term's factors raised when the exponent is an
    integer (or the term is one plain power), otherwise the whole power is one factor."""
    if exp == ZERO:
        return [(Fraction(1), ())]
    if exp == ONE:
        return base
    if not base:
        return [] if isinstance(exp, Num) and exp.value > 0 else [(Fraction(1), ((ZERO, exp),))]
    if len(base) == 1:
        c, fs = base[0]
        integer = isinstance(exp, Num) and _fold(Fraction(2), exp.value) is not None
        if integer and isinstance(exp, Num):
            coeff = _fold(c, exp.value)
            if coeff is not None:
                folded, raised = _merge(tuple((b, simplify(Product((e, exp)))) for b, e in fs))
                return [(number(coeff * folded), raised)]
        elif c == 1 and len(fs) == 1 and fs[0][1] == ONE:
            return [(Fraction(1), ((fs[0][0], exp),))]
    return [(Fraction(1), ((build(base), exp),))]


_KNOWN: dict[tuple[str, Number], int] = {("sin", 0): 0, ("cos", 0): 1, ("tan", 0): 0, ("exp", 0): 1, ("log", 1): 0,
          ("sqrt", 0): 0, ("sqrt", 1): 1, ("abs", 0): 0}


def _call(fn: str, arg: Expr) -> list[Term]:
    """fn(arg) as one factor, or its exact value for a few textbook arguments (sin 0, ln e, ...)."""
    if isinstance(arg, Num) and (fn, arg.value) in _KNOWN:
        return form(Num(Fraction(_KNOWN[fn, arg.value])))
    if fn == "log" and arg == Const("e"):
        return [(Fraction(1), ())]
    if fn == "abs" and isinstance(arg, Num):
        return form(Num(-arg.value if arg.value < 0 else arg.value))
    return [(Fraction(1), ((Call(fn, arg), ONE),))]


def build(terms: list[Term]) -> Expr:
    """The tree of a normal form: a sum of (possibly negated) terms, each a product over a product."""
    if not terms:
        return ZERO
    if len(terms) == 1 and not terms[0][1]:
        return Num(terms[0][0])
    built = [_term(c, fs) for c, fs in terms]
    return built[0] if len(built) == 1 else Sum(tuple(built))


def _term(coeff: Number, factors: Factors) -> Expr:
    """coeff · factors, the sign outside (Neg), negative powers under a fraction bar."""
    if coeff < 0:
        return Neg(_term(number(-coeff), factors))
    top: list[Expr] = []
    bottom: list[Expr] = []
    if isinstance(coeff, Fraction) and coeff.denominator != 1:
        if coeff.numerator != 1:
            top.append(Num(Fraction(coeff.numerator)))
        bottom.append(Num(Fraction(coeff.denominator)))
    elif coeff != 1:
        top.append(Num(coeff))
    for base, exp in factors:
        negative = isinstance(exp, Num) and exp.value < 0
        exp = Num(number(-exp.value)) if negative and isinstance(exp, Num) else exp
        (bottom if negative else top).append(base if exp == ONE else Pow(base, exp))
    numerator = _product(top) if top else ONE
    return Div(numerator, _product(bottom)) if bottom else numerator


def _product(factors: list[Expr]) -> Expr:
    return factors[0] if len(factors) == 1 else Product(tuple(factors))
