"""Dataset: train and test arrays plus what a trainer needs to know about them.

Both the toy generators and the real-data loaders build one; nothing here generates data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_CLASSES = 100
"""Integer-valued targets with at most this many distinct values are class labels."""

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
        check_test_fraction(test_fraction)
        if (X_test is None) != (y_test is None):
            raise ValueError("X_test and y_test must be given together, or neither to split X and y")
        X, y = _features(X, "X"), _targets(y, "y")
        _check_rows(X, y, "X", "y")
        if len(X) == 0:
            raise ValueError("X has no rows; need at least one training example")
        if X_test is None:
            X, y, X_test, y_test = split_rows(X, y, test_fraction, np.random.default_rng(seed))
        else:
            assert y_test is not None  # checked above: both or neither
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


def check_test_fraction(test_fraction: float) -> None:
    if not 0 <= test_fraction < 1:
        raise ValueError(f"test_fraction must be in [0, 1), got {test_fraction!r}")


def split_rows(
    X: np.ndarray, y: np.ndarray, test_fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle, then hold out round(N * test_fraction) rows (at least one row stays for training)."""
    n_test = min(len(X) - 1, round(len(X) * test_fraction))
    order = rng.permutation(len(X))
    test, train = order[:n_test], order[n_test:]
    return X[train], y[train], X[test], y[test]
