"""Engine speed: steps/s and the per-step split (forward, backward, statistics, optimizer).

Run: python benchmarks/bench_engine.py [--steps N]

Each network runs in float64 (the default, exact) and float32 (half the memory
traffic and twice the BLAS throughput, for the larger nets).

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


def make_trainer(n_in: int, hidden: tuple[int, ...], n_classes: int, batch: int,
                 dtype: str) -> Trainer:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2048, n_in))
    y = rng.integers(0, n_classes, 2048)
    cfg = TrainConfig(hidden=hidden, batch_size=batch, optimizer="adam", lr=1e-3, dtype=dtype)
    return Trainer.from_arrays(X, y, cfg)


def full_steps(trainer: Trainer, steps: int) -> float:
    """Seconds for ``steps`` calls of ``Trainer.step`` (statistics and flags included)."""
    t0 = time.perf_counter()
    for _ in range(steps):
        trainer.step()
    return time.perf_counter() - t0


def bare_steps(trainer: Trainer, steps: int) -> dict[str, float]:
    """Seconds per phase for the same work without statistics: batch, forward+loss, backward, optimizer."""
    model, loss, opt, sampler = trainer.model, trainer.loss, trainer.optimizer, trainer.sampler
    X = trainer.data.X_train.astype(model.dtype)
    T = loss.targets(trainer.data.y_train, trainer.data.n_classes).astype(model.dtype)
    times = dict(forward=0.0, backward=0.0, optimizer=0.0)
    clock = time.perf_counter
    for _ in range(steps):
        t0 = clock()
        idx = sampler.next()
        out = model.forward(X.take(idx, axis=0), train=True)
        value, dout = loss.value_and_grad(out, T.take(idx, axis=0))
        t1 = clock()
        model.backward(dout, need_input_grad=False)
        t2 = clock()
        opt.step()
        t3 = clock()
        times["forward"] += t1 - t0
        times["backward"] += t2 - t1
        times["optimizer"] += t3 - t2
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000)
    args = parser.parse_args()
    print(f"{'config':<18} {'dtype':<8} {'steps/s':>9} {'target':>7} {'step us':>8} {'fwd':>6} "
          f"{'bwd':>6} {'optim':>6} {'stats':>6} {'stats %':>7}")
    for label, n_in, hidden, n_classes, batch, target in CASES:
        for dtype in ("float64", "float32"):
            trainer = make_trainer(n_in, hidden, n_classes, batch, dtype)
            full_steps(trainer, 200)  # warm up caches and the allocator
            full = full_steps(trainer, args.steps)
            parts = {k: 1e6 * v / args.steps for k, v in bare_steps(trainer, args.steps).items()}
            step_us = 1e6 * full / args.steps
            stats_us = max(step_us - sum(parts.values()), 0.0)
            rate = args.steps / full
            ok = "ok" if rate >= target else "below target"
            print(f"{label:<18} {dtype:<8} {rate:>9,.0f} {target:>7,} {step_us:>8.1f} "
                  f"{parts['forward']:>6.1f} {parts['backward']:>6.1f} {parts['optimizer']:>6.1f} "
                  f"{stats_us:>6.1f} {100 * stats_us / step_us:>6.1f}%  {ok}")
    print("fwd includes batch gathering and the loss; stats = full step minus the bare phases "
          "(norms, update ratios, finiteness checks, flags, dead/saturated probe every "
          "probe_every steps).")


if __name__ == "__main__":
    main()
