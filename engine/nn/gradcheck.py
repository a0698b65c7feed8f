"""Central finite differences against backprop, so anyone can verify the gradients."""

from __future__ import annotations

import numpy as np

from gradtui.engine.nn.losses import Loss
from gradtui.engine.nn.mlp import MLP


ZERO_GRAD = 1e-7


def _relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    diff = np.abs(analytic - numeric)
    if max(float(np.abs(analytic).max()), float(np.abs(numeric).max())) < ZERO_GRAD:
        return float(diff.max())
    return float(diff.sum() / (np.abs(analytic).sum() + np.abs(numeric).sum()))


def gradcheck(model: MLP, loss: Loss, X: np.ndarray, y: np.ndarray,
              eps: float = 1e-6) -> dict[str, float]:
    """Relative error sum|analytic - numeric| / (sum|analytic| + sum|numeric|) per parameter.

    A gradient that is zero up to finite-difference noise (every element below
    ``ZERO_GRAD`` in both, like a bias followed by batch norm) reports the largest
    absolute difference instead, since a ratio of two noises means nothing.
    Numeric gradients are central differences (L(p + eps) - L(p - eps)) / (2 eps) in
    float64, one element at a time. Runs the model in training mode, and restores
    batch norm running statistics afterwards, so the model is left as it was.
    """
    if model.dtype != np.float64:
        raise ValueError("gradcheck needs a float64 model")
    saved_buffers = {k: v.copy() for k, v in model.buffers().items()}

    def loss_at() -> float:
        return loss.value(model.forward(X, train=True), y)

    model.backward(loss.grad(model.forward(X, train=True), y))
    errors = {}
    for p in model.parameters():
        analytic = p.grad.copy()
        numeric = np.zeros_like(analytic)
        flat_value, flat_numeric = p.value.reshape(-1), numeric.reshape(-1)
        for i in range(flat_value.size):
            original = flat_value[i]
            flat_value[i] = original + eps
            plus = loss_at()
            flat_value[i] = original - eps
            minus = loss_at()
            flat_value[i] = original
            flat_numeric[i] = (plus - minus) / (2 * eps)
        errors[p.name] = _relative_error(analytic, numeric)
    model.load_buffers(saved_buffers)
    return errors
