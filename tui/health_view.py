"""Layer health: per layer a row of numbers and badges, and a strip with one cell per neuron.

The strip colours each unit by its state: dead units go dark grey, saturated ones
orange, live ones green with brightness following log10 of their mean |dL/dz|, so a
dying layer visibly goes dark. Everything is one Rich Text, rebuilt a few times a second.
"""

from __future__ import annotations

import math

import numpy as np
from rich.text import Text
from textual.widget import Widget

from .session import DEAD, SATURATED, Frame, LayerView

BAR_DECADES = (-8.0, 4.0)
"""The log10 range the gradient-norm bar spans: 1e-8 (empty) to 1e4 (full)."""
GRAD_DECADES = (-6.0, 0.0)
"""The log10 range of unit gradients mapped from dim to bright green in the strip."""
EIGHTHS = " ▏▎▍▌▋▊▉█"
BADGE_STYLES = {
    "exploding": "bold white on red3",
    "vanishing": "bold white on blue3",
    "dead": "bold white on grey35",
    "saturated": "bold black on dark_orange",
    "nonfinite": "bold white on magenta",
}
DEAD_STYLE, SATURATED_STYLE, NAN_STYLE = "grey23", "dark_orange", "magenta"
GREENS = [f"rgb({int(30 + 40 * t)},{int(70 + 185 * t)},{int(40 + 60 * t)})" for t in np.linspace(0, 1, 8)]
WORSE = {NAN_STYLE: 100, DEAD_STYLE: 99, SATURATED_STYLE: 98,
         **{green: len(GREENS) - i for i, green in enumerate(GREENS)}}
"""How bad a cell style is: a group of neurons squeezed into one cell shows its worst."""


def log_bar(value: float, width: int, decades: tuple[float, float] = BAR_DECADES) -> str:
    """A bar of ``width`` cells filled in proportion to log10(value) within ``decades``."""
    if not value > 0 or not math.isfinite(value):
        return " " * width
    lo, hi = decades
    fill = min(max((math.log10(value) - lo) / (hi - lo), 0.0), 1.0) * width
    full, part = int(fill), int((fill - int(fill)) * 8)
    return ("█" * full + (EIGHTHS[part] if full < width else "")).ljust(width)[:width]


def badge_text(flag_kind: str, layer: LayerView) -> str:
    if flag_kind == "dead":
        return f"DEAD {layer.dead}/{layer.width}"
    if flag_kind == "saturated":
        return f"SATURATED {layer.saturated}/{layer.width}"
    if flag_kind == "nonfinite":
        return "NaN"
    return flag_kind.upper()


def unit_styles(layer: LayerView) -> list[str]:
    """One style per neuron: state first, then gradient magnitude for live units."""
    with np.errstate(all="ignore"):
        logs = np.log10(layer.unit_grad)
    lo, hi = GRAD_DECADES
    levels = np.clip(((logs - lo) / (hi - lo) * (len(GREENS) - 1)), 0, len(GREENS) - 1)
    styles = []
    for state, level, g in zip(layer.unit_state.tolist(), levels.tolist(), layer.unit_grad.tolist()):
        if state == DEAD:
            styles.append(DEAD_STYLE)
        elif state == SATURATED:
            styles.append(SATURATED_STYLE)
        elif not math.isfinite(g):
            styles.append(NAN_STYLE if g != g else GREENS[-1])
        else:
            styles.append(GREENS[int(level)])
    return styles


def strip(styles: list[str], width: int) -> Text:
    """One cell per neuron; when there are more neurons than cells, each cell shows the
    worst state of its group (dead over saturated over live)."""
    width = max(width, 1)
    if len(styles) > width:
        groups = np.array_split(np.arange(len(styles)), width)
        styles = [max((styles[i] for i in group), key=WORSE.__getitem__) for group in groups]
    text = Text()
    for style in styles:
        text.append("█", style=style)
    return text


def layer_rows(layer: LayerView, width: int, last: bool) -> Text:
    """The two lines of one layer: numbers around a log bar, then the neuron strip and badges."""
    name = f"{layer.name}{' out' if last else ''}"
    ratio = f"{layer.update_ratio:.1e}" if math.isfinite(layer.update_ratio) else "-"
    norm = f"{layer.grad_norm:.2e}" if layer.grad_norm == layer.grad_norm else "-"
    prefix = f"{name:<12}{layer.width:>4}u "
    suffix = f" {norm:>8}  upd {ratio:>7}  dead {layer.dead:>3}  sat {layer.saturated:>3}"
    bar_width = min(max(width - len(prefix) - len(suffix) - 2, 4), 24)
    kinds = {f.kind for f in layer.badges}
    bar_style = "red" if "exploding" in kinds else "blue" if "vanishing" in kinds else "green"
    text = Text(prefix)
    text.append("▕", style="dim")
    text.append(log_bar(layer.grad_norm, bar_width), style=bar_style)
    text.append("▏", style="dim")
    text.append(suffix + "\n")
    badges = Text()
    for kind in dict.fromkeys(f.kind for f in layer.badges):
        badges.append(" ")
        badges.append(f" {badge_text(kind, layer)} ", style=BADGE_STYLES[kind])
    text.append(" " * 2)
    text.append_text(strip(unit_styles(layer), max(width - 2 - badges.cell_len, 8)))
    text.append_text(badges)
    return text


class LayerHealth(Widget):
    """One block per layer, output layer last."""

    DEFAULT_CSS = "LayerHealth { height: auto; }"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._frame: Frame | None = None

    def show(self, frame: Frame) -> None:
        """Redraw for ``frame``; a new layout only when the number of layers changes."""
        relayout = self._frame is None or len(self._frame.layers) != len(frame.layers)
        self._frame = frame
        self.refresh(layout=relayout)

    def render(self) -> Text:
        if self._frame is None:
            return Text("")
        layers = self._frame.layers
        rows = [layer_rows(layer, self.size.width, i == len(layers) - 1) for i, layer in enumerate(layers)]
        text = Text("\n").join(rows)
        text.no_wrap = True
        text.overflow = "crop"
        return text
