"""The run layer: typed commands in, frames out, one loop, in a thread or a process of its own."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from gradtui.engine import TrainConfig, Trainer
from gradtui.engine.run import commands as c
from gradtui.engine.run.pace import LEAD, pace_file
from gradtui.engine.run.run import Run
from gradtui.engine.run.worker import (CommandUnpickler, News, ProcessWorker, ThreadWorker, Update, _Outbox,
                                      read_command, start_worker)
from gradtui.engine.train.ladders import LR_LADDER, Climb, Cycle


class Inbox:
    """A listener that keeps a run's latest frame and every event."""

    def __init__(self) -> None:
        self.frame = None
        self.events = []
        self.running = False
        self.seen = threading.Event()

    def receive(self, news) -> None:
        if news.frame is not None:
            self.frame = news.frame
        self.events.extend(news.events)
        self.running = news.running
        self.seen.set()

    def announce(self) -> None:
        pass

    def lost(self, why: str) -> None:
        self.events.append(why)


def worker_for(kind: str, config: TrainConfig | None = None):
    worker = start_worker({0: Run(Trainer(config or TrainConfig()), "test")}, kind)
    inbox = Inbox()
    worker.listen(0, inbox)
    return worker, inbox


def train_to(worker, step: int, run: int = 0) -> None:
    """Run until ``step`` exactly (a "run until" stop), then wait for the stop to be shown."""
    worker.send(run, c.RunUntil(f"step>={step}"), wait=True)
    worker.send(run, c.Start(), wait=True)
    end = time.monotonic() + 60
    while worker.send(run, c.Busy()):
        assert time.monotonic() < end
        time.sleep(0.005)


def weights(worker, run: int = 0) -> np.ndarray:
    return worker.send(run, c.Latest()).trainer.model.flat_value.copy()


# --- commands ---------------------------------------------------------------------------

def test_a_command_crosses_as_plain_data_and_nothing_else_does():
    envelope = c.Envelope(c.VERSION, 0, c.Shift(Climb(LR_LADDER, "lr", up=True)), 3)
    assert read_command(pickle.dumps(envelope)) == envelope
    for hostile in (print, threading.Thread, np.zeros(3)):
        with pytest.raises(pickle.UnpicklingError):
            CommandUnpickler(__import__("io").BytesIO(pickle.dumps(c.Envelope(c.VERSION, 0, c.Change((("lr", hostile),)))))).load()
    with pytest.raises(pickle.UnpicklingError):
        read_command(b"cos\nsystem\n(S'echo owned'\ntR.")  # the classic: a global that runs a command


@pytest.mark.parametrize("bad, says", [
    ("not an envelope", "not a command envelope"),
    (c.Envelope(c.VERSION + 1, 0, c.Step()), "command protocol"),
    (c.Envelope(c.VERSION, 0, c.Save(3)), "Save.directory must be str"),  # type: ignore[arg-type]
    (c.Envelope(c.VERSION, 0, c.DrawPoint(float("nan"), 0.0)), "must be finite"),
    (c.Envelope(c.VERSION, 0, c.DrawPoint(True, 0.0)), "DrawPoint.x must be float"),  # type: ignore[arg-type]
    (c.Envelope(c.VERSION, 0, c.Shift("lr up")), "Shift.move must be a ladder move"),  # type: ignore[arg-type]
    (c.Envelope(c.VERSION, 0, c.Change((("lr",),))), "Change.values must be (setting, value) pairs"),
])
def test_check_refuses_a_malformed_command_in_one_line(bad, says):
    with pytest.raises(ValueError, match=None) as error:
        c.check(bad)
    assert says in str(error.value) and "\n" not in str(error.value)


# --- the worker -------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["thread", "process"])
def test_a_run_paused_changed_rewound_and_reset_goes_on_bit_for_bit(kind):
    worker, inbox = worker_for(kind)
    try:
        train_to(worker, 120)
        worker.send(0, c.Shift(Climb(LR_LADDER, "lr", up=True)), wait=True)
        train_to(worker, 250)
        worker.send(0, c.Rewind(), wait=True)  # back to step 200, lr kept
        train_to(worker, 260)
        got = weights(worker)
    finally:
        worker.close()
    plain = Trainer(TrainConfig())
    plain.run(120)
    plain.update(lr=0.03)
    plain.run(80)
    plain.run(60)
    np.testing.assert_array_equal(got, plain.model.flat_value)
    assert inbox.frame.step == 260 and not inbox.frame.running


def test_a_process_worker_reports_a_refused_command_and_trains_on():
    worker, inbox = worker_for("process")
    try:
        worker.send(0, c.Step(), wait=True)  # up
        worker._conn.send_bytes(b"\x80\x05garbage")
        worker._conn.send_bytes(pickle.dumps(c.Envelope(c.VERSION, 0, c.Change((("lr", print),)))))
        worker.send(0, c.Step(), wait=True)
        assert inbox.frame.step == 2
        refused = [e.text for e in inbox.events if getattr(e, "kind", "") == "error"]
        assert len(refused) == 2 and all(text.startswith("a command was refused: ") for text in refused)
    finally:
        worker.close()


def test_the_outbox_never_loses_a_frame_posted_while_it_sends_the_one_before():
    """A frame posted while the previous update is on its way must reach the screen (it
    once merged into the update being sent, and was lost: the screen kept an old frame)."""
    run = Run(Trainer(TrainConfig()), "test")
    entered, leave, sent = threading.Event(), threading.Event(), []

    def slow_send(data: bytes) -> None:
        entered.set()
        leave.wait(5)
        sent.append(pickle.loads(data))

    outbox = _Outbox(slow_send)
    outbox.post(Update([News(0, run.frame, [], 0, False)]))
    assert entered.wait(5)
    run.advance()
    run.publish()
    outbox.post(Update([News(0, run.frame, [], 0, False)]))
    leave.set()
    outbox.drain()
    assert [u.news[0].frame.step for u in sent] == [0, 1]


def test_a_process_worker_that_dies_says_so_and_waiting_senders_return():
    worker, inbox = worker_for("process")
    worker.send(0, c.Step(), wait=True)
    worker._process.kill()
    with pytest.raises((RuntimeError, ValueError)):
        for _ in range(100):
            worker.send(0, c.Step(), wait=True)
            time.sleep(0.01)
    assert any("ended unexpectedly" in str(e) for e in inbox.events)


def twin_workers(kind: str, changes: tuple = (), config: TrainConfig | None = None):
    """A's worker, B's (a fork of A with ``changes``) and the pace file pairing them."""
    a, _ = worker_for(kind, config)
    timeline = a.send(0, c.Fork("B"))
    b = start_worker({0: Run(timeline.trainer, "B", timeline=timeline)}, kind)
    b.listen(0, Inbox())
    if changes:
        b.send(0, c.Change(changes), wait=True)
    path = pace_file()
    for slot, worker in enumerate((a, b)):
        worker.send(0, c.Pair(path, slot), wait=True)
    return a, b, path


@pytest.mark.parametrize("kind", ["thread", "process"])
def test_twin_runs_train_in_two_workers_within_a_lead_and_continue_as_plain_trainers(kind):
    # B's batches are 8x bigger: alone its pace would differ from A's; paired, neither leads by more than LEAD
    a, b, path = twin_workers(kind, (("lr", 0.1), ("batch_size", 256)))
    try:
        for worker in (a, b):
            worker.send(0, c.Start(), wait=True)
        time.sleep(0.5)
        stopped = [worker.send(0, c.Pause(), wait=True) for worker in (a, b)]
        assert min(stopped) > 0 and abs(stopped[0] - stopped[1]) <= LEAD + 200  # (B steps on alone while A pauses)
        behind = (a, b)[stopped.index(min(stopped))]
        assert behind.send(0, c.CatchUp(max(stopped)), wait=True) == max(stopped)
        a_trainer, b_trainer = (worker.send(0, c.Latest()).trainer for worker in (a, b))
        assert a_trainer.step_count == b_trainer.step_count == max(stopped)
    finally:
        a.close()
        b.close()
        os.remove(path)
    plain_a, plain_b = Trainer(TrainConfig()), Trainer(TrainConfig(lr=0.1, batch_size=256))
    plain_a.run(a_trainer.step_count)
    plain_b.run(b_trainer.step_count)
    np.testing.assert_array_equal(a_trainer.model.flat_value, plain_a.model.flat_value)
    np.testing.assert_array_equal(b_trainer.model.flat_value, plain_b.model.flat_value)


def test_a_twin_halted_by_nan_stops_the_other_at_the_same_step_when_paired_together():
    from gradtui.engine import SCENARIOS

    a, b, path = twin_workers("thread", (("clip_mode", "norm"),), SCENARIOS["exploding"].config)
    try:
        for worker in (a, b):
            worker.send(0, c.PauseTogether(True), wait=True)
        for worker in (a, b):
            worker.send(0, c.Start(), wait=True)
        end = time.monotonic() + 30
        while any(worker.send(0, c.Busy()) for worker in (a, b)):
            assert time.monotonic() < end
            time.sleep(0.01)
        a_run, b_run = a.host.runs[0], b.host.runs[0]
        assert a_run.halted is not None and b_run.halted is None
        assert a_run.trainer.step_count == b_run.trainer.step_count
    finally:
        a.close()
        b.close()
        os.remove(path)


MOVES = [
    lambda rng: c.Step(),
    lambda rng: c.Shift(Climb(LR_LADDER, "lr", up=bool(rng.random() < 0.5))),
    lambda rng: c.Shift(Cycle(("relu", "tanh", "leaky_relu"), "activation")),
    lambda rng: c.Shift(Cycle(("sgd", "momentum", "adam"), "optimizer")),
    lambda rng: c.Change((("clip_mode", rng.choice(["norm", None])),)),
    lambda rng: c.Rewind(),
    lambda rng: c.Reset(),
    lambda rng: c.DrawPoint(rng.uniform(-4, 4), rng.uniform(-4, 4), rng.random() < 0.3),
    lambda rng: c.NextDrawClass(),
    lambda rng: c.SetView(c.View((int(rng.integers(10, 60)), int(rng.integers(5, 30))), 120)),
    lambda rng: c.Save("/nonexistent-gradtui-dir"),  # refused by the system: an error line, no crash
    lambda rng: c.RunUntil(f"step>={int(rng.integers(1, 400))}"),
]


def fuzzed(seed: int, n: int = 40) -> list[c.Command]:
    rng = np.random.default_rng(seed)
    out: list[c.Command] = []
    for _ in range(n):
        command = MOVES[int(rng.integers(len(MOVES)))](rng)
        out.append(command)
        if isinstance(command, c.RunUntil):
            out.append(c.Start())  # the run goes until that step, exactly
    return out


def play(kind: str, commands: list[c.Command]) -> tuple[np.ndarray, int, list[str]]:
    worker, inbox = worker_for(kind)
    try:
        for command in commands:
            worker.send(0, command, wait=True)
            if isinstance(command, c.Start):
                end = time.monotonic() + 60
                while worker.send(0, c.Busy()):
                    assert time.monotonic() < end
                    time.sleep(0.002)
        trainer = worker.send(0, c.Latest()).trainer
        return trainer.model.flat_value.copy(), trainer.step_count, [e.text for e in inbox.events if hasattr(e, "text")]
    finally:
        worker.close()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fuzzed_command_sequences_never_crash_and_replay_to_the_same_bits(seed):
    commands = fuzzed(seed)
    live = play("process", commands)
    replay = play("thread", commands)
    np.testing.assert_array_equal(live[0], replay[0])
    assert live[1] == replay[1]
    assert live[2] == replay[2]
    assert not any("training stopped by an error" in t for t in live[2])


def test_the_app_and_gradtui_run_take_the_same_steps(tmp_path):
    """``gradtui run`` (``run_headless``) and a run in the app's worker: the same weights."""
    from gradtui.engine.run.headless import run_headless

    worker, _ = worker_for("process")
    try:
        train_to(worker, 300)
        app = weights(worker)
    finally:
        worker.close()
    headless = Trainer(TrainConfig())
    run_headless(headless, 300, every=100)
    np.testing.assert_array_equal(app, headless.model.flat_value)


def test_a_thread_worker_is_what_the_fallback_gets():
    worker, _ = worker_for("thread")
    assert isinstance(worker, ThreadWorker)
    worker.close()
    process, _ = worker_for("process")
    assert isinstance(process, ProcessWorker)
    process.close()
    with pytest.raises(ValueError, match="valid: process, thread"):
        start_worker({}, "fork")


def test_a_script_without_a_main_guard_starts_a_process_worker_once(tmp_path):
    """The worker process must not re-run the script that started it (multiprocessing
    re-imports ``__main__``'s file, which would start a second app there)."""
    runs = tmp_path / "runs.txt"
    script = tmp_path / "no_guard.py"
    script.write_text(
        "from gradtui.engine import TrainConfig, Trainer\n"
        "from gradtui.engine.run import commands as c\n"
        "from gradtui.engine.run.run import Run\n"
        "from gradtui.engine.run.worker import start_worker\n"
        f"with open({str(runs)!r}, 'a') as f:\n"
        "    f.write('ran\\n')\n"
        "worker = start_worker({0: Run(Trainer(TrainConfig()), 'script')}, 'process')\n"
        "worker.send(0, c.Step(), wait=True)\n"
        "print(worker.send(0, c.Latest()).trainer.step_count)\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1" and runs.read_text() == "ran\n"
