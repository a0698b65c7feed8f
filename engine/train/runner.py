"""Headless runs' rows and summaries, and the headless descent.

A training run's rows (``trainer_row``) and outcome (``RunTally``, ``TrainSummary``) are
made here and filled in by the app's own loop (``gradtui.engine.run.headless.run_headless``,
which ``gradtui run`` uses) and by ``gradtui compare``'s twin runs; ``run_descent`` steps a
calculus ``Descent``::

    summary = run_descent(descent, 200, every=10, on_row=rows.append)
    print("\\n".join(summary.lines()))

Rows are plain JSON-ready dicts (numbers may be NaN or Inf; writers decide how to
store those). A trainer row is evaluated on the whole train and test sets, so
``every`` also sets how many full evaluation passes a run pays for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from gradtui.engine.calculus.descent import DIVERGENCE_LIMIT, Descent, TrajectoryRow, escaped
from gradtui.engine.calculus.objectives import REACH_TOL
from gradtui.engine.predictions import Watch
from gradtui.engine.train.health import StepStats
from gradtui.engine.train.stop import Stop
from gradtui.engine.train.trainer import Evaluation

Row = dict[str, Any]
RowSink = Callable[[Row], None]
Progress = Callable[[int], None]


def trainer_row(stats: StepStats, evaluation: Evaluation, changes: list[str] | None = None) -> Row:
    """One export row: the step's statistics plus a full evaluation taken right after it.

    ``accuracy`` (classification only) is on the test set, or the train set when there is
    none; ``test_loss`` is None without a test set. ``layers`` holds one dict per dense layer.
    ``changes`` lists the settings changed since the previous row (``Trainer.changes``).
    """
    row: Row = {"step": stats.step, "epoch": float(stats.epoch), "loss": float(stats.loss),
                "test_loss": evaluation.test_loss}
    if evaluation.train_accuracy is not None:
        row["accuracy"] = (evaluation.test_accuracy if evaluation.test_accuracy is not None
                           else evaluation.train_accuracy)
    row.update(
        grad_norm=float(stats.grad_norm), clipped=bool(stats.clipped), lr=float(stats.lr),
        layers=[{"name": ls.name, "grad_norm": float(ls.grad_norm),
                 "update_ratio": float(ls.update_ratio), "dead": int(ls.dead),
                 "saturated": int(ls.saturated)} for ls in stats.layers],
        flags=[{"kind": f.kind, "layer": f.layer} for f in stats.flags],
        changes=list(changes or []),
    )
    return row


def is_row(step: int, every: int, last: int) -> bool:
    """Whether a run ending at ``last`` emits a row at ``step``."""
    return step % every == 0 or step == last


def check_counts(steps: int, every: int) -> None:
    """ValueError unless ``steps`` and ``every`` are whole numbers of at least 1."""
    for name, value in (("steps", steps), ("every", every)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a whole number of at least 1, got {value!r}")


@dataclass
class FlagRecord:
    """How often one kind of flag was raised during a run, and on which layers.

    ``first_at`` maps each layer in ``layers`` to the first step that flagged it."""

    kind: str
    layers: list[str]
    first: int
    last: int
    steps: int
    first_at: dict[str, int] = field(default_factory=dict)


@dataclass
class TrainSummary:
    """The outcome of a headless training run (``run_headless``): final numbers, flags raised, and whether it diverged."""

    first_step: int
    last_step: int
    last_loss: float
    evaluation: Evaluation
    flags: list[FlagRecord]
    nonfinite_steps: int = 0
    nonfinite_first: int | None = None
    until: str | None = None
    stop: Stop | None = None
    prediction: list[str] = field(default_factory=list)
    """The scenario's question, its answer and the run's evidence, when a watch was given."""

    @property
    def diverged(self) -> bool:
        """True when some step's loss or gradients were NaN/Inf, or the final loss is."""
        return self.nonfinite_first is not None or not math.isfinite(self.last_loss)

    def lines(self) -> list[str]:
        """A short human-readable account, one sentence per line."""
        ev = self.evaluation
        parts = [f"train loss {_num(ev.train_loss)}"]
        if ev.test_loss is not None:
            parts.append(f"test loss {_num(ev.test_loss)}")
        if ev.test_accuracy is not None:
            parts.append(f"test accuracy {ev.test_accuracy:.1%}")
        elif ev.train_accuracy is not None:
            parts.append(f"train accuracy {ev.train_accuracy:.1%}")
        out = [f"steps {self.first_step}-{self.last_step}: {', '.join(parts)}"]
        if self.stop is not None:
            out.append(self.stop.line())
        elif self.until is not None:
            out.append(f"not met within {self.last_step - self.first_step + 1} steps: {self.until}")
        for rec in self.flags:
            out.append(f"{rec.kind}: {', '.join(rec.layers)} (first at step {rec.first}, "
                       f"last at step {rec.last}, {rec.steps} of {self.last_step - self.first_step + 1} steps)")
        if not self.flags:
            out.append("no health flags raised")
        if self.diverged:
            if self.nonfinite_first is None:
                out.append(f"diverged: the final loss is {self.last_loss}")
            else:
                out.append(f"diverged: loss or gradients became NaN/Inf at step {self.nonfinite_first} "
                           f"({self.nonfinite_steps} non-finite steps, their updates skipped)")
        return out + self.prediction


class RunTally:
    """What a run's steps raised, step by step: a ``FlagRecord`` per kind and the non-finite steps."""

    def __init__(self) -> None:
        self.records: dict[str, FlagRecord] = {}
        self.nonfinite_steps = 0
        self.nonfinite_first: int | None = None

    def add(self, stats: StepStats) -> None:
        seen = set()
        for flag in stats.flags:
            rec = self.records.get(flag.kind)
            if rec is None:
                rec = self.records[flag.kind] = FlagRecord(flag.kind, [], stats.step, stats.step, 0)
            if flag.layer not in rec.first_at:
                rec.layers.append(flag.layer)
                rec.first_at[flag.layer] = stats.step
            if flag.kind not in seen:
                seen.add(flag.kind)
                rec.last = stats.step
                rec.steps += 1
        if "nonfinite" in seen:
            self.nonfinite_steps += 1
            if self.nonfinite_first is None:
                self.nonfinite_first = stats.step

    def summary(self, first_step: int, last_step: int, last_loss: float, evaluation: Evaluation,
                until: str | None = None, stop: Stop | None = None) -> "TrainSummary":
        """The run's ``TrainSummary`` from what was tallied and its final numbers."""
        return TrainSummary(first_step, last_step, last_loss, evaluation, list(self.records.values()),
                            self.nonfinite_steps, self.nonfinite_first, until, stop)


@dataclass
class DescentSummary:
    """The outcome of ``run_descent``. ``reached`` is the first step within ``tol`` of a
    known minimum; ``has_minima`` is False for surfaces unbounded below (the saddle)."""

    objective: str
    optimizer: str
    lr: float
    start: TrajectoryRow
    end: TrajectoryRow
    diverged: bool
    reached: int | None
    tol: float
    has_minima: bool
    prediction: list[str] = field(default_factory=list)
    """The scenario's question, its answer and the run's evidence, when a watch was given."""

    @property
    def steps(self) -> int:
        return self.end.step - self.start.step

    @property
    def outcome(self) -> str:
        """One of: reached, escaped (left for ever lower f on a surface with no minimum),
        diverged, diverging (f ended above its start), stalled (f back where it started),
        descending."""
        if escaped(self.diverged, self.has_minima, self.start.f, self.end.f):
            return "escaped"
        if self.diverged:
            return "diverged"
        if self.reached is not None:
            return "reached"
        if self.end.f > self.start.f:
            return "diverging"
        if self.end.f == self.start.f:
            return "stalled"
        return "descending"

    def lines(self) -> list[str]:
        """A short human-readable account, one sentence per line."""
        start, end = self.start, self.end
        head = (f"{self.optimizer} lr {self.lr!r} on {self.objective}, {self.steps} steps: "
                f"x = {_point(end.x)}, f(x) = {end.f!r}")
        outcome = self.outcome
        if outcome == "reached":
            tail = f"reached a minimum (within {self.tol:g}) at step {self.reached}"
        elif outcome == "escaped":
            axis = int(np.argmax(np.abs(end.x)))
            name = "xyz"[axis] if len(end.x) <= 3 else f"x{axis}"
            tail = (f"escaped along {name}: f has no minimum, so descent follows it down without "
                    f"bound (f fell from {start.f!r} to {end.f!r}); the run stopped at step "
                    f"{end.step}, when |{name}| passed {DIVERGENCE_LIMIT:g}")
        elif outcome == "diverged":
            tail = (f"diverged at step {end.step}: f(x) is non-finite or a coordinate passed "
                    f"{DIVERGENCE_LIMIT:g}; the run stopped there")
        elif outcome == "diverging":
            tail = (f"diverging: f(x) rose from {start.f!r} to {end.f!r}; each step overshoots "
                    f"by more than the last (the lr is too large for this surface)")
        elif outcome == "stalled":
            tail = (f"no progress: f(x) is back at its start value {end.f!r}; the steps "
                    f"overshoot to the other side and back")
        else:
            tail = f"descending: f(x) fell from {start.f!r} to {end.f!r}"
            if self.has_minima:
                tail += f", not yet within {self.tol:g} of a minimum"
        return [head, tail, *self.prediction]


def run_descent(descent: Descent, steps: int, every: int = 1, on_row: RowSink | None = None,
                progress: Progress | None = None, tol: float = REACH_TOL,
                watch: Watch | None = None) -> DescentSummary:
    """Up to ``steps`` descent steps, stopping early once diverged. Emits the current point
    first, then every step divisible by ``every`` and the last one; ``watch`` (a
    scenario's prediction) sees every step and its outcome ends the summary."""
    check_counts(steps, every)
    start = descent.trajectory[-1]
    if on_row is not None:
        on_row(start.to_dict())
    last = start.step + steps
    row = start
    for done in range(1, steps + 1):
        if descent.diverged:
            break
        row = descent.step()
        if watch is not None:
            watch.see(descent, row)
        if on_row is not None and (is_row(row.step, every, last) or descent.diverged):
            on_row(row.to_dict())
        if progress is not None:
            progress(done)
    reached = descent.steps_to_minimum(tol, since=start.step)
    objective = descent.objective
    return DescentSummary(objective.name, descent.optimizer_name, descent.lr, start, row,
                          descent.diverged, reached, tol, bool(objective.minima),
                          watch.lines() if watch is not None else [])


def _num(x: float) -> str:
    return f"{x:.4g}"


def _point(x) -> str:
    values = [repr(float(v)) for v in x]
    return values[0] if len(values) == 1 else f"({', '.join(values)})"
