"""Twin mode on the training screen: ``t`` forks the run on show into A and B (and, in twin
mode, asks which run to keep), ``f`` does so from the first weights with the scenario's fix
in B, ``y`` sends the control keys to the other run, and the palette sets whether a NaN/Inf
in one run pauses both."""

from __future__ import annotations

from typing import Callable

from textual.screen import Screen

from gradtui.engine.run.events import Event
from gradtui.tui.train.painter import twin_frames
from gradtui.tui.train.runs_on_show import RunsOnShow
from gradtui.tui.train.session import Session
from gradtui.tui.train.twin import TwinRuns
from gradtui.tui.train.twin_view import KeepRunScreen


class TwinMode:
    """Enters and leaves twin mode on ``screen`` for the ``runs`` on show; ``train`` starts the
    screen's worker on a driver, ``redraw`` draws every pane anew."""

    def __init__(self, screen: Screen, runs: RunsOnShow, train: Callable[[Session | TwinRuns], object],
                 redraw: Callable[[], None]) -> None:
        self.screen = screen
        self.runs = runs
        self.train = train
        self.redraw = redraw

    @property
    def fix(self) -> dict | None:
        """The changes the scenario's hint names as its fix, if it has any."""
        return getattr(self.runs.scenario, "fix", None) or None

    def toggle(self) -> None:
        """Enter twin mode, or ask which run to keep and leave it."""
        twin = self.runs.twin
        if twin is None:
            self.enter()
        else:
            self.screen.app.push_screen(KeepRunScreen(twin_frames(twin), {"A": twin.a.running, "B": twin.b.running}),
                                        self.leave)

    def switch_side(self) -> None:
        twin = self.runs.twin
        if twin is not None:
            side = twin.switch()
            self.screen.notify(f"The keys now change run {side}.", timeout=2)
            self.redraw()

    def compare_fix(self) -> None:
        fix = self.fix
        if fix is None:
            self.screen.notify("This run has no scenario fix to compare with.", severity="warning")
            return
        if self.runs.twin is not None:
            self.screen.notify("Already in twin mode: t leaves it first.", severity="warning")
            return
        self.runs.session.reset()
        self.enter(fix)

    def toggle_pause_together(self) -> None:
        """Twin mode: whether a run halted by NaN/Inf pauses the other one too."""
        twin = self.runs.twin
        if twin is not None:
            twin.pause_together = not twin.pause_together
            state = "pauses both runs" if twin.pause_together else "stops that run alone"
            self.screen.notify(f"A NaN/Inf now {state}.", timeout=3)

    def enter(self, changes: dict | None = None) -> None:
        """Fork the run on show into A (this run) and B (an exact copy, then ``changes``);
        both train side by side from here, and the keys change B."""
        session = self.runs.session
        running = session.running
        session.pause()
        b = session.fork(f"{session.name}-B")
        twin = self.runs.twin = TwinRuns(session, b)
        b.attach(self.screen)
        self.screen.add_class("-twin")
        step = session.frame.step
        session.events.append(Event(step, "scenario", f"twin mode: B is an exact copy of A at step "
                                    f"{step}; the keys change B (y: A), t leaves"))
        if changes:
            b.change(dict(changes))
        if running and twin.start():
            self.train(twin)
        self.redraw()
        self.screen.call_after_refresh(self.redraw)  # once laid out: each run's pane has its twin-mode size

    def leave(self, keep: str | None) -> None:
        """Keep run ``keep`` ("A" or "B") as the run on show and drop the other; None stays."""
        twin = self.runs.twin
        if keep is None or twin is None:
            return
        running = twin.running
        twin.pause()
        twin.part(keep)
        kept, dropped = twin.sessions[keep], twin.sessions["B" if keep == "A" else "A"]
        dropped.attach(None)
        self.runs.twin = None
        self.screen.remove_class("-twin")
        self.runs.session = kept
        kept.attach(self.screen)
        kept.events.append(Event(kept.frame.step, "scenario",
                                 f"left twin mode: kept run {keep} ({kept.name}), the other dropped"))
        if running and kept.start():
            self.train(kept)
        self.redraw()
        self.screen.call_after_refresh(self.redraw)  # once laid out: the kept run's pane is whole again
