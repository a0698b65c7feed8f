"""The status line: what is training, with which settings, how far and how fast."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from .session import Frame, format_setting


def clip_text(mode: str | None, clip: float) -> str:
    """``off``, ``norm 1`` or ``value 0.5``."""
    return "off" if mode is None else f"{mode} {clip:g}"


def status_text(name: str, dataset: str, architecture: str, frame: Frame, running: bool) -> Text:
    """One line: scenario | dataset | architecture | activation | optimizer | lr | clip | step | epoch | steps/s | state."""
    cfg = frame.config
    activation = cfg.activation if isinstance(cfg.activation, str) else "/".join(cfg.activation)
    fields = [
        name, dataset, architecture, activation, cfg.optimizer, f"lr {format_setting('lr', cfg.lr)}",
        f"clip {clip_text(cfg.clip_mode, cfg.clip)}", f"step {frame.step:,}",
        f"epoch {frame.epoch:.1f}", f"{frame.steps_per_s:,.0f} steps/s",
    ]
    text = Text(" │ ".join(fields) + " │ ")
    if running:
        text.append(" RUNNING ", style="bold black on green")
    elif frame.halted is not None:
        text.append(" PAUSED: NaN ", style="bold white on red")
    else:
        text.append(" PAUSED ", style="bold black on yellow")
    return text


class StatusLine(Widget):
    """Top line of the screen: a fixed-size widget, so an update never triggers a layout."""

    _text = Text("")

    def show(self, name: str, dataset: str, architecture: str, frame: Frame, running: bool) -> None:
        text = status_text(name, dataset, architecture, frame, running)
        if text.plain != self._text.plain:
            self._text = text
            self.refresh()

    def render(self) -> Text:
        return self._text
