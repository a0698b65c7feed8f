"""What calculus mode shows about a typed function, as Rich text built from the engine alone:
the derivation (rules step by step, the result, its value at the point and the central
difference beside it), the computation graph, the two-variable probe (partials, gradient,
Hessian, eigenvalues, classification) and the Riemann sums against the exact integral.

Each view is a pure function of a ``FunctionView`` (the function, the point, the Riemann
settings), so tests read the same lines the screen draws.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from rich.console import Console
from rich.text import Text

from gradtui.engine.symbolic import (CENTRAL_H, Analysis, Curvature, Graph, Integral, Num, RiemannRow, TypedFunction,
                                     TypedVector, Var, analyse, central_difference, computation_graph, critical_points,
                                     evaluate, jacobian_at, parse, riemann_table, substitute, to_text, total_derivative)

VIEWS = ("derivation", "graph", "probe", "riemann")
"""The typed function's views, in the order ``t`` cycles them."""

RIEMANN_PIECES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384)
"""The n the Riemann view steps through (``<`` and ``>``)."""


def num(value: float) -> str:
    """A number in at most ten significant digits."""
    return f"{value:.10g}"


@dataclass(frozen=True)
class FunctionView:
    """One typed function at one point (x, or x and y), with the Riemann view's interval and n."""

    function: TypedFunction
    point: tuple[float, ...]
    interval: tuple[float, float] = (0.0, 1.0)
    pieces: int = 16
    critical: tuple = field(default=(), compare=False)
    path: tuple[str, str, float] | None = None
    """x(t), y(t) and t, for a total derivative dz/dt along that path (a preset's)."""
    window: tuple[tuple[float, float], ...] = ()
    """The picture's range per variable: the probe draws its slices across it."""

    @cached_property
    def analysis(self) -> Analysis:
        return analyse(self.function.expr, self.function.variables, self.point)

    @cached_property
    def graph(self) -> Graph:
        return computation_graph(self.function.expr, dict(zip(self.function.variables, self.point)))

    @property
    def at(self) -> str:
        names = self.function.variables
        if len(names) == 1:
            return f"x = {num(self.point[0])}"
        return f"(x, y) = ({num(self.point[0])}, {num(self.point[1])})"

    @property
    def d(self) -> str:
        """d for f(x), ∂ for f(x, y)."""
        return "d" if len(self.function.variables) == 1 else "∂"


def agreement(exact: float, numeric: float) -> Text:
    """A tick when the rule and the central difference agree to 1e-6 (relative), else a cross."""
    if not (np.isfinite(exact) and np.isfinite(numeric)):
        return Text("not finite here", style="bold yellow")
    gap = abs(exact - numeric) / max(1.0, abs(exact))
    return Text(f"✓ agree to {gap:.0e}", style="green") if gap < 1e-6 else Text(f"✗ differ by {gap:.1e}", style="bold red")


def derivation_text(view: FunctionView, rows: int = 40) -> Text:
    """f, each derivative with its value and central difference, and the rules step by step."""
    a, d = view.analysis, view.d
    names = ", ".join(view.function.variables)
    out = Text.assemble((f"f({names}) = ", "bold"), to_text(a.expr), f"   at {view.at}: f = {num(a.value)}\n")
    lines: list[Text] = []
    for der, value, numeric in zip(a.derivations, a.gradient, a.numeric_gradient):
        lines.append(Text.assemble((f"{d}f/{d}{der.var} = ", "bold"), (to_text(der.result), "bold cyan"),
                                   f" = {num(value)}   central difference (h = {CENTRAL_H:g}): {num(numeric)}  ",
                                   agreement(value, numeric)))
    for der in a.derivations:
        lines.append(Text(f"rules for {d}f/{d}{der.var}:", style="dim"))
        for s in der.steps:
            lines.append(Text.assemble("  " * (s.depth + 1), (" + ".join(s.rules), "yellow"), ": ",
                                       f"{d}/{d}{der.var} [{to_text(s.expr)}] = {to_text(s.applied)}",
                                       (f"  → {to_text(s.result)}", "cyan")))
    if view.path is not None:
        lines[len(a.derivations):len(a.derivations)] = total_lines(view)
    shown = lines[: max(1, rows - 1)]
    out.append_text(Text("\n").join(shown))
    if len(shown) < len(lines):
        out.append(f"\n… {len(lines) - len(shown)} more lines (the whole derivation: gradtui diff)", style="dim")
    return out


def total_lines(view: FunctionView) -> list[Text]:
    """dz/dt along x(t), y(t): the chain-rule terms, their sum, its value at t and the central
    difference of z(x(t), y(t)) beside it."""
    assert view.path is not None
    x_text, y_text, t = view.path
    along = {"x": parse(x_text, ("t",)), "y": parse(y_text, ("t",))}
    total = total_derivative(view.function.expr, along)
    composed = substitute(view.function.expr, {Var(v): e for v, e in along.items()})
    value = float(evaluate(total.result, {"t": t}))
    numeric = central_difference(composed, "t", {"t": t})
    terms = " + ".join(to_text(term) for term in total.terms)
    return [Text.assemble((f"along x = {x_text}, y = {y_text}: ", "bold"),
                          "dz/dt = (∂z/∂x)(dx/dt) + (∂z/∂y)(dy/dt) = ", f"{terms} = ", (to_text(total.result), "bold cyan")),
            Text.assemble(f"  at t = {num(t)}: dz/dt = {num(value)}   central difference of z(x(t), y(t)): "
                          f"{num(numeric)}  ", agreement(value, numeric))]


def graph_text(view: FunctionView, rows: int = 40) -> Text:
    """The nodes with their forward values and local derivatives, then the paths back to each variable."""
    g = view.graph
    out = Text.assemble(("computation graph", "bold"), f" at {view.at}: forward values, then local "
                        "derivatives multiplied back along each path\n")
    lines: list[Text] = []
    width = max((len(to_text(n.formula)) for n in g.nodes if n.edges), default=1) + 4
    for n in g.nodes:
        if not n.edges:
            lines.append(Text(f"  {n.name} = {num(n.value)}"))
            continue
        head = f"  {n.name} = {to_text(n.formula)}"
        locals_ = "   ".join(f"∂{n.name}/∂{e.to} = {to_text(e.local)} = {num(e.value)}" for e in n.edges)
        lines.append(Text.assemble(f"{head:<{width + 6}}", (f"= {num(n.value):<12}", "bold"), (locals_, "cyan")))
    for var, paths in g.paths.items():
        for p in paths:
            chain = " → ".join(p.names)
            factors = " × ".join(num(f) for f in p.factors) or "1"
            lines.append(Text.assemble(f"  path {chain}: ", (f"{factors} = {num(p.product)}", "yellow")))
        more = g.path_counts[var] - len(paths)
        tail = f" ({more} more paths)" if more > 0 else ""
        lines.append(Text.assemble((f"  {view.d}f/{view.d}{var} = sum over {g.path_counts[var]} path(s) = "
                                    f"{num(g.totals[var])}", "bold green"), tail))
    shown = lines[: max(1, rows - 1)]
    out.append_text(Text("\n").join(shown))
    if len(shown) < len(lines):
        out.append(f"\n… {len(lines) - len(shown)} more lines (a taller terminal shows the paths)", style="dim")
    return out


def curvature_text(c: Curvature) -> Text:
    style = {"minimum": "green", "maximum": "magenta", "saddle": "yellow"}.get(c.kind, "dim")
    return Text(c.sentence, style=f"bold {style}")


def probe_text(view: FunctionView, rows: int = 40) -> Text:
    """Partial derivatives as slopes of slices, the gradient, the Hessian, eigenvalues and
    what they say, and the critical points Newton's method finds in the window."""
    a = view.analysis
    out = Text.assemble(("probe", "bold"), f" at {view.at}: f = {num(a.value)}\n")
    if len(a.variables) == 2:
        x, y = a.point
        slices: tuple[str, ...] = (f"slope of the slice f(x, {num(y)})", f"slope of the slice f({num(x)}, y)")
    else:
        slices = ("slope of the curve",)
    for i, (der, value, numeric, what) in enumerate(zip(a.derivations, a.gradient, a.numeric_gradient, slices)):
        out.append_text(Text.assemble(f"{view.d}f/{view.d}{der.var} = {to_text(der.result)} = ", (num(value), "bold"),
                                      f"   ({what}; central difference {num(numeric)})\n"))
        if len(view.window) == len(a.variables):
            out.append_text(slice_line(view, i))
    grad = np.array(a.gradient)
    downhill = "; -grad f points straight downhill" if len(a.variables) == 2 else ""
    out.append(f"gradient ({', '.join(num(g) for g in a.gradient)}), |grad f| = {num(float(np.linalg.norm(grad)))}"
               f"{downhill}\n")
    h = "; ".join("  ".join(num(v) for v in row) for row in a.hessian)
    hx = "; ".join("  ".join(to_text(e) for e in row) for row in a.hessian_exprs)
    out.append(f"Hessian [{hx}] = [{h}]\n")
    out.append(f"eigenvalues {', '.join(num(e) for e in a.curvature.eigenvalues)}: ")
    out.append_text(curvature_text(a.curvature))
    if view.critical:
        found = ", ".join(f"({', '.join(num(c) for c in p)}) {c.kind}" for p, c in view.critical)
        out.append(f"\ncritical points in the window: {found}")
    return out


SPARKS = "▁▂▃▄▅▆▇█"


def slice_line(view: FunctionView, axis: int, width: int = 48) -> Text:
    """f along one variable across the window, the others held at the point, as a sparkline
    with ● at the point: the curve whose slope the partial derivative is."""
    low, high = view.window[axis]
    ts = np.linspace(low, high, width)
    env = {v: np.full(width, c) for v, c in zip(view.function.variables, view.point)}
    env[view.function.variables[axis]] = ts
    values = np.broadcast_to(evaluate(view.function.expr, env), ts.shape).astype(float)
    finite = np.isfinite(values)
    line = Text(f"  along {view.function.variables[axis]} [{num(low)}, {num(high)}] ", style="dim")
    if not finite.any():
        return line + Text("not finite\n")
    lo, hi = float(values[finite].min()), float(values[finite].max())
    levels = np.where(finite, np.round((values - lo) / (hi - lo or 1.0) * (len(SPARKS) - 1)), -1).astype(int)
    at = int(np.clip(np.round((view.point[axis] - low) / (high - low or 1.0) * (width - 1)), 0, width - 1))
    for k, level in enumerate(levels):
        line.append("●" if k == at else (SPARKS[level] if level >= 0 else " "), style="bold red" if k == at else "cyan")
    return line + Text("\n")


def riemann_text(view: FunctionView, rows: int = 40) -> Text:
    """Left, right and midpoint sums for n pieces and each n of a ladder, against the exact integral."""
    a, b = view.interval
    fn = view.function
    slice_note = ""
    expr = fn.expr
    if len(fn.variables) == 2:
        expr = substitute(fn.expr, {Var("y"): Num(float(view.point[1]))})
        slice_note = f" (the slice y = {num(view.point[1])})"
    ns = sorted({view.pieces, *(n for n in (4, 16, 64, 256, 1024) if n != view.pieces)})
    exact, table = riemann_table(expr, a, b, ns)
    out = Text.assemble(("Riemann sums", "bold"), f" of f on [{num(a)}, {num(b)}]{slice_note}, n pieces of width (b - a)/n\n")
    out.append_text(_exact_line(exact))
    out.append(f"\n{'n':>6}  {'left':>12} {'error':>9}  {'right':>12} {'error':>9}  {'midpoint':>12} {'error':>9}\n",
               style="dim")
    for row in table[: max(1, rows - 3)]:
        out.append_text(_row(row, row.n == view.pieces))
    out.append("left and right errors shrink like 1/n, the midpoint's like 1/n^2; < > change n", style="dim")
    return out


def _exact_line(exact: Integral) -> Text:
    how = (f"by the antiderivative F = {to_text(exact.antiderivative)}" if exact.antiderivative is not None
           else f"by {exact.method}")
    return Text.assemble("exact integral = ", (num(exact.value), "bold green"), f"  ({how})")


def _row(row: RiemannRow, current: bool) -> Text:
    cells = "  ".join(f"{row.sums[r]:>12.8g} {row.errors[r]:>9.2e}" for r in ("left", "right", "midpoint"))
    return Text(f"{row.n:>6}  {cells}\n", style="bold reverse" if current else "")


NO_DESCENT = "a vector function has no descent: there is no single number to lower"


def jacobian_text(vector: TypedVector, point: tuple[float, ...], rows: int = 40, width: int = 200) -> Text:
    """f's components at the point, why there is no descent, then each Jacobian entry
    ∂f_i/∂v_j by the rules with its value and the central difference beside it, as many as
    fit in ``rows`` lines of ``width`` cells once wrapped."""
    j = jacobian_at(vector.components, vector.variables, point)
    names = ", ".join(j.variables)
    at = ", ".join(num(c) for c in j.point)
    at = f"x = {at}" if len(j.variables) == 1 else f"(x, y) = ({at})"
    out = Text.assemble((f"f({names}) = ", "bold"), str(vector), f"   at {at}: f = ({', '.join(num(v) for v in j.values)})\n",
                        (NO_DESCENT, "yellow"), "\n", ("Jacobian J[i][j] = ∂f_i/∂v_j: row i is the gradient of f_i", "dim"))
    console = Console(width=width)
    used = len(out.wrap(console, width)) + 1  # and the line saying what is left out
    entries = [(i, der, value, central) for i, (row, values, numeric) in enumerate(
        zip(j.derivations, j.jacobian, j.numeric), start=1) for der, value, central in zip(row, values, numeric)]
    for k, (i, der, value, central) in enumerate(entries):
        line = Text.assemble((f"∂f{i}/∂{der.var} = ", "bold"), (to_text(der.result), "bold cyan"),
                             f" = {num(value)}   central difference: {num(central)}  ", agreement(value, central))
        used += len(line.wrap(console, width))
        if used > rows and k > 0:
            out.append(f"\n… {len(entries) - k} more entries (all of them: gradtui diff)", style="dim")
            break
        out.append("\n").append_text(line)
    return out


def critical_in(function: TypedFunction, window) -> tuple:
    """Critical points of ``function`` inside the viewing window (2-D windows only)."""
    if len(function.variables) != 2:
        return ()
    return tuple(critical_points(function.expr, function.variables, window, starts_per_axis=5, iterations=40))


RENDERERS = {"derivation": derivation_text, "graph": graph_text, "probe": probe_text, "riemann": riemann_text}
