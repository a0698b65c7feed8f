"""The calculus screen: every key, the race lanes, the derivative view, the command
palette entries, divergence and tiny terminals, driven through a minimal host app."""

from __future__ import annotations

import numpy as np
import pytest
from rich.console import Console
from textual.app import App
from textual.command import CommandList, CommandPalette
from textual.widgets import Static

from gradtui.engine import OBJECTIVES, OPTIMIZERS, get_objective
from gradtui.tui.calculus.panels import fmt
from gradtui.tui.calculus.plot import OPTIMIZER_COLOURS, CalculusPlot, render_picture
from gradtui.tui.calculus.screen import CalculusCommands, CalculusScreen
from gradtui.tui.calculus.session import MAX_STEPS, CalculusSession
from gradtui.tui.widgets.help_screen import HelpScreen
from gradtui.tui.train.prediction_view import SKIPPED, PredictionPanel
from gradtui.engine.train.ladders import LR_LADDER


class Host(App):
    """Shows one calculus screen on top of the default screen."""

    def __init__(self, objective: str = "rosenbrock") -> None:
        super().__init__()
        self.objective = objective

    def on_mount(self) -> None:
        self.push_screen(CalculusScreen(self.objective))


def text_of(screen: CalculusScreen, selector: str) -> str:
    """What a Static of the screen shows, as plain text."""
    console = Console(width=200, record=True, color_system=None)
    console.print(screen.query_one(selector, Static).content)
    return console.export_text()


async def calculus(pilot) -> CalculusScreen:
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, CalculusScreen)
    return screen


async def wait_until(pilot, condition, seconds: float = 30.0) -> None:
    """Until ``condition()`` holds: a bounded poll (a loaded machine takes longer than a quiet
    one, so no fixed count of pauses), failing with a clear message if it never does."""
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"still not true after {seconds} s")


def xs(screen: CalculusScreen) -> list[list[float]]:
    return [row.x.tolist() for row in screen.session.focus.descent.trajectory]


async def test_step_key_advances_and_the_table_prints_exact_float64():
    async with Host("quadratic").run_test(size=(120, 40)) as pilot:
        screen = await calculus(pilot)
        for _ in range(4):
            await pilot.press("s")
        assert xs(screen) == [[10.0], [8.0], [6.4], [5.12], [4.096]]
        assert "16.777216" in text_of(screen, "#calc-table")
        assert "step 4" in text_of(screen, "#calc-status")
        screen.advance(16)
        await pilot.pause()
        table = text_of(screen, "#calc-table")
        assert "0.11529215046068471" in table and "0.013292279957849162" in table


async def test_reset_key_returns_to_the_start():
    async with Host().run_test(size=(120, 40)) as pilot:
        screen = await calculus(pilot)
        for key in "sss":
            await pilot.press(key)
        assert len(xs(screen)) == 4
        await pilot.press("r")
        assert xs(screen) == [[-1.2, 1.0]]


async def test_lr_keys_walk_the_ladder_and_apply_from_the_next_step():
    async with Host("quadratic").run_test(size=(120, 40)) as pilot:
        screen = await calculus(pilot)
        descent = screen.session.focus.descent
        await pilot.press("right_square_bracket")
        assert (descent.lr, descent.optimizer.lr) == (0.3, 0.3)
        await pilot.press("s")
        assert xs(screen)[-1] == [10.0 - 0.3 * 20.0]
        await pilot.press("left_square_bracket", "left_square_bracket")
        assert screen.session.lr == 0.03 == screen.session.focus.descent.lr
        ladder = screen.session.ladder  # 1-3-10, plus 0.5, 0.8, 1, 1.2 times the limit 2/λmax = 1
        assert ladder[ladder.index(0.1):ladder.index(3.0) + 1] == (0.1, 0.3, 0.5, 0.8, 1.0, 1.2, 3.0)
        for _ in range(len(ladder)):
            screen.session.step_lr(up=True)
        await pilot.press("right_square_bracket")
        assert screen.session.lr == LR_LADDER[-1] == 10.0
        for _ in range(len(ladder)):
            screen.session.step_lr(up=False)
        await pilot.press("left_square_bracket")
        assert screen.session.lr == LR_LADDER[0] == 1e-5
        await pilot.press("r")
        assert screen.session.focus.descent.lr == 1e-5


async def test_start_keys_move_the_start_and_restart():
    async with Host().run_test(size=(120, 40)) as pilot:
        screen = await calculus(pilot)
        await pilot.press("s", "right")
        assert xs(screen) == [[-1.0, 1.0]]
        await pilot.press("up", "k")
        assert xs(screen) == [[-1.0, 1.4]]
        await pilot.press("down", "h", "l", "l")
        assert screen.session.start.tolist() == [-0.8, 1.2]
        await pilot.press(*["j"] * 12)
        assert screen.session.start.tolist() == [-0.8, -1.0]
        assert "start at" in text_of(screen, "#calc-status")


async def test_up_and_down_do_not_move_a_curve():
    async with Host("quadratic").run_test(size=(120, 40)) as pilot:
        screen = await calculus(pilot)
        await pilot.press("up")
        assert screen.session.start.tolist() == [10.0]
        assert "one coordinate" in text_of(screen, "#calc-status")
        await pilot.press("left")
        assert screen.session.start.tolist() == [8.8]


async def test_surface_keys_cycle_through_every_surface():
    names = list(OBJECTIVES)
    async with Host().run_test(size=(120, 40)) as pilot:
        screen = await calculus(pilot)
        i = names.index("rosenbrock")
        await pilot.press("n")
        assert screen.session.objective.name == names[i + 1]
        assert xs(screen) == [list(get_objective(names[i + 1]).start)]
        await pilot.press("p", "p")
        assert screen.session.objective.name == names[i - 1]
        for _ in range(len(names)):
            await pilot.press("n")
        assert screen.session.objective.name == names[i - 1]
        assert names[i - 1] in text_of(screen, "#calc-surface")


async def test_race_key_gives_one_lane_per_optimizer_each_in_its_colour():
    async with Host().run_test(size=(120, 40)) as pilot:
        screen = await calculus(pilot)
        await pilot.press("R")
        session = screen.session
        assert list(session.lanes) == list(OPTIMIZERS)
        await pilot.press("s", "s")
        screen.advance(28)
        starts = {tuple(lane.path[0]) for lane in session.lanes.values()}
        assert starts == {(-1.2, 1.0)}
        assert {lane.last.step for lane in session.lanes.values()} == {30}
        legend = text_of(screen, "#calc-lanes")
        assert all(name in legend for name in OPTIMIZERS)
        plot = screen.query_one(CalculusPlot)
        colours = {seg.style.color.name for strip in render_picture(session, plot.size.width,
                                                                    plot.size.height)
                   for seg in strip if seg.style and seg.style.color}
        assert {c.lower() for c in OPTIMIZER_COLOURS.values()} <= colours
        await pilot.press("R")
        assert list(session.lanes) == ["sgd"]


async def test_optimizer_key_switches_the_descent_or_the_followed_lane():
    async with Host().run_test(size=(120, 40)) as pilot:
        screen = await calculus(pilot)
        await pilot.press("s", "o")
        assert screen.session.optimizer == OPTIMIZERS[1]
        assert list(screen.session.lanes) == [OPTIMIZERS[1]] and len(xs(screen)) == 1
        await pilot.press("R", "s", "o")
        assert screen.session.optimizer == OPTIMIZERS[2]
        assert screen.session.focus.last.step == 1
        assert f"{OPTIMIZERS[2]} · lr" in text_of(screen, "#calc-table")


async def test_derivative_view_h_keys_slide_the_secant_toward_the_tangent():
    async with Host("quadratic").run_test(size=(120, 40)) as pilot:
        screen = await calculus(pilot)
        session = screen.session
        h0 = session.h
        await pilot.press("minus")
        assert session.h == h0
        await pilot.press("d")
        assert screen.derivative
        errors = []
        for _ in range(4):
            await pilot.press("minus")
            (row,) = session.secants([session.h])
            errors.append(row.error)
            readout = text_of(screen, "#calc-lanes")
            assert f"secant   {fmt(row.slope, 26)}" in readout
            assert f"exact    {fmt(20.0, 26)}" in readout
        assert session.h == h0 / 16
        assert errors == sorted(errors, reverse=True) and errors[-1] < 1.0
        await pilot.press("equals_sign")
        assert session.h == h0 / 8
        await pilot.press("underscore")
        assert session.h == h0 / 80
        await pilot.press("plus")
        assert session.h == pytest.approx(h0 / 8)
        assert "secant slopes for each h tried" in text_of(screen, "#calc-table")
        await pilot.press("d")
        assert not screen.derivative


async def test_derivative_view_on_a_surface_uses_the_slice_along_x():
    async with Host().run_test(size=(120, 40)) as pilot:
        screen = await calculus(pilot)
        await pilot.press("d", "minus")
        f, x, exact = screen.session.slice()
        assert f(x) == get_objective("rosenbrock").f((-1.2, 1.0))
        assert exact == get_objective("rosenbrock").grad((-1.2, 1.0))[0]
        assert "f along x at y = 1.0" in text_of(screen, "#calc-lanes")


async def test_space_runs_and_pauses():
    async with Host().run_test(size=(120, 40)) as pilot:
        screen = await calculus(pilot)
        await pilot.press("space")
        assert screen.running
        await wait_until(pilot, lambda: screen.session.steps > 3)
        assert screen.session.steps > 3
        assert "RUNNING" in text_of(screen, "#calc-status")
        await pilot.press("space")
        assert not screen.running
        steps = screen.session.steps
        await pilot.pause(0.3)
        assert screen.session.steps == steps
        assert "PAUSED" in text_of(screen, "#calc-status")


async def test_divergence_pauses_the_run_and_is_shown_not_raised():
    async with Host("quadratic").run_test(size=(120, 40)) as pilot:
        screen = await calculus(pilot)
        await pilot.press(*["right_square_bracket"] * 6)
        assert screen.session.lr == 3.0
        await pilot.press("s")
        assert xs(screen)[-1] == [-50.0]
        assert "off the picture" in text_of(screen, "#calc-status")
        await pilot.press("space")
        await wait_until(pilot, lambda: not screen.running)
        # the frame that says so is drawn when its FrameReady arrives, however long that takes
        await wait_until(pilot, lambda: "DIVERGED" in text_of(screen, "#calc-status"))
        assert not screen.running and screen.session.focus.diverged
        status = text_of(screen, "#calc-status")
        assert "DIVERGED" in status and "diverged at step" in status
        await pilot.press("s")
        assert "every lane diverged" in text_of(screen, "#calc-status")
        await pilot.press("d", "minus")
        assert "diverged" in text_of(screen, "#calc-lanes")


async def test_escape_pops_back():
    async with Host().run_test(size=(120, 40)) as pilot:
        await calculus(pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(pilot.app.screen, CalculusScreen)
        assert len(pilot.app.screen_stack) == 1


@pytest.mark.parametrize("size", [(12, 4), (60, 20)])
async def test_tiny_terminal_does_not_crash(size):
    async with Host().run_test(size=size) as pilot:
        screen = await calculus(pilot)
        await pilot.press("s", "R", "s", "d", "minus", "d", "n", "right", "space", "space")
        assert screen.session.objective.name == "himmelblau"


async def test_command_palette_entries_switch_surfaces_and_run_actions():
    async with Host().run_test(size=(120, 40)) as pilot:
        screen = await calculus(pilot)
        provider = CalculusCommands(screen)
        texts = [hit.text async for hit in provider.discover()]
        assert texts[:len(OBJECTIVES)] == [f"Calculus: {name}" for name in OBJECTIVES]
        assert "Calculus: race all optimizers on/off" in texts
        (beale,) = [hit async for hit in provider.search("calculus beale")]
        beale.command()
        assert screen.session.objective.name == "beale"
        (race,) = [hit async for hit in provider.search("race all")]
        await race.command()
        assert screen.session.racing
        assert [hit async for hit in CalculusCommands(pilot.app.screen_stack[0]).discover()] == []


async def test_the_palette_opened_on_the_screen_lists_its_entries():
    async with Host().run_test(size=(120, 40)) as pilot:
        screen = await calculus(pilot)
        await pilot.press("ctrl+p", *"calculus saddle")
        palette = pilot.app.screen
        assert isinstance(palette, CommandPalette)
        await wait_until(pilot, lambda: palette.query_one(CommandList).option_count > 0)
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.session.objective.name == "saddle")
        assert pilot.app.screen is screen and screen.session.objective.name == "saddle"


def test_session_stops_at_the_step_limit_and_says_so():
    session = CalculusSession("quadratic", "sgd")
    session.lrs["sgd"] = 1.0
    session.reset()
    events = session.step(MAX_STEPS + 5)
    assert session.steps == MAX_STEPS and events[-1].startswith("stopped at the step limit")
    assert session.focus.status == f"not there in {MAX_STEPS} steps"
    assert session.all_finished and session.step(1) == []


def test_session_reports_when_each_lane_finishes():
    session = CalculusSession("quadratic", racing=True)
    session.lrs["sgd"] = 1.1
    session.reset()
    events = session.step(300)
    assert "sgd diverged at step" in " ".join(events)
    assert session.lanes["sgd"].status.startswith("diverged at step")
    adam = session.lanes["adam"]
    assert adam.reached == adam.descent.steps_to_minimum(1e-3)
    assert adam.status == f"minimum at step {adam.reached}"
    assert f"adam reached the minimum at step {adam.reached}" in events


def test_steps_per_tick_start_slow_and_stay_within_budget():
    session = CalculusSession("bowl", racing=True)
    assert session.steps_per_tick() == 1
    session.step(1200)
    assert 1 < session.steps_per_tick() <= 100
    single = CalculusSession("bowl")
    single.step(1200)
    assert session.steps_per_tick() < single.steps_per_tick() <= 500


def test_pictures_survive_points_far_outside_the_window():
    session = CalculusSession("quadratic")
    session.lrs["sgd"] = 3.0
    session.reset()
    session.step(100)
    assert session.focus.diverged
    for derivative in (False, True):
        strips = render_picture(session, 80, 24, derivative)
        assert len(strips) == 24 and {s.cell_length for s in strips} == {80}


async def test_race_status_names_the_first_arrival_even_when_later_ones_arrive_in_later_ticks():
    async with Host("rosenbrock").run_test(size=(120, 40)) as pilot:
        screen = await calculus(pilot)
        await pilot.press("R")
        while not screen.session.all_finished:
            screen.advance(500)
        await pilot.pause()
        lanes = screen.session.lanes.values()
        reached = {lane.name: lane.reached for lane in lanes if lane.reached is not None}
        first = min(reached, key=reached.get)
        later = [name for name, step in reached.items() if step > reached[first] + 500]
        assert later  # someone arrived in a later tick than the winner
        status = text_of(screen, "#calc-status")
        assert f"{first} reached the minimum first, at step {reached[first]}" in status
        assert all(f"{name} reached the minimum first" not in status for name in later)


async def test_each_table_row_holds_one_step_x_its_gradient_and_the_move_taken_from_it():
    async with Host("quadratic").run_test(size=(120, 40)) as pilot:
        screen = await calculus(pilot)
        for _ in range(4):
            await pilot.press("s")
        lines = {line.split()[0]: line.split() for line in text_of(screen, "#calc-table").splitlines()
                 if line.split() and line.split()[0].isdigit()}
        # step 3: x = 5.12, f = 26.2144, gradient 2x = 10.24, then the move 0.1 * 10.24 to 4.096
        assert lines["3"] == ["3", "5.12", "26.2144", "10.24", "1.024"]
        assert lines["4"] == ["4", "4.096", "16.777216", "8.192"]  # its move is still to come
        assert "next move" in text_of(screen, "#calc-table")


async def test_question_mark_opens_calculus_help_and_the_footer_lists_it():
    async with Host("quadratic").run_test(size=(120, 40)) as pilot:
        screen = await calculus(pilot)
        shown = [active.binding.key_display for active in screen.active_bindings.values()
                 if active.binding.show]
        assert "?" in shown
        await pilot.press("question_mark")
        assert isinstance(pilot.app.screen, HelpScreen)
        assert "next move" in pilot.app.screen.notes and pilot.app.screen.title_text == "calculus keys"
        await pilot.press("escape")
        assert pilot.app.screen is screen


async def test_a_surface_asks_its_question_first_and_its_own_run_reveals_the_answer():
    async with Host("saddle").run_test(size=(120, 40)) as pilot:
        screen = await calculus(pilot)
        panel = screen.query_one(PredictionPanel)
        assert panel.display and "saddle point" in str(panel.render())
        await pilot.press("2")  # "in along x, then away along y"
        assert "You predicted: in along x, then away along y" in str(panel.render())
        screen.advance(60)
        await pilot.pause()
        text = str(panel.render())
        assert "Answer: in along x, then away along y. You predicted it." in text
        assert "Evidence: step 38:" in text
    async with Host("bowl").run_test(size=(120, 40)) as pilot:  # no question for this surface
        screen = await calculus(pilot)
        assert not screen.query_one(PredictionPanel).display


async def test_a_surface_question_is_skipped_by_0_or_by_stepping_and_v_shows_the_answer():
    async with Host("quadratic").run_test(size=(120, 40)) as pilot:
        screen = await calculus(pilot)
        await pilot.press("s")
        assert pilot.app.predictions["quadratic"].choice == SKIPPED
        assert not screen.query_one(PredictionPanel).display
        await pilot.press("v")
        assert "Answer: from one side" in str(screen.query_one(PredictionPanel).render())


async def test_the_surface_hint_is_shown_and_its_keys_do_what_it_says():
    async with Host("quadratic").run_test(size=(120, 40)) as pilot:
        screen = await calculus(pilot)
        assert "Try: ] three times (lr 0.8): x overshoots 0 every step yet closes in" in " ".join(
            text_of(screen, "#calc-surface").split())
        await pilot.press("0", *["right_square_bracket"] * 3, "s", "s", "s")
        assert screen.session.lr == 0.8 and np.allclose(xs(screen), [[10.0], [-6.0], [3.6], [-2.16]])
        await pilot.press("right_square_bracket", "r", "s", "s", "s")
        assert screen.session.lr == 1.0 and xs(screen) == [[10.0], [-10.0], [10.0], [-10.0]]
        await pilot.press("right_square_bracket", "r")
        screen.advance(100)
        assert screen.session.lr == 1.2 and screen.session.focus.diverged
    async with Host("bowl").run_test(size=(120, 40)) as pilot:
        screen = await calculus(pilot)
        assert "nesterov first at step 109" in " ".join(text_of(screen, "#calc-surface").split())
        await pilot.press("R")
        while not screen.session.all_finished:
            screen.advance(100)
        await pilot.pause()
        assert "nesterov reached the minimum first, at step 109" in text_of(screen, "#calc-status")
        assert screen.session.lanes["sgd"].reached == 126


async def test_on_the_saddle_a_lane_past_the_limit_escaped_and_is_not_called_diverged():
    async with Host("saddle").run_test(size=(120, 40)) as pilot:
        screen = await calculus(pilot)
        await pilot.press("0")
        while not screen.session.focus.finished:
            screen.advance(50)
        await pilot.pause()
        status, lanes = text_of(screen, "#calc-status"), text_of(screen, "#calc-lanes")
        assert "ESCAPED" in status and "DIVERGED" not in status and "diverged" not in status
        assert "escaped at step 114" in lanes and "sgd escaped along y at step 114" in status
        assert "minimum" not in text_of(screen, "#calc-surface").replace("no minimum", "")
    async with Host("quadratic").run_test(size=(120, 40)) as pilot:  # with a minimum: diverged
        screen = await calculus(pilot)
        await pilot.press("0", *["right_square_bracket"] * 5)
        while not screen.session.focus.finished:
            screen.advance(50)
        await pilot.pause()
        assert "DIVERGED" in text_of(screen, "#calc-status")
        assert "diverged at step" in text_of(screen, "#calc-lanes")
