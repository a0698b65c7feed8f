"""Screenshots of the live lab: a spiral run grown mid-run with an lr schedule (drawn on the
loss plot) and points drawn by hand, and the settings panel open over it.

Run: python screenshots/make_lab_screenshots.py [--out screenshots] [--size 120x40]

The run steps through the app's own session one step at a time (reproducible pictures):
300 steps of the default scenario, then hidden 16,16 -> 16,32 with cosine:600:0.0005 after
20 warm-up steps (one change, function unchanged), 300 more steps, then three class-1
points clicked into the orange region.
"""

from __future__ import annotations

import asyncio
import os

from make_screenshots import save_svg, screenshot_parser

from gradtui.tui.app import GradtuiApp


async def settle(app, pilot) -> None:
    while app.session.busy:
        await pilot.pause(0.01)


async def shoot(out: str, size: tuple[int, int]) -> list[str]:
    app = GradtuiApp()
    async with app.run_test(size=size) as pilot:
        await pilot.press("0")  # skip the scenario's question
        for _ in range(300):
            app.session.step()
        app.session.change(lambda c: {"hidden": (16, 32), "schedule": "cosine:600:0.0005", "warmup": 20})
        for _ in range(300):
            app.session.step()
        await settle(app, pilot)
        await pilot.press("k")
        for offset in ((4, 2), (7, 3), (10, 2)):
            await pilot.click("#output RegionsView", offset=offset)
            await settle(app, pilot)
        grown = await save_svg(app, pilot, os.path.join(out, "live-lab-grown.svg"))
        await pilot.press("e")
        await pilot.pause(0.3)
        panel = os.path.join(out, "live-lab-settings.svg")
        app.save_screenshot(os.path.basename(panel), os.path.dirname(panel) or ".")
        return [grown, panel]


def main() -> None:
    parser = screenshot_parser(__doc__)
    args = parser.parse_args()
    size = args.size
    print("\n".join(asyncio.run(shoot(args.out, size))))


if __name__ == "__main__":
    main()
