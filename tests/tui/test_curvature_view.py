"""The calculus screen's curvature view (c): the Hessian and what it says, its axes on
the picture, the lr limit on the ladder, critical points classified."""

from __future__ import annotations

import numpy as np
import pytest
from rich.console import Console

from gradtui.engine import OBJECTIVES
from gradtui.engine.calculus.curvature import critical_points, curvature
from gradtui.tui.calculus.curvature_view import curvature_readout, ladder_line
from gradtui.tui.calculus.plot import render_picture
from gradtui.tui.calculus.session import CalculusSession
from gradtui.tui.widgets.help_screen import HelpScreen

from test_calculus_screen import Host, calculus, text_of


def plain(renderable, width: int = 60) -> str:
    console = Console(width=width, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def picture(session: CalculusSession, curvature_view: bool, size=(100, 30)) -> str:
    return "\n".join(s.text for s in render_picture(session, *size, curvature=curvature_view))


async def test_c_shows_the_hessian_its_condition_number_and_the_lr_limit_on_the_ladder():
    async with Host("bowl").run_test(size=(120, 40)) as pilot:
        screen = await calculus(pilot)
        await pilot.press("0", "c")
        assert screen.curvature and "curvature view" in text_of(screen, "#calc-status")
        side = " ".join(text_of(screen, "#calc-lanes").split())
        assert "Hessian ┌ 1 0 ┐ └ 0 25 ┘" in side
        assert "λ1 1 along (1, 0) λ2 25 along (0, 1)" in side
        assert "condition number 25 (λmax/λmin)" in side
        assert "lr limit 2/λmax = 0.08 (at the minimum 0, 0)" in side
        assert "lr 0.07: overshoots, still converges" in side
        assert "[0.07] ┃0.08┃" in side
        await pilot.press("right_square_bracket")  # onto the limit: the ladder's next rung
        assert screen.session.lr == 0.08 and "at the limit 2/λmax = 0.08" in text_of(screen, "#calc-status")
        assert "lr 0.08: at the limit: never settles" in " ".join(text_of(screen, "#calc-lanes").split())
        await pilot.press("right_square_bracket", "r")
        screen.advance(2000)
        assert screen.session.lr == 0.096 and screen.session.focus.diverged  # past it: as promised
        await pilot.press("c")
        assert not screen.curvature and "Hessian" not in text_of(screen, "#calc-lanes")


async def test_the_limit_follows_the_optimizer():
    async with Host("quadratic").run_test(size=(120, 40)) as pilot:
        screen = await calculus(pilot)
        await pilot.press("0", "c", "o")  # momentum, β 0.9
        side = " ".join(text_of(screen, "#calc-lanes").split())
        assert "lr limit 2(1+β)/λmax = 1.9 (momentum, β 0.9; at the minimum 0)" in side
        await pilot.press("o", "o")  # rmsprop
        side = " ".join(text_of(screen, "#calc-lanes").split())
        assert "rmsprop: no lr limit of the form c/λmax" in side and "┃" not in side


def test_critical_points_are_classified_on_the_screen():
    session = CalculusSession("saddle")
    session.start = np.array([0.0, 0.0])
    session.reset()
    assert "critical point: saddle" in plain(curvature_readout(session))
    session = CalculusSession("himmelblau")
    text = " ".join(plain(curvature_readout(session)).split())
    assert "✕ 4 minima ◆ 4 saddles ▲ 1 maximum" in text
    assert "here f curves down in every direction" in text  # (0, 0) is on the maximum's dome
    shown, plain_picture = picture(session, True), picture(session, False)
    assert shown.count("◆") == 4 and shown.count("▲") == 1 and "◆" not in plain_picture


def test_the_eigenvector_axes_are_drawn_through_the_current_point():
    session = CalculusSession("bowl")
    without, with_axes = picture(session, False), picture(session, True)
    assert "1" not in without.replace("10", "") and "2" not in without
    body = "\n".join(line[8:] for line in with_axes.splitlines()[:-1])  # no axis labels
    assert "1" in body and "2" in body


@pytest.mark.parametrize("name", OBJECTIVES)
def test_the_ladder_holds_the_limit_and_marks_it(name):
    session = CalculusSession(name)
    minimum = session.limit_point
    limit = curvature(session.objective, minimum).lr_limit("sgd")
    assert session.lr_limit == limit and float(f"{limit:.12g}") in session.ladder
    assert "┃" in ladder_line(session, 200).plain
    if session.objective.minima:
        assert tuple(minimum) in session.objective.minima
        found = {p.point for p in critical_points(session.objective) if p.kind == "minimum"}
        assert set(session.objective.minima) <= found  # the rest are local minima, higher up
        lowest = min(session.objective.f(m) for m in session.objective.minima)
        assert all(session.objective.f(p) > lowest for p in found - set(session.objective.minima))


async def test_help_explains_the_curvature_view_and_the_key_works_when_locked():
    async with Host("bowl").run_test(size=(120, 40)) as pilot:
        screen = await calculus(pilot)
        await pilot.press("0", "question_mark")
        assert isinstance(pilot.app.screen, HelpScreen)
        help_screen = pilot.app.screen
        keys = [row[0] for row in help_screen.rows]
        assert "c" in keys and "condition number is λmax/λmin" in help_screen.notes
        assert "converges exactly when lr < 2/λmax" in help_screen.notes
        await pilot.press("escape")
        pilot.app.locked = True
        await pilot.press("c")
        assert screen.curvature
