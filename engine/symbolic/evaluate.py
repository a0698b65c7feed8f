"""Numbers from a tree, in float64 with NumPy: works on a point or on whole arrays.

Overflow gives inf and a domain error (log of a negative, 0/0) gives nan: both are values
the screen shows, never exceptions, and ``9^9^9`` costs one ``np.power``.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np

from gradtui.engine.symbolic.tree import Call, Const, Div, Expr, Neg, Num, Pow, Product, Sum, Var

_FUNCTIONS = {"sin": np.sin, "cos": np.cos, "tan": np.tan, "exp": np.exp, "log": np.log,
              "sqrt": np.sqrt, "abs": np.abs}
_CONSTANTS = {"pi": math.pi, "e": math.e}


def evaluate(e: Expr, env: Mapping[str, Any]) -> Any:
    """``e`` with each variable set from ``env`` (numbers or arrays of one shape): a float64
    number or array. KeyError names a variable ``env`` lacks."""
    with np.errstate(all="ignore"):
        return _eval(e, env)


def _eval(e: Expr, env: Mapping[str, Any]) -> Any:
    if isinstance(e, Num):
        return np.float64(e.value)
    if isinstance(e, Var):
        return np.asarray(env[e.name], dtype=float)
    if isinstance(e, Const):
        return np.float64(_CONSTANTS[e.name])
    if isinstance(e, Neg):
        return -_eval(e.arg, env)
    if isinstance(e, Sum):
        total = _eval(e.terms[0], env)
        for t in e.terms[1:]:
            total = total + _eval(t, env)
        return total
    if isinstance(e, Product):
        result = _eval(e.factors[0], env)
        for f in e.factors[1:]:
            result = result * _eval(f, env)
        return result
    if isinstance(e, Div):
        return np.divide(_eval(e.num, env), _eval(e.den, env))
    if isinstance(e, Pow):
        return np.power(_eval(e.base, env), _eval(e.exp, env))
    if isinstance(e, Call):
        return _FUNCTIONS[e.fn](_eval(e.arg, env))
    raise TypeError(f"not an expression node: {type(e).__name__}")
