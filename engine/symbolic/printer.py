"""A tree as the text a textbook prints, which the parser reads back to the same value.

``4(2x + 3)``, ``2xy + 3y^2``, ``e^x sin(x)``, ``2x/(x^2 + 1)``, ``1/(2 sqrt(x))``:
a number or a plain variable runs into the next factor, everything else is separated by a
space, parentheses only where precedence needs them; the natural log prints as ``ln``.
"""

from __future__ import annotations

from fractions import Fraction

from gradtui.engine.symbolic.tree import Call, Const, Div, Expr, Neg, Num, Pow, Product, Sum, Var

_SUM, _PRODUCT, _UNARY, _POWER, _ATOM = 1, 2, 3, 4, 5


def to_text(e: Expr) -> str:
    """``e`` as text in the grammar's own notation."""
    return _text(e)


def format_number(value: float | Fraction) -> str:
    """A number as short text: integers without a point, floats to 12 significant digits."""
    if isinstance(value, Fraction):
        return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = f"{value:.12g}"
    return f"{value:.0f}" if "e" in text and abs(value) >= 1 else text


def _level(e: Expr) -> int:
    """How tightly ``e`` binds when printed (higher: needs fewer parentheses)."""
    if isinstance(e, Sum):
        return _SUM
    if isinstance(e, (Product, Div)):
        return _PRODUCT
    if isinstance(e, Neg):
        return _UNARY
    if isinstance(e, Pow):
        return _POWER
    if isinstance(e, Num) and (e.value < 0 or isinstance(e.value, Fraction) and e.value.denominator != 1):
        return _UNARY if e.value < 0 else _PRODUCT
    return _ATOM


def _wrapped(e: Expr, at_least: int) -> str:
    text = _text(e)
    return f"({text})" if _level(e) < at_least else text


def _text(e: Expr) -> str:
    if isinstance(e, Num):
        return format_number(e.value)
    if isinstance(e, (Var, Const)):
        return e.name
    if isinstance(e, Call):
        return f"{'ln' if e.fn == 'log' else e.fn}({_text(e.arg)})"
    if isinstance(e, Neg):
        return "-" + _wrapped(e.arg, _PRODUCT)  # -(a b) = (-a) b: no parentheses needed
    if isinstance(e, Sum):
        out = _text(e.terms[0])
        for t in e.terms[1:]:
            if isinstance(t, Neg):
                out += " - " + _wrapped(t.arg, _PRODUCT)
            else:
                out += " + " + _wrapped(t, _PRODUCT)
        return out
    if isinstance(e, Product):
        return _product_text(e.factors)
    if isinstance(e, Div):
        num = _wrapped(e.num, _PRODUCT)
        den = _wrapped(e.den, _POWER)
        return f"{num}/{den}"
    if isinstance(e, Pow):
        base = _wrapped(e.base, _ATOM)
        exp = _text(e.exp)
        plain = isinstance(e.exp, (Var, Const, Call)) or (
            isinstance(e.exp, Num) and _level(e.exp) == _ATOM)
        return f"{base}^{exp}" if plain else f"{base}^({exp})"
    raise TypeError(f"not an expression node: {type(e).__name__}")


def _runs_on(left: Expr, right_text: str) -> bool:
    """Whether ``left`` and the next factor print with nothing between them (2x, xy, 4(2x + 3))."""
    if isinstance(left, Num) or isinstance(left, Var):
        return right_text[0].isalpha() and not _starts_call(right_text) or right_text[0] == "("
    return isinstance(left, Sum) and right_text[0] == "("


def _starts_call(text: str) -> bool:
    return text.startswith(("sin", "cos", "tan", "exp", "ln", "sqrt", "abs"))


def _product_text(factors: tuple[Expr, ...]) -> str:
    pieces: list[str] = []
    for i, f in enumerate(factors):
        text = _wrapped(f, _POWER if not isinstance(f, Pow) else _POWER)
        if i and text[0].isdigit() or i and text[0] == "-":
            pieces.append("*" + text)
        elif i and _runs_on(factors[i - 1], text) and not pieces[-1].endswith(")") or (
                i and pieces[-1].endswith(")") and text[0] == "("):
            pieces.append(text)
        elif i:
            pieces.append(" " + text)
        else:
            pieces.append(text)
    return "".join(pieces)
