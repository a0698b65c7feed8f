"""Session: one Trainer driven for the app, from a worker thread or one step at a time.

Threading contract. While the worker runs, only the worker touches the Trainer; it
holds ``_lock`` for each step and applies queued changes between steps. When no
worker runs, the UI thread applies changes itself, under the same lock. Either way
a change goes through ``_submit``, so key presses while training are applied safely
between two steps, in order. The UI never waits on training: it reads ``frame`` (an
immutable picture of the run, replaced wholesale at most every ``PUBLISH_EVERY``
seconds) and drains ``events``, from a timer.

Evaluation (a forward pass over both full sets) and the output view can cost far more
than a step on big data (MNIST-sized: ~0.5 s against ~3 ms). While training they are
spaced by their measured cost so they take a bounded share of the worker's time
(``EVALUATE_SHARE``, ``OUTPUT_SHARE``). When paused, a key press applies its change on
the UI thread (cheap) and, if that work costs more than ``UI_BUDGET``, hands the
evaluation to a short-lived thread that owns the Trainer meanwhile; presses made in
that time queue and are applied by it (at once, unless it is mid-evaluation), so the
screen never waits on an evaluation.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from gradtui.engine import UNIT_STATES, Evaluation, Flag, Snapshot, StepStats, TrainConfig, Trainer

from gradtui.tui.train.history import HistoryView, MinMaxHistory
from gradtui.tui.train.outputs import Output, compute_output

CONTROLS = ("lr", "activation", "optimizer", "clip_mode", "clip", "batch_size")
"""The settings the app changes; reset and rewind move the weights in time but keep these."""

PUBLISH_EVERY = 1 / 12
"""Seconds between frames; the screen reads at the same rate (train_screen.TICK). A little
over 10 Hz, so that timer jitter never drops the visible update rate below 10 per second."""
EVALUATE_EVERY = 0.25
EVALUATE_SHARE = 0.1
"""While training, evaluation takes at most this share of the worker's time."""
OUTPUT_EVERY = 0.5
OUTPUT_SHARE = 0.05
"""While training, the output view takes at most this share of the worker's time."""
UI_BUDGET = 0.02
"""Seconds of evaluation and output a key press may cost the UI thread when paused;
costlier work moves to a background thread."""
QUIET = 0.3
"""That thread waits for a pause this long in the key presses before it evaluates, so a
burst of presses is applied as they come and evaluated once."""
SNAPSHOT_EVERY = 100
SNAPSHOTS_KEPT = 24
CLEAR_AFTER = 25
MARKS_KEPT = 200
EVENTS_KEPT = 500
DEAD, SATURATED = UNIT_STATES.index("dead"), UNIT_STATES.index("saturated")


@dataclass(frozen=True)
class Event:
    """One line of the event log: ``kind`` is raised, cleared, control, nan, checkpoint,
    reset, rewind or error."""

    step: int
    kind: str
    text: str


@dataclass(frozen=True)
class LayerView:
    """One layer's latest health, copied out of the training thread."""

    name: str
    width: int
    grad_norm: float | None  # None before the first step
    update_ratio: float | None
    dead: int
    saturated: int
    unit_state: np.ndarray
    unit_grad: np.ndarray
    badges: tuple[Flag, ...]


@dataclass(frozen=True)
class Frame:
    """Everything the screen shows, as of one moment of the run.

    ``steps`` channels: 0 minibatch loss, 1 total gradient norm, 2.. each layer's
    gradient norm. ``evals`` channels: 0 train loss, 1 test loss (full sets, eval mode).
    """

    serial: int
    step: int
    epoch: float
    running: bool
    steps_per_s: float
    config: TrainConfig
    batch_loss: float | None
    layers: tuple[LayerView, ...]
    steps: HistoryView
    evals: HistoryView
    evaluation: Evaluation | None
    marks: tuple[int, ...]
    output: Output | None
    halted: Flag | None


def format_setting(key: str, value: Any) -> str:
    """A control's value as the screen shows it."""
    if key == "clip_mode":
        return value or "off"
    if key == "batch_size":
        return "full" if value is None else str(value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class FlagTracker:
    """Turns per-step flags into raised/cleared events.

    A flag clears only after ``clear_after`` steps without it, so one that flickers
    from step to step neither floods the log nor blinks on screen.
    """

    def __init__(self, clear_after: int = CLEAR_AFTER) -> None:
        self.clear_after = clear_after
        self.active: dict[tuple[str, str], tuple[Flag, int]] = {}

    def update(self, step: int, flags: list[Flag]) -> list[Event]:
        events = []
        for flag in flags:
            if flag.kind == "nonfinite":
                continue
            key = (flag.kind, flag.layer)
            if key not in self.active:
                events.append(Event(step, "raised", f"{flag.kind.upper()} {flag.layer}: {flag.detail}"))
            self.active[key] = (flag, step)
        for key, (flag, seen) in list(self.active.items()):
            if step - seen >= self.clear_after:
                del self.active[key]
                events.append(Event(step, "cleared", f"{flag.kind} cleared on {flag.layer}"))
        return events

    def for_layer(self, name: str) -> tuple[Flag, ...]:
        return tuple(flag for flag, _ in self.active.values() if flag.layer == name)


class Session:
    """Owns a Trainer, its history and snapshots; see the module docstring for threading."""

    def __init__(self, trainer: Trainer, name: str = "default",
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.trainer = trainer
        self.name = name
        self.output_size = (40, 24)
        self.plot_points = 240
        self.events: deque[Event] = deque(maxlen=EVENTS_KEPT)
        self.stopped_at = 0.0
        self._lock = threading.Lock()
        self._pending: deque[Callable[[], None]] = deque()
        self._poke = threading.Event()  # set when a press is queued for a worker
        self._workers = 0
        self._run_id: int | None = None
        self._runs = 0
        n_layers = len(trainer.model.layers)
        self._steps = MinMaxHistory(2 + n_layers)
        self._evals = MinMaxHistory(2)
        self._marks: deque[int] = deque(maxlen=MARKS_KEPT)
        self._flags = FlagTracker()
        self._initial = trainer.snapshot()
        self._snapshots: list[Snapshot] = [self._initial]
        self._stats: StepStats | None = None
        self._evaluation: Evaluation | None = None
        self._output: Output | None = None
        self._halted: Flag | None = None
        self._serial = 0
        self._rate = 0.0
        self._clock = clock
        self._rate_mark = (clock(), trainer.step_count)
        self._next = {"publish": 0.0, "evaluate": 0.0, "output": 0.0}
        self._cost = {"evaluate": 0.0, "output": 0.0}
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
    def snapshot_steps(self) -> list[int]:
        """The steps ``rewind`` can go back to, oldest first."""
        return [snap.step for snap in self._snapshots]

    def drain_events(self) -> list[Event]:
        """Events since the last call, oldest first."""
        out = []
        while self.events:
            out.append(self.events.popleft())
        return out

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

    def run(self, cancelled: Callable[[], bool]) -> None:
        """Train until paused, halted by a non-finite step, or ``cancelled()`` (worker thread)."""
        run_id = self._run_id
        if run_id is None:
            return
        with self._lock:
            self._workers += 1
            self._rate_mark = (self._clock(), self.trainer.step_count)
        try:
            while self._run_id == run_id and not cancelled():
                with self._lock:
                    if self._pending:
                        self._drain()
                    self._advance()
                    if self._clock() >= self._next["publish"]:
                        self._catch_up()
                        self._publish()
        except Exception as exc:  # an engine failure stops this run, not the app
            self._emit("error", f"training stopped by an error: {exc!r}")
        finally:
            with self._lock:
                if self._run_id == run_id:
                    self._run_id = None
                self.stopped_at = self._clock()
            self._settle()

    def step(self) -> None:
        """One training step (one minibatch), when not running; a person stepping by hand
        sees this step's unit states."""
        if not self.running:
            self._submit(lambda: self._advance(probe=True))

    # --- changes (applied between steps) --------------------------------------------

    def change(self, compute: Callable[[TrainConfig], dict[str, Any]]) -> None:
        """Change controls to ``compute(current config)``, evaluated when applied, so two
        quick presses move two rungs."""
        self._submit(lambda: self._apply_change(compute(self.trainer.config)))

    def reset(self) -> None:
        """Back to the session's first weights (same seed, same batches), keeping the controls."""
        self._submit(self._apply_reset)

    def rewind(self) -> None:
        """Back to the newest snapshot older than the current step, keeping the controls."""
        self._submit(self._apply_rewind)

    def save_checkpoint(self, directory: str = ".") -> None:
        """Write a checkpoint to a new file in ``directory``; the event log names it."""
        self._submit(lambda: self._apply_save(directory))

    def _submit(self, apply: Callable[[], None]) -> None:
        """Apply ``apply`` now, or queue it for the thread that owns the Trainer."""
        self._pending.append(apply)
        if self._workers:
            self._poke.set()
            return
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
                if not self._pending:
                    self._workers -= 1
                    return

    @property
    def _costly(self) -> bool:
        return self._cost["evaluate"] + self._cost["output"] > UI_BUDGET

    def _drain(self) -> None:
        while self._pending:
            self._pending.popleft()()

    # --- under the lock --------------------------------------------------------------

    def _emit(self, kind: str, text: str) -> None:
        self.events.append(Event(self.trainer.step_count, kind, text))

    def _advance(self, probe: bool = False) -> None:
        stats = self.trainer.step(probe=probe)
        self._stats = stats
        self._steps.add(stats.step, (stats.loss, stats.grad_norm, *stats.layer_grad_norms))
        if stats.flags or self._flags.active:
            self.events.extend(self._flags.update(stats.step, stats.flags))
        if stats.step % SNAPSHOT_EVERY == 0:
            self._remember()
        if not stats.applied:
            self._halt(stats.flagged("nonfinite")[0])

    def _halt(self, flag: Flag) -> None:
        self._run_id = None
        self._halted = flag
        self._emit("nan", f"NaN/Inf in {flag.layer}: {flag.detail}. Paused. "
                          "Way out: u rewind, [ lower lr, x clip")

    def _remember(self) -> None:
        """Snapshot the current step for rewinding (once per step), within a bounded list."""
        if self._snapshots[-1].step != self.trainer.step_count:
            self._snapshots.append(self.trainer.snapshot())
            if len(self._snapshots) > SNAPSHOTS_KEPT:
                self._snapshots = thin(self._snapshots)

    def _apply_change(self, changes: dict[str, Any]) -> None:
        config = self.trainer.config
        changed = {k: v for k, v in changes.items() if getattr(config, k) != v}
        if not changed:
            return
        self._remember()
        try:
            self.trainer.update(**changed)
        except ValueError as exc:
            self._emit("error", str(exc))
            return
        self._marks.append(self.trainer.step_count)
        self._emit("control", ", ".join(
            f"{k} {format_setting(k, getattr(config, k))} -> {format_setting(k, v)}"
            for k, v in changed.items()))

    def _controls(self) -> dict[str, Any]:
        return {k: getattr(self.trainer.config, k) for k in CONTROLS}

    def _restore(self, snap: Snapshot) -> None:
        """Restore ``snap`` but keep the current controls; forget the abandoned future."""
        controls = self._controls()
        self.trainer.restore(snap)
        self.trainer.update(**controls)
        self._steps.truncate(snap.step)
        self._evals.truncate(snap.step)
        while self._marks and self._marks[-1] > snap.step:
            self._marks.pop()
        self._flags = FlagTracker()
        self._stats = None
        self._halted = None
        self._evaluation = self._output = None  # they showed the abandoned future
        self._next["evaluate"] = self._next["output"] = 0.0

    def _apply_reset(self) -> None:
        self._steps.clear()
        self._evals.clear()
        self._snapshots = [self._initial]
        self._restore(self._initial)
        if self._initial.step == 0:
            self._emit("reset", "reset to step 0: same seed, same initial weights, controls kept")
        else:
            self._emit("reset", f"reset to step {self._initial.step} (the loaded checkpoint), "
                                "controls kept")

    def _apply_rewind(self) -> None:
        step = self.trainer.step_count
        while len(self._snapshots) > 1 and self._snapshots[-1].step >= step:
            self._snapshots.pop()
        target = self._snapshots[-1]
        if target.step >= step:
            self._emit("rewind", f"nothing older than step {step} to rewind to")
            return
        self._restore(target)
        self._emit("rewind", f"rewound from step {step} to step {target.step}, controls kept")

    def _apply_save(self, directory: str) -> None:
        path = None
        try:
            path = reserve_path(os.path.abspath(directory),
                                f"gradtui-{self.name}-step{self.trainer.step_count}", ".npz")
            self.trainer.save(path)
        except OSError as exc:
            if path is not None and os.path.exists(path):
                os.remove(path)
            self._emit("error", f"checkpoint not saved: {exc}")
            return
        self._emit("checkpoint", f"checkpoint saved: {path}")

    def _evaluate(self) -> None:
        started = self._clock()
        evaluation = self.trainer.evaluate()
        self._evaluation = evaluation
        test = evaluation.test_loss if evaluation.test_loss is not None else float("nan")
        self._evals.add(self.trainer.step_count, (evaluation.train_loss, test))
        self._schedule("evaluate", started, EVALUATE_EVERY, EVALUATE_SHARE)

    def _update_output(self) -> None:
        started = self._clock()
        self._output = compute_output(self.trainer, *self.output_size)
        self._schedule("output", started, OUTPUT_EVERY, OUTPUT_SHARE)

    def _schedule(self, work: str, started: float, every: float, share: float) -> None:
        self._cost[work] = self._clock() - started
        self._next[work] = next_due(started, self._cost[work], every, share)

    def _catch_up(self) -> None:
        """Evaluation and output, each if its time has come (while training)."""
        if self._clock() >= self._next["evaluate"]:
            self._evaluate()
        if self._clock() >= self._next["output"]:
            self._update_output()

    def _refresh(self) -> None:
        """Evaluation and output as of now, then a frame."""
        self._evaluate()
        self._update_output()
        self._publish()

    def _publish(self) -> None:
        """Replace ``frame`` with the current state (cheap: no evaluation)."""
        now = self._clock()
        mark_time, mark_step = self._rate_mark
        if self.running and now - mark_time > 0.2:
            rate = (self.trainer.step_count - mark_step) / (now - mark_time)
            self._rate = rate if self._rate == 0 else 0.5 * self._rate + 0.5 * rate
            self._rate_mark = (now, self.trainer.step_count)
        elif not self.running:
            self._rate = 0.0
        self._serial += 1
        self.frame = Frame(
            serial=self._serial, step=self.trainer.step_count, epoch=self.trainer.epoch,
            running=self.running, steps_per_s=self._rate, config=self.trainer.config,
            batch_loss=self._stats.loss if self._stats else None, layers=self._layer_views(),
            steps=self._steps.view(self.plot_points), evals=self._evals.view(self.plot_points),
            evaluation=self._evaluation, marks=tuple(self._marks), output=self._output,
            halted=self._halted,
        )
        self._next["publish"] = self._clock() + PUBLISH_EVERY

    def _layer_views(self) -> tuple[LayerView, ...]:
        stats = self._stats
        model = self.trainer.model
        whole = stats is not None and any(f.layer in ("model", "loss") for f in stats.flagged("nonfinite"))
        views = []
        for i, (layer, width) in enumerate(zip(model.layers, model.sizes[1:])):
            state = self.trainer.unit_states[i].copy()
            badges = self._flags.for_layer(layer.name)
            if whole:  # a NaN loss or an undone update concerns every layer
                badges += (Flag("nonfinite", layer.name, "loss or update is NaN/Inf"),)
            elif stats is not None and not math.isfinite(stats.layer_grad_norms[i]):
                badges += (Flag("nonfinite", layer.name, "gradient is NaN/Inf"),)
            if stats is None:
                views.append(LayerView(layer.name, width, None, None,
                                       int((state == DEAD).sum()), int((state == SATURATED).sum()), state,
                                       np.full(width, np.nan), badges))
                continue
            ls = stats.layers[i]
            views.append(LayerView(ls.name, ls.width, ls.grad_norm, ls.update_ratio, ls.dead,
                                   ls.saturated, state, ls.unit_grad.copy(), badges))
        return tuple(views)


def next_due(started: float, cost: float, every: float, share: float) -> float:
    """When periodic work that started at ``started`` and took ``cost`` seconds may run
    again: at least ``every`` seconds later, and late enough to take at most ``share``
    of the time."""
    return started + max(every, cost / share)


def thin(snapshots: list[Snapshot]) -> list[Snapshot]:
    """Every other snapshot of the older half dropped (the first always stays), so the
    kept ones are dense near now and ever sparser further back."""
    half = len(snapshots) // 2
    return [snapshots[0], *snapshots[1:half][1::2], *snapshots[half:]]


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
