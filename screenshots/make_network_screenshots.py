"""Screenshots of the network view, the neuron inspector and the loss surface from real runs.

Run: python screenshots/make_network_screenshots.py [--out screenshots] [--size 120x40] [--png]

Each run is trained a fixed number of steps through the app's own session, one step at a
time (reproducible pictures), then the view is opened and saved as SVG; ``--png`` also
converts each to PNG with headless Chromium, to look at.

- network-spiral: the default run after 1,500 steps, a neuron of the first layer selected;
- network-dying-relu: the dying-relu run after 600 steps, a dead neuron selected;
- network-inspector-step: the default run switched to plain SGD, one step by hand (``s``):
  the inspector shows each weight's change beside -lr x its gradient;
- network-digits: the default network on the digits (8x8 images, needs the ``digits``
  extra) after 300 steps: each neuron a histogram of its outputs over the probe set;
- loss-surface: the loss surface around the default run's weights after 1,500 steps.
"""

from __future__ import annotations

import asyncio
import os
import subprocess

import dataclasses

import numpy as np

from make_screenshots import screenshot_parser

from gradtui.engine import SCENARIOS, Trainer
from gradtui.tui.app import GradtuiApp
from gradtui.tui.network.diagram import DEAD
from gradtui.tui.network.screen import NetworkScreen
from gradtui.tui.network.surface import LossSurfaceScreen

CHROMIUM = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"]


async def until(condition, timeout: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("the view did not get there in time")
        await asyncio.sleep(0.02)


async def trained(app: GradtuiApp, pilot, steps: int, keys: tuple[str, ...] = ()) -> None:
    if keys:
        await pilot.press(*keys)
    for _ in range(steps):
        app.session.step()
    await pilot.pause(0.2)


async def open_network(app: GradtuiApp, pilot, selection: tuple[int, int]) -> NetworkScreen:
    await pilot.press("n")
    await until(lambda: isinstance(app.screen, NetworkScreen) and app.screen.picture is not None)
    layer, unit = selection
    await pilot.press(*["right"] * layer, *["down"] * unit)
    await pilot.pause(0.2)
    return app.screen


def save(app: GradtuiApp, out: str, name: str) -> str:
    app.save_screenshot(f"{name}.svg", out)
    return os.path.join(out, f"{name}.svg")


async def spiral(out: str, size: tuple[int, int]) -> list[str]:
    app = GradtuiApp(scenario=SCENARIOS["default"])
    async with app.run_test(size=size) as pilot:
        await trained(app, pilot, 1500)
        await open_network(app, pilot, (0, 5))
        shots = [save(app, out, "network-spiral")]
        await pilot.press("L")
        await until(lambda: isinstance(app.screen, LossSurfaceScreen) and app.screen.landscape is not None)
        await pilot.pause(0.2)
        shots.append(save(app, out, "loss-surface"))
    return shots


async def dying_relu(out: str, size: tuple[int, int]) -> list[str]:
    app = GradtuiApp(scenario=SCENARIOS["dying-relu"])
    async with app.run_test(size=size) as pilot:
        await trained(app, pilot, 600)
        state = app.session.trainer.unit_states[1]
        first_dead = int(np.flatnonzero(state == DEAD)[0]) if (state == DEAD).any() else 0
        await open_network(app, pilot, (1, first_dead))
        return [save(app, out, "network-dying-relu")]


async def inspector_step(out: str, size: tuple[int, int]) -> list[str]:
    app = GradtuiApp(scenario=SCENARIOS["default"])
    async with app.run_test(size=size) as pilot:
        await trained(app, pilot, 300, keys=("o",))  # adam -> sgd: the change is -lr x gradient
        screen = await open_network(app, pilot, (1, 4))
        step = app.session.trainer.step_count
        await pilot.press("s")
        await until(lambda: screen.picture.step == step + 1)
        await pilot.pause(0.2)
        return [save(app, out, "network-inspector-step")]


async def digits(out: str, size: tuple[int, int]) -> list[str]:
    config = dataclasses.replace(SCENARIOS["default"].config, dataset="digits")
    app = GradtuiApp(trainer=Trainer(config))
    async with app.run_test(size=size) as pilot:
        await trained(app, pilot, 300)
        await open_network(app, pilot, (0, 2))
        return [save(app, out, "network-digits")]


def to_png(svg: str) -> str:
    png = svg[:-4] + ".png"
    subprocess.run([*CHROMIUM, f"--screenshot={png}", "--window-size=1400,900", svg],
                   check=True, capture_output=True, timeout=120)
    return png


def main() -> None:
    parser = screenshot_parser(__doc__)
    parser.add_argument("--png", action="store_true", help="also write PNGs (needs chromium)")
    args = parser.parse_args()
    size = args.size
    for make in (spiral, dying_relu, inspector_step, digits):
        for svg in asyncio.run(make(args.out, size)):
            print(svg)
            if args.png:
                print(to_png(svg))


if __name__ == "__main__":
    main()
