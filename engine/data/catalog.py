"""The dataset catalog: every name ``make_dataset`` accepts, toy or real."""

from __future__ import annotations

import numpy as np

from gradtui.engine.data.dataset import Dataset, check_test_fraction, split_rows
from gradtui.engine.data.files import load_digits
from gradtui.engine.data.toy import GENERATORS

DATASETS = tuple(sorted([*GENERATORS, "digits"]))
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
        return load_digits(test_fraction, seed)
    if name not in GENERATORS:
        raise ValueError(f"unknown dataset {name!r}; valid: {', '.join(DATASETS)}")
    generate, task, default_n = GENERATORS[name]
    n = default_n if n is None else n
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 4:
        raise ValueError(f"n must be an integer >= 4, got {n!r}")
    if not (np.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise must be a finite number >= 0 (Playground uses 0 to 0.5), got {noise!r}")
    check_test_fraction(test_fraction)
    rng = np.random.default_rng(seed)
    X, y = generate(int(n), float(noise), rng)
    n_classes = 2 if task == "classification" else None
    return Dataset(*split_rows(X, y, test_fraction, rng), name, task, n_classes)
