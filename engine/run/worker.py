"""The worker that owns runs: one per screen's runs, alive as long as they are.

A worker holds one ``Run`` and its loop (``Host.serve``; twin mode is two workers, kept
within a few steps of each other by a ``Pace``): commands (``commands.Envelope``) come in, frames and events go out
(``Update``), and a command sent with a ticket gets a ``Reply`` once it is applied. The
state never leaves the worker except as a request's reply (a copy).

Two kinds, one interface (``Worker``):
- ``ProcessWorker``: the runs live in a process of their own (started by ``forkserver``
  on Linux, ``spawn`` elsewhere; never a ``fork`` of the threaded UI), so the screen's
  drawing never takes time from training. Commands cross as plain data through
  ``CommandUnpickler`` (the command classes, ladders and builtin values, nothing else);
  frames come up through a sender thread that merges what the screen has not read yet,
  so a slow screen drops frames and never blocks training.
- ``ThreadWorker``: the same loop in a thread of this process (the fallback where a
  process cannot start, and what tests that read the Trainer use).
"""

from __future__ import annotations

import io
import multiprocessing
import os
import pickle
import select
import sys
import threading
import time
import warnings
import weakref
from collections import deque
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterator, Protocol

from gradtui.engine.run import commands as c
from gradtui.engine.run.events import Event
from gradtui.engine.run.frame import Frame
from gradtui.engine.run.pace import HALTED, PAUSED, RUNNING, Pace
from gradtui.engine.run.run import Run

QUIET = 0.3
"""A paused run whose evaluation is costly waits this long for a pause in the commands
before it evaluates, so a burst of key presses is applied as it comes and evaluated once."""
LOOK = 0.0005
"""Seconds between the training loop's looks for new commands (a key press waits at most this)."""
WAIT = 0.0001
"""Seconds a twin run ahead of the other sleeps at a time while it waits (after a short spin)."""
KEPT = ("output", "network", "evaluation")
"""Frame fields sent only when they changed: panes tell a new output from the one on
screen by identity, so an unchanged one must stay the same object."""


@dataclass
class News:
    """What one run has to say: a new frame (None: unchanged), events, and whether the
    run is running (``starts``: as of which ``Start``)."""

    run: int
    frame: Frame | None
    events: list[Event]
    starts: int
    running: bool
    draw_class: int = 0


@dataclass
class Update:
    """News from a worker's runs."""

    news: list[News] = field(default_factory=list)


@dataclass
class Reply:
    """The outcome of a command sent with ``ticket``: its value, or the error it raised."""

    ticket: int
    value: Any = None
    error: str | None = None


class Host:
    """The runs a worker holds, and the loop that applies commands and steps them."""

    def __init__(self, runs: dict[int, Run], send: Callable[[Update | Reply], None]) -> None:
        self.runs = runs
        self.send = send
        self.paces: dict[int, Pace] = {}
        """Twin mode: each paired run's side of the pace it keeps with its twin in another worker."""
        self._active: set[int] = set()
        self._sent: dict[int, tuple[Frame, int, bool, int]] = {}
        self._unsettled: set[int] = set()  # paused runs whose costly evaluation is still due
        self._due: set[int] = set()  # runs just stopped by a command: evaluated right after its reply
        self._next_id = max(runs) + 1

    def serve(self, receive: Callable[[float | None], list[Any] | None], ready: Callable[[], bool]) -> None:
        """Until ``receive`` returns None (closed): apply what arrives (``receive(timeout)``:
        the envelopes waiting, at most ``timeout`` seconds' wait, None blocks), step the
        running runs between two batches, until ``ready()`` says more came."""
        self.flush()
        quiet_from = 0.0  # when the last change came, plus QUIET
        while True:
            if self._active:
                batch = receive(0)
            elif self._unsettled:
                batch = receive(max(0.0, quiet_from - time.perf_counter()))
            else:
                batch = receive(None)
            if batch is None:
                return
            for envelope in batch:
                self.handle(envelope)
            self._refresh_due()
            if any(not isinstance(getattr(e, "command", None), c.Request) for e in batch):
                quiet_from = time.perf_counter() + QUIET
            if self._active:
                self._train(ready)
            elif self._unsettled and time.perf_counter() >= quiet_from:  # evaluate what the presses changed
                for run_id in sorted(self._unsettled):
                    if run_id in self.runs:
                        self.runs[run_id].refresh()
                self._unsettled.clear()
                self.flush()

    def _train(self, ready: Callable[[], bool]) -> None:
        """Step the running runs until none runs or commands arrive (a paired run that is
        ahead of its twin waits for it: ``_held``). The loop's own work is kept to a few
        attribute reads a step: the runs are looked up once, not on every pass."""
        with ExitStack() as limits:
            for run_id in sorted(self._active):
                limits.enter_context(self.runs[run_id].trainer.blas_limit)  # once for the loop
            next_look = 0.0
            idle = 0  # passes in a row in which every run waited for its twin
            running = [(run_id, self.runs[run_id]) for run_id in sorted(self._active)]
            while running:
                published = stepped = stopped = False
                for run_id, run in running:
                    paced = run_id in self.paces
                    if not (paced and self._held(run_id)):
                        published = run.tick() or published
                        stepped = True
                        if paced:
                            self._pace_out(run_id)
                    stopped = stopped or not run.running
                if stopped and self._settle_stops():
                    running = [(run_id, run) for run_id, run in running if run_id in self._active]
                    self.flush()
                elif published:
                    self.flush()
                idle = 0 if stepped else idle + 1
                if idle:  # waiting for the twin: let its thread have the GIL (a thread worker)
                    time.sleep(WAIT if idle > 100 else 0)
                now = time.perf_counter()
                if now >= next_look:  # a look at the inbox costs a system call: every LOOK seconds
                    next_look = now + LOOK
                    if ready():
                        return

    def _held(self, run_id: int) -> bool:
        """Whether a paired run waits for its twin instead of stepping now: it is ``lead``
        steps ahead, or (``together``) it reached the step its halted twin stopped at, and
        stops there too."""
        pace = self.paces.get(run_id)
        if pace is None:
            return False
        run = self.runs[run_id]
        progress = run.trainer.step_count - pace.base
        stop = pace.stop_at()
        if stop is not None and progress >= stop:
            run.running = False
            return True
        return not pace.may_step(progress)

    def _pace_out(self, run_id: int, start: bool = False) -> None:
        """Tell a paired run's twin where this run stands."""
        pace = self.paces.get(run_id)
        if pace is not None:
            run = self.runs[run_id]
            state = RUNNING if run.running else HALTED if run.halted is not None else PAUSED
            pace.write(run.trainer.step_count, state, start)

    def handle(self, envelope: Any) -> None:
        """Apply one envelope; reply to its ticket after the frame it leads to is sent."""
        ticket = getattr(envelope, "ticket", None)
        try:
            envelope = c.check(envelope)
            value = self._apply(envelope.run, envelope.command)
        except Exception as exc:  # a refused or failing command: said, never fatal
            self.flush()
            if ticket is not None:
                self.send(Reply(ticket, None, f"{type(exc).__name__}: {exc}"))
            return
        self.flush()
        if ticket is not None:
            self.send(Reply(ticket, value))

    def _apply(self, run_id: int, command: c.Command) -> Any:
        run = self.runs.get(run_id)
        if run is None:
            raise ValueError(f"no run {run_id} in this worker")
        if isinstance(command, c.Fork):
            return run.fork(command.name).timeline
        if isinstance(command, c.Pair):
            old = self.paces.pop(run_id, None)
            if old is not None:
                old.close()
            if command.path:
                self.paces[run_id] = Pace(command.path, command.slot, old is not None and old.together)
                self._pace_out(run_id, start=True)
            return None
        if isinstance(command, c.PauseTogether):
            if run_id in self.paces:
                self.paces[run_id].together = command.on
            return None
        if isinstance(command, c.CatchUp):
            return self._catch_up(run_id, command.step)
        if isinstance(command, c.Busy):
            return run_id in self._active or run_id in self._unsettled or run_id in self._due
        if isinstance(command, c.Start):
            started = run.apply(command)[0]
            self._active.add(run_id)
            self._unsettled.discard(run_id)  # it evaluates on its schedule now
            self._pace_out(run_id, start=True)
            return {run_id: started}
        if isinstance(command, c.Pause):
            run.apply(command)
            self._settle_stops(later=True)
            return run.trainer.step_count
        value = run.apply(command)
        if run.running:
            self._active.add(run_id)
        elif run_id in self._active:
            self._settle_stops(later=True)
        elif not isinstance(command, c.Request):
            self._show(run_id)
        return value

    def _catch_up(self, run_id: int, step: int) -> int:
        """A paused run's exact steps up to ``step`` (twin mode levels the run behind at a
        pause), unless it halts first; returns the step it reached."""
        run = self.runs[run_id]
        if not run.running and run.trainer.step_count < step:
            with run.trainer.blas_limit:
                while run.trainer.step_count < step and run.halted is None and not run.running:
                    run.advance()
            self._pace_out(run_id)
            self._show(run_id)
        return run.trainer.step_count

    def _show(self, run_id: int) -> None:
        """A paused run changed: a frame at once, evaluated now if that is cheap, else in a
        quiet moment."""
        run = self.runs[run_id]
        if run.costly:
            run.publish()
            self._unsettled.add(run_id)
        else:
            run.refresh()

    def _refresh_due(self) -> None:
        for run_id in sorted(self._due):
            if run_id in self.runs:
                self.runs[run_id].refresh()
        if self._due:
            self._due.clear()
            self.flush()

    def _settle_stops(self, later: bool = False) -> bool:
        """Runs that stopped since the last look: note it, show the paused frame at once and
        then the evaluation at the stop (``later``: once the command's reply has gone, so the
        screen that paused is not kept waiting for it); whether any stopped."""
        stopped = [run_id for run_id in self._active if not self.runs[run_id].running]
        for run_id in stopped:
            self._active.discard(run_id)
            run = self.runs[run_id]
            run.stopped_at = time.perf_counter()
            run.publish()
            self.flush()
            self._unsettled.discard(run_id)
            if later:
                self._due.add(run_id)
            else:
                run.refresh()
            self._pace_out(run_id)
        return bool(stopped)

    def flush(self) -> None:
        """Send every run's new frame, events and state, if any."""
        update = Update()
        for run_id, run in self.runs.items():
            last = self._sent.get(run_id)
            state = (run.frame, run.starts, run.running, run.draw_class)
            events = run.drain_events()
            if last is not None and last[0] is run.frame and last[1:] == state[1:] and not events:
                continue
            self._sent[run_id] = state
            frame = None if last is not None and last[0] is run.frame else run.frame
            update.news.append(News(run_id, frame, events, run.starts, run.running, run.draw_class))
        if update.news:
            self.send(update)


# --- the screen's side ----------------------------------------------------------------

class Listener(Protocol):
    """What a worker tells of its runs (from its own thread)."""

    def receive(self, news: News) -> None: ...
    def announce(self) -> None: ...
    def lost(self, why: str) -> None: ...


class Worker:
    """A worker as the screen's process holds it: ``send`` commands, ``listen`` for news."""

    kind = "thread"

    def __init__(self) -> None:
        self._listeners: weakref.WeakValueDictionary[int, Any] = weakref.WeakValueDictionary()
        """Held weakly: a handle nobody keeps any more ends its worker (``Session``)."""
        self._backlog: dict[int, list[News]] = {}
        self._tickets: dict[int, tuple[threading.Event, list[Reply]]] = {}
        self._ticket_lock = threading.Lock()
        self._next_ticket = 0
        self.failure: str | None = None
        """Why the worker stopped answering (None while it runs)."""

    def listen(self, run: int, listener: Listener) -> None:
        """Give ``listener`` the news of run ``run`` from now on (and what came before)."""
        self._listeners[run] = listener
        for news in self._backlog.pop(run, []):
            listener.receive(news)

    def forget(self, run: int) -> None:
        """No more news of run ``run``; the worker closes when nobody listens any more."""
        self._listeners.pop(run, None)
        if not self._listeners:
            self.close()

    def send(self, run: int, command: c.Command, wait: bool = False) -> Any:
        """Send ``command`` to run ``run``; with ``wait`` (always for a request), block
        until it is applied and return its reply's value (its error raised as ValueError)."""
        if not wait and not isinstance(command, c.Request):
            self._post(c.Envelope(c.VERSION, run, command))
            return None
        with self._ticket_lock:
            ticket = self._next_ticket = self._next_ticket + 1
            done: tuple[threading.Event, list[Reply]] = (threading.Event(), [])
            self._tickets[ticket] = done
        self._post(c.Envelope(c.VERSION, run, command, ticket))
        while not done[0].wait(0.05):
            if self.failure is not None:
                raise RuntimeError(self.failure)
        reply = done[1][0]
        if reply.error is not None:
            raise ValueError(reply.error)
        return reply.value

    @property
    def started(self) -> bool:
        """Whether the worker answers yet (a process takes a moment to start)."""
        return True

    def close(self) -> None:
        """Stop the worker (its runs end with it)."""

    def _post(self, envelope: c.Envelope) -> None:
        raise NotImplementedError

    def _deliver(self, message: Update | Reply) -> None:
        """A message from the worker, in order: news to the listeners (each distinct screen
        woken once), a reply to its waiter."""
        if isinstance(message, Reply):
            with self._ticket_lock:
                done = self._tickets.pop(message.ticket, None)
            if done is not None:
                done[1].append(message)
                done[0].set()
            return
        woken: dict[int, Listener] = {}
        for news in message.news:
            listener = self._listeners.get(news.run)
            if listener is None:
                self._backlog.setdefault(news.run, []).append(news)
                continue
            listener.receive(news)
            woken[id(getattr(listener, "screen", listener))] = listener
        for listener in woken.values():
            listener.announce()

    def _fail(self, why: str) -> None:
        """The worker is gone: said once, to every waiter and listener."""
        if self.failure is not None:
            return
        self.failure = why
        with self._ticket_lock:
            waiting = list(self._tickets.items())
            self._tickets.clear()
        for ticket, done in waiting:
            done[1].append(Reply(ticket, None, why))
            done[0].set()
        for listener in list(self._listeners.values()):
            listener.lost(why)


class ThreadWorker(Worker):
    """The runs in a thread of this process: ``host.runs`` may be read while they are paused."""

    kind = "thread"

    def __init__(self, runs: dict[int, Run]) -> None:
        super().__init__()
        self.host = Host(runs, self._deliver)
        self._inbox: deque[c.Envelope | None] = deque()
        self._wake = threading.Condition()
        self._thread = threading.Thread(target=self._serve, name="gradtui-run", daemon=True)
        self._thread.start()

    def _post(self, envelope: c.Envelope | None) -> None:
        with self._wake:
            self._inbox.append(envelope)
            self._wake.notify()

    def close(self) -> None:
        self._post(None)

    def _serve(self) -> None:
        try:
            self.host.serve(self._receive, self.ready)
        except BaseException as exc:  # a bug in the loop: said, the screen lives on
            self._fail(f"the training worker stopped: {exc!r}")

    def _receive(self, timeout: float | None) -> list[Any] | None:
        with self._wake:
            if not self._inbox and timeout != 0:
                self._wake.wait(timeout)
            batch = list(self._inbox)
            self._inbox.clear()
        if None in batch:
            return None
        return batch

    def ready(self) -> bool:
        """Whether commands wait (read between two steps without a lock: a deque's length)."""
        return bool(self._inbox)


# --- the process -------------------------------------------------------------------------

ALLOWED_MODULES = ("gradtui.engine.run.commands", "gradtui.engine.run.network_picture", "gradtui.engine.train.ladders")
"""Where the classes a command may be built of live (besides builtin values)."""
_BUILTINS = {"tuple", "list", "dict", "frozenset", "set", "float", "int", "bool", "str", "complex"}


class CommandUnpickler(pickle.Unpickler):
    """Builds commands and nothing else: the classes of ``ALLOWED_MODULES`` and builtin
    values; any other global (a function, a class elsewhere) is refused."""

    def find_class(self, module: str, name: str) -> Any:
        if module in ALLOWED_MODULES and not name.startswith("_") or module == "builtins" and name in _BUILTINS:
            value = super().find_class(module, name)
            if isinstance(value, type):
                return value
        raise pickle.UnpicklingError(f"a command may not hold {module}.{name}")


def read_command(data: bytes) -> c.Envelope:
    """An envelope from its bytes, built by ``CommandUnpickler`` and ``check`` ed."""
    return c.check(CommandUnpickler(io.BytesIO(data)).load())


class _Outbox:
    """What a worker process sends, in order, by a thread of its own: consecutive updates
    merge (a newer frame replaces one not sent yet; events add up), so the loop never waits
    on a slow reader."""

    def __init__(self, send: Callable[[bytes], None]) -> None:
        self._send = send
        self._queue: deque[Update | Reply] = deque()
        self._wake = threading.Condition()
        self._sent: dict[int, Frame] = {}
        self._in_flight = False  # taken off the queue, not sent yet: nothing merges into it
        self.closed = False
        threading.Thread(target=self._pump, name="gradtui-outbox", daemon=True).start()

    def post(self, message: Update | Reply) -> None:
        with self._wake:
            last = self._queue[-1] if self._queue else None
            if isinstance(message, Update) and isinstance(last, Update):
                _merge(last, message)
            else:
                self._queue.append(message)
            self._wake.notify()

    def drain(self) -> None:
        """Wait until everything posted has been sent."""
        with self._wake:
            while (self._queue or self._in_flight) and not self.closed:
                self._wake.wait(0.05)

    def _pump(self) -> None:
        while True:
            with self._wake:
                while not self._queue:
                    self._wake.wait()
                message = self._queue.popleft()
                self._in_flight = True
            try:
                self._send(pickle.dumps(self._thin(message), pickle.HIGHEST_PROTOCOL))
            except (OSError, EOFError):
                self.closed = True
                return
            with self._wake:
                self._in_flight = False
                self._wake.notify_all()

    def _thin(self, message: Update | Reply) -> Update | Reply:
        """Frame fields the screen already has go as None in ``KEPT``'s places (``_Unchanged``)."""
        if not isinstance(message, Update):
            return message
        news = []
        for item in message.news:
            frame, last = item.frame, self._sent.get(item.run)
            if frame is not None:
                self._sent[item.run] = frame
                if last is not None:
                    unchanged: dict[str, Any] = {f: _UNCHANGED for f in KEPT if getattr(frame, f) is getattr(last, f)}
                    frame = replace(frame, **unchanged)
            news.append(replace(item, frame=frame))
        return Update(news)


def _merge(into: Update, newer: Update) -> None:
    by_run = {item.run: item for item in into.news}
    for item in newer.news:
        old = by_run.get(item.run)
        if old is None:
            into.news.append(item)
            by_run[item.run] = item
            continue
        old.events.extend(item.events)
        old.frame = item.frame if item.frame is not None else old.frame
        old.starts, old.running, old.draw_class = item.starts, item.running, item.draw_class


class _Unchanged:
    """Marks a frame field the screen already has."""

    def __reduce__(self) -> str:
        return "_UNCHANGED"


_UNCHANGED = _Unchanged()


def _serve_process(conn: Any, payload: bytes) -> None:
    """The worker process: runs from ``payload``, commands from ``conn``, until it closes."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # the terminal is the screen's: nothing here may write to it
        os.dup2(null, fd)
    sys.stdout = sys.stderr = open(os.devnull, "w")
    warnings.simplefilter("ignore")
    runs = pickle.loads(payload)
    outbox = _Outbox(conn.send_bytes)
    host = Host(runs, outbox.post)

    def receive(timeout: float | None) -> list[Any] | None:
        if timeout != 0 and not conn.poll(timeout):
            return []
        batch: list[Any] = []
        while conn.poll():
            try:
                data = conn.recv_bytes()
            except (EOFError, OSError):
                return None
            if data == _CLOSE:
                return None
            try:
                batch.append(read_command(data))
            except Exception as exc:  # refused at the boundary: one line, the run goes on
                for run in host.runs.values():
                    run.say("error", f"a command was refused: {exc}")
        return batch

    try:
        host.serve(receive, _poller(conn))
    finally:
        outbox.drain()


def _poller(conn: Any) -> Callable[[], bool]:
    """Whether ``conn`` has something to read, asked without waiting: the training loop asks
    every ``LOOK`` seconds. ``Connection.poll`` builds a selector on each call (about 10 us,
    3 % of a small network's training); one ``select.poll`` object is reused instead, where
    the platform has it (Windows' pipe connections poll cheaply as they are)."""
    if not hasattr(select, "poll"):
        return conn.poll
    poller = select.poll()
    poller.register(conn.fileno(), select.POLLIN)
    return lambda: bool(poller.poll(0))


_CLOSE = b"close"
"""Sent by ``ProcessWorker.close``: the worker process ends (closing the pipe alone does not
tell it while the screen's reading thread is still inside a read of it)."""
_PRELOADED = False
_STARTING = threading.Lock()


@contextmanager
def _main_left_alone() -> Iterator[None]:
    """A started process re-imports the script that started the app (``__main__``'s file)
    before it runs its target; the worker needs nothing of it, and a script without an
    ``if __name__ == "__main__"`` guard would start a second app there. Hidden while
    starting."""
    main = sys.modules.get("__main__")
    hidden = {name: main.__dict__.pop(name) for name in ("__file__",) if main is not None and name in main.__dict__}
    spec = getattr(main, "__spec__", None)
    if main is not None and spec is not None and not spec.name.endswith(".__main__"):
        main.__spec__ = None
    try:
        yield
    finally:
        if main is not None:
            main.__dict__.update(hidden)
            if spec is not None:
                main.__spec__ = spec


@contextmanager
def _stderr_with_a_file() -> Iterator[None]:
    """multiprocessing hands ``sys.stderr.fileno()`` to the helper processes it starts; a
    screen that captures what is printed (Textual) has a stand-in with no file there, which
    ``fork_exec`` refuses ("bad value(s) in fds_to_keep"): the real stderr, while starting."""
    try:
        usable = sys.stderr.fileno() >= 0
    except (AttributeError, OSError, ValueError):
        usable = False
    if usable or sys.__stderr__ is None:
        yield
        return
    captured, sys.stderr = sys.stderr, sys.__stderr__
    try:
        yield
    finally:
        sys.stderr = captured


def _context() -> Any:
    """``forkserver`` where there is one (it forks from a clean process that has the engine
    imported: a new worker starts in milliseconds), else ``spawn``."""
    global _PRELOADED
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        if not _PRELOADED:
            ctx.set_forkserver_preload(["gradtui.engine.run.worker"])
            _PRELOADED = True
        return ctx
    return multiprocessing.get_context("spawn")


class ProcessWorker(Worker):
    """The runs in a process of their own (see the module docstring). Started in the
    background: commands sent before it is up wait, in order, and go when it is."""

    kind = "process"

    def __init__(self, runs: dict[int, Run]) -> None:
        super().__init__()
        self._conn: Any = None
        self._early: list[bytes] = []
        self._lock = threading.Lock()
        self._last: dict[int, Frame] = {}
        self._process: Any = None
        self._closed = False
        threading.Thread(target=self._start, args=(runs,), name="gradtui-worker-start", daemon=True).start()

    def _start(self, runs: dict[int, Run]) -> None:
        """Hand ``runs`` (no longer touched here) to a new process, then read what it says."""
        try:
            payload = pickle.dumps(runs, pickle.HIGHEST_PROTOCOL)
            ctx = _context()
            mine, theirs = ctx.Pipe(duplex=True)
            process = ctx.Process(target=_serve_process, args=(theirs, payload), daemon=True,
                                  name="gradtui-run")
            with _STARTING, _stderr_with_a_file(), _main_left_alone():
                process.start()
            theirs.close()
        except Exception as exc:
            self._fail(f"the training process could not start: {exc!r}")
            return
        with self._lock:
            if self._closed:  # closed while it started
                mine.send_bytes(_CLOSE)
                mine.close()
                return
            self._conn, self._process = mine, process
            early, self._early = self._early, []
            try:
                for data in early:
                    mine.send_bytes(data)
            except OSError as exc:
                self._fail(f"the training process ended unexpectedly ({exc!r})")
                return
        self._read(mine)

    @property
    def started(self) -> bool:
        return self._conn is not None

    def _post(self, envelope: c.Envelope | None) -> None:
        data = pickle.dumps(envelope, pickle.HIGHEST_PROTOCOL)
        with self._lock:
            if self._conn is None:
                self._early.append(data)
                return
            try:
                self._conn.send_bytes(data)
            except OSError as exc:
                self._fail(f"the training process ended unexpectedly ({exc!r})")

    def _read(self, conn: Any) -> None:
        while True:
            try:
                message = pickle.loads(conn.recv_bytes())
            except (EOFError, OSError, TypeError):  # TypeError: ``close`` took the pipe mid-read
                if not self._closed:
                    self._fail("the training process ended unexpectedly")
                return
            if isinstance(message, Update):
                for item in message.news:
                    if item.frame is not None:
                        last = self._last.get(item.run)
                        item.frame = replace(item.frame, **{
                            f: getattr(last, f) for f in KEPT if getattr(item.frame, f) is _UNCHANGED})
                        self._last[item.run] = item.frame
            self._deliver(message)

    def close(self) -> None:
        self._closed = True
        with self._lock:
            conn, self._conn = self._conn, None
            if conn is None:
                self._early.clear()
        if conn is not None:
            try:
                conn.send_bytes(_CLOSE)
            except OSError:
                pass  # gone already
            conn.close()


def start_worker(runs: dict[int, Run], kind: str = "process") -> Worker:
    """A worker for ``runs``: ``kind`` "process" (a process of its own) or "thread"."""
    if kind == "process":
        return ProcessWorker(runs)
    if kind == "thread":
        return ThreadWorker(runs)
    raise ValueError(f"unknown worker kind {kind!r}; valid: process, thread")
