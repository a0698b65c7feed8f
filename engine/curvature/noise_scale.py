"""The gradient noise scale B_simple = tr(Sigma) / |G|^2 (McCandlish et al., 2018).

G is the mean gradient over the given rows and Sigma the covariance of the per-sample
gradients g_i about it, the rows taken as the whole population (Sigma = mean of
(g_i - G)(g_i - G)^T): a minibatch of B rows drawn from them has gradient noise tr(Sigma)/B.
Batches much smaller than B_simple are dominated by noise (doubling the batch about halves
the steps needed); much larger ones waste samples (the steps barely drop).

For a dense layer the per-sample gradient of W is the outer product x_i du_i^T, whose
squared norm is |x_i|^2 |du_i|^2, so every |g_i|^2 comes from one backward pass without
forming a single per-sample gradient: exact, and about the cost of a training step.
With batch norm the samples are coupled (each is normalised with statistics of all of
them); here the batch's mean and variance are held constant, as if they were running
statistics, and g_i is the sample's own gradient through that fixed normalisation (the
coupling terms, O(1/N) per sample, are left out; G is then the mean of these g_i).
Weight decay adds decay * w to G and to every g_i alike: it shifts G, not Sigma.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradtui.engine.curvature.hvp import forward_layers
from gradtui.engine.nn.losses import Loss
from gradtui.engine.nn.mlp import MLP


@dataclass(frozen=True)
class NoiseScale:
    """B_simple = ``trace`` / ``grad_sq`` over ``rows`` samples (``value`` inf where G = 0)."""

    trace: float
    grad_sq: float
    rows: int

    @property
    def value(self) -> float:
        return self.trace / self.grad_sq if self.grad_sq > 0 else float("inf")


def per_sample_sq_norms(model: MLP, loss: Loss, X: np.ndarray,
                        T: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(|g_i|^2 for every row, the mean of the g_i), g_i the gradient of sample i's own loss
    (batch norm's statistics held at the batch's), weight decay left out."""
    weights = model.flat_value.astype(np.float64)
    X = np.asarray(X, dtype=np.float64)
    layers, out = forward_layers(model, weights, X)
    n = len(X)
    g = loss.grad(out, T) * n  # row i: the gradient of sample i's loss in its outputs
    sq = np.zeros(n)
    mean = np.zeros_like(weights)
    parts = []
    for layer in reversed(layers):
        dy = g if layer.f1 is None else g * layer.f1
        own = []
        if layer.xhat is not None and layer.invstd is not None:
            dgamma, dbeta = dy * layer.xhat, dy
            sq += (dgamma * dgamma).sum(axis=1) + (dbeta * dbeta).sum(axis=1)
            own = [dgamma.mean(axis=0), dbeta.mean(axis=0)]
            du = dy * (layer.p["gamma"] * layer.invstd)
        else:
            du = dy
        du_sq = (du * du).sum(axis=1)
        sq += du_sq * ((layer.x * layer.x).sum(axis=1) + 1.0)
        parts.append([(layer.x.T @ du / n).ravel(), du.mean(axis=0), *own])
        if layer is not layers[0]:
            g = du @ layer.p["W"].T
    np.concatenate([piece for part in reversed(parts) for piece in part], out=mean)
    return sq, mean


def gradient_noise_scale(model: MLP, loss: Loss, X: np.ndarray, T: np.ndarray,
                         weight_decay: float = 0.0) -> NoiseScale:
    """B_simple for the rows (``X``, ``T``) at the model's current weights (the model is
    not touched); see the module's docstring for what it means and how batch norm is treated."""
    sq, mean = per_sample_sq_norms(model, loss, X, T)
    trace = max(float(sq.mean() - mean @ mean), 0.0)  # E|g_i|^2 - |E g_i|^2
    G = mean + weight_decay * model.flat_value.astype(np.float64)
    return NoiseScale(trace, float(G @ G), len(sq))
