"""Screenshots of the gradtui app from real runs: default, exploding, vanishing, dying-relu,
and a scenario's question before the first step.

Run: python screenshots/make_screenshots.py [--out screenshots] [--size 120x40]

Each scenario is trained for a fixed number of steps through the app's own session
(the same code the worker runs, one step at a time, so the pictures are reproducible),
stopping early if a non-finite step pauses it, and then the screen is saved as SVG.
A shot with no step count is trained as a learner does it, with space, until the run
pauses itself: exploding blows up in 14 steps, too few for the evaluations a paused
step makes to look like the live run's (a stepped picture drew a test-loss curve the
running app does not have time to evaluate).
"""

from __future__ import annotations

import argparse
import asyncio
import os

from gradtui.engine import SCENARIOS
from gradtui.tui.app import GradtuiApp

SHOTS = [
    # file name, scenario, steps, keys pressed before training (the question's answer, or 0 to skip)
    # default.svg is the snapshot of tests/tui/test_snapshots.py (copied; a test checks it)
    ("exploding", "exploding", None, ("2",)),
    ("vanishing", "vanishing", 600, ("1",)),
    ("dying-relu", "dying-relu", 600, ("2",)),
    ("prediction", "saturation", 0, ()),
]


async def shoot(file: str, name: str, steps: int | None, keys: tuple[str, ...], out: str,
                size: tuple[int, int]) -> str:
    app = GradtuiApp(scenario=SCENARIOS[name])
    async with app.run_test(size=size) as pilot:
        if keys:
            await pilot.press(*keys)
        session = app.session
        if steps is None:  # space, as a learner presses it, until the run pauses itself
            await pilot.press("space")
            while session.running or session.busy:
                await asyncio.sleep(0.05)
        for _ in range(steps or 0):
            session.step()
            while session.busy:  # a step handed to a background evaluation: let it land
                await asyncio.sleep(0.01)
            if session.frame.halted is not None:
                break
        return await save_svg(app, pilot, os.path.join(out, f"{file}.svg"))


async def save_svg(app: GradtuiApp, pilot, path: str) -> str:
    """Let the screen catch up with the run, draw its newest frame, and save it as SVG."""
    await pilot.pause(0.2)
    app.screen.show_latest()
    await pilot.pause(0.2)
    app.save_screenshot(os.path.basename(path), os.path.dirname(path) or ".")
    return path


def screenshot_parser(doc: str) -> argparse.ArgumentParser:
    """The options every screenshot script takes: ``--out`` (a folder) and ``--size``
    (COLSxROWS, read as a (columns, rows) pair)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--size", default="120x40", type=lambda text: tuple(int(v) for v in text.split("x")))
    return parser


def main() -> None:
    parser = screenshot_parser(__doc__)
    args = parser.parse_args()
    size = args.size
    for file, name, steps, keys in SHOTS:
        print(asyncio.run(shoot(file, name, steps, keys, args.out, size)))


if __name__ == "__main__":
    main()
