"""How long each unit has been dead, saturated or alive: the step since which it has been so."""

from __future__ import annotations

import numpy as np


class UnitSince:
    """Per layer, the step from which each unit has been in its current state.

    The Trainer replaces its ``unit_states`` list each time it probes, so ``update`` only
    compares states when it is handed a new list: a few array comparisons per probe.
    """

    def __init__(self, states: list[np.ndarray], step: int) -> None:
        self.restart(states, step)

    def restart(self, states: list[np.ndarray], step: int) -> None:
        """Forget the past (a reset or rewind): every unit counts from ``step``."""
        self._seen = states
        self._states = [s.copy() for s in states]
        self.since = [np.full(len(s), step, dtype=np.int64) for s in states]

    def update(self, states: list[np.ndarray], step: int) -> None:
        """Record ``states`` as probed at ``step``."""
        if states is self._seen:
            return
        if [len(s) for s in states] != [len(s) for s in self._states]:  # the network was reshaped
            self.restart(states, step)
            return
        self._seen = states
        for since, old, new in zip(self.since, self._states, states):
            since[new != old] = step
            old[...] = new
