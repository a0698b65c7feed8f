"""The notifications a run's events raise on the training screen: a NaN/Inf halt, a share's
replay command, a ladder's end, a reached stop condition, a save, an export or an error; in
a browser, every file a run writes is also offered as a download."""

from __future__ import annotations

from textual.screen import Screen

from gradtui.engine.run.events import Event
from gradtui.engine.run.files import share_command


def notify_events(screen: Screen, events: list[Event], twin: bool) -> None:
    """Notify ``screen``'s user of the ``events`` that need it (``twin``: each event's text
    starts with its run's side, ``A: ...``)."""
    for event in events:
        if event.kind == "nan":
            title = "Training paused" if not twin else f"Run {event.text[0]} paused"
            screen.notify(f"step {event.step}: {event.text}", title=title, severity="error", timeout=8)
        elif event.kind == "share" and event.path is not None:
            screen.notify(share_command(event.path), title="Shared: this command replays the run",
                          timeout=20)
        elif event.kind == "limit":
            screen.notify(event.text, title="Ladder end", timeout=4)
        elif event.kind == "stop":
            screen.notify(event.text, title="Run until: done", timeout=8)
        elif event.kind in ("checkpoint", "export", "error"):
            screen.notify(event.text, severity="error" if event.kind == "error" else "information")
        if event.path is not None and screen.app.is_web:
            screen.app.deliver_binary(event.path)  # in a browser: also offered as a download
