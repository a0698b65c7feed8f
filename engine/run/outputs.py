"""What the output view shows, computed from a Trainer (in the training thread, under its lock).

- 2-D classification: predicted class and confidence on a grid (TensorFlow Playground's
  decision regions) plus the training points;
- 1-D regression: the fitted curve over the data's x range, plus the data (and, for a
  single linear neuron, its slope m and intercept b);
- anything else: accuracy per class, or R² per output for regression.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradtui.engine import Trainer, sigmoid, softmax

MARGIN = 0.05
"""Fraction of the data range added on each side of the plotted area."""


@dataclass(frozen=True)
class Regions:
    """Decision regions: ``classes``/``confidence`` have shape (rows, cols), row 0 at the top."""

    extent: tuple[float, float, float, float]  # x0, x1, y0, y1
    classes: np.ndarray
    confidence: np.ndarray
    points: np.ndarray
    labels: np.ndarray
    n_classes: int


@dataclass(frozen=True)
class Curve:
    """A 1-D regression fit: prediction ``y`` on the grid ``x``, and the data."""

    x: np.ndarray
    y: np.ndarray
    data_x: np.ndarray
    data_y: np.ndarray
    line: tuple[float, float] | None  # slope m and intercept b of a single linear neuron


@dataclass(frozen=True)
class Misread:
    """A held-out sample the network gets wrong: its label, the class predicted, and its
    pixels when the inputs are a square image (8x8 digits, 28x28 MNIST)."""

    index: int
    label: int
    predicted: int
    image: np.ndarray | None


@dataclass(frozen=True)
class Bars:
    """One bar in [0, 1] per class (accuracy) or per output (R²); for more than two classes,
    the confusion matrix (rows: label, columns: predicted) and the first misread samples."""

    title: str
    rows: tuple[tuple[str, float, str], ...]  # label, value, detail
    confusion: np.ndarray | None = None
    misread: tuple[Misread, ...] = ()


Output = Regions | Curve | Bars


def plane_extent(X: np.ndarray) -> tuple[float, float, float, float]:
    """The 2-D data's bounding box with a small margin: x0, x1, y0, y1."""
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = (hi - lo) * MARGIN + 1e-9
    return float(lo[0] - pad[0]), float(hi[0] + pad[0]), float(lo[1] - pad[1]), float(hi[1] + pad[1])


def plane_grid(extent: tuple[float, float, float, float], cols: int, rows: int) -> np.ndarray:
    """The centres of ``rows`` x ``cols`` cells over ``extent``, row 0 at the top, as (rows * cols, 2)."""
    x0, x1, y0, y1 = extent
    xs = x0 + (np.arange(cols) + 0.5) * (x1 - x0) / cols
    ys = y1 - (np.arange(rows) + 0.5) * (y1 - y0) / rows
    gx, gy = np.meshgrid(xs, ys)
    return np.column_stack([gx.ravel(), gy.ravel()])


def regions(trainer: Trainer, cols: int, rows: int) -> Regions:
    """Class and confidence at the centre of each of ``rows`` x ``cols`` cells."""
    data = trainer.data
    assert data.n_classes is not None, "decision regions are drawn for classification only"
    extent = plane_extent(data.X_train)
    with np.errstate(all="ignore"):
        out = trainer.predict(plane_grid(extent, cols, rows), raw=True)
        if out.shape[1] == 1:
            confidence = sigmoid(np.abs(out[:, 0]))
        else:
            confidence = softmax(out).max(axis=1)
        classes = trainer.classify(out)
    return Regions(extent, classes.reshape(rows, cols), confidence.reshape(rows, cols),
                   data.X_train, data.y_train, data.n_classes)


def single_neuron_line(trainer: Trainer) -> tuple[float, float] | None:
    """(m, b) when the model is one linear neuron y = m x + b, else None."""
    params = {p.name: p.value for p in trainer.model.parameters()}
    if trainer.model.sizes != [1, 1] or set(params) != {"layers.0.W", "layers.0.b"}:
        return None
    return float(params["layers.0.W"][0, 0]), float(params["layers.0.b"][0])


def curve(trainer: Trainer, points: int = 120) -> Curve:
    """The model's prediction across the training data's x range."""
    data = trainer.data
    lo, hi = float(data.X_train.min()), float(data.X_train.max())
    x = np.linspace(lo, hi, points)
    with np.errstate(all="ignore"):
        y = trainer.predict(x[:, None])[:, 0]
    return Curve(x, y, data.X_train[:, 0], data.y_train[:, 0], single_neuron_line(trainer))


def _held_out(trainer: Trainer) -> tuple[np.ndarray, np.ndarray, str]:
    data = trainer.data
    if len(data.X_test):
        return data.X_test, data.y_test, "test"
    return data.X_train, data.y_train, "train"


MISREAD_SHOWN = 12
"""The most misread samples a view keeps."""


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts (n_classes, n_classes): row = the label, column = the class predicted."""
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    ok = (predicted >= 0) & (predicted < n_classes)
    np.add.at(matrix, (labels[ok], predicted[ok]), 1)
    return matrix


def square_image(x: np.ndarray) -> np.ndarray | None:
    """The sample as a square picture when its length is a square number above 4, else None."""
    side = int(round(np.sqrt(x.size)))
    return x.reshape(side, side) if side * side == x.size and side > 2 else None


def class_bars(trainer: Trainer) -> Bars:
    """Accuracy per class on the test set (the train set when there is none); with more
    than two classes, the confusion matrix and the first samples it gets wrong."""
    X, y, split = _held_out(trainer)
    with np.errstate(all="ignore"):
        pred = trainer.predict(X)
    k_classes = trainer.data.n_classes
    assert k_classes is not None, "class bars are for classification only"
    rows = []
    for k in range(k_classes):
        mask = y == k
        n = int(mask.sum())
        acc = float((pred[mask] == k).mean()) if n else 0.0
        rows.append((f"class {k}", acc, f"{acc:6.1%} of {n}"))
    if k_classes <= 2:
        return Bars(f"{split} accuracy per class", tuple(rows))
    wrong = np.flatnonzero(pred != y)[:MISREAD_SHOWN]
    misread = tuple(Misread(int(i), int(y[i]), int(pred[i]), square_image(X[i])) for i in wrong)
    return Bars(f"{split} confusion: row = label, column = predicted", tuple(rows),
                confusion_matrix(y, pred, k_classes), misread)


def r2_bars(trainer: Trainer) -> Bars:
    """R² per output on the test set (the train set when there is none), floored at 0 for the bar."""
    X, y, split = _held_out(trainer)
    with np.errstate(all="ignore"):
        pred = trainer.predict(X)
        resid = ((pred - y) ** 2).sum(axis=0)
        total = ((y - y.mean(axis=0)) ** 2).sum(axis=0)
        r2 = 1 - resid / np.where(total > 0, total, 1.0)
    rows = tuple((f"output {i}", max(0.0, float(v)) if np.isfinite(v) else 0.0, f"R² {v:.3f}")
                 for i, v in enumerate(r2))
    return Bars(f"{split} R² per output", rows)


def compute_output(trainer: Trainer, cols: int, rows: int) -> Output:
    """The right view for this trainer's data, sized ``cols`` x ``rows`` cells for regions."""
    data = trainer.data
    if trainer.is_classification:
        if data.n_features == 2:
            return regions(trainer, max(cols, 1), max(rows, 1))
        return class_bars(trainer)
    if data.n_features == 1 and data.y_train.shape[1] == 1:
        return curve(trainer)
    return r2_bars(trainer)
