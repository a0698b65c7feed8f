"""Datasets: the ``Dataset`` container, arrays-to-dataset import and the toy generators.

The 2-D classification generators follow TensorFlow Playground's ``src/dataset.ts``
(label +1 becomes class 1, label -1 class 0), so a network that works there works here.
Every generator draws from ``np.random.default_rng(seed)`` alone: same seed, same data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

MAX_CLASSES = 100
"""Integer-valued targets with at most this many distinct values are class labels."""

ToyGenerator = Callable[[int, float, np.random.Generator], tuple[np.ndarray, np.ndarray]]


@dataclass
class Dataset:
    """Train and test arrays plus what a trainer needs to know about them.

    Features are float64 of shape (N, d). Targets are int64 class indices 0..K-1 of
    shape (N,) for classification, float64 of shape (N, 1) for regression.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    name: str
    task: str
    n_classes: int | None

    @property
    def n_features(self) -> int:
        """Number of input features d."""
        return int(self.X_train.shape[1])

    @classmethod
    def from_arrays(
        cls,
        X: np.ndarray,
        y: np.ndarray,
        X_test: np.ndarray | None = None,
        y_test: np.ndarray | None = None,
        test_fraction: float = 0.5,
        seed: int = 0,
        name: str = "arrays",
    ) -> "Dataset":
        """Build a dataset from user arrays, inferring the task from the targets.

        X may be 1-D (one feature) or have any trailing shape (images are flattened).
        Integer-valued targets with at most ``MAX_CLASSES`` distinct values are class
        labels, remapped to 0..K-1 in sorted order; anything else is regression. Without
        a test set, a ``test_fraction`` share is split off after a seeded shuffle.
        """
        _check_test_fraction(test_fraction)
        if (X_test is None) != (y_test is None):
            raise ValueError("X_test and y_test must be given together, or neither to split X and y")
        X, y = _features(X, "X"), _targets(y, "y")
        _check_rows(X, y, "X", "y")
        if len(X) == 0:
            raise ValueError("X has no rows; need at least one training example")
        if X_test is None:
            X, y, X_test, y_test = _split(X, y, test_fraction, np.random.default_rng(seed))
        else:
            X_test, y_test = _features(X_test, "X_test"), _targets(y_test, "y_test")
            _check_rows(X_test, y_test, "X_test", "y_test")
            if X_test.shape[1] != X.shape[1]:
                raise ValueError(
                    f"X_test has {X_test.shape[1]} features but X has {X.shape[1]}; they must match"
                )
        task, n_classes, targets = _encode_targets(np.concatenate([y, y_test]))
        return cls(X, targets[: len(y)], X_test, targets[len(y):], name, task, n_classes)


def _features(X: np.ndarray, what: str) -> np.ndarray:
    """``X`` as finite float64 of shape (N, d): 1-D becomes one column, more dims are flattened."""
    X = np.asarray(X)
    if X.dtype.kind not in "biuf":
        raise ValueError(f"{what} must be numeric, got dtype {X.dtype}")
    if X.ndim == 0:
        raise ValueError(f"{what} must be an array of examples, got a scalar")
    X = X.astype(np.float64, copy=False)
    X = X.reshape(len(X), int(np.prod(X.shape[1:]))) if X.ndim > 1 else X[:, None]
    if X.shape[1] == 0:
        raise ValueError(f"{what} has shape {X.shape}; need at least one feature")
    if not np.isfinite(X).all():
        raise ValueError(f"{what} contains NaN or infinite values; all features must be finite")
    return X


def _targets(y: np.ndarray, what: str) -> np.ndarray:
    """``y`` as finite float64 of shape (N,), accepting (N,) or (N, 1)."""
    y = np.asarray(y)
    if y.dtype.kind not in "biuf":
        raise ValueError(f"{what} must be numeric, got dtype {y.dtype}")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"{what} must have shape (N,) or (N, 1), got {y.shape}")
    y = y.astype(np.float64)
    if not np.isfinite(y).all():
        raise ValueError(f"{what} contains NaN or infinite values; all targets must be finite")
    return y


def _check_rows(X: np.ndarray, y: np.ndarray, x_name: str, y_name: str) -> None:
    if len(X) != len(y):
        raise ValueError(f"{x_name} has {len(X)} rows but {y_name} has {len(y)}; they must match")


def _encode_targets(y: np.ndarray) -> tuple[str, int | None, np.ndarray]:
    """(task, n_classes, targets) for 1-D float targets, see ``Dataset.from_arrays``."""
    values = np.unique(y)
    if len(values) > MAX_CLASSES or not np.array_equal(values, np.round(values)):
        return "regression", None, y.reshape(-1, 1)
    if len(values) < 2:
        raise ValueError(
            f"the targets hold the single class {values[0]:g}; "
            "classification needs at least 2 classes, regression needs non-integer targets"
        )
    return "classification", len(values), np.searchsorted(values, y).astype(np.int64)


def _check_test_fraction(test_fraction: float) -> None:
    if not 0 <= test_fraction < 1:
        raise ValueError(f"test_fraction must be in [0, 1), got {test_fraction!r}")


def _split(
    X: np.ndarray, y: np.ndarray, test_fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle, then hold out round(N * test_fraction) rows (at least one row stays for training)."""
    n_test = min(len(X) - 1, round(len(X) * test_fraction))
    order = rng.permutation(len(X))
    test, train = order[:n_test], order[n_test:]
    return X[train], y[train], X[test], y[test]


# --- toy generators: (n, noise, rng) -> (X, y) with y already in its final dtype and shape ---


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


def _sine(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """y = sin(x) + N(0, noise) on x ~ U(-pi, pi)."""
    x = rng.uniform(-np.pi, np.pi, (n, 1))
    return x, np.sin(x) + rng.normal(0, noise, (n, 1))


_GENERATORS: dict[str, tuple[ToyGenerator, str, int]] = {
    "circle": (_circle, "classification", 500),
    "xor": (_xor, "classification", 500),
    "gauss": (_gauss, "classification", 500),
    "spiral": (_spiral, "classification", 500),
    "moons": (_moons, "classification", 500),
    "linear": (_linear, "regression", 100),
    "sine": (_sine, "regression", 200),
}

DATASETS = tuple(sorted([*_GENERATORS, "digits"]))
"""Every name ``make_dataset`` accepts."""


def make_dataset(
    name: str, n: int | None = None, noise: float = 0.0, seed: int = 0, test_fraction: float = 0.5
) -> Dataset:
    """Generate the named toy dataset (or load ``digits``), shuffled and split by ``test_fraction``.

    ``n`` defaults to 500 for classification, 100 for linear, 200 for sine. ``noise`` is
    TensorFlow Playground's slider / 100 (0 to 0.5 there; larger values are allowed) for
    the Playground sets, and the Gaussian std for moons, linear and sine.
    ``digits`` is fixed real data: it takes neither ``n`` nor ``noise``.
    """
    if name == "digits":
        if n is not None or noise:
            raise ValueError("the digits dataset is fixed real data: leave n unset and noise at 0")
        from .realdata import load_digits  # imported here: realdata builds on this module

        return load_digits(test_fraction, seed)
    if name not in _GENERATORS:
        raise ValueError(f"unknown dataset {name!r}; valid: {', '.join(DATASETS)}")
    generate, task, default_n = _GENERATORS[name]
    n = default_n if n is None else n
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 4:
        raise ValueError(f"n must be an integer >= 4, got {n!r}")
    if not (np.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise must be a finite number >= 0 (Playground uses 0 to 0.5), got {noise!r}")
    _check_test_fraction(test_fraction)
    rng = np.random.default_rng(seed)
    X, y = generate(int(n), float(noise), rng)
    n_classes = 2 if task == "classification" else None
    return Dataset(*_split(X, y, test_fraction, rng), name, task, n_classes)
