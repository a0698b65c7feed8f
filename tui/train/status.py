"""The status line: what is training, with which settings, how far and how fast."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from gradtui.tui.train.frame import Frame
from gradtui.engine.train.changes import show_setting

SEPARATOR = " │ "
OPTIONAL = ("epoch", "dataset", "speed", "architecture", "activation", "optimizer")
"""Fields dropped, in this order, until the line fits the terminal."""


def clip_text(mode: str | None, clip: float) -> str:
    """``off``, ``norm 1`` or ``value 0.5``."""
    return "off" if mode is None else f"{mode} {clip:g}"


def state_badge(frame: Frame, running: bool) -> Text:
    if running:
        return Text.assemble((" RUNNING ", "bold black on green"))
    if frame.halted is not None:
        return Text.assemble((" PAUSED: NaN ", "bold white on red"))
    return Text.assemble((" PAUSED ", "bold black on yellow"))


def status_text(name: str, dataset: str, architecture: str, frame: Frame, running: bool,
                width: int = 10_000) -> Text:
    """The state, then scenario | dataset | architecture | activation | optimizer | lr | clip |
    step | epoch | steps/s, dropping the ``OPTIONAL`` fields in turn until it fits ``width``."""
    cfg = frame.config
    activation = cfg.activation if isinstance(cfg.activation, str) else "/".join(cfg.activation)
    fields = {
        "name": name, "dataset": dataset, "architecture": architecture, "activation": activation,
        "optimizer": cfg.optimizer, "lr": f"lr {show_setting('lr', cfg.lr)}",
        "clip": f"clip {clip_text(cfg.clip_mode, cfg.clip)}", "step": f"step {frame.step:,}",
        "epoch": f"epoch {frame.epoch:.1f}",
        "speed": f"{frame.steps_per_s:,.0f} steps/s" if running else "",
    }
    badge = state_badge(frame, running)
    for drop in (None, *OPTIONAL):
        fields.pop(drop, None)
        line = " " + SEPARATOR.join(v for v in fields.values() if v)
        if badge.cell_len + len(line) <= width:
            break
    text = badge.copy()
    text.append(line)
    return text


class StatusLine(Widget):
    """Top line of the screen: a fixed-size widget, so an update never triggers a layout."""

    _parts: tuple | None = None

    def show(self, name: str, dataset: str, architecture: str, frame: Frame, running: bool) -> None:
        parts = (name, dataset, architecture, frame, running)
        if self._parts is None or any(new is not old for new, old in zip(parts, self._parts)):
            self._parts = parts
            self.refresh()

    def render(self) -> Text:
        if self._parts is None:
            return Text("")
        return status_text(*self._parts, width=self.size.width)
