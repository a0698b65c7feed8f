"""The status line: what is training, with which settings, how far and how fast."""

from __future__ import annotations

from textual.strip import Strip

from gradtui.engine.run.frame import Frame
from gradtui.engine.train.changes import show_setting
from gradtui.tui.widgets.strips import Piece, StripsView, pieces_strip

SEPARATOR = " │ "
OPTIONAL = ("parameters", "epoch", "dataset", "speed", "architecture", "activation", "optimizer")
"""Fields dropped, in this order, until the line fits the terminal."""


def clip_text(mode: str | None, clip: float) -> str:
    """``off``, ``norm 1`` or ``value 0.5``."""
    return "off" if mode is None else f"{mode} {clip:g}"


def state_badge(frame: Frame, running: bool) -> Piece:
    if running:
        return " RUNNING ", "bold black on green"
    if frame.halted is not None:
        return " PAUSED: NaN ", "bold white on red"
    return " PAUSED ", "bold black on yellow"


def status_text(name: str, dataset: str, architecture: str, frame: Frame, running: bool,
                width: int = 10_000, parameters: str = "") -> list[Piece]:
    """The state, then scenario | dataset | architecture | parameters | activation | optimizer |
    lr | clip | step | epoch | steps/s, dropping the ``OPTIONAL`` fields in turn until it fits
    ``width``."""
    cfg = frame.config
    activation = cfg.activation if isinstance(cfg.activation, str) else "/".join(cfg.activation)
    fields = {
        "name": name, "dataset": dataset, "architecture": architecture,
        "parameters": f"params {parameters}" if parameters else "", "activation": activation,
        "optimizer": cfg.optimizer, "lr": f"lr {show_setting('lr', cfg.lr)}",
        "clip": f"clip {clip_text(cfg.clip_mode, cfg.clip)}", "step": f"step {frame.step:,}",
        "epoch": f"epoch {frame.epoch:.1f}",
        "speed": f"{frame.steps_per_s:,.0f} steps/s" if running else "",
    }
    badge = state_badge(frame, running)
    for drop in (None, *OPTIONAL):
        if drop is not None:
            fields.pop(drop, None)
        line = " " + SEPARATOR.join(v for v in fields.values() if v)
        if len(badge[0]) + len(line) <= width:
            break
    return [badge, (line, None)]


class StatusLine(StripsView):
    """Top line of the screen: a fixed-size widget, so an update never triggers a layout,
    and redrawn only when what it says changes."""

    _parts: tuple[str, str, str, Frame, bool, str] | None = None

    def show(self, name: str, dataset: str, architecture: str, frame: Frame, running: bool,
             parameters: str = "") -> None:
        parts = (name, dataset, architecture, frame, running, parameters)
        if self._parts is None or any(new is not old for new, old in zip(parts, self._parts)):
            self._parts = parts
            self.redraw()

    def rows(self, width: int) -> list[Strip]:
        if self._parts is None:
            return [Strip.blank(width, self.base_style)]
        name, dataset, architecture, frame, running, parameters = self._parts
        pieces = status_text(name, dataset, architecture, frame, running, width=width, parameters=parameters)
        return [pieces_strip(pieces, width, self.base_style)]
