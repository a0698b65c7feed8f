"""The event log: one line per notable event, with the step it happened at."""

from __future__ import annotations

from collections import deque

from rich.text import Text
from textual.widgets import RichLog, Static

from gradtui.engine.run.events import EVENTS_KEPT, Event
from gradtui.engine.textsafe import visible
from gradtui.tui.widgets.fitting import shorten_rows

STYLES = {
    "raised": "bold red",
    "cleared": "green",
    "control": "cyan",
    "nan": "bold white on red",
    "checkpoint": "magenta",
    "share": "magenta",
    "export": "magenta",
    "reset": "blue",
    "rewind": "blue",
    "scenario": "bold",
    "prediction": "bold yellow",
    "error": "bold red",
    "limit": "yellow",
    "stop": "bold green",
}


def event_line(event: Event) -> Text:
    """The event as a line on screen; a file name in it cannot send escape codes to the
    terminal, nor characters an SVG screenshot cannot hold (``visible``)."""
    text = Text(f"{event.step:>6} ", style="dim")
    text.append(visible(event.text), style=STYLES.get(event.kind, ""))
    return text


class EventLog(RichLog):
    """A bounded log; newest at the bottom."""

    def __init__(self, **kwargs) -> None:
        super().__init__(max_lines=EVENTS_KEPT, wrap=True, markup=False, min_width=20, **kwargs)
        self.events: deque[Event] = deque(maxlen=EVENTS_KEPT)

    def add(self, events: list[Event]) -> None:
        for event in events:
            self.write(event_line(event))
        self.events.extend(events)


class LatestEvent(Static):
    """The newest event alone, for terminals too short for the log; redrawn only when
    events arrive while it is on show (an update lays the screen out again), and when it
    comes into view."""

    _newest: Event | None = None
    ROWS = 2
    """The rows it may take (its max-height): a longer event ends in "…" (the log has it whole)."""

    def add(self, events: list[Event]) -> None:
        if events:
            self._newest = events[-1]
            if self.display:
                self._show_newest()

    def on_show(self) -> None:
        self._show_newest()

    def on_resize(self) -> None:  # (after the layout in progress: an update now would upset it)
        self.call_after_refresh(self._show_newest)

    def _show_newest(self) -> None:
        if self._newest is not None:
            self.update(shorten_rows(event_line(self._newest), self.content_region.width, self.ROWS))
