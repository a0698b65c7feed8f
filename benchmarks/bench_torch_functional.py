"""What seeing functional activations costs a probe step: forward and backward with the
watcher's FunctionalProbe armed beside the same without it, alternating, on the models of
bench_torch_watch (batch 128, CPU, one torch thread).

Run: python benchmarks/bench_torch_functional.py [--steps 300]

Only probe steps pay this (every ``probe_every`` recorded steps, 10 by default); divide by
that for the cost per step. Write the load (``uptime``) next to any figure.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import torch
from torch import nn

from bench_torch_watch import convnet, mlp
from gradtui.torch.functional import FunctionalProbe
from gradtui.torch.layers import find_layers


def measure(make, steps: int) -> None:
    torch.manual_seed(0)
    X, y = torch.randn(128, 1, 28, 28), torch.randint(0, 10, (128,))
    model = make()
    probe = FunctionalProbe(model, find_layers(model), 0.05)
    armed, bare = [], []
    for i in range(steps + 10):  # the first 10 warm up
        for on in (True, False):
            if on:
                probe.arm()
            start = time.thread_time()
            model.zero_grad()
            nn.functional.cross_entropy(model(X), y).backward()
            spent = time.thread_time() - start
            if on:
                probe.disarm()
            if i >= 10:
                (armed if on else bare).append(spent)
    a, b = statistics.median(armed) * 1e3, statistics.median(bare) * 1e3
    print(f"{make.__name__:8} forward+backward {b:6.2f} ms, armed {a:6.2f} ms: {1e3 * (a - b):+5.0f} us a probe step "
          f"(CPU medians)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, 1 thread, load: {os.getloadavg()[0]:.2f} (1 min average)")
    measure(mlp, args.steps)
    measure(convnet, args.steps)


if __name__ == "__main__":
    main()
