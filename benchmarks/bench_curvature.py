"""Cost of curvature against a training step: one ``sharpness()`` (Lanczos on the whole
training set, cold and warm-started), one Hessian-vector product, one gradient noise scale,
on the default scenario and on a 784-128-10 network (synthetic data of MNIST's shape).

Run: python benchmarks/bench_curvature.py [--repeats N]

Times are medians over ``repeats`` calls, BLAS limited to one thread (the engine's default);
the machine's load average is printed with them. "cold" starts Lanczos from its seeded
random vector (tolerance 1e-6); "warm" starts it from the previous top eigenvector after one
more training step, as a pane tracking the sharpness along a run would.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

from gradtui.engine import SCENARIOS, TrainConfig, Trainer


def median_ms(call, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def mnist_shaped() -> Trainer:
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(4096, 784)), rng.integers(0, 10, 4096)
    return Trainer.from_arrays(X, y, TrainConfig(hidden=(128,), batch_size=128, optimizer="adam", lr=1e-3))


def measure(label: str, trainer: Trainer, repeats: int) -> list[str]:
    trainer.run(50)  # off the initial point
    step = median_ms(lambda: trainer.step(), max(repeats, 20))
    cold = trainer.hessian_eigen(1)
    cold_ms = median_ms(lambda: trainer.sharpness(), repeats)
    v = np.random.default_rng(1).standard_normal(trainer.model.flat_value.size)
    hvp_ms = median_ms(lambda: trainer.hessian_vector_product(v), repeats)
    warm_times, warm_iters, start = [], [], cold.vectors[:, 0]
    for _ in range(repeats):
        trainer.step()
        t0 = time.perf_counter()
        eigen = trainer.hessian_eigen(1, start=start)
        warm_times.append(time.perf_counter() - t0)
        warm_iters.append(eigen.iterations)
        start = eigen.vectors[:, 0]
    warm_ms = 1e3 * statistics.median(warm_times)
    probe_ms = median_ms(lambda: trainer.sharpness(on="probe"), repeats)
    noise_ms = median_ms(lambda: trainer.gradient_noise_scale(), repeats)
    return [label, f"{trainer.model.flat_value.size:,}", f"{len(trainer.data.X_train):,}",
            f"{step:.2f}", f"{hvp_ms:.2f}", f"{cold_ms:.1f} ({cold.iterations})",
            f"{warm_ms:.1f} ({int(statistics.median(warm_iters))})", f"{probe_ms:.1f}",
            f"{cold_ms / step:.0f}x / {warm_ms / step:.0f}x", f"{noise_ms:.2f}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    head = ["network", "params", "train rows", "step ms", "H v ms", "sharpness cold ms (iters)",
            "warm ms (iters)", "probe ms", "cold / warm vs step", "noise scale ms"]
    rows = [measure("default (2-16-16-2 b32)", Trainer(SCENARIOS["default"].config), args.repeats),
            measure("784-128-10 b128", mnist_shaped(), args.repeats)]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    for r in [head, *rows]:
        print("  ".join(cell.rjust(w) for cell, w in zip(r, widths)))
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
