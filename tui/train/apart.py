"""Training apart from the UI: the worker's loop run in a forked child process.

Why: in one process the UI thread holds the GIL while it draws (Textual's repaint of the
changed rows, 15-40 ms a frame at 12 frames a second), and each of those milliseconds was
one the training thread lost: in-app training ran at 53-72% of the headless Trainer's
speed. In a child process training has a core of its own, and the UI process only
receives frames.

How (``drive``): the worker thread forks; the child runs the same loop on its copy of the
sessions (the same code, so the same bits) and sends each frame up a pipe as it publishes
it (``_Relay`` stands in for the screen). A press that is a value (the control keys'
``Climb``/``Cycle``, a new view size) goes down the pipe and the child applies it between
two steps, as the thread did (``Child.forward``). A pause, a press that is a closure (a
reset, a save, the settings panel), a reader of the latest state or the worker's
cancellation asks the child to stop after its current step: it sends back each run's
state (the Trainer's ``Snapshot`` and the session's other attributes, all but
``PARENT_OWNED``), the worker adopts it (``Trainer.restore``: bit-identical continuation),
applies the queued presses, and forks again while the run goes on. The dataset, the
trainer objects and the snapshots taken before the fork are never copied back: they
travel as references to the parent's own objects (``_Pickler.persistent_id``).

Where ``fork`` is missing or unsafe (Windows; macOS, whose system libraries may not be
used in a forked child) the loop runs in the worker thread, as before.
"""

from __future__ import annotations

import io
import os
import pickle
import select
import struct
import sys
import threading
import time
import warnings
from dataclasses import replace
from typing import Any, Callable

Session = Any
"""A ``gradtui.tui.train.session.Session`` (which imports this module, so not imported here)."""

APART = sys.platform.startswith("linux")
"""Whether training runs in a forked child process on this platform."""
POLL = 0.0005
"""Seconds between the child's checks for the request to stop (a press, a pause, a reader of
the latest state: ``Child.ask_back``, at once)."""
FOLLOW_POLL = 0.02
"""Seconds between the worker's checks for a cancellation while the child trains."""
PARENT_OWNED = frozenset({
    "trainer", "name", "follower", "view", "events", "frame", "draw_class",
    "_lock", "_pending", "_poke", "_workers", "_runs", "_run_id", "_clock", "_screen",
    "_network_twin", "_apart", "_held",
})
"""Session attributes the child never sends back: the UI process's own (its view, its
locks and queues, the run's identity) or sent another way (frames, events, the Trainer)."""
KEPT = ("output", "network", "evaluation")
"""Frame fields sent only when they changed: the panes tell a new output from the one on
screen by identity, so an unchanged one must stay the same object."""


FRAMES, STATE = b"F", b"S"
"""The first byte of each message from the child: new frames, or the state at its end."""
STOP, PRESS = b"X", b"P"
"""The first byte of each message to the child: stop and send the state back, or a press."""


class _Unchanged:
    """Marks a frame field the parent already has (pickled by reference: stays itself)."""


def drive(runs: list[tuple[Session, int]], loop: Callable[[Callable[[], bool]], None],
          cancelled: Callable[[], bool]) -> None:
    """Run ``loop(stop)`` over the claimed ``runs`` (session, run id) until it returns or
    ``stop()``: in a child process where ``APART`` (stopped early by any press, pause or
    cancellation, which the caller then applies), else in this thread with
    ``stop = cancelled``."""
    if not APART or not all(session.apart for session, _ in runs):
        loop(cancelled)
        return
    sessions = [session for session, _ in runs]
    while any(session._held or session._apart for session in sessions) and not cancelled():
        time.sleep(POLL)  # a reader of the latest state (``Session.latest``), or an earlier child's state on its way back
    for session in sessions:
        with session._lock:
            session._drain()
    shared = _shared_objects(sessions)
    down_r, down_w = os.pipe()
    up_r, up_w = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: "fork() of a multi-threaded process"
        pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(down_w)
        os.close(up_r)
        _child(sessions, loop, shared, down_r, up_w)
    os.close(down_r)
    os.close(up_w)
    child = Child(pid, down_w, sessions)
    for session in sessions:
        session._apart = child
    try:
        _follow(runs, shared, cancelled, up_r, child)
    finally:
        for session in sessions:
            session._apart = None
        child.close()
        os.close(up_r)
        os.waitpid(pid, 0)


class Child:
    """The process training apart, as the parent holds it: ``forward`` and ``ask_back`` from
    any thread."""

    def __init__(self, pid: int, down: int, sessions: list[Session]) -> None:
        self.pid = pid
        self._down: int | None = down
        self._lock = threading.Lock()
        self.asked = False
        self._refs = {id(obj): (kind, i) for i, session in enumerate(sessions)
                      for kind, obj in (("session", session), ("trainer", session.trainer))}
        self.forwarded: list[tuple[int, Callable[[], None]]] = []
        """The presses sent down, in order: those the child had not read when it stopped are
        queued here again (``requeue``)."""

    def forward(self, session: Session, apply: Callable[[], None]) -> bool:
        """Send a press for ``session`` to the child, which applies it between two of its
        steps; False when it cannot go (a closure, not a value; or the child was asked back
        already), and the caller queues it for when the state is back."""
        buffer = io.BytesIO()
        try:
            _Pickler(buffer, self._refs).dump((self._refs[id(session)][1], apply))
        except (pickle.PicklingError, TypeError, AttributeError):
            return False
        index = self._refs[id(session)][1]
        with self._lock:
            if self.asked or self._down is None:
                return False
            try:
                _write(self._down, PRESS + buffer.getvalue())  # a few hundred bytes: written whole or not at all
            except BrokenPipeError:
                return False
            self.forwarded.append((index, apply))
            return True

    def ask_back(self) -> None:
        """Ask the child to stop after its current step and send its state back (once)."""
        with self._lock:
            if self.asked or self._down is None:
                return
            self.asked = True
            try:
                _write(self._down, STOP)
            except BrokenPipeError:  # it has ended already: its last word is on the way
                pass

    def close(self) -> None:
        """No more presses go down (the state is on its way back, or the child is gone)."""
        with self._lock:
            if self._down is not None:
                os.close(self._down)
                self._down = None

    def requeue(self, sessions: list[Session], received: int) -> None:
        """Queue the presses the child never read (all after the first ``received``) on their
        sessions, ahead of any queued later, for the worker to apply to the state it got back."""
        for index, apply in reversed(self.forwarded[received:]):
            sessions[index]._pending.appendleft(apply)


def _shared_objects(sessions: list[Session]) -> dict[int, Any]:
    """Objects the child refers to instead of copying back, by id: each Trainer, its model
    and data, and the snapshots already kept (never changed once taken)."""
    objects: list[Any] = []
    for session in sessions:
        trainer = session.trainer
        objects += [trainer, trainer.model, trainer.data, *session.timeline.snapshots]
        objects += [snap.dataset for snap in session.timeline.snapshots if snap.dataset is not None]
        if session.watch is not None:
            objects.append(session.watch.prediction)  # its rules are functions
    return {id(obj): obj for obj in objects}


# --- the parent: frames in, the state back -----------------------------------------------

def _follow(runs: list[tuple[Session, int]], shared: dict[int, Any], cancelled: Callable[[], bool],
            up: int, child: Child) -> None:
    """Show the child's frames until it has stopped and its state is adopted."""
    sessions = [session for session, _ in runs]
    while True:
        if not child.asked and (cancelled() or any(session._pending or session._held or not session.is_current(run_id)
                                                   for session, run_id in runs)):
            child.ask_back()  # a press arrived just before the child was known: asked here
        if not select.select([up], [], [], FOLLOW_POLL)[0]:
            continue
        message = _read(up)
        if message is not None and message[:1] == FRAMES:
            _show(sessions, pickle.loads(message[1:]))
            continue
        child.close()
        if message is None:  # the child died without a word
            child.requeue(sessions, 0)
            for session in sessions:
                with session._lock:
                    session._run_id = None
                    session._emit("error", "training process ended unexpectedly; the run is back at "
                                           f"step {session.trainer.step_count}")
            return
        child.requeue(sessions, _adopt(runs, shared, message[1:]))
        return


def _show(sessions: list[Session], payload: tuple[int | None, list[tuple[Any, list[Any]]]]) -> None:
    """New frames and events from the child; the announcing session wakes its screen."""
    announcer, news = payload
    for session, (frame, events) in zip(sessions, news):
        if frame is not None:
            old = session.frame
            session.frame = replace(frame, **{f: getattr(old, f) for f in KEPT if getattr(frame, f) is _Unchanged})
        session.events.extend(events)
    if announcer is not None:
        sessions[announcer].announce()


def _adopt(runs: list[tuple[Session, int]], shared: dict[int, Any], data: bytes) -> int:
    """Take each run's state back from the child, between two steps, under its lock;
    returns how many forwarded presses the child had read (and applied)."""
    unpickler = pickle.Unpickler(io.BytesIO(data))
    unpickler.persistent_load = shared.__getitem__  # type: ignore[method-assign]
    received, states = unpickler.load()
    for (session, run_id), (snapshot, state, events) in zip(runs, states):
        with session._lock:
            session.trainer.restore(snapshot)
            child_run = state.pop("_run_id")
            vars(session).update(state)
            if child_run is None and session._run_id == run_id:  # halted or stopped in the child
                session._run_id = None
            session.events.extend(events)
    return received


# --- the child: the loop, frames out, the state back -----------------------------------------

class _Relay:
    """A screen, as the child's sessions see it: what they announce goes up the pipe, with
    every session's new frame and events (one relay per screen of the parent, so that
    sessions showing on one screen still see one screen)."""

    def __init__(self, sessions: list[Session], up: int, sent: list[Any]) -> None:
        self.sessions = sessions
        self.up = up
        self.sent = sent
        """The frame last sent of each session (shared by the relays)."""

    def post_message(self, message: Any) -> None:
        announcer = next((i for i, s in enumerate(self.sessions) if s is message.publisher), None)
        _write(self.up, FRAMES + pickle.dumps((announcer, self.news()), pickle.HIGHEST_PROTOCOL))

    def news(self) -> list[tuple[Any, list[Any]]]:
        """Each session's frame (None: as last sent) and events since the last message."""
        out = []
        for i, session in enumerate(self.sessions):
            frame, last = session.frame, self.sent[i]
            if frame is last:
                out.append((None, session.drain_events()))
                continue
            self.sent[i] = frame
            frame = replace(frame, **{f: _Unchanged for f in KEPT if getattr(frame, f) is getattr(last, f)})
            out.append((frame, session.drain_events()))
        return out


class _Pickler(pickle.Pickler):
    """Pickles objects that refer to ones the other side has: those in ``refs`` (by id) go
    as their key (the state going back: the parent's own objects, keyed by their id; a
    press going down: the runs' sessions and trainers)."""

    def __init__(self, file: io.BytesIO, refs: dict[int, Any]) -> None:
        super().__init__(file, pickle.HIGHEST_PROTOCOL)
        self.refs = refs

    def persistent_id(self, obj: Any) -> Any:
        key = id(obj)
        if key not in self.refs:
            return None
        ref = self.refs[key]
        return ref if isinstance(ref, tuple) else key


def _child(sessions: list[Session], loop: Callable[[Callable[[], bool]], None],
           shared: dict[int, Any], down: int, up: int) -> None:
    """Train until asked to stop or the loop ends, send the state back, exit (never returns)."""
    code = 0
    try:
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):  # the terminal is the UI's: nothing here may write to it
            os.dup2(null, fd)
        sys.stdout = sys.stderr = open(os.devnull, "w")
        warnings.simplefilter("ignore")
        sent = [session.frame for session in sessions]
        relays: dict[int, _Relay] = {}
        for session in sessions:
            session._lock = threading.Lock()  # another thread of the parent may have held it
            session.events.clear()  # the parent's, still to be shown there: only new ones go up
            relay = relays.setdefault(id(session.screen), _Relay(sessions, up, sent))
            session.attach(relay)  # type: ignore[arg-type]
        next_check, stopped, received = [0.0], [False], [0]

        def stop() -> bool:
            now = time.perf_counter()
            if stopped[0] or now < next_check[0]:
                return stopped[0]
            next_check[0] = now + POLL
            while not stopped[0] and select.select([down], [], [], 0)[0]:
                message = _read(down)
                if message is None or message[:1] == STOP:  # asked back, or the parent is gone
                    stopped[0] = True
                else:
                    _receive_press(sessions, message[1:])
                    received[0] += 1
            return stopped[0]

        loop(stop)
        for session in sessions:  # presses read but not yet applied: between two steps still
            session._drain()
        buffer = io.BytesIO()
        buffer.write(STATE)
        _Pickler(buffer, shared).dump((received[0], [
            (session.trainer.snapshot(),
             {k: v for k, v in vars(session).items() if k not in PARENT_OWNED} | {"_run_id": session._run_id},
             session.drain_events())
            for session in sessions]))
        _write(up, buffer.getvalue())
    except BaseException:  # noqa: BLE001 - the parent says so; nothing may unwind into its code
        code = 1
    finally:
        os._exit(code)


def _receive_press(sessions: list[Session], data: bytes) -> None:
    """Queue a press from the parent for the next step (``Child.forward``)."""
    unpickler = pickle.Unpickler(io.BytesIO(data))
    unpickler.persistent_load = lambda ref: (  # type: ignore[method-assign]
        sessions[ref[1]] if ref[0] == "session" else sessions[ref[1]].trainer)
    index, apply = unpickler.load()
    sessions[index]._pending.append(apply)


# --- the pipe: length-prefixed messages -------------------------------------------------

def _write(fd: int, data: bytes) -> None:
    view = memoryview(struct.pack("<Q", len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def _read(fd: int) -> bytes | None:
    """One whole message, or None at the end of the pipe."""
    header = _read_exactly(fd, 8)
    if header is None:
        return None
    return _read_exactly(fd, struct.unpack("<Q", header)[0])


def _read_exactly(fd: int, n: int) -> bytes | None:
    chunks, left = [], n
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
