"""Snapshot: everything that determines the rest of a run, as plain arrays and dicts.

``Trainer.snapshot`` makes one, ``Trainer.restore`` rewinds to it, and checkpoints map one
to a file and back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gradtui.engine.data.dataset import Dataset
from gradtui.engine.train.changes import Change


@dataclass
class Snapshot:
    """Everything that determines the rest of a run; ``Trainer.restore`` rewinds to it exactly."""

    config: dict[str, Any]
    step: int
    samples_seen: int
    weights: np.ndarray
    buffers: dict[str, np.ndarray]
    optimizer: dict[str, Any]
    sampler: dict[str, Any]
    unit_states: list[np.ndarray]
    probe_due: bool
    changes: tuple[Change, ...] = ()
    dataset: Dataset | None = None  # the data trained on (shared, never copied); None: as the config says
