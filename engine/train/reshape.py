"""Reshape a trained network without forgetting it (Net2Net-style growth).

``reshape`` builds a network of new sizes from an old one, layer by layer in order:

- **widening** a layer keeps every weight; the new units get incoming weights from the
  init scheme and outgoing weights of zero, so every output is unchanged;
- **narrowing** keeps the first units of a layer (and their weights) and drops the rest;
- **adding** a hidden layer appends it after the last one as the identity (identity
  weights, zero bias): exact for relu and linear, a measurable change for the others;
- **removing** layers drops the last ones; the output layer keeps its weights where they fit;
- the **output** layer may change width too (another loss); new outputs start fresh;
- **batch norm** switched off is folded into the weights (the eval-mode function is kept);
  switched on, it starts at gamma 1, beta 0 and the statistics of ``calibrate``.

Alongside the network comes ``source``: for each entry of the new flat parameter vector,
its index in the old one (or -1 for a new entry), so optimizer state can follow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from gradtui.engine.nn.mlp import BN_EPS, MLP, Dense


@dataclass
class Reshaped:
    """The new network and, per entry of its flat vector, the old entry it came from (or -1)."""

    model: MLP
    source: np.ndarray


def carry(source: np.ndarray, old: np.ndarray) -> np.ndarray:
    """An array over the old flat vector (optimizer state) moved to the layout ``source``
    describes; new entries are 0 (fresh state)."""
    kept = source >= 0
    out = np.zeros(len(source), dtype=old.dtype)
    out[kept] = old[source[kept]]
    return out


def reshape(old: MLP, sizes: Sequence[int], activation: str | Sequence[str], batchnorm: bool,
            seed: int | Sequence[int], bias_init: float | None = None,
            calibrate: np.ndarray | None = None) -> Reshaped:
    """``old`` grown, shrunk or re-normalised to ``sizes`` (see the module docstring).

    ``seed`` draws the new units' incoming weights; ``calibrate`` (training inputs) sets
    the running statistics of batch norm layers that did not have it before.
    """
    if sizes[0] != old.sizes[0]:
        raise ValueError(f"the network takes {old.sizes[0]} inputs; reshaping cannot change that to {sizes[0]}")
    new = MLP(sizes, activation, old.init, batchnorm, seed, dtype=old.dtype, bias_init=bias_init)
    source = np.full(len(new.flat_value), -1, dtype=np.int64)
    old_hidden, new_hidden = len(old.layers) - 1, len(new.layers) - 1
    for j, layer in enumerate(new.layers):
        index = old_hidden if j == new_hidden else j
        if index < old_hidden or j == new_hidden:
            _carry_layer(old, old.layers[index], layer, source, new.layer_starts[j])
        else:
            _identity(layer)
    if calibrate is not None:
        _calibrate(old, new, calibrate)
    return Reshaped(new, source)


def _param_index(model: MLP, layer: Dense) -> dict[str, np.ndarray]:
    """Each of ``layer``'s parameters as an array of its indices into ``model.flat_value``."""
    offset, out = int(model.layer_starts[layer.index]), {}
    for name, shape in layer.param_shapes():
        size = int(np.prod(shape))
        out[name] = np.arange(offset, offset + size).reshape(shape)
        offset += size
    return out


def _carry_layer(old_model: MLP, old: Dense, new: Dense, source: np.ndarray, new_start: int) -> None:
    """Copy ``old``'s weights into the overlapping block of ``new``; zero the rows of new inputs."""
    m_in, m_out = min(old.fan_in, new.fan_in), min(old.fan_out, new.fan_out)
    old_index = _param_index(old_model, old)
    W, b = old.W.value, old.b.value
    if old.batchnorm and not new.batchnorm:  # fold the eval-mode normalisation into W and b
        scale = old.gamma.value / np.sqrt(old.running_var + BN_EPS)
        W, b = W * scale, (b - old.running_mean) * scale + old.beta.value
    new.W.value[m_in:, :] = 0.0  # outgoing weights of units new to the layer below
    new.W.value[:m_in, :m_out] = W[:m_in, :m_out]
    new.b.value[:m_out] = b[:m_out]
    new_w = new_start + np.arange(new.fan_in * new.fan_out).reshape(new.fan_in, new.fan_out)
    source[new_w[:m_in, :m_out]] = old_index["W"][:m_in, :m_out]
    b_at = new_start + new.fan_in * new.fan_out
    source[b_at:b_at + m_out] = old_index["b"][:m_out]
    if old.batchnorm and new.batchnorm:
        for k, name in enumerate(("gamma", "beta")):
            getattr(new, name).value[:m_out] = getattr(old, name).value[:m_out]
            at = b_at + (k + 1) * new.fan_out
            source[at:at + m_out] = old_index[name][:m_out]
        new.running_mean[:m_out] = old.running_mean[:m_out]
        new.running_var[:m_out] = old.running_var[:m_out]


def _identity(layer: Dense) -> None:
    """An inserted layer passes its input through: identity weights and zero bias on the
    first units, fresh incoming weights on any beyond the width below."""
    m = min(layer.fan_in, layer.fan_out)
    layer.W.value[:, :m] = 0.0
    layer.W.value[:m, :m] = np.eye(m)
    layer.b.value[:m] = 0.0


def _calibrate(old: MLP, new: MLP, X: np.ndarray) -> None:
    """Running statistics of each newly normalised layer from the pre-normalisation outputs on ``X``."""
    out: np.ndarray = np.asarray(X, dtype=new.dtype)
    for j, layer in enumerate(new.layers):
        had_it = j < len(old.layers) - 1 and old.layers[j].batchnorm
        if layer.batchnorm and not had_it and len(out) > 1:
            z = out @ layer.W.value + layer.b.value
            layer.running_mean = z.mean(axis=0)
            layer.running_var = z.var(axis=0, ddof=1)
        out = layer.forward(out, train=False)
