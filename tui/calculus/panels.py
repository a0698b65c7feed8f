"""Text beside and below the calculus picture, as Rich renderables built from a session:
the surface and the legend of lanes, the trajectory table, and the derivative readout.

Numbers are shown in full (the shortest text that reads back as the same float64)
whenever they fit, so the table agrees digit for digit with ``gradtui run``.
"""

from __future__ import annotations

import numpy as np
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from gradtui.engine.scenarios.catalog import SCENARIOS
from gradtui.tui.calculus.plot import ARROWS, MARK, SECANT, TANGENT, lane_colour
from gradtui.tui.calculus.session import CalculusSession


def fmt(value: float, width: int = 12) -> str:
    """``value`` as its shortest round-trip text if that fits in ``width`` characters,
    else with as many significant digits as fit."""
    text = repr(float(value))
    for digits in range(16, 0, -1):
        if len(text) <= width:
            break
        text = f"{float(value):.{digits}g}"
    return text


def fmt_vector(values: np.ndarray, width: int) -> str:
    """The coordinates of a point or gradient, comma-separated, within ``width``."""
    each = (width - 2 * (len(values) - 1)) // len(values)
    return ", ".join(fmt(v, each) for v in values)


def surface_info(session: CalculusSession, derivative: bool = False) -> RenderableType:
    """The surface's name, the scenario's hint (what to try on it: first, so that a short
    panel still shows it whole), what the marks on the picture mean, and its one-line story."""
    obj = session.objective
    title = Text.assemble((obj.name, "bold"), f"  ({obj.dim}-D)")
    if obj.minima:
        first = fmt_vector(np.array(obj.minima[0]) + 0.0, 24)
        count = len(obj.minima)
        minima = Text(f"minimum at {first}" if count == 1 else f"{count} minima, one at {first}",
                      style="dim")
    else:
        minima = Text("no minimum: f is unbounded below", style="dim")
    if derivative:
        key = Text.assemble(("●", MARK), " x  ", ("○", SECANT), " x+h  ", ("secant", SECANT), "  ",
                            ("tangent", TANGENT), style="dim")
    else:
        direction = "tangent" if obj.dim == 1 else f"{ARROWS[0]} -grad f (steepest descent)"
        minimum = (("✕", MARK), " minimum  ") if obj.minima else ()  # the saddle has none
        key = Text.assemble(("○", MARK), " start  ", ("●", MARK), " now  ", *minimum,
                            (direction, TANGENT if obj.dim == 1 else MARK), style="dim")
    scenario = SCENARIOS.get(obj.name)
    hint = [Text.assemble(("Try: ", "italic"), scenario.hint)] if scenario is not None else []
    return Group(title, *hint, key, minima, Text(obj.story, style="italic"))


def lane_legend(session: CalculusSession) -> RenderableType:
    """Two lines per lane (colour, optimizer and lr; then its status and f), the selected
    lane marked. Lines are cut, not wrapped, when the panel is narrow."""
    lines = []
    for name, lane in session.lanes.items():
        chosen = name == session.optimizer
        status_style = "red" if lane.diverged else "green" if lane.reached is not None else "dim"
        lines.append(Text.assemble(
            ("▶ " if chosen else "  "), ("━━ ", lane_colour(name)),
            (f"{name:<9}", "bold" if chosen else ""), f"lr {fmt(session.lrs[name], 7)}",
            no_wrap=True, overflow="ellipsis"))
        lines.append(Text.assemble("     ", (lane.status, status_style), f"  f {fmt(lane.last.f, 10)}",
                                   no_wrap=True, overflow="ellipsis"))
    return Group(*lines)


def trajectory_table(session: CalculusSession, rows: int, width: int) -> Table:
    """The selected lane's last ``rows`` points, one step per row: step, x, f(x), the
    gradient at x and the size of the move taken from x (blank for the current point,
    whose move is still to come), so every number in a row belongs to the same step."""
    lane = session.focus
    dim = session.objective.dim
    unit = max(6, (width - 8 - 14) // (2 * dim + 2))
    table = Table(box=None, padding=(0, 1), header_style="bold", expand=False,
                  title=Text(f"{lane.name} · lr {fmt(session.lr)}", style="bold"),
                  title_justify="left")
    table.add_column("step", justify="right", width=6)
    for name, share in (("x", dim), ("f(x)", 1), ("gradient", dim), ("next move", 1)):
        table.add_column(name, justify="right", width=unit * share + 2 * (share - 1))
    trajectory = lane.descent.trajectory
    shown = trajectory[-rows:] if rows > 0 else []
    for row in shown:
        following = trajectory[row.step + 1] if row.step + 1 < len(trajectory) else None
        table.add_row(str(row.step), fmt_vector(row.x, unit * dim + 2 * (dim - 1)),
                      fmt(row.f, unit), fmt_vector(row.grad, unit * dim + 2 * (dim - 1)),
                      fmt(following.step_size, unit) if following is not None else "")
    return table


def secant_readout(session: CalculusSession) -> RenderableType:
    """The slopes at the current point: the secant through x + h, the exact derivative,
    their difference, and the central secant for comparison."""
    f, x, exact = session.slice()
    warning = Text(f"{session.optimizer} {session.focus.status}: r resets", style="bold red")
    if not np.isfinite([x, exact]).all():
        return warning
    (forward,) = session.secants([session.h])
    (central,) = session.secants([session.h], "central")
    exact_name = "f'(x)" if session.objective.dim == 1 else "df/dx"
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=8)
    grid.add_column()
    rows = [("x", x, ""), ("h", session.secant_h, ""), ("secant", forward.slope, SECANT),
            ("exact", exact, TANGENT), ("diff", forward.slope - exact, ""),
            ("central", central.slope, "dim")]
    for label, value, style in rows:
        grid.add_row(Text(label, style=style), fmt(value, 26))
    notes = [("secant", "(f(x+h) - f(x)) / h: orange line", SECANT),
             ("exact", f"{exact_name}: green tangent", TANGENT),
             ("central", "(f(x+h) - f(x-h)) / 2h", "dim")]
    along = [] if session.objective.dim == 1 else [
        Text(f"f along x at y = {fmt(session.focus.last.x[1], 24)}", style="dim")]
    title = warning if session.focus.diverged else Text("Derivative as a limit of secants", style="bold")
    return Group(title, *along, grid, Text(),
                 *(Text.assemble((name, style), f" = {what}") for name, what, style in notes),
                 Text("- halves h, = doubles it, _ and + by ten; too small an h and "
                      "rounding in f(x+h) - f(x) takes over.", style="dim italic"))


def secant_table(session: CalculusSession, rows: int, width: int) -> Table:
    """The secant slopes for the last ``rows`` values of h tried, newest last."""
    unit = max(6, (width - 10) // 5)
    table = Table(box=None, padding=(0, 1), header_style="bold",
                  title=Text("secant slopes for each h tried", style="bold"), title_justify="left")
    for name in ("h", "secant slope", "|error|", "central slope", "|error|"):
        table.add_column(name, justify="right", width=unit)
    hs = session.h_history[-rows:] if rows > 0 else []
    for fw, ce in zip(session.secants(hs), session.secants(hs, "central")):
        table.add_row(*(fmt(v, unit) for v in (fw.h, fw.slope, fw.error, ce.slope, ce.error)))
    return table
