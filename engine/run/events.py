"""What a run says happened: one ``Event`` per notable moment, with the step it happened at."""

from __future__ import annotations

from dataclasses import dataclass

EVENTS_KEPT = 400
"""Events a screen's log keeps; a run's queue of events not yet shown has the same bound."""


@dataclass(frozen=True)
class Event:
    """One line of the event log: ``kind`` is raised, cleared, control, nan, checkpoint,
    share, export, reset, rewind, scenario, prediction (the run showed a prediction's answer),
    error, limit (a ladder key pressed at its ladder's end) or stop (a "run until" condition
    met). ``path`` names the file a checkpoint, share or export event wrote (a browser
    downloads it)."""

    step: int
    kind: str
    text: str
    path: str | None = None
