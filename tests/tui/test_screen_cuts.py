"""No line on any screen is cut mid-word (issue 21 item 10): at 80x24, 120x40 and 200x60 each
screen (training, twin, settings, help, network view, calculus, present, lock) is painted as a
terminal would show it, and a word running into a pane's right border is a cut. Text that
does not fit is shortened at a word boundary with an ellipsis (…), or wraps, instead."""

from __future__ import annotations

import asyncio
import re

import pytest
from textual.screen import ModalScreen

from gradtui.tui.app import GradtuiApp

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


def test_the_check_catches_the_cuts_the_issue_saw():
    """The check can fail: lines as the issue saw them at 80x24 (the inspector's "… 1 mor",
    a legend cut at the pane's edge), and none for whole words, separators and ellipses."""
    cut = ["│   dL/da = 0.518×(-0.37) + … 1 mor▏ layers.0", "╰── ━ batch min–max  ━ tra│",
           "│ layers.1 16  DEAD 16/16   VANISH││ events"]
    whole = ["  PAUSED  default │ spiral │ relu", "╰── ━ batch min–max  … ─╯", "│ t leaves │",
             "│ ━ train  ━ test ─╯"]
    app = type("App", (), {"screen": None})()
    assert cut_lines(app, "\n".join([*cut, *whole, "footer"])) == cut
