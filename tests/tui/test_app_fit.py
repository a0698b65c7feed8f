"""Screens that fit: at 80x24, 100x32 and 120x40 every network scenario shows its story, hint,
question with every answer key, accuracy (or fit), every control's key cap and the newest
event, whole, on screen; the footer ends with whole keys; before the first step the plots
say so instead of drawing an axis; every pane explains its numbers in a tooltip.

What is checked is what the terminal shows (the screen's composed lines), not what the
widgets hold, so a pane squeezed out of sight or a text cut by its pane fails."""

from __future__ import annotations

import re

import pytest
from textual.widgets._footer import FooterKey

from test_app_stories import wait_until

from gradtui.engine import SCENARIOS
from gradtui.tui.app import GradtuiApp
from gradtui.tui.train.controls_panel import ROWS
from gradtui.tui.train.keys import key_for
from gradtui.tui.train.output_view import drawing_hint
from gradtui.tui.train.plots import NO_STEPS
from gradtui.tui.train.layout import TOOLTIPS
from gradtui.tui.widgets.event_log import EventLog
from gradtui.tui.widgets.footer import FittedFooter

NETWORK = [name for name, s in SCENARIOS.items() if not s.is_calculus]
CALCULUS_ASKING = [name for name, s in SCENARIOS.items() if s.is_calculus and s.prediction is not None]
SIZES = [(80, 24), (100, 32), (120, 40)]
"""Below 36 rows the controls strip and the newest event stand in for the panel and the log."""


def screen_lines(app) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


def words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def shown_text(app, selector: str, frame: bool = False) -> str:
    """The text on screen inside the pane ``selector`` (with ``frame``: and its border), as
    one line."""
    widget = app.screen.query_one(selector)
    region = widget.region if frame else widget.content_region
    lines = screen_lines(app)[region.y:region.bottom]
    return words(" ".join(line[region.x:region.right] for line in lines))


async def footer_keys(pilot) -> list[FooterKey]:
    """The footer's keys on show, once it has laid them out for its width (it composes them
    after a refresh, later on a busy machine) and they hold still for two polls."""
    footer, last = pilot.app.screen.query_one(FittedFooter), None
    for _ in range(200):
        keys = [key for key in footer.query(FooterKey) if key.display]
        ready = (footer.composed_width == footer.size.width and all(key.region.width for key in keys)
                 and any(key.has_class("-command-palette") for key in keys))
        if ready and keys == last:
            return keys
        last = keys if ready else None
        await pilot.pause(0.02)
    raise AssertionError("the footer never showed its keys")


async def assert_footer_ends_cleanly(pilot) -> None:
    """Every footer key lies whole left of the palette key, and the cell before it is blank."""
    keys = await footer_keys(pilot)
    app = pilot.app
    palette = next(key for key in keys if key.has_class("-command-palette"))
    others = [key for key in keys if key is not palette]
    assert others and all(key.region.right <= palette.region.x for key in others)
    footer_line = screen_lines(app)[palette.region.y]
    assert footer_line[palette.region.x - 1] == " ", footer_line
    assert "?" in footer_line and "palette" in footer_line


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", NETWORK)
async def test_every_scenario_shows_its_essentials_whole(name, size):
    scenario = SCENARIOS[name]
    app = GradtuiApp(scenario=scenario)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert words(scenario.story) in shown_text(app, "#story")
        assert words(scenario.hint) in shown_text(app, "#hint")
        asked = shown_text(app, "#prediction")
        assert words(scenario.prediction.question) in asked
        for n, answer in enumerate(scenario.prediction.answers, start=1):
            assert f"{n} {words(answer)}" in asked  # key and answer on one line, whole
        assert "0 skip" in asked
        pane = app.screen.query_one("#output")

        def title_whole() -> bool:  # the first paint may come before the pane knows its width
            title = str(pane.border_title)
            return bool(title) and title in screen_lines(app)[pane.region.y]

        await wait_until(title_whole, timeout=10)
        output = str(pane.border_title)
        if scenario.config.dataset not in ("sine", "linear", "outlier"):
            assert "test acc" in output
        short = size[1] < 36
        controls = "#controls-strip" if short else "#controls"
        caps = shown_text(app, controls)
        for _, _, actions in ROWS:
            for action in actions:
                assert f" {key_for(action)} " in f" {caps} ", (action, caps)
        newest = app.screen.query_one(EventLog).events[-1]
        latest = "#latest-event" if short else "#events"
        assert words(newest.text) in shown_text(app, latest)
        await assert_footer_ends_cleanly(pilot)


@pytest.mark.parametrize("name", NETWORK)
async def test_nothing_is_cut_mid_word_at_120x40(name):
    app = GradtuiApp(scenario=SCENARIOS[name])
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("0", "s", "s")
        await pilot.pause()
        text = "\n".join(screen_lines(app)).replace("1e-8…1e4", "")
        assert "…" not in text, [line for line in screen_lines(app) if "…" in line.replace("1e-8…1e4", "")]


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 60), (100, 30)])
async def test_the_footer_ends_with_whole_keys(size):
    app = GradtuiApp()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await assert_footer_ends_cleanly(pilot)
        await pilot.resize_terminal(90, 30)  # the footer fits itself to the new width
        await pilot.pause()
        await pilot.pause()
        await assert_footer_ends_cleanly(pilot)


@pytest.mark.parametrize("name", CALCULUS_ASKING)
async def test_calculus_screens_fit_80x24(name):
    scenario = SCENARIOS[name]
    app = GradtuiApp(scenario=scenario)
    async with app.run_test(size=(80, 24)) as pilot:
        question = words(scenario.prediction.question)
        await wait_until(lambda: question in shown_text(app, "#calc-prediction")  # (a loaded machine paints late)
                         and "? help" in screen_lines(app)[-1])
        asked = shown_text(app, "#calc-prediction")
        for n, answer in enumerate(scenario.prediction.answers, start=1):
            assert f"{n} {words(answer)}" in asked
        assert "0 skip" in asked
        status = shown_text(app, "#calc-status")
        assert status.endswith(".")  # the hint's whole sentence, not cut at the pane's end
        await assert_footer_ends_cleanly(pilot)


async def test_before_the_first_step_the_plots_say_so_without_an_axis():
    app = GradtuiApp(scenario=SCENARIOS["exploding"])
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for plot in ("#loss", "#grads"):
            text = shown_text(app, plot)
            assert NO_STEPS[0] in text and "┤" not in text and "1000" not in text.replace("explode 1000", "")
        await pilot.press("0", "s")
        await pilot.pause()
        for plot in ("#loss", "#grads"):
            assert "no steps" not in shown_text(app, plot) and "┤" in shown_text(app, plot)


async def test_at_80x24_the_step_0_note_fits_the_narrow_plots():
    app = GradtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "no steps" in shown_text(app, "#loss") and "…" not in shown_text(app, "#loss")


async def test_every_pane_explains_its_numbers_in_a_tooltip():
    app = GradtuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for pane, tooltip in TOOLTIPS.items():
            assert app.screen.query_one(pane).tooltip == tooltip
        health = TOOLTIPS["#health"]
        for term in ("update/w", "1e-3", "|grad| 1e-8…1e4", "EXPLODING", "VANISHING", "DEAD", "SATURATED",
                     "NaN", "healthy"):
            assert term in health, term
        assert "band" in TOOLTIPS["#loss"] and "steps/bucket" in TOOLTIPS["#loss"]
        assert "orange" in TOOLTIPS["#output"] and "blue" in TOOLTIPS["#output"]
        assert "explode line" in TOOLTIPS["#grads"] and "healthy" in TOOLTIPS["#grads"]
        legend = shown_text(app, "#health", frame=True)
        assert "healthy: norm between 1e-3×out and 1e3 · update/w near 1e-3" in legend
        assert "batch min–max" in shown_text(app, "#loss", frame=True)


def test_the_drawing_hint_shortens_to_whole_words():
    assert drawing_hint(1, 20) == "click: class 1 (k)"
    assert drawing_hint(1, 12) == "k: class 1"
    assert drawing_hint(1, 5) == ""


async def test_twin_mode_cuts_nothing_mid_word_at_120x40():
    app = GradtuiApp(scenario=SCENARIOS["exploding"])
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("0", "f")
        for _ in range(20):  # run A meets NaN at step 14; B clips and trains on
            await pilot.press("s")
            await pilot.pause()
        assert app.screen.twin is not None and app.session.frame.halted is not None
        # the NaN's regions come once the presses are over (at once when evaluating is cheap)
        await wait_until(lambda: "NaN/Inf" in str(app.screen.query_one("#output").border_title))
        await pilot.pause()
        cut = [line for line in screen_lines(app) if "…" in line.replace("1e-8…1e4", "")]
        assert not cut, cut


@pytest.mark.parametrize("size, scenario, clipped", [((80, 24), "exploding", True), ((120, 40), "vanishing", False)])
async def test_layers_the_health_pane_has_no_room_for_show_a_scroll_bar(size, scenario, clipped):
    # exploding at 80x24 has 6 layers and room for 5: the rest must not vanish without a sign
    app = GradtuiApp(scenario=SCENARIOS[scenario])
    async with app.run_test(size=size) as pilot:
        await pilot.press("0", "s")
        await pilot.pause()
        healths = app.screen.query_one("#healths")
        assert healths.show_vertical_scrollbar is clipped
        if clipped:
            healths.scroll_end(animate=False)
            await pilot.pause()
            assert "layers.5 out" in "\n".join(str(line.text) for line in app.screen._compositor.render_strips())
