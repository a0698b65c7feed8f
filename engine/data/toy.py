"""Toy datasets: TensorFlow Playground's circle, xor, gauss and spiral, plus moons, linear, outlier and sine.

The 2-D classification generators follow TensorFlow Playground's ``src/dataset.ts``
(label +1 becomes class 1, label -1 class 0), so a network that works there works here.
Every generator draws from the ``rng`` it is given alone: same seed, same data.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

ToyGenerator = Callable[[int, float, np.random.Generator], tuple[np.ndarray, np.ndarray]]
"""(n, noise, rng) -> (X, y) with y already in its final dtype and shape."""



def _halves(n: int) -> tuple[int, int]:
    """Class sizes (positive, negative) summing to n."""
    return n - n // 2, n // 2


def _block_labels(n_pos: int, n_neg: int) -> np.ndarray:
    return np.concatenate([np.ones(n_pos, np.int64), np.zeros(n_neg, np.int64)])


def _circle(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Disc of radius 2.5 (class 1) inside a ring 3.5..5 (class 0); noise flips labels, not points."""
    radius = 5.0
    n_in, n_out = _halves(n)
    r = np.concatenate([rng.uniform(0, radius * 0.5, n_in), rng.uniform(radius * 0.7, radius, n_out)])
    angle = rng.uniform(0, 2 * np.pi, n)
    points = np.column_stack([r * np.sin(angle), r * np.cos(angle)])
    judged = points + rng.uniform(-radius, radius, (n, 2)) * noise
    return points, (np.hypot(judged[:, 0], judged[:, 1]) < radius * 0.5).astype(np.int64)


def _xor(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Quadrants: class 1 where x*y >= 0; points kept 0.3 off the axes; noise flips labels, not points."""
    points = rng.uniform(-5, 5, (n, 2))
    points += np.where(points > 0, 0.3, -0.3)
    judged = points + rng.uniform(-5, 5, (n, 2)) * noise
    return points, (judged[:, 0] * judged[:, 1] >= 0).astype(np.int64)


def _gauss(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Blobs at (2, 2) (class 1) and (-2, -2) (class 0); variance 0.5 at noise 0, 4 at noise 0.5."""
    std = np.sqrt(0.5 + 7.0 * noise)
    n_pos, n_neg = _halves(n)
    points = np.concatenate([rng.normal(2, std, (n_pos, 2)), rng.normal(-2, std, (n_neg, 2))])
    return points, _block_labels(n_pos, n_neg)


def _spiral(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved arms of 1.75 turns out to radius 5, the class-0 arm rotated by pi."""
    counts = _halves(n)
    arms = []
    for count, delta in zip(counts, (0.0, np.pi)):
        i = np.arange(count) / count
        t = 1.75 * i * 2 * np.pi + delta
        arms.append(np.column_stack([5 * i * np.sin(t), 5 * i * np.cos(t)]))
    points = np.concatenate(arms) + rng.uniform(-1, 1, (n, 2)) * noise
    return points, _block_labels(*counts)


def _moons(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's ``make_moons`` (inner moon class 1), centred and scaled by 2.5.

    ``noise`` is the Gaussian std in make_moons' own units (before scaling), so noise=0.2
    looks like ``make_moons(noise=0.2)``; the result spans about [-3.75, 3.75] x [-1.9, 1.9].
    """
    n_in, n_out = _halves(n)
    t_in, t_out = np.linspace(0, np.pi, n_in), np.linspace(0, np.pi, n_out)
    points = np.concatenate([
        np.column_stack([1 - np.cos(t_in), 0.5 - np.sin(t_in)]),
        np.column_stack([np.cos(t_out), np.sin(t_out)]),
    ])
    points += rng.normal(0, noise, points.shape)
    return (points - (0.5, 0.25)) * 2.5, _block_labels(n_in, n_out)


def _linear(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """y = 2x + 1 + N(0, noise) on x ~ U(-1, 1): the slope-and-intercept example."""
    x = rng.uniform(-1, 1, (n, 1))
    return x, 2 * x + 1 + rng.normal(0, noise, (n, 1))


OUTLIER_EVERY = 20
OUTLIER_OFFSET = 15.0


def _outlier(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The line y = 2x + 1 + N(0, noise), with every twentieth point 15 above it: the outliers
    that drag a squared-error fit and not an absolute-error one."""
    x, y = _linear(n, noise, rng)
    y[::OUTLIER_EVERY] += OUTLIER_OFFSET
    return x, y


def _sine(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """y = sin(x) + N(0, noise) on x ~ U(-pi, pi)."""
    x = rng.uniform(-np.pi, np.pi, (n, 1))
    return x, np.sin(x) + rng.normal(0, noise, (n, 1))


GENERATORS: dict[str, tuple[ToyGenerator, str, int]] = {
    "circle": (_circle, "classification", 500),
    "xor": (_xor, "classification", 500),
    "gauss": (_gauss, "classification", 500),
    "spiral": (_spiral, "classification", 500),
    "moons": (_moons, "classification", 500),
    "linear": (_linear, "regression", 100),
    "outlier": (_outlier, "regression", 100),
    "sine": (_sine, "regression", 200),
}
