"""Drawing the runs' newest frames onto the training screen's panes: the status line and
twin mode's bar, the plots, each run's layer health and output view, and the controls.
Each pane redraws only for a frame it has not drawn, paced while training (``FramePacing``)."""

from __future__ import annotations

from dataclasses import replace

from textual.screen import Screen

from gradtui.engine import total_count_text
from gradtui.engine.run.frame import Frame
from gradtui.engine.run.outputs import Regions
from gradtui.engine.textsafe import visible
from gradtui.tui.train.controls_panel import ControlsPanel, ControlsStrip
from gradtui.tui.train.health_view import LayerHealth, badge_state
from gradtui.tui.train.output_view import OutputView, drawing_hint
from gradtui.tui.train.pacing import FramePacing
from gradtui.tui.train.plots import GradPlot, LossPlot, SharpnessPlot
from gradtui.tui.train.runs_on_show import RunsOnShow
from gradtui.tui.train.session import Session
from gradtui.tui.train.status import StatusLine
from gradtui.tui.train.twin import TwinRuns
from gradtui.tui.train.twin_view import TwinBar, run_settings, twin_markup


def twin_frames(twin: TwinRuns) -> dict[str, Frame]:
    """The newest frame of each twin run, by side."""
    return {side: session.frame for side, session in twin.sessions.items()}


class FramePainter:
    """Draws the frames of ``runs`` onto the panes of ``screen``."""

    def __init__(self, screen: Screen, runs: RunsOnShow) -> None:
        self.screen = screen
        self.runs = runs
        self.log_scale = True
        """The loss plot's scale (``l`` switches to linear and back)."""
        self.pacing = FramePacing()
        self.shown: tuple = ()
        """The serials of the frames the panes last drew (run A's, and B's in twin mode)."""
        self.drawn: dict[str, Frame] = {}
        """The frame each run pane (by id) last drew: a pane redraws only for a new one."""

    def new(self, frame: Frame, frame_b: Frame | None) -> bool:
        """True (once) when ``frame`` or twin mode's ``frame_b`` is one the panes have not drawn."""
        shown = (frame.serial, frame_b.serial if frame_b is not None else None)
        if shown == self.shown:
            return False
        self.shown = shown
        return True

    def forget(self) -> None:
        """Have every pane draw its next frame, new or not (after a change of what they show)."""
        self.shown = ()
        self.drawn.clear()

    def paint(self, frame: Frame, frame_b: Frame | None) -> None:
        """Draw run A's ``frame`` (and twin mode's ``frame_b``) onto every pane."""
        runs, screen = self.runs, self.screen
        with screen.app.batch_update():
            self.show_status()
            self.show_plots(frame, frame_b)
            health = self.pacing.health_due(runs.driver.running)
            self._show_run(runs.session, frame, "#health", "#output", health)
            if runs.twin is not None and frame_b is not None:
                self._show_run(runs.twin.b, frame_b, "#health-b", "#output-b", health)
            config = runs.target.frame.config
            screen.query_one(ControlsPanel).show(config)
            screen.query_one(ControlsStrip).show(config)

    def set_views(self) -> None:
        """Tell each run the sizes of its panes (keeping the network view's request: in twin
        mode that view may be showing one run while this screen draws the other's frames)."""
        screen, runs = self.screen, self.runs
        width = max(screen.query_one(LossPlot).size.width, 20)
        pairs = [(runs.session, "#output")]
        if runs.twin is not None:
            pairs.append((runs.twin.b, "#output-b"))
        for session, output in pairs:
            view = replace(session.view, output_size=screen.query_one(output, OutputView).grid_size,
                           plot_points=width)
            if view != session.view:
                session.set_view(view)

    def _badges_changed(self, pane: str, frame: Frame) -> bool:
        """Whether ``frame`` raises, fades or clears a badge the pane ``pane`` does not show yet."""
        drawn = self.drawn.get(pane)
        return drawn is None or badge_state(drawn) != badge_state(frame)

    def _fresh(self, pane: str, frame: Frame) -> bool:
        """True (once) when ``frame`` is newer than the one the pane ``pane`` last drew."""
        if self.drawn.get(pane) is frame:
            return False
        self.drawn[pane] = frame
        return True

    def _show_run(self, session: Session, frame: Frame, health: str, output: str,
                  health_due: bool) -> None:
        """One run's layer health and output view, each redrawn only for a frame it has not
        drawn (in twin mode a halted run's panes stay as they are; the health panes wait for
        ``health_due``). In twin mode they are titled with the run's side and how it
        differs from the other run, which may change while this run's frame does not."""
        screen, twin = self.screen, self.runs.twin
        health_view, output_view = screen.query_one(health, LayerHealth), screen.query_one(output, OutputView)
        title, prefix = "layer health", ""
        if twin is not None:
            side = twin.side_of(session)
            title, prefix = f"layer health · {side}: {run_settings(twin_frames(twin), side)}", f"{side} · "
        if health_view.border_title != title:
            health_view.border_title = title
        if (health_due or self._badges_changed(health, frame)) and self._fresh(health, frame):
            health_view.show(frame)
        if self._fresh(output, frame):
            output_view.show(frame.output, visible(frame.shape.data_name), frame.evaluation, prefix)
        room = output_view.size.width - 6 if output_view.size.width else 1000  # inside "╰─ … ─╯"
        locked = getattr(screen.app, "locked", False)  # a locked app draws no points
        drawable = isinstance(frame.output, Regions) and not locked
        hint = drawing_hint(session.draw_class, room) if drawable else ""
        if output_view.border_subtitle != hint:
            output_view.border_subtitle = hint

    def show_plots(self, frame: Frame, twin: Frame | None = None) -> None:
        """Redraw the plots, as often as frames come unless that would cost more than
        ``PLOT_SHARE`` of the time while training."""
        def draw() -> float:
            screen = self.screen
            loss = screen.query_one(LossPlot)
            grads = screen.query_one(SharpnessPlot) if screen.has_class("-sharpness") else screen.query_one(GradPlot)
            loss.show(frame, self.log_scale, twin)
            grads.show(frame, twin=twin)
            return loss.render_cost + grads.render_cost

        self.pacing.pace_plots(frame.running, draw)

    def show_status(self) -> None:
        """The status line (the run the keys change) and, in twin mode, the twin bar."""
        screen, runs = self.screen, self.runs
        target, twin = runs.target, runs.twin
        shape, name = target.frame.shape, target.name
        if twin is not None:
            name = f"{runs.session.name} · keys → {twin.side}"
            running = {side: session.running for side, session in twin.sessions.items()}
            screen.query_one(TwinBar).show(twin_markup(twin_frames(twin), running, twin.side))
        screen.query_one(StatusLine).show(name, visible(shape.data_name), shape.architecture,
                                          target.frame, target.running,
                                          total_count_text(list(shape.sizes), shape.batchnorm))
