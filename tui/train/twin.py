"""Twin mode's driver: runs A and B, two runs of one worker trained in lockstep.

Run B is a fork of run A (``Session.fork``: the same weights, optimizer state, batch order
and past, made inside the worker), so whatever differs between them from then on is what
was changed. Each run keeps its own Timeline, frames, events, rewind, save and NaN halt:
a run that goes non-finite stops alone, and the other trains on, unless
``pause_together`` is set. The keys that change a run go to ``selected`` (``side``,
switched with ``switch``). The worker steps A, then B, and B makes a frame exactly when
A does, after the same step; the screen is woken once for both.
"""

from __future__ import annotations

from typing import Callable

from gradtui.engine.run import commands as c
from gradtui.tui.train.session import Session

SIDES = ("A", "B")


class TwinRuns:
    """Sessions A and B (one worker's two runs), and which of them the keys change."""

    def __init__(self, a: Session, b: Session, side: str = "B") -> None:
        self.sessions = {"A": a, "B": b}
        self.side = side
        """The run the control keys change: "A" or "B"."""
        self._together = False

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
        """When True, a run halted by NaN/Inf pauses the other as well."""
        return self._together

    @pause_together.setter
    def pause_together(self, on: bool) -> None:
        self._together = on
        self.a.worker.send(self.a.run_id, c.PauseTogether(on), wait=True)

    def part(self) -> None:
        """Leaving twin mode: the two runs go on (or are dropped) on their own."""

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
        """Start both runs from the same step boundary; True if either runs now."""
        started = self.a.worker.send(self.a.run_id, c.Start(everyone=True), wait=True)
        for session in self.sessions.values():
            if session.run_id in started:
                session.began(started[session.run_id])
        return self.running

    def pause(self) -> None:
        """Pause both runs after the same step."""
        if self.running:
            for session in self.sessions.values():
                session.paused()
            self.a.worker.send(self.a.run_id, c.Pause(everyone=True), wait=True)

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
