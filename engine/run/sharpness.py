"""The sharpness over a run: λmax, the Hessian's largest eigenvalue, against the stability line.

On a quadratic, gradient descent at learning rate lr diverges along any direction whose
curvature passes 2/lr (2(1+β)/lr with momentum β; ``engine.optim.stability``); real
networks trained by full-batch gradient descent push λmax up to that line and then hover
at it, the loss still falling but no longer steadily (the edge of stability, Cohen et al.,
2021). ``SharpnessRecord`` keeps λmax as measured now and then (``Trainer.hessian_eigen``
on the whole training set, warm-started from the previous top eigenvector, so a
measurement after a few steps takes a handful of Hessian-vector products), the line at
the lr in use then, and raises an event when λmax crosses the line (and one when it is
back below ``CLEAR_BELOW`` of it). With it, the gradient noise scale B_simple = tr(Σ)/|G|²
(McCandlish et al., 2018; ``Trainer.gradient_noise_scale``, exact per-sample gradients,
cheap beside λmax): below it a larger batch still buys fewer steps, above it hardly any.
The session decides when to measure, so that it takes a bounded share of training time.
"""

from __future__ import annotations

import math

import numpy as np

from gradtui.engine import Trainer
from gradtui.engine.optim.stability import sharpness_limit

from gradtui.engine.run.history import MinMaxHistory
from gradtui.engine.run.events import Event

TOL = 1e-3
"""Lanczos's relative residual for each measurement: λmax to about 0.1%, ample for a plot."""
CLEAR_BELOW = 0.9
"""After a crossing, the "back below" event waits until λmax is under this share of the line,
so that a run hovering at the edge of stability does not flood the log."""
CROSSED = "lr is above 2/λmax: expect the loss to oscillate or diverge"


def stability_line(trainer: Trainer) -> float | None:
    """The sharpness the run's optimizer is stable below at the lr in use now: 2/lr for sgd,
    2(1+β)/lr with momentum, None for rmsprop and adam (no such line applies to them)."""
    cfg = trainer.config
    return sharpness_limit(trainer.optimizer.lr, cfg.optimizer, cfg.momentum)


def line_name(optimizer: str) -> str:
    """The stability line's formula for ``optimizer``, as the pane labels it."""
    return {"momentum": "2(1+β)/lr", "nesterov": "2(1+β)/((1+2β)lr)"}.get(optimizer, "2/lr")


class SharpnessRecord:
    """λmax and the stability line at each measurement (channels 0 and 1; the line NaN for
    an optimizer without one), the top eigenvector for the next warm start, and whether the
    run is above the line now."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        """Forget everything (a reset)."""
        self.history = MinMaxHistory(2)
        self.vector: np.ndarray | None = None
        self.above = False
        self.latest: tuple[int, float, float | None] | None = None
        """(step, λmax, line) of the newest measurement; None before the first."""
        self.noise_scale: float | None = None
        """B_simple at the newest measurement (None before the first, or where it is not finite)."""

    def measure(self, trainer: Trainer) -> list[Event]:
        """Measure λmax now (the run untouched), record it; the crossing events it makes."""
        start = self.vector if self.vector is not None and self.vector.size == trainer.model.flat_value.size else None
        with np.errstate(all="ignore"):
            try:
                eigen = trainer.hessian_eigen(1, "train", TOL, start=start)
            except (ValueError, FloatingPointError, np.linalg.LinAlgError):
                return []  # NaN weights: nothing to measure
        value = float(eigen.values[0])
        if not math.isfinite(value):
            return []
        vector = eigen.vectors[:, 0]
        self.vector = vector.copy() if np.all(np.isfinite(vector)) else None
        line = stability_line(trainer)
        step = trainer.step_count
        with np.errstate(all="ignore"):
            noise = trainer.gradient_noise_scale("train").value
        self.noise_scale = noise if math.isfinite(noise) else None
        self.history.add(step, (value, math.nan if line is None else line))
        self.latest = (step, value, line)
        return self._crossing(step, value, line, trainer.config.optimizer)

    def _crossing(self, step: int, value: float, line: float | None, optimizer: str) -> list[Event]:
        if line is None:
            self.above = False
            return []
        name = line_name(optimizer)
        if not self.above and value > line:
            self.above = True
            return [Event(step, "raised", f"SHARPNESS λmax {value:.4g} > {name} = {line:.4g}: {CROSSED}")]
        if self.above and value < CLEAR_BELOW * line:
            self.above = False
            return [Event(step, "cleared", f"sharpness λmax {value:.4g} back below {name} = {line:.4g}")]
        return []

    def truncate(self, step: int) -> None:
        """Forget measurements after ``step`` (a rewind); the next one starts cold."""
        self.history.truncate(step)
        self.vector, self.above, self.latest, self.noise_scale = None, False, None, None

