"""The loss surface around the current weights, on a plane through them (Li et al. 2018).

"Visualizing the Loss Landscape of Neural Nets" (Li, Xu, Taylor, Studer, Goldstein,
NeurIPS 2018) plots L(w + alpha d1 + beta d2) for two random Gaussian directions, each
filter-normalised: every unit's incoming weights in a direction are rescaled to the norm
of that unit's incoming weights in w, so the picture does not depend on how the weights
happen to be scaled. Biases and batch-norm parameters are left out of the directions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gradtui.engine.inspect.replica import replica
from gradtui.engine.nn.losses import Loss
from gradtui.engine.nn.mlp import MLP
from gradtui.engine.atomic import atomic_write

SAMPLE_ROWS = 2000
"""Train sets bigger than this are measured on a fixed sample of this many rows by the app
and the command line: a 21 x 21 surface is 441 forward passes."""
MAX_STEPS = 401
"""Grid points per axis at most (401 x 401 forward passes is already minutes on big data)."""


@dataclass(frozen=True)
class Landscape:
    """``loss[i, j]`` is the loss at ``weights + alphas[i] * d1 + betas[j] * d2`` on ``rows``
    of ``of_rows`` training samples (all of them unless a fixed sample was asked for), at
    training step ``step``."""

    alphas: np.ndarray
    betas: np.ndarray
    loss: np.ndarray
    directions: tuple[np.ndarray, np.ndarray]
    weights: np.ndarray
    rows: int
    of_rows: int
    seed: int
    step: int = 0

    @property
    def sampled(self) -> bool:
        """True when the surface was measured on a fixed sample, not the whole train set."""
        return self.rows < self.of_rows

    def project(self, weights: np.ndarray) -> np.ndarray:
        """Weight vectors (n, P) as plane coordinates (n, 2): the least-squares (alpha, beta)
        of their offset from the centre along d1 and d2."""
        basis = np.column_stack(self.directions)
        offsets = np.atleast_2d(weights) - self.weights
        coords, *_ = np.linalg.lstsq(basis, offsets.T, rcond=None)
        return coords.T

    def save(self, path: str) -> None:
        """Write an ``.npz`` for notebooks: alphas, betas, loss, d1, d2, weights, rows, of_rows,
        seed, step (``np.load(path)``); atomically, so a failed write leaves an old file intact."""
        with atomic_write(path) as fh:
            np.savez(fh, alphas=self.alphas, betas=self.betas, loss=self.loss, d1=self.directions[0],
                     d2=self.directions[1], weights=self.weights, rows=self.rows,
                     of_rows=self.of_rows, seed=self.seed, step=self.step)


def check_grid(span: float, steps: int) -> None:
    """Raise ValueError unless ``span`` is a finite number > 0 and ``steps`` a whole number
    from 3 to ``MAX_STEPS``."""
    if isinstance(span, bool) or not isinstance(span, (int, float, np.number)) \
            or not math.isfinite(span) or span <= 0:
        raise ValueError(f"span must be a finite number > 0, got {span!r}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not 3 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be a whole number from 3 to {MAX_STEPS}, got {steps!r}")


def grid(span: float, steps: int) -> np.ndarray:
    """``steps`` evenly spaced values from -span to span; the middle one is exactly 0 when
    ``steps`` is odd, so the centre of the surface is the current weights themselves."""
    half = (steps - 1) / 2
    return span * ((np.arange(steps) - half) / half)


def filter_normalised_direction(model: MLP, rng: np.random.Generator) -> np.ndarray:
    """A random direction laid out like ``model.flat_value``: Gaussian, each unit's incoming
    weights scaled to that unit's weight norm, zero on biases and batch-norm parameters."""
    direction = np.zeros_like(model.flat_value)
    for layer, start in zip(model.layers, model.layer_starts):
        W = layer.W.value
        d = rng.standard_normal(W.shape)
        norms = np.linalg.norm(d, axis=0)
        d *= np.linalg.norm(W, axis=0) / np.where(norms > 0, norms, 1.0)
        direction[start:start + W.size] = d.ravel()
    return direction


@np.errstate(all="ignore")  # far from the weights the loss may overflow: a state to show
def loss_landscape(model: MLP, loss: Loss, X: np.ndarray, targets: np.ndarray, span: float = 1.0,
                   steps: int = 21, seed: int = 0, of_rows: int | None = None,
                   step: int = 0) -> Landscape:
    """The eval-mode loss of ``model`` on (``X``, ``targets``) over a ``steps`` x ``steps``
    grid spanning [-span, span]^2 of the plane of two filter-normalised directions drawn
    from ``seed``. The model is never written to: the grid is evaluated on a replica."""
    check_grid(span, steps)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0, got {seed!r}")
    weights = model.flat_value.copy()
    rng = np.random.default_rng(seed)
    d1 = filter_normalised_direction(model, rng)
    d2 = filter_normalised_direction(model, rng)
    twin = replica(model, weights)
    alphas, betas = grid(span, steps), grid(span, steps)
    surface = np.empty((steps, steps))
    for i, alpha in enumerate(alphas):
        for j, beta in enumerate(betas):
            np.add(weights, alpha * d1 + beta * d2, out=twin.flat_value)
            surface[i, j] = loss.value(twin.forward(X, train=False), targets)
    return Landscape(alphas, betas, surface, (d1, d2), weights, len(X),
                     len(X) if of_rows is None else of_rows, int(seed), step)
