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

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from .config import TrainConfig
from .mlp import MLP

ALIVE, DEAD, SATURATED = 0, 1, 2
UNIT_STATES = ("alive", "dead", "saturated")
FLAG_KINDS = ("exploding", "vanishing", "dead", "saturated", "nonfinite")


class Flag(NamedTuple):
    """One health finding: its kind, the layer name (or "model"), and a human detail."""

    kind: str
    layer: str
    detail: str


@dataclass(slots=True)
class LayerStats:
    """Statistics of one dense layer for one step (norms over all its parameters).

    ``unit_grad`` (mean |dL/dz| per unit over the minibatch) is computed from the
    step's own dL/dz the first time it is read, so a run that never looks at it
    does not pay for it; the value is the same either way.
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
    dz: np.ndarray = field(repr=False)
    _unit_grad: np.ndarray | None = field(default=None, repr=False)

    @property
    def unit_grad(self) -> np.ndarray:
        if self._unit_grad is None:
            self._unit_grad = np.abs(self.dz).mean(axis=0)
        return self._unit_grad


@dataclass(slots=True)
class StepStats:
    """Everything one training step measured. ``loss`` is the minibatch loss before the update."""

    step: int
    loss: float
    grad_norm: float
    clipped: bool
    lr: float
    epoch: float
    layers: list[LayerStats]
    flags: list[Flag] = field(default_factory=list)
    applied: bool = True

    def flagged(self, kind: str) -> list[Flag]:
        """The flags of one kind."""
        return [f for f in self.flags if f.kind == kind]


def probe_unit_states(model: MLP, X_probe: np.ndarray, saturation_grad: float) -> list[np.ndarray]:
    """Per-layer unit states (ALIVE/DEAD/SATURATED) from an eval-mode pass over the probe set.

    A ReLU unit is dead when its output is zero on every probe sample. A unit whose
    activation can saturate is saturated when f'(z) < saturation_grad * max f' on
    every probe sample. The linear output layer is always alive.
    """
    model.forward(X_probe, train=False)
    states = []
    for layer in model.layers:
        state = np.zeros(layer.fan_out, dtype=np.int8)
        act = layer.activation
        if act.can_die:
            state[np.all(layer.z <= 0, axis=0)] = DEAD
        elif act.can_saturate:
            local = act.local_grad(layer.z, layer.a)
            state[np.all(local < saturation_grad * act.max_local_grad, axis=0)] = SATURATED
        states.append(state)
    return states


def layer_flags(cfg: TrainConfig, layers: list[LayerStats]) -> list[Flag]:
    """Exploding, vanishing, dead and saturated flags for one step's layer statistics.

    NaN norms compare False everywhere, so a non-finite step raises no false flag here.
    """
    flags = []
    out_norm = layers[-1].grad_norm
    last = len(layers) - 1
    for i, ls in enumerate(layers):
        norm = ls.grad_norm
        ratio = norm / out_norm if out_norm > 0 else 1.0
        if norm > cfg.explode_norm:
            flags.append(Flag("exploding", ls.name, f"gradient norm {norm:.3g} > {cfg.explode_norm:g}"))
        elif ratio > cfg.explode_ratio:
            flags.append(Flag("exploding", ls.name, f"gradient norm {ratio:.3g}x the output layer's"))
        elif i < last and ratio < cfg.vanish_ratio:
            flags.append(Flag("vanishing", ls.name, f"gradient norm {ratio:.2g}x the output layer's"))
        if ls.dead and ls.dead >= cfg.dead_fraction * ls.width:
            flags.append(Flag("dead", ls.name, f"{ls.dead}/{ls.width} units dead"))
        if ls.saturated and ls.saturated >= cfg.saturated_fraction * ls.width:
            flags.append(Flag("saturated", ls.name, f"{ls.saturated}/{ls.width} units saturated"))
    return flags
