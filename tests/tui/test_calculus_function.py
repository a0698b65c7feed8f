"""Calculus mode on a typed function: typing it (and a bad one), the derivation, the graph,
the probe, the Riemann view, moving the point, presets, and the ? screen's key names."""

from __future__ import annotations

from rich.console import Console
from textual.app import App
from textual.widgets import Input, Static

from gradtui.engine.symbolic import PRESETS, TypedFunction
from gradtui.tui.calculus.function_bar import FunctionBar
from gradtui.tui.calculus.screen import CalculusCommands, CalculusScreen
from gradtui.tui.widgets.help_screen import HelpScreen


class Host(App):
    def on_mount(self) -> None:
        self.push_screen(CalculusScreen("quadratic"))


def text_of(screen: CalculusScreen, selector: str) -> str:
    console = Console(width=200, record=True, color_system=None)
    console.print(screen.query_one(selector, Static).content)
    return console.export_text()


async def type_function(pilot, text: str) -> None:
    await pilot.press("f")
    await pilot.pause()
    await pilot.press(*[("space" if c == " " else c) for c in text], "enter")
    await pilot.pause()


async def test_typing_a_function_shows_its_derivation_checked_by_the_central_difference():
    async with Host().run_test(size=(120, 40)) as pilot:
        screen = pilot.app.screen
        await type_function(pilot, "(2x+3)^2")
        assert screen.function == TypedFunction.parse("(2x+3)^2")
        assert not screen.query_one(FunctionBar).display and pilot.app.focused is None
        screen.session.start[:] = 1.0  # the point x = 1 of the seed's example
        screen.session.reset()
        await pilot.pause()
        text = text_of(screen, "#calc-function")
        assert "f(x) = (2x + 3)^2   at x = 1: f = 25" in text
        assert "df/dx = 4(2x + 3) = 20   central difference" in text and "✓ agree" in text
        assert "power + chain: d/dx [(2x + 3)^2]" in text and "→ 4(2x + 3)" in text
        assert "f = (2x + 3)^2" in text_of(screen, "#calc-status")
        await pilot.press("s")  # the keys act on the typed function: a step of sgd moves the point
        await pilot.pause()
        assert "at x = 1: f" not in text_of(screen, "#calc-function")


async def test_a_bad_function_points_at_the_column_and_the_previous_one_stays():
    async with Host().run_test(size=(120, 40)) as pilot:
        screen = pilot.app.screen
        await type_function(pilot, "x^2")
        await type_function(pilot, " + q")  # the bar opens with x^2 in it: x^2 + q
        error = str(screen.query_one("#function-error", Static).render())
        assert error.startswith(" " * len("f(x, y) = x^2 + ") + "^ unknown name 'q'") and "(column 7)" in error
        assert screen.function == TypedFunction.parse("x^2")
        await pilot.press("escape")
        assert not screen.query_one(FunctionBar).display
        assert screen.function == TypedFunction.parse("x^2")
        await pilot.press("s")  # keys reach the screen again, not the Input
        await pilot.pause()
        assert screen.session.steps == 1 and screen.query_one(Input).value == "x^2 + q"


async def test_t_shows_the_computation_graph_and_arrows_move_the_point():
    async with Host().run_test(size=(120, 40)) as pilot:
        screen = pilot.app.screen
        screen.show_function(TypedFunction.parse("(2x+3)^2"), (1.0,))
        await pilot.press("t")
        await pilot.pause()
        assert screen.view == "graph"
        text = text_of(screen, "#calc-function")
        assert "f = u^2" in text and "= 25" in text and "∂f/∂u = 2u = 10" in text
        assert "u = 2x + 3" in text and "∂u/∂x = 2 = 2" in text and "10 × 2 = 20" in text
        await pilot.press("right")  # start (the point) moves by 1/20 of the window: x = 1.5
        await pilot.pause()
        assert screen.session.start.tolist() == [1.5]
        assert "at x = 1.5" in text_of(screen, "#calc-function") and "= 36" in text_of(screen, "#calc-function")


async def test_two_variables_probe_and_riemann_view():
    async with Host().run_test(size=(120, 40)) as pilot:
        screen = pilot.app.screen
        screen.show_preset(PRESETS["critical"])
        await pilot.pause()
        assert screen.view == "probe"
        text = text_of(screen, "#calc-function")
        assert "∂f/∂x = 3x^2 - 3y = 0" in text and "eigenvalues 3, 9" in text and "a minimum" in text
        assert "critical points in the window: (0, 0) saddle, (1, 1) minimum" in text
        assert "along x [-3, 3]" in text and "along y [-3, 3]" in text and "●" in text  # the slices
        screen.show_preset(PRESETS["riemann"])
        await pilot.pause()
        assert screen.view == "riemann"
        text = text_of(screen, "#calc-function")
        assert "exact integral = 0.3333333333" in text and "F = x^3/3" in text
        await pilot.press("greater_than_sign")
        assert screen.pieces == 32


async def test_presets_are_in_the_palette_and_answer_right():
    async with Host().run_test(size=(120, 40)) as pilot:
        screen = pilot.app.screen
        provider = CalculusCommands(screen)
        names = [text for text, _, _ in provider._commands()]
        assert "Function: partials  x^2 y + 3xy^2" in names
        screen.show_preset(PRESETS["partials"])
        await pilot.pause()
        text = text_of(screen, "#calc-function")
        assert "∂f/∂x = 2xy + 3y^2 = 1" in text and "∂f/∂y = x^2 + 6xy = -5" in text
        await pilot.press("n")  # the next built-in surface leaves the typed function
        await pilot.pause()
        assert screen.function is None and not screen.has_class("-typed")


async def test_help_lists_keys_and_what_they_do_never_raw_action_names():
    async with Host().run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        help_screen = pilot.app.screen
        assert isinstance(help_screen, HelpScreen)
        rows = {key: (name, what) for key, name, what in help_screen.rows}
        assert rows["="] == ("", "double the secant step h")
        assert rows["["] == ("", "learning rate down one rung")
        assert rows["→ l"] == ("", "move the start point right") and rows["← h"][0] == "start"
        assert rows["f"] == ("function", "type your own function f(x) or f(x, y)")
        names = " ".join(name for name, _ in rows.values())
        assert "(" not in names and "equals_sign" not in " ".join(rows)


async def test_the_app_opens_calculus_mode_on_a_function_given_on_the_command_line():
    from gradtui.tui.app import GradtuiApp

    app = GradtuiApp(function=TypedFunction.parse("x^2 + 2xy + y^2"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = pilot.app.screen
        assert isinstance(screen, CalculusScreen) and screen.function == TypedFunction.parse("x^2 + 2xy + y^2")
        assert "∂f/∂x = 2x + 2y" in text_of(screen, "#calc-function")


async def test_hostile_text_in_the_input_is_refused_or_shown_and_the_app_lives():
    async with Host().run_test(size=(80, 24)) as pilot:
        screen = pilot.app.screen
        await type_function(pilot, "x^2")
        for text, words in [("__import__('os')", "unexpected character '_'"), ("x.real", "'.'"),
                            ("lambda: 1", "unknown name 'lambda'"), ("(" * 60, "nested too deeply"),
                            ("\u0445^2", "U+0445")]:
            await pilot.press("f")
            await pilot.pause()
            screen.query_one(Input).value = text
            await pilot.press("enter")
            await pilot.pause()
            assert words in str(screen.query_one("#function-error", Static).render())
            assert screen.function == TypedFunction.parse("x^2")
            await pilot.press("escape")
        await pilot.press("f")
        await pilot.pause()
        screen.query_one(Input).value = "9^9^9 x"
        await pilot.press("enter")
        await pilot.pause()
        assert screen.function == TypedFunction.parse("9^9^9 x") and "inf" in text_of(screen, "#calc-function")
        await pilot.press("s", "t", "t", "t")
        await pilot.pause()
        assert screen.view == "riemann" and pilot.app.is_running


async def test_the_total_derivative_preset_shows_dz_dt_along_its_path():
    async with Host().run_test(size=(120, 40)) as pilot:
        screen = pilot.app.screen
        screen.show_preset(PRESETS["total"])  # z = x^2 y, x = t^2, y = t^3, t = 1
        await pilot.pause()
        assert screen.session.start.tolist() == [1.0, 1.0]
        text = text_of(screen, "#calc-function")
        assert "along x = t^2, y = t^3: dz/dt = (∂z/∂x)(dx/dt) + (∂z/∂y)(dy/dt) = 4t^6 + 3t^6 = 7t^6" in text
        assert "at t = 1: dz/dt = 7   central difference of z(x(t), y(t)): 7" in text and "✓ agree" in text
        screen.show_preset(PRESETS["chain"])
        await pilot.pause()
        assert "along x" not in text_of(screen, "#calc-function")


def test_the_error_line_fits_one_line_and_its_caret_stays_under_the_column():
    from gradtui.engine.symbolic import ParseError, parse
    from gradtui.tui.calculus.function_bar import PROMPT, error_line

    for text, width in [("x + q", 80), ("x + q", 200), ("x^2 + 3x + " * 5 + "q", 80), ("sin(x" + "+x" * 30, 60)]:
        try:
            parse(text)
        except ParseError as exc:
            line = error_line(exc, text, width)
            assert len(line) <= width and line.index("^") == len(PROMPT) + exc.column - 1, (text, line)
            assert exc.message in line
    wide = error_line(ParseError("unknown name 'q'", 5, "x + q", "known: x, y"), "x + q", 200)
    assert wide.endswith("; known: x, y")


def jacobian_entries(text: str) -> dict[str, tuple[str, float, float]]:
    """Each ``∂fi/∂v = expr = value   central difference: c`` line of the Jacobian view."""
    import re

    found = re.findall(r"(∂f\d/∂[xy]) = (.+?) = (\S+)   central difference: (\S+)  ✓ agree", text)
    return {name: (expr, float(value), float(central)) for name, expr, value, central in found}


async def test_a_vector_function_shows_its_jacobian_checked_and_the_arrows_move_the_point():
    import numpy as np

    from gradtui.engine.symbolic import TypedVector

    async with Host().run_test(size=(120, 40)) as pilot:
        screen = pilot.app.screen
        await type_function(pilot, "x^2 y, 5x + sin y")
        assert isinstance(screen.function, TypedVector) and screen.session.start.tolist() == [1.0, 1.0]
        text = text_of(screen, "#calc-function")
        assert "at (x, y) = (1, 1): f = (1, " in text and "no descent" in text
        entries = jacobian_entries(text)
        assert {k: v[0] for k, v in entries.items()} == {"∂f1/∂x": "2xy", "∂f1/∂y": "x^2", "∂f2/∂x": "5",
                                                          "∂f2/∂y": "cos(y)"}
        assert [v[1] for v in entries.values()] == [2.0, 1.0, 5.0, float(f"{np.cos(1.0):.10g}")]
        assert all(abs(value - central) < 1e-8 for _, value, central in entries.values())
        await pilot.press("s", "space")  # no descent on a vector function: the point stays
        await pilot.pause()
        assert screen.session.steps == 0 and not screen.running
        await pilot.press("right")  # the point moves by 1/20 of the window: x = 1.3
        await pilot.pause()
        assert screen.session.start.tolist() == [1.3, 1.0]
        moved = jacobian_entries(text_of(screen, "#calc-function"))
        assert moved["∂f1/∂x"][1] == 2.6 and moved["∂f1/∂y"][1] == 1.69 and abs(moved["∂f1/∂y"][2] - 1.69) < 1e-8
        await pilot.press("f", *["backspace"] * len("x^2 y, 5x + sin y"), "x", "^", "2", "enter")
        await pilot.pause()  # a scalar function typed afterwards brings back the usual views
        assert screen.function == TypedFunction.parse("x^2") and screen.view == "derivation"
        assert "df/dx = 2x" in text_of(screen, "#calc-function")


async def test_the_softmax_typed_shows_the_entries_s_i_delta_ij_minus_s_j():
    import numpy as np

    softmax = "exp(x)/(exp(x) + exp(y) + 1), exp(y)/(exp(x) + exp(y) + 1), 1/(exp(x) + exp(y) + 1)"
    async with Host().run_test(size=(120, 40)) as pilot:
        screen = pilot.app.screen
        await type_function(pilot, softmax)
        await pilot.press("right", "right", "up")  # off (1, 1), where x and y would share one slope
        await pilot.pause()
        x, y = screen.session.start.tolist()
        assert x != y
        entries = jacobian_entries(text_of(screen, "#calc-function"))
        z = np.array([x, y, 0.0])
        s = np.exp(z) / np.exp(z).sum()
        direct = np.diag(s) - np.outer(s, s)  # s_i (δij - s_j)
        shown = np.array([[entries[f"∂f{i}/∂{v}"][1] for v in "xy"] for i in (1, 2, 3)])
        assert shown.shape == (3, 2) and np.allclose(shown, direct[:, :2], rtol=1e-9, atol=1e-12)
