"""What the training screen shows: one run and the scenario it is from, or twin mode's two
runs (``TwinMode`` forks and parts them). It knows which run the control keys change and what
space starts and pauses, and tells each run which screen its frames wake."""

from __future__ import annotations

from textual.message_pump import MessagePump

from gradtui.engine import Scenario
from gradtui.engine.run.events import Event
from gradtui.tui.train.session import Session
from gradtui.tui.train.twin import TwinRuns


class RunsOnShow:
    """The run on show (in twin mode, run A), its scenario, and twin mode's runs."""

    def __init__(self, session: Session, scenario: Scenario | None, screen: MessagePump) -> None:
        self.session = session
        """The run on show; in twin mode, run A."""
        self.scenario = scenario
        self.twin: TwinRuns | None = None
        """Twin mode's runs A (``session``) and B, or None outside twin mode."""
        self._screen = screen

    @property
    def target(self) -> Session:
        """The run the control keys (and reset, rewind, save) act on."""
        return self.twin.selected if self.twin is not None else self.session

    @property
    def driver(self) -> Session | TwinRuns:
        """What space starts and pauses: the session, or both twin runs."""
        return self.twin if self.twin is not None else self.session

    @property
    def sessions(self) -> tuple[Session, ...]:
        """Every run on show: the session, or twin mode's A and B."""
        return tuple(self.twin.sessions.values()) if self.twin is not None else (self.session,)

    def shows(self, session: object) -> bool:
        """Whether ``session`` is one of the runs on show."""
        return session is self.session or (self.twin is not None and session is self.twin.b)

    def wakes(self, publisher: object) -> bool:
        """Whether a frame of ``publisher`` redraws the screen. In twin mode, while B runs
        only B's frames do (each redraw shows both runs' newest), so two workers cost one
        screen's redraws."""
        twin = self.twin
        if twin is None:
            return publisher is self.session
        return publisher is twin.b or publisher is twin.a and not twin.b.running

    def drain_events(self) -> list[Event]:
        """New events; in twin mode each tagged with its run (``A: ...``)."""
        if self.twin is None:
            return self.session.drain_events()
        return [Event(e.step, e.kind, f"{side}: {e.text}")
                for side, session in self.twin.sessions.items() for e in session.drain_events()]

    def replace(self, session: Session, scenario: Scenario | None) -> None:
        """Show another run (a new scenario or a rebuilt config); the old one is paused."""
        self.driver.pause()
        if self.twin is not None:
            self.twin.part()
        self.detach()
        self.twin = None
        self.session, self.scenario = session, scenario
        session.attach(self._screen)

    def detach(self) -> None:
        """No run on show wakes the screen from now on."""
        for session in self.sessions:
            session.attach(None)
