"""One recorded step's numbers, gathered on the device and read back without stalling it.

The device side of a step is a handful of ops: one ``torch._foreach_norm`` over the
gradients (and, on probe steps, one over the weights and one over the updates), the unit
masks of the activation hooks, and one ``stack``/``cat`` into a single tensor on the
parameters' device. Nothing made on the host is copied to the device (a Python-float loss
stays on the host), and nothing is read back until ``values``. On a GPU that tensor is
copied to pinned host memory without blocking and a CUDA event marks when it lands; the
watcher turns it into a row at a later ``step`` once the event has passed (``ready``), so
the training loop never waits for the device because of gradtui. On the CPU the numbers
are there at once. The per-layer sums of squares are added on the host, in float64.
"""

from __future__ import annotations

import math
from typing import NamedTuple, Sequence

import numpy as np
import torch

from gradtui.engine.train.health import DEAD, SATURATED
from gradtui.torch.layers import Layer

NAN = math.nan
Marked = dict[int, tuple[str, "torch.Tensor | None", "torch.Tensor | None"]]
"""Per layer index: where its units were seen, the dead mask, the saturated mask."""


class Values(NamedTuple):
    loss: float
    clip_total: float | None
    grad_sq: list[float]
    weight_sq: list[float]
    update_sq: list[float]
    units: list[np.ndarray | None] | None


class DeviceReading:
    """The numbers of step ``step``, on their way from the device to the host.

    ``owner`` gives each watched parameter's layer (a Python list: the sums per layer are
    made on the host)."""

    def __init__(self, step: int, loss: torch.Tensor | float, lrs: list[float], owner: Sequence[int],
                 n_layers: int, clip: float | None) -> None:
        self.step, self.lrs, self.n, self.clip = step, lrs, n_layers, clip
        self._owner = owner
        self._loss: torch.Tensor | float = loss.detach() if isinstance(loss, torch.Tensor) else float(loss)
        self.clip_total: torch.Tensor | None = None
        self.measured = False
        self._with_grad: Sequence[int] = []  # the parameters that had a gradient
        self._norms: list[torch.Tensor] = []  # 0-d, on the device: gradients, then weights and updates
        self._probed = False
        self._took_units = False
        self._masks: list[tuple[int, int, torch.Tensor]] = []  # (layer, DEAD or SATURATED, unit mask)
        self.sources: dict[int, str] = {}  # per layer index: the activation its units were seen through
        self._host: torch.Tensor | None = None
        self._event: torch.cuda.Event | None = None

    def measure_grads(self, params: Sequence[torch.Tensor]) -> None:
        """Each parameter's gradient norm, before any clipping (as the engine reports them)."""
        grads = [p.grad for p in params]
        if any(g is None for g in grads):
            self._with_grad = [i for i, g in enumerate(grads) if g is not None]
            grads = [grads[i] for i in self._with_grad]
        else:
            self._with_grad = range(len(grads))
        with torch.no_grad():
            self._norms = list(torch._foreach_norm(grads)) if grads else []  # type: ignore[arg-type]

    def take_units(self, layers: Sequence[Layer], functional: Marked) -> None:
        """The unit states the activation hooks marked on this step's batch: a layer's
        activation module's, else a functional activation's (``FunctionalProbe.take``)."""
        self._took_units = True
        for i, layer in enumerate(layers):
            dead, saturated = layer.activation.take() if layer.activation is not None else (None, None)
            if dead is not None or saturated is not None:
                self.sources[i] = layer.activation.source  # type: ignore[union-attr]
            elif i in functional:
                self.sources[i], dead, saturated = functional[i]
            if dead is not None:
                self._masks.append((i, DEAD, dead))
            elif saturated is not None:
                self._masks.append((i, SATURATED, saturated))

    def finish_measuring(self, params: Sequence[torch.Tensor], before: list[torch.Tensor] | None) -> None:
        """Add the weight and update norms (on probe steps: ``before`` holds the weights before
        the optimizer's step, and is overwritten with before - after) and start the copy to
        the host."""
        if before is not None:
            self._norms += torch._foreach_norm(params)
            torch._foreach_sub_(before, params)  # ||before - after|| == ||after - before||, bit for bit
            self._norms += torch._foreach_norm(before)
            self._probed = True
        device = params[0].device
        scalars = ([self._loss] if isinstance(self._loss, torch.Tensor) else []) + (
            [self.clip_total] if self.clip_total is not None else []) + self._norms
        parts = [torch.stack([t if t.device == device else t.to(device) for t in scalars])] if scalars else []
        parts += [mask.to(device) for _, _, mask in self._masks]
        if not parts:
            self.measured = True
            return
        dtype = parts[0].dtype if parts[0].is_floating_point() else torch.float32
        packed = parts[0] if len(parts) == 1 else torch.cat([p.to(dtype) for p in parts])
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
        flat = self._host.numpy() if self._host is not None else np.zeros(0)
        head: list[float] = flat[:len(flat) - sum(len(m) for _, _, m in self._masks)].tolist()
        at = 0
        if isinstance(self._loss, torch.Tensor):
            loss, at = head[0], 1
        else:
            loss = self._loss
        clip_total = None
        if self.clip_total is not None:
            clip_total, at = head[at], at + 1
        n_grads = len(self._with_grad)
        grad_sq = self._per_layer(self._with_grad, head[at:at + n_grads])
        weight_sq = update_sq = [NAN] * self.n
        if self._probed:
            every = range(len(self._owner))
            at += n_grads
            weight_sq = self._per_layer(every, head[at:at + len(self._owner)])
            update_sq = self._per_layer(every, head[at + len(self._owner):at + 2 * len(self._owner)])
        units = None
        if self._took_units:
            units = [None] * self.n
            at = len(head)
            for layer, state, mask in self._masks:
                units[layer] = flat[at:at + len(mask)].astype(np.int8) * np.int8(state)
                at += len(mask)
        return Values(loss, clip_total, grad_sq, weight_sq, update_sq, units)

    def _per_layer(self, which: Sequence[int], norms: list[float]) -> list[float]:
        """Sum of squared norms per layer, in float64 (a parameter without a gradient counts 0)."""
        out = [0.0] * self.n
        for i, norm in zip(which, norms):
            out[self._owner[i]] += norm * norm
        return out
