"""The training session in its three parts, tested without a screen: the driver
(``Session``), the ``Timeline`` and the pure frame builder; and how frames reach a screen."""

from __future__ import annotations

import pickle
import threading
import time

import numpy as np

from textual.app import App

from gradtui.engine import Flag, TrainConfig, Trainer
from gradtui.tui.app import GradtuiApp
from gradtui.engine.run import commands as c
from gradtui.engine.run.worker import News, read_command
from gradtui.engine.train.ladders import LR_LADDER, Climb, Cycle
from gradtui.engine.run.frame import build_frame
from gradtui.tui.train.output_view import OutputView, output_title
from gradtui.engine.run.outputs import Bars, Curve, Regions, compute_output
from gradtui.engine.run.run import EVALUATE_SHARE, next_due
from gradtui.tui.train.session import Session, View
from gradtui.engine.run import timeline as timeline_module
from gradtui.engine.run.timeline import SNAPSHOTS_KEPT, FlagTracker, Timeline, snapshot_bytes, thin
from gradtui.tui.widgets.publisher import FrameReady, Publisher


def run_in_thread(session: Session, steps: int) -> None:
    """Train until step ``steps`` (a "run until" stop, exact), or a halt before it."""
    session.run_until(f"step>={steps}")
    assert session.start()
    thread = threading.Thread(target=session.run, args=(lambda: False,), daemon=True)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive()


def test_worker_loop_matches_the_plain_trainer_bit_for_bit():
    session = Session(Trainer(TrainConfig()))
    run_in_thread(session, 300)
    plain = Trainer(TrainConfig())
    plain.run(session.trainer.step_count)
    np.testing.assert_array_equal(session.trainer.model.flat_value, plain.model.flat_value)
    assert not session.running and not session.busy


def test_changes_queued_while_running_apply_between_steps_in_order():
    session = Session(Trainer(TrainConfig()))
    assert session.start()
    up = Climb(LR_LADDER, "lr", up=True)
    for _ in range(4):  # sent without waiting, applied between two steps, in order
        session.change(up)
    session.pause()
    assert session.trainer.config.lr == 1.0
    texts = [e.text for e in session.drain_events() if e.kind == "control"]
    assert texts == ["lr 0.01 -> 0.03", "lr 0.03 -> 0.1", "lr 0.1 -> 0.3", "lr 0.3 -> 1"]


def test_a_change_when_paused_applies_at_once_and_publishes_a_frame():
    session = Session(Trainer(TrainConfig()), clock=FakeClock())
    serial = session.frame.serial
    session.change({"optimizer": "sgd"})
    assert session.trainer.config.optimizer == "sgd"
    assert session.frame.serial > serial and session.frame.config.optimizer == "sgd"


def test_an_invalid_change_is_logged_not_raised():
    session = Session(Trainer(TrainConfig()), clock=FakeClock())
    session.change({"lr": -1.0})
    (event,) = session.drain_events()
    assert event.kind == "error" and "lr" in event.text
    assert session.trainer.config.lr == 0.01


def test_nonfinite_halts_the_worker_and_says_where():
    config = TrainConfig(dataset="sine", hidden=(32, 32, 32), init="normal:3.0", optimizer="sgd", lr=1.0)
    session = Session(Trainer(config))
    run_in_thread(session, 10_000)
    assert session.trainer.step_count < 100
    assert session.frame.halted is not None and session.frame.halted.kind == "nonfinite"
    nan = [e for e in session.drain_events() if e.kind == "nan"]
    assert len(nan) == 1 and session.frame.halted.layer in nan[0].text


class FakeClock:
    """A clock that moves only when told: costs in these tests are simulated, not timed.
    A paused session on it never finds its work costly, so a press is applied on the
    calling thread at once, however loaded the machine."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def wait_until(condition, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "gave up waiting"
        time.sleep(0.001)


def test_next_due_spaces_costly_work_by_its_share():
    assert next_due(10.0, 0.01, 0.25, 0.1) == 10.25  # cheap: the plain interval
    assert next_due(10.0, 0.5, 0.25, 0.1) == 15.0  # 0.5 s of work at most every 5 s


def test_the_worker_spends_a_bounded_share_of_its_time_evaluating(monkeypatch):
    clock = FakeClock()
    trainer = Trainer(TrainConfig())
    real_step, real_evaluate = trainer.step, trainer.evaluate
    starts = []

    def step(probe=False):
        clock.now += 0.01
        return real_step(probe=probe)

    def evaluate():
        starts.append(clock.now)
        clock.now += 0.5
        return real_evaluate()

    def output(*args):
        clock.now += 0.06
        return compute_output(*args)

    trainer.step, trainer.evaluate = step, evaluate
    monkeypatch.setattr("gradtui.engine.run.run.compute_output", output)
    session = Session(trainer, clock=clock)
    run_in_thread(session, 10_000)
    running = np.array(starts[:-1])  # the last one is the evaluation on pausing
    assert len(running) >= 15
    assert np.diff(running).min() >= 0.5 / EVALUATE_SHARE  # so at most 10 % of the time
    assert session.frame.evals.steps[-1] == 10_000


def test_a_costly_evaluation_when_paused_is_the_workers_and_later_presses_follow_it(monkeypatch):
    monkeypatch.setattr("gradtui.engine.run.worker.QUIET", 0.0)
    clock = FakeClock()
    trainer = Trainer(TrainConfig())
    real_evaluate = trainer.evaluate
    release, threads = threading.Event(), []

    def slow_evaluate():
        threads.append(threading.current_thread())
        assert release.wait(30)
        clock.now += 0.5
        return real_evaluate()

    trainer.evaluate = slow_evaluate
    release.set()
    session = Session(trainer, clock=clock)
    release.clear()
    session.step()
    assert session.frame.step == 1  # shown at once; evaluated in a quiet moment, by the worker
    wait_until(lambda: len(threads) == 2)
    assert threads[1] is not threading.main_thread()
    threading.Timer(0.1, release.set).start()
    session.step()  # pressed during that evaluation: applied right after it, in order
    assert trainer.step_count == 2 and session.frame.step == 2
    wait_until(lambda: not session.busy)
    assert session.frame.evals.steps[-1] == 2 and session.frame.evaluation is not None


def test_presses_in_a_burst_are_applied_before_the_costly_evaluation(monkeypatch):
    monkeypatch.setattr("gradtui.engine.run.worker.QUIET", 30.0)
    clock = FakeClock()
    trainer = Trainer(TrainConfig())
    real_evaluate, evaluated = trainer.evaluate, []

    def slow_evaluate():
        evaluated.append(trainer.step_count)
        clock.now += 0.5
        return real_evaluate()

    trainer.evaluate = slow_evaluate
    session = Session(trainer, clock=clock)
    session.step()
    session.step()  # within the quiet time: applied by the waiting thread, no evaluation
    wait_until(lambda: session.frame.step == 2)
    assert evaluated == [0] and session.busy
    monkeypatch.setattr("gradtui.engine.run.worker.QUIET", 0.0)
    session.step()  # wakes it; it evaluates at once now
    wait_until(lambda: not session.busy)
    assert evaluated == [0, 3] and session.frame.evals.steps[-1] == 3


def test_cheap_evaluation_when_paused_is_done_at_once():
    session = Session(Trainer(TrainConfig()), clock=FakeClock())
    session.step()
    assert not session.busy and session.frame.evals.steps[-1] == 1


def test_reset_names_the_step_it_goes_back_to():
    fresh = Session(Trainer(TrainConfig()), clock=FakeClock())
    fresh.step()
    fresh.reset()
    assert [e.text for e in fresh.drain_events() if e.kind == "reset"] == [
        "reset to step 0: same seed, same initial weights, controls kept"]
    trainer = Trainer(TrainConfig())
    trainer.run(7)
    loaded = Session(trainer, clock=FakeClock())
    loaded.step()
    loaded.reset()
    assert [e.text for e in loaded.drain_events() if e.kind == "reset"] == [
        "reset to step 7 (the loaded checkpoint), controls kept"]
    assert loaded.trainer.step_count == 7


def test_an_undone_update_puts_a_nan_badge_on_every_layer():
    trainer = Trainer(TrainConfig())
    real_step = trainer.step

    def undone(probe=False):
        stats = real_step(probe=probe)
        stats.flags = [Flag("nonfinite", "model", "update would overflow to Inf/NaN; update undone")]
        stats.applied = False
        return stats

    trainer.step = undone
    session = Session(trainer, clock=FakeClock())
    session.step()
    assert session.frame.halted is not None
    for layer in session.frame.layers:
        assert np.isfinite(layer.grad_norm)
        assert [b.kind for b in layer.badges] == ["nonfinite"]


def test_bar_titles_follow_the_task():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    regression = Trainer.from_arrays(X, X.sum(axis=1), TrainConfig(), X, X.sum(axis=1))
    bars = compute_output(regression, 20, 10)
    assert output_title(bars, "custom", regression.evaluate()) == "test R² per output"
    classes = Trainer.from_arrays(X, rng.integers(0, 3, 60), TrainConfig())
    bars = compute_output(classes, 20, 10)  # more than two classes: the confusion matrix
    assert output_title(bars, "custom", None) == "test confusion: row = label, column = predicted"
    two = Trainer.from_arrays(X, rng.integers(0, 2, 60), TrainConfig())
    assert output_title(compute_output(two, 20, 10), "custom", None).endswith("accuracy per class")


def test_flags_clear_only_after_a_run_of_clean_steps():
    tracker = FlagTracker(clear_after=3)
    dead = Flag("dead", "layers.1", "9/16 units dead")
    assert [e.kind for e in tracker.update(1, [dead])] == ["raised"]
    assert tracker.update(2, []) == [] and tracker.update(3, [dead]) == []
    assert tracker.update(5, []) == []
    assert [e.kind for e in tracker.update(6, [])] == ["cleared"]
    assert tracker.update(7, [Flag("nonfinite", "loss", "nan")]) == []


def test_snapshots_stay_bounded_and_reach_back_to_the_start():
    session = Session(Trainer(TrainConfig()))
    run_in_thread(session, 5000)
    steps = session.snapshot_steps
    assert len(steps) <= 24 and steps[0] == 0 and steps[-1] == 5000
    assert steps == sorted(steps) and steps[-2] == 4900


def test_thin_keeps_the_first_and_the_newest_half():
    items = list(range(10))
    assert thin(items) == [0, 2, 4, 5, 6, 7, 8, 9]


def test_output_kinds_follow_the_data():
    assert isinstance(compute_output(Trainer(TrainConfig()), 20, 10), Regions)
    line = Trainer(TrainConfig(dataset="linear", hidden=(), batch_size=None))
    curve = compute_output(line, 20, 10)
    assert isinstance(curve, Curve) and curve.line == (
        float(line.model.layers[0].W.value[0, 0]), float(line.model.layers[0].b.value[0]))
    assert compute_output(Trainer(TrainConfig(dataset="sine")), 20, 10).line is None
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 3)), rng.integers(0, 3, 60)
    bars = compute_output(Trainer.from_arrays(X, y, TrainConfig()), 20, 10)
    assert isinstance(bars, Bars) and len(bars.rows) == 3


def test_regions_mark_nan_outputs_as_unknown():
    trainer = Trainer(TrainConfig())
    trainer.model.flat_value[:] = np.nan
    regions = compute_output(trainer, 8, 4)
    assert regions.classes.shape == (4, 8) and not np.isfinite(regions.confidence).any()


def test_an_error_inside_a_step_stops_the_run_and_is_logged():
    session = Session(Trainer(TrainConfig()))

    def broken_step(probe=False):
        raise RuntimeError("boom")

    session.trainer.step = broken_step
    run_in_thread(session, 10)
    errors = [e.text for e in session.drain_events() if e.kind == "error"]
    assert errors == ["training stopped by an error: RuntimeError('boom')"]
    assert not session.running and not session.busy


def test_a_run_that_stops_before_its_start_is_answered_is_not_waited_for():
    """The worker's news that a start has stopped can overtake the start's own reply (a
    run that halts at its first step): ``run`` must still return."""
    session = Session(Trainer(TrainConfig()), worker="thread")
    real_send = session.worker.send

    def send(run, command, wait=False):
        if isinstance(command, c.Start):
            session.receive(News(0, None, [], 1, False))  # the stop, before the reply
            return {0: 1}
        return real_send(run, command, wait)

    session.worker.send = send
    assert session.start()
    thread = threading.Thread(target=session.run, args=(lambda: False,), daemon=True)
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive() and not session.running


def test_timeline_rewind_keeps_the_controls_and_forgets_the_future():
    trainer = Trainer(TrainConfig())
    timeline = Timeline(trainer)
    for _ in range(250):
        timeline.record_step(trainer.step())
    trainer.update(lr=0.1)
    timeline.mark()
    assert timeline.snapshot_steps == [0, 100, 200]
    target = timeline.rewind()
    assert target is not None and target.step == 200 and trainer.step_count == 200
    assert trainer.config.lr == 0.1 and timeline.last is None
    assert timeline.steps.view(1000).steps.max() <= 200 and list(timeline.marks) == []
    trainer.step()
    plain = Trainer(TrainConfig())
    plain.run(200)
    plain.update(lr=0.1)
    plain.step()
    np.testing.assert_array_equal(trainer.model.flat_value, plain.model.flat_value)
    assert timeline.reset().step == 0 and trainer.step_count == 0 and len(timeline.steps.view(10)) == 0
    assert timeline.rewind() is None and trainer.step_count == 0


def test_build_frame_reads_the_run_and_changes_nothing():
    trainer = Trainer(TrainConfig())
    timeline = Timeline(trainer)
    for _ in range(30):
        timeline.record_step(trainer.step())
    timeline.record_evaluation(trainer.evaluate())
    weights, steps = trainer.model.flat_value.copy(), timeline.steps.view(1000).steps.copy()
    first = build_frame(7, trainer, timeline, running=False, steps_per_s=0.0, output=None,
                        halted=None, points=50)
    second = build_frame(8, trainer, timeline, running=False, steps_per_s=0.0, output=None,
                         halted=None, points=50)
    np.testing.assert_array_equal(trainer.model.flat_value, weights)
    np.testing.assert_array_equal(timeline.steps.view(1000).steps, steps)
    assert trainer.step_count == 30
    assert (first.serial, first.step, first.evaluation) == (7, 30, timeline.evaluation)
    assert first.batch_loss == timeline.last.loss
    np.testing.assert_array_equal(first.steps.lo, second.steps.lo)
    assert [layer.grad_norm for layer in first.layers] == list(timeline.last.layer_grad_norms)


def test_frame_ready_replaces_only_an_older_one_from_the_same_publisher():
    one, other = Publisher(), Publisher()
    assert FrameReady(one).can_replace(FrameReady(one))
    assert not FrameReady(one).can_replace(FrameReady(other))


class Counter(App):
    """Counts the FrameReady messages its screen handles."""

    def __init__(self) -> None:
        super().__init__()
        self.handled = 0

    def on_frame_ready(self, message: FrameReady) -> None:
        self.handled += 1


async def test_frames_published_in_a_burst_are_drawn_once_and_other_threads_may_publish():
    app = Counter()
    async with app.run_test() as pilot:
        session = Session(Trainer(TrainConfig()), clock=FakeClock())  # no work ever counts as costly
        session.attach(app)
        for _ in range(20):  # each applied at once and published, before the app runs again
            session.step()
        await pilot.pause()
        burst = app.handled
        assert 1 <= burst < 20  # coalesced (on a busy machine a late publish may add one more draw)
        thread = threading.Thread(target=session.step, daemon=True)
        thread.start()
        thread.join()
        await wait_until_async(lambda: app.handled > burst, pilot)
        assert session.frame.step == 21


async def test_the_screen_tells_the_session_its_size_and_draws_published_frames():
    app = GradtuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        session, screen = app.session, app.screen
        session.step()
        await pilot.pause()
        assert session.view.output_size == screen.query_one(OutputView).grid_size != (40, 24)
        drawn = screen.refreshes
        threading.Thread(target=session.step, daemon=True).start()
        await wait_until_async(lambda: screen.refreshes > drawn, pilot)
        assert "step 2 " in screen.query_one("#status").text


async def wait_until_async(condition, pilot, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "gave up waiting"
        await pilot.pause(0.01)


def test_timeline_keeps_every_control_change_snapshot_through_thinning():
    trainer = Trainer(TrainConfig())
    timeline = Timeline(trainer)
    for step in range(1, 15_001):
        if step in (2725, 9001):
            timeline.remember(pin=True)  # what a control change does before it applies
        timeline.record_step(trainer.step())
    steps = timeline.snapshot_steps
    assert 2724 in steps and 9000 in steps and steps[0] == 0
    assert len(steps) <= SNAPSHOTS_KEPT + 3  # the periodic ones stay thinned
    assert steps == sorted(steps)


def test_pinned_snapshots_give_way_only_past_the_memory_budget(monkeypatch):
    trainer = Trainer(TrainConfig())
    timeline = Timeline(trainer)
    one = snapshot_bytes(timeline.initial)
    monkeypatch.setattr(timeline_module, "SNAPSHOT_BYTES", 10 * one)
    for _ in range(30):
        trainer.step()
        timeline.remember(pin=True)
    assert len(timeline.snapshots) <= 10 and 30 in timeline.snapshot_steps
    assert sum(map(snapshot_bytes, timeline.snapshots)) <= 10 * one


def test_before_trouble_is_the_last_snapshot_before_the_first_exploding_step():
    trainer = Trainer(TrainConfig(hidden=(32,) * 5, activation="leaky_relu", init="normal:0.5",
                                  optimizer="sgd", lr=0.1))
    timeline = Timeline(trainer)
    while True:
        stats = trainer.step()
        timeline.record_step(stats)
        if not stats.applied:
            break
    assert timeline.exploding_since == 10 and trainer.step_count == 14
    target = timeline.restore_before_trouble()
    assert target.step == 0 and trainer.step_count == 0 and timeline.exploding_since is None


def test_a_change_at_a_nan_pause_applies_from_before_the_blow_up_and_trains_on():
    session = Session(Trainer(TrainConfig(hidden=(32,) * 5, activation="leaky_relu",
                                          init="normal:0.5", optimizer="sgd", lr=0.1)))
    run_in_thread(session, 1000)
    assert session.frame.halted is not None and session.trainer.step_count == 14
    (nan,) = [e.text for e in session.drain_events() if e.kind == "nan"]
    assert "applies from step 0, before the blow-up" in nan and "u rewind" not in nan
    session.change({"clip_mode": "norm"})
    wait_until(lambda: not session.busy)
    events = session.drain_events()
    assert [e.kind for e in events] == ["rewind", "control"]
    assert events[0].text == ("NaN at step 14: back to step 0, the last snapshot before the gradients "
                              "blew up at step 10; the change applies from there, controls kept")
    assert session.trainer.step_count == 0 and session.frame.halted is None
    run_in_thread(session, 300)
    assert session.frame.halted is None and session.trainer.step_count >= 300
    plain = Trainer(session.trainer.config)
    plain.run(session.trainer.step_count)
    np.testing.assert_array_equal(session.trainer.model.flat_value, plain.model.flat_value)


def test_rewind_says_nothing_older_once_not_on_every_press():
    session = Session(Trainer(TrainConfig()), clock=FakeClock())
    session.step()
    for _ in range(4):
        session.rewind()
    wait_until(lambda: not session.busy)
    texts = [e.text for e in session.drain_events() if e.kind == "rewind"]
    assert texts == ["rewound from step 1 to step 0, controls kept (lr, activation, optimizer, clipping, batch)",
                     "nothing older than step 0 to rewind to"]


def test_steps_taken_at_a_nan_pause_neither_snapshot_ruined_weights_nor_move_the_way_out():
    session = Session(Trainer(TrainConfig(hidden=(32,) * 5, activation="leaky_relu",
                                          init="normal:0.5", optimizer="sgd", lr=0.1)))
    run_in_thread(session, 1000)
    assert session.trainer.step_count == 14
    for _ in range(300):  # s pressed again and again at the pause: every step is NaN
        session.step()
    wait_until(lambda: not session.busy)  # steps may queue for a background evaluation
    assert session.trainer.step_count == 314
    assert session.snapshot_steps == [0] and session.timeline.exploding_since == 10
    session.change({"lr": 0.03})
    wait_until(lambda: not session.busy)
    assert session.trainer.step_count == 0


def test_a_new_view_size_when_paused_publishes_a_frame_at_that_size():
    session = Session(Trainer(TrainConfig()), clock=FakeClock())
    serial = session.frame.serial
    session.set_view(View((30, 12), 50))
    assert session.frame.serial > serial
    assert session.frame.output.classes.shape == (12, 30)
    again = session.frame.serial
    session.set_view(View((30, 12), 50))  # the same size: nothing to redo
    assert session.frame.serial == again


def test_every_session_method_sends_one_command_dataclass(monkeypatch):
    session = Session(Trainer(TrainConfig()), worker="thread")
    sent = []
    real = session.worker._post
    monkeypatch.setattr(session.worker, "_post", lambda envelope: (sent.append(envelope), real(envelope)))
    session.step()
    session.change(Climb(LR_LADDER, "lr", up=True))
    session.change(Cycle(("relu", "tanh"), "activation"))
    session.change({"clip_mode": "norm"})
    session.rewind()
    session.reset()
    session.draw_point(0.5, 0.5)
    session.next_draw_class()
    session.run_until("step>=5")
    session.watch_prediction("default")
    session.look(None)
    session.locked = True
    assert session.start()
    session.pause()
    session.inspection_copy()
    for envelope in sent:
        assert type(envelope.command) in c.COMMANDS
        assert read_command(pickle.dumps(envelope)) == envelope  # plain data: it crosses as it is
    assert {type(e.command) for e in sent} >= {c.Step, c.Shift, c.Change, c.Rewind, c.Reset, c.DrawPoint,
                                                c.NextDrawClass, c.RunUntil, c.CheckUntil, c.WatchPrediction,
                                                c.Lock, c.Start, c.Pause, c.InspectionCopy}
