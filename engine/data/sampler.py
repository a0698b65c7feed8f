"""Minibatch order: a fresh seeded permutation each epoch, the last batch may be short.

A tail shorter than ``min_batch`` joins the batch before it (batch norm cannot
normalise a single sample), so no step trains on fewer than ``min_batch`` samples.
"""

from __future__ import annotations

import numpy as np


class BatchSampler:
    """Hands out index arrays for successive minibatches, or None for the full batch."""

    def __init__(self, n: int, batch_size: int | None, rng: np.random.Generator,
                 min_batch: int = 1) -> None:
        self.n = n
        self.batch_size = batch_size
        self.min_batch = min_batch
        self.rng = rng
        self.perm = np.arange(n)
        self.pos = n  # forces a fresh permutation on the first batch

    @property
    def full_batch(self) -> bool:
        return self.batch_size is None or self.batch_size >= self.n

    def next(self) -> np.ndarray | None:
        """Indices of the next minibatch (None means: use every sample, in order)."""
        if self.full_batch:
            return None
        if self.pos >= self.n:
            self.perm = self.rng.permutation(self.n)
            self.pos = 0
        end = self.pos + self.batch_size
        if 0 < self.n - end < self.min_batch:
            end = self.n  # fold a tail too small to train on (batch norm needs 2) into this batch
        idx = self.perm[self.pos:end]
        self.pos += idx.size
        return idx

    def state(self) -> dict:
        """Everything needed to continue the exact same sequence of batches."""
        return {"perm": self.perm.copy(), "pos": self.pos, "rng": self.rng.bit_generator.state}

    def load_state(self, state: dict) -> None:
        self.perm = np.array(state["perm"], dtype=np.int64)
        self.pos = int(state["pos"])
        self.rng.bit_generator.state = state["rng"]
