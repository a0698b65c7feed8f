"""The viewer's side of a live run's socket: a reader thread that feeds a ``RunView``.

``RunClient.connect`` opens the run's socket and reads its ``hello``; a run that cannot be
reached or read is one ``AttachError`` line. The reader thread then takes rows and events
into the ``RunView`` under a lock and announces a new frame to the screen (``Publisher``);
a message that is not valid ends the connection with a line saying why. ``send`` asks the
run for a control (with the run's token); a locked viewer never sends.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

from gradtui.live.protocol import MAX_TO_VIEWER, BadMessage, encode, read_message
from gradtui.live.rundir import RunDirError, RunInfo, read_run

from gradtui.tui.attach.run_view import RunView
from gradtui.tui.widgets.publisher import Publisher

CONNECT_TIMEOUT = 3.0


class AttachError(Exception):
    """The run cannot be watched; the text says why in one line."""


class RunClient(Publisher):
    """One live run as the screen sees it: its ``RunView``, updated from the socket."""

    def __init__(self, info: RunInfo, sock: socket.socket, hello: dict[str, Any], locked: bool) -> None:
        super().__init__()
        self.info, self._sock, self.locked = info, sock, locked
        self.view = RunView(hello, live=True)
        self.steerable = bool(hello["steerable"]) and not locked
        self.lock = threading.Lock()
        self.connected = True
        self.ended: str | None = None
        """Why the connection ended (None while it lasts)."""
        self._rate: tuple[float, int] = (time.monotonic(), 0)
        self.steps_per_s = 0.0
        self._thread = threading.Thread(target=self._read, name="gradtui-attach", daemon=True)

    @classmethod
    def connect(cls, name: str, locked: bool = False) -> "RunClient":
        try:
            info = read_run(name)
        except RunDirError as exc:
            raise AttachError(str(exc)) from None
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(CONNECT_TIMEOUT)
        try:
            sock.connect(info.socket)
            hello = read_message(sock, MAX_TO_VIEWER, ("hello",))
        except BadMessage as exc:
            sock.close()
            raise AttachError(f"run {name!r}: cannot read what it sends ({exc}); is it a gradtui run of "
                              "another version?") from None
        except OSError as exc:
            sock.close()
            raise AttachError(f"run {name!r}: cannot connect to {info.socket}: {exc.strerror or exc}") from None
        if hello is None:
            sock.close()
            raise AttachError(f"run {name!r} closed the connection (another user's run, or it just ended)")
        sock.settimeout(None)
        return cls(info, sock, hello, locked)

    def start(self) -> None:
        self._thread.start()

    def _read(self) -> None:
        reason = "the run ended"
        while True:
            try:
                message = read_message(self._sock, MAX_TO_VIEWER, ("rows", "event"))
            except BadMessage as exc:
                reason = f"dropped the connection: {exc}"
                break
            except OSError:
                break
            if message is None:
                break
            with self.lock:
                if message["type"] == "rows":
                    self.view.add_rows([r for r in message["rows"] if isinstance(r, dict) and isinstance(r.get("step"), int)])
                    self._measure_rate()
                else:
                    self.view.add_event(message["step"], message["text"])
            self.announce()
        with self.lock:
            self.connected, self.ended = False, reason
        self.announce()

    def _measure_rate(self) -> None:
        then, step = self._rate
        now = time.monotonic()
        if now - then >= 1.0:
            self.steps_per_s = (self.view.step - step) / (now - then)
            self._rate = (now, self.view.step)

    def send(self, action: str) -> bool:
        """Ask the run for ``action`` at its next step boundary; False when it cannot be asked."""
        if not self.steerable or not self.connected:
            return False
        try:
            self._sock.sendall(encode("control", action=action, token=self.info.token))
        except OSError:
            return False
        return True

    def close(self) -> None:
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
