"""Stop conditions: run until a step, a loss, an accuracy, the first flag of a kind, or a plateau.

Written as text, several joined by commas (whichever comes first stops the run)::

    step>=500            test_accuracy>=0.95 (or >=95%)     loss<=0.05 (the step's minibatch loss)
    train_loss<=0.1      test_loss<=0.2      train_accuracy>=0.9
    flag:dead            flag:any (the first flag of a kind, or of any kind)
    plateau:200          no new best evaluation loss (test, or train without a test set) for 200 steps

Conditions on whole-set numbers evaluate the network after every step, so they stop at
the exact step the condition first holds.
"""

from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass
from typing import Any, Callable

from gradtui.engine.train.health import FLAG_KINDS, StepStats

METRICS = ("step", "loss", "train_loss", "test_loss", "train_accuracy", "test_accuracy")
EVALUATED = ("train_loss", "test_loss", "train_accuracy", "test_accuracy")
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}
FORMS = "step>=N, loss<=X, train_loss<=X, test_loss<=X, train_accuracy>=X, test_accuracy>=X, flag:KIND, plateau:N"
_COMPARISON = re.compile(r"^\s*([a-z_]+)\s*(>=|<=|>|<)\s*([^\s]+)\s*$")


@dataclass(frozen=True)
class Condition:
    """One stop condition: ``metric op value``, ``flag:kind`` or ``plateau:steps``."""

    text: str
    metric: str
    op: str = ""
    value: float = 0.0
    kind: str = ""

    @property
    def evaluates(self) -> bool:
        """True when checking it needs a whole-set evaluation after each step."""
        return self.metric in EVALUATED or self.metric == "plateau"


@dataclass(frozen=True)
class Stop:
    """Which condition stopped a run, at which step, and the number that met it."""

    condition: str
    step: int
    detail: str

    def line(self) -> str:
        return f"stopped at step {self.step}: {self.condition} ({self.detail})"


def parse_until(text: str) -> list[Condition]:
    """The conditions in ``text`` (comma-separated); ``ValueError`` in one line for a bad one."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"a stop condition is needed, such as test_accuracy>=0.95; forms: {FORMS}")
    return [_parse_one(part.strip()) for part in text.split(",")]


def _parse_one(text: str) -> Condition:
    if text.startswith("flag:"):
        kind = text[5:]
        if kind not in (*FLAG_KINDS, "any"):
            raise ValueError(f"unknown flag kind {kind!r} in {text!r}; valid: {', '.join(FLAG_KINDS)}, any")
        return Condition(text, "flag", kind=kind)
    if text.startswith("plateau:"):
        steps = _whole(text, text[8:])
        return Condition(text, "plateau", value=steps)
    match = _COMPARISON.match(text)
    if not match:
        raise ValueError(f"cannot read the stop condition {text!r}; forms: {FORMS}")
    metric, op, raw = match.groups()
    metric = "step" if metric == "steps" else metric
    if metric not in METRICS:
        raise ValueError(f"unknown quantity {metric!r} in {text!r}; valid: {', '.join(METRICS)}")
    if metric == "step":
        value = float(_whole(text, raw))
    else:
        value = _number(text, raw)
    return Condition(f"{metric}{op}{raw}", metric, op, value)


def _number(text: str, raw: str) -> float:
    percent = raw.endswith("%")
    try:
        value = float(raw.removesuffix("%"))
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise ValueError(f"{text!r}: {raw!r} is not a finite number")
    return value / 100 if percent else value


def _whole(text: str, raw: str) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{text!r}: {raw!r} must be a whole number of at least 1")
    return int(raw)


class Stopper:
    """Checks conditions after each step; remembers what a plateau needs."""

    def __init__(self, conditions: list[Condition], trainer: Any) -> None:
        for c in conditions:
            if c.metric.endswith("accuracy") and not trainer.is_classification:
                raise ValueError(f"{c.text}: {trainer.data.name} is a regression dataset; there is no accuracy")
            if c.metric.startswith("test_") and not len(trainer.data.X_test):
                raise ValueError(f"{c.text}: this run has no test set (test_fraction 0)")
        self.conditions = conditions
        self.evaluates = any(c.evaluates for c in conditions)
        self._best, self._best_step = math.inf, trainer.step_count

    def check(self, stats: StepStats, evaluation: Any | None) -> Stop | None:
        """The first condition met by the step ``stats`` (and its ``evaluation``, when
        ``self.evaluates``), or None."""
        for c in self.conditions:
            detail = self._met(c, stats, evaluation)
            if detail is not None:
                return Stop(c.text, stats.step, detail)
        return None

    def _met(self, c: Condition, stats: StepStats, evaluation: Any) -> str | None:
        if c.metric == "flag":
            flags = [f for f in stats.flags if c.kind in ("any", f.kind)]
            return f"{flags[0].kind} flag on {flags[0].layer}" if flags else None
        if c.metric == "plateau":
            return self._plateau(c, stats.step, evaluation)
        value = {"step": stats.step, "loss": stats.loss}.get(c.metric)
        if value is None:
            value = getattr(evaluation, c.metric)
        if OPERATORS[c.op](value, c.value):
            shown = f"{value:.1%}" if c.metric.endswith("accuracy") else f"{value:.4g}"
            return f"{c.metric.replace('_', ' ')} {shown}"
        return None

    def _plateau(self, c: Condition, step: int, evaluation: Any) -> str | None:
        loss = evaluation.test_loss if evaluation.test_loss is not None else evaluation.train_loss
        if loss < self._best:
            self._best, self._best_step = loss, step
        if step - self._best_step >= c.value:
            return f"no better loss than {self._best:.4g} (step {self._best_step}) for {int(c.value)} steps"
        return None


def run_until(trainer: Any, until: str | list[Condition], max_steps: int) -> tuple[Stop | None, list[StepStats]]:
    """Step ``trainer`` until a condition holds or ``max_steps`` steps have run; returns the
    stop (None when none was met) and every step's statistics."""
    conditions = parse_until(until) if isinstance(until, str) else until
    stopper = Stopper(conditions, trainer)
    history = []
    with trainer.blas_limit:  # set the thread count once for the run, not per step
        for _ in range(max_steps):
            stats = trainer.step()
            history.append(stats)
            stop = stopper.check(stats, trainer.evaluate() if stopper.evaluates else None)
            if stop is not None:
                return stop, history
    return None, history
