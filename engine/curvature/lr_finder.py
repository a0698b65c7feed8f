"""The learning-rate range test (Smith, 2015; fastai's ``lr_find``): train a few steps with
the lr growing exponentially and read a good lr off the loss curve.

``range_test(step_at, lrs)`` calls ``step_at(lr)`` (one update of a *copy* of the run at
that lr, returning the loss it measured afterwards) for each lr in turn. The losses are
smoothed as fastai does, an exponential moving average with beta = 0.98 corrected for its
start (``avg = beta avg + (1 - beta) loss``, ``smoothed = avg / (1 - beta^(i+1))``), and
the test stops at the blow-up: the first step whose smoothed loss is non-finite or above
``BLOWUP`` times the lowest smoothed loss before it (fastai's stop rule).

Two points are marked on the smoothed curve before the blow-up: the steepest descent, where
it falls fastest against log(lr) (fastai's ``steep``; the first tenth of the steps, where the
average is still settling, left out as fastai does), and the minimum. The suggestion is a
tenth of the lr at the minimum (fastai's ``minimum`` rule, Smith's rule of thumb): the
average lags the raw loss by about 1/(1 - beta) = 50 steps, so the minimum sits close to
where training turns unstable and the steepest point often past it; an order of
magnitude below is still fast and safely stable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

BETA = 0.98
BLOWUP = 4.0
RULE = ("suggested lr = a tenth of the lr where the smoothed loss is lowest before the blow-up "
        "(fastai's 'minimum'); smoothed = exponential moving average, beta 0.98, debiased; "
        "blow-up = smoothed loss above 4x its lowest so far, or NaN/Inf")


@dataclass(frozen=True)
class RangeTest:
    """One range test: per step its lr, raw and smoothed loss (up to and including the
    blow-up); the indices of the steepest descent (None with too few steps for a slope), of
    the minimum and of the blow-up (None if the loss never blew up); the suggested lr."""

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    steepest: int | None
    minimum: int
    blowup: int | None
    suggestion: float
    rule: str = RULE


def lr_schedule(start: float, end: float, steps: int) -> np.ndarray:
    """``steps`` lrs from ``start`` to ``end``, each the same factor above the last."""
    if not (0 < start < end < math.inf) or steps < 2:
        raise ValueError(f"the range test needs 0 < start < end and at least 2 steps; got start "
                         f"{start:g}, end {end:g}, {steps} steps")
    return start * (end / start) ** (np.arange(steps) / (steps - 1))


def range_test(step_at: Callable[[float], float], lrs: np.ndarray) -> RangeTest:
    """Step at each of ``lrs`` until the blow-up; see the module's docstring for the rules."""
    losses, smoothed = [], []
    avg, best, blowup = 0.0, math.inf, None
    for i, lr in enumerate(lrs):
        loss = float(step_at(float(lr)))
        losses.append(loss)
        avg = BETA * avg + (1 - BETA) * loss
        value = avg / (1 - BETA ** (i + 1))
        smoothed.append(value)
        if not math.isfinite(value) or value > BLOWUP * best:
            blowup = i
            break
        best = min(best, value)
    done = len(losses)
    before = max(done if blowup is None else blowup, 1)
    curve = np.array(smoothed[:before])
    skip = len(lrs) // 10
    steepest = None
    if before - skip >= 2:
        slopes = np.gradient(curve[skip:], np.log(lrs[skip:before]))
        steepest = skip + int(np.argmin(slopes))
    minimum = int(np.argmin(curve))
    return RangeTest(np.array(lrs[:done], dtype=float), np.array(losses), np.array(smoothed), steepest,
                     minimum, blowup, float(lrs[minimum]) / 10)
