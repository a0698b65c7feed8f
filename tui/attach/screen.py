"""The training screen's panes on a PyTorch run: loss, gradient norms, layer health, flags, events.

``RunScreen`` shows any ``RunSource``: a live run (``RunClient``, steered with the keys
gradtui users know: space, ] [, x { }, plus s/u for a snapshot and the way back to it and n
to skip non-finite steps) or a record (``ReplaySource``, scrolled along the step axis with
the arrow keys). The panes are the training screen's own widgets, fed the same ``Frame``.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

from rich.markup import escape
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static

from gradtui.tui.attach.run_view import RunView
from gradtui.engine.run.frame import Frame
from gradtui.engine.textsafe import visible
from gradtui.tui.train.health_view import LayerHealth
from gradtui.tui.train.plots import GradPlot, LossPlot
from gradtui.tui.widgets.event_log import EventLog
from gradtui.tui.widgets.publisher import FrameReady

EXPLANATIONS = {
    "exploding": "gradients this large make updates overshoot: press [ to lower the lr, or x to clip by norm",
    "vanishing": "almost no gradient reaches this layer, so it barely learns (an init, activation or "
                 "normalisation matter here; no key fixes it live)",
    "dead": "these ReLU units output 0 on the whole batch, so no gradient flows back through them and they "
            "stay dead; often an lr too high: press [ and, with a snapshot from before, u to go back",
    "saturated": "sigmoid/tanh units stuck at their flat ends pass almost no gradient: press [ to lower the lr",
    "nonfinite": "the loss or a gradient is NaN/Inf: press n to skip such steps, [ to lower the lr, "
                 "u to roll back to a snapshot",
}
"""What each flag means and which key helps, shown beside the active flags."""

POINTS = 400


class RunSource(Protocol):
    """What the screen shows: a run's ``RunView`` behind a lock, and whether it is live."""

    view: RunView
    lock: threading.Lock
    steerable: bool
    locked: bool
    connected: bool
    ended: str | None
    steps_per_s: float

    def attach(self, screen) -> None: ...
    def send(self, action: str) -> bool: ...


class RunScreen(Screen):
    """One watched run, live or replayed."""

    CSS_PATH = "attach.tcss"
    BINDINGS = [
        Binding("space", "toggle_pause", "Pause/resume", key_display="space", id="attach.pause",
                tooltip="pause the training loop at its next step boundary (its w.step call waits); again resumes"),
        Binding("right_square_bracket", "send('lr_up')", "lr up", key_display="]", id="attach.lr_up",
                tooltip="every param group's lr one rung up the 1-3-10 ladder"),
        Binding("left_square_bracket", "send('lr_down')", "lr down", key_display="[", id="attach.lr_down",
                tooltip="every param group's lr one rung down the ladder"),
        Binding("x", "send('clip_toggle')", "Clip", id="attach.clip",
                tooltip="gradient clipping by norm on/off (torch.nn.utils.clip_grad_norm_)"),
        Binding("right_curly_bracket", "send('clip_up')", "Clip up", key_display="}", show=False, id="attach.clip_up"),
        Binding("left_curly_bracket", "send('clip_down')", "Clip down", key_display="{", show=False,
                id="attach.clip_down"),
        Binding("s", "send('snapshot')", "Snapshot", id="attach.snapshot",
                tooltip="copy the model and optimizer state in memory (if the script allowed snapshot_bytes)"),
        Binding("u", "send('rollback')", "Roll back", id="attach.rollback",
                tooltip="back to the snapshot: model and optimizer as they were"),
        Binding("n", "send('skip_nonfinite')", "Skip NaN", id="attach.skip",
                tooltip="skip steps whose loss or gradients are NaN/Inf (on/off)"),
        Binding("l", "toggle_log", "Log scale", show=False, id="attach.log"),
        Binding("left", "scroll(-1)", "Step back", id="replay.back", priority=True,
                tooltip="replay: the run as it stood one recorded step earlier"),
        Binding("right", "scroll(1)", "Step on", id="replay.on", priority=True,
                tooltip="replay: one recorded step later"),
        Binding("shift+left", "scroll(-10)", "Back 10%", show=False, id="replay.back_more", priority=True),
        Binding("shift+right", "scroll(10)", "On 10%", show=False, id="replay.on_more", priority=True),
        Binding("q", "app.quit", "Quit", id="attach.quit"),
    ]
    STEERING = frozenset({"toggle_pause", "send"})
    SCROLLING = frozenset({"scroll"})

    def __init__(self, source: RunSource, replay: bool = False) -> None:
        super().__init__()
        self.source, self.replay = source, replay
        self.log_scale = True
        self.serial = 0
        self._events_shown = 0
        self._last_draw = 0.0

    def compose(self) -> ComposeResult:
        yield Static(id="status")
        with Horizontal(id="top"):
            with Vertical(id="left"):
                yield LossPlot(id="loss")
                yield GradPlot(id="grads")
            with Vertical(id="right"):
                yield Static(id="flags")
                yield EventLog(id="events")
        yield LayerHealth(id="health")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#flags").border_title = "flags"
        self.query_one("#events").border_title = "events"
        self.query_one("#health").border_title = "layer health"
        self.source.attach(self)
        self.show_latest()
        self.call_after_refresh(self.show_latest)  # again once laid out: a legend fits the pane's width

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.STEERING:
            return not self.replay and self.source.steerable
        if action in self.SCROLLING:
            return self.replay
        return True

    def on_frame_ready(self, message: FrameReady) -> None:
        now = time.monotonic()
        if now - self._last_draw >= 0.08:  # about 12 redraws a second at most
            self.show_latest()
        else:
            self.set_timer(0.1, self.show_latest)

    def show_latest(self) -> None:
        self._last_draw = time.monotonic()
        source = self.source
        with source.lock:
            view = source.view
            self.serial += 1
            frame = view.frame(self.serial, running=source.connected and not view.paused,
                               steps_per_s=source.steps_per_s, points=POINTS)
            events = list(view.events)[self._events_shown:] if len(view.events) >= self._events_shown else list(view.events)
            self._events_shown = len(view.events)
            active = [flag for flag, _ in view.flags.active.values()]
            if view.last is not None and any(f.get("kind") == "nonfinite" for f in view.last.get("flags") or []):
                active.append(next(f for f in view.last["flags"] if f.get("kind") == "nonfinite"))
            lrs = (view.last or {}).get("lrs") or []
            clip = (view.last or {}).get("clip")
            paused = view.paused
        self.query_one(EventLog).add(events)
        self.query_one("#status", Static).update(self._status(frame, lrs, clip, paused))
        self.query_one("#flags", Static).update(self._flags_text(active))
        self.query_one(LossPlot).show(frame, self.log_scale)
        self.query_one(GradPlot).show(frame)
        self.query_one(LayerHealth).show(frame)

    def _status(self, frame: Frame, lrs: list, clip: object, paused: bool) -> str:
        source = self.source
        if self.replay:
            state = "[b black on cyan] REPLAY [/]"
        elif not source.connected:
            state = f"[b white on red] ENDED [/] {escape(visible(source.ended or ''))}"
        else:
            state = "[b black on yellow] PAUSED [/]" if paused else "[b black on green] RUNNING [/]"
        lr = ",".join(f"{x:g}" for x in sorted(set(lrs))[:3]) or "?"
        parts = [state, escape(visible(source.view.name)), f"lr {lr}", f"clip {'off' if clip is None else f'norm {clip:g}'}",
                 f"step {frame.step:,}"]
        if not self.replay and source.connected and not paused:
            parts.append(f"{source.steps_per_s:,.0f} steps/s")
        if source.locked:
            parts.append("LOCKED: watching only")
        elif not self.replay and not source.steerable:
            parts.append("no optimizer given to watch(): watching only")
        return " │ ".join(parts)

    def _flags_text(self, active: list) -> Text:
        if not active:
            return Text("no flags: the gradients look healthy", style="green")
        text = Text()
        for flag in active:
            kind, layer, detail = (flag.kind, flag.layer, flag.detail) if hasattr(flag, "kind") else (
                flag.get("kind"), flag.get("layer"), flag.get("detail", ""))
            if text:
                text.append("\n")
            text.append(visible(str(kind).upper()), style="bold red")
            text.append(f" {visible(str(layer))}: {visible(str(detail))}\n")
            text.append(f"  {EXPLANATIONS.get(str(kind), '')}", style="italic")
        return text

    # --- keys ---------------------------------------------------------------------------

    def action_toggle_pause(self) -> None:
        with self.source.lock:
            paused = self.source.view.paused
        self.action_send("resume" if paused else "pause")

    def action_send(self, action: str) -> None:
        if not self.source.send(action):
            self.notify("the run cannot be steered now (it ended, or this viewer is locked)", severity="warning")

    def action_toggle_log(self) -> None:
        self.log_scale = not self.log_scale
        self.show_latest()

    def action_scroll(self, amount: int) -> None:
        self.source.scroll(amount)  # type: ignore[attr-defined]
        self.show_latest()
