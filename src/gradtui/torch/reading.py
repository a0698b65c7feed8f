"""One recorded step's numbers, gathered on the device and read back without stalling it.

Every number of a step goes into one float64 tensor on the parameters' device: the loss,
the clip total, per-layer squared gradient norms and, on probe steps, squared weight and
update norms and each unit's state. On a GPU that tensor is copied to pinned host memory
without blocking and a CUDA event marks when it lands; the watcher turns it into a row at
a later ``step`` once the event has passed (``ready``), so the training loop never waits
for the device because of gradtui. On the CPU the numbers are there at once.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np
import torch

from gradtui.engine.train.health import DEAD, SATURATED
from gradtui.torch.layers import Layer


class Values(NamedTuple):
    loss: float
    clip_total: float | None
    grad_sq: list[float]
    weight_sq: list[float]
    update_sq: list[float]
    units: list[np.ndarray | None] | None


class DeviceReading:
    """The numbers of step ``step``, on their way from the device to the host."""

    def __init__(self, step: int, loss: torch.Tensor | float, lrs: list[float], n_layers: int,
                 clip: float | None) -> None:
        self.step, self.lrs, self.n, self.clip = step, lrs, n_layers, clip
        self.loss = loss.detach() if isinstance(loss, torch.Tensor) else torch.tensor(float(loss))
        self.clip_total: torch.Tensor | None = None
        self.measured = False
        self._grad_sq: torch.Tensor | None = None
        self._units: list[torch.Tensor | None] | None = None
        self._host: torch.Tensor | None = None
        self._event: torch.cuda.Event | None = None

    def measure_grads(self, params: Sequence[torch.Tensor], owner: torch.Tensor) -> None:
        """Per-layer squared gradient norms, before any clipping (as the engine reports them)."""
        self._grad_sq = _per_layer(params, owner, self.n, [p.grad for p in params])

    def take_units(self, layers: Sequence[Layer]) -> None:
        """The unit states the activation hooks marked on this step's batch."""
        self._units = []
        for layer in layers:
            dead, saturated = layer.activation.take() if layer.activation is not None else (None, None)
            mask = dead if dead is not None else saturated
            if mask is None:
                self._units.append(None)
                continue
            self._units.append(mask.to(torch.float64) * (DEAD if dead is not None else SATURATED))

    def finish_measuring(self, params: Sequence[torch.Tensor], owner: torch.Tensor,
                         before: Sequence[torch.Tensor] | None) -> None:
        """Add the weight and update norms (on probe steps, when ``before`` is given) and start
        the copy to the host."""
        device = params[0].device
        nan = torch.full((self.n,), float("nan"), dtype=torch.float64, device=device)
        weight_sq = update_sq = nan
        if before is not None:
            weight_sq = _per_layer(params, owner, self.n, list(params))
            update_sq = _per_layer(params, owner, self.n, torch._foreach_sub([p.detach() for p in params], before))
        total = self.clip_total if self.clip_total is not None else torch.tensor(float("nan"))
        parts = [self.loss.reshape(1).to(device, torch.float64), total.reshape(1).to(device, torch.float64),
                 self._grad_sq if self._grad_sq is not None else nan, weight_sq, update_sq]
        parts += [u.to(device) for u in self._units or [] if u is not None]
        packed = torch.cat(parts)
        if packed.is_cuda:
            self._host = torch.empty(packed.shape, dtype=packed.dtype, pin_memory=True)
            self._host.copy_(packed, non_blocking=True)
            self._event = torch.cuda.Event()
            self._event.record()
        else:
            self._host = packed
        self.measured = True

    def ready(self) -> bool:
        """True when the numbers are on the host (at once on the CPU)."""
        return self._event is None or self._event.query()

    def values(self) -> Values:
        """The numbers as Python floats (waits for the copy if it has not landed yet)."""
        if self._event is not None:
            self._event.synchronize()
        flat = self._host.numpy()
        n = self.n
        units = None
        if self._units is not None:
            units, at = [], 3 * n + 2
            for u in self._units:
                if u is None:
                    units.append(None)
                    continue
                units.append(flat[at:at + len(u)].astype(np.int8))
                at += len(u)
        clip_total = float(flat[1]) if self.clip_total is not None else None
        return Values(float(flat[0]), clip_total, flat[2:2 + n].tolist(), flat[2 + n:2 + 2 * n].tolist(),
                      flat[2 + 2 * n:2 + 3 * n].tolist(), units)


def _per_layer(params: Sequence[torch.Tensor], owner: torch.Tensor, n: int,
               tensors: Sequence[torch.Tensor | None]) -> torch.Tensor:
    """Sum of squared L2 norms per layer (``owner``: each parameter's layer, on the device; a
    parameter without a gradient counts 0)."""
    device = params[0].device
    out = torch.zeros(n, dtype=torch.float64, device=device)
    present = [i for i, t in enumerate(tensors) if t is not None]
    if not present:
        return out
    if len(present) < len(tensors):
        owner = owner[present]
    norms = torch._foreach_norm([tensors[i].detach() for i in present])  # type: ignore[union-attr]
    squares = torch.stack([x if x.device == device else x.to(device) for x in norms]).double().square()
    return out.index_add_(0, owner, squares)
