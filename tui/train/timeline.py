"""Timeline: the run's past as the app keeps it, and the way back into it.

A ``Timeline`` records every step's numbers (``MinMaxHistory``: bounded, any length of
run), every evaluation, the steps where a control changed (the plots' marks), the
health flags as raised/cleared events (``FlagTracker``), and snapshots of the weights
for rewinding: one every ``SNAPSHOT_EVERY`` steps and one before each control change,
thinned so they stay few (``thin``). ``reset`` and ``rewind`` restore a snapshot but
keep the current controls, and forget the abandoned future in every record. It is not
thread-aware: the driver (``Session``) calls it only from the thread that owns the
Trainer, under its lock. A new per-step record of the run belongs here.
"""

from __future__ import annotations

import copy
from collections import deque
from typing import Any, TypeVar

from gradtui.engine import Evaluation, Flag, Snapshot, StepStats, Trainer

from gradtui.tui.train.history import MinMaxHistory
from gradtui.tui.train.unit_since import UnitSince
from gradtui.tui.widgets.event_log import Event

CONTROLS = ("lr", "activation", "optimizer", "clip_mode", "clip", "batch_size")
"""The settings the app changes; reset and rewind move the weights in time but keep these."""
SNAPSHOT_EVERY = 100
SNAPSHOTS_KEPT = 24
CLEAR_AFTER = 25
MARKS_KEPT = 200

T = TypeVar("T")


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


class Timeline:
    """The recorded past of one Trainer's run: histories, marks, flags and snapshots."""

    def __init__(self, trainer: Trainer) -> None:
        self.trainer = trainer
        self.steps = MinMaxHistory(2 + len(trainer.model.layers))
        self.evals = MinMaxHistory(2)
        self.marks: deque[int] = deque(maxlen=MARKS_KEPT)
        self.flags = FlagTracker()
        self.initial = trainer.snapshot()
        self.snapshots: list[Snapshot] = [self.initial]
        self.last: StepStats | None = None
        """The latest step's numbers; None before the first step and after a restore."""
        self.evaluation: Evaluation | None = None
        """The latest evaluation; None after a restore (it showed the abandoned future)."""
        self.since = UnitSince(trainer.unit_states, trainer.step_count)
        """The step since which each unit has been dead, saturated or alive."""

    @property
    def snapshot_steps(self) -> list[int]:
        """The steps ``rewind`` can go back to, oldest first."""
        return [snap.step for snap in self.snapshots]

    def fork(self, trainer: Trainer) -> "Timeline":
        """This past as the past of ``trainer``, a fork of this run (twin mode's run B): the
        same histories, marks, flags and snapshots (snapshots are never changed, so shared),
        recorded on separately from now on."""
        twin = copy.copy(self)
        twin.trainer = trainer
        twin.steps, twin.evals, twin.flags, twin.since = copy.deepcopy(
            (self.steps, self.evals, self.flags, self.since))
        twin.marks = copy.copy(self.marks)
        twin.snapshots = list(self.snapshots)
        return twin

    def record_step(self, stats: StepStats) -> list[Event]:
        """Keep one step's numbers; returns the flags it raised or cleared, as events."""
        self.last = stats
        self.since.update(self.trainer.unit_states, stats.step)
        self.steps.add(stats.step, (stats.loss, stats.grad_norm, *stats.layer_grad_norms))
        events = self.flags.update(stats.step, stats.flags) if stats.flags or self.flags.active else []
        if stats.step % SNAPSHOT_EVERY == 0:
            self.remember()
        return events

    def record_evaluation(self, evaluation: Evaluation) -> None:
        self.evaluation = evaluation
        test = evaluation.test_loss if evaluation.test_loss is not None else float("nan")
        self.evals.add(self.trainer.step_count, (evaluation.train_loss, test))

    def mark(self) -> None:
        """Mark the current step as one where a control changed."""
        self.marks.append(self.trainer.step_count)

    def remember(self) -> None:
        """Snapshot the current step for rewinding (once per step), within a bounded list."""
        if self.snapshots[-1].step != self.trainer.step_count:
            self.snapshots.append(self.trainer.snapshot())
            if len(self.snapshots) > SNAPSHOTS_KEPT:
                self.snapshots = thin(self.snapshots)

    def reset(self) -> Snapshot:
        """Back to the first weights, every record cleared; returns the snapshot restored."""
        self.steps.clear()
        self.evals.clear()
        self.snapshots = [self.initial]
        self._restore(self.initial)
        return self.initial

    def rewind(self) -> Snapshot | None:
        """Back to the newest snapshot older than the current step; None (and nothing
        changes) when there is none."""
        step = self.trainer.step_count
        while len(self.snapshots) > 1 and self.snapshots[-1].step >= step:
            self.snapshots.pop()
        target = self.snapshots[-1]
        if target.step >= step:
            return None
        self._restore(target)
        return target

    def _restore(self, snap: Snapshot) -> None:
        """Restore ``snap`` but keep the current controls; forget the abandoned future."""
        controls: dict[str, Any] = {k: getattr(self.trainer.config, k) for k in CONTROLS}
        self.trainer.restore(snap)
        self.trainer.update(**controls)
        self.steps.truncate(snap.step)
        self.evals.truncate(snap.step)
        while self.marks and self.marks[-1] > snap.step:
            self.marks.pop()
        self.flags = FlagTracker()
        self.last = None
        self.evaluation = None
        self.since.restart(self.trainer.unit_states, snap.step)


def thin(snapshots: list[T]) -> list[T]:
    """Every other snapshot of the older half dropped (the first always stays), so the
    kept ones are dense near now and ever sparser further back."""
    half = len(snapshots) // 2
    return [snapshots[0], *snapshots[1:half][1::2], *snapshots[half:]]
