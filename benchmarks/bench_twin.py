"""Twin mode's speed: runs A and B training in lockstep inside the app, against two bare
Trainers stepping alternately in the same process (target: at least 70 %).

Run: python benchmarks/bench_twin.py [--seconds 2] [--rounds 5] [--sizes 120x40,200x60] [--scenario default]

Both sides step the same config; the app is opened on it, ``t`` forks run B and ``space``
trains both, through Textual's headless driver (every widget laid out and drawn as in a
terminal, only the final write to a terminal skipped). The engine holds one BLAS thread
itself (TrainConfig.blas_threads), so no figure depends on the environment.

On a shared machine the load drifts by the second, so the two are measured in turns:
``--rounds`` times a window of the app training, then (the app paused) a window of the
bare Trainers; each round gives a ratio and the table shows their median and range. The
UI thread's CPU time per screen update is the steadiest figure: every millisecond of it is
one the training thread waits for the GIL.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time

from bench_tui import press, wait_for

from gradtui.engine import SCENARIOS, Trainer
from gradtui.tui.app import GradtuiApp


def alternating_pairs_per_second(a: Trainer, b: Trainer, seconds: float) -> float:
    """Two bare Trainers stepping A, B, A, B, ...: step pairs per second."""
    start, done = time.perf_counter(), 0
    with a.blas_limit, b.blas_limit:
        while time.perf_counter() - start < seconds:
            for _ in range(50):
                a.step()
                b.step()
            done += 50
    return done / (time.perf_counter() - start)


async def measure(config, seconds: float, rounds: int, size: tuple[int, int]) -> dict[str, list[float]]:
    """Per round: pairs/s in the app and bare, screen updates/s, UI CPU share and ms per update."""
    bare_a, bare_b = Trainer(config), Trainer(config)
    bare_a.run(200)
    bare_b.run(200)
    out: dict[str, list[float]] = {k: [] for k in ("app", "bare", "frames", "ui_share", "ui_ms")}
    app = GradtuiApp(trainer=Trainer(config))
    async with app.run_test(size=size):
        screen = app.screen
        press(app, "t")
        await wait_for(lambda: screen.twin is not None)
        twin = screen.twin
        for _ in range(rounds):
            press(app, "space")
            await wait_for(lambda: twin.running)
            await asyncio.sleep(0.5)
            step0, frames0, t0 = twin.b.frame.step, screen.refreshes, time.perf_counter()
            ui0 = time.thread_time()
            await asyncio.sleep(seconds)
            elapsed, ui = time.perf_counter() - t0, time.thread_time() - ui0
            frames = screen.refreshes - frames0
            out["app"].append((twin.b.frame.step - step0) / elapsed)
            out["frames"].append(frames / elapsed)
            out["ui_share"].append(ui / elapsed)
            out["ui_ms"].append(1000 * ui / max(frames, 1))
            press(app, "space")
            await wait_for(lambda: not twin.busy)
            out["bare"].append(alternating_pairs_per_second(bare_a, bare_b, seconds))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="length of each timed window")
    parser.add_argument("--rounds", type=int, default=5, help="app and bare windows, in turns")
    parser.add_argument("--sizes", default="120x40,200x60", help="terminal sizes, COLSxROWS[,COLSxROWS]")
    parser.add_argument("--scenario", default="default", help="a network scenario both runs train")
    args = parser.parse_args()
    config = SCENARIOS[args.scenario].config
    print(f"twin mode, {args.scenario} scenario ({config.dataset}, hidden {config.hidden}, "
          f"{config.optimizer}); {os.cpu_count()} CPUs; {args.rounds} rounds of {args.seconds:g} s; "
          f"load average {os.getloadavg()[0]:.1f} at the start")
    sizes = [tuple(int(v) for v in size.split("x")) for size in args.sizes.split(",")]
    rows = []
    for size in sizes:
        r = asyncio.run(measure(config, args.seconds, args.rounds, size))
        shares = sorted(app / bare for app, bare in zip(r["app"], r["bare"]))
        share = statistics.median(shares)
        frames, ui_ms = statistics.median(r["frames"]), statistics.median(r["ui_ms"])
        where = f"{size[0]}x{size[1]}"
        rows += [
            (f"{where}: two bare Trainers alternating, pairs/s", f"{statistics.median(r['bare']):,.0f}", ""),
            (f"{where}: twin mode in the app, pairs/s", f"{statistics.median(r['app']):,.0f}", ""),
            (f"{where}:   as % of alternating (median)", f"{share:.0%}",
             f"{'ok' if share >= 0.70 else 'BELOW 70%'} (rounds {shares[0]:.0%}-{shares[-1]:.0%})"),
            (f"{where}: screen updates/s", f"{frames:.1f}", "ok" if frames >= 10 else "BELOW 10"),
            (f"{where}: UI thread CPU share", f"{statistics.median(r['ui_share']):.0%}", ""),
            (f"{where}: UI thread CPU per update, ms", f"{ui_ms:.1f}", ""),
        ]
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'value':>10}  note")
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>10}  {note}")


if __name__ == "__main__":
    main()
