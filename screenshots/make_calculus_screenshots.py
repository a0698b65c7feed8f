"""Write the calculus-mode screenshots: the 1-D quadratic and the Rosenbrock race.

Run from anywhere with the project installed: ``python screenshots/make_calculus_screenshots.py``.
Each picture is a real run driven through the screen's own keys at 120x40.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.app import App

from gradtui.tui.calculus.screen import CalculusScreen

HERE = Path(__file__).resolve().parent
SIZE = (120, 40)

SHOTS = {
    # name: (surface, keys pressed, extra steps taken after the keys)
    # calculus_quadratic.svg and calculus_function.svg are snapshots of tests/tui/test_snapshots.py
    # (copied; a test checks it)
    "calculus_rosenbrock_race": ("rosenbrock", ["R", "o", "o", "o", "o"], 1700),
}


class Host(App):
    """A bare app that shows one calculus screen."""

    TITLE = "gradtui"

    def __init__(self, surface: str) -> None:
        super().__init__()
        self.surface = surface

    def on_mount(self) -> None:
        self.push_screen(CalculusScreen(self.surface))


async def shoot(name: str, surface: str, keys: list[str], steps: int) -> Path:
    app = Host(surface)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
        screen = app.screen
        assert isinstance(screen, CalculusScreen)
        if steps:
            screen.advance(steps)
        await pilot.pause()
        return Path(app.save_screenshot(f"{name}.svg", str(HERE)))


def main() -> None:
    for name, (surface, keys, steps) in SHOTS.items():
        print(asyncio.run(shoot(name, surface, keys, steps)))


if __name__ == "__main__":
    main()
