"""Twin mode's driver: runs A and B, each in a worker of its own, trained in parallel.

Run B is a fork of run A (``Session.fork``: the same weights, optimizer state, batch order
and past, copied out of A's worker into a new one), so whatever differs between them from
then on is what was changed. Each run keeps its own Timeline, frames, events, rewind,
save and NaN halt: a run that goes non-finite stops alone, and the other trains on,
unless ``pause_together`` is set (then the other stops at the same step). The keys that
change a run go to ``selected`` (``side``, switched with ``switch``).

The two workers train side by side (two cores), kept within ``pace.LEAD`` steps of each
other by a shared ``Pace``. A pause stops both, then brings the one behind up to the
other with exact steps (``CatchUp``), so the screen compares them at the same step: both
have made as many steps since they started as the one ahead had.
"""

from __future__ import annotations

import os
from typing import Callable

from gradtui.engine.run import commands as c
from gradtui.engine.run.pace import pace_file
from gradtui.tui.train.session import Session

SIDES = ("A", "B")


class TwinRuns:
    """Sessions A and B (two workers' runs, paced), and which of them the keys change."""

    def __init__(self, a: Session, b: Session, side: str = "B") -> None:
        self.sessions = {"A": a, "B": b}
        self.side = side
        """The run the control keys change: "A" or "B"."""
        self._together = False
        self._offset = 0  # B's step minus A's when both last started
        path = pace_file()
        for slot, session in enumerate(self.sessions.values()):
            session.worker.send(session.run_id, c.Pair(path, slot), wait=True)
        self._left = _unlinked(path)
        """The pace file's path if it is still to be removed (when twin mode ends)."""

    @property
    def a(self) -> Session:
        return self.sessions["A"]

    @property
    def b(self) -> Session:
        return self.sessions["B"]

    @property
    def selected(self) -> Session:
        """The session the control keys change."""
        return self.sessions[self.side]

    @property
    def pause_together(self) -> bool:
        """When True, a run halted by NaN/Inf stops the other at the same step."""
        return self._together

    @pause_together.setter
    def pause_together(self, on: bool) -> None:
        self._together = on
        for session in self.sessions.values():
            session.worker.send(session.run_id, c.PauseTogether(on), wait=True)

    def part(self, keep: str | None = None) -> None:
        """Leaving twin mode: run ``keep`` goes on alone, the other's worker ends (both
        end with ``keep`` None: the screen shows another run)."""
        for side, session in self.sessions.items():
            if side == keep:
                session.worker.send(session.run_id, c.Pair(""), wait=True)
            else:
                session.drop()
        if self._left is not None:
            os.remove(self._left)

    def switch(self) -> str:
        """Send the control keys to the other run; returns its side."""
        self.side = "A" if self.side == "B" else "B"
        return self.side

    def side_of(self, session: Session) -> str:
        return next(side for side, s in self.sessions.items() if s is session)

    @property
    def running(self) -> bool:
        return any(s.running for s in self.sessions.values())

    @property
    def busy(self) -> bool:
        """Whether the worker still has work for either run."""
        return any(s.busy for s in self.sessions.values())

    def start(self) -> bool:
        """Start both runs (paused, they stand where the last pause levelled them); True
        if either runs now."""
        self._offset = self.b.frame.step - self.a.frame.step  # a paused run's frame is its state
        for session in self.sessions.values():
            session.start()
        return self.running

    def pause(self) -> None:
        """Pause both runs, then level them: the one behind takes exact steps up to the
        other (a halted run stays where it halted)."""
        if not self.running:
            return
        stopped = {}
        for side, session in self.sessions.items():
            session.paused()
            stopped[side] = session.worker.send(session.run_id, c.Pause(), wait=True)
        a, b = stopped["A"], stopped["B"] - self._offset  # B's step in A's count
        if a != b:
            behind = self.a if a < b else self.b
            target = max(a, b) + (self._offset if behind is self.b else 0)
            if behind.halted is None:
                behind.worker.send(behind.run_id, c.CatchUp(target), wait=True)

    def step(self) -> None:
        """One step of each run (when paused)."""
        for session in self.sessions.values():
            session.step()

    def run(self, cancelled: Callable[[], bool]) -> None:
        """Wait (a screen's worker thread) until both runs stop, or pause them when ``cancelled()``."""
        def stop() -> bool:
            if cancelled():
                self.pause()
                return True
            return False

        for session in self.sessions.values():
            session.run(stop)


def _unlinked(path: str) -> str | None:
    """Remove the pace file once both workers have mapped it, so that none is left behind
    however the app ends (the mapping outlives the name); where the platform refuses to
    remove a mapped file (Windows), its path, for ``TwinRuns.part``."""
    try:
        os.remove(path)
    except PermissionError:
        return path
    return None
