"""Training apart: the worker loop in a forked child process (``apart.drive``), as the app
runs it on Linux. Whatever the child did must come back exactly: the same bits as one
uninterrupted run, the presses applied between two steps, a NaN halt, its events once."""

from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pytest

from gradtui.engine import SCENARIOS, TrainConfig, Trainer
from gradtui.tui.train import apart
from gradtui.tui.train.session import Session
from gradtui.engine.train.ladders import LR_LADDER, Climb

pytestmark = pytest.mark.skipif(not apart.APART, reason="training apart needs fork (Linux)")


def wait(condition, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.002)


def replay(session: Session, *lrs: float) -> Trainer:
    """A plain Trainer taken through the session's changes (each one to the next of ``lrs``)
    at their steps, up to the session's step."""
    plain, done = Trainer(TrainConfig()), 0
    for change, lr in zip(session.trainer.changes, lrs, strict=True):
        plain.run(change.step - done)
        plain.update(lr=lr)
        done = change.step
    plain.run(session.trainer.step_count - done)
    return plain


def start(session: Session) -> threading.Thread:
    """Start the run as the app's worker does (it stops on ``pause``)."""
    assert session.start()
    thread = threading.Thread(target=session.run, args=(lambda: False,), daemon=True)
    thread.start()
    wait(lambda: session._apart is not None or not session.running)
    return thread


def pause(session: Session, thread: threading.Thread) -> None:
    session.pause()
    thread.join(30)
    assert not thread.is_alive() and not session.busy and session._apart is None


def test_a_run_apart_paused_and_resumed_ends_bit_identical_to_one_plain_run():
    session = Session(Trainer(TrainConfig()))
    for _ in range(3):
        begin = session.trainer.step_count
        thread = start(session)
        wait(lambda: session.frame.step >= begin + 150)
        pause(session, thread)
    steps = session.trainer.step_count
    assert steps >= 450 and session.frame.step == steps
    plain = Trainer(TrainConfig())
    plain.run(steps)
    np.testing.assert_array_equal(session.trainer.model.flat_value, plain.model.flat_value)
    ours, theirs = session.trainer.snapshot(), plain.snapshot()
    for key, value in theirs.optimizer["arrays"].items():
        np.testing.assert_array_equal(ours.optimizer["arrays"][key], value)
    np.testing.assert_equal(ours.sampler, theirs.sampler)
    assert ours.samples_seen == theirs.samples_seen
    # the records of the run are those of a run in this thread to the same step
    here = Session(Trainer(TrainConfig()))
    here.apart = False
    assert here.start()
    here.run(lambda: here.trainer.step_count >= steps)
    assert here.trainer.step_count == steps
    mine, yours = session.timeline.steps.view(240), here.timeline.steps.view(240)
    for field in ("steps", "lo", "hi", "last"):
        np.testing.assert_array_equal(getattr(mine, field), getattr(yours, field))
    assert session.snapshot_steps == here.snapshot_steps


def test_presses_while_running_apart_apply_between_steps_in_order_and_once():
    session = Session(Trainer(TrainConfig()))
    thread = start(session)
    wait(lambda: session.frame.step > 30)
    session.change(lambda c: {"lr": c.lr * 10})
    session.change(lambda c: {"lr": c.lr * 10})
    wait(lambda: session.trainer.config.lr == 1.0)
    wait(lambda: session.frame.step > session.trainer.changes[-1].step + 50)
    pause(session, thread)
    texts = [e.text for e in session.drain_events() if e.kind == "control"]
    assert texts == ["lr 0.01 -> 0.1", "lr 0.1 -> 1"]
    np.testing.assert_array_equal(session.trainer.model.flat_value, replay(session, 0.1, 1.0).model.flat_value)


def test_a_press_that_is_a_value_goes_to_the_child_which_trains_on():
    session = Session(Trainer(TrainConfig()))
    thread = start(session)
    wait(lambda: session.frame.step > 30)
    child = session._apart
    session.change(Climb(LR_LADDER, "lr", up=True))
    session.change(Climb(LR_LADDER, "lr", up=True))
    wait(lambda: session.frame.config.lr == 0.1)
    assert session._apart is child and session.trainer.config.lr == 0.01  # not stopped for it
    wait(lambda: session.frame.step > 400)
    pause(session, thread)
    texts = [e.text for e in session.drain_events() if e.kind == "control"]
    assert texts == ["lr 0.01 -> 0.03", "lr 0.03 -> 0.1"] and session.trainer.config.lr == 0.1
    np.testing.assert_array_equal(session.trainer.model.flat_value, replay(session, 0.03, 0.1).model.flat_value)


def test_a_nan_in_the_child_halts_the_run_here_once():
    session = Session(Trainer(SCENARIOS["exploding"].config))
    thread = start(session)
    thread.join(60)
    assert not thread.is_alive() and not session.running and session._apart is None
    assert session.halted is not None and session.halted.kind == "nonfinite"
    assert [e.kind for e in session.drain_events()].count("nan") == 1
    assert np.isfinite(session.trainer.model.flat_value).all()  # the ruinous update was undone
    assert session.frame.step == session.trainer.step_count


def test_latest_brings_the_state_back_and_training_goes_on():
    session = Session(Trainer(TrainConfig()))
    thread = start(session)
    wait(lambda: session.frame.step > 100)
    with session.latest():
        step = session.trainer.step_count
        assert step >= 100 and session.running
        weights = session.trainer.model.flat_value.copy()
    plain = Trainer(TrainConfig())
    plain.run(step)
    np.testing.assert_array_equal(weights, plain.model.flat_value)
    wait(lambda: session.frame.step > step + 100)  # a new child took over
    pause(session, thread)


def test_a_killed_child_stops_the_run_with_a_line_keeps_its_unread_presses_and_can_go_on():
    session = Session(Trainer(TrainConfig()))
    thread = start(session)
    wait(lambda: session.frame.step > 20)
    pid = session._apart.pid
    os.kill(pid, signal.SIGSTOP)
    session.change(Climb(LR_LADDER, "lr", up=True))  # sent down the pipe, never read
    assert not session._pending
    os.kill(pid, signal.SIGKILL)
    thread.join(30)
    assert not thread.is_alive() and not session.running and not session.busy
    assert session.trainer.config.lr == 0.03  # queued again and applied here
    events = [(e.kind, e.text) for e in session.drain_events() if e.kind in ("error", "control")]
    back = session.trainer.changes[-1].step
    assert events == [("error", f"training process ended unexpectedly; the run is back at step {back}"),
                      ("control", "lr 0.01 -> 0.03")]
    begin = session.trainer.step_count
    thread = start(session)
    wait(lambda: session.frame.step > begin + 50)
    pause(session, thread)


def test_an_unchanged_output_stays_the_same_object_from_frame_to_frame():
    session = Session(Trainer(TrainConfig()))
    frames = []
    thread = start(session)
    while len(frames) < 12:
        if not frames or session.frame is not frames[-1]:
            frames.append(session.frame)
        time.sleep(0.005)
    pause(session, thread)
    outputs = [frame.output for frame in frames]
    assert all(output is not None for output in outputs)
    assert any(a is b for a, b in zip(outputs, outputs[1:]))  # spaced 0.5 s apart: most frames repeat it
