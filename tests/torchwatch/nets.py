"""Small PyTorch models and a training loop the watcher's tests share."""

from __future__ import annotations

import torch
from torch import nn


def mlp(dtype=torch.float32, seed=0, act=nn.ReLU) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(20, 32), act(), nn.Linear(32, 16), nn.Tanh(), nn.Linear(16, 3)).to(dtype)


def convnet(dtype=torch.float32, seed=0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Conv2d(4, 8, 3, stride=2), nn.Sigmoid(),
                         nn.Flatten(), nn.Linear(8 * 3 * 3, 5)).to(dtype)


def batches(model: nn.Module, n: int, dtype=torch.float32, seed=1):
    g = torch.Generator().manual_seed(seed)
    shape = (16, 1, 10, 10) if isinstance(model[0], nn.Conv2d) else (16, 20)
    classes = model[-1].out_features
    return [(torch.randn(shape, generator=g, dtype=dtype), torch.randint(0, classes, (16,), generator=g))
            for _ in range(n)]


def train(model, optimizer, data, watcher=None, clip=None, each=None):
    """The ordinary loop; ``watcher.step`` between backward and optimizer.step when given."""
    for i, (X, y) in enumerate(data):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(X), y)
        loss.backward()
        if clip is not None:
            nn.utils.clip_grad_norm_(model.parameters(), clip)
        if each is not None:
            each(i, loss)
        if watcher is not None:
            watcher.step(loss)
        optimizer.step()


def weights(model) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.parameters()]
