"""A finished run's record as a ``RunSource``: the screen scrolls through its steps.

``ReplaySource`` reads the record (``gradtui.live.record.read_record``: a damaged file is
one line) and shows it up to a cursor step, at first the end; the arrow keys move the
cursor a step's row at a time, with shift a tenth of the run, and the panes show the run as
it stood at that step.
"""

from __future__ import annotations

import threading

from gradtui.live.record import read_record

from gradtui.tui.attach.run_view import RunView
from gradtui.tui.widgets.publisher import Publisher


class ReplaySource(Publisher):
    """The recorded run, shown up to ``cursor`` rows."""

    steerable = False
    locked = False
    connected = False
    ended = "recorded"
    steps_per_s = 0.0

    def __init__(self, path: str) -> None:
        super().__init__()
        self.header, self.rows = read_record(path)
        self.lock = threading.Lock()
        self.cursor = len(self.rows)
        self.view = self._view_upto(self.cursor)

    def _view_upto(self, count: int) -> RunView:
        view = RunView(self.header)
        view.add_rows(self.rows[:count])
        return view

    def scroll(self, amount: int) -> None:
        """Move the cursor ``amount`` rows (or, for |amount| >= 10, amount percent of the run)."""
        size = len(self.rows)
        delta = amount if abs(amount) < 10 else max(1, size * abs(amount) // 100) * (1 if amount > 0 else -1)
        cursor = min(size, max(1 if size else 0, self.cursor + delta))
        if cursor != self.cursor:
            self.cursor = cursor
            with self.lock:
                self.view = self._view_upto(cursor)

    def send(self, action: str) -> bool:
        return False
