"""Twin: the same network trained twice with one thing changed, step for step, side by side.

``Twin(config, clip_mode="norm")`` builds run A from ``config`` and run B from
``config.replace(clip_mode="norm")``, starting from bit-identical weights, probe set and
batch order, so every difference between them is the change's doing. Where a change
makes something impossible to share (another data set, other layer shapes, another
init), ``twin.unshared`` says so in words. ``Twin.from_trainer`` forks a running trainer
instead: both runs continue from its exact state.

``twin.a`` and ``twin.b`` are ordinary ``Trainer``s. ``twin.step()`` steps both and
remembers what a comparison needs (flags, non-finite steps, the first step whose losses
differ); ``twin.evaluate()`` and ``twin.run(n, every=K)`` also record full evaluations,
from which ``twin.summary()`` reads best losses, best accuracies and the steps that
reached given accuracies, and states a verdict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

from gradtui.engine.train.changes import DATA_KEYS as REBUILD_DATA_KEYS
from gradtui.engine.train.config import TrainConfig
from gradtui.engine.train.health import StepStats
from gradtui.engine.train.runner import Row, RunTally, TrainSummary, trainer_row
from gradtui.engine.train.trainer import Evaluation, Trainer

SIDES = ("A", "B")
ACCURACY_TARGETS = (0.75, 0.9, 0.95)
"""Accuracies whose first evaluated step ``TwinSummary`` reports by default."""

DATA_KEYS = frozenset({*REBUILD_DATA_KEYS, "seed"})
"""Settings that decide the data set; change one and B trains on data of its own."""

INIT_KEYS = frozenset({"init", "bias_init", "seed"})
"""Settings that decide the initial weights; change one and B draws weights of its own."""

PairSink = Callable[[Row, Row], None]
Progress = Callable[[int], None]


class _Record:
    """What the twin remembers of one run: its flag tally, evaluations, last loss and what
    went non-finite first."""

    def __init__(self, first_step: int) -> None:
        self.first_step = first_step
        self.tally = RunTally()
        self.evaluations: list[tuple[int, Evaluation]] = []
        self.last_loss = math.nan
        self.nonfinite_what: str | None = None

    def add(self, stats: StepStats) -> None:
        self.tally.add(stats)
        self.last_loss = stats.loss
        if self.nonfinite_what is None and self.tally.nonfinite_first == stats.step:
            self.nonfinite_what = _nonfinite_what(stats)


def _nonfinite_what(stats: StepStats) -> str:
    """``NaN``, ``Inf``, ``NaN/Inf gradients`` or ``an overflowing update``: what a
    non-finite step ran into first."""
    layer = stats.flagged("nonfinite")[0].layer
    if layer == "loss":
        return "NaN" if math.isnan(stats.loss) else "Inf"
    return "an overflowing update" if layer == "model" else "NaN/Inf gradients"


class Twin:
    """Two trainers, A and B, differing in the settings given as keywords (see the module)."""

    def __init__(self, config: TrainConfig, **changes: Any) -> None:
        config_b = TrainConfig.from_dict({**config.to_dict(), **changes})  # unknown keys: one line
        changed = {k for k in changes if getattr(config_b, k) != getattr(config, k)}
        a = Trainer(config)
        b = Trainer(config_b, None if changed & DATA_KEYS else a.data)
        unshared = _unshared_setup(config, config_b, changed) + _share_initial_weights(a, b, changed)
        self._start(a, b, unshared)

    @classmethod
    def from_trainer(cls, trainer: Trainer, **changes: Any) -> "Twin":
        """Fork ``trainer``: A is ``trainer`` itself, B a new trainer in its exact state
        (weights, optimizer state, batch order, step) with ``changes`` applied the way
        ``Trainer.update`` applies them mid-run (so only its changeable settings)."""
        b = Trainer(trainer.config, trainer.data)
        b.restore(trainer.snapshot())
        b.update(**changes)
        twin = cls.__new__(cls)
        twin._start(trainer, b, [])
        return twin

    def _start(self, a: Trainer, b: Trainer, unshared: list[str]) -> None:
        self.a, self.b = a, b
        self.unshared = unshared
        self.parted_at: int | None = None
        """The first step whose minibatch losses differ (None while they are all equal)."""
        self._records = {"A": _Record(a.step_count + 1), "B": _Record(b.step_count + 1)}

    def trainer(self, side: str) -> Trainer:
        """``a`` for "A", ``b`` for "B"."""
        return {"A": self.a, "B": self.b}[side]

    def differences(self) -> dict[str, tuple[Any, Any]]:
        """Every setting in which B's config differs from A's now: key -> (A's, B's)."""
        a, b = self.a.config.to_dict(), self.b.config.to_dict()
        return {k: (a[k], b[k]) for k in a if a[k] != b[k]}

    # --- stepping --------------------------------------------------------------------

    def step(self, probe: bool = False) -> tuple[StepStats, StepStats]:
        """One update of each run, A first; returns their statistics."""
        stats_a, stats_b = self.a.step(probe), self.b.step(probe)
        self.record(stats_a, stats_b)
        return stats_a, stats_b

    def record(self, stats_a: StepStats | None, stats_b: StepStats | None) -> None:
        """Remember steps taken outside ``step`` (e.g. one run alone); None for a run that
        did not step. Losses are compared only when both runs are at the same step."""
        for side, stats in zip(SIDES, (stats_a, stats_b)):
            if stats is not None:
                self._records[side].add(stats)
        if (self.parted_at is None and stats_a is not None and stats_b is not None
                and stats_a.step == stats_b.step and not _same(stats_a.loss, stats_b.loss)):
            self.parted_at = stats_a.step

    def evaluate(self) -> tuple[Evaluation, Evaluation]:
        """Both runs on their whole train and test sets, remembered for ``summary``."""
        out = []
        for side in SIDES:
            trainer, record = self.trainer(side), self._records[side]
            if record.evaluations and record.evaluations[-1][0] == trainer.step_count:
                out.append(record.evaluations[-1][1])
                continue
            evaluation = trainer.evaluate()
            record.evaluations.append((trainer.step_count, evaluation))
            out.append(evaluation)
        return out[0], out[1]

    def run(self, n: int, every: int = 1, on_rows: PairSink | None = None,
            progress: Progress | None = None, targets: tuple[float, ...] = ACCURACY_TARGETS
            ) -> "TwinSummary":
        """``n`` lockstep steps, evaluating both runs at every step divisible by ``every``
        and at the last; ``on_rows(row_a, row_b)`` gets their export rows then. Returns
        ``summary(targets)``."""
        for name, value in (("n", n), ("every", every)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a whole number of at least 1, got {value!r}")
        last = self.a.step_count + n
        with self.a.blas_limit, self.b.blas_limit:  # set the thread count once for the run
            for done in range(1, n + 1):
                stats_a, stats_b = self.step()
                if stats_a.step % every == 0 or stats_a.step == last:
                    eval_a, eval_b = self.evaluate()
                    if on_rows is not None:
                        on_rows(trainer_row(stats_a, eval_a), trainer_row(stats_b, eval_b))
                if progress is not None:
                    progress(done)
        return self.summary(targets)

    # --- comparing -------------------------------------------------------------------

    def summary(self, targets: tuple[float, ...] = ACCURACY_TARGETS) -> "TwinSummary":
        """Both runs compared from what was recorded, evaluated once more where the last
        evaluation is older than the run."""
        self.evaluate()
        differences = self.differences()
        sides = [self._side_summary(side, differences, targets) for side in SIDES]
        return TwinSummary(sides[0], sides[1], differences, list(self.unshared), self.parted_at,
                           tuple(targets))

    def _side_summary(self, side: str, differences: dict[str, tuple[Any, Any]],
                      targets: tuple[float, ...]) -> "SideSummary":
        trainer, record = self.trainer(side), self._records[side]
        evaluations = record.evaluations
        run = record.tally.summary(record.first_step, trainer.step_count, float(record.last_loss),
                                   evaluations[-1][1])
        losses = [(ev.train_loss, step) for step, ev in evaluations if math.isfinite(ev.train_loss)]
        best_loss = min(losses, key=lambda p: p[0]) if losses else (None, None)
        accuracies = [(acc, step) for step, ev in evaluations  # NaN outputs classify nothing
                      if (acc := _accuracy(ev)) is not None and math.isfinite(ev.train_loss)]
        best_acc = max(accuracies, key=lambda p: p[0]) if accuracies else (None, None)
        reached = {t: next((step for acc, step in accuracies if acc >= t), None) for t in targets}
        settings = ", ".join(f"{k} {_show(v[SIDES.index(side)])}" for k, v in differences.items())
        return SideSummary(side, settings or "as configured", run, best_loss[0], best_loss[1],
                           best_acc[0], best_acc[1], reached, record.nonfinite_what)


def _same(x: float, y: float) -> bool:
    """Equal, counting two NaNs as equal."""
    return x == y or (x != x and y != y)


def _accuracy(ev: Evaluation) -> float | None:
    """Test accuracy, or train accuracy without a test set (as export rows report it)."""
    return ev.test_accuracy if ev.test_accuracy is not None else ev.train_accuracy


def _show(value: Any) -> str:
    if value is None:
        return "off"
    if isinstance(value, list):
        return ",".join(map(str, value)) or "none"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _unshared_setup(a: TrainConfig, b: TrainConfig, changed: set[str]) -> list[str]:
    """What B cannot share with A, besides the initial weights, in words."""
    if changed & DATA_KEYS:
        return [f"B trains on data of its own ({', '.join(sorted(changed & DATA_KEYS))} changed): "
                "other samples, batches and probe set"]
    notes = []
    if "batch_size" in changed:
        notes.append(f"B cuts the same shuffled order into batches of {b.batch_size or 'all'} "
                     f"(A: {a.batch_size or 'all'})")
    if "probe_size" in changed:
        notes.append(f"B probes its units on {b.probe_size} samples (A: {a.probe_size})")
    return notes


def _share_initial_weights(a: Trainer, b: Trainer, changed: set[str]) -> list[str]:
    """Give B A's initial weights wherever a parameter has the same name and shape; return
    what could not be shared. A change of init scheme, bias or seed keeps B's own draw."""
    if changed & INIT_KEYS:
        return [f"B draws initial weights of its own ({', '.join(sorted(changed & INIT_KEYS))} changed)"]
    a_params = {p.name: p for p in a.model.parameters()}
    own = []
    for p in b.model.parameters():
        source = a_params.get(p.name)
        if source is not None and source.value.shape == p.value.shape:
            p.value[...] = source.value
        else:
            own.append(p.name)
    b.restore(b.snapshot())  # recompute what the trainer derives from its weights
    notes = []
    if own:
        notes.append(f"B's {', '.join(own)} start from a draw of its own (A has no parameter of that shape)")
    if a.model.dtype != b.model.dtype:
        notes.append(f"B's initial weights are A's rounded to {b.config.dtype}")
    return notes


@dataclass
class SideSummary:
    """One run of a twin, summarised: ``run`` as ``gradtui run`` reports it (final
    evaluation, flag records with each layer's first step, non-finite steps) plus the
    best evaluated train loss and accuracy and the first evaluated step at or above each
    accuracy target (None: never). Evaluations with a non-finite train loss count for
    neither: the accuracy of NaN outputs means nothing."""

    label: str
    settings: str
    run: TrainSummary
    best_loss: float | None
    best_loss_step: int | None
    best_accuracy: float | None
    best_accuracy_step: int | None
    reached: dict[float, int | None]
    nonfinite_what: str | None

    @property
    def accuracy(self) -> float | None:
        return _accuracy(self.run.evaluation)

    @property
    def first_flags(self) -> dict[str, dict[str, int]]:
        """Flag kind -> layer -> the first step that layer raised it."""
        return {rec.kind: dict(rec.first_at) for rec in self.run.flags}

    def went_nonfinite(self) -> str:
        """``NaN at step 14``, or ``never``."""
        if self.run.nonfinite_first is None:
            return "never"
        return f"{self.nonfinite_what} at step {self.run.nonfinite_first}"


@dataclass
class TwinSummary:
    """Runs A and B compared: what differs between them, what they could not share, the
    first step whose losses differ, and each side's ``SideSummary``."""

    a: SideSummary
    b: SideSummary
    differences: dict[str, tuple[Any, Any]]
    unshared: list[str]
    parted_at: int | None
    targets: tuple[float, ...]

    @property
    def verdict(self) -> str:
        """One sentence: who went non-finite and when, else who ended ahead and by how much."""
        a, b = self.a, self.b
        a_bad, b_bad = a.run.nonfinite_first, b.run.nonfinite_first
        if a_bad is not None and b_bad is not None:
            return (f"both went non-finite: A hit {a.went_nonfinite()}, B hit {b.went_nonfinite()}")
        if a_bad is not None or b_bad is not None:
            good, bad = (b, a) if a_bad is not None else (a, b)
            return f"{good.label} never went non-finite; {bad.label} hit {bad.went_nonfinite()}"
        if self.parted_at is None:
            return (f"A and B stayed bit-identical through step {a.run.last_step}: "
                    "the change never took effect")
        return self._outcome()

    def _outcome(self) -> str:
        a, b = self.a, self.b
        if a.accuracy is not None and b.accuracy is not None:
            if a.accuracy == b.accuracy:
                return f"A and B ended level at {a.accuracy:.1%} accuracy"
            ahead, behind = (a, b) if a.accuracy > b.accuracy else (b, a)
            text = f"{ahead.label} ended ahead: accuracy {ahead.accuracy:.1%} against {behind.accuracy:.1%}"
            for target in sorted(self.targets, reverse=True):
                if ahead.reached.get(target) is not None:
                    other = behind.reached.get(target)
                    text += (f"; {ahead.label} reached {target:.0%} at step {ahead.reached[target]}, "
                             + (f"{behind.label} never did" if other is None
                                else f"{behind.label} at step {other}"))
                    break
            return text
        loss_a, loss_b = _final_loss(a), _final_loss(b)
        if loss_a == loss_b:
            return f"A and B ended level at loss {loss_a:.4g}"
        ahead, behind = (a, b) if loss_a < loss_b else (b, a)
        return (f"{ahead.label} ended with the lower loss: {_final_loss(ahead):.4g} "
                f"against {_final_loss(behind):.4g}")

    def lines(self) -> list[str]:
        """A side-by-side account, then what was not shared and the verdict."""
        a, b = self.a, self.b
        rows: list[tuple[str, str, str]] = [("", "A", "B"), ("settings", a.settings, b.settings)]
        rows.append(("steps", f"{a.run.first_step}-{a.run.last_step}", f"{b.run.first_step}-{b.run.last_step}"))
        for name, get in (("final train loss", lambda s: _num(s.run.evaluation.train_loss)),
                          ("final test loss", lambda s: _num(s.run.evaluation.test_loss)),
                          ("final accuracy", lambda s: _pct(s.accuracy)),
                          ("best train loss", lambda s: _at(_num(s.best_loss), s.best_loss_step)),
                          ("best accuracy", lambda s: _at(_pct(s.best_accuracy), s.best_accuracy_step))):
            rows.append((name, get(a), get(b)))
        if a.accuracy is not None:
            for target in self.targets:
                rows.append((f"reached {target:.0%}", _step_or_never(a.reached[target]),
                             _step_or_never(b.reached[target])))
        rows.append(("non-finite", _nonfinite_cell(a), _nonfinite_cell(b)))
        for kind in _kinds(a, b):
            rows.append((f"first {kind}", _first_cell(a, kind), _first_cell(b, kind)))
        width = [max(len(r[i]) for r in rows) for i in range(3)]
        out = ["  ".join(cell.ljust(w) for cell, w in zip(r, width)).rstrip() for r in rows]
        out.append("A and B first differ at step " + str(self.parted_at) if self.parted_at is not None
                   else "A and B never differed")
        out += [f"not shared: {note}" for note in self.unshared] or [
            "A and B started from the same weights, probe set and batch order"]
        out.append(f"verdict: {self.verdict}")
        return out


def _final_loss(side: SideSummary) -> float:
    ev = side.run.evaluation
    return ev.test_loss if ev.test_loss is not None else ev.train_loss


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.4g}"


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.1%}"


def _at(value: str, step: int | None) -> str:
    return value if step is None else f"{value} at step {step}"


def _step_or_never(step: int | None) -> str:
    return "never" if step is None else f"step {step}"


def _nonfinite_cell(side: SideSummary) -> str:
    if side.run.nonfinite_first is None:
        return "never"
    return f"{side.went_nonfinite()} ({side.run.nonfinite_steps} steps)"


def _kinds(a: SideSummary, b: SideSummary) -> list[str]:
    kinds = [rec.kind for rec in (*a.run.flags, *b.run.flags) if rec.kind != "nonfinite"]
    return list(dict.fromkeys(kinds))


def _first_cell(side: SideSummary, kind: str) -> str:
    layers = side.first_flags.get(kind)
    if not layers:
        return "-"
    first = min(layers.values())
    names = [name.removeprefix("layers.") for name, step in layers.items() if step == first]
    more = len(layers) - len(names)
    return f"step {first} (layer {','.join(names)}" + (f", +{more} later)" if more else ")")
