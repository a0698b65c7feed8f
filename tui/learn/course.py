"""The course (``gradtui learn``): the seeds' path through gradient descent, as lessons.

A lesson is data: the scenario (or calculus surface) it opens, a few sentences of why, the
keys the learner presses (Textual key names, in order; ``space`` starts training), what
should happen, the check that reads it off the run, and the one-line summary the learner
keeps. The scenario's own question is asked before the first step. A check gets the run
as the screens have it (a training ``Frame``, or the ``CalculusSession``) and returns
whether the promise happened and the numbers that say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby
from typing import Any, Callable

import numpy as np

from gradtui.engine import SCENARIOS, total_count_text

Check = Callable[[Any], tuple[bool, str]]


@dataclass(frozen=True)
class Lesson:
    name: str
    title: str
    scenario: str
    why: str
    keys: tuple[str, ...]
    promise: str
    check: Check
    summary: str

    @property
    def calculus(self) -> bool:
        return SCENARIOS[self.scenario].is_calculus


KEY_NAMES = {"right_square_bracket": "]", "left_square_bracket": "[", "minus": "-"}
TYPE = "type:"
"""A key entry ``type:TEXT`` is TEXT typed character by character."""


def presses(keys: tuple[str, ...]) -> list[str]:
    """The Textual key presses ``keys`` stand for (a typed text as one press per character)."""
    out: list[str] = []
    for key in keys:
        if key.startswith(TYPE):
            out += ["colon" if c == ":" else c for c in key[len(TYPE):]]
        else:
            out.append(key)
    return out


def keys_text(keys: tuple[str, ...]) -> str:
    """The keys as a learner reads them: "] ×4, s ×4", "U, type plateau:100, enter"."""
    parts = []
    for key, group in groupby(keys):
        count = len(list(group))
        shown = f"type {key[len(TYPE):]}" if key.startswith(TYPE) else KEY_NAMES.get(key, key)
        parts.append(shown if count == 1 else " ".join([shown] * count) if count <= 3 else f"{shown} ×{count}")
    return ", ".join(parts)


# --- checks on calculus mode ---------------------------------------------------------

def _secant_closer(session) -> tuple[bool, str]:
    first, now = session.h_history[0], session.h
    return now <= first / 8, (f"h went from {first:g} to {now:g}: the secant's slope on x^2 is "
                              f"2x + h, so its error shrank from {first:g} to {now:g}")


def _bounces(session) -> tuple[bool, str]:
    xs = [float(r.x[0]) for r in session.focus.descent.trajectory]
    crossing = len(xs) > 3 and all(a * b < 0 and abs(b) >= abs(a) - 1e-12 for a, b in zip(xs, xs[1:]))
    return session.lr >= 1 and crossing, (f"lr {session.lr:g}, x = " + " -> ".join(f"{x:.3g}" for x in xs[:6])
                                          + ": every step jumps across 0 and gets no closer")


def _deep_well(session) -> tuple[bool, str]:
    lane = session.focus
    reached = lane.reached is not None and lane.objective.name == "double-well"
    where = f"reached the deep well x = -1.04 at step {lane.reached}" if reached else \
        f"x = {float(lane.last.x[0]):.4g}, not in the deep well (x = -1.04) yet"
    return session.optimizer == "momentum" and reached, f"{session.optimizer} at lr {session.lr:g}: {where}"


# --- checks on a training frame ------------------------------------------------------

def _accuracy(frame) -> float:
    return frame.evaluation.test_accuracy if frame.evaluation is not None else 0.0


def _line(frame) -> tuple[float, float] | None:
    return getattr(frame.output, "line", None)


def _line_fitted(tolerance: float) -> Check:
    def check(frame) -> tuple[bool, str]:
        line = _line(frame)
        if line is None:
            return False, "no line yet"
        m, b = line
        return abs(m - 2) <= 2 * tolerance and abs(b - 1) <= tolerance, (
            f"step {frame.step}: m = {m:.4f}, b = {b:.4f} (the data's line: m = 2, b = 1)")
    return check


def _parameters_and_hyper(frame) -> tuple[bool, str]:
    lr = frame.config.lr
    return lr != 0.01 and frame.step >= 1, (f"you set the hyperparameter lr to {lr:g}; {frame.step} "
                                            "step(s) changed the parameters (weights and biases)")


def _counted(frame) -> tuple[bool, str]:
    sizes = [2, *frame.config.hidden, 2]
    text = total_count_text(sizes, frame.config.batchnorm)
    return frame.config.batchnorm, f"{'-'.join(map(str, sizes))}: {text} (batch norm: γ and β per hidden unit)"


def _stepped(frame) -> tuple[bool, str]:
    """Stepped with the network view open: its traced sample's first layer shows the chain
    rule in numbers (dL/dz = f'(z) x dL/da)."""
    picture = frame.network
    if picture is None or frame.step < 1:
        return False, "open the network view (n) and step (s) while it shows"
    layer = picture.trace.layers[0]
    unit = int(abs(layer.dz).argmax())
    chain = bool(np.allclose(layer.dz, layer.fprime * layer.da, rtol=1e-12, atol=0.0))
    return chain, (f"step {picture.step}, {layer.name} unit {unit}: dL/dz = f'(z) × dL/da = "
                   f"{layer.fprime[unit]:.4g} × {layer.da[unit]:.4g} = {layer.dz[unit]:.4g}")


def _fixed(setting: str, value: Any, accuracy: float, by: int) -> Check:
    def check(frame) -> tuple[bool, str]:
        now, acc = getattr(frame.config, setting), _accuracy(frame)
        return now == value and acc >= accuracy and frame.step >= by, (
            f"step {frame.step}: {setting} {now}, test accuracy {acc:.1%} (promised {accuracy:.0%} by step {by:,})")
    return check


def _loss_mae(frame) -> tuple[bool, str]:
    ok, text = _line_fitted(0.03)(frame)
    return ok and frame.config.loss == "mae", f"loss {frame.config.loss}: {text}"


def _early_stop(frame) -> tuple[bool, str]:
    stopped = not frame.running and 100 < frame.step < 300
    loss = frame.evaluation.test_loss if frame.evaluation is not None else float("nan")
    return stopped, f"stopped at step {frame.step} with test loss {loss:.3g} (the plateau rule: no new best for 100 steps)"


def _clip_finite(frame) -> tuple[bool, str]:
    ok, text = _fixed("clip_mode", "norm", 0.9, 1000)(frame)
    return ok and frame.halted is None, text


def _batch_norm_alive(frame) -> tuple[bool, str]:
    return _fixed("batchnorm", True, 0.85, 1500)(frame)


LESSONS: tuple[Lesson, ...] = (
    Lesson("slopes", "Slopes and limits", "quadratic",
           "A derivative is the slope of a chord whose width h shrinks to nothing. On f = x^2 the "
           "chord from x to x + h has slope 2x + h: the limit is 2x.",
           ("d", "minus", "minus", "minus"), "the secant's error shrinks with h, 8 times over",
           _secant_closer, "f'(x) is the limit of (f(x+h) - f(x))/h as h goes to 0; for x^2 it is 2x."),
    Lesson("descent", "Gradient descent on x^2 and the learning rate", "quadratic",
           "Each step moves x against the slope: x <- x - lr f'(x) = (1 - 2 lr) x. Below lr 1 it "
           "closes in; at lr 1 it lands on -x and bounces for ever.",
           ("right_square_bracket",) * 4 + ("s",) * 4, "at lr 1, x jumps between 10 and -10",
           _bounces, "The lr is the step's size: too big and each step overshoots the minimum."),
    Lesson("line", "y = m x + b", "line-fit",
           "One linear neuron has two parameters, the slope m and the intercept b; gradient descent "
           "walks both to the line the data came from.",
           ("space",), "m and b within 1% of 2 and 1", _line_fitted(0.01),
           "A model is a formula with parameters; training finds the ones that fit."),
    Lesson("parameters", "Parameters and hyperparameters", "default",
           "Parameters (weights, biases) are what training changes; hyperparameters (the lr, the "
           "batch size, the layers) are what you choose. ] changes one; s lets training change the other.",
           ("right_square_bracket", "s"), "the lr is yours, the weights training's", _parameters_and_hyper,
           "You set hyperparameters; training sets parameters."),
    Lesson("counting", "Counting parameters", "default",
           "A layer of n neurons on m inputs has m x n weights and n biases: 2 inputs x 3 neurons is "
           "6 W + 3 b = 9. The status line counts them; N (batch norm) adds two per hidden unit.",
           ("N",), "the count grows by 2 per hidden unit", _counted,
           "Weights = inputs x neurons, plus one bias per neuron, per layer."),
    Lesson("activations", "Activations and their derivatives", "vanishing",
           "Backprop multiplies by f'(z) at every layer. Sigmoid's f' is at most 1/4, so six sigmoid "
           "layers pass back a tiny gradient; ReLU's is 1 wherever a unit is active. g shows them all.",
           ("g", "escape", "a", "a", "a", "space"), "relu: 90% test accuracy by step 1,500",
           _fixed("activation", "relu", 0.9, 1500), "An activation's slope is what backprop multiplies by."),
    Lesson("losses", "Losses", "outlier",
           "A loss scores a prediction: 15 for a target of 20 costs 5 under MAE and 25 under MSE. "
           "Squaring lets a few outliers drag the fit; M compares them all.",
           ("M", "escape", "m", "space"), "MAE's line within 3% of y = 2x + 1", _loss_mae,
           "MSE punishes big misses most; MAE counts every miss by its size."),
    Lesson("backprop", "The chain rule and backpropagation", "default",
           "The loss depends on a weight through every layer after it; the chain rule multiplies "
           "the local slopes back from the loss. n shows one sample's chain rule in numbers; s steps it.",
           ("n", "s"), "one step of backprop, seen in the network view", _stepped,
           "Backprop is the chain rule, applied layer by layer from the loss back."),
    Lesson("optimizers", "Optimizers", "double-well",
           "Plain SGD stops in the first well it rolls into. Momentum keeps a running velocity and "
           "can carry the point over a bump into a deeper well.",
           ("o", "space"), "momentum reaches the deep well at x = -1.04", _deep_well,
           "Momentum remembers where it was going; SGD only sees the slope here."),
    Lesson("exploding", "Exploding gradients and clipping", "exploding",
           "Weights drawn too large make each layer amplify the gradient, until it is NaN. Clipping "
           "caps the gradient's norm at 1.",
           ("space", "x", "space"), "finite loss and 90% test accuracy by step 1,000", _clip_finite,
           "Clip the gradient norm when updates blow up."),
    Lesson("dying", "Dying ReLU and batch norm", "batchnorm-dying",
           "A big lr knocks ReLU units below zero for every input, and a dead unit gets no gradient. "
           "Batch norm re-centres each unit's z on every batch, so it comes back.",
           ("s",) * 12 + ("N", "space"), "85% test accuracy 1,500 steps after N", _batch_norm_alive,
           "Dead ReLUs: lower the lr, use leaky_relu, or batch norm."),
    Lesson("epochs", "Too many epochs: overfitting and early stopping", "overfitting",
           "Trained long enough, a big network memorises its 50 points, noise and all: the train loss "
           "goes to 0 while the test loss climbs. Early stopping ends the run at the test loss's best.",
           ("U", "type:plateau:100", "enter"), "the run stops before step 300", _early_stop,
           "Stop when the test loss stops improving."),
    Lesson("batch", "Batch size", "batch-size",
           "A batch of 1 is one point's opinion: noisy steps, many per epoch. 32 averages the noise "
           "away; the full batch is smooth but one step per epoch.",
           ("b", "b", "space"), "batch 32: 75% test accuracy by step 1,000",
           _fixed("batch_size", 32, 0.75, 1000), "Bigger batches: smoother steps, fewer per epoch."),
    Lesson("digits", "A two-layer network on digits", "digits",
           "64 pixels in, 32 ReLU units, 10 classes out: the seeds' digit classifier on scikit-learn's "
           "8x8 digits (MNIST with gradtui --data). The output view shows what it mixes up.",
           ("space",), "90% test accuracy by step 300", _fixed("activation", "relu", 0.9, 300),
           "Everything above, together: a network that reads handwriting."),
)

COURSE: dict[str, Lesson] = {lesson.name: lesson for lesson in LESSONS}


def lesson_line(number: int, lesson: Lesson) -> str:
    """One line of ``gradtui learn --list``."""
    return f"{number:>2}  {lesson.name:<12} {lesson.title} ({lesson.scenario}; keys: {keys_text(lesson.keys)})"
