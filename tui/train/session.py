"""Session: the driver of one Trainer for the app, from a worker thread or one step at a time.

It owns the worker loop and the queue of control changes; what happened is kept by a
``Timeline`` (history, snapshots, rewind) and shown as a ``Frame`` (``build_frame``),
published to the screen with a coalescing ``FrameReady`` message (``Publisher``).

Threading contract. While the worker runs, only the worker touches the Trainer; it
holds ``_lock`` for each step and applies queued changes between steps. On Linux the
worker's loop runs in a forked child process (``apart``): the frames come up a pipe, and
a queued change first brings the run's state back, is applied here, and the run goes on
in a new child; ``latest`` is how another thread reads the Trainer while it runs. When no
worker runs, the UI thread applies changes itself, under the same lock. Either way
a change goes through ``_submit``, so key presses while training are applied safely
between two steps, in order. The UI never waits on training: at most every
``PUBLISH_EVERY`` seconds the session replaces ``frame`` (immutable) wholesale and posts
``FrameReady``; the screen then reads ``frame`` and drains ``events``. The UI tells the
session its pane sizes with ``set_view`` (one immutable value, swapped atomically).

Evaluation (a forward pass over both full sets) and the output view can cost far more
than a step on big data (MNIST-sized: ~0.5 s against ~3 ms). While training they are
spaced by their measured cost so they take a bounded share of the worker's time
(``EVALUATE_SHARE``, ``OUTPUT_SHARE``; the sharpness pane's λmax, ``SHARPNESS_SHARE``). When paused, a key press applies its change on
the UI thread (cheap) and, if that work costs more than ``UI_BUDGET``, hands the
evaluation to a short-lived thread that owns the Trainer meanwhile; presses made in
that time queue and are applied by it (at once, unless it is mid-evaluation), so the
screen never waits on an evaluation.
"""

from __future__ import annotations

import os
import shlex
import threading
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Callable, Iterator

from gradtui.engine import MLP, Flag, Snapshot, TrainConfig, Trainer, Twin
from gradtui.engine.inspect.replica import refreshed, replica
from gradtui.engine.atomic import atomic_write
from gradtui.engine.train.model_export import export_model, file_suffix
from gradtui.engine.train.replay import recipe, to_toml
from gradtui.engine.train.changes import describe, show_setting
from gradtui.engine.predictions import Prediction, Watch
from gradtui.engine.train.stop import Stopper, parse_until
from gradtui.engine.curvature.lr_finder import RangeTest

from gradtui.engine.run.network_picture import NetworkPicture, NetworkRequest, network_picture
from gradtui.tui.train import apart
from gradtui.engine.run.drawing import DRAWN, drawable, with_point, without_nearest, write_points_csv
from gradtui.engine.run.frame import DEAD, SATURATED, Frame, LayerView, build_frame
from gradtui.engine.run.outputs import Output, compute_output
from gradtui.engine.run.timeline import CONTROLS, FlagTracker, Timeline, thin
from gradtui.engine.run.events import EVENTS_KEPT, Event
from gradtui.engine.train.ladders import LadderEnd
from gradtui.tui.widgets.publisher import Publisher

__all__ = [  # Frame, LayerView, Event, format_setting and the rest are re-exported for old imports
    "CONTROLS", "DEAD", "SATURATED", "Event", "FlagTracker", "Frame", "LayerView", "Session",
    "View", "format_setting", "next_due", "reserve_path", "thin",
]
format_setting = show_setting  # the one setting formatter is the engine's; the old name still imports

PUBLISH_EVERY = 1 / 12
"""Seconds between frames while training. A little over 10 Hz, so that scheduling jitter
never drops the visible update rate below 10 per second."""
EVALUATE_EVERY = 0.25
EVALUATE_SHARE = 0.1
"""While training, evaluation takes at most this share of the worker's time."""
OUTPUT_EVERY = 0.5
OUTPUT_SHARE = 0.05
"""While training, the output view takes at most this share of the worker's time."""
NETWORK_EVERY = 0.15
NETWORK_SHARE = 0.05
"""While training, the network view's picture (when asked for) is made anew at most every
``NETWORK_EVERY`` seconds and takes at most this share of the worker's time."""
SHARPNESS_EVERY = 0.2
SHARPNESS_SHARE = 0.1
"""While training with the sharpness pane open, measuring λmax (``SharpnessRecord``) takes
at most this share of the worker's time, and happens at most every ``SHARPNESS_EVERY``
seconds."""
UI_BUDGET = 0.02
"""Seconds of evaluation and output a key press may cost the UI thread when paused;
costlier work moves to a background thread."""
QUIET = 0.3
"""That thread waits for a pause this long in the key presses before it evaluates, so a
burst of presses is applied as they come and evaluated once."""


@dataclass(frozen=True)
class View:
    """What the screen needs computed at its size: the output grid (columns, rows) and
    the buckets per plotted history."""

    output_size: tuple[int, int] = (40, 24)
    plot_points: int = 240
    network: NetworkRequest | None = None
    """The network view's request for a picture in every frame; None when it is closed."""
    sharpness: bool = False
    """Whether the sharpness pane is open: λmax is measured and sent in every frame."""


class Session(Publisher):
    """Drives a Trainer for the app; see the module docstring for threading."""

    def __init__(self, trainer: Trainer, name: str = "default",
                 clock: Callable[[], float] = time.perf_counter, timeline: Timeline | None = None) -> None:
        super().__init__()
        self.trainer = trainer
        self.name = name
        self.timeline = timeline if timeline is not None else Timeline(trainer)
        self.follower: Session | None = None
        """Twin mode's run B, for run A: while B runs it publishes right after A in each pair
        of steps (``tick(publish=...)``) and its frame wakes the screen for both, so A's does
        not wake a screen that B's will."""
        self.view = View()
        self.events: deque[Event] = deque(maxlen=EVENTS_KEPT)
        self.stopped_at = 0.0
        """When the training loop last stopped stepping (``clock`` seconds; for benchmarks)."""
        self._lock = threading.Lock()
        self._pending: deque[Callable[[], None]] = deque()
        self._poke = threading.Event()  # set when a press is queued for a worker
        self._workers = 0
        self._run_id: int | None = None
        self._runs = 0
        self._output: Output | None = None
        self._halted: Flag | None = None
        self._nothing_older: int | None = None  # the step "nothing older" was last said at
        self.watch: Watch | None = None
        """The scenario's prediction, followed step by step until its evidence shows."""
        self._stopper: Stopper | None = None
        self.draw_class = 0
        """The class a click on the decision regions adds a point of."""
        self.locked = False
        """True in a locked app (``--lock``): what the run says names only the keys it runs."""
        self._serial = 0
        self._rate = 0.0
        self._clock = clock
        self._rate_mark = (clock(), trainer.step_count)
        self._network: NetworkPicture | None = None
        self._network_twin: MLP | None = None
        """The replica the network view's pictures are computed on, reused (``refreshed``)."""
        self._next = {"publish": 0.0, "evaluate": 0.0, "output": 0.0, "network": 0.0, "sharpness": 0.0}
        self._cost = {"evaluate": 0.0, "output": 0.0, "network": 0.0, "sharpness": 0.0}
        self.apart = True
        """Train in a child process where the platform allows (``apart.APART``), so that the
        UI's drawing never takes time from training; False: in the worker thread."""
        self._apart: apart.Child | None = None
        """The child process training this run now, if one does."""
        self._held = 0
        """Readers waiting for, or holding, the latest state (``latest``)."""
        with self._lock:
            self._refresh()

    # --- read by the UI -------------------------------------------------------------

    @property
    def running(self) -> bool:
        """True from ``start`` until a pause, a NaN halt or a cancelled worker."""
        return self._run_id is not None

    @property
    def busy(self) -> bool:
        """True while a thread (``run``, or a background evaluation) owns the Trainer."""
        return self._workers > 0

    @property
    def halted(self) -> Flag | None:
        """The non-finite flag that stopped the last run, until the next start or restore."""
        return self._halted

    @property
    def snapshot_steps(self) -> list[int]:
        """The steps ``rewind`` can go back to, oldest first."""
        return self.timeline.snapshot_steps

    def drain_events(self) -> list[Event]:
        """Events since the last call, oldest first."""
        out = []
        while self.events:
            out.append(self.events.popleft())
        return out

    def set_view(self, view: View) -> None:
        """Compute outputs and histories for the screen's current size: while training from
        the next frame on; when paused at once (a frame at the new size is published)."""
        if view == self.view:
            return
        self.view = view  # one reference swapped: the worker reads either the old or the new
        self._submit(partial(setattr, self, "view", view))  # (for a child training apart) then a refresh

    def look(self, request: NetworkRequest | None) -> None:
        """Put a picture of the network (tracing ``request.sample``) in every frame from now
        on; None stops. When paused, a frame with it is published at once."""
        self.set_view(replace(self.view, network=request))

    def inspection_copy(self) -> tuple[MLP, int, list[Snapshot]]:
        """A replica of the network, its step and the snapshots so far, taken between two
        steps: another thread can then measure it (the loss surface) while training goes on."""
        with self.latest():
            return replica(self.trainer.model), self.trainer.step_count, list(self.timeline.snapshots)

    @contextmanager
    def latest(self) -> Iterator[None]:
        """Hold the lock at a moment when ``trainer`` and ``timeline`` are the run's latest
        state, between two steps: a child training apart first hands its state back, and
        goes on (a new child) only after this ends."""
        self._held += 1
        try:
            while (child := self._apart) is not None:
                child.ask_back()
                time.sleep(apart.POLL)
            with self._lock:
                yield
        finally:
            self._held -= 1

    # --- run control ----------------------------------------------------------------

    def start(self) -> bool:
        """Mark the session running; the caller then runs ``run`` in a worker thread."""
        if self._run_id is not None:
            return False
        self._runs += 1
        self._run_id = self._runs
        self._halted = None
        return True

    def pause(self) -> None:
        """Ask the worker to stop after its current step."""
        self._run_id = None
        self._call_back()

    def _call_back(self) -> None:
        """A child training apart: stop after the current step, so that the worker applies
        what changed (a pause, a press) to the latest state."""
        child = self._apart
        if child is not None:
            child.ask_back()

    def run(self, cancelled: Callable[[], bool]) -> None:
        """Train until paused, halted by a non-finite step, or ``cancelled()`` (worker thread)."""
        run_id = self.claim()
        if run_id is None:
            return
        try:
            with self.trainer.blas_limit:  # set once for the loop; each step's own limit is then free
                while self.is_current(run_id) and not cancelled():  # apart: again after each press
                    apart.drive([(self, run_id)], lambda stop: self._loop(run_id, stop), cancelled)
        finally:
            self.release(run_id)

    def _loop(self, run_id: int, stop: Callable[[], bool]) -> None:
        while self.is_current(run_id) and not stop():
            self.tick()
        self.note_stop()

    def note_stop(self) -> None:
        """Record that the training loop stopped stepping now (``stopped_at``)."""
        self.stopped_at = self._clock()

    # --- the worker loop, in parts (``run``, or one worker driving two sessions) -------

    def claim(self) -> int | None:
        """Take the Trainer for a worker: returns the run's id, None when not running."""
        run_id = self._run_id
        if run_id is not None:
            with self._lock:
                self._workers += 1
                self._rate_mark = (self._clock(), self.trainer.step_count)
        return run_id

    def is_current(self, run_id: int) -> bool:
        """True while the run ``run_id`` has been neither paused, halted nor restarted."""
        return self._run_id == run_id

    def tick(self, publish: bool | None = None) -> bool:
        """One turn of the worker: queued changes, one step, and a frame when one is due
        (``publish``: when the caller says so instead, as twin mode's B does with A's).
        Returns whether it published. An engine failure ends the run (an error line in the
        event log), not the app."""
        try:
            with self._lock:
                if self._pending:
                    self._drain()
                self._advance()
                if self._clock() >= self._next["publish"] if publish is None else publish:
                    self._catch_up()
                    self._publish()
                    return True
        except Exception as exc:
            self._run_id = None
            self._emit("error", f"training stopped by an error: {exc!r}")
        return False

    def release(self, run_id: int) -> None:
        """Give the Trainer back after ``claim(run_id)`` (applies what is queued, evaluates)."""
        with self._lock:
            if self._run_id == run_id:
                self._run_id = None
        self._settle()

    def check_until(self, until: str) -> Stopper:
        """The stop conditions in ``until`` for this run; ``ValueError`` in one line if bad."""
        return Stopper(parse_until(until), self.trainer)

    def run_until(self, until: str) -> None:
        """From now on, pause (and say why) at the first step where ``until`` holds."""
        stopper = self.check_until(until)

        def apply() -> None:  # between two steps, as every change (a run apart has its own copy)
            self._stopper = stopper
            self._emit("control", f"run until {until}")
        self._submit(apply)

    def step(self) -> None:
        """One training step (one minibatch), when not running; a person stepping by hand
        sees this step's unit states."""
        if not self.running:
            self._submit(lambda: self._advance(probe=True))

    def fork(self, name: str) -> "Session":
        """A new session whose Trainer continues this run's exact state (``Twin.from_trainer``)
        with a copy of its past: twin mode's run B. Changes still queued here are applied first."""
        with self.latest():
            self._drain()
            trainer = Twin.from_trainer(self.trainer).b
            twin = Session(trainer, name, self._clock, self.timeline.fork(trainer))
        twin.view = self.view
        return twin

    # --- changes (applied between steps) --------------------------------------------

    def change(self, compute: Callable[[TrainConfig], dict[str, Any]]) -> None:
        """Change controls to ``compute(current config)``, evaluated when applied, so two
        quick presses move two rungs. ``compute`` may raise ``LadderEnd`` to say why
        nothing changes."""
        self._submit(partial(self._apply_change, compute))

    def lr_range_test(self, steps: int = 100, start: float = 1e-6, end: float = 10.0) -> RangeTest:
        """``Trainer.lr_range_test`` from the run's latest state: it trains a fork, so the
        run (weights, optimizer state, batch order) stays as it is. Blocks while it runs."""
        with self.latest():
            return self.trainer.lr_range_test(steps, start, end)

    def apply_range_test(self, test: RangeTest) -> None:
        """Set the lr to the range test's suggestion (nothing else changes) and say so."""
        def apply() -> None:
            step = self.trainer.step_count
            self._apply_change(lambda config: {"lr": test.suggestion})
            self._emit("control", f"lr range test applied: lr {show_setting('lr', test.suggestion)} (a tenth "
                                  "of the lr at the lowest smoothed loss); only the lr changed: the run "
                                  f"goes on from the weights of step {step}, as they were before the test")
        self._submit(apply)

    def cancel_range_test(self) -> None:
        """Say that a range test was left without applying it (the run never moved)."""
        self._submit(lambda: self._emit("control", "lr range test cancelled: the run is as it was "
                                                   "(the test trained a copy)"))

    def reset(self) -> None:
        """Back to the session's first weights (same seed, same batches), keeping the controls."""
        self._submit(self._apply_reset)

    def rewind(self) -> None:
        """Back to the newest snapshot older than the current step, keeping the controls."""
        self._submit(self._apply_rewind)

    def save_checkpoint(self, directory: str = ".") -> None:
        """Write a checkpoint to a new file in ``directory``; the event log names it."""
        self._submit(lambda: self._apply_save(directory))

    def share(self, directory: str = ".") -> None:
        """Write the run as a settings file that replays it from step 0 (every change with its
        step, ``replay.recipe``) to a new file in ``directory``; the event names the command."""
        self._submit(lambda: self._apply_share(directory))

    def export_network(self, fmt: str, directory: str = ".") -> None:
        """Write the network as ``fmt`` (torch, numpy or json; ``model_export``) to a new file."""
        self._submit(lambda: self._apply_export(fmt, directory))

    def _submit(self, apply: Callable[[], None]) -> None:
        """Apply ``apply`` now, or queue it for the thread that owns the Trainer."""
        if self._workers:
            child = self._apart
            if child is not None and not self._pending and child.forward(self, apply):
                return  # applied by the child training apart, between two of its steps
            self._pending.append(apply)
            self._poke.set()
            self._call_back()
            return
        self._pending.append(apply)
        with self._lock:
            self._drain()
            if self.running:  # the worker is about to take over, and evaluates on its schedule
                self._publish()
                return
            if not self._costly:
                self._refresh()
                return
            self._publish()  # the change shows at once; its evaluation follows
            self._workers += 1
        threading.Thread(target=self._settle, name="gradtui-evaluate", daemon=True).start()

    def _settle(self) -> None:
        """Apply what is queued and evaluate its outcome until nothing is left, then let go
        of the Trainer (the last act of a thread counted in ``_workers``)."""
        while True:
            with self._lock:
                self._drain()
                if not self.running:
                    self._publish()
            if not self.running and self._costly and self._poke.wait(QUIET):
                self._poke.clear()
                continue
            with self._lock:
                self._drain()
                if not self.running:
                    self._refresh()
                if not self._pending or self._workers > 1:  # the other worker applies them
                    self._workers -= 1
                    return

    @property
    def _costly(self) -> bool:
        sharpness = self._cost["sharpness"] if self.view.sharpness else 0.0
        return self._cost["evaluate"] + self._cost["output"] + sharpness > UI_BUDGET

    def _drain(self) -> None:
        if self._apart is not None:  # the state is with a child: the presses wait for it
            self._call_back()
            return
        while self._pending:
            self._pending.popleft()()

    # --- under the lock --------------------------------------------------------------

    def _emit(self, kind: str, text: str, path: str | None = None) -> None:
        self.events.append(Event(self.trainer.step_count, kind, text, path))

    def watch_prediction(self, prediction: Prediction | None) -> None:
        """Follow ``prediction``'s evidence from the next step on (None: no question);
        call before training starts."""
        self.watch = prediction.watch() if prediction is not None else None

    def _advance(self, probe: bool = False) -> None:
        stats = self.trainer.step(probe=probe)
        self.events.extend(self.timeline.record_step(stats))
        if self.watch is not None and self.watch.see(self.trainer, stats):
            self._emit("prediction", f"the run shows the answer: {self.watch.reveal.evidence}")
        if not stats.applied:
            self._halt(stats.flagged("nonfinite")[0])
        elif self._stopper is not None:
            self._check_stop(stats)

    def _check_stop(self, stats) -> None:
        """Pause at the step a "run until" condition holds (evaluating every step if it needs to)."""
        evaluation = None
        if self._stopper.evaluates:
            evaluation = self.trainer.evaluate()
            self.timeline.record_evaluation(evaluation)
        stop = self._stopper.check(stats, evaluation)
        if stop is not None:
            self._stopper = None
            self._run_id = None
            self._emit("stop", stop.line())

    def _halt(self, flag: Flag) -> None:
        self._run_id = None
        self._halted = flag
        back = self.timeline.before_trouble().step
        if self.locked:  # x and [ do nothing here
            self._emit("nan", f"NaN/Inf in {flag.layer}: {flag.detail}. Paused. The presenter holds "
                              "the controls: u rewinds, r resets to the first weights")
            return
        self._emit("nan", f"NaN/Inf in {flag.layer}: {flag.detail}. Paused. Way out: x (clip) or "
                          f"[ (lower lr), then space: a change made now applies from step {back}, "
                          "before the blow-up")

    def _apply_change(self, compute: Callable[[TrainConfig], dict[str, Any]]) -> None:
        config = self.trainer.config
        try:
            changes = compute(config)
        except LadderEnd as end:
            self._emit("limit", str(end))
            return
        changed = {k: v for k, v in changes.items() if getattr(config, k) != v}
        if not changed:
            return
        if self._halted is not None:  # the weights here are already ruined: go back first
            self._back_before_trouble()
        self.timeline.remember(pin=True)
        self.timeline.remember()
        model = self.trainer.model
        try:
            change = self.trainer.update(**changed)
        except ValueError as exc:
            self._emit("error", str(exc))
            return
        if self.trainer.model is not model:  # reshaped: the last step's layers are not these
            self.timeline.last = None
            self._next["output"] = 0.0
        self.timeline.mark()
        self._emit("control", change.text if change else ", ".join(
            f"{k} {show_setting(k, getattr(config, k))} -> {show_setting(k, v)}" for k, v in changed.items()))

    def _back_before_trouble(self) -> None:
        halted_at = self.trainer.step_count
        since = self.timeline.exploding_since
        target = self.timeline.restore_before_trouble()
        self._forget_readings()
        cause = f"the gradients blew up at step {since}" if since is not None else "the NaN"
        self._emit("rewind", f"NaN at step {halted_at}: back to step {target.step}, the last "
                             f"snapshot before {cause}; the change applies from there, controls kept")

    def _forget_readings(self) -> None:
        """After a restore: the halt and the output showed the abandoned future."""
        self._halted = None
        self._output = None
        self._stopper = None  # its plateau count saw the abandoned future
        self._next["evaluate"] = self._next["output"] = self._next["sharpness"] = 0.0

    def _apply_reset(self) -> None:
        before = self.trainer.config
        initial = self.timeline.reset()
        self._forget_readings()
        if self.watch is not None and not self.watch.revealed:  # watch the new run from its start
            self.watch = self.watch.prediction.watch()
        if initial.step == 0:
            self._emit("reset", f"reset to step 0: same seed, same initial weights"
                                f"{undone(before, self.trainer.config)}, controls kept")
        else:
            self._emit("reset", f"reset to step {initial.step} (the loaded checkpoint), "
                                "controls kept")

    def _apply_rewind(self) -> None:
        step, before = self.trainer.step_count, self.trainer.config
        target = self.timeline.rewind()
        if target is None:
            if self._nothing_older != step:  # said once, not on every further press
                self._nothing_older = step
                self._emit("rewind", f"nothing older than step {step} to rewind to")
            return
        self._forget_readings()
        self._emit("rewind", f"rewound from step {step} to step {target.step}{undone(before, self.trainer.config)}, "
                             "controls kept (lr, activation, optimizer, clipping, batch)")

    def _apply_save(self, directory: str) -> None:
        path = self._new_file("checkpoint", directory, ".npz", self.trainer.save)
        if path is not None:
            self._emit("checkpoint", f"checkpoint saved: {path}", path)

    def _apply_share(self, directory: str) -> None:
        step = self.trainer.step_count
        try:
            config = recipe(self.trainer)
        except ValueError as exc:
            if self.trainer.data.name == DRAWN:  # say what the app offers instead, with its keys
                exc = ValueError("drawn points are data, not settings, and a settings file holds "
                                 "settings only; w saves the run (a checkpoint), D the points (a CSV "
                                 "that gradtui run --data reads)")
            self._emit("error", f"run not shared: {exc}")
            return

        def write(path: str) -> None:
            name = os.path.basename(path)
            _write_text(path, to_toml(config, [
                f"gradtui run {self.name!r}, shared at step {step}: its settings at step 0 and every "
                "change since, with its step.",
                f"Replay it in the app:        {share_command(name)}",
                f"The same numbers, headless:  gradtui run --config {shlex.quote(name)} --steps {step}"]))

        path = self._new_file("share", directory, ".toml", write)
        if path is not None:
            self._emit("share", f"shared as {path}: {share_command(path)} replays this run from step 0 "
                                f"(the same numbers up to step {step})", path)

    def _apply_export(self, fmt: str, directory: str) -> None:
        try:
            text = export_model(self.trainer, fmt, source=f"the app's run {self.name!r}")
        except ValueError as exc:
            self._emit("error", f"network not exported: {exc}")
            return
        path = self._new_file("export", directory, file_suffix(fmt),
                              lambda p: _write_text(p, text))
        if path is not None:
            self._emit("export", f"network exported ({fmt}): {path}", path)

    def _new_file(self, what: str, directory: str, suffix: str,
                  write: Callable[[str], None]) -> str | None:
        """A new file ``gradtui-<run>-step<N><suffix>`` in ``directory`` (never an existing one),
        filled by ``write(path)``; its path, or None after an error event (the system refused,
        or a name the file's format cannot hold, such as a path that is not UTF-8 in TOML)."""
        path = None
        try:
            path = reserve_path(os.path.abspath(directory),
                                f"gradtui-{self.name}-step{self.trainer.step_count}", suffix)
            write(path)
        except (OSError, ValueError) as exc:
            if path is not None and os.path.exists(path):
                os.remove(path)
            self._emit("error", f"{what} not written: {exc}")
            return None
        return os.path.relpath(path) if directory == "." else path

    # --- drawing points (2-D classification) ------------------------------------------

    def draw_point(self, x: float, y: float, remove: bool = False) -> None:
        """Add a training point of class ``draw_class`` at (``x``, ``y``), or (``remove``)
        take away the one nearest it; the run goes on with the new training set."""
        self._submit(lambda: self._apply_point(x, y, remove))

    def next_draw_class(self) -> None:
        """Draw points of the next class from now on."""
        classes = self.trainer.data.n_classes or 2
        self.draw_class = (self.draw_class + 1) % classes
        self._submit(lambda: self._emit("control", f"clicks now draw class {self.draw_class} points"))

    def save_points(self, directory: str = ".") -> None:
        """Write every point (training and test) to a new CSV that ``gradtui run --data`` reads."""
        self._submit(lambda: self._apply_save_points(directory))

    def _apply_point(self, x: float, y: float, remove: bool) -> None:
        data = self.trainer.data
        if not drawable(data):
            self._emit("limit", "points can be drawn on 2-D classification data only")
            return
        try:
            if remove:
                new, gone = without_nearest(data, x, y)
                what = f"removed the training point at ({gone[0]:.3g}, {gone[1]:.3g})"
            else:
                label = min(self.draw_class, data.n_classes - 1)
                new, what = with_point(data, x, y, label), f"drew a class {label} point at ({x:.3g}, {y:.3g})"
        except ValueError as exc:
            self._emit("limit", str(exc))
            return
        self.timeline.remember()
        change = self.trainer.use_data(new, what)
        self.timeline.mark()
        self._next["output"] = 0.0
        self._emit("control", change.text)

    def _apply_save_points(self, directory: str) -> None:
        data = self.trainer.data
        if not drawable(data):
            self._emit("limit", "only 2-D classification points can be saved as drawn data")
            return
        path = self._new_file("points", directory, ".csv", lambda p: write_points_csv(p, data))
        if path is not None:
            self._emit("export", f"{len(data.X_train) + len(data.X_test)} points saved: {path} "
                                 f"(gradtui run --data {os.path.basename(path)})", path)

    def _evaluate(self) -> None:
        started = self._clock()
        self.timeline.record_evaluation(self.trainer.evaluate())
        self._schedule("evaluate", started, EVALUATE_EVERY, EVALUATE_SHARE)

    def _update_output(self) -> None:
        started = self._clock()
        self._output = compute_output(self.trainer, *self.view.output_size)
        self._schedule("output", started, OUTPUT_EVERY, OUTPUT_SHARE)

    def _measure_sharpness(self) -> None:
        started = self._clock()
        self.events.extend(self.timeline.sharpness.measure(self.trainer))
        self._schedule("sharpness", started, SHARPNESS_EVERY, SHARPNESS_SHARE)

    def _schedule(self, work: str, started: float, every: float, share: float) -> None:
        self._cost[work] = self._clock() - started
        self._next[work] = next_due(started, self._cost[work], every, share)

    def _catch_up(self) -> None:
        """Evaluation and output, each if its time has come (while training)."""
        if self._clock() >= self._next["evaluate"]:
            self._evaluate()
        if self._clock() >= self._next["output"]:
            self._update_output()
        if self.view.sharpness and self._clock() >= self._next["sharpness"]:
            self._measure_sharpness()

    def _refresh(self) -> None:
        """Evaluation, output and (with its pane open) the sharpness as of now, then a frame."""
        self._evaluate()
        self._update_output()
        latest = self.timeline.sharpness.latest
        if self.view.sharpness and (latest is None or latest[0] != self.trainer.step_count):
            self._measure_sharpness()
        self._publish()

    def _network_picture(self) -> NetworkPicture | None:
        """The network view's picture when it asks for one: anew on every frame when paused
        or when the request changed, at most every ``NETWORK_EVERY`` seconds (and a
        ``NETWORK_SHARE`` of the time) while training."""
        request = self.view.network
        if request is None:
            self._network = None
            return None
        current = self._network
        stale = (current is None or current.trace.index != request.sample or not self.running
                 or self._clock() >= self._next["network"])
        if stale:
            started = self._clock()
            self._network_twin = refreshed(self._network_twin, self.trainer.model)
            self._network = network_picture(self.trainer, request, self.timeline.since.since, self._network_twin)
            self._schedule("network", started, NETWORK_EVERY, NETWORK_SHARE)
        return self._network

    def _publish(self) -> None:
        """Replace ``frame`` with the current state (cheap: no evaluation) and tell the screen."""
        now = self._clock()
        mark_time, mark_step = self._rate_mark
        if self.running and now - mark_time > 0.2:
            rate = (self.trainer.step_count - mark_step) / (now - mark_time)
            self._rate = rate if self._rate == 0 else 0.5 * self._rate + 0.5 * rate
            self._rate_mark = (now, self.trainer.step_count)
        elif not self.running:
            self._rate = 0.0
        self._serial += 1
        self.frame = build_frame(self._serial, self.trainer, self.timeline, running=self.running,
                                 steps_per_s=self._rate, output=self._output, halted=self._halted,
                                 points=self.view.plot_points, network=self._network_picture(),
                                 sharpness=self.view.sharpness,
                                 reveal=self.watch.reveal if self.watch is not None else None)
        self._next["publish"] = self._clock() + PUBLISH_EVERY
        follower = self.follower
        if follower is None or not follower.running or follower.screen is not self.screen:
            self.announce()


def undone(before: TrainConfig, after: TrainConfig) -> str:
    """What a rewind or reset took back besides the weights: settings that are part of the
    weights' shape or the data (the network, the dataset, the loss, ...) come back with the
    snapshot; only the controls are kept. Empty when nothing but the weights changed."""
    text = describe(before, after, [])
    return f" (the weights as they were, and with them {text})" if text else ""


def next_due(started: float, cost: float, every: float, share: float) -> float:
    """When periodic work that started at ``started`` and took ``cost`` seconds may run
    again: at least ``every`` seconds later, and late enough to take at most ``share``
    of the time."""
    return started + max(every, cost / share)


def reserve_path(directory: str, stem: str, suffix: str) -> str:
    """A new file name ``stem[-n]suffix`` in ``directory``, created empty so nothing else
    takes it; an existing file is never overwritten."""
    for n in range(10_000):
        path = os.path.join(directory, f"{stem}{'' if n == 0 else f'-{n}'}{suffix}")
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            continue
        os.close(fd)
        return path
    raise OSError(f"no free file name for {stem}{suffix} in {directory}")


def share_command(path: str) -> str:
    """The one line that replays a shared run: ``gradtui --config FILE``."""
    return f"gradtui --config {shlex.quote(path)}"


def _write_text(path: str, text: str) -> None:
    with atomic_write(path, "w", encoding="utf-8") as fh:
        fh.write(text)
