"""Twin mode's speed: runs A and B, each in a worker of its own, training in parallel inside
the app, against two bare Trainers training in parallel, each in a process (or, with
``--worker thread``, a thread) of its own (target: at least 85 %).

Run: python benchmarks/bench_twin.py [--seconds 2] [--rounds 5] [--sizes 120x40,200x60]
     [--scenario default] [--worker process|thread]

Both sides step the same config; the app is opened on it, ``t`` forks run B and ``space``
trains both, through Textual's headless driver (every widget laid out and drawn as in a
terminal, only the final write to a terminal skipped). The engine holds one BLAS thread
itself (TrainConfig.blas_threads), so no figure depends on the environment. A pair is one
step of each run: the app's pairs/s is B's steps/s (the pace keeps A within a few steps
of it), the bare pairs/s the slower bare Trainer's steps/s. Two bare Trainers alternating
in one thread (what twin mode did before it had two workers: one core for both) are shown
too, for reference.

On a shared machine the load drifts by the second, so the two are measured in turns:
``--rounds`` times a window of the app training, then (the app paused) a window of the
bare Trainers; each round gives a ratio and the table shows their median and range. The
UI thread's CPU time per screen update is the steadiest figure: every millisecond of it is
one that the app's process (and, with two cores, a worker) does not have.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import threading
import time

from bench_tui import press, wait_for

from gradtui.engine import SCENARIOS, Trainer
from gradtui.tui.app import GradtuiApp


def alternating_pairs_per_second(a: Trainer, b: Trainer, seconds: float) -> float:
    """Two bare Trainers stepping A, B, A, B, ... in one thread: step pairs per second."""
    start, done = time.perf_counter(), 0
    with a.blas_limit, b.blas_limit:
        while time.perf_counter() - start < seconds:
            for _ in range(50):
                a.step()
                b.step()
            done += 50
    return done / (time.perf_counter() - start)


def _bare_steps(config, seconds: float, ready, out) -> None:
    """One bare Trainer (warmed up), stepping for ``seconds`` once ``ready`` lets all go."""
    trainer = Trainer(config)
    trainer.run(200)
    ready.wait()
    start, done = time.perf_counter(), 0
    with trainer.blas_limit:
        while time.perf_counter() - start < seconds:
            for _ in range(50):
                trainer.step()
            done += 50
    out.put(done / (time.perf_counter() - start))


def parallel_pairs_per_second(config, seconds: float, worker: str) -> float:
    """Two bare Trainers training at once, each in a process (or thread) of its own: the
    slower one's steps per second."""
    if worker == "process":
        ctx = multiprocessing.get_context("forkserver" if "forkserver" in multiprocessing.get_all_start_methods()
                                          else "spawn")
        ready, out = ctx.Barrier(2), ctx.Queue()
        runners = [ctx.Process(target=_bare_steps, args=(config, seconds, ready, out)) for _ in range(2)]
    else:
        import queue
        ready, out = threading.Barrier(2), queue.Queue()
        runners = [threading.Thread(target=_bare_steps, args=(config, seconds, ready, out)) for _ in range(2)]
    for runner in runners:
        runner.start()
    rates = [out.get() for _ in runners]
    for runner in runners:
        runner.join()
    return min(rates)


async def measure(config, seconds: float, rounds: int, size: tuple[int, int], worker: str) -> dict[str, list[float]]:
    """Per round: pairs/s in the app, bare in parallel and bare alternating, screen
    updates/s, UI CPU share and ms per update."""
    bare_a, bare_b = Trainer(config), Trainer(config)
    bare_a.run(200)
    bare_b.run(200)
    out: dict[str, list[float]] = {k: [] for k in ("app", "bare", "alternating", "frames", "ui_share", "ui_ms")}
    app = GradtuiApp(trainer=Trainer(config), worker=worker)
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
            out["bare"].append(await asyncio.to_thread(parallel_pairs_per_second, config, seconds, worker))
            out["alternating"].append(alternating_pairs_per_second(bare_a, bare_b, seconds / 2))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="length of each timed window")
    parser.add_argument("--rounds", type=int, default=5, help="app and bare windows, in turns")
    parser.add_argument("--sizes", default="120x40,200x60", help="terminal sizes, COLSxROWS[,COLSxROWS]")
    parser.add_argument("--scenario", default="default", help="a network scenario both runs train")
    parser.add_argument("--worker", default="process", choices=("process", "thread"),
                        help="the app's workers, and what each bare Trainer runs in")
    args = parser.parse_args()
    config = SCENARIOS[args.scenario].config
    print(f"twin mode, {args.scenario} scenario ({config.dataset}, hidden {config.hidden}, "
          f"{config.optimizer}); {args.worker} workers; {os.cpu_count()} CPUs; {args.rounds} rounds of {args.seconds:g} s; "
          f"load average {os.getloadavg()[0]:.1f} at the start")
    sizes = [tuple(int(v) for v in size.split("x")) for size in args.sizes.split(",")]
    rows = []
    for size in sizes:
        r = asyncio.run(measure(config, args.seconds, args.rounds, size, args.worker))
        shares = sorted(app / bare for app, bare in zip(r["app"], r["bare"]))
        share = statistics.median(shares)
        frames, ui_ms = statistics.median(r["frames"]), statistics.median(r["ui_ms"])
        where = f"{size[0]}x{size[1]}"
        rows += [
            (f"{where}: two bare Trainers alternating in one thread, pairs/s",
             f"{statistics.median(r['alternating']):,.0f}", "reference"),
            (f"{where}: two bare Trainers in parallel ({args.worker} each), pairs/s",
             f"{statistics.median(r['bare']):,.0f}", ""),
            (f"{where}: twin mode in the app, pairs/s", f"{statistics.median(r['app']):,.0f}", ""),
            (f"{where}:   as % of bare in parallel (median)", f"{share:.0%}",
             f"{'ok' if share >= 0.85 else 'BELOW 85%'} (rounds {shares[0]:.0%}-{shares[-1]:.0%})"),
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
