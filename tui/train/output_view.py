"""The output view: decision regions, a fitted curve, or per-class bars, whichever fits the data.

Decision regions are drawn as in TensorFlow Playground: each grid point coloured by
its predicted class (orange for class 0, blue for class 1, as Playground's -1/+1),
brighter where the network is more confident, with the training points on top.
Each character cell shows two grid points (upper-half block, foreground above,
background below).
"""

from __future__ import annotations

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.containers import Vertical
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from gradtui.engine import Evaluation

from gradtui.engine.run.drawing import cell_point
from gradtui.engine.run.outputs import Bars, Curve, Misread, Output, Regions
from gradtui.tui.widgets.fitting import fitting, shorten
from gradtui.tui.widgets.lineplot import Chart, LinePlot, Series, linear_ticks

CLASS_COLOURS = np.array([(245, 147, 34), (8, 119, 189), (80, 180, 80), (190, 90, 200),
                          (220, 70, 70), (60, 190, 190), (200, 200, 70), (150, 150, 150),
                          (240, 120, 170), (120, 120, 240)], dtype=float)
"""A class's colour where a picture blends it (the network view's tiles)."""
BACKGROUND = np.array((22, 22, 26), dtype=float)


def xterm(*indices: int) -> list[tuple[int, int, int]]:
    """The RGB of entries of the xterm 256-colour palette."""
    return [Color.from_ansi(index).get_truecolor()[:3] for index in indices]


HUES = ("orange", "blue", "green", "purple", "red", "cyan", "yellow", "grey", "pink", "violet")
"""Each class's colour by name, as help says it."""
REGION_SHADES = np.array([xterm(94, 130, 166), xterm(17, 18, 25), xterm(22, 28, 34), xterm(53, 54, 91),
                          xterm(52, 88, 124), xterm(23, 30, 37), xterm(58, 100, 142), xterm(236, 239, 242),
                          xterm(89, 125, 162), xterm(56, 57, 99)], dtype=np.uint8)
"""Each class's region colour from unsure to sure: entries of the xterm 256-colour palette,
so that a 256-colour terminal (tmux by default), to which Textual sends the nearest entry,
shows these very colours and not olive, teal or maroon in place of orange and blue."""
DOT_COLOURS = np.array(xterm(223, 117, 120, 177, 210, 123, 228, 246, 218, 141), dtype=np.int64)
"""A test point's dot: a pale palette entry of its class's hue."""
UNKNOWN = xterm(238)[0]
SHADES = REGION_SHADES.shape[1]
"""Confidence levels per class: few enough that a handful of styles serve every cell."""


def region_colours(regions: Regions) -> np.ndarray:
    """RGB per grid point, (rows, cols, 3) uint8: the class's shade for its confidence."""
    k = max(regions.n_classes, 2)
    conf = regions.confidence
    with np.errstate(invalid="ignore"):
        t = np.clip((conf - 1 / k) / (1 - 1 / k), 0, 1)
    level = np.round(np.nan_to_num(t) * (SHADES - 1)).astype(int)
    classes = np.clip(regions.classes, 0, len(REGION_SHADES) - 1)
    rgb = REGION_SHADES[classes, level]
    rgb[~np.isfinite(conf)] = UNKNOWN
    return rgb


def point_cells(regions: Regions, cols: int, rows: int) -> dict[tuple[int, int], int]:
    """Cell (col, row) -> class label of a training point falling in it."""
    x0, x1, y0, y1 = regions.extent
    px = ((regions.points[:, 0] - x0) / (x1 - x0) * cols).astype(int)
    py = ((y1 - regions.points[:, 1]) / (y1 - y0) * rows).astype(int)
    ok = (px >= 0) & (px < cols) & (py >= 0) & (py < rows)
    return {(c, r): int(label) for c, r, label in zip(px[ok], py[ok], regions.labels[ok])}


class RegionsView(Widget):
    """Decision regions with the training points, at two grid points per character.

    A click posts ``PointClicked`` with the data coordinates under the mouse: a plain click
    asks for a point there, a ctrl-, alt- or shift-click (or right click) for removing the
    nearest one.
    """

    class PointClicked(Message):
        """The learner clicked at data coordinates (``x``, ``y``)."""

        def __init__(self, view: "RegionsView", x: float, y: float, remove: bool) -> None:
            super().__init__()
            self.view, self.x, self.y, self.remove = view, x, y, remove

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._regions: Regions | None = None
        self._strips: list[Strip] | None = None
        self._styles: dict[int, Style] = {}

    @property
    def grid_size(self) -> tuple[int, int]:
        """Grid points wanted: (columns, rows), two rows per character."""
        return max(self.size.width, 1), max(2 * self.size.height, 2)

    def show(self, regions: Regions) -> None:
        if regions is self._regions:
            return
        self._regions = regions
        self._strips = None
        self.refresh()

    def on_resize(self) -> None:
        self._strips = None

    def on_click(self, event: events.Click) -> None:
        if self._regions is None or self.size.width < 1 or self.size.height < 1:
            return
        x, y = cell_point(self._regions.extent, self.size.width, self.size.height, event.x, event.y)
        remove = event.ctrl or event.meta or event.shift or event.button == 3
        self.post_message(self.PointClicked(self, x, y, remove))

    def _style(self, key: int) -> Style:
        """The style of a cell key: 0/1 (point or half block), foreground and background as
        24-bit colours (see ``_build``)."""
        style = self._styles.get(key)
        if style is None:
            fg, bg = (key >> 24) & 0xFFFFFF, key & 0xFFFFFF
            style = Style(color=Color.from_rgb(fg >> 16, (fg >> 8) & 255, fg & 255),
                          bgcolor=Color.from_rgb(bg >> 16, (bg >> 8) & 255, bg & 255), bold=bool(key >> 48))
            self._styles[key] = style
        return style

    def _build(self) -> list[Strip]:
        """Each cell as a key (point flag, foreground, background), then one segment per run
        of equal keys in a row: a few segments a row instead of one per cell."""
        width, height = self.size.width, self.size.height
        regions = self._regions
        if regions is None or width < 1 or height < 1:
            return []
        rgb = region_colours(regions).astype(np.int64)
        grid_rows, grid_cols = rgb.shape[:2]
        col_idx = np.arange(width) * grid_cols // width
        row_idx = np.arange(2 * height) * grid_rows // (2 * height)
        packed = (rgb[..., 0] << 16 | rgb[..., 1] << 8 | rgb[..., 2])[row_idx][:, col_idx]
        top, bottom = packed[0::2], packed[1::2]
        keys = top << 24 | bottom  # a half block: upper colour over lower colour
        bright = DOT_COLOURS[:, 0] << 16 | DOT_COLOURS[:, 1] << 8 | DOT_COLOURS[:, 2]
        for (x, y), label in point_cells(regions, width, height).items():  # a point: bold dot over the upper colour
            keys[y, x] = 1 << 48 | bright[min(label, len(bright) - 1)] << 24 | top[y, x]
        changes = np.diff(keys, axis=1) != 0
        strips = []
        for y in range(height):
            row = keys[y].tolist()
            cuts = [0, *(np.flatnonzero(changes[y]) + 1).tolist(), width]
            strips.append(Strip([Segment(("●" if row[a] >> 48 else "▀") * (b - a), self._style(row[a]))
                                 for a, b in zip(cuts, cuts[1:])], width))
        return strips

    def render_line(self, y: int) -> Strip:
        if self._strips is None:
            self._strips = self._build()
        if y < len(self._strips):
            return self._strips[y]
        return Strip.blank(self.size.width)


DATA, FIT = "#969696", "#50aaff"


class CurveView(LinePlot):
    """1-D regression: the data as dots, the network's prediction as a line; the y axis
    spans both, so a fit that overshoots (line-fit at lr 1) stays in the picture."""

    _curve: Curve | None = None

    def show(self, curve: Curve) -> None:
        if curve is self._curve:
            return
        self._curve = curve
        finite = np.isfinite(curve.y)
        shown = np.concatenate([curve.data_y, curve.y[finite]])  # the view follows the fit too
        lo, hi = float(shown.min()), float(shown.max())
        pad = 0.25 * (hi - lo) + 1e-6
        xlim = (float(curve.x.min()), float(curve.x.max()))
        ylim = (lo - pad, hi + pad)
        self.show_chart(Chart(xlim, ylim, scatter=[Series(curve.data_x, curve.data_y, DATA)],
                              series=[Series(curve.x[finite], curve.y[finite], FIT)],
                              xticks=linear_ticks(*xlim, most=4), yticks=linear_ticks(*ylim, most=4)))


def bars_text(bars: Bars, width: int) -> Text:
    """One bar per row (the pane's border carries the title, see ``output_title``), then the
    confusion matrix and the misread samples when there are more than two classes."""
    if bars.confusion is not None:
        return confusion_text(bars.confusion, bars.rows, width) + misread_text(bars.misread, width)
    text = Text()
    bar_width = max(width - 28, 5)
    for label, value, detail in bars.rows:
        filled = int(round(value * bar_width))
        text.append(f"{label:<10}")
        text.append("█" * filled, style="green")
        text.append("░" * (bar_width - filled), style="grey23")
        text.append(f" {detail}\n")
    return text


def confusion_text(matrix: np.ndarray, rows: tuple[tuple[str, float, str], ...], width: int = 10_000) -> Text:
    """The confusion matrix: a row per label with its accuracy, a column per predicted class;
    the diagonal (right) in green, every other non-zero count (a mix-up) in red. Where its
    columns do not fit ``width``: each label's accuracy and its mix-ups, the largest first."""
    k = len(matrix)
    cell = max(3, len(str(int(matrix.max()))) + 1)
    if 6 + k * cell + 6 > width:
        return mixups_text(matrix, rows, width)
    text = Text("  l╲p " + "".join(f"{j:>{cell}}" for j in range(k)) + "\n", style="dim")
    for i in range(k):
        text.append(f"{i:>5} ", style="dim")
        for j in range(k):
            n = int(matrix[i, j])
            style = "green" if i == j else "bold red" if n else "grey30"
            text.append(f"{n if n or i == j else '·':>{cell}}", style=style)
        text.append(f" {rows[i][1]:5.0%}\n" if i < len(rows) else "\n")
    return text


def mixups_text(matrix: np.ndarray, rows: tuple[tuple[str, float, str], ...], width: int) -> Text:
    """The confusion matrix for a narrow pane: per label its accuracy, then the classes it is
    taken for, the most often first ("5:58" is 58 test samples predicted 5)."""
    text = Text(fitting([Text("label  acc  taken for (count)"), Text("label acc")], width).plain + "\n",
                style="dim")
    for i in range(len(matrix)):
        row = Text(f"{i:>5} ", style="dim")
        row.append(f"{rows[i][1]:4.0%}  " if i < len(rows) else "      ")
        mixed = sorted((j for j in range(len(matrix)) if j != i and matrix[i, j]), key=lambda j: -matrix[i, j])
        for j in mixed:
            row.append(f"{j}:{int(matrix[i, j])} ", style="bold red")
        row.rstrip()
        text.append_text(shorten(row, width))
        text.append("\n")
    return text


def misread_text(misread: tuple[Misread, ...], width: int) -> Text:
    """The first misread samples, "label→predicted" under each; as pictures (two pixel rows
    per character, upper-half blocks) when the inputs are square images."""
    if not misread:
        return Text("no test sample misread\n", style="green")
    text = Text("misread (label→predicted)\n", style="bold")
    pictured = [(m, m.image) for m in misread if m.image is not None and m.image.shape[0] <= 16]
    if not pictured:
        text.append("  ".join(f"{m.label}→{m.predicted}" for m in misread) + "\n")
        return text
    side = pictured[0][1].shape[0]
    per_row = max(1, (width - 2) // (side + 2))
    for start in range(0, len(pictured), per_row):
        group = pictured[start:start + per_row]
        for r in range(0, side, 2):
            for _, image in group:
                for c in range(side):
                    top, bottom = pixel_grey(image, r, c), pixel_grey(image, r + 1, c)
                    text.append("▀", style=Style(color=Color.from_rgb(top, top, top),
                                                 bgcolor=Color.from_rgb(bottom, bottom, bottom)))
                text.append("  ")
            text.append("\n")
        text.append("".join(f"{f'{m.label}→{m.predicted}':<{side + 2}}" for m, _ in group) + "\n")
    return text


def pixel_grey(image: np.ndarray, r: int, c: int) -> int:
    """Pixel (r, c) as a grey level 0-255, scaled to the image's own range (0 past the edge)."""
    if r >= image.shape[0]:
        return 0
    lo, hi = float(np.nanmin(image)), float(np.nanmax(image))
    value = (float(image[r, c]) - lo) / (hi - lo) if hi > lo and np.isfinite(image[r, c]) else 0.0
    return int(round(255 * value))


def drawing_hint(draw_class: int, width: int = 1000) -> str:
    """The regions view's subtitle: what a click does and which keys go with it, as many
    whole parts as fit in ``width`` characters (never a part cut mid-word)."""
    parts = [f"click: class {draw_class} point (k)", "ctrl-click: remove", "D: save"]
    hint = next((first for first in (parts[0], f"click: class {draw_class} (k)", f"k: class {draw_class}")
                 if len(first) <= width), "")
    for part in parts[1:] if hint == parts[0] else ():
        if len(hint) + 3 + len(part) > width:
            break
        hint += " · " + part
    return hint


def output_title(output: Output | None, dataset: str, evaluation: Evaluation | None,
                 width: int = 1000) -> str:
    """What the view shows, with the accuracy, the line's m and b, or the fact that the
    outputs are not numbers, in at most ``width`` characters: the numbers are kept whole
    and the words around them go first."""
    return next((title for title in _titles(output, dataset, evaluation) if len(title) <= width),
                _titles(output, dataset, evaluation)[-1][:width])


def _titles(output: Output | None, dataset: str, evaluation: Evaluation | None) -> list[str]:
    """The title, longest first."""
    if isinstance(output, Regions):
        title = "decision regions"
        if not np.isfinite(output.confidence).any():
            return [title + ": outputs are NaN/Inf", "outputs NaN/Inf", "NaN/Inf"]
    elif isinstance(output, Curve):
        if output.line is None:
            return ["fit (line) vs data (dots)", "fit vs data"]
        m, b = output.line
        target = " (data: y = 2x + 1)" if dataset in ("linear", "outlier") else ""
        return [f"y = m·x + b: m = {m:.4f}  b = {b:.4f}{target}", f"m = {m:.4f}  b = {b:.4f}{target}",
                f"m = {m:.4f}  b = {b:.4f}", f"m {m:.3g} b {b:.3g}"]
    else:
        title = output.title if isinstance(output, Bars) else "output"
    if evaluation is not None and evaluation.test_accuracy is not None:
        accuracy = f"test acc {evaluation.test_accuracy:.1%}"
        return [f"{title} · {accuracy}", accuracy, f"{evaluation.test_accuracy:.0%}"]
    return [title]


class OutputView(Vertical):
    """Shows whichever of regions, curve or bars suits the current output."""

    _bars: Bars | None = None

    def compose(self):
        yield RegionsView(id="regions")
        yield CurveView(id="curve")
        yield Static(id="bars")

    def show(self, output: Output | None, dataset: str, evaluation: Evaluation | None,
             prefix: str = "") -> None:
        """Show ``output``, titled by what it is; ``prefix`` names the run (twin mode, where
        the pane is half as wide: the picture says it is decision regions, and the title
        keeps the accuracy, which fits)."""
        regions, curve, bars = self.query_one(RegionsView), self.query_one(CurveView), self.query_one("#bars", Static)
        regions.display = isinstance(output, Regions)
        curve.display = isinstance(output, Curve)
        bars.display = isinstance(output, Bars)
        room = self.size.width - 4 - len(prefix) if self.size.width else 1000  # inside the border
        title = output_title(output, dataset, evaluation, max(room, 4))
        if prefix:
            title = prefix + title.removeprefix("decision regions · ").removeprefix("decision regions: ")
        if title != self.border_title:
            self.border_title = title
        if isinstance(output, Regions):
            regions.show(output)
        elif isinstance(output, Curve):
            curve.show(output)
        elif isinstance(output, Bars) and output is not self._bars:
            self._bars = output
            bars.update(bars_text(output, self.size.width - 1))  # (a column for the scrollbar)

    @property
    def grid_size(self) -> tuple[int, int]:
        return self.query_one(RegionsView).grid_size
