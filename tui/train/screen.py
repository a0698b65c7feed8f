"""The training screen: every pane, every key, and the thread worker that trains.

The worker steps the Trainer as fast as it can (see ``Session``) and publishes a
``Frame`` about 12 times a second with a coalescing ``FrameReady`` message; the screen
draws the newest frame when that message arrives, so the UI never waits for training
and training never waits for the UI.
"""

from __future__ import annotations

import time

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.worker import get_current_worker

from gradtui.engine import ACTIVATIONS, OPTIMIZERS, Scenario

from gradtui.tui.train.controls_panel import ControlsPanel
from gradtui.tui.widgets.event_log import EventLog
from gradtui.tui.train.health_view import LayerHealth
from gradtui.tui.widgets.help_screen import HelpScreen
from gradtui.tui.train.keys import KEYS
from gradtui.tui.widgets.ladders import BATCH_SIZES, CLIP_LADDER, CLIP_MODES, LR_LADDER, cycle, step_ladder
from gradtui.tui.train.output_view import OutputView
from gradtui.tui.train.plots import GradPlot, LossPlot
from gradtui.tui.train.frame import Frame
from gradtui.tui.train.session import Session, View
from gradtui.tui.train.status import StatusLine
from gradtui.tui.widgets.event_log import Event
from gradtui.tui.widgets.publisher import FrameReady

PLOT_EVERY = 0.4
"""Shortest time between plot redraws while training; plotext redraws are the costliest."""
PLOT_SHARE = 0.05
"""While training, plot redraws are spaced so they take at most this share of the time:
drawing holds Python's GIL, and every millisecond spent there is one the worker loses."""
MIN_SIZE = (60, 20)
"""Below this many columns x rows the screen shows a note instead of the panes."""
SHORT, CRAMPED = 36, 26
"""Below these heights the story and the event log shrink, then go (see app.tcss)."""


def story_markup(scenario: Scenario | None, session: Session) -> str:
    """The story line; a story may quote file paths, so it is escaped, not parsed as markup."""
    if scenario is None:
        trainer = session.trainer
        return f"[b]custom run[/b]: {escape(trainer.model.architecture)} on {escape(trainer.data.name)}."
    return f"[b]{escape(scenario.name)}[/b]: {escape(scenario.story)}"


def hint_markup(scenario: Scenario | None) -> str:
    """The scenario's hint, or a general one when it has none (a custom or modified run)."""
    if scenario is None or not scenario.hint:
        return "[i]Try:[/i] change a control while it trains; ? lists the keys."
    return f"[i]Try:[/i] {escape(scenario.hint)}"


class TrainScreen(Screen):
    """Status, plots, layer health, output view, controls and event log for one Session."""

    BINDINGS = KEYS
    running = reactive(False, bindings=True)

    def __init__(self, session: Session, scenario: Scenario | None) -> None:
        super().__init__()
        self.session = session
        self.scenario = scenario
        self.log_scale = True
        self.refreshes = 0
        self._shown = -1
        self._next_plot = 0.0

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        yield Static(id="story")
        yield Static(id="hint")
        with Vertical(id="main"):
            with Horizontal(id="top"):
                with Vertical(id="left"):
                    yield LossPlot(id="loss")
                    yield GradPlot(id="grads")
                with Vertical(id="right"):
                    yield OutputView(id="output")
                    yield ControlsPanel(id="controls")
                    yield EventLog(id="events")
            yield LayerHealth(id="health")
        yield Static("Terminal too small: gradtui needs at least 60 x 20.", id="too-small")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#output").border_title = "output"
        self.query_one("#controls").border_title = "controls"
        self.query_one("#events").border_title = "events"
        self.query_one("#health").border_title = "layer health"
        self.session.attach(self)
        self._install_story()

    def on_resize(self) -> None:
        width, height = self.size
        self.set_class(width < MIN_SIZE[0] or height < MIN_SIZE[1], "-too-small")
        self.set_class(height < SHORT, "-short")
        self.set_class(height < CRAMPED, "-cramped")

    # --- handing results over ---------------------------------------------------------

    def on_frame_ready(self, message: FrameReady) -> None:
        if message.publisher is self.session:
            self.show_latest()

    def show_latest(self) -> None:
        """Show the session's events and newest frame; redraw the panes only if the frame
        is new."""
        session = self.session
        events = session.drain_events()
        if events:
            self.query_one(EventLog).add(events)
            self._announce(events)
        self.running = session.running
        frame = session.frame
        if frame.serial == self._shown or self.has_class("-too-small"):
            self._show_status(frame)
            return
        self._shown = frame.serial
        self.refreshes += 1
        view = View(self.query_one(OutputView).grid_size, max(self.query_one(LossPlot).size.width, 20))
        if view != session.view:
            session.set_view(view)
        with self.app.batch_update():
            self._show_status(frame)
            self._show_plots(frame)
            self.query_one(LayerHealth).show(frame)
            self.query_one(OutputView).show(frame.output, session.trainer.data.name, frame.evaluation)
            self.query_one(ControlsPanel).show(frame.config)

    def _show_plots(self, frame: Frame) -> None:
        """Redraw the plots, at a rate that keeps their cost a small share while training."""
        now = time.perf_counter()
        if frame.running and now < self._next_plot:
            return
        loss, grads = self.query_one(LossPlot), self.query_one(GradPlot)
        loss.show(frame, self.log_scale)
        grads.show(frame)
        self._next_plot = now + max(PLOT_EVERY, (loss.render_cost + grads.render_cost) / PLOT_SHARE)

    def _show_status(self, frame: Frame) -> None:
        trainer = self.session.trainer
        self.query_one(StatusLine).show(self.session.name, trainer.data.name,
                                        trainer.model.architecture, frame, self.session.running)

    def _announce(self, events: list[Event]) -> None:
        for event in events:
            if event.kind == "nan":
                self.notify(f"step {event.step}: {event.text}", title="Training paused",
                            severity="error", timeout=8)
            elif event.kind in ("checkpoint", "error"):
                self.notify(event.text, severity="error" if event.kind == "error" else "information")

    # --- the worker --------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="train", exit_on_error=False)
    def train(self, session: Session) -> None:
        """Run ``session`` until it pauses or the worker is cancelled (thread worker)."""
        worker = get_current_worker()
        session.run(lambda: worker.is_cancelled)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "step" and self.running:
            return None
        return True

    # --- actions -----------------------------------------------------------------------

    def action_toggle_run(self) -> None:
        if self.session.running:
            self.session.pause()
        elif self.session.start():
            self.train(self.session)
        self.running = self.session.running
        self._show_status(self.session.frame)

    def action_step(self) -> None:
        self.session.step()

    def action_reset(self) -> None:
        self.session.reset()

    def action_rewind(self) -> None:
        self.session.rewind()

    def action_save(self) -> None:
        self.session.save_checkpoint(".")

    def _change(self, compute) -> None:
        self.session.change(compute)

    def action_lr_up(self) -> None:
        self._change(lambda c: {"lr": step_ladder(LR_LADDER, c.lr, up=True)})

    def action_lr_down(self) -> None:
        self._change(lambda c: {"lr": step_ladder(LR_LADDER, c.lr, up=False)})

    def action_clip_up(self) -> None:
        self._change(lambda c: {"clip": step_ladder(CLIP_LADDER, c.clip, up=True)})

    def action_clip_down(self) -> None:
        self._change(lambda c: {"clip": step_ladder(CLIP_LADDER, c.clip, up=False)})

    def action_cycle_activation(self) -> None:
        self._change(lambda c: {"activation": cycle(ACTIVATIONS, c.activation)})

    def action_cycle_optimizer(self) -> None:
        self._change(lambda c: {"optimizer": cycle(OPTIMIZERS, c.optimizer)})

    def action_cycle_clip_mode(self) -> None:
        self._change(lambda c: {"clip_mode": cycle(CLIP_MODES, c.clip_mode)})

    def action_cycle_batch(self) -> None:
        self._change(lambda c: {"batch_size": cycle(BATCH_SIZES, c.batch_size)})

    def action_toggle_log(self) -> None:
        self.log_scale = not self.log_scale
        self._shown = -1
        self.show_latest()

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen())

    def action_calculus(self) -> None:
        self.app.open_calculus(self.app.objective)

    # --- switching runs ----------------------------------------------------------------

    def install(self, session: Session, scenario: Scenario | None) -> None:
        """Show another run (a new scenario or a rebuilt config); the old one is paused."""
        self.session.pause()
        self.session.attach(None)
        self.session = session
        self.scenario = scenario
        self._shown = -1
        session.attach(self)
        self._install_story()

    def _install_story(self) -> None:
        self.query_one("#story", Static).update(story_markup(self.scenario, self.session))
        self.query_one("#hint", Static).update(hint_markup(self.scenario))
        trainer = self.session.trainer
        self.session.events.append(Event(trainer.step_count, "scenario", f"{self.session.name}: "
                                         f"{trainer.model.architecture} on {trainer.data.name}; "
                                         "space trains, ? shows the keys"))
        self.show_latest()

    def on_unmount(self) -> None:
        self.session.pause()
        self.session.attach(None)
