"""What the calculus screen shows, without Textual: a surface, a start point, one
learning rate per optimizer, and the lanes (one descent, or a race) on that surface.

Every lane is a lane of an engine ``Race`` (a single descent is a race of one), so
the screen steps, resets and reports both modes the same way. Keeping the rules here
(the lr ladder, moving the start, who finished when, the secant's h) lets tests check
them without a terminal. Like the training session it is a ``Publisher``: every change
announces a new frame with ``FrameReady``, and the screen draws when that arrives.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from gradtui.engine import (OBJECTIVES, OPTIMIZERS, Objective, Race, SecantRow, TrajectoryRow, check_optimizer,
                            get_objective, secant_slopes)
from gradtui.engine.calculus.curvature import Curvature, curvature, stability_point

from gradtui.engine.train.ladders import LR_LADDER, cycle, step_ladder, with_rungs
from gradtui.tui.widgets.publisher import Publisher

MAX_STEPS = 10_000
"""Steps after which a run stops by itself: every path stays drawable and memory bounded."""

START_NUDGE = 1 / 20
"""Fraction of the window one start-point key press moves the start."""

H_RANGE = (2.0**-50, 2.0**4)
"""Smallest and largest secant step h: from below float64 resolution to a visible chord."""

LIMIT_RUNGS = (0.5, 0.8, 1.0, 1.2)
"""The lr ladder's extra rungs, as multiples of the selected optimizer's lr limit: on x^2
with sgd (limit 2/λmax = 1) lr 0.5 lands on the vertex in one step, 0.8 overshoots but
still converges, 1 bounces for ever and 1.2 diverges."""

STEP_BUDGET = 500
"""Lane-steps per tick at full speed, so a tick of a five-lane race stays cheap."""


class Lane:
    """One descent of the race, its path as an array (for drawing), and when it finished."""

    def __init__(self, name: str, race: Race) -> None:
        self.name = name
        self.descent = race.lanes[name]
        self.objective = race.objective
        self.tol = race.tol
        self._points = np.empty((256, self.objective.dim))
        self._count = 0
        self.reached: int | None = None
        self.record(self.descent.trajectory[0])

    @property
    def path(self) -> np.ndarray:
        """Every point so far, shape (steps + 1, dim)."""
        return self._points[: self._count]

    @property
    def last(self) -> TrajectoryRow:
        """The current point's row."""
        return self.descent.trajectory[-1]

    @property
    def diverged(self) -> bool:
        return self.descent.diverged

    def record(self, row: TrajectoryRow) -> str | None:
        """Add a new row to the path; return an event when it is the first to reach a
        minimum, or the one that diverged."""
        if self._count == len(self._points):
            self._points = np.concatenate([self._points, np.empty_like(self._points)])
        self._points[self._count] = row.x
        self._count += 1
        if self.descent.escaped:  # on the saddle: downhill for ever along one axis
            return f"{self.name} escaped along {'xy'[int(np.argmax(np.abs(row.x)))]} at step {row.step}"
        if self.descent.diverged:
            return f"{self.name} diverged at step {row.step}"
        if self.reached is None and self.objective.reached(row.x, self.tol):
            self.reached = row.step
            return f"{self.name} reached the minimum at step {row.step}"
        return None

    @property
    def finished(self) -> bool:
        """Reached a minimum, diverged, or out of steps."""
        return self.reached is not None or self.diverged or self.last.step >= MAX_STEPS

    @property
    def status(self) -> str:
        """Where this lane stands, in a few words."""
        if self.diverged:  # short: the legend keeps room for f ("along y" is in the event)
            return f"{'escaped' if self.descent.escaped else 'diverged'} at step {self.last.step}"
        if self.reached is not None:
            return f"minimum at step {self.reached}"
        if self.last.step >= MAX_STEPS:
            return f"not there in {MAX_STEPS} steps"
        return "still going"


class CalculusSession(Publisher):
    """The calculus screen's state; every change that moves the start or the set of lanes
    restarts the lanes from the start point, and every change announces a frame."""

    def __init__(self, objective: str = "quadratic", optimizer: str = "sgd",
                 racing: bool = False) -> None:
        super().__init__()
        check_optimizer(optimizer)
        self.optimizer = optimizer
        self.racing = racing
        self.set_objective(objective)

    # --- the surface and the lanes -------------------------------------------------

    def set_objective(self, name: str) -> None:
        """Switch surface: its default start, learning rates and secant h."""
        self.use(get_objective(name))

    def use(self, objective: Objective) -> None:
        """Show ``objective`` (a built-in surface or a typed function's) from its own start."""
        self.objective = objective
        self.start = np.array(self.objective.start, dtype=float)
        self.lrs = dict(self.objective.lrs)
        self.h = float(2.0 ** np.floor(np.log2(self.x_span / 3)))
        self.h_history = [self.h]
        self.reset()

    def cycle_objective(self, step: int = 1) -> str:
        """The next (``step`` 1) or previous (-1) surface; returns its name."""
        names = list(OBJECTIVES)
        at = names.index(self.objective.name) if self.objective.name in names else -1 if step > 0 else 0
        self.set_objective(names[(at + step) % len(names)])
        return self.objective.name

    def reset(self) -> None:
        """Every lane back to the start, with the current learning rates."""
        names = OPTIMIZERS if self.racing else (self.optimizer,)
        self.race = Race(self.objective, names, {n: self.lrs[n] for n in names}, self.start)
        self.lanes = {name: Lane(name, self.race) for name in names}
        self.announce()

    def toggle_race(self) -> bool:
        """Race every optimizer, or go back to the selected one; returns whether racing."""
        self.racing = not self.racing
        self.reset()
        return self.racing

    def cycle_optimizer(self) -> str:
        """Select the next optimizer: a fresh single descent, or (racing) the lane the
        table, the lr keys and the derivative view follow."""
        self.optimizer = cycle(OPTIMIZERS, self.optimizer)
        if self.racing:
            self.announce()
        else:
            self.reset()
        return self.optimizer

    @property
    def focus(self) -> Lane:
        """The lane of the selected optimizer."""
        return self.lanes[self.optimizer]

    @property
    def lr(self) -> float:
        return self.lrs[self.optimizer]

    def step_lr(self, up: bool) -> float:
        """Move the selected optimizer's lr one rung along ``ladder``; it applies from the
        next step on (the point stays where it is). Returns the new lr."""
        lr = step_ladder(self.ladder, self.lr, up)
        self.lrs[self.optimizer] = lr
        self.focus.descent.set_lr(lr)
        self.announce()
        return lr

    # --- curvature -----------------------------------------------------------------

    @property
    def curvature(self) -> Curvature | None:
        """The Hessian and its eigen-decomposition at the selected lane's current point
        (None once that point or its Hessian is not finite)."""
        x = self.focus.last.x
        if not np.all(np.isfinite(x)):
            return None
        with np.errstate(over="ignore", invalid="ignore"):
            try:
                return curvature(self.objective, x)
            except ValueError:  # the Hessian overflowed (far out on a quartic)
                return None

    @property
    def limit_point(self) -> np.ndarray:
        """Where the lr limit is read: the known minimum nearest the selected lane's current
        point (or its start, once it left for infinity), else that point itself."""
        x = self.focus.last.x
        return stability_point(self.objective, x if np.all(np.isfinite(x)) else self.start)

    @property
    def lr_limit(self) -> float | None:
        """The largest lr at which the selected optimizer still converges on the curvature
        at ``limit_point`` (2/λmax for sgd); None for rmsprop and adam, which have none."""
        return curvature(self.objective, self.limit_point).lr_limit(
            self.optimizer, self.focus.descent.momentum)

    @property
    def ladder(self) -> tuple[float, ...]:
        """The lr ladder: 1-3-10 rungs, plus ``LIMIT_RUNGS`` times the lr limit when there
        is a finite one."""
        limit = self.lr_limit
        if limit is None or not np.isfinite(limit):
            return LR_LADDER
        return with_rungs(LR_LADDER, [k * limit if k == 1 else float(f"{k * limit:.2g}")
                                      for k in LIMIT_RUNGS])

    @property
    def bounds(self) -> np.ndarray:
        """The viewing window as an array of shape (dim, 2): [[xmin, xmax], ...]."""
        return np.array(self.objective.window, dtype=float).reshape(self.objective.dim, 2)

    @property
    def x_span(self) -> float:
        low, high = self.bounds[0]
        return float(high - low)

    def in_view(self, lane: Lane) -> bool:
        """Whether the lane's current point lies inside the viewing window."""
        bounds = self.bounds
        x = lane.last.x
        return bool(np.all((bounds[:, 0] <= x) & (x <= bounds[:, 1])))

    def move_start(self, dx: int, dy: int = 0) -> bool:
        """Nudge the start by ``START_NUDGE`` of the window per unit, staying inside it, and
        restart. False (nothing moves) for a vertical move on a 1-D curve."""
        if dy and self.objective.dim == 1:
            return False
        bounds = self.bounds
        delta = np.array([dx, dy][: self.objective.dim]) * (bounds[:, 1] - bounds[:, 0]) * START_NUDGE
        moved = np.clip(self.start + delta, bounds[:, 0], bounds[:, 1])
        self.start = np.array([float(f"{v:.12g}") for v in moved])
        self.reset()
        return True

    # --- stepping ------------------------------------------------------------------

    @property
    def steps(self) -> int:
        """The race's step count (lanes that diverged stopped earlier)."""
        return max(lane.last.step for lane in self.lanes.values())

    @property
    def all_finished(self) -> bool:
        return all(lane.finished for lane in self.lanes.values())

    def steps_per_tick(self) -> int:
        """How many steps one running tick takes: one at a time at first, so the first
        moves can be followed, then faster as the run gets longer."""
        return int(np.clip(self.steps // 10, 1, STEP_BUDGET // len(self.lanes)))

    def step(self, n: int = 1) -> list[str]:
        """Up to ``n`` race steps (diverged lanes sit out, and none past ``MAX_STEPS``);
        returns what happened: minima reached, divergences, the step limit."""
        events: list[str] = []
        for _ in range(n):
            if self.steps >= MAX_STEPS:
                break
            rows = self.race.step()
            if not rows:
                break
            events += [e for name, row in rows.items() if (e := self.lanes[name].record(row))]
            if self.steps >= MAX_STEPS:
                events.append(f"stopped at the step limit ({MAX_STEPS})")
        self.announce()
        return events

    def headline(self, events: list[str]) -> str:
        """What a tick's events say, led (in a race) by whoever reached a minimum first:
        a later tick's arrivals never hide an earlier winner."""
        arrived = {lane.name: lane.reached for lane in self.lanes.values() if lane.reached is not None}
        if not (self.racing and arrived):
            return "; ".join(events[-2:])
        step = min(arrived.values())
        first = [name for name, reached in arrived.items() if reached == step]
        head = f"{' and '.join(first)} reached the minimum first, at step {step}"
        rest = [e for e in events if not any(e.startswith(f"{name} reached") for name in first)]
        return "; ".join([head, *rest[-1:]])

    # --- the derivative view -------------------------------------------------------

    def slice(self) -> tuple[Callable[[float], float], float, float]:
        """The 1-D function the derivative view shows, the point on it and the exact
        derivative there: f itself on a curve, and on a surface f along x through the
        selected lane's current point (so the derivative is df/dx)."""
        row = self.focus.last
        if self.objective.dim == 1:
            return self.objective.f, float(row.x[0]), float(row.grad[0])
        y = float(row.x[1])
        return (lambda t: self.objective.f((t, y))), float(row.x[0]), float(row.grad[0])

    def signed_h(self, h: float, x: float) -> float:
        """``h`` pointed from ``x`` toward the middle of the window, so x + h stays in view."""
        low, high = self.bounds[0]
        return -h if x > (low + high) / 2 else h

    @property
    def secant_h(self) -> float:
        """The current h, signed as it is used at the current point."""
        return self.signed_h(self.h, self.slice()[1])

    def scale_h(self, factor: float) -> float:
        """Multiply the secant step h by ``factor`` within ``H_RANGE``; returns the new h."""
        self.h = float(np.clip(self.h * factor, *H_RANGE))
        if self.h != self.h_history[-1]:
            self.h_history.append(self.h)
        self.announce()
        return self.h

    def secants(self, hs: list[float], rule: str = "forward") -> list[SecantRow]:
        """Secant slopes at the current point for step sizes ``hs`` (signed toward the
        middle), with their error against the exact derivative."""
        f, x, exact = self.slice()
        if not all(np.isfinite([x, exact])):
            return []
        with np.errstate(over="ignore", invalid="ignore"):
            return secant_slopes(f, x, [self.signed_h(h, x) for h in hs], exact, rule)
