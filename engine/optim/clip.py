"""Gradient clipping with torch.nn.utils semantics."""

from __future__ import annotations

import numpy as np

from gradtui.engine.nn.parameter import Parameter

CLIP_MODES = (None, "norm", "value")
"""Every clip mode: None (off), ``norm`` (``clip_grad_norm``) or ``value`` (``clip_grad_value``)."""


def combine_norms(norms: np.ndarray) -> float:
    """sqrt(sum(norms^2)) without overflow when the norms themselves are huge."""
    top = float(norms.max())
    if top == 0.0 or top == float("inf"):
        return top
    return top * float(np.sqrt(np.sum((norms / top) ** 2)))


def _scaled_norm(g: np.ndarray) -> float:
    """L2 norm of a finite array whose squares may overflow: scale by its largest |value| first."""
    top = float(np.abs(g).max()) if g.size else 0.0
    return top * float(np.sqrt(np.sum((g / top) ** 2))) if top > 0 else 0.0


@np.errstate(over="ignore")  # an overflowing sum of squares is recovered below
def global_norm(grads: list[np.ndarray]) -> float:
    """L2 norm over all arrays, robust to overflow of the sum of squares."""
    total = float(np.sqrt(sum(float(np.dot(g.ravel(), g.ravel())) for g in grads)))
    if total == float("inf") and all(np.isfinite(g).all() for g in grads):
        total = combine_norms(np.array([_scaled_norm(g) for g in grads]))
    return total


def clip_coefficient(total_norm: float, max_norm: float) -> float:
    """The factor norm clipping multiplies gradients by: min(1, max_norm / (total + 1e-6))."""
    return min(1.0, max_norm / (total_norm + 1e-6))


def clip_grad_norm(params: list[Parameter], max_norm: float) -> float:
    """Scale all gradients by min(1, max_norm / (total + 1e-6)); return the total before clipping.

    The total is the L2 norm of the per-parameter L2 norms, as in
    ``torch.nn.utils.clip_grad_norm_``.
    """
    total = global_norm([p.grad for p in params])
    scale = clip_coefficient(total, max_norm)
    if scale < 1.0:
        for p in params:
            p.grad *= scale
    return total


def clip_grad_value(params: list[Parameter], limit: float) -> None:
    """Clamp every gradient element to [-limit, limit] in place."""
    for p in params:
        np.clip(p.grad, -limit, limit, out=p.grad)
