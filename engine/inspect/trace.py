"""One training sample through the network, forward and back, with every number kept.

The chain rule as the network applies it, in eval mode (batch norm uses its running
statistics, so it is a fixed affine map per unit): for each dense layer

    h = x W + b                    the weighted sum (fan_out,)
    z = gamma (h - mean) / std + beta   with batch norm, else z = h
    a = f(z)
    dL/dz = f'(z) * dL/da
    dL/dh = dL/dz * scale          scale = gamma / std with batch norm, else 1
    dL/dW = outer(x, dL/dh),  dL/db = dL/dh,  dL/dx = W @ dL/dh  (the previous layer's dL/da)

so a hidden unit j of layer l gets dL/dz_j = f'(z_j) * sum_k W_jk * scale_k * dL/dz_k over
the units k of layer l + 1: ``chain_terms`` lists those terms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradtui.engine.nn.losses import Loss
from gradtui.engine.nn.mlp import BN_EPS, MLP


@dataclass(frozen=True)
class LayerTrace:
    """One dense layer for one sample; vectors are 1-D, ``W`` and ``dW`` are (fan_in, fan_out).

    ``W`` and ``b`` are copies of the weights the trace used; ``mean``, ``std``, ``gamma`` and
    ``beta`` are batch norm's (None without it).
    """

    name: str
    activation: str
    W: np.ndarray
    b: np.ndarray
    x: np.ndarray
    h: np.ndarray
    z: np.ndarray
    a: np.ndarray
    fprime: np.ndarray
    da: np.ndarray
    dz: np.ndarray
    dW: np.ndarray
    db: np.ndarray
    mean: np.ndarray | None = None
    std: np.ndarray | None = None
    gamma: np.ndarray | None = None
    beta: np.ndarray | None = None

    @property
    def scale(self) -> np.ndarray:
        """dz/dh per unit: gamma / std with batch norm, 1 without."""
        if self.gamma is None:
            return np.ones_like(self.z)
        return self.gamma / self.std


@dataclass(frozen=True)
class Trace:
    """A sample's loss, the network's output for it, its target as the loss sees it
    (one-hot, a 0/1 or -1/+1 score, or the regression values), its class label (None for
    regression), and one ``LayerTrace`` per dense layer, input to output."""

    index: int
    loss: float
    output: np.ndarray
    target: np.ndarray
    label: int | None
    layers: tuple[LayerTrace, ...]


@np.errstate(all="ignore")  # a diverged run's NaN is part of what the trace shows
def trace_sample(model: MLP, loss: Loss, x: np.ndarray, target: np.ndarray, index: int = 0,
                 label: int | None = None) -> Trace:
    """The trace of input row ``x`` (n_in,) against ``target`` (one row of the loss's targets)."""
    forward = []
    out: np.ndarray = np.asarray(x, dtype=model.dtype)
    for layer in model.layers:
        W, b = layer.W.value.copy(), layer.b.value.copy()
        h = out @ W + b
        norm = None
        z = h
        if layer.batchnorm:
            mean, std = layer.running_mean.copy(), np.sqrt(layer.running_var + BN_EPS)
            gamma, beta = layer.gamma.value.copy(), layer.beta.value.copy()
            norm = (mean, std, gamma, beta)
            z = (h - mean) / std * gamma + beta
        a = layer.activation.forward(z)
        fprime = layer.activation.local_grad(z, a)
        forward.append((layer, W, b, out, h, z, a, fprime, norm))
        out = a
    value, dout = loss.value_and_grad(out[None, :], np.asarray(target)[None, ...])
    layers = []
    da = dout[0]
    for layer, W, b, x_in, h, z, a, fprime, norm in reversed(forward):
        dz = fprime * da
        dh = dz if norm is None else dz * (norm[2] / norm[1])
        layers.append(LayerTrace(layer.name, layer.activation.name, W, b, x_in, h, z, a, fprime,
                                 da, dz, np.outer(x_in, dh), dh, *(norm or ())))
        da = W @ dh
    return Trace(index, float(value), out, np.asarray(target), label, tuple(reversed(layers)))


def chain_terms(trace: Trace, layer: int, unit: int) -> np.ndarray:
    """The terms W_jk * scale_k * dL/dz_k over the units k of the next layer, whose sum times
    f'(z_j) is dL/dz_j of ``unit`` j in hidden layer ``layer``."""
    if not 0 <= layer < len(trace.layers) - 1:
        raise ValueError(f"layer {layer} has no next layer; the chain rule runs through "
                         f"hidden layers 0..{len(trace.layers) - 2}")
    after = trace.layers[layer + 1]
    return after.W[unit] * after.scale * after.dz
