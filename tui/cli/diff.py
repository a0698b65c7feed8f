"""``gradtui diff EXPR --at x=1,y=2 [--json]``: a typed function's derivative by the rules.

Prints f at the point, each partial derivative in textbook form with its value and the
central difference beside it, the rules step by step, and (for f(x, y)) the Hessian with
its eigenvalues and what they say. A vector function ``f1, f2, ...`` gets its Jacobian
(row i: the gradient of f_i), each entry beside its central difference. ``--json`` writes the same as one JSON object with at
least ``value``, ``gradient`` (in the order x, y) and ``steps``; a value that is not a finite
number (9^9^9 is inf) is written as null there, so every JSON parser reads the output. Text outside the grammar
is one line naming the mistake and its column, the text with a caret under it, exit 2.
"""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

from gradtui.engine.symbolic import (Analysis, ParseError, TypedFunction, TypedVector, analyse, jacobian_at,
                                     to_text)

from gradtui.tui.cli.settings import Parser, UsageError


class FunctionError(UsageError):
    """A typed function outside the grammar: the message, then the text with a caret (``pointer``)."""

    def __init__(self, flag: str, error: ParseError) -> None:
        hint = f" ({error.hint})" if error.hint else ""
        super().__init__(f"{flag}: {error.message} at column {error.column}{hint}")
        self.pointer = error.pointer()


def typed_function(text: str, flag: str = "EXPR") -> TypedFunction:
    """``text`` parsed, or a ``FunctionError`` pointing at the column."""
    try:
        return TypedFunction.parse(text)
    except ParseError as exc:
        raise FunctionError(flag, exc) from None


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="gradtui diff", description="Differentiate a typed f(x) or f(x, y) by the rules, "
                    "step by step, and check each derivative against a central difference.",
                    epilog="grammar: numbers, x, y, + - * / ^ (or **), parentheses, sin cos tan exp "
                           "log/ln sqrt abs, pi, e; 2x, 2(x+1) and x y multiply; -x^2 is -(x^2).")
    parser.add_argument("expr", metavar="EXPR", help="the function, e.g. 'x^2 y + 3xy^2' (or a vector "
                        "function 'x^2 y, 5x + sin(y)': its Jacobian)")
    parser.add_argument("--at", default="", metavar="x=1,y=2", help="the point (default: every variable 0)")
    parser.add_argument("--json", action="store_true", help="one JSON object instead of text")
    return parser


def _point(text: str, variables: tuple[str, ...]) -> tuple[float, ...]:
    values = dict.fromkeys(variables, 0.0)
    given: set[str] = set()
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or name not in ("x", "y"):
            raise UsageError(f"--at: expected name=value pairs of x and y like x=1,y=2, got {part!r}")
        try:
            number = float(value)
        except ValueError:
            raise UsageError(f"--at: {name} must be a number, got {value.strip()!r}") from None
        if not math.isfinite(number):
            raise UsageError(f"--at: {name} must be a finite number, got {value.strip()!r}")
        if name not in values:
            raise UsageError(f"--at gives {name}, but the function does not use it (a function of x alone)")
        values[name] = number
        given.add(name)
    missing = [v for v in variables if v not in given] if text.strip() else []
    if missing:
        raise UsageError(f"--at needs {missing[0]} too: the function uses {' and '.join(variables)}")
    return tuple(values.values())


def report(analysis: Analysis, text: str) -> dict[str, Any]:
    """The JSON object: value, gradient (and its central differences), derivatives, steps, Hessian."""
    names = analysis.variables
    out: dict[str, Any] = {
        "function": text, "expression": to_text(analysis.expr), "variables": list(names),
        "point": dict(zip(names, analysis.point)), "value": analysis.value,
        "gradient": list(analysis.gradient), "central_difference": list(analysis.numeric_gradient),
        "derivatives": [{"variable": d.var, "result": to_text(d.result), "value": g, "central_difference": c,
                         "rules": list(d.rules_used)}
                        for d, g, c in zip(analysis.derivations, analysis.gradient, analysis.numeric_gradient)],
        "steps": [dict(s.to_dict(), variable=d.var) for d in analysis.derivations for s in d.steps],
    }
    out["hessian"] = [list(row) for row in analysis.hessian]
    out["hessian_expressions"] = [[to_text(e) for e in row] for row in analysis.hessian_exprs]
    out["eigenvalues"] = list(analysis.curvature.eigenvalues)
    out["classification"] = analysis.curvature.kind if analysis.curvature.critical else "not critical"
    return out


def lines(analysis: Analysis) -> list[str]:
    """The text report."""
    names = analysis.variables
    at = ", ".join(f"{n} = {v:g}" for n, v in zip(names, analysis.point))
    d = "d" if len(names) == 1 else "∂"
    out = [f"f({', '.join(names)}) = {to_text(analysis.expr)}", f"at {at}: f = {analysis.value:.10g}", ""]
    for der, value, numeric in zip(analysis.derivations, analysis.gradient, analysis.numeric_gradient):
        out.append(f"{d}f/{d}{der.var} = {to_text(der.result)} = {value:.10g}"
                   f"    (central difference {numeric:.10g})")
        for s in der.steps:
            out.append(f"  {'  ' * s.depth}{' + '.join(s.rules)}: {d}/{d}{der.var} [{to_text(s.expr)}]"
                       f" = {to_text(s.applied)} = {to_text(s.result)}")
        out.append("")
    if len(names) == 2:
        out.append("gradient = (" + ", ".join(f"{g:.10g}" for g in analysis.gradient) + ")")
    h = analysis.hessian
    out.append("Hessian = [" + "; ".join(" ".join(f"{v:.6g}" for v in row) for row in h) + "]"
               + "   eigenvalues " + ", ".join(f"{e:.6g}" for e in analysis.curvature.eigenvalues))
    out.append(analysis.curvature.sentence)
    return out


def jacobian_report(text: str, at: str) -> dict[str, Any]:
    """A vector function's values, Jacobian (symbolic and in numbers), central differences and steps."""
    try:
        vector = TypedVector.parse(text)
    except ParseError as exc:
        raise FunctionError("EXPR", exc) from None
    j = jacobian_at(vector.components, vector.variables, _point(at, vector.variables))
    return {
        "function": text, "components": [to_text(p) for p in j.components], "variables": list(j.variables),
        "point": dict(zip(j.variables, j.point)), "value": list(j.values),
        "jacobian": [list(row) for row in j.jacobian],
        "jacobian_expressions": [[to_text(d.result) for d in row] for row in j.derivations],
        "central_difference": [list(row) for row in j.numeric],
        "steps": [dict(s.to_dict(), component=i + 1, variable=d.var)
                  for i, row in enumerate(j.derivations) for d in row for s in d.steps],
    }


def jacobian_lines(out: dict[str, Any]) -> list[str]:
    at = ", ".join(f"{n} = {v:g}" for n, v in out["point"].items())
    lines = [f"f = ({', '.join(out['components'])})", f"at {at}: f = ({', '.join(f'{v:.10g}' for v in out['value'])})",
             "Jacobian, row i the gradient of f_i:"]
    for i, (exprs, values, numeric) in enumerate(zip(out["jacobian_expressions"], out["jacobian"],
                                                     out["central_difference"]), start=1):
        for var, e, v, c in zip(out["variables"], exprs, values, numeric):
            lines.append(f"  ∂f{i}/∂{var} = {e} = {v:.10g}    (central difference {c:.10g})")
    return lines


def _json(out: Any) -> str:
    """``out`` as standard JSON: inf and NaN (which json.dumps would write as bare words
    no strict parser accepts) become null."""
    def finite(value: Any) -> Any:
        if isinstance(value, float):
            return value if math.isfinite(value) else None
        if isinstance(value, dict):
            return {k: finite(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [finite(v) for v in value]
        return value
    return json.dumps(finite(out), allow_nan=False)


def command(args: argparse.Namespace) -> int:
    if "," in args.expr:
        out = jacobian_report(args.expr, args.at)
        print(_json(out) if args.json else "\n".join(jacobian_lines(out)))
        return 0
    fn = typed_function(args.expr)
    analysis = analyse(fn.expr, fn.variables, _point(args.at, fn.variables))
    if args.json:
        print(_json(report(analysis, args.expr)))
    else:
        print("\n".join(lines(analysis)))
    return 0
