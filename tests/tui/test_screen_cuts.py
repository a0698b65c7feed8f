"""No line on any screen is cut mid-word (issue 21 item 10): at 80x24, 120x40 and 200x60 each
screen (training, twin, settings, help, network view, calculus, present, lock) is painted as a
terminal would show it, and a word running into a pane's right border is a cut, as is a line
of a pane that stops inside its padding where the text it was given goes on, or a pane whose
text goes on below what it shows with no way to scroll to it (``screen_text.cuts``). Text
that does not fit is shortened at a word boundary with an ellipsis (…), or wraps, instead."""

from __future__ import annotations

import asyncio
import re
import textwrap

import pytest
from textual.screen import ModalScreen

from gradtui.engine import SCENARIOS
from gradtui.tui.app import GradtuiApp

from screen_text import cuts
from terminal import painted

SIZES = [(80, 24), (120, 40), (200, 60)]
SCREENS = {
    "training": (("0", "s", "s"), {}),
    "twin": (("0", "s", "t"), {}),
    "settings": (("0", "e"), {}),
    "help": (("0", "question_mark"), {}),
    "network": (("0", "s", "n"), {}),
    "calculus": (("c",), {}),
    "present": (("0", "s"), {"present": True}),
    "lock": (("0", "s"), {"locked": True}),
    "network-deep": (("0", "s", "n"), {"scenario": SCENARIOS["vanishing"]}),  # eight layers' counts
    "calculus-2d": ((), {"scenario": SCENARIOS["rosenbrock"]}),  # a status that wraps at 120
    "digits": (("0", "s", "s"), {"scenario": SCENARIOS["digits"]}),  # the confusion matrix
    "curvature": (("c",), {"scenario": SCENARIOS["rosenbrock"]}),  # eigenvectors in a narrow panel
}
CUT = re.compile(r"[A-Za-z]{2}(?=▏|[│┃](?:$|[^ ]))")
"""Two letters touching a pane's right edge (▏, or a border followed by the line's end or the
next pane, not a " │ " separator inside a line): a word that ran into the edge."""


def cut_lines(app, text: str) -> list[str]:
    """The painted lines (a modal screen: its box only; never the footer, which keeps whole
    keys itself) in which a word runs into a border."""
    rows = text.splitlines()[:-1]
    screen = app.screen
    if isinstance(screen, ModalScreen):  # the screen behind shows at its edges: not its text
        box = screen.children[0].region
        rows = [row[box.x:box.right] for row in rows[box.y:box.bottom]]
    return [row for row in rows if CUT.search(row)]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", list(SCREENS))
async def test_no_screen_cuts_a_word_at_a_border(name, size):
    keys, options = SCREENS[name]
    app = GradtuiApp(**options)
    async with app.run_test(size=size) as pilot:
        terminal = await painted(pilot)
        await terminal.type(*keys)
        await asyncio.sleep(0.5)
        await pilot.pause()
        await asyncio.sleep(0.2)
        assert cut_lines(app, terminal.text) == [], terminal.text
        assert cuts(app, terminal.grid) == [], terminal.text


def test_the_check_catches_the_cuts_the_issue_saw():
    """The check can fail: lines as the issue saw them at 80x24 (the inspector's "… 1 mor",
    a legend cut at the pane's edge), and none for whole words, separators and ellipses."""
    cut = ["│   dL/da = 0.518×(-0.37) + … 1 mor▏ layers.0", "╰── ━ batch min–max  ━ tra│",
           "│ layers.1 16  DEAD 16/16   VANISH││ events"]
    whole = ["  PAUSED  default │ spiral │ relu", "╰── ━ batch min–max  … ─╯", "│ t leaves │",
             "│ ━ train  ━ test ─╯"]
    app = type("App", (), {"screen": None})()
    assert cut_lines(app, "\n".join([*cut, *whole, "footer"])) == cut


async def test_the_pane_check_sees_the_inspectors_cuts_inside_its_padding():
    """The issue's inspector lines at 80x24 ("… 1 mor", "largest: k=11 contributes 1.826e-")
    stop inside the panel's padding, where the border check cannot see them; the pane check
    can, and it passes the same lines whole. With the inspector laid out wider than its
    panel (the bug put back: it cropped what did not fit) the sweep's check fails."""
    from gradtui.tui.network import widgets
    from gradtui.tui.network.widgets import NeuronInspector

    app = GradtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        terminal = await painted(pilot)
        await terminal.type("0", "s", "n")
        inspector = app.screen.query_one(NeuronInspector)
        await terminal.wait_for(lambda text: "dL/da" in text)
        assert cuts(app, terminal.grid) == []
        width = inspector.content_region.width
        shown = {"+ 0.5255×0.05157 + … 1 mor": "e = -0.08189", "largest: k=11 contributes 1.826e-": "01"}
        inspector.say("\n".join(line.rjust(width) + rest for line, rest in shown.items()))
        await terminal.wait_for(lambda text: "largest: k=11" in text)
        found = [c for c in cuts(app, terminal.grid) if "is cut" in c]
        assert len(found) == 2 and all(f"{line}' is cut" in c for line, c in zip(shown, found)), found
        inspector.say("\n".join(textwrap.fill(line + rest, width) for line, rest in shown.items()))
        await terminal.wait_for(lambda text: "contributes 1.826e-01" in text or "contributes" not in text)
        assert cuts(app, terminal.grid) == [], terminal.text  # wrapped at words: whole

    real = widgets.inspector_text
    widgets.inspector_text = lambda *args, width, **kwargs: real(*args, width=width + 12, **kwargs)
    try:
        app = GradtuiApp()
        async with app.run_test(size=(80, 24)) as pilot:
            terminal = await painted(pilot)
            await terminal.type("0", "s", "n")
            await terminal.wait_for(lambda text: "dL/da" in text)
            assert [c for c in cuts(app, terminal.grid) if "NeuronInspector" in c], terminal.text
    finally:
        widgets.inspector_text = real


def badged(frame, layer: int, *kinds: str):
    """``frame`` with ``layer`` carrying badges of ``kinds``, each flag holding now."""
    import dataclasses

    from gradtui.engine import Flag

    view = frame.layers[layer]
    flags = tuple(Flag(kind, view.name, "") for kind in kinds)
    layers = list(frame.layers)
    layers[layer] = dataclasses.replace(view, badges=flags, held=(None,) * len(flags))
    return dataclasses.replace(frame, layers=tuple(layers))


async def test_badges_stay_whole_in_present_mode_and_twin_mode_at_80x24(monkeypatch):
    """`--present` at 80x24 cut a badge to "VANISH"; twin mode's narrow panes lost the dead and
    sat columns and the badges (issue 21 item 10). Two badges on a layer, as dying-relu gives
    them: the pane check passes, and each pane shows the dead and sat columns and both badges
    whole; with the long badge words forced and no column giving way (the bug put back) the
    check finds the cut."""
    from gradtui.tui.train import health_view
    from gradtui.tui.train.health_view import LayerHealth

    for options, keys in (({"present": True}, ("0", "s")), ({}, ("0", "s", "t"))):
        app = GradtuiApp(**options)
        async with app.run_test(size=(80, 24)) as pilot:
            terminal = await painted(pilot)
            await terminal.type(*keys)
            await asyncio.sleep(0.3)
            panes = [pane for pane in app.screen.query(LayerHealth) if pane.display]
            frame = badged(app.session.frame, 1, "dead", "vanishing")
            for pane in panes:
                pane.show(frame)
            text = await terminal.wait_for(lambda text: text.count("VANISH") == len(panes))
            assert cuts(app, terminal.grid) == [], text
            for pane in panes:
                rows = "\n".join(row[pane.region.x:pane.region.right] for row in text.splitlines())
                assert "dead" in rows and "sat" in rows and " DEAD " in rows and " VANISH" in rows, rows
            monkeypatch.setattr(health_view, "SHORT_BADGES", {"dead": "DEAD 0/16", "vanishing": "VANISHING"})
            monkeypatch.setattr(health_view, "GIVE_WAY", ())
            for pane in panes:
                pane.show(badged(frame, 1, "vanishing", "dead"))
            await terminal.wait_for(lambda text: all(pane.text.splitlines()[2].rstrip() in text for pane in panes))
            assert [c for c in cuts(app, terminal.grid) if "LayerHealth" in c], terminal.text
            monkeypatch.undo()


async def test_the_calculus_hint_is_whole_at_80x24(monkeypatch):
    """The calculus hint stopped at "x jumps back and forth across" at 80x24 (the panel hid
    the rest below its edge). It comes right after the surface's name, in a panel that
    scrolls what it cannot show; with the old order in a panel that does not scroll (the
    bug put back) the pane check finds the hidden rest."""
    from rich.console import Group

    from gradtui.tui.calculus import screen as calculus

    async def hint_shown():
        app = GradtuiApp()
        async with app.run_test(size=(80, 24)) as pilot:
            terminal = await painted(pilot)
            await terminal.type("c")
            text = await terminal.wait_for(lambda text: "Try:" in text or "minimum at" in text)
            await asyncio.sleep(0.2)
            side = app.screen.query_one("#calc-side")
            pane = " ".join(row[side.region.x:side.region.right].strip("▏ ▇▁█")
                            for row in terminal.text.splitlines()[side.region.y:side.region.bottom])
            return " ".join(pane.split()), cuts(app, terminal.grid), app

    pane, found, app = await hint_shown()
    hint = " ".join(f"Try: {SCENARIOS['quadratic'].hint}".split())
    assert hint in pane and found == [], pane

    real = calculus.surface_info

    def old_order(*args, **kwargs):
        title, hint, key, minima, story = real(*args, **kwargs).renderables
        return Group(title, story, minima, key, hint)

    monkeypatch.setattr(calculus, "surface_info", old_order)
    monkeypatch.setattr(calculus.CalculusScreen, "CSS", "#calc-side { overflow-y: hidden; }")
    pane, found, _ = await hint_shown()
    assert hint not in pane and [c for c in found if "calc-surface" in c], (pane, found)

async def test_the_loss_legend_says_what_each_colour_is_at_80x24(monkeypatch):
    """At 80x24 the loss legend showed only "━ batch min–max …": the train and test colours
    were never explained. It names each line in a word in the line's colour; with the full
    legend forced (the bug put back) the words are gone."""
    from gradtui.tui.train import plots

    async def legend():
        app = GradtuiApp()
        async with app.run_test(size=(80, 24)) as pilot:
            terminal = await painted(pilot)
            await terminal.type("0", "s", "s")
            await asyncio.sleep(0.3)
            pane = app.screen.query_one("#loss")
            text = await terminal.wait_for(lambda text: "╰" in text.splitlines()[pane.region.bottom - 1])
            bottom = text.splitlines()[pane.region.bottom - 1][pane.region.x:pane.region.right]
            cells = [app.screen.get_style_at(x, pane.region.bottom - 1).color.triplet.hex
                     for x in range(pane.region.x, pane.region.right)]
            return bottom, cells

    bottom, cells = await legend()
    assert bottom.split()[1:-1] == ["batch", "train", "test"], bottom
    colours = {word: cells[bottom.index(word)] for word in ("batch", "train", "test")}
    assert colours == {"batch": plots.BATCH, "train": plots.TRAIN, "test": plots.TEST}, colours

    monkeypatch.setattr(plots.HistoryPlot, "legend", lambda self: "  ".join(self._legend))
    bottom, _ = await legend()
    assert "train" not in bottom and "test" not in bottom, bottom


async def test_the_newest_event_line_ends_in_an_ellipsis_when_it_does_not_fit(monkeypatch):
    """At 80x24 the event log gives way to its newest line (two rows at most): exploding's NaN
    event ("… then space: a change made now applies from step 0, before the blow-up ...") ran on
    below them, hidden. It keeps the words that fit and ends in "…"; with the line shown
    whole (the bug put back) the pane check finds the hidden rest."""
    from gradtui.engine.run.events import Event
    from gradtui.tui.widgets import event_log
    from gradtui.tui.widgets.event_log import LatestEvent

    nan = ("NaN/Inf in loss: loss is nan; update skipped. Paused. Way out: x (clip) or [ (lower lr), "
           "then space: a change made now applies from step 0, before the blow-up began")

    async def newest_shown():
        app = GradtuiApp()
        async with app.run_test(size=(80, 24)) as pilot:
            terminal = await painted(pilot)
            await terminal.type("0", "s")
            app.screen.query_one(LatestEvent).add([Event(40, "nan", nan)])
            text = await terminal.wait_for(lambda text: "Way out" in text)
            return text, cuts(app, terminal.grid)

    text, found = await newest_shown()
    assert found == [] and "Way out: x (clip)" in text and "…" in text, (found, text)
    monkeypatch.setattr(event_log, "shorten_rows", lambda text, width, rows: text)
    text, found = await newest_shown()
    assert [c for c in found if "LatestEvent" in c], text
