"""Draw your own data (as in ConvNetJS's 2-D demo): points added and removed by clicking on
the decision regions, saved as a CSV that ``gradtui run --data`` reads back.

Clicks edit the training set only; the test set stays as it was, so the held-out numbers
keep measuring the same thing while the learner reshapes what the network sees.
"""

from __future__ import annotations

import csv

import numpy as np

from gradtui.engine import Dataset
from gradtui.engine.atomic import atomic_write

MIN_POINTS = 2
"""A training set never shrinks below this many points by clicking."""


def drawable(data: Dataset) -> bool:
    """Points can be drawn on 2-D classification data (where the regions view shows)."""
    return data.task == "classification" and data.n_features == 2


def cell_point(extent: tuple[float, float, float, float], width: int, height: int,
               col: int, row: int) -> tuple[float, float]:
    """The data coordinates at the centre of character cell (``col``, ``row``) of a
    ``width`` x ``height`` view of ``extent`` (x0, x1, y0, y1; row 0 at the top)."""
    x0, x1, y0, y1 = extent
    return x0 + (col + 0.5) * (x1 - x0) / width, y1 - (row + 0.5) * (y1 - y0) / height


DRAWN = "drawn"
"""The name of a training set edited by hand (the event log's ``dataset xor -> drawn``)."""


def _named(data: Dataset, X: np.ndarray, y: np.ndarray) -> Dataset:
    return Dataset(X, y, data.X_test, data.y_test, DRAWN, data.task, data.n_classes)


def with_point(data: Dataset, x: float, y: float, label: int) -> Dataset:
    """``data`` with one more training point of class ``label`` at (``x``, ``y``)."""
    return _named(data, np.vstack([data.X_train, [[x, y]]]),
                  np.append(data.y_train, np.int64(label)))


def without_nearest(data: Dataset, x: float, y: float) -> tuple[Dataset, np.ndarray]:
    """``data`` without the training point nearest (``x``, ``y``), and that point.
    ``ValueError`` when only ``MIN_POINTS`` are left."""
    if len(data.X_train) <= MIN_POINTS:
        raise ValueError(f"the training set is down to {len(data.X_train)} points; "
                         "draw some before removing more")
    nearest = int(np.argmin(((data.X_train - [x, y]) ** 2).sum(axis=1)))
    keep = np.arange(len(data.X_train)) != nearest
    return _named(data, data.X_train[keep], data.y_train[keep]), data.X_train[nearest]


def write_points_csv(path: str, data: Dataset) -> int:
    """Every point, training then test, as ``x0,x1,label`` rows under a header (the format
    ``gradtui run --data`` reads), written atomically; returns the number of rows."""
    X = np.vstack([data.X_train, data.X_test])
    labels = np.concatenate([data.y_train, data.y_test])
    with atomic_write(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["x0", "x1", "label"])
        writer.writerows([repr(float(a)), repr(float(b)), int(c)] for (a, b), c in zip(X, labels))
    return len(X)
