"""A training loop for the tests, run as its own process: python loop_script.py NAME STEPS DELAY OUT [LOG].

Trains ``nets.mlp`` with SGD on fixed batches, calling ``w.step`` each step and sleeping
``DELAY`` seconds after it (time for a viewer to press keys), then saves the weights and
the final lrs to ``OUT`` (``torch.save``) so that a test can compare them with a bare run.
"""

import sys
import time

import torch

from gradtui.torch import watch
from nets import batches, mlp

name, steps, delay, out = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
log = sys.argv[5] if len(sys.argv) > 5 else None
model = mlp()
optimizer = torch.optim.SGD(model.parameters(), 0.1, momentum=0.9)
data = batches(model, 8)
with watch(model, optimizer, name=name, log=log, snapshot_bytes=2**20) as w:
    print("ready", flush=True)
    for i in range(steps):
        X, y = data[i % len(data)]
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(X), y)
        loss.backward()
        w.step(loss)
        optimizer.step()
        time.sleep(delay)
torch.save({"weights": [p.detach() for p in model.parameters()],
            "lrs": [g["lr"] for g in optimizer.param_groups]}, out)
