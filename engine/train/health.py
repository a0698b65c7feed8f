"""Gradient-health statistics and the rules that raise flags.

The rules (documented in the README, "How gradtui decides a flag"), with every
threshold a ``TrainConfig`` field:

- ``nonfinite``: the loss, a gradient or a weight is NaN or Inf; the update is not applied.
- ``exploding``: a layer's gradient norm exceeds ``explode_norm``, or exceeds the
  output layer's by more than ``explode_ratio`` times.
- ``vanishing``: a hidden layer's gradient norm is below ``vanish_ratio`` times the
  output layer's, i.e. the signal dies on its way back through the network.
- ``dead``: at least ``dead_fraction`` of a ReLU layer's units output zero on every
  probe sample.
- ``saturated``: at least ``saturated_fraction`` of a layer's units have a local
  gradient f'(z) below ``saturation_grad`` times its maximum on every probe sample.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol, Sequence

import numpy as np

from gradtui.engine.nn.fastops import ones
from gradtui.engine.nn.mlp import MLP

ALIVE, DEAD, SATURATED = 0, 1, 2
UNIT_STATES = ("alive", "dead", "saturated")
FLAG_KINDS = ("exploding", "vanishing", "dead", "saturated", "nonfinite")


class Thresholds(Protocol):
    """The flag rules' thresholds: a ``TrainConfig`` has them, and so has any object that
    reuses the rules outside the engine (the PyTorch watcher)."""

    explode_norm: float
    explode_ratio: float
    vanish_ratio: float
    dead_fraction: float
    saturated_fraction: float
    saturation_grad: float


class Flag(NamedTuple):
    """One health finding: its kind, the layer name (or "model"), and a human detail."""

    kind: str
    layer: str
    detail: str


SETTLE_BYTES = 32 * 1024
"""From this many bytes of dL/dz on, a step kept by ``Trainer.run`` settles its unit
gradients (``UnitGradients.release``): holding every step's dL/dz arrays then costs more
(fresh memory for each step: 7% of a 64-128-64-10 step) than computing them; below it
the computation's calls cost more (9% of a 2-16-16-2 step)."""


class UnitGradients:
    """One step's mean |dL/dz| per unit of each layer, over the minibatch, computed from the
    step's own dL/dz when first read (a run that never looks at them does not pay for them)
    or when ``settle`` is called; the value is the same either way. Settled, it no longer
    holds the step's dL/dz."""

    __slots__ = ("_dz", "_values")

    def __init__(self, dz: list[np.ndarray]) -> None:
        self._dz: list[np.ndarray] | None = dz
        self._values: list[np.ndarray] | None = None

    def settle(self) -> list[np.ndarray]:
        """Each layer's values (computed now if they were not yet)."""
        if self._values is None:
            assert self._dz is not None  # dropped only once the values exist
            self._values = [np.dot(ones(len(dz), dz.dtype.type), np.abs(dz)) / len(dz) for dz in self._dz]
            self._dz = None
        return self._values

    def release(self) -> None:
        """Settle when the step's dL/dz take at least ``SETTLE_BYTES``: for a step that is
        kept while training goes on (``Trainer.run``)."""
        if self._dz is not None and sum(dz.nbytes for dz in self._dz) >= SETTLE_BYTES:
            self.settle()


@dataclass(slots=True)
class LayerStats:
    """Statistics of one dense layer for one step (norms over all its parameters).

    ``unit_grad`` (mean |dL/dz| per unit over the minibatch) is computed from the
    step's own dL/dz the first time it is read (``UnitGradients``).
    """

    name: str
    width: int
    grad_norm: float
    grad_mean_abs: float
    grad_max_abs: float
    weight_norm: float
    update_ratio: float
    unit_state: np.ndarray
    dead: int
    saturated: int
    _unit_grads: UnitGradients = field(repr=False)
    _index: int = field(repr=False)

    @property
    def unit_grad(self) -> np.ndarray:
        return self._unit_grads.settle()[self._index]


class LayerArrays(NamedTuple):
    """One step's per-layer numbers, held as computed; ``StepStats.layers`` unpacks them."""

    names: list[str]
    widths: list[int]
    grad_norm: list[float]
    grad_abs_sum: np.ndarray
    sizes: np.ndarray
    grad_max_abs: np.ndarray
    weight_sq: np.ndarray
    update_sq: np.ndarray
    unit_states: list[np.ndarray]
    counts: list[tuple[int, int]]
    unit_grads: UnitGradients


@dataclass(slots=True)
class StepStats:
    """Everything one training step measured. ``loss`` is the minibatch loss before the update.

    ``layers`` (one ``LayerStats`` per dense layer) is unpacked from the step's
    arrays on first access, so a caller that reads only the totals and flags does
    not pay for building Python objects it never looks at.
    """

    step: int
    loss: float
    grad_norm: float
    clipped: bool
    lr: float
    epoch: float
    flags: list[Flag]
    applied: bool
    arrays: LayerArrays = field(repr=False)
    _layers: list[LayerStats] | None = field(default=None, repr=False)

    @property
    def layers(self) -> list[LayerStats]:
        if self._layers is None:
            a = self.arrays
            weight_norm = np.sqrt(a.weight_sq).tolist()
            update_norm = np.sqrt(a.update_sq).tolist()
            self._layers = [
                LayerStats(name, width, gn, gmean, gmax, wn, un / wn if wn > 0 else 0.0,
                           state, dead, sat, a.unit_grads, i)
                for i, (name, width, gn, gmean, gmax, wn, un, state, (dead, sat)) in enumerate(zip(
                    a.names, a.widths, a.grad_norm, (a.grad_abs_sum / a.sizes).tolist(),
                    a.grad_max_abs.tolist(), weight_norm, update_norm,
                    a.unit_states, a.counts))
            ]
        return self._layers

    @property
    def layer_grad_norms(self) -> list[float]:
        """Each layer's gradient norm, without unpacking ``layers`` (cheap on every step)."""
        return self.arrays.grad_norm

    def flagged(self, kind: str) -> list[Flag]:
        """The flags of one kind."""
        return [f for f in self.flags if f.kind == kind]


def dead_units(output_sums: Any) -> Any:
    """Which units of a ReLU layer are dead, from each unit's outputs summed over the samples:
    a ReLU output is never negative, so a zero sum means no positive output on any sample.
    Works on NumPy and torch arrays alike (the watcher calls it on the device)."""
    return output_sums == 0


def saturated_units(local_grad: Any, max_local_grad: float, saturation_grad: float) -> Any:
    """Which units are saturated, from f'(z) as (samples, units): below ``saturation_grad``
    times f''s maximum on every sample. Works on NumPy and torch arrays alike."""
    return ~(local_grad >= saturation_grad * max_local_grad).any(axis=0)


def probe_unit_states(model: MLP, X_probe: np.ndarray, saturation_grad: float) -> list[np.ndarray]:
    """Per-layer unit states (ALIVE/DEAD/SATURATED) from an eval-mode pass over the probe set
    (``dead_units``, ``saturated_units``). The linear output layer is always alive."""
    model.forward(X_probe, train=False)
    states = []
    for layer in model.layers:
        state = np.zeros(layer.fan_out, dtype=np.int8)
        act = layer.activation
        if act.can_die:
            state[dead_units(np.dot(ones(len(layer.a), layer.a.dtype.type), layer.a))] = DEAD
        elif act.can_saturate:
            state[saturated_units(act.local_grad(layer.z, layer.a), act.max_local_grad, saturation_grad)] = SATURATED
        states.append(state)
    return states


def nonfinite_flags(loss: float, names: Sequence[str], grad_max: Sequence[float]) -> list[Flag]:
    """The ``nonfinite`` flags of a step whose loss or gradients are NaN/Inf (``grad_max``: each
    layer's largest |gradient|): the loss's, or else each non-finite layer's. Empty when all
    are finite; the update is then safe to apply."""
    if not loss < math.inf:  # catches NaN too
        return [Flag("nonfinite", "loss", f"loss is {loss}; update skipped")]
    return [Flag("nonfinite", name, "gradient has NaN/Inf; update skipped")
            for name, gmax in zip(names, grad_max) if not gmax < math.inf]


def gradient_flags(cfg: Thresholds, names: list[str], norms: list[float]) -> list[Flag]:
    """Exploding and vanishing flags from one step's per-layer gradient norms.

    NaN norms compare False everywhere, so a non-finite step raises no false flag here.
    """
    out_norm = norms[-1]
    if out_norm > 0:
        high = min(cfg.explode_norm, cfg.explode_ratio * out_norm)
        low = cfg.vanish_ratio * out_norm
        if max(norms) <= high and (len(norms) == 1 or min(norms[:-1]) >= low):
            return []  # the common, healthy case: no per-layer work
    flags = []
    last = len(norms) - 1
    for i, (name, norm) in enumerate(zip(names, norms)):
        ratio = norm / out_norm if out_norm > 0 else 1.0
        if norm > cfg.explode_norm:
            flags.append(Flag("exploding", name, f"gradient norm {norm:.3g} > {cfg.explode_norm:g}"))
        elif ratio > cfg.explode_ratio:
            flags.append(Flag("exploding", name, f"gradient norm {ratio:.2g} times the output layer's"))
        elif i < last and ratio < cfg.vanish_ratio:
            detail = (f"gradient norm {ratio:.2g} times the output layer's" if norm > 0 else
                      f"no gradient reaches it (norm 0; the output layer's is {out_norm:.2g})")
            flags.append(Flag("vanishing", name, detail))
    return flags


def unit_flags(cfg: Thresholds, names: list[str], widths: list[int],
               counts: list[tuple[int, int]]) -> list[Flag]:
    """Dead and saturated flags from the last probe's per-layer unit counts."""
    flags = []
    for name, width, (dead, sat) in zip(names, widths, counts):
        if dead and dead >= cfg.dead_fraction * width:
            flags.append(Flag("dead", name, f"{dead}/{width} units dead"))
        if sat and sat >= cfg.saturated_fraction * width:
            flags.append(Flag("saturated", name, f"{sat}/{width} units saturated"))
    return flags
