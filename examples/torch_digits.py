"""A real PyTorch loop on scikit-learn's digits that goes wrong in a way gradtui catches.

    python examples/torch_digits.py            # lr 1: ReLU units die within a few hundred steps
    gradtui attach digits                      # in another terminal: watch it, and fix it live

The MLP (64-128-128-10, ReLU, SGD with momentum) starts at an lr far too high for it: the
first updates push many hidden units to negative pre-activations for every image, they
output 0, no gradient reaches them, and they stay dead. gradtui's layer health shows them
and the DEAD flag is raised with what to do. Press [ a few times (lr 1 -> 0.3 -> 0.1 ->
0.03) and u to roll back to the snapshot taken at the start (s takes another): the run
goes on from healthy weights at a sane lr, and the loss falls. x turns on clipping.
Every change is in the record (``--log``), which ``gradtui replay`` opens afterwards.
Needs: pip install 'gradtui[torch,digits]'.
"""

from __future__ import annotations

import argparse
import time

import torch
from sklearn.datasets import load_digits
from torch import nn

from gradtui.torch import watch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lr", type=float, default=1.0)
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--delay", type=float, default=0.01, help="seconds to wait each step (time to react)")
    parser.add_argument("--log", default=None, help="write the run's record here (JSON Lines)")
    parser.add_argument("--name", default="digits", help="the run's name for gradtui attach")
    args = parser.parse_args()

    torch.manual_seed(0)
    digits = load_digits()
    X = torch.tensor(digits.data / 16.0, dtype=torch.float32)
    y = torch.tensor(digits.target)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    with watch(model, optimizer, log=args.log, name=args.name, snapshot_bytes=2**26) as w:
        w.snapshot()  # the healthy start, for u
        print(f"training; watch it with: gradtui attach {w.name}", flush=True)
        for step in range(args.steps):
            batch = torch.randint(0, len(X), (64,))
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(X[batch]), y[batch])
            loss.backward()
            w.step(loss)
            optimizer.step()
            if step % 500 == 0:
                with torch.no_grad():
                    accuracy = (model(X).argmax(1) == y).float().mean().item()
                print(f"step {step:6}  loss {loss.item():.4f}  accuracy {accuracy:.3f}", flush=True)
            time.sleep(args.delay)


if __name__ == "__main__":
    main()
