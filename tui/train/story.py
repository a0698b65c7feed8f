"""The training screen's story and hint lines: what the run on show is about (its scenario's
story, or a custom run's network and data) and what to try with it."""

from __future__ import annotations

from rich.markup import escape
from textual.screen import Screen
from textual.widgets import Static

from gradtui.engine import Scenario
from gradtui.engine.textsafe import visible
from gradtui.tui.train.session import Session


def story_markup(scenario: Scenario | None, session: Session) -> str:
    """The story line; a story may quote file paths, so it is escaped, not parsed as markup, and
    a data set's name is shown with its unprintable characters escaped (``visible``)."""
    if scenario is None:
        shape = session.frame.shape
        return f"[b]custom run[/b]: {escape(shape.architecture)} on {escape(visible(shape.data_name))}."
    return f"[b]{escape(scenario.name)}[/b]: {escape(scenario.story)}"


LOCKED_HINT = ("[b]Controls locked:[/b] the presenter holds them. space runs and pauses, s steps, "
               "u rewinds, r resets; w saves and S shares the run.")
"""The hint of a locked app: a scenario's hint names keys that a locked app ignores."""


def hint_markup(scenario: Scenario | None) -> str:
    """The scenario's hint, or a general one when it has none (a custom or modified run)."""
    if scenario is None or not scenario.hint:
        return "[i]Try:[/i] change a control while it trains; ? lists the keys."
    return f"[i]Try:[/i] {escape(scenario.hint)}"


def tell_story(screen: Screen, scenario: Scenario | None, session: Session, locked: bool) -> None:
    """Put the story and hint of ``session`` (from ``scenario``) on ``screen``'s two lines."""
    screen.query_one("#story", Static).update(story_markup(scenario, session))
    screen.query_one("#hint", Static).update(LOCKED_HINT if locked else hint_markup(scenario))
