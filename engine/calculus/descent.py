"""Gradient descent on an analytic objective, using the training optimizers.

The point being optimized is a ``Parameter`` and every update goes through an
optimizer from ``optim.py``, so calculus mode shows exactly the arithmetic that
trains the networks: there is no second implementation of any update rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np

from gradtui.engine.optim.clip import global_norm
from gradtui.engine.calculus.objectives import REACH_TOL, Objective
from gradtui.engine.optim.optimizers import OPTIMIZERS, check_optimizer, make_optimizer
from gradtui.engine.nn.parameter import Parameter

DIVERGENCE_LIMIT = 1e6
"""A run has diverged once any coordinate's magnitude exceeds this (or anything is non-finite)."""


@dataclass(frozen=True)
class TrajectoryRow:
    """One point of a descent: ``grad`` is taken at ``x``; ``step_size`` is the move that reached it."""

    step: int
    x: np.ndarray
    f: float
    grad: np.ndarray
    step_size: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: step, x and grad as lists, f, step_size."""
        return {"step": self.step, "x": self.x.tolist(), "f": self.f,
                "grad": self.grad.tolist(), "step_size": self.step_size}


class Descent:
    """Minimizes ``objective`` from ``start`` with one optimizer, recording the trajectory.

    ``lr=None`` takes the objective's default for this optimizer. Row 0 of
    ``trajectory`` is the start point (step 0, step_size 0).
    """

    def __init__(self, objective: Objective, optimizer: str = "sgd", lr: float | None = None,
                 start: Iterable[float] | float | None = None, momentum: float = 0.9) -> None:
        check_optimizer(optimizer)
        self.objective = objective
        self.optimizer_name = optimizer
        self.lr = _checked_lr(objective.lrs[optimizer] if lr is None else lr)
        self.momentum = momentum
        self.start = objective.as_point(objective.start if start is None else start).copy()
        self.reset()

    def reset(self) -> None:
        """Back to the start point with a fresh optimizer (no momentum or averages)."""
        self.param = Parameter("x", self.start.copy())
        self.optimizer = make_optimizer(self.optimizer_name, [self.param], self.lr, self.momentum)
        self.trajectory: list[TrajectoryRow] = [self._record(0, 0.0)]

    def set_lr(self, lr: float) -> None:
        """Change the learning rate from the next step on: the point and the optimizer's
        state (momentum, averages) stay, and ``reset`` keeps the new rate."""
        self.lr = _checked_lr(lr)
        self.optimizer.lr = self.lr

    def step(self) -> TrajectoryRow:
        """One optimizer update from the gradient at the current point; returns the new row."""
        before = self.param.value.copy()
        with np.errstate(over="ignore", invalid="ignore"):
            self.optimizer.step()
            row = self._record(len(self.trajectory), global_norm([self.param.value - before]))
        self.trajectory.append(row)
        return row

    def run(self, n: int) -> list[TrajectoryRow]:
        """Up to ``n`` steps, stopping early once diverged; returns the new rows."""
        rows: list[TrajectoryRow] = []
        while len(rows) < n and not self.diverged:
            rows.append(self.step())
        return rows

    @property
    def diverged(self) -> bool:
        """True when the current point or f is non-finite or any |x_i| > ``DIVERGENCE_LIMIT``."""
        last = self.trajectory[-1]
        return not (np.isfinite(last.f) and np.all(np.abs(last.x) <= DIVERGENCE_LIMIT))

    @property
    def escaped(self) -> bool:
        """Stopped at the divergence limit with f below its start on a surface with no
        minimum (the saddle): descent working as it should, not a step size too large."""
        return escaped(self.diverged, bool(self.objective.minima), self.trajectory[0].f,
                       self.trajectory[-1].f)

    def steps_to_minimum(self, tol: float = REACH_TOL, since: int = 0) -> int | None:
        """The first step from ``since`` on whose point lies within ``tol`` of a known
        minimum, or None."""
        return next((r.step for r in self.trajectory[since:] if self.objective.reached(r.x, tol)), None)

    def _record(self, step: int, step_size: float) -> TrajectoryRow:
        """Evaluate f and the gradient at the current point and hand the gradient to the optimizer."""
        x = self.param.value
        self.param.grad = self.objective.grad(x)
        return TrajectoryRow(step, x.copy(), self.objective.f(x), self.param.grad.copy(), step_size)


def escaped(diverged: bool, has_minima: bool, start_f: float, end_f: float) -> bool:
    """Whether a descent that stopped (``diverged``) left for ever lower f on a surface with
    no minimum, rather than blowing up."""
    return diverged and not has_minima and end_f < start_f


def _checked_lr(lr: float) -> float:
    """``lr`` as a float, or ValueError unless it is positive and finite."""
    value = float(lr)
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"lr must be a positive finite number, got {lr!r}")
    return value


@dataclass(frozen=True)
class RaceResult:
    """How one optimizer did in a race; ``steps_to_minimum`` is None if it never got within tol."""

    optimizer: str
    lr: float
    steps: int
    steps_to_minimum: int | None
    final_f: float
    diverged: bool


class Race:
    """Several optimizers descending the same objective from the same start, stepped together.

    ``lrs`` overrides the objective's default learning rate for some optimizers.
    A lane that diverges stops while the others go on.
    """

    def __init__(self, objective: Objective, optimizers: Iterable[str] = OPTIMIZERS,
                 lrs: dict[str, float] | None = None,
                 start: Iterable[float] | float | None = None, tol: float = REACH_TOL) -> None:
        names = list(optimizers)
        lrs = dict(lrs or {})
        if not names or len(set(names)) != len(names):
            raise ValueError(f"a race needs distinct optimizers from: {', '.join(OPTIMIZERS)}")
        if set(lrs) - set(names):
            raise ValueError(f"lrs names optimizers not in the race {sorted(set(lrs) - set(names))}; "
                             f"valid: {', '.join(names)}")
        self.objective = objective
        self.tol = tol
        self.lanes = {n: Descent(objective, n, lrs.get(n), start) for n in names}

    def step(self) -> dict[str, TrajectoryRow]:
        """Step every lane that has not diverged; returns their new rows."""
        return {n: d.step() for n, d in self.lanes.items() if not d.diverged}

    def run(self, n: int) -> None:
        """``n`` race steps (diverged lanes sit out)."""
        for _ in range(n):
            self.step()

    def reset(self) -> None:
        """Every lane back to the start."""
        for d in self.lanes.values():
            d.reset()

    def results(self) -> list[RaceResult]:
        """One result per lane, in race order."""
        return [RaceResult(n, d.lr, d.trajectory[-1].step, d.steps_to_minimum(self.tol),
                           d.trajectory[-1].f, d.diverged) for n, d in self.lanes.items()]
