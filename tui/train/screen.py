"""The training screen: the run on show, its keys, and the thread worker that waits on it.

The worker steps the Trainer as fast as it can (see ``Session``) and publishes a
``Frame`` about 12 times a second with a coalescing ``FrameReady`` message; the screen
draws the newest frame when that message arrives, so the UI never waits for training
and training never waits for the UI. Its jobs are in modules of their own: where the
panes sit (``layout``), drawing frames onto them (``painter``, paced by ``pacing``), what
is on show (``runs_on_show``), entering and leaving twin mode (``twin_mode``), the events'
notifications (``notices``), the keys that act on one run (``control_keys``), the story
and hint lines (``story``) and the scenario's question (``question``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.reactive import reactive
from textual.screen import Screen
from textual.worker import get_current_worker

from gradtui.engine import Scenario

from gradtui.tui.train.control_keys import ControlKeys
from gradtui.tui.widgets.event_log import EventLog, LatestEvent
from gradtui.tui.train.help import GLOSSARY, training_rows
from gradtui.tui.widgets.help_screen import HelpScreen
from gradtui.tui.train.host import host
from gradtui.tui.train.keys import KEYS, LOCK_ALLOWS
from gradtui.tui.train.layout import CRAMPED, MIN_SIZE, SHORT, compose_panes, title_panes
from gradtui.tui.train.notices import notify_events
from gradtui.tui.train.output_view import RegionsView
from gradtui.tui.train.painter import FramePainter
from gradtui.tui.train.question import ACTIONS as QUESTION_ACTIONS, QuestionKeys, ScenarioQuestion
from gradtui.tui.train.runs_on_show import RunsOnShow
from gradtui.tui.train.session import Session
from gradtui.tui.train.settings_panel import Settings, SettingsScreen
from gradtui.tui.train.story import tell_story
from gradtui.tui.train.twin import TwinRuns
from gradtui.tui.train.twin_mode import TwinMode
from gradtui.engine.run.events import Event
from gradtui.tui.widgets.publisher import FrameReady


class TrainScreen(ControlKeys, QuestionKeys, Screen):
    """Status, plots, layer health, output view, controls and event log for one Session."""

    BINDINGS: ClassVar[list[BindingType]] = [*KEYS]
    HORIZONTAL_BREAKPOINTS = [(0, "-w-tiny"), (MIN_SIZE[0], "-w-fits")]
    VERTICAL_BREAKPOINTS = [(0, "-h-tiny"), (MIN_SIZE[1], "-cramped"), (CRAMPED, "-short"), (SHORT, "-tall")]
    """Size classes for app.tcss: -w-tiny or -h-tiny shows the too-small note; -short (below 36
    rows) and -cramped (below 30, 80x24 among them) rearrange the panes."""
    running = reactive(False, bindings=True)

    def __init__(self, session: Session, scenario: Scenario | None) -> None:
        super().__init__()
        self.runs = RunsOnShow(session, scenario, self)
        self.painter = FramePainter(self, self.runs)
        self.question = ScenarioQuestion(self, self.runs)
        self.twin_mode = TwinMode(self, self.runs, self.train, self.redraw)
        self.refreshes = 0

    def compose(self) -> ComposeResult:
        yield from compose_panes()

    def on_mount(self) -> None:
        self.set_class(getattr(self.app, "present", False), "-present")
        title_panes(self, self.locked)
        self.session.attach(self)
        self._install_story()

    @property
    def too_small(self) -> bool:
        return self.has_class("-w-tiny") or self.has_class("-h-tiny")

    # --- what is on show (``RunsOnShow``) ------------------------------------------------

    @property
    def session(self) -> Session:
        """The run on show; in twin mode, run A."""
        return self.runs.session

    @property
    def scenario(self) -> Scenario | None:
        return self.runs.scenario

    @property
    def twin(self) -> TwinRuns | None:
        """Twin mode's runs A (``session``) and B, or None outside twin mode."""
        return self.runs.twin

    @property
    def target(self) -> Session:
        """The run the control keys (and reset, rewind, save) act on."""
        return self.runs.target

    @property
    def driver(self) -> Session | TwinRuns:
        """What space starts and pauses: the session, or both twin runs."""
        return self.runs.driver

    # --- handing results over ---------------------------------------------------------

    def hand_back(self, session: Session) -> None:
        """Show ``session``'s frames here again if it is one of this screen's runs (a view
        opened over this screen that showed them is closing)."""
        if self.runs.shows(session):
            session.attach(self)
            self.show_latest()

    def on_frame_ready(self, message: FrameReady) -> None:
        """Draw on each new frame (in twin mode, ``RunsOnShow.wakes`` says whose)."""
        if self.runs.wakes(message.publisher):
            self.show_latest()

    def show_latest(self) -> None:
        """Show the sessions' events and newest frames; redraw the panes only if a frame
        is new."""
        events = self.runs.drain_events()
        if events:
            self.query_one(EventLog).add(events)
            self.query_one(LatestEvent).add(events)
            notify_events(self, events, twin=self.twin is not None)
        self.running = self.driver.running
        frame = self.session.frame
        frame_b = self.twin.b.frame if self.twin is not None else None
        if self.too_small or not self.painter.new(frame, frame_b):
            self.painter.show_status()
            return
        self.refreshes += 1
        self.painter.set_views()
        self.question.show()
        self.painter.paint(frame, frame_b)

    def redraw(self) -> None:
        """Draw every pane anew from the newest frames (after a change of what they show)."""
        self.painter.forget()
        self.show_latest()

    # --- the worker --------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="train", exit_on_error=False)
    def train(self, driver: Session | TwinRuns) -> None:
        """Run ``driver`` (one session, or twin mode's two side by side) until it pauses or
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
            return self.twin_mode.fix is not None
        if action in QUESTION_ACTIONS:
            return self.question.allows(action)
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
            self.question.skip_unanswered()
            self.train(driver)
        self.running = driver.running
        self.painter.show_status()

    def action_step(self) -> None:
        self.question.skip_unanswered()
        self.driver.step()

    def action_run_until(self) -> None:
        self.action_settings("until")

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

    def on_regions_view_point_clicked(self, message: RegionsView.PointClicked) -> None:
        """A click on a run's decision regions draws into that run (in twin mode, A or B)."""
        session = self.session
        if self.twin is not None and message.view.parent is self.query_one("#output-b"):
            session = self.twin.b
        session.draw_point(message.x, message.y, message.remove)

    def action_toggle_log(self) -> None:
        self.painter.log_scale = not self.painter.log_scale
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

    # --- twin mode (``TwinMode``) ---------------------------------------------------------------------

    def action_twin(self) -> None:
        self.twin_mode.toggle()

    def action_switch_side(self) -> None:
        self.twin_mode.switch_side()

    def action_compare_fix(self) -> None:
        self.twin_mode.compare_fix()

    def toggle_pause_together(self) -> None:
        """Twin mode: whether a run halted by NaN/Inf pauses the other one too (a palette entry)."""
        self.twin_mode.toggle_pause_together()

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
        self.runs.replace(session, scenario)
        self.remove_class("-twin")
        self.painter.shown = ()
        self._install_story()

    def _install_story(self) -> None:
        self.session.locked = self.locked
        tell_story(self, self.scenario, self.session, self.locked)
        self.question.ask()
        frame = self.session.frame
        self.session.events.append(Event(frame.step, "scenario", f"{self.session.name}: "
                                         f"{frame.shape.architecture} on {frame.shape.data_name}; "
                                         "space trains, ? shows the keys"))
        self.show_latest()

    def on_unmount(self) -> None:
        self.driver.pause()
        self.runs.detach()
