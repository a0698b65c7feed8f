"""Learning-rate schedules: constant, step decay, cosine to a floor, each after an optional linear warm-up.

A schedule is written as one word a config, a flag or a settings panel can carry:

- ``constant``                 the base lr on every step
- ``step:FACTOR:EVERY``        the lr times FACTOR after every EVERY steps (``step:0.5:100``)
- ``cosine:STEPS:FLOOR``       half a cosine from the lr down to FLOOR over STEPS steps, then FLOOR

``warmup`` steps of linear warm-up come first: update ``k`` of the warm-up (1-based) uses
``lr * k / warmup``; the schedule proper starts after them. Steps are counted from
``start`` (the step count when the schedule was chosen), so a schedule picked mid-run
begins where it was picked.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

SCHEDULES = ("constant", "step:FACTOR:EVERY", "cosine:STEPS:FLOOR")
"""The schedule spellings, for help texts and listings."""


@dataclass(frozen=True)
class Schedule:
    """The lr of every step, from a base lr, a schedule spec and a warm-up length."""

    kind: str
    factor: float = 1.0
    every: int = 1
    steps: int = 1
    floor: float = 0.0
    warmup: int = 0
    start: int = 0

    @classmethod
    @functools.lru_cache(maxsize=64)  # the trainer asks every step; parsing once per spec is enough
    def parse(cls, spec: str, warmup: int = 0, start: int = 0) -> "Schedule":
        """A schedule from its spec (see the module docstring); ``ValueError`` in one line otherwise."""
        if not isinstance(spec, str):
            raise ValueError(f"schedule must be text such as cosine:1000:0.0001, got {spec!r}")
        kind, *args = spec.strip().split(":")
        if isinstance(warmup, bool) or not isinstance(warmup, int) or warmup < 0:
            raise ValueError(f"warmup must be a whole number of steps, 0 or more, got {warmup!r}")
        if kind == "constant" and not args:
            return cls("constant", warmup=warmup, start=start)
        if kind == "step" and len(args) == 2:
            factor, every = _number(spec, "FACTOR", args[0]), _count(spec, "EVERY", args[1])
            if not factor > 0:
                raise ValueError(f"schedule {spec!r}: FACTOR must be greater than zero, got {args[0]}")
            return cls("step", factor=factor, every=every, warmup=warmup, start=start)
        if kind == "cosine" and len(args) == 2:
            steps, floor = _count(spec, "STEPS", args[0]), _number(spec, "FLOOR", args[1])
            if floor < 0:
                raise ValueError(f"schedule {spec!r}: FLOOR must be zero or more, got {args[1]}")
            return cls("cosine", steps=steps, floor=floor, warmup=warmup, start=start)
        raise ValueError(f"unknown schedule {spec!r}; valid: {', '.join(SCHEDULES)}")

    def lr(self, base: float, step: int) -> float:
        """The lr that update number ``step`` (1-based, as ``Trainer.step_count`` after it) uses."""
        s = max(step - 1 - self.start, 0)  # 0-based count of updates since the schedule began
        if s < self.warmup:
            return base * (s + 1) / self.warmup
        t = s - self.warmup
        if self.kind == "step":
            try:
                return base * self.factor ** (t // self.every)
            except OverflowError:  # a growing lr passes float64's range: the overflow guard takes over
                return math.inf
        if self.kind == "cosine":
            phase = min(t, self.steps) / self.steps
            return self.floor + (base - self.floor) * (1 + math.cos(math.pi * phase)) / 2
        return base

    def lrs(self, base: float, first: int, stop: int, every: int = 1) -> np.ndarray:
        """The lr of updates ``first, first + every, ... < stop`` (1-based), for drawing."""
        return np.array([self.lr(base, k) for k in range(first, stop, every)], dtype=float)

    @property
    def spec(self) -> str:
        """The spec this schedule was parsed from (canonical spelling)."""
        if self.kind == "step":
            return f"step:{self.factor:g}:{self.every}"
        if self.kind == "cosine":
            return f"cosine:{self.steps}:{self.floor:g}"
        return "constant"

    def describe(self) -> str:
        """``cosine to 0.0001 over 1000 steps after 50 warm-up steps``: for logs and panels."""
        text = {"constant": "constant lr",
                "step": f"lr x{self.factor:g} every {self.every} steps",
                "cosine": f"cosine to {self.floor:g} over {self.steps} steps"}[self.kind]
        if self.warmup:
            text += f" after {self.warmup} warm-up steps"
        return text


def _number(spec: str, what: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise ValueError(f"schedule {spec!r}: {what} must be a finite number, got {text!r}")
    return value


def _count(spec: str, what: str, text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"schedule {spec!r}: {what} must be a whole number of at least 1, got {text!r}")
    return value
