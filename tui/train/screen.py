"""The training screen: every pane, every key, and the thread worker that trains.

The worker steps the Trainer as fast as it can (see ``Session``) and publishes a
``Frame`` about 12 times a second with a coalescing ``FrameReady`` message; the screen
draws the newest frame when that message arrives, so the UI never waits for training
and training never waits for the UI.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import replace
from typing import ClassVar

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import get_current_worker

from gradtui.engine import ACTIVATIONS, OPTIMIZERS, Scenario, fitting_losses, total_count_text
from gradtui.engine.textsafe import visible

from gradtui.tui.train.controls_panel import LOCKED_TITLE, ControlsPanel, ControlsStrip
from gradtui.tui.widgets.event_log import EventLog, LatestEvent
from gradtui.tui.widgets.footer import FittedFooter
from gradtui.tui.train.health_view import LayerHealth, badge_state
from gradtui.tui.train.help import (BADGE_NOTES, GLOSSARY, GRADIENT_NOTES, HEALTH_NOTES, LOSS_NOTES, OUTPUT_NOTES,
                                    PREDICTION_NOTES, SHARPNESS_NOTES, training_rows)
from gradtui.tui.widgets.help_screen import HelpScreen
from gradtui.tui.train.host import host
from gradtui.tui.train.keys import FOOTER_RANK, KEYS, LOCK_ALLOWS
from gradtui.engine.train.ladders import BATCH_SIZES, CLIP_LADDER, CLIP_MODES, LR_LADDER, Climb, Cycle, NextLoss
from gradtui.tui.train.output_view import OutputView, RegionsView, drawing_hint
from gradtui.engine.run.outputs import Regions
from gradtui.tui.train.plots import GradPlot, LossPlot, SharpnessPlot
from gradtui.tui.train.prediction_view import PredictionPanel, PredictionState
from gradtui.engine.run.frame import Frame
from gradtui.engine.run.files import share_command
from gradtui.tui.train.session import Session
from gradtui.tui.train.settings_panel import Settings, SettingsScreen
from gradtui.tui.train.status import StatusLine
from gradtui.tui.train.twin import TwinRuns
from gradtui.tui.train.twin_view import KeepRunScreen, TwinBar, run_settings, twin_markup
from gradtui.engine.run.events import Event
from gradtui.tui.widgets.publisher import FrameReady

PLOT_SHARE = 0.2
"""While training, the plots redraw with every frame unless drawing them would take more
than this share of the time: every millisecond spent drawing is one a key press waits, and
(where training shares the app's process: macOS, Windows) one the worker loses to the GIL.
They cost about 1 ms of CPU each (``LinePlot.render_cost``), so at 12 frames a second they
redraw with every frame; where drawing takes several times longer (the median of the last
few), they redraw less often and the keys stay responsive."""
HEALTH_EVERY = 0.25
"""While training, the layer-health panes (one, or twin mode's two, together) redraw at most
this often (four times a second, which keeps their numbers readable), not with every frame:
in twin mode the two cost the UI thread about as much as both plots (time a key press
waits, and the training thread too where it shares the app's process). A badge raised or fading shows with the next frame;
paused, stepped or halted, a run's pane shows its newest frame at once."""
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


class TrainScreen(Screen):
    """Status, plots, layer health, output view, controls and event log for one Session."""

    BINDINGS: ClassVar[list[BindingType]] = [*KEYS]
    HORIZONTAL_BREAKPOINTS = [(0, "-w-tiny"), (MIN_SIZE[0], "-w-fits")]
    VERTICAL_BREAKPOINTS = [(0, "-h-tiny"), (MIN_SIZE[1], "-cramped"), (CRAMPED, "-short"), (SHORT, "-tall")]
    """Size classes for app.tcss: -w-tiny or -h-tiny shows the too-small note; -short (below 36
    rows) and -cramped (below 30, 80x24 among them) rearrange the panes."""
    running = reactive(False, bindings=True)

    def __init__(self, session: Session, scenario: Scenario | None) -> None:
        super().__init__()
        self.session = session
        """The run on show; in twin mode, run A."""
        self.scenario = scenario
        self.twin: TwinRuns | None = None
        """Twin mode's runs A (``session``) and B, or None outside twin mode."""
        self.log_scale = True
        self.refreshes = 0
        self._shown: tuple = ()
        self._drawn: dict[str, Frame] = {}
        """The frame each run pane (by id) last drew: a pane redraws only for a new one."""
        self._next_plot = 0.0
        self._plot_costs: deque[float] = deque(maxlen=5)
        """The plots' last drawing costs: their median paces them, so that one slow drawing
        (a page fault, the OS scheduling something else) does not drop the next frames."""
        self._next_health = 0.0

    def compose(self) -> ComposeResult:
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

    def on_mount(self) -> None:
        self.set_class(getattr(self.app, "present", False), "-present")
        self.query_one("#output").border_title = "output"
        self.query_one("#output-b").border_title = "output"
        self.query_one("#controls").border_title = LOCKED_TITLE if self.locked else "controls"
        self.query_one("#events").border_title = "events"
        self.query_one("#health").border_title = "layer health"
        for pane, tooltip in TOOLTIPS.items():
            self.query_one(pane).tooltip = tooltip
        self.session.attach(self)
        self._install_story()

    @property
    def too_small(self) -> bool:
        return self.has_class("-w-tiny") or self.has_class("-h-tiny")

    # --- handing results over ---------------------------------------------------------

    @property
    def target(self) -> Session:
        """The run the control keys (and reset, rewind, save) act on."""
        return self.twin.selected if self.twin is not None else self.session

    @property
    def driver(self) -> Session | TwinRuns:
        """What space starts and pauses: the session, or both twin runs."""
        return self.twin if self.twin is not None else self.session

    def hand_back(self, session: Session) -> None:
        """Show ``session``'s frames here again if it is one of this screen's runs (a view
        opened over this screen that showed them is closing)."""
        twin_b = self.twin.b if self.twin is not None else None
        if session in (self.session, twin_b):
            session.attach(self)
            self.show_latest()

    def on_frame_ready(self, message: FrameReady) -> None:
        """Draw on each new frame. In twin mode, while B runs only B's frames wake the
        screen (each redraw shows both runs' newest), so two workers cost one screen's redraws."""
        twin = self.twin
        if twin is None and message.publisher is self.session or twin is not None and (
                message.publisher is twin.b or message.publisher is twin.a and not twin.b.running):
            self.show_latest()

    def show_latest(self) -> None:
        """Show the sessions' events and newest frames; redraw the panes only if a frame
        is new."""
        events = self._drain_events()
        if events:
            self.query_one(EventLog).add(events)
            self.query_one(LatestEvent).add(events)
            self._announce(events)
        self.running = self.driver.running
        frame = self.session.frame
        frame_b = self.twin.b.frame if self.twin is not None else None
        shown = (frame.serial, frame_b.serial if frame_b is not None else None)
        if shown == self._shown or self.too_small:
            self._show_status()
            return
        self._shown = shown
        self.refreshes += 1
        self._set_views()
        self._show_prediction()
        with self.app.batch_update():
            self._show_status()
            self._show_plots(frame, frame_b)
            health = self._health_due()
            self._show_run(self.session, frame, "#health", "#output", health)
            if self.twin is not None and frame_b is not None:
                self._show_run(self.twin.b, frame_b, "#health-b", "#output-b", health)
            config = self.target.frame.config
            self.query_one(ControlsPanel).show(config)
            self.query_one(ControlsStrip).show(config)

    def redraw(self) -> None:
        """Draw every pane anew from the newest frames (after a change of what they show)."""
        self._shown = ()
        self._drawn.clear()
        self.show_latest()

    def _drain_events(self) -> list[Event]:
        """New events; in twin mode each tagged with its run (``A: ...``)."""
        if self.twin is None:
            return self.session.drain_events()
        return [Event(e.step, e.kind, f"{side}: {e.text}")
                for side, session in self.twin.sessions.items() for e in session.drain_events()]

    def _set_views(self) -> None:
        """Tell each run the sizes of its panes (keeping the network view's request: in twin
        mode that view may be showing one run while this screen draws the other's frames)."""
        width = max(self.query_one(LossPlot).size.width, 20)
        pairs = [(self.session, "#output")]
        if self.twin is not None:
            pairs.append((self.twin.b, "#output-b"))
        for session, output in pairs:
            view = replace(session.view, output_size=self.query_one(output, OutputView).grid_size,
                           plot_points=width)
            if view != session.view:
                session.set_view(view)

    def _health_due(self) -> bool:
        """Whether the health panes may redraw on this frame: always when nothing trains,
        every ``HEALTH_EVERY`` seconds while training."""
        if not self.driver.running:
            return True
        now = time.perf_counter()
        if now < self._next_health:
            return False
        self._next_health = now + HEALTH_EVERY
        return True

    def _badges_changed(self, pane: str, frame: Frame) -> bool:
        """Whether ``frame`` raises, fades or clears a badge the pane ``pane`` does not show yet."""
        drawn = self._drawn.get(pane)
        return drawn is None or badge_state(drawn) != badge_state(frame)

    def _fresh(self, pane: str, frame: Frame) -> bool:
        """True (once) when ``frame`` is newer than the one the pane ``pane`` last drew."""
        if self._drawn.get(pane) is frame:
            return False
        self._drawn[pane] = frame
        return True

    def _show_run(self, session: Session, frame: Frame, health: str, output: str,
                  health_due: bool) -> None:
        """One run's layer health and output view, each redrawn only for a frame it has not
        drawn (in twin mode a halted run's panes stay as they are; the health panes wait for
        ``health_due``). In twin mode they are titled with the run's side and how it
        differs from the other run, which may change while this run's frame does not."""
        health_view, output_view = self.query_one(health, LayerHealth), self.query_one(output, OutputView)
        title, prefix = "layer health", ""
        if self.twin is not None:
            side = self.twin.side_of(session)
            frames = {"A": self.session.frame, "B": self.twin.b.frame}
            title, prefix = f"layer health · {side}: {run_settings(frames, side)}", f"{side} · "
        if health_view.border_title != title:
            health_view.border_title = title
        if (health_due or self._badges_changed(health, frame)) and self._fresh(health, frame):
            health_view.show(frame)
        if self._fresh(output, frame):
            output_view.show(frame.output, visible(frame.shape.data_name), frame.evaluation, prefix)
        room = output_view.size.width - 6 if output_view.size.width else 1000  # inside "╰─ … ─╯"
        drawable = isinstance(frame.output, Regions) and not self.locked  # a locked app draws no points
        hint = drawing_hint(session.draw_class, room) if drawable else ""
        if output_view.border_subtitle != hint:
            output_view.border_subtitle = hint

    def _show_plots(self, frame: Frame, twin: Frame | None = None) -> None:
        """Redraw the plots, as often as frames come unless that would cost more than
        ``PLOT_SHARE`` of the time while training."""
        now = time.perf_counter()
        if frame.running and now < self._next_plot:
            return
        loss = self.query_one(LossPlot)
        grads = self.query_one(SharpnessPlot) if self.sharpness_shown else self.query_one(GradPlot)
        loss.show(frame, self.log_scale, twin)
        grads.show(frame, twin=twin)
        self._plot_costs.append(loss.render_cost + grads.render_cost)
        typical = sorted(self._plot_costs)[len(self._plot_costs) // 2]  # the median (statistics costs first paint 5-20 ms)
        self._next_plot = now + typical / PLOT_SHARE

    def _show_status(self) -> None:
        target = self.target
        shape, name = target.frame.shape, target.name
        if self.twin is not None:
            name = f"{self.session.name} · keys → {self.twin.side}"
            frames = {"A": self.session.frame, "B": self.twin.b.frame}
            running = {side: session.running for side, session in self.twin.sessions.items()}
            self.query_one(TwinBar).show(twin_markup(frames, running, self.twin.side))
        self.query_one(StatusLine).show(name, visible(shape.data_name), shape.architecture,
                                        target.frame, target.running,
                                        total_count_text(list(shape.sizes), shape.batchnorm))

    def _announce(self, events: list[Event]) -> None:
        for event in events:
            if event.kind == "nan":
                title = "Training paused" if self.twin is None else f"Run {event.text[0]} paused"
                self.notify(f"step {event.step}: {event.text}", title=title, severity="error", timeout=8)
            elif event.kind == "share" and event.path is not None:
                self.notify(share_command(event.path), title="Shared: this command replays the run",
                            timeout=20)
            elif event.kind == "limit":
                self.notify(event.text, title="Ladder end", timeout=4)
            elif event.kind == "stop":
                self.notify(event.text, title="Run until: done", timeout=8)
            elif event.kind in ("checkpoint", "export", "error"):
                self.notify(event.text, severity="error" if event.kind == "error" else "information")
            if event.path is not None and self.app.is_web:
                self.app.deliver_binary(event.path)  # in a browser: also offered as a download

    # --- the worker --------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="train", exit_on_error=False)
    def train(self, driver: Session | TwinRuns) -> None:
        """Run ``driver`` (one session, or twin mode's two in lockstep) until it pauses or
        the worker is cancelled (thread worker)."""
        worker = get_current_worker()
        driver.run(lambda: worker.is_cancelled)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.locked and action not in LOCK_ALLOWS:
            return False
        if action == "step" and self.running:
            return None
        if action == "switch_side":
            return self.twin is not None
        if action == "compare_fix":
            return self.fix is not None
        if action.startswith("answer_") or action == "skip_prediction":
            state = self.prediction
            if state is None or not state.pending or not self.session.watching:
                return False
            return action == "skip_prediction" or int(action[-1]) <= len(state.prediction.answers)
        if action == "reveal_prediction":
            return self.prediction is not None and self.session.watching
        return True

    @property
    def locked(self) -> bool:
        """True when the app was started with ``--lock``: only ``LOCK_ALLOWS`` actions run."""
        return getattr(self.app, "locked", False)

    # --- actions -----------------------------------------------------------------------

    def action_toggle_run(self) -> None:
        driver = self.driver
        if driver.running:
            driver.pause()
        elif driver.start():
            self._skip_unanswered()
            self.train(driver)
        self.running = driver.running
        self._show_status()

    def action_step(self) -> None:
        self._skip_unanswered()
        self.driver.step()

    def action_reset(self) -> None:
        self.target.reset()

    def action_rewind(self) -> None:
        self.target.rewind()

    def action_save(self) -> None:
        self.target.save_checkpoint(".")

    def action_share(self) -> None:
        self.target.share(".")

    def _change(self, compute) -> None:
        self.target.change(compute)

    def action_lr_up(self) -> None:
        self._change(Climb(LR_LADDER, "lr", up=True))

    def action_lr_down(self) -> None:
        self._change(Climb(LR_LADDER, "lr", up=False))

    def action_clip_up(self) -> None:
        self._change(Climb(CLIP_LADDER, "clip", up=True))

    def action_clip_down(self) -> None:
        self._change(Climb(CLIP_LADDER, "clip", up=False))

    def action_cycle_activation(self, step: int = 1) -> None:
        self._change(Cycle(tuple(ACTIVATIONS), "activation", step))

    def action_cycle_optimizer(self, step: int = 1) -> None:
        self._change(Cycle(tuple(OPTIMIZERS), "optimizer", step))

    def action_cycle_clip_mode(self, step: int = 1) -> None:
        self._change(Cycle(tuple(CLIP_MODES), "clip_mode", step))

    def action_cycle_batch(self, step: int = 1) -> None:
        self._change(Cycle(tuple(BATCH_SIZES), "batch_size", step))

    def action_toggle_batchnorm(self) -> None:
        self._change(Cycle((False, True), "batchnorm"))

    def action_cycle_loss(self) -> None:
        shape = self.target.frame.shape
        self._change(NextLoss(fitting_losses(shape.task, shape.n_classes)))

    def action_run_until(self) -> None:
        self.action_settings("until")

    def action_cycle_activation_back(self) -> None:
        self.action_cycle_activation(-1)

    def action_cycle_optimizer_back(self) -> None:
        self.action_cycle_optimizer(-1)

    def action_cycle_clip_mode_back(self) -> None:
        self.action_cycle_clip_mode(-1)

    def action_cycle_batch_back(self) -> None:
        self.action_cycle_batch(-1)

    def action_settings(self, focus: str | None = None) -> None:
        """Open the settings panel (``focus``: the id of the field to start in)."""
        target = self.target
        sizes = target.frame.shape.sizes
        panel = SettingsScreen(target.frame.config, (sizes[0], sizes[-1]),
                               target.check_until, focus)
        self.app.push_screen(panel, lambda settings: self._apply_settings(target, settings))

    def _apply_settings(self, target: Session, settings: Settings | None) -> None:
        if settings is None:
            return
        if settings.changes:
            target.change(dict(settings.changes))
        if settings.until:
            target.run_until(settings.until)
            if not self.driver.running:
                self.action_toggle_run()

    def action_draw_class(self) -> None:
        self.target.next_draw_class()

    def action_save_points(self) -> None:
        self.target.save_points(".")

    def on_regions_view_point_clicked(self, message: RegionsView.PointClicked) -> None:
        """A click on a run's decision regions draws into that run (in twin mode, A or B)."""
        session = self.session
        if self.twin is not None and message.view.parent is self.query_one("#output-b"):
            session = self.twin.b
        session.draw_point(message.x, message.y, message.remove)

    def action_toggle_log(self) -> None:
        self.log_scale = not self.log_scale
        self.redraw()

    def action_lr_range_test(self) -> None:
        """Pause, then the range test on a copy of the run the control keys act on."""
        from gradtui.tui.train.range_test_screen import RangeTestScreen  # loaded when first used
        if self.driver.running:
            self.action_toggle_run()
        self.app.push_screen(RangeTestScreen(self.target))

    @property
    def sharpness_shown(self) -> bool:
        return self.has_class("-sharpness")

    def action_toggle_sharpness(self) -> None:
        """The sharpness pane in place of the gradient plot, or back; run A's λmax is
        measured only while it shows."""
        shown = not self.sharpness_shown
        self.set_class(shown, "-sharpness")
        self.session.set_view(replace(self.session.view, sharpness=shown))
        self.redraw()

    # --- twin mode ---------------------------------------------------------------------

    @property
    def fix(self) -> dict | None:
        """The changes the scenario's hint names as its fix, if it has any."""
        return getattr(self.scenario, "fix", None) or None

    def action_twin(self) -> None:
        if self.twin is None:
            self.enter_twin()
        else:
            twin = self.twin
            self.app.push_screen(KeepRunScreen({"A": twin.a.frame, "B": twin.b.frame},
                                               {"A": twin.a.running, "B": twin.b.running}), self.leave_twin)

    def action_switch_side(self) -> None:
        if self.twin is not None:
            side = self.twin.switch()
            self.notify(f"The keys now change run {side}.", timeout=2)
            self.redraw()

    def action_compare_fix(self) -> None:
        fix = self.fix
        if fix is None:
            self.notify("This run has no scenario fix to compare with.", severity="warning")
            return
        if self.twin is not None:
            self.notify("Already in twin mode: t leaves it first.", severity="warning")
            return
        self.session.reset()
        self.enter_twin(fix)

    def toggle_pause_together(self) -> None:
        """Twin mode: whether a run halted by NaN/Inf pauses the other one too."""
        if self.twin is not None:
            self.twin.pause_together = not self.twin.pause_together
            state = "pauses both runs" if self.twin.pause_together else "stops that run alone"
            self.notify(f"A NaN/Inf now {state}.", timeout=3)

    def enter_twin(self, changes: dict | None = None) -> None:
        """Fork the run on show into A (this run) and B (an exact copy, then ``changes``);
        both train in lockstep from here, and the keys change B."""
        running = self.session.running
        self.session.pause()
        b = self.session.fork(f"{self.session.name}-B")
        self.twin = TwinRuns(self.session, b)
        b.attach(self)
        self.add_class("-twin")
        step = self.session.frame.step
        self.session.events.append(Event(step, "scenario", f"twin mode: B is an exact copy of A at step "
                                         f"{step}; the keys change B (y: A), t leaves"))
        if changes:
            b.change(dict(changes))
        if running and self.twin.start():
            self.train(self.twin)
        self.redraw()
        self.call_after_refresh(self.redraw)  # once laid out: each run's pane has its twin-mode size

    def leave_twin(self, keep: str | None) -> None:
        """Keep run ``keep`` ("A" or "B") as the run on show and drop the other; None stays."""
        twin = self.twin
        if keep is None or twin is None:
            return
        running = twin.running
        twin.pause()
        twin.part(keep)
        kept, dropped = twin.sessions[keep], twin.sessions["B" if keep == "A" else "A"]
        dropped.attach(None)
        self.twin = None
        self.remove_class("-twin")
        self.session = kept
        kept.attach(self)
        kept.events.append(Event(kept.frame.step, "scenario",
                                 f"left twin mode: kept run {keep} ({kept.name}), the other dropped"))
        if running and kept.start():
            self.train(kept)
        self.redraw()
        self.call_after_refresh(self.redraw)  # once laid out: the kept run's pane is whole again

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen("gradtui keys", training_rows(), GLOSSARY))

    def action_calculus(self) -> None:
        app = host(self)
        app.open_calculus(app.objective)

    def action_network(self) -> None:
        host(self).open_network()

    def action_gallery(self) -> None:
        from gradtui.tui.train.gallery import GalleryScreen  # not on the first screen: loaded when opened

        self.app.push_screen(GalleryScreen(self.target))

    def action_losses(self) -> None:
        from gradtui.tui.train.loss_compare import LossScreen  # loaded when opened

        self.app.push_screen(LossScreen())

    # --- switching runs ----------------------------------------------------------------

    def install(self, session: Session, scenario: Scenario | None) -> None:
        """Show another run (a new scenario or a rebuilt config); the old one is paused."""
        self.driver.pause()
        if self.twin is not None:
            self.twin.part()
        for old in (self.twin.sessions.values() if self.twin is not None else (self.session,)):
            old.attach(None)
        self.twin = None
        self.remove_class("-twin")
        self.session = session
        self.scenario = scenario
        self._shown = ()
        session.attach(self)
        self._install_story()

    def _install_story(self) -> None:
        self.session.locked = self.locked
        self.query_one("#story", Static).update(story_markup(self.scenario, self.session))
        self.query_one("#hint", Static).update(LOCKED_HINT if self.locked else hint_markup(self.scenario))
        self._ask_prediction()
        frame = self.session.frame
        self.session.events.append(Event(frame.step, "scenario", f"{self.session.name}: "
                                         f"{frame.shape.architecture} on {frame.shape.data_name}; "
                                         "space trains, ? shows the keys"))
        self.show_latest()

    # --- predict, then watch -----------------------------------------------------------

    @property
    def prediction(self) -> PredictionState | None:
        """The question of the scenario on show, as the learner has met it this session."""
        return host(self).predictions.get(self.scenario.name) if self.scenario is not None else None

    def _ask_prediction(self) -> None:
        """Put the scenario's question up (unless answered or skipped earlier this session)
        and have the session watch the run for its evidence."""
        scenario = self.scenario
        question = scenario.prediction if scenario is not None else None
        frame = self.session.frame
        fresh = frame.step == frame.shape.first_step
        if scenario is None or question is None or not fresh:
            self.session.watch_prediction(None)
        else:
            host(self).predictions.setdefault(scenario.name, PredictionState(question))
            self.session.watch_prediction(scenario.name)
        self._show_prediction()

    def _set_prediction(self, state: PredictionState) -> None:
        if self.scenario is not None:  # always, while a question is on show
            host(self).predictions[self.scenario.name] = state
        self._show_prediction()
        self.refresh_bindings()

    def _show_prediction(self) -> None:
        """The question's panel, with what the newest frame says the run has shown."""
        state = self.prediction if self.session.watching else None
        self.query_one(PredictionPanel).show(state, self.session.frame.reveal if state is not None else None)

    def _answer(self, index: int) -> None:
        if self.prediction is not None:
            self._set_prediction(self.prediction.answer(index))

    def action_answer_1(self) -> None:
        self._answer(0)

    def action_answer_2(self) -> None:
        self._answer(1)

    def action_answer_3(self) -> None:
        self._answer(2)

    def action_answer_4(self) -> None:
        self._answer(3)

    def action_skip_prediction(self) -> None:
        if self.prediction is not None:
            self._set_prediction(self.prediction.skip())

    def action_reveal_prediction(self) -> None:
        if self.prediction is not None:
            self._set_prediction(self.prediction.show_answer())

    def _skip_unanswered(self) -> None:
        """Training started before an answer: the question counts as skipped."""
        state = self.prediction
        if state is not None and state.pending:
            self._set_prediction(state.skip())

    def on_unmount(self) -> None:
        self.driver.pause()
        self.session.attach(None)
        if self.twin is not None:
            self.twin.b.attach(None)
