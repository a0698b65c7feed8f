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
        if self.batch_size is None or self.full_batch:
            return None
        if self.pos >= self.n:
            self.perm = self.rng.permutation(self.n)
            self.pos = 0
        end = self.pos + self.batch_size  # not None: full_batch returned above
        if 0 < self.n - end < self.min_batch:
            end = self.n  # fold a tail too small to train on (batch norm needs 2) into this batch
        idx = self.perm[self.pos:end]
        self.pos += idx.size
        return idx

    def state(self) -> dict:
        """Everything needed to continue the exact same sequence of batches."""
        return {"perm": self.perm.copy(), "pos": self.pos, "rng": self.rng.bit_generator.state}

    def load_state(self, state: dict) -> None:
        """Continue from ``state()``. Raises ValueError, changing nothing, unless ``perm`` is a
        permutation of range(n), ``pos`` is from 0 to n and ``rng`` a state of this generator."""
        perm, pos = np.asarray(state["perm"]), state["pos"]
        if (perm.shape != (self.n,) or perm.dtype.kind not in "iu"
                or np.bincount(perm.clip(0, self.n), minlength=self.n + 1)[:self.n].min(initial=1) != 1):
            raise ValueError(f"batch order must be a permutation of the {self.n} training samples, "
                             f"got {perm.dtype} {perm.shape}")
        if isinstance(pos, bool) or not isinstance(pos, (int, np.integer)) or not 0 <= pos <= self.n:
            raise ValueError(f"batch position must be from 0 to {self.n}, got {pos!r}")
        generator = type(self.rng.bit_generator)()
        try:
            generator.state = state["rng"]
            valid = generator.state == state["rng"] and state["rng"]["has_uint32"] in (0, 1)
        except (TypeError, ValueError, KeyError, OverflowError):
            valid = False
        if not valid:
            raise ValueError(f"not a valid {type(generator).__name__} random-generator state")
        self.perm = perm.astype(np.int64)
        self.pos = int(pos)
        self.rng.bit_generator.state = state["rng"]
