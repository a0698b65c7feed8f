"""Helpers shared by the live-lab pilot tests (settings panel, drawing, schedule plot)."""

from __future__ import annotations

import asyncio

from gradtui.tui.widgets.event_log import EventLog


async def settle(app) -> None:
    """Wait until changes queued for a background evaluation (a paused run's refresh that
    cost over ``UI_BUDGET`` on a loaded machine) have been applied."""
    for _ in range(1000):
        if not app.session.busy:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the session stayed busy")


def logged(app, kind: str) -> list[str]:
    """The texts of the event log's lines of one kind."""
    app.screen.show_latest()
    return [e.text for e in app.screen.query_one(EventLog).events if e.kind == kind]


def advance(session, steps: int) -> None:
    """Train ``session`` to step ``steps`` exactly (a "run until" stop), from the test's thread."""
    session.run_until(f"step>={steps}")
    assert session.start()
    session.run(lambda: False)
