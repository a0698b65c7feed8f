"""The PyTorch watcher's cost per step, beside the bare loop, in one run.

Run: python benchmarks/bench_torch_watch.py [--steps 200]

Two models at batch 128 on the CPU (one torch thread, so that the figures do not depend
on what else the machine runs as much): a 784-512-512-10 ReLU MLP and a small conv net
(two 3x3 convolutions, ReLU, on 28x28 inputs), both with Adam. Bare and watched blocks
alternate step by step (ABAB...), so a change of load hits both alike; each step's wall
time and CPU time (of the training thread) are kept and the medians compared, with the
means beside them (a mean counts the probe steps' extra work; a median mostly does not). The watcher runs at its defaults (every step
recorded to a JSONL file, probes every 10 steps, listening on its socket, no viewer).
Write the load (``uptime``) next to any figure.
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import tempfile
import time

import torch
from torch import nn

from gradtui.torch import watch


def mlp() -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                         nn.Linear(512, 10))


def convnet() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 16, 3), nn.ReLU(), nn.Conv2d(16, 32, 3, stride=2), nn.ReLU(),
                         nn.Flatten(), nn.Linear(32 * 12 * 12, 10))


def one_step(model, optimizer, X, y, watcher=None) -> tuple[float, float]:
    """(wall, CPU of this thread) seconds of one training step."""
    wall, cpu = time.perf_counter(), time.thread_time()
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(X), y)
    loss.backward()
    if watcher is not None:
        watcher.step(loss)
    optimizer.step()
    return time.perf_counter() - wall, time.thread_time() - cpu


def measure(name, make, steps, folder) -> None:
    torch.manual_seed(0)
    X, y = torch.randn(128, 1, 28, 28), torch.randint(0, 10, (128,))
    bare_model = make()
    watched_model = copy.deepcopy(bare_model)
    bare_opt = torch.optim.Adam(bare_model.parameters(), 1e-3)
    watched_opt = torch.optim.Adam(watched_model.parameters(), 1e-3)
    w = watch(watched_model, watched_opt, log=os.path.join(folder, f"{name}.jsonl"), name=f"bench-{name}")
    bare, watched = [], []
    for i in range(steps + 10):  # one bare step, one watched step, ...; the first 10 warm up
        b, v = one_step(bare_model, bare_opt, X, y), one_step(watched_model, watched_opt, X, y, w)
        if i >= 10:
            bare.append(b)
            watched.append(v)
    w.close()
    for label, i in (("wall", 0), ("CPU", 1)):
        b = statistics.median(x[i] for x in bare) * 1e3
        v = statistics.median(x[i] for x in watched) * 1e3
        mean_b = statistics.fmean(x[i] for x in bare) * 1e3
        mean_v = statistics.fmean(x[i] for x in watched) * 1e3
        print(f"{name:8} {label:4}  bare {b:7.2f} ms/step  watched {v:7.2f} ms/step  overhead {100 * (v - b) / b:+5.1f}% "
              f"(medians; means {mean_b:.2f} vs {mean_v:.2f}: {100 * (mean_v - mean_b) / mean_b:+.1f}%)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200, help="steps of each loop per model (default 200)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, 1 thread, load: {os.getloadavg()[0]:.2f} (1 min average)")
    with tempfile.TemporaryDirectory() as folder:
        measure("mlp", mlp, args.steps, folder)
        measure("convnet", convnet, args.steps, folder)


if __name__ == "__main__":
    main()
