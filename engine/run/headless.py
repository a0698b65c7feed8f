"""A run with nobody watching: ``gradtui run``, scripts and notebooks train through the
app's own loop (a ``Run`` stepped by ``Host.serve``, in the caller's thread) and get one
row per K steps and a summary::

    summary = run_headless(trainer, 2000, every=100, on_row=rows.append)
    print("\\n".join(summary.lines()))

The worker's loop is fed a ``RunUntil`` (for ``until``) and a ``Start``; the run pauses
itself at its last step. Rows are plain JSON-ready dicts (``trainer_row``; numbers may be
NaN or Inf): a row is evaluated on the whole train and test sets, so ``every`` also sets
how many full evaluation passes a run pays for. Unlike the app's, a headless run does not
pause at a non-finite step: the update is skipped and the summary counts such steps.
"""

from __future__ import annotations

from typing import Any, Callable

from gradtui.engine.predictions import Watch
from gradtui.engine.run import commands as c
from gradtui.engine.run.run import Run
from gradtui.engine.run.worker import Host
from gradtui.engine.train.health import StepStats
from gradtui.engine.train.runner import Progress, RowSink, RunTally, TrainSummary, check_counts, is_row, trainer_row
from gradtui.engine.train.stop import Stopper, parse_until
from gradtui.engine.train.trainer import Evaluation, Trainer


def run_headless(trainer: Trainer, steps: int, every: int = 1, on_row: RowSink | None = None,
                 progress: Progress | None = None, until: str | None = None,
                 watch: Watch | None = None,
                 on_step: Callable[[StepStats], None] | None = None) -> TrainSummary:
    """Train up to ``steps`` more steps; evaluate and emit a row at every step divisible by
    ``every`` and at the last one. ``progress(done)`` is called after each step, and
    ``on_step(stats)`` with each step's statistics (no evaluation: cheap). ``until``
    (see ``gradtui.engine.train.stop``; a bad one raises ValueError) ends the run at the
    first step it holds. ``watch`` (a scenario's prediction) sees every step and its
    outcome ends the summary. An error raised while training (by the engine or by a
    callback) is raised here."""
    check_counts(steps, every)
    evaluates = until is not None and Stopper(parse_until(until), trainer).evaluates
    first, last = trainer.step_count + 1, trainer.step_count + steps
    run = Run(trainer, headless=True)
    run.watch = watch
    tally = RunTally()
    rows = _Rows(run, every, last, on_row, evaluates)

    def after(stats: StepStats) -> None:
        tally.add(stats)
        if on_step is not None:
            on_step(stats)
        rows.after(stats)
        if progress is not None:
            progress(stats.step - first + 1)
        if stats.step >= last:
            run.apply(c.Pause())  # between two steps, as the worker applies one

    run.on_step = after
    commands: list[c.Command] = ([c.RunUntil(until)] if until is not None else []) + [c.Start()]
    inbox: list[list[Any] | None] = [[c.Envelope(c.VERSION, 0, command) for command in commands], None]
    Host({0: run}, lambda message: None).serve(lambda timeout: inbox.pop(0), lambda: False)
    if run.failure is not None:
        raise run.failure
    assert rows.evaluation is not None and rows.stats is not None  # the last step always makes a row
    summary = tally.summary(first, rows.stats.step, float(rows.stats.loss), rows.evaluation, until, run.stop)
    if watch is not None:
        summary.prediction = watch.lines()
    return summary


class _Rows:
    """A headless run's rows: at every ``every``-th step, the last and a stop, each with a
    whole-set evaluation (the one a "run until" made at that step, when it made one) and
    the settings changed since the row before."""

    def __init__(self, run: Run, every: int, last: int, on_row: RowSink | None, evaluates: bool) -> None:
        self.run, self.every, self.last, self.on_row, self.evaluates = run, every, last, on_row, evaluates
        trainer = run.trainer
        self.shown = sum(1 for change in trainer.changes if change.step < trainer.step_count)
        """Changes made before this run were exported by the run before."""
        self.stats: StepStats | None = None
        self.evaluation: Evaluation | None = None

    def after(self, stats: StepStats) -> None:
        self.stats = stats
        run = self.run
        if not (is_row(stats.step, self.every, self.last) or run.stop is not None):
            return
        now = run.timeline.evaluation if self.evaluates and run.timeline.evaluation is not None else None
        self.evaluation = now if now is not None else run.trainer.evaluate()
        changes = run.trainer.changes
        if self.on_row is not None:
            self.on_row(trainer_row(stats, self.evaluation, [change.text for change in changes[self.shown:]]))
        self.shown = len(changes)
