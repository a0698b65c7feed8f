"""The app at full speed, headless: training throughput, plot and screen rates, the UI
thread's drawing share, pause latency, first paint and memory, pinned and as a user runs it.

Run: python benchmarks/bench_tui.py [--seconds 5] [--sizes 120x40,200x60] [--workers process,thread] [--load] [--steps 1000000]

For each column (``pinned``/``as run``, and with ``--load`` both again beside a busy
process; see benchmarks/modes.py) and each screen size:

- steps/s of the training worker inside the app, as a share of a bare ``Trainer.run``
  loop on the same config in the same process (target: at least 90 %), for each kind of
  worker (``process``: the run's own process, the default; ``thread``: the fallback);
- screen updates/s (frames drawn) and plot redraws/s (target: at least 10);
- the UI thread's CPU time as a share of the wall clock, and the plots' drawing share of it;
- delay from a space key event to the paused run's frame in the app (targets: median
  at most 10 ms, worst at most 50 ms).

Then, as run: first paint (a fresh ``gradtui`` process until its first screen is drawn)
against a bare ``python -c "import numpy, textual.app"`` (target: within 0.4 s), and peak
resident memory after ``--steps`` training steps in the app (0 skips it).

The app runs through Textual's headless driver: every widget is laid out and rendered as
in a terminal, only the final write to a terminal is skipped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import subprocess
import sys
import time

from modes import child_env, column_name, columns, machine_line, print_table, run_child

BARE_IMPORT = "import time; import numpy, textual.app; print(time.time())"
FIRST_PAINT = """
import time
from gradtui.tui.app import GradtuiApp

async def painted(pilot):
    await pilot.pause()
    print(time.time())
    pilot.app.exit()

GradtuiApp().run(headless=True, size=(120, 40), auto_pilot=painted)
"""


def headless_steps_per_second(config, seconds: float) -> float:
    """A bare Trainer.run loop on the same config."""
    from gradtui.engine import Trainer
    trainer = Trainer(config)
    trainer.run(200)
    start, done = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        trainer.run(500)
        done += 500
    return done / (time.perf_counter() - start)


def press(app, key: str) -> None:
    """A key event as the terminal driver delivers it (Pilot.press would wait for an idle
    CPU, which never comes while training runs)."""
    from textual import events
    app.post_message(events.Key(key, " " if key == "space" else key))


async def wait_for(condition, timeout: float = 30.0) -> None:
    end = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > end:
            raise TimeoutError("the app did not get there in time")
        await asyncio.sleep(0.001)


async def measure_app(config, seconds: float, size: tuple[int, int], worker: str) -> dict[str, float]:
    from gradtui.engine import Trainer
    from gradtui.tui.app import GradtuiApp
    from gradtui.tui.train.plots import GradPlot, LossPlot
    app = GradtuiApp(trainer=Trainer(config), worker=worker)
    async with app.run_test(size=size):
        session, screen = app.session, app.screen
        plots = [screen.query_one(LossPlot), screen.query_one(GradPlot)]
        press(app, "space")
        await wait_for(lambda: session.frame.step > 0)
        await asyncio.sleep(1.0)
        step0, frames0, t0 = session.frame.step, screen.refreshes, time.perf_counter()
        redraws0, drawing0, ui0 = plots[0].redraws, sum(p.drawing_seconds for p in plots), time.thread_time()
        await asyncio.sleep(seconds)
        elapsed = time.perf_counter() - t0
        result = {
            "app_steps": (session.frame.step - step0) / elapsed,
            "frames": (screen.refreshes - frames0) / elapsed,
            "plots": (plots[0].redraws - redraws0) / elapsed,
            "ui_share": (time.thread_time() - ui0) / elapsed,
            "drawing_share": (sum(p.drawing_seconds for p in plots) - drawing0) / elapsed,
        }
        shown = []
        for _ in range(10):
            if not session.running:
                press(app, "space")
                await wait_for(lambda: session.frame.running)
            await asyncio.sleep(0.3)
            sent = time.perf_counter()
            press(app, "space")
            await wait_for(lambda: not session.frame.running)
            shown.append(time.perf_counter() - sent)
            await wait_for(lambda: not session.busy)
        result["shown_median"] = statistics.median(shown)
        result["shown_max"] = max(shown)
    return result


async def measure_memory(config, steps: int) -> dict[str, float]:
    from gradtui.engine import Trainer
    from gradtui.tui.app import GradtuiApp
    app = GradtuiApp(trainer=Trainer(config))
    async with app.run_test(size=(120, 40)):
        session = app.session
        start_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t0 = time.perf_counter()
        press(app, "space")
        await wait_for(lambda: session.frame.running)
        await wait_for(lambda: session.frame.step >= steps or not session.running, timeout=1e6)
        press(app, "space")
        await wait_for(lambda: not session.busy)
        await asyncio.sleep(0.5)
        return {
            "steps_done": session.trainer.step_count,
            "seconds": time.perf_counter() - t0,
            "start_mb": start_rss,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "child_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
            "buckets": len(session.frame.steps),
        }


def wall_seconds_to_output(code: str, env: dict[str, str]) -> float:
    """Seconds from starting ``python -c code`` to the time it prints (its last line)."""
    start = time.time()
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.split()[-1]) - start


def first_paint(runs: int) -> tuple[float, float]:
    """Median seconds to a bare ``import numpy, textual.app`` and to the app's first paint
    (fresh processes, as run, after one warm-up of each so the bytecode caches exist)."""
    env = child_env("as run")
    wall_seconds_to_output(BARE_IMPORT, env)
    wall_seconds_to_output(FIRST_PAINT, env)
    bare = statistics.median(wall_seconds_to_output(BARE_IMPORT, env) for _ in range(runs))
    app = statistics.median(wall_seconds_to_output(FIRST_PAINT, env) for _ in range(runs))
    return bare, app


def child(args: argparse.Namespace) -> None:
    """Measure the app at each size in this process's mode; print one JSON line."""
    from gradtui.engine import SCENARIOS
    from gradtui.tui.app import GradtuiApp  # noqa: F401  (imported before timing)
    config = SCENARIOS["default"].config
    if args.memory:
        print(json.dumps(asyncio.run(measure_memory(config, args.memory))))
        return
    bare = headless_steps_per_second(config, args.seconds)
    sizes = {}
    for worker in args.workers.split(","):
        for size in args.sizes.split(","):
            result = asyncio.run(measure_app(config, args.seconds, tuple(int(v) for v in size.split("x")), worker))
            result["share"] = result["app_steps"] / bare
            sizes[f"{size} {worker}"] = result
    print(json.dumps({"headless": bare, "sizes": sizes}))


def ok(value: float, good: bool) -> str:
    return f"{value}" if good else f"{value} !"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each timed window")
    parser.add_argument("--sizes", default="120x40,200x60", help="terminal sizes, COLSxROWS,...")
    parser.add_argument("--workers", default="process,thread", help="kinds of training worker to measure")
    parser.add_argument("--load", action="store_true", help="also measure beside a second busy process")
    parser.add_argument("--steps", type=int, default=1_000_000, help="steps for the memory run (0 skips it)")
    parser.add_argument("--paints", type=int, default=5, help="first-paint runs (0 skips them)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--memory", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    from gradtui.engine import SCENARIOS
    config = SCENARIOS["default"].config
    print(f"default scenario ({config.dataset}, hidden {config.hidden}, {config.optimizer}, batch "
          f"{config.batch_size}); {machine_line()}")
    common = ["--seconds", str(args.seconds), "--sizes", args.sizes, "--workers", args.workers]
    results = {c: run_child(__file__, *c, common) for c in columns(args.load)}
    cols = list(results)
    rows = [["headless Trainer steps/s"] + [f"{results[c]['headless']:,.0f}" for c in cols]]
    for size in (f"{s} {w}" for w in args.workers.split(",") for s in args.sizes.split(",")):
        at = [results[c]["sizes"][size] for c in cols]
        rows += [
            [f"{size}: steps/s in the app"] + [f"{r['app_steps']:,.0f}" for r in at],
            ["  as % of headless (>= 90%)"] + [ok(f"{r['share']:.0%}", r["share"] >= 0.9) for r in at],
            ["  screen updates/s"] + [f"{r['frames']:.1f}" for r in at],
            ["  plot redraws/s (>= 10)"] + [ok(f"{r['plots']:.1f}", r["plots"] >= 10) for r in at],
            ["  UI thread CPU, % of wall"] + [f"{r['ui_share']:.0%}" for r in at],
            ["  of which plot drawing"] + [f"{r['drawing_share']:.1%}" for r in at],
            ["  space -> paused frame, median ms (<= 10)"]
            + [ok(f"{r['shown_median'] * 1e3:.1f}", r["shown_median"] <= 0.01) for r in at],
            ["  space -> paused frame, max ms (<= 50)"]
            + [ok(f"{r['shown_max'] * 1e3:.1f}", r["shown_max"] <= 0.05) for r in at],
        ]
    print_table(["measure"] + [column_name(*c) for c in cols], rows)
    print("(! = misses its target)")
    if args.paints:
        bare, app = first_paint(args.paints)
        print(f"\nfirst paint, as run, median of {args.paints}: bare 'import numpy, textual.app' {bare:.2f} s, "
              f"gradtui first screen {app:.2f} s, {app - bare:+.2f} s over (target: within 0.4 s)")
    if args.steps:
        mem = run_child(__file__, "as run", False, ["--memory", str(args.steps)])
        print(f"\nmemory, as run: {mem['steps_done']:,} steps in {mem['seconds']:.0f} s; RSS before training "
              f"{mem['start_mb']:.0f} MB, peak {mem['peak_mb']:.0f} MB (the app), {mem['child_peak_mb']:.0f} MB (the "
              f"training process); {mem['buckets']} history buckets kept")


if __name__ == "__main__":
    main()
