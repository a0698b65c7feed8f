"""Session: a screen's handle on one run, which lives in a worker (``gradtui.engine.run``).

Every method is a command (``commands``) sent to the worker; nothing here touches a
Trainer. While the run is paused a command waits until it is applied (a millisecond or
so: the worker replies after the frame it leads to), so the screen shows its outcome on
its next paint; while it runs, commands go without waiting and are applied between two
steps. The worker's news (``News``) replace ``frame`` wholesale and add to ``events``,
then ``FrameReady`` wakes the screen (``Publisher``, coalescing).
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import deque
from dataclasses import replace
from typing import Any, Callable

from gradtui.engine import MLP, Snapshot, Trainer
from gradtui.engine.curvature.lr_finder import RangeTest
from gradtui.engine.run import commands as c
from gradtui.engine.run.commands import View
from gradtui.engine.run.events import EVENTS_KEPT, Event
from gradtui.engine.run.frame import Frame
from gradtui.engine.run.network_picture import NetworkRequest
from gradtui.engine.run.run import Run
from gradtui.engine.run.timeline import Timeline
from gradtui.engine.run.worker import News, Worker, start_worker
from gradtui.engine.train.ladders import Climb, Cycle, NextLoss
from gradtui.tui.widgets.publisher import Publisher

__all__ = ["Session", "View"]

WORKER = "thread"
"""The worker a Session gets unless told: the app asks for "process" (``GradtuiApp``)."""


class Session(Publisher):
    """A run as a screen drives it; see the module docstring."""

    def __init__(self, trainer: Trainer, name: str = "default",
                 clock: Callable[[], float] = time.perf_counter, timeline: Timeline | None = None,
                 worker: str | None = None) -> None:
        run = Run(trainer, name, clock, timeline)
        self._setup(name, run.frame, run.view)
        self.events.extend(run.drain_events())
        self._join(start_worker({0: run}, worker or WORKER), 0)

    def _setup(self, name: str, frame: Frame, view: View) -> None:
        Publisher.__init__(self)
        self.name = name
        self.frame: Frame = frame
        self.view = view
        self.events: deque[Event] = deque(maxlen=EVENTS_KEPT)
        self.draw_class = 0
        """The class a click on the decision regions adds a point of."""
        self.watching = False
        """Whether the run follows a scenario's prediction."""
        self._locked = False
        self._starts = 0  # the run's Start this handle sent last
        self._stopped_starts = 0  # the newest Start the worker said had stopped
        self._running = False
        self._stopped = threading.Event()
        self._stopped.set()
        self._news_lock = threading.Lock()  # news (the worker's thread) against ``began``

    def _join(self, worker: Worker, run_id: int) -> None:
        self.worker = worker
        self.run_id = run_id
        worker.listen(run_id, self)
        weakref.finalize(self, worker.forget, run_id)  # the worker ends with the last handle on it

    # --- what the worker says (from its thread) ----------------------------------------

    def receive(self, news: News) -> None:
        """News of the run: a new frame, events, whether it runs."""
        if news.frame is not None:
            self.frame = news.frame
        self.events.extend(news.events)
        self.draw_class = news.draw_class
        if not news.running:
            with self._news_lock:
                self._stopped_starts = max(self._stopped_starts, news.starts)
                if news.starts == self._starts:
                    self._running = False
                    self._stopped.set()

    def lost(self, why: str) -> None:
        """The worker is gone: the run stops, and the screen says why."""
        self.events.append(Event(self.frame.step, "error", f"{why}; the run is stopped"))
        self._running = False
        self._stopped.set()
        self.announce()

    # --- read by the screen -----------------------------------------------------------

    @property
    def running(self) -> bool:
        """True from ``start`` until a pause, a NaN halt, a "run until" stop or an error."""
        return self._running

    @property
    def busy(self) -> bool:
        """Whether the worker still has work for the run: it runs, or a paused change's
        costly evaluation is still due."""
        return self._ask(c.Busy())

    @property
    def halted(self) -> Any:
        """The non-finite flag that stopped the last run (from the newest frame)."""
        return self.frame.halted

    @property
    def timeline(self) -> Timeline:
        """The run's timeline (and with it ``trainer``) as it is now: the worker's own object
        when it is a thread, a copy from a process (``Latest``). For reading."""
        return self._ask(c.Latest())

    @property
    def trainer(self) -> Trainer:
        """The run's Trainer as it is now (see ``timeline``). For reading."""
        return self.timeline.trainer

    @property
    def snapshot_steps(self) -> list[int]:
        """The steps ``rewind`` can go back to, oldest first."""
        return self.timeline.snapshot_steps

    @property
    def locked(self) -> bool:
        """True in a locked app (``--lock``): what the run says names only the keys it runs."""
        return self._locked

    @locked.setter
    def locked(self, locked: bool) -> None:
        self._locked = locked
        self._send(c.Lock(locked))

    def drain_events(self) -> list[Event]:
        """Events since the last call, oldest first."""
        out = []
        while self.events:
            out.append(self.events.popleft())
        return out

    def set_view(self, view: View) -> None:
        """Compute outputs and histories for the screen's current size (when paused, a frame
        at the new size comes at once, once the worker is up)."""
        if view != self.view:  # never waiting for a worker still starting: the first paint
            self.view = view
            self.worker.send(self.run_id, c.SetView(view), wait=not self._running and self.worker.started)

    def look(self, request: NetworkRequest | None) -> None:
        """Put a picture of the network (tracing ``request.sample``) in every frame from now
        on; None stops."""
        self.set_view(replace(self.view, network=request))

    def inspection_copy(self) -> tuple[MLP, int, list[Snapshot]]:
        """A replica of the network, its step and the snapshots so far, taken between two
        steps: the screen's thread can measure it (the loss surface) while training goes on."""
        return self._ask(c.InspectionCopy())

    def lr_range_test(self, steps: int = 100, start: float = 1e-6, end: float = 10.0) -> RangeTest:
        """``Trainer.lr_range_test`` from the run's latest state, on a fork: the run stays as
        it is. Blocks while it runs."""
        return self._ask(c.LrRangeTest(steps, start, end))

    def check_until(self, until: str) -> None:
        """``ValueError`` (one line) when the run cannot stop on ``until``."""
        why = self._ask(c.CheckUntil(until))
        if why is not None:
            raise ValueError(why)

    # --- run control ------------------------------------------------------------------

    def start(self) -> bool:
        """Start the run (False if it runs already); ``run`` then follows it."""
        if self._running:
            return False
        self.began(self.worker.send(self.run_id, c.Start(), wait=True)[self.run_id])
        return True

    def began(self, starts: int) -> None:
        """The run was started (its ``starts``-th start); it runs until the worker says not
        (which it may have said already: a run that stops at its first step)."""
        with self._news_lock:
            self._starts = starts
            if self._stopped_starts < starts:
                self._stopped.clear()
                self._running = True

    def paused(self) -> None:
        """The run was asked to stop (by this handle, or with every run of its worker)."""
        self._running = False

    def pause(self) -> None:
        """Stop the run after its current step."""
        if self._running:
            self._running = False
            self._send(c.Pause())

    def run(self, cancelled: Callable[[], bool]) -> None:
        """Wait (a screen's worker thread) until the run stops, or pause it when ``cancelled()``."""
        while not self._stopped.wait(0.05):
            if cancelled():
                self.pause()
        self._running = False
        self._ask(c.Busy())  # returns once the worker has shown the run as of its stop

    def step(self) -> None:
        """One training step (one minibatch), when paused."""
        if not self._running:
            self._send(c.Step())

    def fork(self, name: str) -> "Session":
        """A new run, in a new worker of the same kind, that continues this one's exact
        state with a copy of its past: twin mode's run B."""
        timeline = self._ask(c.Fork(name))
        twin = Session(timeline.trainer, name, timeline=timeline, worker=self.worker.kind)
        twin.set_view(self.view)
        return twin

    def drop(self) -> None:
        """No more news of this run: its worker ends (a twin left behind)."""
        self.worker.forget(self.run_id)

    def change(self, move: Climb | Cycle | NextLoss | dict[str, Any]) -> None:
        """A control key's ``move`` (computed from the config when applied, so two quick
        presses move two rungs), or settings set to these values."""
        if isinstance(move, dict):
            self._send(c.Change(tuple(move.items())))
        else:
            self._send(c.Shift(move))

    def apply_range_test(self, test: RangeTest) -> None:
        """Set the lr to the range test's suggestion (nothing else changes) and say so."""
        self._send(c.UseRangeTest(test.suggestion))

    def cancel_range_test(self) -> None:
        """Say that a range test was left without applying it (the run never moved)."""
        self._send(c.UseRangeTest(None))

    def run_until(self, until: str) -> None:
        """From now on, pause (and say why) at the first step where ``until`` holds."""
        self.check_until(until)
        self._send(c.RunUntil(until))

    def reset(self) -> None:
        """Back to the first weights (same seed, same batches), keeping the controls."""
        self._send(c.Reset())

    def rewind(self) -> None:
        """Back to the newest snapshot older than the current step, keeping the controls."""
        self._send(c.Rewind())

    def save_checkpoint(self, directory: str = ".") -> None:
        """A checkpoint in a new file in ``directory``; the event log names it."""
        self._send(c.Save(directory))

    def share(self, directory: str = ".") -> None:
        """The run as a settings file that replays it from step 0, in a new file."""
        self._send(c.Share(directory))

    def export_network(self, fmt: str, directory: str = ".") -> None:
        """The network as ``fmt`` (torch, numpy or json) in a new file."""
        self._send(c.Export(fmt, directory))

    def draw_point(self, x: float, y: float, remove: bool = False) -> None:
        """A training point of class ``draw_class`` at (``x``, ``y``), or (``remove``) the one
        nearest it taken away; the run goes on with the new training set."""
        self._send(c.DrawPoint(float(x), float(y), remove))

    def next_draw_class(self) -> None:
        """Draw points of the next class from now on."""
        self._send(c.NextDrawClass())

    def save_points(self, directory: str = ".") -> None:
        """Every point in a new CSV that ``gradtui run --data`` reads."""
        self._send(c.SavePoints(directory))

    def watch_prediction(self, scenario: str | None) -> None:
        """Follow the question of the scenario named ``scenario`` from the next step on
        (None: no question); call before training starts."""
        self.watching = scenario is not None
        self._send(c.WatchPrediction(scenario))

    def _send(self, command: c.Command) -> None:
        """``command`` to the run: waited for while paused, so its outcome is on screen next
        (but for those that change nothing shown: the first screen never waits for its worker)."""
        quiet = isinstance(command, (c.Lock, c.WatchPrediction))
        self.worker.send(self.run_id, command, wait=not (self._running or quiet))

    def _ask(self, request: c.Request) -> Any:
        return self.worker.send(self.run_id, request, wait=True)
