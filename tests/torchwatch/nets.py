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
    layers = [m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
    shape = (16, 1, 10, 10) if isinstance(layers[0], nn.Conv2d) else (16, 20)
    classes = layers[-1].out_features
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


class FunctionalNet(nn.Module):
    """Activations called as functions (no activation modules), in a submodule too; it keeps
    each activation's output of the last forward, to check the watcher against."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(20, 32)
        self.block = Block()
        self.fc3 = nn.Linear(16, 8)
        self.out = nn.Linear(8, 3)
        self.seen: dict[str, torch.Tensor] = {}

    def forward(self, x):
        h = nn.functional.relu(self.fc1(x))
        self.seen["relu"] = h.detach().clone()
        h = self.block(h)
        h = self.fc3(h).sigmoid()
        self.seen["sigmoid"] = h.detach().clone()
        return self.out(h)


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc2 = nn.Linear(32, 16)
        self.seen: dict[str, torch.Tensor] = {}

    def forward(self, h):
        h = torch.tanh(self.fc2(h))
        self.seen["tanh"] = h.detach().clone()
        return torch.tanh(h)  # a second call in the same module, after no new layer: not counted


def functional_net(dtype=torch.float32, seed=0) -> nn.Module:
    torch.manual_seed(seed)
    net = FunctionalNet().to(dtype)
    with torch.no_grad():
        net.fc1.bias[:20] = -100.0  # 20 of 32 units never fire
        net.block.fc2.bias[:5] = 60.0  # 5 of 16 tanh units pinned at 1
        net.fc3.bias[:3] = 60.0  # 3 of 8 sigmoid units pinned at 1
    return net
