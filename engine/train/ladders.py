"""Control ladders and cycles: the discrete steps the keys move a setting along.

The learning rate and the clip threshold move along a 1-3-10 ladder (…, 0.01, 0.03,
0.1, 0.3, …) so a few presses span decades; a value that is not on the ladder moves
to the nearest rung in the asked direction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence, TypeVar

import numpy as np

from gradtui.engine import CLIP_MODES  # the clip key cycles them; None is "off"
from gradtui.engine.train.changes import show_setting

T = TypeVar("T")


def one_three_ladder(low_exp: int, high_exp: int) -> tuple[float, ...]:
    """1-3-10 rungs from 10**low_exp to 10**high_exp, rounded so 3e-5 prints as 3e-05."""
    rungs: list[float] = []
    for exp in range(low_exp, high_exp):
        rungs += [float(f"1e{exp}"), float(f"3e{exp}")]
    return (*rungs, float(f"1e{high_exp}"))


LR_LADDER = one_three_ladder(-5, 1)
"""Learning rates the lr keys step through: 1e-5 … 10."""

CLIP_LADDER = one_three_ladder(-3, 3)
"""Clip thresholds the clip keys step through: 0.001 … 1000."""

BATCH_SIZES: tuple[int | None, ...] = (1, 8, 32, 128, None)
"""Batch sizes the batch key cycles through (None is the full batch)."""


def with_rungs(ladder: Sequence[float], extra: Sequence[float], near: float = 0.15) -> tuple[float, ...]:
    """``ladder`` with the ``extra`` rungs added (to 12 significant digits), dropping its own
    rungs within ``near`` (relative) of an added one so two rungs never read alike."""
    added = {float(f"{r:.12g}") for r in extra if np.isfinite(r) and r > 0}
    kept = [r for r in ladder if all(abs(r - a) > near * a for a in added)]
    return tuple(sorted({*kept, *added}))


def step_ladder(ladder: Sequence[float], value: float, up: bool) -> float:
    """The next rung above (``up``) or below ``value``; ``value`` itself past either end."""
    tolerance = 1e-9 * value
    if up:
        above = [r for r in ladder if r > value + tolerance]
        return above[0] if above else value
    below = [r for r in ladder if r < value - tolerance]
    return below[-1] if below else value


class LadderEnd(Exception):
    """A ladder key pressed at the ladder's end; the message says so and where to go instead."""


def climb(ladder: Sequence[float], key: str, value: float, up: bool) -> float:
    """The next rung as ``step_ladder`` finds it; ``LadderEnd`` when there is none that way."""
    rung = step_ladder(ladder, value, up)
    if rung == value:
        end = f"top ({show_setting(key, ladder[-1])})" if up else f"bottom ({show_setting(key, ladder[0])})"
        raise LadderEnd(f"{key} {show_setting(key, value)} is at the {end} of its ladder; "
                        "press e to type any value")
    return rung


def cycle(options: Sequence[T], value: T, step: int = 1) -> T:
    """The option ``step`` places after ``value`` (wrapping; -1 goes back); the first option
    when ``value`` is not listed."""
    try:
        return options[(list(options).index(value) + step) % len(options)]
    except ValueError:
        return options[0]


@dataclass(frozen=True)
class NextLoss:
    """A key's change: the loss after the config's own in ``options`` (its default first, so
    an unset loss counts as the default)."""

    options: tuple[str, ...]

    def __call__(self, config: Any) -> dict[str, Any]:
        return {"loss": cycle(self.options, config.loss or self.options[0])}


@dataclass(frozen=True)
class Climb:
    """A key's change: ``key`` one rung up or down ``ladder`` from the config's value. A value,
    not a closure, so that a press can be sent to the process that trains (``apart``)."""

    ladder: tuple[float, ...]
    key: str
    up: bool

    def __call__(self, config: Any) -> dict[str, float]:
        return {self.key: climb(self.ladder, self.key, getattr(config, self.key), self.up)}


@dataclass(frozen=True)
class Cycle:
    """A key's change: ``key`` to the option ``step`` places on in ``options`` (see ``Climb``)."""

    options: tuple[Any, ...]
    key: str
    step: int = 1

    def __call__(self, config: Any) -> dict[str, Any]:
        return {self.key: cycle(self.options, getattr(config, self.key), self.step)}
