"""Twin mode's driver: runs A and B, two Sessions trained in lockstep by one worker.

Run B is a fork of run A (``Session.fork``: the same weights, optimizer state, batch order
and past), so whatever differs between them from then on is what was changed. Each run
keeps its own Timeline, frames, events, rewind, save and NaN halt: a run that goes
non-finite stops alone, and the other trains on, unless ``pause_together`` is set. The
keys that change a run go to ``selected`` (``side``, switched with ``switch``).

Threading: the worker ``claim``s both sessions, then calls each running one's ``tick`` in
turn (A, then B: lockstep), and ``release``s a run as soon as it stops, so the keys
pressed for a stopped run are applied at once rather than when the other one stops.
While both run, B publishes a frame exactly when A does, after the same step, and only
B's wakes the screen: one redraw per pair of frames, the two at the same step.
"""

from __future__ import annotations

from typing import Callable

from gradtui.tui.train import apart
from gradtui.tui.train.session import Session

SIDES = ("A", "B")


class TwinRuns:
    """Sessions A and B, and which of them the keys change."""

    def __init__(self, a: Session, b: Session, side: str = "B") -> None:
        self.sessions = {"A": a, "B": b}
        a.follower = b  # B publishes with A, one frame of each per pair of steps
        self.side = side
        """The run the control keys change: "A" or "B"."""
        self.pause_together = False
        """When True, a run halted by NaN/Inf pauses the other as well."""

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

    def part(self) -> None:
        """Leaving twin mode: each session goes on (or is dropped) on its own."""
        self.a.follower = None

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
        return any(s.busy for s in self.sessions.values())

    def start(self) -> bool:
        """Mark both runs running (one already running stays so); True if either is now."""
        for session in self.sessions.values():
            session.start()
        return self.running

    def pause(self) -> None:
        for session in self.sessions.values():
            session.pause()

    def step(self) -> None:
        """One step of each run (when paused)."""
        for session in self.sessions.values():
            session.step()

    def run(self, cancelled: Callable[[], bool]) -> None:
        """Train both runs in lockstep until both stop or ``cancelled()`` (worker thread)."""
        claimed = [(s, run_id) for s in self.sessions.values()
                   if (run_id := s.claim()) is not None]
        try:
            with self.a.trainer.blas_limit, self.b.trainer.blas_limit:  # once for the loop
                while claimed and not cancelled():
                    apart.drive(claimed, lambda stop: self._lockstep(claimed, stop), cancelled)
                    for session, run_id in list(claimed):
                        if session.is_current(run_id):
                            continue
                        claimed.remove((session, run_id))
                        session.release(run_id)
                        if self.pause_together and session.halted is not None:
                            self.pause()
        finally:
            for session, run_id in claimed:
                session.release(run_id)

    @staticmethod
    def _lockstep(claimed: list[tuple[Session, int]], stop: Callable[[], bool]) -> None:
        """A step of each run in turn until one of them stops (or ``stop()``): B publishes
        when A did, after the same step."""
        while not stop() and all(session.is_current(run_id) for session, run_id in claimed):
            published = None  # whether A made a frame in this pair: B then does too
            for session, _ in claimed:
                published = session.tick(published)
        for session, _ in claimed:
            session.note_stop()
