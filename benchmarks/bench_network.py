"""The network view while training: its redraw rate and what it costs the training thread.

Run: python benchmarks/bench_network.py [--seconds 5] [--size 120x40] [--load]

For the default scenario (2-16-16-2 on spiral), in each column (``pinned``/``as run``, see
benchmarks/modes.py; ``--load`` adds both beside a busy process):

- steps/s of a bare ``Trainer.run`` loop (headless);
- steps/s in the app on the training screen, and with the network view open, each as a
  share of headless (target with the view open: at least 70 %), and the view's cost as
  the ratio of the two in-app rates;
- network view redraws/s while training (target: at least 4), and the UI thread's CPU
  time as a share of wall time and per redraw (the primary measure of what the view
  costs training: the UI thread holds the GIL while it draws, so in-app training runs at
  about (1 - that share) of headless on an idle machine);
- the CPU cost of one network picture (computed in the training thread), one diagram
  paint from scratch (cells and strips; a frame reuses the rows that did not change) and
  one inspector text (on the UI thread), in ms;
- the loss surface (21 x 21 losses): seconds on spiral's 250 training rows and on a
  784-128-10 network over a 2,000-row sample (the app's fixed sample for big sets).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

from bench_tui import headless_steps_per_second, press, wait_for
from modes import column_name, columns, machine_line, print_table, run_child


async def in_app(config, seconds: float, size: tuple[int, int], network: bool) -> dict[str, float]:
    """Steps/s in the app (and network redraws/s) over ``seconds`` of training."""
    from gradtui.engine import Trainer
    from gradtui.tui.app import GradtuiApp
    from gradtui.tui.network.screen import NetworkScreen
    app = GradtuiApp(trainer=Trainer(config))
    async with app.run_test(size=size) as pilot:
        session = app.session
        if network:
            await pilot.press("n")
            await wait_for(lambda: isinstance(app.screen, NetworkScreen) and app.screen.picture is not None)
        screen = app.screen
        press(app, "space")
        await wait_for(lambda: session.frame.step > 0)
        await asyncio.sleep(1.0)
        step0, t0, cpu0 = session.frame.step, time.perf_counter(), time.thread_time()
        redraws0 = getattr(screen, "redraws", 0)
        await asyncio.sleep(seconds)
        elapsed, cpu = time.perf_counter() - t0, time.thread_time() - cpu0  # this is the UI thread
        redraws = getattr(screen, "redraws", 0) - redraws0
        result = {"steps": (session.frame.step - step0) / elapsed, "redraws": redraws / elapsed,
                  "ui_share": cpu / elapsed, "ui_ms_per_redraw": cpu / max(redraws, 1) * 1e3}
        press(app, "space")
        await wait_for(lambda: not session.busy)
    return result


def unit_costs(config, size: tuple[int, int]) -> dict[str, float]:
    """ms for one picture, one paint of the diagram at ``size``'s diagram area, one inspector."""
    from gradtui.engine import Trainer
    from gradtui.tui.network.diagram import layout, paint
    from gradtui.tui.network.inspector import inspector_text
    from gradtui.engine.run.network_picture import NetworkRequest, network_picture
    from gradtui.engine.run.timeline import Timeline
    trainer = Trainer(config)
    trainer.run(300)
    since = Timeline(trainer).since.since
    width, height = int(size[0] * 0.64), size[1] - 3

    def per_call_ms(work, n: int = 50) -> float:
        """CPU time (this thread's), so other work on the machine does not count."""
        work()
        start = time.thread_time()
        for _ in range(n):
            work()
        return (time.thread_time() - start) / n * 1e3

    picture = network_picture(trainer, NetworkRequest(7), since)
    return {
        "picture_ms": per_call_ms(lambda: network_picture(trainer, NetworkRequest(7), since)),
        "paint_ms": per_call_ms(lambda: paint(picture, layout(picture, width, height, (1, 3)), (1, 3), False).strips()),
        "inspector_ms": per_call_ms(lambda: inspector_text(picture, 1, 3, width=size[0] - width - 3, height=height)),
    }


def landscape_seconds() -> dict[str, float]:
    import numpy as np
    from gradtui.engine import TrainConfig, Trainer
    from gradtui.engine.inspect.landscape import SAMPLE_ROWS
    spiral = Trainer(TrainConfig())
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(6000, 784)), rng.integers(0, 10, 6000)
    mnist_sized = Trainer.from_arrays(X, y, TrainConfig(hidden=(128,), test_fraction=0.0))
    out = {}
    for name, trainer in (("spiral", spiral), ("mnist_sized", mnist_sized)):
        start = time.perf_counter()
        trainer.loss_landscape(steps=21, max_rows=SAMPLE_ROWS)
        out[name] = time.perf_counter() - start
    return out


def child(args: argparse.Namespace) -> None:
    from gradtui.engine import SCENARIOS
    config = SCENARIOS["default"].config
    size = tuple(int(v) for v in args.size.split("x"))
    result = {"headless": headless_steps_per_second(config, args.seconds)}
    result["training_screen"] = asyncio.run(in_app(config, args.seconds, size, network=False))
    result["network_view"] = asyncio.run(in_app(config, args.seconds, size, network=True))
    result.update(unit_costs(config, size))
    result["landscape"] = landscape_seconds()
    print(json.dumps(result))


def ok(text: str, good: bool) -> str:
    return text if good else f"{text} !"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each timed window")
    parser.add_argument("--size", default="120x40", help="terminal size, COLSxROWS")
    parser.add_argument("--load", action="store_true", help="also measure beside a second busy process")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    print(f"default scenario (2-16-16-2 on spiral) at {args.size}; {machine_line()}")
    results = {c: run_child(__file__, *c, ["--seconds", str(args.seconds), "--size", args.size])
               for c in columns(args.load)}
    at = list(results.values())
    rows = [
        ["headless Trainer steps/s"] + [f"{r['headless']:,.0f}" for r in at],
        ["app, training screen: steps/s"] + [f"{r['training_screen']['steps']:,.0f}" for r in at],
        ["  as % of headless"] + [f"{r['training_screen']['steps'] / r['headless']:.0%}" for r in at],
        ["app, network view open: steps/s"] + [f"{r['network_view']['steps']:,.0f}" for r in at],
        ["  as % of headless (>= 70%)"] + [ok(f"{r['network_view']['steps'] / r['headless']:.0%}",
                                              r["network_view"]["steps"] >= 0.7 * r["headless"]) for r in at],
        ["  as % of the training screen"] + [f"{r['network_view']['steps'] / r['training_screen']['steps']:.0%}"
                                             for r in at],
        ["  network view redraws/s (>= 4)"] + [ok(f"{r['network_view']['redraws']:.1f}",
                                                  r["network_view"]["redraws"] >= 4) for r in at],
        ["  UI thread CPU, % of wall (<= 30%)"] + [ok(f"{r['network_view']['ui_share']:.0%}",
                                                      r["network_view"]["ui_share"] <= 0.3) for r in at],
        ["  UI thread CPU per redraw, ms"] + [f"{r['network_view']['ui_ms_per_redraw']:.1f}" for r in at],
        ["training screen: UI thread CPU, % of wall"] + [f"{r['training_screen']['ui_share']:.0%}" for r in at],
        ["picture (training thread), ms"] + [f"{r['picture_ms']:.2f}" for r in at],
        ["diagram paint from scratch (UI thread), ms"] + [f"{r['paint_ms']:.2f}" for r in at],
        ["inspector text (UI thread), ms"] + [f"{r['inspector_ms']:.2f}" for r in at],
        ["loss surface 21x21, spiral, s"] + [f"{r['landscape']['spiral']:.3f}" for r in at],
        ["loss surface 21x21, 784-128-10 on 2,000 rows, s"] + [f"{r['landscape']['mnist_sized']:.2f}" for r in at],
    ]
    print_table(["measure"] + [column_name(*c) for c in results], rows)
    print("(! = misses its target)")


if __name__ == "__main__":
    main()
