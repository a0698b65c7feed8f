"""Twin mode's pace: two runs in two workers kept within a few steps of each other.

Twin mode trains A and B in parallel, each in a worker of its own (a process, or a
thread in the fallback). So that a pause can leave them at the same step quickly, and a
NaN/Inf in one can stop the other at the same step (``together``), each worker writes
its run's progress where the other reads it: a small file both map, one slot per run
(the step the run started from, and its step count and state in one 8-byte word, written
at once, so a reader never sees a step without the state that goes with it). A run never
gets more than ``lead`` steps (counted since each run's start) ahead of the other while
the other trains; with ``together`` the lead is one step and a run stops at the step the
other halted at.
"""

from __future__ import annotations

import mmap
import os
import tempfile

LEAD = 128
"""How many steps (since their starts) one twin run may get ahead of the other: enough
that scheduling jitter rarely makes the faster wait, few enough that levelling them at a
pause takes a moment."""
PAUSED, RUNNING, HALTED = 0, 1, 2
_STATES = 4  # a word is step * _STATES + state


def pace_file() -> str:
    """A new file for two runs' pace (the caller removes it when twin mode ends)."""
    handle, path = tempfile.mkstemp(prefix="gradtui-twin-", suffix=".pace")
    os.write(handle, bytes(4 * 8))
    os.close(handle)
    return path


class Pace:
    """One run's side of a pace file: ``slot`` 0 or 1 (the other run has the other)."""

    def __init__(self, path: str, slot: int, together: bool = False) -> None:
        with open(path, "r+b") as file:
            self._map = mmap.mmap(file.fileno(), 4 * 8)
        self._words = memoryview(self._map).cast("q")
        """Base, then step|state, of slot 0, then of slot 1. A memoryview rather than a NumPy
        array: each item read or written is one aligned 8-byte load or store, and a Python
        int at a tenth of NumPy's cost (read every step)."""
        self.path, self.slot, self.together = path, slot, together
        self.base = 0
        """The step this run last started from (progress is counted from it)."""

    @property
    def lead(self) -> int:
        """Together, A (slot 0) may be one step ahead and B none: B takes a step only once A
        has taken it, so a NaN in either stops both at the same step."""
        if self.together:
            return 1 if self.slot == 0 else 0
        return LEAD

    def write(self, step: int, state: int, start: bool = False) -> None:
        """This run's step count and state (``start``: it starts from this step)."""
        if start:
            self.base = step
            self._words[2 * self.slot] = step
        self._words[2 * self.slot + 1] = step * _STATES + state

    def _other(self) -> tuple[int, int]:
        """The other run's progress since its start, and its state."""
        other = 2 - 2 * self.slot
        word = self._words[other + 1]
        return word // _STATES - self._words[other], word % _STATES

    def may_step(self, progress: int) -> bool:
        """Whether this run, ``progress`` steps since its start, may take one more now: it is
        not ``lead`` ahead of the other, or the other does not train."""
        other, state = self._other()
        return state != RUNNING or progress < other + self.lead

    def stop_at(self) -> int | None:
        """With ``together``, when the other run halted: the progress to stop at (its own)."""
        if not self.together:
            return None
        other, state = self._other()
        return other if state == HALTED else None

    def close(self) -> None:
        self._words.release()
        self._map.close()
