"""Layer health: per layer one row of numbers, a strip with one cell per neuron, and badges.

The strip colours each unit by its state: dead units go dark grey, saturated ones
orange, live ones green with brightness following log10 of their mean |dL/dz|, so a
dying layer visibly goes dark. Everything is one Rich Text, rebuilt a few times a second.
"""

from __future__ import annotations

import math

import numpy as np
from rich.text import Text
from textual.widget import Widget

from gradtui.tui.train.frame import DEAD, SATURATED, Frame, LayerView

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
VANISH_STYLE = "rgb(90,110,230)"
GREENS = [f"rgb({int(30 + 40 * t)},{int(70 + 185 * t)},{int(40 + 60 * t)})" for t in np.linspace(0, 1, 8)]
WORSE = {NAN_STYLE: 100, DEAD_STYLE: 99, SATURATED_STYLE: 98,
         **{green: len(GREENS) - i for i, green in enumerate(GREENS)}}
"""How bad a cell style is: a group of neurons squeezed into one cell shows its worst."""


def log_bar(value: float | None, width: int, decades: tuple[float, float] = BAR_DECADES) -> str:
    """A bar of ``width`` cells filled in proportion to log10(value) within ``decades``;
    full for +inf, empty for zero, NaN or no value."""
    if value == math.inf:
        return "█" * width
    if value is None or not value > 0:
        return " " * width
    lo, hi = decades
    fill = min(max((math.log10(value) - lo) / (hi - lo), 0.0), 1.0) * width
    full, part = int(fill), int((fill - int(fill)) * 8)
    return ("█" * full + (EIGHTHS[part] if full < width else "")).ljust(width)[:width]


def number(value: float | None, digits: int) -> str:
    """``-`` before the first step, ``NaN``/``inf`` as such, else scientific notation."""
    if value is None:
        return "-"
    if not math.isfinite(value):
        return "NaN" if value != value else "inf"
    return f"{value:.{digits}e}"


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
        elif layer.grad_norm is None:  # before the first step: nothing measured yet, not NaN
            styles.append(GREENS[0])
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


NAME_WIDTH = 13
BAR_WIDTH = 12
WIDE = 90
"""Below this many columns the rows drop the bar (the norm is still there as a number)."""


NEURON_LEGENDS = (
    "neurons: bright = large |dL/dz|, grey = dead, orange = saturated",
    "bright = big |dL/dz|, grey dead, orange saturated",
    "neurons (? explains)",
    "neurons",
)
"""The strip's caption, longest first: the header takes the longest that fits whole."""
FADED = "italic grey70 on grey23"
"""A badge whose flag no longer holds (it clears after 25 clean steps): never drawn as current."""


def header(width: int) -> Text:
    """Column captions, so every number on a layer's row says what it is; nothing is cut
    mid-word (the neuron caption shortens to fit)."""
    bar = f"{'|grad| 1e-8…1e4':^{BAR_WIDTH + 2}}" if width >= WIDE else " "
    columns = f"{'layer':<{NAME_WIDTH}}{'units':>5} {bar}{'norm':>9} {'update/w':>9} {'dead':>5} {'sat':>4}  "
    legend = next((text for text in NEURON_LEGENDS if len(columns) + len(text) <= width), "")
    return Text((columns + legend)[:width].rstrip(), style="dim")


def badge(kind: str, layer: LayerView, held: int | None) -> Text:
    """One badge: in its colour while its flag holds, faded with the last step it held
    while it waits to clear, so it never contradicts the numbers beside it."""
    if held is None:
        return Text(f" {badge_text(kind, layer)} ", style=BADGE_STYLES[kind])
    return Text(f" {kind.upper()} @{held:,} ", style=FADED)


def layer_row(layer: LayerView, width: int, last: bool) -> Text:
    """One line per layer: numbers around a log bar, then the neuron strip and the badges."""
    name = f"{layer.name}{' out' if last else ''}"
    ratio, norm = number(layer.update_ratio, 1), number(layer.grad_norm, 2)
    held = dict(zip((f.kind for f in layer.badges), layer.held or (None,) * len(layer.badges)))
    kinds = {kind for kind, step in held.items() if step is None}
    bar_style = "red" if "exploding" in kinds else VANISH_STYLE if "vanishing" in kinds else "green"
    text = Text(f"{name:<{NAME_WIDTH}}{layer.width:>5} ")
    if width >= WIDE:
        text.append("▕", style="dim")
        text.append(log_bar(layer.grad_norm, BAR_WIDTH), style=bar_style)
        text.append("▏", style="dim")
    text.append(f"{norm:>9} {ratio:>9} {layer.dead:>5} {layer.saturated:>4}  ")
    badges = Text()
    for kind, step in held.items():
        badges.append(" ")
        badges.append_text(badge(kind, layer, step))
    room = max(width - text.cell_len - badges.cell_len, 8)
    if layer.width > room:  # squeezed: each cell shows the worst of its group, and says so
        squeeze = Text(f" ({layer.width}→", style="dim")
        cells = max(room - len(f" ({layer.width}→{room})"), 4)
        squeeze.append(f"{cells})", style="dim")
        text.append_text(strip(unit_styles(layer), cells))
        text.append_text(squeeze)
    else:
        text.append_text(strip(unit_styles(layer), layer.width))
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
        width = self.size.width
        rows = [header(width)] + [layer_row(layer, width, i == len(layers) - 1)
                                  for i, layer in enumerate(layers)]
        text = Text("\n").join(rows)
        text.no_wrap = True
        text.overflow = "crop"
        return text
