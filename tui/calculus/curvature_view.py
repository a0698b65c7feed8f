"""The curvature view of calculus mode: the Hessian at the current point, read out
beside the picture and drawn on it.

Beside the picture: the Hessian, its eigenvalues and eigenvectors, the condition number,
what the signs make the point, the lr limit and the lr ladder with the limit marked.
On a surface the eigenvectors are drawn as axes through the current point (green where
f curves up, magenta where it curves down) and every critical point is marked by
kind; on a curve the quadratic model f + f' t + f'' t^2 / 2 is drawn through the point.
"""

from __future__ import annotations

import numpy as np
from rich.console import Group, RenderableType
from rich.text import Text

from gradtui.engine.calculus.curvature import Curvature, critical_points

from gradtui.tui.calculus.session import CalculusSession
from gradtui.tui.widgets.canvas import Canvas

UP, DOWN, LIMIT, MODEL = "#5fff87", "#ff5fd7", "#ff5f5f", "#5fd7ff"
"""Colours: an axis along which f curves up, one along which it curves down, the lr
limit on the ladder, and the quadratic model on a curve."""

CRITICAL_MARKS = {"minimum": "✕", "maximum": "▲", "saddle": "◆", "degenerate": "◇"}
AXIS_DOTS = 14
"""Half the on-screen length of an eigenvector axis, in braille dots."""

SHAPES = {"minimum": "curves up in every direction",
          "maximum": "curves down in every direction",
          "saddle": "curves up one way, down the other",
          "degenerate": "flat (zero curvature) along an axis"}
"""What the Hessian's signs say about f near a point that is not critical."""

PLURALS = {"minimum": "minima", "maximum": "maxima", "saddle": "saddles", "degenerate": "degenerate"}

LADDER_RUNGS = 7
"""Rungs of the lr ladder shown around the current lr (fewer when they do not fit)."""
LADDER_PREFIX = "ladder "


def short(value: float, width: int = 8) -> str:
    """``value`` in at most ``width`` characters, as few digits as read clearly."""
    value = float(value) + 0.0  # -0.0 reads as 0
    text = f"{value:.4g}"
    return text if len(text) <= width else f"{value:.2g}"


def limit_rule(optimizer: str) -> str | None:
    """The lr limit's formula for ``optimizer`` ("2/λmax" for sgd), None when it has none."""
    return {"sgd": "2/λmax", "momentum": "2(1+β)/λmax", "nesterov": "2(1+β)/((1+2β)λmax)"}.get(optimizer)


def draw_curvature(canvas: Canvas, session: CalculusSession) -> None:
    """On a surface, the eigenvector axes at the current point and the critical points
    marked by kind; on a curve, the quadratic model through the current point."""
    here = session.curvature
    if session.objective.dim == 1:
        for point in critical_points(session.objective):
            canvas.mark(point.point[0], session.objective.f(point.point), CRITICAL_MARKS[point.kind],
                        "#ffffff", bold=True)
        if here is not None:
            _model(canvas, here, session.objective.f(here.point))
        return
    for point in critical_points(session.objective):
        x, y = point.point
        canvas.mark(x, y, CRITICAL_MARKS[point.kind], "#ffffff", bold=True)
    if here is not None:
        _axes(canvas, here)


def _axes(canvas: Canvas, here: Curvature) -> None:
    """Each eigenvector as a line through the point, a fixed length on screen, numbered at
    its tip (1 for λ1, the smallest)."""
    centre = canvas.to_dots(here.point)[0]
    for i, (value, vector) in enumerate(zip(here.eigenvalues, here.eigenvectors.T)):
        direction = canvas.to_dots(here.point + vector)[0] - centre
        norm = float(np.hypot(*direction))
        if not np.isfinite(norm) or norm == 0:
            continue
        ends = canvas.from_dots(np.array([centre - direction / norm * AXIS_DOTS,
                                          centre + direction / norm * AXIS_DOTS]))
        colour = UP if value > 0 else DOWN
        canvas.polyline(ends, colour)
        canvas.mark(ends[1, 0], ends[1, 1], str(i + 1), colour, bold=True, clamp=True)


def _model(canvas: Canvas, here: Curvature, fx: float) -> None:
    """The second-order Taylor model of f at the point, across the window."""
    x, slope, bend = float(here.point[0]), float(here.gradient[0]), float(here.hessian[0, 0])
    ts = np.linspace(*canvas.xlim, 4 * canvas.width)
    with np.errstate(over="ignore", invalid="ignore"):
        canvas.polyline(np.column_stack([ts, fx + slope * (ts - x) + 0.5 * bend * (ts - x) ** 2]), MODEL)


def curvature_readout(session: CalculusSession, width: int = 40) -> RenderableType:
    """The Hessian at the current point and what it says, for the side panel."""
    here = session.curvature
    title = Text("Curvature at the current point", style="bold")
    if here is None:
        return Group(title, Text(f"{session.optimizer} {session.focus.status}: r resets", style="bold red"))
    lines: list[Text] = [title, *_hessian_lines(here, session.objective.dim)]
    if session.objective.dim == 2:
        for i, (value, vector) in enumerate(zip(here.eigenvalues, here.eigenvectors.T)):
            lines.append(Text.assemble((f"λ{i + 1} ", UP if value > 0 else DOWN), f"{short(value):>8} along "
                                       f"({short(vector[0], 6)}, {short(vector[1], 6)})"))  # (wraps at a word in a narrow panel)
        name = "λmax/λmin" if here.eigenvalues[0] > 0 else "|λ|max/|λ|min"
        lines.append(Text(f"condition number {short(here.condition_number)} ({name})"))
    lines += _limit_lines(session)
    lines.append(ladder_line(session, width))
    kind = here.kind
    lines.append(Text.assemble(("critical point: " if here.critical else "here f "),
                               (kind if here.critical else SHAPES[kind], "bold" if here.critical else "")))
    if session.objective.dim == 2:
        counts: dict[str, int] = {}
        for point in critical_points(session.objective):
            counts[point.kind] = counts.get(point.kind, 0) + 1
        lines.append(Text.assemble(*(f"{CRITICAL_MARKS[k]} {n} {PLURALS[k] if n > 1 else k}  "
                                     for k, n in counts.items()), style="dim"))
        lines.append(Text.assemble(("━ curves up", UP), "  ", ("━ curves down", DOWN), style="dim"))
    else:
        lines.append(Text.assemble(("━ quadratic model f + f'·t + f''·t²/2", MODEL), style="dim"))
    return Group(*lines)


def _hessian_lines(here: Curvature, dim: int) -> list[Text]:
    if dim == 1:
        return [Text(f"f''(x) = {short(here.hessian[0, 0])}")]
    (a, b), (c, d) = here.hessian
    cells = [[short(v) for v in row] for row in ((a, b), (c, d))]
    width = max(len(t) for row in cells for t in row)
    return [Text(f"{label} {edge[0]} {row[0]:>{width}}  {row[1]:>{width}} {edge[1]}", no_wrap=True)
            for label, row, edge in zip(("Hessian", "       "), cells, (("┌", "┐"), ("└", "┘")))]


def _limit_lines(session: CalculusSession) -> list[Text]:
    """The lr limit for the selected optimizer, where it is read, and where the lr is."""
    optimizer, limit = session.optimizer, session.lr_limit
    if limit is None:
        return [Text(f"{optimizer}: no lr limit of the form c/λmax (each step is divided by a "
                     "running RMS of the gradient)", style="dim")]
    point = session.limit_point
    where = ("at the minimum " + ", ".join(short(v, 7) for v in point)
             if session.objective.minima else "here")
    beta = f"{optimizer}, β {session.focus.descent.momentum:g}; " if optimizer != "sgd" else ""
    if not np.isfinite(limit):
        return [Text(f"no lr limit {where}: nothing curves up")]
    lr = session.lr
    verdict = ("above the limit: diverges" if lr > limit * (1 + 1e-12)
               else "at the limit: never settles" if lr >= limit * (1 - 1e-12)
               else "overshoots, still converges" if optimizer == "sgd" and lr > limit / 2
               else "converges")
    here = session.curvature
    local = here is not None and not np.array_equal(here.hessian, session.objective.hessian(point))
    return [Text.assemble("lr limit ", (f"{limit_rule(optimizer)} = {short(limit)}", f"bold {LIMIT}"),
                          f" ({beta}{where})"),
            Text.assemble("near it, " if local else "", f"lr {short(lr)}: ",
                          (verdict, "bold" if "limit" in verdict else ""))]


def ladder_line(session: CalculusSession, width: int = 40) -> Text:
    """The lr ladder's rungs around the current lr: the current lr [boxed], the limit in red."""
    ladder = list(session.ladder)
    lr, limit = session.lr, session.lr_limit
    if lr not in ladder:
        ladder = sorted([*ladder, lr])
    at = ladder.index(lr)
    rung = float(f"{limit:.12g}") if limit is not None else None
    mid = (at + ladder.index(rung)) / 2 if rung in ladder else at  # keep the limit in view too
    for count in range(LADDER_RUNGS, 1, -1):  # as many rungs as fit in ``width``
        low = int(np.clip(round(mid - (count - 1) / 2), max(0, at - count + 1), min(at, len(ladder) - count)))
        text = _rungs(ladder, max(low, 0), count, lr, limit)
        if text.cell_len <= width:
            break
        if text.cell_len - len(LADDER_PREFIX) <= width:  # without its name
            text = text[len(LADDER_PREFIX):]
            break
    text.truncate(width, overflow="ellipsis")
    return text


def _rungs(ladder: list[float], low: int, count: int, lr: float, limit: float | None) -> Text:
    text = Text(LADDER_PREFIX, style="dim", no_wrap=True, overflow="ellipsis")
    for rung in ladder[low: low + count]:
        label = f"{rung + 0.0:.3g}"
        at_limit = limit is not None and rung == float(f"{limit:.12g}")
        if at_limit:
            label = f"┃{label}┃"
        if rung == lr:
            label = f"[{label}]"
        text.append(label, style=" ".join(["bold" if at_limit or rung == lr else "",
                                           LIMIT if at_limit else "", "reverse" if rung == lr else ""]))
        text.append(" ")
    text.rstrip()
    return text

