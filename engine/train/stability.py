"""Sharpness along a run, measured against the stability limit 2/lr.

On a quadratic, gradient descent at learning rate lr converges only while lr < 2/lambda_max
(lambda_max the Hessian's largest eigenvalue, the *sharpness*). ``track_sharpness`` records
the sharpness before every step (Lanczos, warm-started from the previous step's top
eigenvector, so each costs a few Hessian-vector products); ``breakdown`` finds where a
diverging run broke and what the limit was there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gradtui.engine.train.trainer import Trainer

TRACK_TOL = 1e-4
"""Relative residual of each step's sharpness: plenty against a 10% band, and cheap."""


@dataclass(frozen=True)
class SharpnessTrack:
    """``sharpness[i]`` at the weights step ``steps[i]`` updated from, ``losses[i]`` that
    step's loss and ``lrs[i]`` its learning rate."""

    steps: list[int]
    sharpness: list[float]
    losses: list[float]
    lrs: list[float]


def track_sharpness(trainer: Trainer, steps: int, stop_on_nonfinite: bool = True) -> SharpnessTrack:
    """Train ``steps`` steps (fewer if the loss turns non-finite and ``stop_on_nonfinite``),
    measuring the sharpness on the whole training set before each one."""
    track = SharpnessTrack([], [], [], [])
    start = None
    for _ in range(steps):
        eigen = trainer.hessian_eigen(1, tol=TRACK_TOL, start=start)
        start = eigen.vectors[:, 0]
        stats = trainer.step()
        track.steps.append(stats.step)
        track.sharpness.append(float(eigen.values[0]))
        track.losses.append(stats.loss)
        track.lrs.append(stats.lr)
        if stop_on_nonfinite and not math.isfinite(stats.loss):
            break
    return track


@dataclass(frozen=True)
class Breakdown:
    """Where a diverging run broke: from ``step`` on the loss stays above its first value;
    ``sharpness`` is lambda_max at the weights of the step before it (whose update overshot),
    ``limit`` = 2 / sharpness the largest stable lr there; ``nonfinite_step`` is where the
    loss became NaN or Inf (None if it never did)."""

    step: int
    sharpness: float
    lr: float
    nonfinite_step: int | None

    @property
    def limit(self) -> float:
        return 2.0 / self.sharpness

    @property
    def times_over(self) -> float:
        """lr as a multiple of the limit: above 1 the step overshoots along the sharpest direction."""
        return self.lr / self.limit


def breakdown(trainer: Trainer, max_steps: int) -> Breakdown | None:
    """Run ``trainer`` (it moves) until its loss is non-finite or ``max_steps``; None if the
    loss ever came back below its first value after the last rise (it did not diverge)."""
    track = track_sharpness(trainer, max_steps)
    losses = np.array(track.losses)
    with np.errstate(invalid="ignore"):
        below = np.flatnonzero(~(losses > losses[0]))  # NaN and Inf count as above
    first_above = int(below[-1]) + 1
    if first_above >= len(losses):
        return None
    before = first_above - 1
    nonfinite = None if math.isfinite(losses[-1]) else track.steps[-1]
    return Breakdown(track.steps[first_above], track.sharpness[before], track.lrs[before], nonfinite)
