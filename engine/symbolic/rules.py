"""Differentiation by the textbook rules, one named step per node of the tree.

``derive(expr, "x")`` walks the tree from the outside in; each node records a ``Step``:
the rule it used (sum, difference, constant, constant multiple, power, product, quotient,
exponential, general power, variable, or an elementary function: sin, cos, tan, exp, ln,
sqrt, abs), whether the chain rule joined it (the inside is not the variable itself), the
rule's formula, the rule applied to this node (``applied``, the inner derivatives already
simplified) and the simplified result. Steps come in the order a textbook writes them:
the outer rule first, then the derivatives it needs, each one level deeper.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from gradtui.engine.symbolic.printer import to_text
from gradtui.engine.symbolic.simplify import forget, simplify
from gradtui.engine.symbolic.tree import (ONE, TWO, ZERO, Call, Const, Div, Expr, Neg, Num, Pow, Product,
                                          Sum, Var, depends_on)

_ELEMENTARY = {
    "sin": ("cos(u)", lambda u: Call("cos", u)),
    "cos": ("-sin(u)", lambda u: Neg(Call("sin", u))),
    "tan": ("1/cos(u)^2", lambda u: Div(ONE, Pow(Call("cos", u), TWO))),
    "exp": ("exp(u)", lambda u: Call("exp", u)),
    "log": ("1/u", lambda u: Div(ONE, u)),
    "sqrt": ("1/(2 sqrt(u))", lambda u: Div(ONE, Product((TWO, Call("sqrt", u))))),
    "abs": ("u/abs(u)", lambda u: Div(u, Call("abs", u))),
}


def _formulas(d: str) -> dict[str, str]:
    """Each rule's formula with ``d`` (such as d/dx) as the derivative."""
    out = {
        "constant": f"{d} c = 0",
        "variable": f"{d} {d[-1]} = 1",
        "sum": f"{d} (u + v) = {d} u + {d} v",
        "difference": f"{d} (u - v) = {d} u - {d} v",
        "constant multiple": f"{d} (c u) = c {d} u",
        "product": f"{d} (u v) = ({d} u) v + u ({d} v)",
        "quotient": f"{d} (u/v) = (({d} u) v - u ({d} v))/v^2",
        "power": f"{d} u^n = n u^(n-1) {d} u",
        "exponential": f"{d} a^u = a^u ln(a) {d} u  (e^u: e^u {d} u)",
        "general power": f"{d} u^v = u^v (({d} v) ln(u) + v ({d} u)/u)",
    }
    for fn, (text, _) in _ELEMENTARY.items():
        out["ln" if fn == "log" else fn] = f"{d} {'ln' if fn == 'log' else fn}(u) = {text} {d} u"
    return out


@dataclass(frozen=True)
class Step:
    """One rule applied to one node: ``expr`` is what is differentiated, ``applied`` the rule
    written out, ``result`` the simplified derivative; ``depth`` 0 is the whole function."""

    rule: str
    chain: bool
    expr: Expr
    applied: Expr
    result: Expr
    formula: str
    depth: int

    @property
    def rules(self) -> tuple[str, ...]:
        """The rule's name, with "chain" after it when the chain rule joined it."""
        return (self.rule, "chain") if self.chain else (self.rule,)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: rule names, formula, the expression, the rule applied and the result, as text."""
        return {"rule": self.rule, "rules": list(self.rules), "formula": self.formula,
                "of": to_text(self.expr), "applied": to_text(self.applied),
                "result": to_text(self.result), "depth": self.depth}


@dataclass(frozen=True)
class Derivation:
    """d expr / d var: the simplified ``result`` and the ``steps`` that built it."""

    expr: Expr
    var: str
    result: Expr
    steps: tuple[Step, ...]

    @property
    def rules_used(self) -> tuple[str, ...]:
        """Each rule name once, in the order first used (constants and variables left out)."""
        seen: dict[str, None] = {}
        for s in self.steps:
            for r in s.rules:
                if r not in ("constant", "variable"):
                    seen.setdefault(r, None)
        return tuple(seen)


def derive(expr: Expr, var: str = "x") -> Derivation:
    """The derivative of ``expr`` with respect to ``var``, every rule recorded as a step."""
    walker = _Walker(var)
    result = walker.derive(expr, 0)
    forget()
    return Derivation(expr, var, result, tuple(s for s in walker.steps if s is not None))


class _Walker:
    """Collects steps in pre-order while derivatives are computed bottom-up."""

    def __init__(self, var: str) -> None:
        self.var = var
        self.formulas = _formulas(f"d/d{var}")
        self.steps: list[Step | None] = []

    def derive(self, e: Expr, depth: int) -> Expr:
        slot = len(self.steps)
        self.steps.append(None)
        rule, chain, applied = self.rule(e, depth + 1)
        result = simplify(applied)
        self.steps[slot] = Step(rule, chain, e, applied, result, self.formulas[rule], depth)
        return result

    def rule(self, e: Expr, depth: int) -> tuple[str, bool, Expr]:
        """(rule name, chain rule used, the rule applied to ``e``)."""
        v = self.var
        if not depends_on(e, v):
            return "constant", False, ZERO
        if isinstance(e, Var):
            return "variable", False, ONE
        if isinstance(e, Neg):
            return "constant multiple", False, Neg(self.derive(e.arg, depth))
        if isinstance(e, Sum):
            parts = [Neg(self.derive(t.arg, depth)) if isinstance(t, Neg) else self.derive(t, depth)
                     for t in e.terms]
            return ("difference" if any(isinstance(t, Neg) for t in e.terms) else "sum"), False, Sum(tuple(parts))
        if isinstance(e, Product):
            return self.product(e, depth)
        if isinstance(e, Div):
            if not depends_on(e.den, v):
                return "constant multiple", False, Div(self.derive(e.num, depth), e.den)
            du, dw = self.derive(e.num, depth), self.derive(e.den, depth)
            top = Sum((Product((du, e.den)), Neg(Product((e.num, dw)))))
            return "quotient", False, Div(top, Pow(e.den, TWO))
        if isinstance(e, Pow):
            return self.power(e, depth)
        if isinstance(e, Call):
            name = "ln" if e.fn == "log" else e.fn
            outer = _ELEMENTARY[e.fn][1](e.arg)
            if e.arg == Var(v):
                return name, False, outer
            return name, True, _times(outer, self.derive(e.arg, depth))
        raise TypeError(f"not an expression node: {type(e).__name__}")

    def product(self, e: Product, depth: int) -> tuple[str, bool, Expr]:
        constants = [f for f in e.factors if not depends_on(f, self.var)]
        repeats: dict[Expr, int] = {}
        for f in e.factors:  # a factor written k times is one power (x x x = x^3): k terms, not k^2
            if depends_on(f, self.var):
                repeats[f] = repeats.get(f, 0) + 1
        varying = [f if k == 1 else Pow(f, Num(Fraction(k))) for f, k in repeats.items()]
        if len(varying) == 1:
            return "constant multiple", False, Product((*constants, self.derive(varying[0], depth)))
        derivatives = [self.derive(f, depth) for f in varying]
        terms = tuple(Product((*constants, *varying[:i], derivatives[i], *varying[i + 1:]))
                      for i in range(len(varying)))
        return "product", False, Sum(terms)

    def power(self, e: Pow, depth: int) -> tuple[str, bool, Expr]:
        v = self.var
        base_varies, exp_varies = depends_on(e.base, v), depends_on(e.exp, v)
        if base_varies and not exp_varies:
            lowered = Pow(e.base, simplify(Sum((e.exp, Num(Fraction(-1))))))
            outer: Expr = Product((e.exp, lowered))
            if e.base == Var(v):
                return "power", False, outer
            return "power", True, _times(outer, self.derive(e.base, depth))
        if not base_varies:
            outer = e if e.base == Const("e") else Product((e, Call("log", e.base)))
            if e.exp == Var(v):
                return "exponential", False, outer
            return "exponential", True, _times(outer, self.derive(e.exp, depth))
        du, dw = self.derive(e.base, depth), self.derive(e.exp, depth)
        inner = Sum((Product((dw, Call("log", e.base))), Div(Product((e.exp, du)), e.base)))
        return "general power", False, Product((e, inner))


def _times(outer: Expr, inner: Expr) -> Expr:
    """outer · inner for the chain rule, one product (2(2x + 3)^1*2, not (2(2x + 3)^1)*2)."""
    factors = outer.factors if isinstance(outer, Product) else (outer,)
    return Product((*factors, inner))
