"""The watched run's side of the socket: viewers come and go, training never waits for them.

``LiveServer`` listens on the run's Unix socket (mode 0600, in the private run folder).
The training thread only calls ``publish``, which appends to a bounded queue and drops
the batch when the queue is full; a sender thread encodes and sends, with a timeout, so a
slow, stuck or crashed viewer costs the training nothing but dropped frames. Each viewer
has a reader thread for its controls: a message that is not valid, too big, cut short or
without the run's token is dropped with one line in the run's log (``logging``, logger
``gradtui.live``) and that viewer is disconnected; the run goes on.
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import struct
import threading
from collections import deque
from typing import Any, Callable

from gradtui.live.protocol import MAX_TO_WATCHER, BadMessage, encode, read_message
from gradtui.live.rundir import RunInfo

log = logging.getLogger("gradtui.live")

QUEUE_BATCHES = 64
"""Batches of rows waiting for the sender; beyond this new ones are dropped."""
BACKLOG_ROWS = 4096
"""Rows kept for a viewer that attaches later (the run's recent past)."""
SEND_TIMEOUT = 1.0
"""A viewer that does not take a message in this many seconds is disconnected."""


class LiveServer:
    """Listens for viewers of one run; ``publish`` rows, ``note`` events, ``close`` at the end."""

    def __init__(self, info: RunInfo, hello: dict[str, Any], on_control: Callable[[str], None],
                 on_viewers: Callable[[int], None] = lambda n: None) -> None:
        self.info, self._hello = info, hello
        self._on_control, self._on_viewers = on_control, on_viewers
        self._queue: queue.Queue[tuple[str, Any] | None] = queue.Queue(QUEUE_BATCHES)
        self._backlog: deque[dict[str, Any]] = deque(maxlen=BACKLOG_ROWS)
        self._viewers: list[socket.socket] = []
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self.dropped = 0
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_umask = os.umask(0o177)  # the socket file is created 0600
        try:
            self._listener.bind(info.socket)
        finally:
            os.umask(old_umask)
        os.chmod(info.socket, 0o600)
        self._listener.listen(8)
        self._threads = [threading.Thread(target=self._accept, name="gradtui-accept", daemon=True),
                         threading.Thread(target=self._send, name="gradtui-send", daemon=True)]
        for thread in self._threads:
            thread.start()

    @property
    def viewers(self) -> int:
        with self._lock:
            return len(self._viewers)

    def publish(self, rows: list[dict[str, Any]]) -> None:
        """Offer recorded rows to the viewers; never blocks (a full queue drops them)."""
        self._backlog.extend(rows)
        if self._viewers:
            self._offer(("rows", rows))

    def note(self, step: int, text: str) -> None:
        """Tell the viewers of a change or an event."""
        self._offer(("event", {"step": step, "text": text}))

    def _offer(self, item: tuple[str, Any]) -> None:
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self.dropped += 1

    def close(self) -> None:
        """Stop listening and sending; disconnect every viewer."""
        if self._closed.is_set():
            return
        self._closed.set()
        try:
            self._queue.put_nowait(None)
        except queue.Full:
            pass
        try:
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._listener.close()
        with self._lock:
            viewers, self._viewers = self._viewers, []
        for viewer in viewers:
            _close(viewer)

    # --- threads ------------------------------------------------------------------------

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            if not _same_user(conn):
                log.warning("gradtui: refused a viewer of run %s: another user", self.info.name)
                _close(conn)
                continue
            conn.settimeout(SEND_TIMEOUT)
            try:
                conn.sendall(encode("hello", **self._hello))
                rows = list(self._backlog)
                for i in range(0, len(rows), 512):
                    conn.sendall(encode("rows", rows=rows[i:i + 512]))
            except OSError:
                _close(conn)
                continue
            with self._lock:
                self._viewers.append(conn)
                count = len(self._viewers)
            self._on_viewers(count)
            threading.Thread(target=self._read, args=(conn,), name="gradtui-read", daemon=True).start()

    def _read(self, conn: socket.socket) -> None:
        """Controls from one viewer, until it leaves or sends something that is not one."""
        while not self._closed.is_set():
            try:
                message = read_message(conn, MAX_TO_WATCHER, ("control",))
            except socket.timeout:
                continue
            except BadMessage as exc:
                log.warning("gradtui: run %s dropped a viewer's message: %s", self.info.name, exc)
                break
            except OSError:
                break
            if message is None:
                break
            if message["token"] != self.info.token:
                log.warning("gradtui: run %s dropped a control without the run's token", self.info.name)
                break
            self._on_control(message["action"])
        self._drop(conn)

    def _send(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            kind, payload = item
            data = encode("rows", rows=payload) if kind == "rows" else encode("event", **payload)
            with self._lock:
                viewers = list(self._viewers)
            for viewer in viewers:
                try:
                    viewer.sendall(data)
                except OSError:  # gone, or too slow to take a message within SEND_TIMEOUT
                    self._drop(viewer)

    def _drop(self, conn: socket.socket) -> None:
        with self._lock:
            if conn not in self._viewers:
                _close(conn)
                return
            self._viewers.remove(conn)
            count = len(self._viewers)
        _close(conn)
        if not self._closed.is_set():
            self._on_viewers(count)


def _same_user(conn: socket.socket) -> bool:
    """True when the peer runs as this user (Linux SO_PEERCRED; elsewhere the 0600 socket decides)."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return True
    creds = conn.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return uid == os.getuid()


def _close(conn: socket.socket) -> None:
    try:
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    conn.close()
