"""Checkpoint saving: memory beyond the live run while ``Trainer.save`` writes, by size.

Run: python benchmarks/bench_checkpoint_memory.py

``save`` streams the live weights and optimizer state into the archive member by member
(``np.savez`` into the temp file, no snapshot copy, no in-memory archive), so its peak is
a small fraction of the checkpoint's size; building the whole archive in memory first
(the former way, shown for comparison) took more than the checkpoint's size again.
Peaks are traced with ``tracemalloc`` (NumPy reports its buffers to it).
"""

from __future__ import annotations

import io
import os
import tempfile
import tracemalloc

import numpy as np

from gradtui.engine import TrainConfig, Trainer

SIZES = [(500, 500), (1000, 1000), (2000, 2000)]


def traced_peak(action) -> int:
    tracemalloc.start()
    action()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def in_memory_archive(trainer: Trainer) -> None:
    snap = trainer.snapshot()
    buffer = io.BytesIO()
    np.savez(buffer, weights=snap.weights, **{k.replace(".", "_"): v for k, v in snap.optimizer["arrays"].items()})
    buffer.getvalue()


def main() -> None:
    print(f"{'hidden':>12} {'checkpoint MB':>14} {'save peak MB':>13} {'x size':>7} {'in-memory way MB':>17}")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "run.npz")
        for hidden in SIZES:
            trainer = Trainer(TrainConfig(dataset="moons", hidden=hidden, n_samples=100, batch_size=50))
            trainer.run(1)  # Adam's moments exist
            peak = traced_peak(lambda: trainer.save(path))
            size = os.path.getsize(path)
            old = traced_peak(lambda: in_memory_archive(trainer))
            print(f"{','.join(map(str, hidden)):>12} {size / 1e6:>14.1f} {peak / 1e6:>13.1f} "
                  f"{peak / size:>7.2f} {old / 1e6:>17.1f}")


if __name__ == "__main__":
    main()
