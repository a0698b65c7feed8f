"""Timeline: the run's past as the app keeps it, and the way back into it.

A ``Timeline`` records every step's numbers (``MinMaxHistory``: bounded, any length of
run), every evaluation, the steps where a control changed (the plots' marks), the
health flags as raised/cleared events (``FlagTracker``), and snapshots of the weights
for rewinding: one every ``SNAPSHOT_EVERY`` steps, thinned so they stay few (``thin``),
and one before each control change, each kept (so ``u`` always reaches the state before
a change) while all snapshots fit in ``SNAPSHOT_BYTES``. ``reset`` and ``rewind``
restore a snapshot but keep the current controls, and forget the abandoned future in
every record; ``restore_before_trouble`` goes back to the newest snapshot taken before
the current blow-up began (the way out of a NaN pause). It is not
thread-aware: the driver (``Session``) calls it only from the thread that owns the
Trainer, under its lock. A new per-step record of the run belongs here.
"""

from __future__ import annotations

import copy
from collections import deque
from typing import Any, TypeVar

from gradtui.engine import Evaluation, Flag, Snapshot, StepStats, Trainer

from gradtui.engine.run.history import MinMaxHistory
from gradtui.engine.run.sharpness import SharpnessRecord
from gradtui.engine.run.unit_since import UnitSince
from gradtui.engine.run.events import Event

CONTROLS = ("lr", "activation", "optimizer", "clip_mode", "clip", "batch_size")
"""The settings the app changes; reset and rewind move the weights in time but keep these."""
SNAPSHOT_EVERY = 100
SNAPSHOTS_KEPT = 24
"""Periodic snapshots kept (thinned: dense near now, sparse further back)."""
SNAPSHOT_BYTES = 128 * 2**20
"""Memory all snapshots together may hold. Control-change snapshots are never thinned
below it; for the scenario networks (a few kB each) that is tens of thousands of changes."""
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

    def last_held(self, name: str) -> tuple[int, ...]:
        """For each of ``for_layer(name)``'s flags, the last step it held: a step before
        now means the flag is fading (shown as such until it clears)."""
        return tuple(seen for flag, seen in self.active.values() if flag.layer == name)


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
        self.pinned: set[int] = set()
        """Steps of the snapshots taken before a control change."""
        self.exploding_since: int | None = None
        """The first step of the current run of exploding flags; None while there is none."""
        self.last: StepStats | None = None
        """The latest step's numbers; None before the first step and after a restore."""
        self.evaluation: Evaluation | None = None
        """The latest evaluation; None after a restore (it showed the abandoned future)."""
        self.since = UnitSince(trainer.unit_states, trainer.step_count)
        """The step since which each unit has been dead, saturated or alive."""
        self.sharpness = SharpnessRecord()
        """λmax against the stability line, measured while the sharpness pane is open."""

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
        twin.steps, twin.evals, twin.flags, twin.since, twin.sharpness = copy.deepcopy(
            (self.steps, self.evals, self.flags, self.since, self.sharpness))
        twin.marks = copy.copy(self.marks)
        twin.snapshots = list(self.snapshots)
        return twin

    def record_step(self, stats: StepStats) -> list[Event]:
        """Keep one step's numbers; returns the flags it raised or cleared, as events."""
        self.last = stats
        if len(stats.layer_grad_norms) + 2 != self.steps.channels:  # reshaped (or rewound across a reshape)
            self.steps.resize(len(stats.layer_grad_norms) + 2)
        self.since.update(self.trainer.unit_states, stats.step)
        self.steps.add(stats.step, (stats.loss, stats.grad_norm, *stats.layer_grad_norms))
        events = self.flags.update(stats.step, stats.flags) if stats.flags or self.flags.active else []
        if stats.flags or self.exploding_since is not None:
            self._follow_explosion(stats)
        if stats.step % SNAPSHOT_EVERY == 0 and stats.applied:  # never a snapshot of ruined weights
            self.remember()
        return events

    def record_evaluation(self, evaluation: Evaluation) -> None:
        self.evaluation = evaluation
        test = evaluation.test_loss if evaluation.test_loss is not None else float("nan")
        self.evals.add(self.trainer.step_count, (evaluation.train_loss, test))

    def mark(self) -> None:
        """Mark the current step as one where a control changed."""
        self.marks.append(self.trainer.step_count)

    def _follow_explosion(self, stats: StepStats) -> None:
        if any(f.kind == "exploding" for f in stats.flags):
            if self.exploding_since is None:
                self.exploding_since = stats.step
        elif stats.applied and not any(kind == "exploding" for kind, _ in self.flags.active):
            self.exploding_since = None  # NaN steps (not applied) do not end the blow-up

    def remember(self, pin: bool = False) -> None:
        """Snapshot the current step for rewinding (once per step); ``pin`` keeps it from
        thinning (the state before a control change)."""
        step = self.trainer.step_count
        if self.snapshots[-1].step != step:
            self.snapshots.append(self.trainer.snapshot())
        if pin:
            self.pinned.add(step)
        self._bound()

    def _bound(self) -> None:
        """Thin periodic snapshots to ``SNAPSHOTS_KEPT``; thin pinned ones only when all of
        them together pass ``SNAPSHOT_BYTES``. The first snapshot always stays."""
        first, rest = self.snapshots[0], self.snapshots[1:]
        periodic = [s for s in rest if s.step not in self.pinned]
        pinned = [s for s in rest if s.step in self.pinned]
        if len(periodic) > SNAPSHOTS_KEPT:
            periodic = thin(periodic)
        while len(pinned) > 2 and sum(map(snapshot_bytes, [first, *periodic, *pinned])) > SNAPSHOT_BYTES:
            pinned = thin(pinned)
        self.pinned = {s.step for s in pinned}
        self.snapshots = [first, *sorted(periodic + pinned, key=lambda s: s.step)]

    def before_trouble(self) -> Snapshot:
        """The newest snapshot taken before the current blow-up began: before the first step
        of the current run of exploding flags, or before now when there is none."""
        start = self.exploding_since if self.exploding_since is not None else self.trainer.step_count
        older = [snap for snap in self.snapshots if snap.step < start]
        return older[-1] if older else self.snapshots[0]

    def restore_before_trouble(self) -> Snapshot:
        """Back to ``before_trouble()``, controls kept; returns the snapshot restored."""
        target = self.before_trouble()
        self.snapshots = [snap for snap in self.snapshots if snap.step <= target.step]
        self.pinned &= {snap.step for snap in self.snapshots}
        self._restore(target)
        return target

    def reset(self) -> Snapshot:
        """Back to the first weights, every record cleared; returns the snapshot restored."""
        self.steps.clear()
        self.evals.clear()
        self.sharpness.clear()
        self.snapshots = [self.initial]
        self.pinned = set()
        self._restore(self.initial)
        return self.initial

    def rewind(self) -> Snapshot | None:
        """Back to the newest snapshot older than the current step; None (and nothing
        changes) when there is none."""
        step = self.trainer.step_count
        while len(self.snapshots) > 1 and self.snapshots[-1].step >= step:
            self.snapshots.pop()
        self.pinned &= {snap.step for snap in self.snapshots}
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
        self.sharpness.truncate(snap.step)
        while self.marks and self.marks[-1] > snap.step:
            self.marks.pop()
        self.flags = FlagTracker()
        self.exploding_since = None
        self.last = None
        self.evaluation = None
        self.since.restart(self.trainer.unit_states, snap.step)


def snapshot_bytes(snap: Snapshot) -> int:
    """Memory one snapshot holds in arrays: weights, optimizer state and buffers."""
    arrays = [snap.weights, *snap.buffers.values(), *snap.unit_states]
    arrays += [a for a in snap.optimizer.get("arrays", {}).values() if hasattr(a, "nbytes")]
    return sum(a.nbytes for a in arrays)


def thin(snapshots: list[T]) -> list[T]:
    """Every other snapshot of the older half dropped (the first always stays), so the
    kept ones are dense near now and ever sparser further back."""
    half = len(snapshots) // 2
    return [snapshots[0], *snapshots[1:half][1::2], *snapshots[half:]]
