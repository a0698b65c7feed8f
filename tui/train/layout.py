"""Where the training screen's panes sit, their titles and what each one's tooltip explains
(app.tcss arranges them by the screen's size classes)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Static

from gradtui.tui.train.controls_panel import LOCKED_TITLE, ControlsPanel, ControlsStrip
from gradtui.tui.train.health_view import LayerHealth
from gradtui.tui.train.help import (BADGE_NOTES, GRADIENT_NOTES, HEALTH_NOTES, LOSS_NOTES, OUTPUT_NOTES,
                                    PREDICTION_NOTES, SHARPNESS_NOTES)
from gradtui.tui.train.keys import FOOTER_RANK
from gradtui.tui.train.output_view import OutputView
from gradtui.tui.train.plots import GradPlot, LossPlot, SharpnessPlot
from gradtui.tui.train.prediction_view import PredictionPanel
from gradtui.tui.train.status import StatusLine
from gradtui.tui.train.twin_view import TwinBar
from gradtui.tui.widgets.event_log import EventLog, LatestEvent
from gradtui.tui.widgets.footer import FittedFooter

MIN_SIZE = (60, 20)
"""Below this many columns x rows the screen shows a note instead of the panes."""
SHORT, CRAMPED = 36, 30
"""Below 36 rows the controls panel and the event log give way to a controls strip and the
newest event across the screen; below 30 the plots also sit side by side (see app.tcss)."""


TOOLTIPS = {
    "#status": "state · scenario · dataset · network shape · activation · optimizer · learning rate · "
               "gradient clipping · steps taken · epochs (passes over the training set) · steps a "
               "second; on a narrow terminal the later fields give way first",
    "#loss": LOSS_NOTES,
    "#grads": GRADIENT_NOTES,
    "#sharpness": SHARPNESS_NOTES,
    "#health": f"{HEALTH_NOTES}\n{BADGE_NOTES}",
    "#health-b": f"{HEALTH_NOTES}\n{BADGE_NOTES}",
    "#output": OUTPUT_NOTES,
    "#output-b": OUTPUT_NOTES,
    "#prediction": PREDICTION_NOTES,
    "#controls": "each setting with its keys: press a key or click its cap; e opens every setting",
    "#controls-strip": "each setting with its keys: press a key or click its cap; e opens every setting",
    "#events": "what happened, with its step: badges raised and cleared, control changes, NaN, saves",
    "#latest-event": "the newest event, with its step (a taller terminal shows the whole log)",
}
"""What each pane's numbers and marks mean, shown when the mouse rests on it (? shows all)."""


def compose_panes() -> ComposeResult:
    """Every pane of the training screen, twin mode's B panes (``twin-only``) among them."""
    yield StatusLine(id="status")
    yield Static(id="story")
    yield Static(id="hint")
    yield PredictionPanel(id="prediction")
    yield TwinBar(id="twin-bar", classes="twin-only")
    with Vertical(id="main"):
        with Horizontal(id="top"):
            with Vertical(id="left"):
                yield LossPlot(id="loss")
                yield GradPlot(id="grads")
                yield SharpnessPlot(id="sharpness")
            with Vertical(id="right"):
                with Horizontal(id="outputs"):
                    yield OutputView(id="output")
                    yield OutputView(id="output-b", classes="twin-only")
                yield ControlsPanel(id="controls")
                yield EventLog(id="events")
        with Horizontal(id="healths"):
            yield LayerHealth(id="health")
            yield LayerHealth(id="health-b", classes="twin-only")
    yield ControlsStrip(id="controls-strip")
    yield LatestEvent(id="latest-event")
    yield Static("Terminal too small: gradtui needs at least 60 x 20.", id="too-small")
    yield FittedFooter(FOOTER_RANK)


def title_panes(screen: Screen, locked: bool) -> None:
    """Give ``screen``'s panes their border titles (a locked app's controls say so) and tooltips."""
    screen.query_one("#output").border_title = "output"
    screen.query_one("#output-b").border_title = "output"
    screen.query_one("#controls").border_title = LOCKED_TITLE if locked else "controls"
    screen.query_one("#events").border_title = "events"
    screen.query_one("#health").border_title = "layer health"
    for pane, tooltip in TOOLTIPS.items():
        screen.query_one(pane).tooltip = tooltip
