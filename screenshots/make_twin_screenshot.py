"""A screenshot of twin mode: the exploding scenario as it is (A) beside the same network
with gradient clipping (B), opened with f ("compare with the fix").

Run: python screenshots/make_twin_screenshot.py [--out screenshots] [--size 120x40] [--steps 600]

Both runs step through the app's own sessions one step at a time (reproducible pictures);
run A stops at its NaN as the app would stop it, run B trains on.
"""

from __future__ import annotations

import asyncio
import os

from make_screenshots import save_svg, screenshot_parser

from gradtui.engine import SCENARIOS
from gradtui.tui.app import GradtuiApp


async def shoot(out: str, size: tuple[int, int], steps: int) -> str:
    app = GradtuiApp(scenario=SCENARIOS["exploding"])
    async with app.run_test(size=size) as pilot:
        await pilot.press("f")
        twin = app.screen.twin
        for _ in range(steps):
            for session in twin.sessions.values():
                if session.halted is None:
                    session.step()
            while twin.busy:
                await pilot.pause(0.01)
        return await save_svg(app, pilot, os.path.join(out, "twin-exploding-clipping.svg"))


def main() -> None:
    parser = screenshot_parser(__doc__)
    parser.add_argument("--steps", type=int, default=600)
    args = parser.parse_args()
    size = args.size
    print(asyncio.run(shoot(args.out, size, args.steps)))


if __name__ == "__main__":
    main()
