"""What the screen shows is what the run did (issue 21): each defect a new user met in the
first hour, reproduced with the keys they pressed, at the size it was seen, and checked on
what reached the terminal (``Terminal``), not on a pane's own idea of its rows."""

from __future__ import annotations

import asyncio
import re

from gradtui.engine import SCENARIOS
from gradtui.tui.app import GradtuiApp

from lab_pilot import logged
from terminal import painted


def loss_title(text: str) -> str:
    return next(line for line in text.splitlines() if "loss (" in line)


async def test_s_steps_reach_the_plots_on_line_fit_at_120x40():
    """1. `2`, `] ]`, then `s` eight times: the plots show eight steps, not "no steps yet"."""
    app = GradtuiApp(scenario=SCENARIOS["line-fit"])
    async with app.run_test(size=(120, 40)) as pilot:
        terminal = await painted(pilot)
        await terminal.type("2", "]", "]", *["s"] * 8)
        text = await terminal.wait_for(lambda t: "step 8" in t and "no steps" not in t)
        assert "m = 1.5636  b = -1.1029" in text
        axis = [line for line in text.splitlines() if re.search(r"└0 .* 8│", line)]
        assert len(axis) == 2, text  # both plots' step axes end at step 8


async def test_every_s_step_reaches_the_plots_at_80x24():
    app = GradtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        terminal = await painted(pilot)
        for n in (1, 2, 3):
            await terminal.type("s")
            text = await terminal.wait_for(lambda t: f"step {n}" in t and "no steps" not in t)
            assert re.search(rf"└0 .*{n}│", text), text


async def test_reset_then_steps_show_the_new_run_not_the_old_one():
    """2. Train a while, pause, `r`, `s` five times: the loss plot shows five steps (no
    "steps/bucket" of the old run, its axis ends at 5)."""
    app = GradtuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        terminal = await painted(pilot)
        await terminal.type("space")
        await terminal.wait_for(lambda t: "steps/bucket" in loss_title(t), seconds=60)
        await terminal.type("space", "r", *["s"] * 5)
        text = await terminal.wait_for(lambda t: "step 5 " in t and "steps/bucket" not in loss_title(t))
        assert loss_title(text).startswith("╭─ loss (log scale) ─")
        assert re.search(r"└0 .*5│", text), text


async def test_l_while_paused_redraws_the_loss_plot_at_once():
    """3. A view key acts at once when paused: `l` switches the loss axis to linear."""
    app = GradtuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        terminal = await painted(pilot)
        await terminal.type("s", "s", "s")
        await terminal.wait_for(lambda t: "step 3" in t and "no steps" not in t)
        await terminal.type("l")
        text = await terminal.wait_for(lambda t: "loss (linear scale)" in t)
        await terminal.type("l")
        text = await terminal.wait_for(lambda t: "loss (log scale)" in t)
        assert "no steps" not in text


async def test_help_and_readme_say_where_training_runs():
    """11. `?` said space trains "in a background thread"; on Linux it is a process of its own."""
    from pathlib import Path

    from gradtui.tui.train.keys import HELP
    from gradtui.tui.widgets.help_screen import HelpScreen

    app = GradtuiApp()
    async with app.run_test(size=(200, 60)) as pilot:
        terminal = await painted(pilot)
        await terminal.type("question_mark")
        text = await terminal.wait_for(lambda t: "on Linux in a process of its own" in t)
        assert isinstance(app.screen, HelpScreen) and "background thread" not in text
    assert "on Linux in a process of its own, on macOS and Windows in a thread of the app" in HELP["toggle_run"]
    readme = " ".join((Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8").split())
    assert "process of its own on Linux, in a thread of the app on macOS and Windows" in readme


async def test_the_batch_norm_checkbox_says_off_in_characters():
    """12. Off read "▐X▌ on" (only a dim colour said otherwise): now "▐ ▌ off", and "▐X▌ on" ticked."""
    from gradtui.tui.train.settings_panel import SettingsScreen

    app = GradtuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        terminal = await painted(pilot)
        await terminal.type("e")
        text = await terminal.wait_for(lambda t: "batch norm" in t)
        assert isinstance(app.screen, SettingsScreen)
        row = next(line for line in text.splitlines() if "batch norm" in line)
        assert "▐ ▌ off" in row and "X" not in row, row
        app.screen.query_one("#set-batchnorm").focus()
        await terminal.type("space")
        text = await terminal.wait_for(lambda t: "▐X▌ on" in t)
        assert "▐ ▌ off" not in text


async def test_a_locked_screen_offers_only_the_keys_it_runs():
    """5. `--lock --scenario exploding`, space: at the NaN the toast offered x and [, which a
    locked app ignores. Now it names u and r, and both do what it says; the controls pane
    shows the settings without keys and says the presenter holds them."""
    app = GradtuiApp(scenario=SCENARIOS["exploding"], locked=True)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        terminal = await painted(pilot)
        assert "controls · held by the presenter" in terminal.text
        assert "Controls locked: the presenter holds them." in terminal.text
        await terminal.type("space")
        text = await terminal.wait_for(lambda t: "Training paused" in t and "presenter holds the" in t, 60)
        assert "x (clip)" not in text and "(lower lr)" not in text, text
        assert "[   ]" not in text and "click: class" not in text, text  # no key caps, no drawing hint
        halted_at = app.session.trainer.step_count
        await terminal.type("x", "left_square_bracket")
        assert app.session.trainer.config.clip_mode is None and app.session.trainer.config.lr == 0.1
        await terminal.type("u")
        await terminal.wait_for(lambda t: f"rewound from step {halted_at}" in t)
        await terminal.type("r")
        await terminal.wait_for(lambda t: "reset to step 0" in t and "step 0 " in t.splitlines()[0])


async def test_a_gradient_norm_of_exactly_zero_runs_along_the_bottom_edge_at_200x60():
    """9. dying-relu: once a layer's gradient norm is exactly 0 (the health table says
    0.00e+00) its line ran on no further; now it runs along the bottom edge, marked ≤."""
    app = GradtuiApp(scenario=SCENARIOS["dying-relu"])
    async with app.run_test(size=(200, 60)) as pilot:
        terminal = await painted(pilot)
        await terminal.type("space")
        for _ in range(6000):  # a bounded poll: until a whole bucket of some layer is exactly 0
            frame = app.session.frame
            if len(frame.steps) and (frame.steps.hi[-1, 2:] == 0).any():
                break
            await asyncio.sleep(0.02)
        await terminal.type("space")
        await terminal.wait_for(lambda t: "PAUSED" in t)
        assert (app.session.frame.steps.hi[:, 2:] == 0).any()  # buckets whose every step had norm 0

        def edge(text: str) -> str:
            """The plot's cells along the bottom edge marked ≤ ("" if not painted yet)."""
            line = next((line for line in text.splitlines() if "≤1e-13┤" in line), "")
            return line.split("┤", 1)[1].split("│", 1)[0].strip() if line else ""

        # (the paused frame reaches the terminal a repaint after the status says PAUSED)
        text = await terminal.wait_for(lambda t: bool(edge(t)))
        assert edge(text), text  # the vanished layer's line is on the bottom edge


async def test_the_prediction_line_answers_while_the_run_goes_on():
    """4. Default scenario, an answer, space: once the run shows the answer (step 2,000) the
    line says so while training goes on; it kept saying "v reveals it now" (the run's watch
    is in the child process training apart; the reveal now travels in the frame)."""
    app = GradtuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        terminal = await painted(pilot)
        await terminal.type("3", "space")
        text = await terminal.wait_for(lambda t: "Evidence:" in t, seconds=120)
        assert app.session.running and "RUNNING" in text.splitlines()[0], text
        assert "You predicted it." in text and "v  reveals it now" not in text


async def test_line_fit_s_reveal_follows_from_the_evidence_it_quotes():
    """7. `2`, `] ]`, space: the evidence showed neither m nor b near its target, yet the
    verdict said "m, the slope". Now it says neither got there and the run diverged."""
    app = GradtuiApp(scenario=SCENARIOS["line-fit"])
    async with app.run_test(size=(120, 40)) as pilot:
        terminal = await painted(pilot)
        await terminal.type("2", "]", "]", "space")
        text = " ".join((await terminal.wait_for(lambda t: "Evidence:" in t, seconds=60)).split())
        assert "step 60: b = -40.07" in text, text
        assert "neither is within 1% of its target (the run diverged)" in text
        assert "This run bore out none of the answers." in text and "another way" not in text


async def test_s_after_drawn_points_says_what_saves_them():
    """8. xor-linear, draw a point, `S`: it said "changes at step N: no setting to change".
    Now: drawn points are data, not settings; w saves the run, D the points. The event log's
    "dataset xor -> none" says "drawn"."""
    app = GradtuiApp(scenario=SCENARIOS["xor-linear"])
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        terminal = await painted(pilot)
        await terminal.type("0", "s", "s")
        await terminal.wait_for(lambda t: "step 2 " in t)
        await pilot.click("#output RegionsView", offset=(6, 3))
        await terminal.wait_for(lambda t: "dataset xor -> drawn" in t)
        await terminal.type("S")
        text = " ".join((await terminal.wait_for(lambda t: "run not shared" in t)).split())
        assert "no setting to change" not in text and "-> none" not in text
        assert "drawn points are data, not settings" in text  # the whole line is in the log:
        assert logged(app, "error") == ["run not shared: drawn points are data, not settings, and a "
                                        "settings file holds settings only; w saves the run (a "
                                        "checkpoint), D the points (a CSV that gradtui run --data reads)"]


async def test_twin_mode_opens_with_a_fresh_picture_of_a():
    """6. `t` at 120x40: A's decision regions were the single-run picture cropped to the
    narrower pane, while B (an exact copy) showed the whole plane. Both are drawn at their
    pane's size, and, being the same run, alike."""
    app = GradtuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        terminal = await painted(pilot)
        await terminal.type("0", "s", "s")
        await terminal.wait_for(lambda t: "step 2 " in t)
        await terminal.type("t")
        screen = app.screen

        def fresh() -> bool:
            a, b = screen.query_one("#output"), screen.query_one("#output-b")
            sizes = [tuple(reversed(s.frame.output.classes.shape)) for s in (app.session, screen.twin.b)]
            return screen.twin is not None and sizes == [a.grid_size, b.grid_size]
        for _ in range(1500):  # a bounded poll
            if screen.twin is not None and fresh():
                break
            await asyncio.sleep(0.02)
        assert fresh()
        a, b = app.session.frame.output, screen.twin.b.frame.output
        assert (a.classes == b.classes).all() and a.extent == b.extent
        await asyncio.sleep(0.2)
        rows = terminal.text.splitlines()
        top = next(i for i, line in enumerate(rows) if "A · " in line and "B · " in line)
        line = rows[top + 1]
        left, right = line.split("││")[1], line.split("││")[2]
        assert left.rstrip("│") == right.rstrip("│"), line  # the same picture in both panes


HUE_FAMILIES = {"orange": (20, 45), "blue": (195, 245), "green": (90, 150), "purple": (270, 310),
                "red": (-15, 15), "cyan": (170, 190), "yellow": (45, 65), "pink": (310, 345),
                "violet": (245, 270)}
"""Hue angles (degrees) of each colour name help uses; grey has no hue."""


def family(rgb) -> str:
    """The colour name ``rgb`` belongs to (``HUE_FAMILIES``, or grey), "" for none."""
    import colorsys

    hue, saturation, value = colorsys.rgb_to_hsv(*(channel / 255 for channel in rgb))
    if saturation == 0:
        return "grey"
    degrees = hue * 360 - (360 if hue * 360 > 345 else 0)
    return next((name for name, (lo, hi) in HUE_FAMILIES.items() if lo <= degrees < hi and saturation > 0.25), "")


def in_256_colours(rgb) -> tuple[int, int, int]:
    """What a 256-colour terminal shows for ``rgb``: Textual sends rich's nearest xterm entry."""
    from rich.color import Color, ColorSystem

    return Color.from_rgb(*map(int, rgb)).downgrade(ColorSystem.EIGHT_BIT).get_truecolor()[:3]


def test_decision_region_colours_are_256_colour_entries_of_the_hue_help_names():
    """Also: under 256 colours (tmux's default) the regions turned olive/teal/maroon where help
    said orange/blue. Every shade of every class, and every dot, is an entry of the xterm
    256-colour palette (a 256-colour terminal shows it unchanged) of the hue help names for
    that class: orange class 0, blue class 1, then green, purple, red, cyan."""
    from gradtui.tui.train import output_view
    from gradtui.tui.train.help import OUTPUT_NOTES

    assert "orange class 0, blue class 1, then green, purple, red, cyan" in OUTPUT_NOTES
    assert output_view.HUES[:6] == ("orange", "blue", "green", "purple", "red", "cyan")
    for hue, shades, dot in zip(output_view.HUES, output_view.REGION_SHADES, output_view.DOT_COLOURS):
        for rgb in (*shades, dot):
            assert in_256_colours(rgb) == tuple(map(int, rgb)), (hue, rgb)
            assert family(in_256_colours(rgb)) == hue, (hue, rgb, family(rgb))
    assert len({tuple(dot) for dot in output_view.DOT_COLOURS}) == len(output_view.DOT_COLOURS)


async def test_the_regions_picture_keeps_orange_and_blue_in_256_colours():
    """The cells the regions view draws on the spiral (classes 0 and 1), at 80x24 after a few
    steps: every cell's colours, as a 256-colour terminal shows them, are orange or blue (the
    blended shades it drew before came out olive, teal and maroon)."""
    from gradtui.tui.train.output_view import RegionsView

    app = GradtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        terminal = await painted(pilot)
        await terminal.type("0", "s", "s", "s")
        await terminal.wait_for(lambda text: "step 3" in text)
        view = app.screen.query_one(RegionsView)
        colours = {colour.get_truecolor()[:3] for y in range(view.size.height)
                   for segment in view.render_line(y) for colour in (segment.style.color, segment.style.bgcolor)}
        assert len(colours) > 4
        shown = {family(in_256_colours(rgb)) for rgb in colours}
        assert shown == {"orange", "blue"}, {rgb: family(in_256_colours(rgb)) for rgb in colours}


async def test_u_after_a_settings_change_says_it_takes_the_new_shape_back():
    """Also: `u` right after a settings change went back to the old network shape while the
    log said only "controls kept". It says what it restored, and the controls it keeps are kept."""
    app = GradtuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        terminal = await painted(pilot)
        await terminal.type("0", "s", "s", "right_square_bracket")
        await terminal.wait_for(lambda t: "lr 0.03" in t.splitlines()[0])
        app.screen.target.change({"hidden": (16, 32)})  # what the settings panel hands over
        await terminal.wait_for(lambda t: "16,32" in t)
        await terminal.type("u")
        await terminal.wait_for(lambda t: "rewound from step 2" in t)
        assert app.session.trainer.config.hidden == (16, 16) and app.session.trainer.config.lr == 0.03
        assert logged(app, "rewind")[-1] == ("rewound from step 2 to step 0 (the weights as they were, and with "
                                             "them hidden 16,32 -> 16,16), controls kept (lr, activation, "
                                             "optimizer, clipping, batch)")
