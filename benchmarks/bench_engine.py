"""Engine speed: steps/s and the per-step split (forward, backward, statistics, optimizer).

Run: python benchmarks/bench_engine.py [--steps N]

BLAS threads are pinned to 1 before NumPy loads: the matrices here are tiny
(at most 128 x 784), and OpenBLAS's thread hand-off costs more than it saves.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from gradtui.engine import TrainConfig, Trainer  # noqa: E402

CASES = [
    # label, n_in, hidden, n_classes, batch, target steps/s
    ("2-16-16-2 b32", 2, (16, 16), 2, 32, 12_000),
    ("64-128-64-10 b64", 64, (128, 64), 10, 64, 4_000),
    ("784-128-10 b128", 784, (128,), 10, 128, 1_000),
]


def make_trainer(n_in: int, hidden: tuple[int, ...], n_classes: int, batch: int) -> Trainer:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2048, n_in))
    y = rng.integers(0, n_classes, 2048)
    cfg = TrainConfig(hidden=hidden, batch_size=batch, optimizer="adam", lr=1e-3)
    return Trainer.from_arrays(X, y, cfg)


def steps_per_second(trainer: Trainer, steps: int) -> float:
    trainer.run(min(200, steps))
    t0 = time.perf_counter()
    trainer.run(steps)
    return steps / (time.perf_counter() - t0)


def split(trainer: Trainer, steps: int) -> dict[str, float]:
    """Microseconds per step of each phase, timed with the trainer's own pieces."""
    model, loss, opt = trainer.model, trainer.loss, trainer.optimizer
    X, T = trainer.data.X_train, trainer._targets_train
    idx = [trainer.sampler.next() for _ in range(steps)]
    idx = [np.arange(len(X)) if i is None else i for i in idx]
    times = dict(forward=0.0, backward=0.0, optimizer=0.0)
    clock = time.perf_counter
    for i in idx:
        t0 = clock()
        out = model.forward(X[i], train=True)
        value, dout = loss.value_and_grad(out, T[i])
        t1 = clock()
        model.backward(dout, need_input_grad=False)
        t2 = clock()
        opt.step()
        t3 = clock()
        times["forward"] += t1 - t0
        times["backward"] += t2 - t1
        times["optimizer"] += t3 - t2
    return {k: 1e6 * v / steps for k, v in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000)
    args = parser.parse_args()
    print(f"{'config':<18} {'steps/s':>9} {'target':>7} {'step us':>8} {'fwd':>6} {'bwd':>6} "
          f"{'optim':>6} {'stats':>6} {'stats %':>7}")
    for label, n_in, hidden, n_classes, batch, target in CASES:
        trainer = make_trainer(n_in, hidden, n_classes, batch)
        rate = steps_per_second(trainer, args.steps)
        parts = split(trainer, args.steps)
        step_us = 1e6 / rate
        stats_us = max(step_us - sum(parts.values()), 0.0)
        ok = "ok" if rate >= target else "MISS"
        print(f"{label:<18} {rate:>9,.0f} {target:>7,} {step_us:>8.1f} {parts['forward']:>6.1f} "
              f"{parts['backward']:>6.1f} {parts['optimizer']:>6.1f} {stats_us:>6.1f} "
              f"{100 * stats_us / step_us:>6.1f}%  {ok}")


if __name__ == "__main__":
    main()
