"""The README's pictures as snapshot tests: the default scenario paused at a fixed step and
calculus mode on the quadratic, drawn at 120x40 and compared with the SVGs committed under
tests/tui/__snapshots__ (pytest-textual-snapshot).

Both runs are deterministic: the default seed, steps taken one at a time through the
session while paused (as screenshots/make_screenshots.py does), each evaluated on the
spot, calculus steps by the ``s`` key. After a deliberate change to what the screen
shows, look at the new pictures, write them with ``pytest tests/tui/test_snapshots.py
--snapshot-update`` and copy them over the README's pictures in screenshots/ (a test
checks they are the same files).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from gradtui.engine import SCENARIOS
from gradtui.engine.symbolic import PRESETS, TypedFunction
from gradtui.tui.app import GradtuiApp

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOTS = Path(__file__).resolve().parent / "__snapshots__" / "test_snapshots"
README_PICTURES = {
    "default.svg": "test_default_scenario_paused_at_step_1500.svg",
    "calculus_quadratic.svg": "test_calculus_mode_on_the_quadratic_after_six_steps.svg",
    "calculus_function.svg": "test_a_typed_function_s_derivation_by_the_rules.svg",
}
"""README picture (in screenshots/) -> the snapshot it is a copy of."""
SIZE = (120, 40)
DEFAULT_STEPS = 1500
"""Where the default scenario is paused: the spiral learned (as in screenshots/default.svg)."""


async def settled(pilot) -> None:
    """Wait until the session has applied every press and the screen has drawn the result
    at its own size (a new size makes a paused session publish again)."""
    session = pilot.app.session
    while True:
        while session.busy:
            await asyncio.sleep(0.01)
        await pilot.pause()
        if not session.busy:
            return


def test_default_scenario_paused_at_step_1500(snap_compare, monkeypatch):
    # Every press is evaluated on the spot, as on an idle machine: on a loaded one a costly
    # refresh moves to a background thread and the train/test curve gets fewer points.
    monkeypatch.setattr("gradtui.engine.run.run.UI_BUDGET", float("inf"))

    async def train(pilot) -> None:
        await pilot.pause()
        await pilot.press("0")  # skip the scenario's question, as the README picture does
        for _ in range(DEFAULT_STEPS):
            pilot.app.session.step()
        await settled(pilot)

    app = GradtuiApp(scenario=SCENARIOS["default"])
    assert snap_compare(app, terminal_size=SIZE, run_before=train)


def test_calculus_mode_on_the_quadratic_after_six_steps(snap_compare):
    async def steps(pilot) -> None:
        await pilot.pause()
        await pilot.press(*["s"] * 6)
        await pilot.pause()

    app = GradtuiApp(scenario=SCENARIOS["quadratic"])
    assert snap_compare(app, terminal_size=SIZE, run_before=steps)


def test_calculus_curvature_view_on_the_bowl(snap_compare):
    async def curvature(pilot) -> None:
        await pilot.pause()
        await pilot.press("c", *["s"] * 3)
        await pilot.pause()

    app = GradtuiApp(scenario=SCENARIOS["bowl"])
    assert snap_compare(app, terminal_size=SIZE, run_before=curvature)


def test_a_typed_function_s_derivation_by_the_rules(snap_compare):
    async def chain_rule_example(pilot) -> None:
        await pilot.pause()
        pilot.app.screen.show_preset(PRESETS["chain"])  # (2x+3)^2 at x = 1
        await pilot.pause()
        await pilot.pause()

    app = GradtuiApp(function=TypedFunction.parse("(2x+3)^2"))
    assert snap_compare(app, terminal_size=SIZE, run_before=chain_rule_example)


def test_the_readme_pictures_are_the_snapshots():
    for picture, snapshot in README_PICTURES.items():
        readme, tested = ROOT / "screenshots" / picture, SNAPSHOTS / snapshot
        assert readme.read_bytes() == tested.read_bytes(), (
            f"screenshots/{picture} differs from its snapshot: cp {tested.relative_to(ROOT)} {readme.relative_to(ROOT)}")
