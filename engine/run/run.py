"""One training run, headless: a Trainer, its Timeline, and the one loop that steps it.

A ``Run`` is owned by exactly one thread, its worker's (``worker``): commands
(``commands``) are applied between two steps by ``apply``, ``tick`` takes one step and,
when one is due, makes a ``Frame`` (``build_frame``) and keeps it in ``frame``; what
happened goes to ``events``. Nothing here knows of screens, threads or processes.

Evaluation (a forward pass over both full sets) and the output view can cost far more
than a step on big data (MNIST-sized: ~0.5 s against ~3 ms). While training they are
spaced by their measured cost so they take a bounded share of the time (``EVALUATE_SHARE``,
``OUTPUT_SHARE``; the network view's picture, ``NETWORK_SHARE``; the sharpness pane's
λmax, ``SHARPNESS_SHARE``); ``costly`` tells the worker when a paused command's
evaluation should wait for a quiet moment.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any, Callable

from gradtui.engine import MLP, Flag, StepStats, TrainConfig, Trainer, Twin
from gradtui.engine.curvature.lr_finder import RangeTest
from gradtui.engine.inspect.replica import refreshed, replica
from gradtui.engine.predictions import Watch
from gradtui.engine.run import commands as c
from gradtui.engine.run import files
from gradtui.engine.run.drawing import drawable, with_point, without_nearest
from gradtui.engine.run.events import EVENTS_KEPT, Event
from gradtui.engine.run.frame import Frame, build_frame
from gradtui.engine.run.network_picture import NetworkPicture, network_picture
from gradtui.engine.run.outputs import Output, compute_output
from gradtui.engine.run.timeline import Timeline
from gradtui.engine.scenarios.catalog import SCENARIOS
from gradtui.engine.train.changes import describe, show_setting
from gradtui.engine.train.ladders import LadderEnd
from gradtui.engine.train.stop import Stop, Stopper, parse_until

PUBLISH_EVERY = 1 / 12
"""Seconds between frames while training. A little over 10 Hz, so that scheduling jitter
never drops the visible update rate below 10 per second."""
EVALUATE_EVERY = 0.25
EVALUATE_SHARE = 0.1
"""While training, evaluation takes at most this share of the run's time."""
OUTPUT_EVERY = 0.5
OUTPUT_SHARE = 0.05
"""While training, the output view takes at most this share of the run's time."""
NETWORK_EVERY = 0.15
NETWORK_SHARE = 0.05
"""While training, the network view's picture (when asked for) is made anew at most every
``NETWORK_EVERY`` seconds and takes at most this share of the run's time."""
SHARPNESS_EVERY = 0.2
SHARPNESS_SHARE = 0.1
"""While training with the sharpness pane open, measuring λmax takes at most this share
of the run's time, and happens at most every ``SHARPNESS_EVERY`` seconds."""
UI_BUDGET = 0.02
"""Seconds of evaluation and output a paused command may cost before the screen hears it
was applied; costlier work follows in a frame of its own (``costly``)."""


class Run:
    """One run's state and its loop; see the module docstring."""

    def __init__(self, trainer: Trainer, name: str = "default",
                 clock: Callable[[], float] = time.perf_counter, timeline: Timeline | None = None,
                 headless: bool = False) -> None:
        self.trainer = trainer
        self.headless = headless
        """No screen watches this run (``gradtui run``): ``tick`` makes no frames, a frame
        (kept for the worker's news) carries no evaluation or output made for it, and the
        timeline records no steps; a non-finite step does not pause it (its update is
        skipped, as every such step's is, and training goes on: ``gradtui run`` counts them)."""
        self.on_step: Callable[[StepStats], None] | None = None
        """Called with each step's numbers once the step is recorded and checked (a headless
        run's rows, progress and curves; in the worker's thread)."""
        self.stop: Stop | None = None
        """What the last "run until" stopped at (None until one holds)."""
        self.failure: Exception | None = None
        """The error that stopped the run (``tick``), for a headless caller to raise again."""
        self.name = name
        self.timeline = timeline if timeline is not None else Timeline(trainer)
        self.view = c.View()
        self.events: deque[Event] = deque(maxlen=EVENTS_KEPT)
        self.running = False
        """True from ``Start`` until a pause, a NaN halt, a "run until" stop or an error."""
        self.starts = 0
        """How many times this run was started: a screen tells a run that stopped from one
        started again since by it."""
        self.halted: Flag | None = None
        """The non-finite flag that stopped the last run, until the next start or restore."""
        self.watch: Watch | None = None
        """The scenario's prediction, followed step by step until its evidence shows."""
        self.draw_class = 0
        """The class a click on the decision regions adds a point of."""
        self.locked = False
        self.stopped_at = 0.0
        """When the loop last stopped stepping (``clock`` seconds; for benchmarks)."""
        self._clock = clock
        self._stopper: Stopper | None = None
        self._nothing_older: int | None = None  # the step "nothing older" was last said at
        self._output: Output | None = None
        self._network: NetworkPicture | None = None
        self._network_twin: MLP | None = None
        """The replica the network view's pictures are computed on, reused (``refreshed``)."""
        self._serial = 0
        self._rate = 0.0
        self._rate_mark = (clock(), trainer.step_count)
        self._next = {"publish": 0.0, "evaluate": 0.0, "output": 0.0, "network": 0.0, "sharpness": 0.0}
        self._cost = {"evaluate": 0.0, "output": 0.0, "network": 0.0, "sharpness": 0.0}
        self.frame: Frame
        self.refresh()

    # --- commands --------------------------------------------------------------------

    def apply(self, command: c.Command) -> Any:
        """Apply ``command`` between two steps; the reply of a request (None for the rest)."""
        handler = getattr(self, f"_on_{type(command).__name__}")
        return handler(command)

    def _on_Start(self, _: c.Start) -> dict[int, int]:
        if not self.running:
            self.running = True
            self.starts += 1
            self.halted = None
            self._rate_mark = (self._clock(), self.trainer.step_count)
        return {0: self.starts}  # (the worker puts the run's id in)

    def _on_Pause(self, _: c.Pause) -> None:
        self.running = False

    def _on_Step(self, _: c.Step) -> None:
        if not self.running:
            self.advance(probe=True)

    def _on_Shift(self, command: c.Shift) -> None:
        self._change(command.move)

    def _on_Change(self, command: c.Change) -> None:
        values = dict(command.values)
        self._change(lambda config: values)

    def _on_Reset(self, _: c.Reset) -> None:
        before = self.trainer.config
        initial = self.timeline.reset()
        self._forget_readings()
        if self.watch is not None and not self.watch.revealed:  # watch the new run from its start
            self.watch = self.watch.prediction.watch()
        if initial.step == 0:
            self.say("reset", f"reset to step 0: same seed, same initial weights"
                              f"{undone(before, self.trainer.config)}, controls kept")
        else:
            self.say("reset", f"reset to step {initial.step} (the loaded checkpoint), controls kept")

    def _on_Rewind(self, _: c.Rewind) -> None:
        step, before = self.trainer.step_count, self.trainer.config
        target = self.timeline.rewind()
        if target is None:
            if self._nothing_older != step:  # said once, not on every further press
                self._nothing_older = step
                self.say("rewind", f"nothing older than step {step} to rewind to")
            return
        self._forget_readings()
        self.say("rewind", f"rewound from step {step} to step {target.step}{undone(before, self.trainer.config)}, "
                           "controls kept (lr, activation, optimizer, clipping, batch)")

    def _on_Save(self, command: c.Save) -> None:
        self.say(*files.save_checkpoint(self.trainer, self.name, command.directory))

    def _on_Share(self, command: c.Share) -> None:
        self.say(*files.share(self.trainer, self.name, command.directory))

    def _on_Export(self, command: c.Export) -> None:
        self.say(*files.export_network(self.trainer, self.name, command.fmt, command.directory))

    def _on_SavePoints(self, command: c.SavePoints) -> None:
        self.say(*files.save_points(self.trainer, self.name, command.directory))

    def _on_DrawPoint(self, command: c.DrawPoint) -> None:
        data, x, y = self.trainer.data, command.x, command.y
        if not drawable(data):
            self.say("limit", "points can be drawn on 2-D classification data only")
            return
        try:
            if command.remove:
                new, gone = without_nearest(data, x, y)
                what = f"removed the training point at ({gone[0]:.3g}, {gone[1]:.3g})"
            else:
                label = min(self.draw_class, (data.n_classes or 2) - 1)
                new, what = with_point(data, x, y, label), f"drew a class {label} point at ({x:.3g}, {y:.3g})"
        except ValueError as exc:
            self.say("limit", str(exc))
            return
        self.timeline.remember()
        change = self.trainer.use_data(new, what)
        self.timeline.mark()
        self._next["output"] = 0.0
        self.say("control", change.text)

    def _on_NextDrawClass(self, _: c.NextDrawClass) -> None:
        self.draw_class = (self.draw_class + 1) % (self.trainer.data.n_classes or 2)
        self.say("control", f"clicks now draw class {self.draw_class} points")

    def _on_SetView(self, command: c.SetView) -> None:
        self.view = command.view

    def _on_RunUntil(self, command: c.RunUntil) -> None:
        self._stopper = Stopper(parse_until(command.until), self.trainer)
        self.say("control", f"run until {command.until}")

    def _on_CheckUntil(self, command: c.CheckUntil) -> str | None:
        try:
            Stopper(parse_until(command.until), self.trainer)
        except ValueError as exc:
            return str(exc)
        return None

    def _on_UseRangeTest(self, command: c.UseRangeTest) -> None:
        lr = command.lr
        if lr is None:
            self.say("control", "lr range test cancelled: the run is as it was (the test trained a copy)")
            return
        step = self.trainer.step_count
        self._change(lambda config: {"lr": lr})
        self.say("control", f"lr range test applied: lr {show_setting('lr', lr)} (a tenth "
                            "of the lr at the lowest smoothed loss); only the lr changed: the run "
                            f"goes on from the weights of step {step}, as they were before the test")

    def _on_WatchPrediction(self, command: c.WatchPrediction) -> None:
        scenario = SCENARIOS.get(command.scenario) if command.scenario is not None else None
        prediction = scenario.prediction if scenario is not None else None
        self.watch = prediction.watch() if prediction is not None else None

    def _on_Lock(self, command: c.Lock) -> None:
        self.locked = command.locked

    def _on_Latest(self, _: c.Latest) -> Timeline:
        return self.timeline

    def _on_InspectionCopy(self, _: c.InspectionCopy) -> tuple[MLP, int, list[Any]]:
        return replica(self.trainer.model), self.trainer.step_count, list(self.timeline.snapshots)

    def _on_LrRangeTest(self, command: c.LrRangeTest) -> RangeTest:
        return self.trainer.lr_range_test(command.steps, command.start, command.end)

    def fork(self, name: str) -> "Run":
        """A new run whose Trainer continues this one's exact state (``Twin.from_trainer``)
        with a copy of its past: twin mode's run B."""
        trainer = Twin.from_trainer(self.trainer).b
        twin = Run(trainer, name, self._clock, self.timeline.fork(trainer))
        twin.view = self.view
        twin.refresh()  # at this screen's sizes
        return twin

    # --- the loop --------------------------------------------------------------------

    def tick(self) -> bool:
        """One step, and a frame when one is due. Returns whether it made a frame. An
        engine failure ends the run (an error line), not the worker."""
        try:
            self.advance()
            if not self.headless and self._clock() >= self._next["publish"]:
                self._catch_up()
                self.publish()
                return True
        except Exception as exc:
            self.running = False
            self.failure = exc
            self.say("error", f"training stopped by an error: {exc!r}")
        return False

    def stopped(self) -> None:
        """The loop stopped stepping: note when, and show the state as of now."""
        self.stopped_at = self._clock()
        self.refresh()

    def advance(self, probe: bool = False) -> StepStats:
        """One training step, recorded; a non-finite step halts the run."""
        stats = self.trainer.step(probe=probe)
        if not self.headless:  # the timeline is what a screen shows and rewinds to
            self.events.extend(self.timeline.record_step(stats))
        if self.watch is not None and self.watch.see(self.trainer, stats) and self.watch.reveal is not None:
            self.say("prediction", f"the run shows the answer: {self.watch.reveal.evidence}")
        if not stats.applied and not self.headless:
            self._halt(stats.flagged("nonfinite")[0])
        elif self._stopper is not None:
            self._check_stop(stats)
        if self.on_step is not None:
            self.on_step(stats)
        return stats

    def say(self, kind: str, text: str, path: str | None = None) -> None:
        """An event at the current step."""
        self.events.append(Event(self.trainer.step_count, kind, text, path))

    def drain_events(self) -> list[Event]:
        """Events since the last call, oldest first."""
        out = list(self.events)
        self.events.clear()
        return out

    def _check_stop(self, stats: StepStats) -> None:
        """Pause at the step a "run until" condition holds (evaluating every step if it needs to)."""
        stopper = self._stopper
        assert stopper is not None
        evaluation = None
        if stopper.evaluates:
            evaluation = self.trainer.evaluate()
            self.timeline.record_evaluation(evaluation)
        stop = stopper.check(stats, evaluation)
        if stop is not None:
            self._stopper = None
            self.stop = stop
            self.running = False
            self.say("stop", stop.line())

    def _halt(self, flag: Flag) -> None:
        self.running = False
        self.halted = flag
        back = self.timeline.before_trouble().step
        if self.locked:  # x and [ do nothing here
            self.say("nan", f"NaN/Inf in {flag.layer}: {flag.detail}. Paused. The presenter holds "
                            "the controls: u rewinds, r resets to the first weights")
            return
        self.say("nan", f"NaN/Inf in {flag.layer}: {flag.detail}. Paused. Way out: x (clip) or "
                        f"[ (lower lr), then space: a change made now applies from step {back}, "
                        "before the blow-up")

    def _change(self, compute: Callable[[TrainConfig], dict[str, Any]]) -> None:
        config = self.trainer.config
        try:
            changes = compute(config)
        except LadderEnd as end:
            self.say("limit", str(end))
            return
        changed = {k: v for k, v in changes.items() if getattr(config, k) != v}
        if not changed:
            return
        if self.halted is not None:  # the weights here are already ruined: go back first
            self._back_before_trouble()
        self.timeline.remember(pin=True)
        self.timeline.remember()
        model = self.trainer.model
        try:
            change = self.trainer.update(**changed)
        except ValueError as exc:
            self.say("error", str(exc))
            return
        if self.trainer.model is not model:  # reshaped: the last step's layers are not these
            self.timeline.last = None
            self._next["output"] = 0.0
        self.timeline.mark()
        self.say("control", change.text if change else ", ".join(
            f"{k} {show_setting(k, getattr(config, k))} -> {show_setting(k, v)}" for k, v in changed.items()))

    def _back_before_trouble(self) -> None:
        halted_at = self.trainer.step_count
        since = self.timeline.exploding_since
        target = self.timeline.restore_before_trouble()
        self._forget_readings()
        cause = f"the gradients blew up at step {since}" if since is not None else "the NaN"
        self.say("rewind", f"NaN at step {halted_at}: back to step {target.step}, the last "
                           f"snapshot before {cause}; the change applies from there, controls kept")

    def _forget_readings(self) -> None:
        """After a restore: the halt and the output showed the abandoned future."""
        self.halted = None
        self._output = None
        self._stopper = None  # its plateau count saw the abandoned future
        self._next["evaluate"] = self._next["output"] = self._next["sharpness"] = 0.0

    # --- periodic work and frames ----------------------------------------------------

    @property
    def costly(self) -> bool:
        """Whether evaluating and drawing the outputs costs more than ``UI_BUDGET``."""
        sharpness = self._cost["sharpness"] if self.view.sharpness else 0.0
        return self._cost["evaluate"] + self._cost["output"] + sharpness > UI_BUDGET

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

    def refresh(self) -> None:
        """Evaluation, output and (with its pane open) the sharpness as of now, then a frame
        (a headless run's frame only: nobody reads the rest)."""
        if self.headless:
            self.publish()
            return
        self._evaluate()
        self._update_output()
        latest = self.timeline.sharpness.latest
        if self.view.sharpness and (latest is None or latest[0] != self.trainer.step_count):
            self._measure_sharpness()
        self.publish()

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

    def publish(self) -> None:
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
        self.frame = build_frame(self._serial, self.trainer, self.timeline, running=self.running,
                                 steps_per_s=self._rate, output=self._output, halted=self.halted,
                                 points=self.view.plot_points, network=self._network_picture(),
                                 sharpness=self.view.sharpness,
                                 reveal=self.watch.reveal if self.watch is not None else None)
        self._next["publish"] = self._clock() + PUBLISH_EVERY


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

