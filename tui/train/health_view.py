"""Layer health: per layer one row of numbers, a strip with one cell per neuron, and badges.

The strip colours each unit by its state: dead units go dark grey, saturated ones
orange, live ones green with brightness following log10 of their mean |dL/dz|, so a
dying layer visibly goes dark. Each row is built as (text, style) pieces and only the rows
whose content changed are repainted (see ``StripsView``).
"""

from __future__ import annotations

import math

import numpy as np
from rich.text import Text
from textual.strip import Strip

from gradtui.engine.run.frame import DEAD, SATURATED, Frame, LayerView
from gradtui.tui.widgets.fitting import fitting
from gradtui.tui.widgets.strips import Piece, StripsView, pieces_strip, plain

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


UNIT_STYLES = [*GREENS[::-1], SATURATED_STYLE, DEAD_STYLE, NAN_STYLE]
"""A neuron cell's style by code, in order of how bad it is: a group of neurons squeezed
into one cell shows its worst (dimmer green is worse than brighter, then saturated, dead, NaN)."""
BRIGHTEST, SATURATED_CODE, DEAD_CODE, NAN_CODE = 0, len(GREENS), len(GREENS) + 1, len(GREENS) + 2


def unit_codes(layer: LayerView) -> np.ndarray:
    """One code (an index into ``UNIT_STYLES``) per neuron: state first, then gradient
    magnitude for live units (bright green = large |dL/dz|)."""
    grad = np.asarray(layer.unit_grad, dtype=float)
    with np.errstate(all="ignore"):
        logs = np.log10(grad)
    lo, hi = GRAD_DECADES
    levels = np.clip((logs - lo) / (hi - lo) * (len(GREENS) - 1), 0, len(GREENS) - 1)
    levels = np.where(np.isnan(levels), 0, levels).astype(int)
    codes = len(GREENS) - 1 - levels  # brightest green first
    if layer.grad_norm is None:  # before the first step: nothing measured yet, not NaN
        codes[:] = len(GREENS) - 1
    else:
        codes[np.isnan(grad)] = NAN_CODE
        codes[np.isinf(grad)] = BRIGHTEST
    state = np.asarray(layer.unit_state)
    codes[state == SATURATED] = SATURATED_CODE
    codes[state == DEAD] = DEAD_CODE
    return codes


def strip(codes: np.ndarray, width: int) -> list[Piece]:
    """One cell per neuron; when there are more neurons than cells, each cell shows the
    worst state of its group (dead over saturated over live). Runs of one style are one piece."""
    width = max(width, 1)
    if len(codes) > width:  # groups as np.array_split makes them: the first ones one longer
        size, extra = divmod(len(codes), width)
        starts = np.arange(width) * size + np.minimum(np.arange(width), extra)
        codes = np.maximum.reduceat(codes, starts)
    if not len(codes):
        return []
    cuts = [0, *(np.flatnonzero(np.diff(codes)) + 1).tolist(), len(codes)]
    return [("█" * (b - a), UNIT_STYLES[codes[a]]) for a, b in zip(cuts, cuts[1:])]


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


GIVE_WAY = ("units", "names", "update/w", "norm", "strip")
"""What a narrow pane gives up, in this order, so that every row keeps its dead and sat
counts and its badges whole: the units column (the architecture is in the status line), the
names' common prefix ("layers."), the update ratio, the norm, and last the neuron strip."""


def short_names(names: list[str]) -> list[str]:
    """``names`` without the prefix they all share up to a dot ("layers.0" -> "0")."""
    prefix = names[0].rpartition(".")[0] + "." if names and "." in names[0] else ""
    if not prefix or not all(name.startswith(prefix) and len(name) > len(prefix) for name in names):
        return names
    return [name[len(prefix):] for name in names]


def name_width(names: list[str], dropped: tuple[str, ...]) -> int:
    """The name column: the usual 13 cells, or what short names need (with " out")."""
    if "names" not in dropped:
        return NAME_WIDTH
    return max(len("layer"), max(len(name) for name in short_names(names)) + len(" out")) + 1


def header(width: int, dropped: tuple[str, ...] = (), names_width: int = NAME_WIDTH) -> list[Piece]:
    """Column captions, so every number on a layer's row says what it is; nothing is cut
    mid-word (the neuron caption shortens to fit, columns give way: ``GIVE_WAY``)."""
    bar = f"{'|grad| 1e-8…1e4':^{BAR_WIDTH + 2}}" if width >= WIDE and "units" not in dropped else ""
    columns = (f"{'layer':<{names_width}}" + ("" if "units" in dropped else f"{'units':>5} ") + bar
               + ("" if "norm" in dropped else f"{'norm':>9} ")
               + ("" if "update/w" in dropped else f"{'update/w':>9} ") + f"{'dead':>5} {'sat':>4}  ")
    legend = "" if "strip" in dropped else next(
        (text for text in NEURON_LEGENDS if len(columns) + len(text) <= width), "")
    return [(fitting([Text(columns + legend)], width).plain.rstrip(), "dim")]


def badge_state(frame: Frame) -> list[tuple]:
    """The badges a frame's rows show: each layer's flags and whether they still hold."""
    return [(tuple(flag.kind for flag in layer.badges), layer.held) for layer in frame.layers]


SHORT_BADGES = {"exploding": "EXPLODE", "vanishing": "VANISH", "dead": "DEAD", "saturated": "SAT",
                "nonfinite": "NaN"}
"""Badge words for a narrow pane (the dead and sat counts stand in their columns)."""
MIN_STRIP = 8
"""Cells the neuron strip keeps however many badges a row carries."""


def badge(kind: str, layer: LayerView, held: int | None, fit: int = 0) -> Piece:
    """One badge: in its colour while its flag holds, faded (with the last step it held)
    while it waits to clear, so it never contradicts the numbers beside it. ``fit`` 0 is
    the long form; 1 short words, where the row has no room for the long ones; 2 also
    leaves the faded badge's step out (its colour still says it no longer holds)."""
    word = SHORT_BADGES[kind] if fit else badge_text(kind, layer)
    if held is None:
        return f" {word} ", BADGE_STYLES[kind]
    word = SHORT_BADGES[kind] if fit else kind.upper()
    return (f" {word} @{held:,} " if fit < 2 else f" {word} "), FADED


def layer_row(layer: LayerView, width: int, last: bool, dropped: tuple[str, ...] = (),
              name: str | None = None, names_width: int = NAME_WIDTH) -> list[Piece]:
    """One line per layer: numbers around a log bar, then the neuron strip and the badges
    (without the ``dropped`` columns; ``name`` in place of the layer's own, shortened)."""
    name = f"{layer.name if name is None else name}{' out' if last else ''}"
    ratio, norm = number(layer.update_ratio, 1), number(layer.grad_norm, 2)
    held = dict(zip((f.kind for f in layer.badges), layer.held or (None,) * len(layer.badges)))
    kinds = {kind for kind, step in held.items() if step is None}
    bar_style = "red" if "exploding" in kinds else VANISH_STYLE if "vanishing" in kinds else "green"
    row: list[Piece] = [(f"{name:<{names_width}}" + ("" if "units" in dropped else f"{layer.width:>5} "), None)]
    if width >= WIDE and "units" not in dropped:
        row += [("▕", "dim"), (log_bar(layer.grad_norm, BAR_WIDTH), bar_style), ("▏", "dim")]
    numbers = ("" if "norm" in dropped else f"{norm:>9} ") + ("" if "update/w" in dropped else f"{ratio:>9} ")
    row.append((f"{numbers}{layer.dead:>5} {layer.saturated:>4}  ", None))
    used = sum(len(text) for text, _ in row)
    least = layer.width if layer.width <= MIN_STRIP else 4 + len(f" ({layer.width}→4)")  # squeezed: 4 cells
    least = 0 if "strip" in dropped else least
    for fit in range(3):  # the longest badges that leave the strip its cells
        badges: list[Piece] = []
        for kind, step in held.items():
            badges += [(" ", None), badge(kind, layer, step, fit)]
        room = width - used - sum(len(text) for text, _ in badges)
        if room >= least:
            break
    room = max(room, least)
    codes = unit_codes(layer)
    if "strip" in dropped:
        row[-1] = (row[-1][0].rstrip(), None)  # (the badges bring their own space)
    elif layer.width > room:  # squeezed: each cell shows the worst of its group, and says so
        cells = max(room - len(f" ({layer.width}→{room})"), 4)
        row += strip(codes, cells) + [(f" ({layer.width}→{cells})", "dim")]
    else:
        row += strip(codes, layer.width)
    return row + badges


HEALTHY_LEGENDS = (
    "healthy: norm between 1e-3×out and 1e3 · update/w near 1e-3 · dead and sat 0 · hover or ? explains",
    "healthy: norm 1e-3×out…1e3 · update/w ≈1e-3 · dead/sat 0 · ? explains",
    "healthy: update/w ≈1e-3 · ? explains",
    "healthy: dead/sat 0 · ? explains",
)
"""The pane's bottom line, longest first: the longest that fits whole is shown."""


class LayerHealth(StripsView):
    """One block per layer, output layer last."""

    DEFAULT_CSS = "LayerHealth { height: auto; }"

    def on_resize(self) -> None:  # (StripsView's handler runs too: Textual calls each class's)
        room = self.outer_size.width - 6  # inside "╰─ … ─╯"
        self.border_subtitle = next((text for text in HEALTHY_LEGENDS if len(text) <= room), "")

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._frame: Frame | None = None

    def show(self, frame: Frame) -> None:
        """Redraw for ``frame``: only its changed rows are repainted, and a new layout
        happens only when the number of layers changes."""
        self._frame = frame
        self.redraw()

    def rows(self, width: int) -> list[Strip]:
        if self._frame is None:
            return []
        return [pieces_strip(row, width, self.base_style) for row in table(self._frame.layers, width)]


def table(layers: tuple[LayerView, ...], width: int) -> list[list[Piece]]:
    """The header and one row per layer, with the fewest columns given way (``GIVE_WAY``)
    that let every row fit ``width`` whole."""
    names = [layer.name for layer in layers]
    for given in range(len(GIVE_WAY) + 1):
        dropped = GIVE_WAY[:given]
        shown = short_names(names) if "names" in dropped else names
        cells = name_width(names, dropped)
        rows = [layer_row(layer, width, i == len(layers) - 1, dropped, shown[i], cells)
                for i, layer in enumerate(layers)]
        if all(len(plain(row)) <= width for row in rows):
            break
    return [header(width, dropped, cells)] + rows
