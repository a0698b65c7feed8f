"""Twin mode's speed: runs A and B training in lockstep inside the app, against two bare
Trainers stepping alternately in the same process (target: at least 70 %).

Run: python benchmarks/bench_twin.py [--seconds 5] [--size 120x40] [--scenario default]

Both sides step the same config; the app is opened on it, ``t`` forks run B and ``space``
trains both, through Textual's headless driver (every widget laid out and drawn as in a
terminal, only the final write to a terminal skipped). The engine holds one BLAS thread
itself (TrainConfig.blas_threads), so no figure depends on the environment.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time

from bench_tui import press, wait_for

from gradtui.engine import SCENARIOS, Trainer
from gradtui.tui.app import GradtuiApp


def alternating_pairs_per_second(config, seconds: float) -> float:
    """Two bare Trainers stepping A, B, A, B, ...: step pairs per second."""
    a, b = Trainer(config), Trainer(config)
    a.run(200)
    b.run(200)
    start, done = time.perf_counter(), 0
    with a.blas_limit, b.blas_limit:
        while time.perf_counter() - start < seconds:
            for _ in range(250):
                a.step()
                b.step()
            done += 250
    return done / (time.perf_counter() - start)


async def twin_pairs_per_second(config, seconds: float, size: tuple[int, int]) -> dict[str, float]:
    """Step pairs per second of runs A and B in the app, and screen updates per second."""
    app = GradtuiApp(trainer=Trainer(config))
    async with app.run_test(size=size):
        screen = app.screen
        press(app, "t")
        await wait_for(lambda: screen.twin is not None)
        twin = screen.twin
        press(app, "space")
        await wait_for(lambda: twin.b.frame.step > 0)
        await asyncio.sleep(1.0)
        step0, frames0, t0 = twin.b.frame.step, screen.refreshes, time.perf_counter()
        ui0 = time.thread_time()
        await asyncio.sleep(seconds)
        elapsed = time.perf_counter() - t0
        result = {"pairs": (twin.b.frame.step - step0) / elapsed,
                  "frames": (screen.refreshes - frames0) / elapsed,
                  "ui_share": (time.thread_time() - ui0) / elapsed,
                  "lockstep": twin.a.frame.step - twin.b.frame.step}
        press(app, "space")
        await wait_for(lambda: not twin.busy)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each timed window")
    parser.add_argument("--size", default="120x40", help="terminal size, COLSxROWS")
    parser.add_argument("--scenario", default="default", help="a network scenario both runs train")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    config = SCENARIOS[args.scenario].config
    bare = alternating_pairs_per_second(config, args.seconds)
    app = asyncio.run(twin_pairs_per_second(config, args.seconds, size))
    share = app["pairs"] / bare
    print(f"twin mode, {args.scenario} scenario ({config.dataset}, hidden {config.hidden}, "
          f"{config.optimizer}); screen {size[0]}x{size[1]}; {os.cpu_count()} CPUs; "
          f"load average {os.getloadavg()[0]:.1f}")
    rows = [
        ("two bare Trainers alternating, pairs/s", f"{bare:,.0f}", ""),
        ("twin mode in the app, pairs/s", f"{app['pairs']:,.0f}", ""),
        ("  as % of alternating", f"{share:.0%}", "ok" if share >= 0.70 else "BELOW 70%"),
        ("screen updates/s", f"{app['frames']:.1f}", "ok" if app["frames"] >= 10 else "BELOW 10"),
        ("UI thread CPU share", f"{app['ui_share']:.0%}", ""),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'value':>10}  note")
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>10}  {note}")


if __name__ == "__main__":
    main()
