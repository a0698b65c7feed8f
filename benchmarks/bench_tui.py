"""The app at full speed, headless: training throughput, screen refresh rate, pause latency, memory.

Run: python benchmarks/bench_tui.py [--seconds 5] [--steps 1000000] [--size 120x40]

- steps/s of the training worker inside the running app, as a share of a bare
  ``Trainer.run`` loop on the same config (target: at least 70 %);
- screen updates per second (frames with new numbers drawn; target: at least 10),
  and plot redraws per second (plotext is the costly part, so plots redraw less often);
- delay from a space key event to the training thread having stopped (target: under 100 ms);
- peak resident memory after ``--steps`` training steps in the app (target: under 200 MB).

The app runs through Textual's headless test driver: every widget is laid out and
rendered as in a terminal, only the final write to a terminal is skipped. BLAS threads
are pinned to 1 before NumPy loads (the matrices are tiny; thread hand-off costs more
than it saves).
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import asyncio  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

from textual import events  # noqa: E402

from gradtui.engine import SCENARIOS, Trainer  # noqa: E402
from gradtui.tui.app import GradtuiApp  # noqa: E402
from gradtui.tui.train.plots import LossPlot  # noqa: E402

CONFIG = SCENARIOS["default"].config


def headless_steps_per_second(seconds: float) -> float:
    """A bare Trainer.run loop on the same config."""
    trainer = Trainer(CONFIG)
    trainer.run(200)
    start, done = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        trainer.run(500)
        done += 500
    return done / (time.perf_counter() - start)


def press(app: GradtuiApp, key: str) -> None:
    """A key event as the terminal driver delivers it (Pilot.press would wait for an idle
    CPU, which never comes while training runs)."""
    app.post_message(events.Key(key, " " if key == "space" else key))


async def wait_for(condition, timeout: float = 30.0) -> None:
    end = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > end:
            raise TimeoutError("the app did not get there in time")
        await asyncio.sleep(0.001)


async def measure_app(seconds: float, size: tuple[int, int]) -> dict[str, float]:
    app = GradtuiApp(trainer=Trainer(CONFIG))
    async with app.run_test(size=size):
        session, screen = app.session, app.screen
        press(app, "space")
        await wait_for(lambda: session.frame.step > 0)
        await asyncio.sleep(1.0)
        loss = screen.query_one(LossPlot)
        step0, frames0, plots0, t0 = session.frame.step, screen.refreshes, loss.redraws, time.perf_counter()
        await asyncio.sleep(seconds)
        elapsed = time.perf_counter() - t0
        result = {
            "app_steps": (session.frame.step - step0) / elapsed,
            "frames": (screen.refreshes - frames0) / elapsed,
            "plots": (loss.redraws - plots0) / elapsed,
        }
        delays = []
        for _ in range(10):
            if not session.running:
                press(app, "space")
                await wait_for(lambda: session.busy)
            await asyncio.sleep(0.3)
            sent = time.perf_counter()
            press(app, "space")
            await wait_for(lambda: not session.busy)
            delays.append(session.stopped_at - sent)
        result["stop_median"] = statistics.median(delays)
        result["stop_max"] = max(delays)
    return result


async def measure_memory(steps: int, size: tuple[int, int]) -> dict[str, float]:
    app = GradtuiApp(trainer=Trainer(CONFIG))
    async with app.run_test(size=size):
        session = app.session
        start_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t0 = time.perf_counter()
        press(app, "space")
        await wait_for(lambda: session.busy)
        await wait_for(lambda: session.trainer.step_count >= steps or not session.running, timeout=1e6)
        press(app, "space")
        await wait_for(lambda: not session.busy)
        await asyncio.sleep(0.5)
        return {
            "steps_done": session.trainer.step_count,
            "seconds": time.perf_counter() - t0,
            "start_mb": start_rss,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "buckets": len(session.frame.steps),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each timed window")
    parser.add_argument("--steps", type=int, default=1_000_000, help="steps for the memory run (0 skips it)")
    parser.add_argument("--size", default="120x40", help="terminal size, COLSxROWS")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))

    print(f"config: default scenario ({CONFIG.dataset}, hidden {CONFIG.hidden}, {CONFIG.optimizer}, "
          f"batch {CONFIG.batch_size}); screen {size[0]}x{size[1]}; {os.cpu_count()} CPUs")
    bare = headless_steps_per_second(args.seconds)
    app = asyncio.run(measure_app(args.seconds, size))
    share = app["app_steps"] / bare
    rows = [
        ("headless Trainer steps/s", f"{bare:,.0f}", ""),
        ("steps/s inside the app", f"{app['app_steps']:,.0f}", ""),
        ("  as % of headless", f"{share:.0%}", "ok" if share >= 0.70 else "BELOW 70%"),
        ("screen updates/s", f"{app['frames']:.1f}", "ok" if app["frames"] >= 10 else "BELOW 10"),
        ("  plot redraws/s", f"{app['plots']:.1f}", ""),
        ("space -> stopped, median ms", f"{app['stop_median'] * 1e3:.1f}", ""),
        ("space -> stopped, max ms", f"{app['stop_max'] * 1e3:.1f}",
         "ok" if app["stop_max"] < 0.1 else "ABOVE 100 ms"),
    ]
    if args.steps:
        mem = asyncio.run(measure_memory(args.steps, size))
        rows += [
            ("memory run: steps done", f"{mem['steps_done']:,}", f"in {mem['seconds']:.0f} s"),
            ("  RSS before training, MB", f"{mem['start_mb']:.0f}", ""),
            ("  peak RSS, MB", f"{mem['peak_mb']:.0f}", "ok" if mem["peak_mb"] < 200 else "ABOVE 200 MB"),
            ("  history buckets kept", f"{mem['buckets']}", ""),
        ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'value':>10}  note")
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>10}  {note}")


if __name__ == "__main__":
    main()
