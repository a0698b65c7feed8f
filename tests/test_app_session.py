"""Session: the app's training driver, tested without a screen."""

from __future__ import annotations

import threading

import numpy as np

from gradtui.engine import Flag, TrainConfig, Trainer
from gradtui.tui.session import FlagTracker, Session, thin
from gradtui.tui.outputs import Bars, Curve, Regions, compute_output


def run_in_thread(session: Session, steps: int) -> None:
    """Run the worker loop in a thread until ``steps`` steps are done."""
    assert session.start()
    thread = threading.Thread(target=session.run, args=(lambda: session.trainer.step_count >= steps,))
    thread.start()
    thread.join(timeout=30)
    session.pause()


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
    done = threading.Event()

    def stop() -> bool:
        if session.trainer.step_count == 50:
            session.change(lambda c: {"lr": c.lr * 10})
            session.change(lambda c: {"lr": c.lr * 10})
        return session.trainer.step_count >= 60

    thread = threading.Thread(target=lambda: (session.run(stop), done.set()))
    thread.start()
    assert done.wait(30)
    assert session.trainer.config.lr == 1.0
    texts = [e.text for e in session.drain_events() if e.kind == "control"]
    assert texts == ["lr 0.01 -> 0.1", "lr 0.1 -> 1"]


def test_a_change_when_paused_applies_at_once_and_publishes_a_frame():
    session = Session(Trainer(TrainConfig()))
    serial = session.frame.serial
    session.change(lambda c: {"optimizer": "sgd"})
    assert session.trainer.config.optimizer == "sgd"
    assert session.frame.serial > serial and session.frame.config.optimizer == "sgd"


def test_an_invalid_change_is_logged_not_raised():
    session = Session(Trainer(TrainConfig()))
    session.change(lambda c: {"lr": -1.0})
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


def test_evaluation_is_throttled_in_the_worker():
    session = Session(Trainer(TrainConfig()))
    run_in_thread(session, 2000)
    evals = session.frame.evals
    assert 1 <= len(evals) < 200


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
