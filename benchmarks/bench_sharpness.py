"""Training speed with the sharpness pane open (h), as a share of headless training.

Run: python benchmarks/bench_sharpness.py [--seconds 5]

For the default scenario (2-16-16-2 on the spiral, Adam, batch 32) and a 784-128-10
network on 6,000 random MNIST-sized rows (batch 128), in the app at 120x40 through
Textual's headless driver (training in its own process on Linux, as a user runs it):
steps/s with the gradient plot (pane closed) and with the sharpness pane open, each as a
share of a bare ``Trainer.run`` loop in this process; and, with the pane open, how many
λmax measurements were taken while training (not counting the one on opening the pane
and the one on pausing, which show the paused run's λmax) and the measuring share of the training worker's time
(the session keeps it at most ``SHARPNESS_SHARE``; estimated as measurements x the cost of
one warm-started measurement at the paused weights / training time). Write the machine's load beside any
figure you quote: on a shared machine the shares move with it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time

from bench_tui import press, wait_for


def configs():
    import numpy as np
    from gradtui.engine import SCENARIOS, TrainConfig, Trainer
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(6000, 784)), rng.integers(0, 10, 6000)
    yield "default scenario", lambda: Trainer(SCENARIOS["default"].config)
    yield "784-128-10 b128", lambda: Trainer.from_arrays(X, y, TrainConfig(hidden=(128,), batch_size=128,
                                                                           optimizer="sgd", lr=0.05))


def headless(make, seconds: float) -> float:
    """A bare ``Trainer.run`` on a fresh trainer, as many steps as fill about ``seconds``."""
    trainer = make()
    probe = time.perf_counter()
    trainer.run(50)
    steps = max(100, int(50 * seconds / (time.perf_counter() - probe)))
    start = time.perf_counter()
    trainer.run(steps)
    return steps / (time.perf_counter() - start)


def warm_cost(trainer, vector) -> float:
    """Seconds one measurement takes at the paused run's weights, warm-started from the
    run's last eigenvector as in training (the median of three, in this process)."""
    import statistics
    from gradtui.engine.run.sharpness import SharpnessRecord
    costs = []
    for _ in range(3):
        record = SharpnessRecord()
        record.vector = vector
        start = time.perf_counter()
        record.measure(trainer)
        costs.append(time.perf_counter() - start)
    return statistics.median(costs)


async def in_app(make, seconds: float, pane: bool) -> dict[str, float]:
    from gradtui.tui.app import GradtuiApp
    app = GradtuiApp(trainer=make())
    async with app.run_test(size=(120, 40)) as pilot:
        session = app.session
        if pane:
            await pilot.press("h")
            await wait_for(lambda: session.frame.sharpness is not None and len(session.frame.sharpness))
        press(app, "space")
        await wait_for(lambda: session.frame.running)
        started = time.perf_counter()
        await asyncio.sleep(1.0)
        step0, t0 = session.frame.step, time.perf_counter()
        await asyncio.sleep(seconds)
        rate = (session.frame.step - step0) / (time.perf_counter() - t0)
        trained = time.perf_counter() - started
        press(app, "space")
        await wait_for(lambda: not session.busy)
        history = session.timeline.sharpness.history
        history.flush()
        steps = history.view().steps  # one on opening (step 0) and one on pausing (the last step)
        measured = int(((steps > 0) & (steps < session.trainer.step_count)).sum())
        cost = warm_cost(session.trainer, session.timeline.sharpness.vector)
        return {"steps": rate, "measurements": measured, "cost_s": cost, "share": measured * cost / trained}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} cores")
    print(f"{'config':<18} {'headless':>10} {'pane off':>14} {'pane on':>14} {'λmax taken':>11} "
          f"{'one costs':>10} {'share':>6}")
    for name, make in configs():
        bare = headless(make, args.seconds)
        off = asyncio.run(in_app(make, args.seconds, pane=False))
        on = asyncio.run(in_app(make, args.seconds, pane=True))
        print(f"{name:<18} {bare:>8.0f}/s {off['steps']:>7.0f} {off['steps'] / bare:>5.0%} "
              f"{on['steps']:>7.0f} {on['steps'] / bare:>5.0%} {on['measurements']:>11} "
              f"{on['cost_s'] * 1e3:>8.1f}ms {on['share']:>6.1%}")


if __name__ == "__main__":
    main()
