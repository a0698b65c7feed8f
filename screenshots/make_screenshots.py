"""Screenshots of the gradtui app from real runs: default, exploding, vanishing, dying-relu.

Run: python screenshots/make_screenshots.py [--out screenshots] [--size 120x40]

Each scenario is trained for a fixed number of steps through the app's own session
(the same code the worker runs, one step at a time, so the pictures are reproducible),
stopping early if a non-finite step pauses it, and then the screen is saved as SVG.
"""

from __future__ import annotations

import argparse
import asyncio
import os

from gradtui.engine import SCENARIOS
from gradtui.tui.app import GradtuiApp

SHOTS = [
    # scenario, steps, extra keys pressed before training
    ("default", 1500, ()),
    ("exploding", 400, ()),
    ("vanishing", 600, ()),
    ("dying-relu", 600, ()),
]


async def shoot(name: str, steps: int, keys: tuple[str, ...], out: str, size: tuple[int, int]) -> str:
    app = GradtuiApp(scenario=SCENARIOS[name])
    async with app.run_test(size=size) as pilot:
        if keys:
            await pilot.press(*keys)
        session = app.session
        for _ in range(steps):
            session.step()
            if session.frame.halted is not None:
                break
        return await save_svg(app, pilot, os.path.join(out, f"{name}.svg"))


async def save_svg(app: GradtuiApp, pilot, path: str) -> str:
    """Let the screen catch up with the run, draw its newest frame, and save it as SVG."""
    await pilot.pause(0.2)
    app.screen.show_latest()
    await pilot.pause(0.2)
    app.save_screenshot(os.path.basename(path), os.path.dirname(path) or ".")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--size", default="120x40")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    for name, steps, keys in SHOTS:
        print(asyncio.run(shoot(name, steps, keys, args.out, size)))


if __name__ == "__main__":
    main()
