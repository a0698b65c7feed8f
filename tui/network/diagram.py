"""The network diagram: every layer a column of neuron tiles, the weights between layers.

Painted on the half-block ``Canvas`` (two pixels per cell). A neuron's tile shows what it
computes: for 2-D inputs its output over the input plane (orange negative, blue positive,
dark zero, scaled by its own largest output, so every neuron's shape shows; output neurons
as class probabilities
in the class colours, i.e. the decision regions), otherwise a histogram of its outputs
over the probe set. Between two columns, the weight matrix: one row per neuron on the
right, one column per neuron on the left, coloured by sign and magnitude (or, in gradient
mode, the latest step's dL/dW). Dead neurons are greyed and marked ✕, saturated ones ~,
and counted under their column.
Columns with more neurons than fit show a window around the selection (summarised as
"units a-b of n"); the matrix between pools its columns when they do not fit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradtui.engine import UNIT_STATES

from gradtui.tui.network.picture import LayerPicture, NetworkPicture
from gradtui.tui.train.output_view import BACKGROUND, CLASS_COLOURS
from gradtui.tui.widgets.canvas import Canvas, backdrop, colour_map

DEAD, SATURATED = UNIT_STATES.index("dead"), UNIT_STATES.index("saturated")
NEGATIVE, POSITIVE = tuple(CLASS_COLOURS[0]), tuple(CLASS_COLOURS[1])
DIVERGING = [NEGATIVE, tuple(BACKGROUND), POSITIVE]
GREY = np.array((70, 70, 74), dtype=float)
TEXT, DIM, SELECTED = "#d0d0d0", "#808080", "#ffffff"
DEAD_MARK, SATURATED_MARK = "#a0a0a0", "#ff8c00"
TILE_ROWS = 3
"""A neuron's tile is at most this many rows tall (and two to three times as many columns wide)."""
FEW, FEW_TILE_ROWS = 4, 8
"""Columns of at most ``FEW`` neurons (inputs, outputs) get tiles up to this many rows when
there is room."""
GAP_MAX = 16
"""Columns of a weight matrix at most; more inputs are pooled (largest |w| of each group)."""
HEADER, FOOTER = 1, 1


@dataclass(frozen=True)
class Column:
    """A column of tiles ``th`` rows by ``tw`` columns each: ``layer`` -1 is the input;
    ``units`` the window on show; the matrix of weights into it sits to its left."""

    layer: int
    x: int
    units: range
    total: int
    top: int
    th: int
    tw: int


@dataclass(frozen=True)
class Layout:
    """Where everything goes in a ``width`` x ``height`` area; ``gaps[i]`` is the width of the
    matrix between column i and i + 1; ``collapsed_input`` when the inputs are too many to
    draw as tiles (they are then a label and a pooled matrix)."""

    width: int
    height: int
    gaps: tuple[int, ...]
    columns: tuple[Column, ...]
    collapsed_input: bool


def window(total: int, room: int, selected: int | None) -> range:
    """Up to ``room`` consecutive units of ``total``, keeping ``selected`` near the middle."""
    if total <= room:
        return range(total)
    if selected is None:
        return range(room)
    start = min(max(selected - room // 2, 0), total - room)
    return range(start, start + room)


def _fit(counts: list[int], rows: int, width: int) -> tuple[list[int], list[int], list[int]]:
    """Tile rows and columns per column and matrix widths that fit ``width``: widest tiles
    narrowed to square pixels first, then big tiles made smaller, then the matrices, then
    every tile, down to one column each (a deep network on a narrow screen; whatever still
    does not fit is cut off at the right edge)."""
    th = [int(np.clip(rows // max(n, 1), 1, FEW_TILE_ROWS if n <= FEW else TILE_ROWS)) for n in counts]
    tw = [3 * h for h in th]
    visible = [min(n, rows // h) for n, h in zip(counts, th)]
    gap_w = GAP_MAX
    small = min(h for h, n in zip(th, counts) if n) if any(counts) else 1
    while True:
        gaps = [min(n, gap_w) or GAP_MAX for n in visible[:-1]]
        if 1 + sum(w + 1 for w in tw) + sum(gaps) + 2 * len(gaps) <= width:
            return th, tw, gaps
        wide = max(range(len(tw)), key=lambda i: tw[i] - 2 * th[i])
        big = max(range(len(th)), key=lambda i: th[i])
        if tw[wide] > 2 * th[wide]:
            tw[wide] -= 1
        elif th[big] > small:
            th[big] -= 1
            tw[big] = 2 * th[big]
        elif gap_w > 1:
            gap_w -= 1
        elif max(tw) > 1:
            tw[max(range(len(tw)), key=tw.__getitem__)] -= 1
        else:
            return th, tw, gaps


def layout(picture: NetworkPicture, width: int, height: int, selected: tuple[int, int]) -> Layout:
    """Tile sizes, matrix widths and each column's window for the area and the selection."""
    rows = max(height - HEADER - FOOTER, 1)
    widths = [picture.n_inputs] + [layer.width for layer in picture.layers]
    collapsed = picture.extent is None or picture.n_inputs > rows
    counts = [0 if i == 0 and collapsed else n for i, n in enumerate(widths)]
    th, tw, gaps = _fit(counts, rows, width)
    columns, x = [], 1  # a marker column on either side of a tile (▶ left, ✕ or ~ right), and
    # a blank one between a matrix and the next marker, so matrices and tiles stay apart
    layer, unit = selected
    for i, total_units in enumerate(widths):
        units = window(counts[i], rows // th[i], unit if i - 1 == layer else None)
        top = HEADER + (rows - len(units) * th[i]) // 2
        columns.append(Column(i - 1, x, units, total_units, top, th[i], tw[i]))
        x += tw[i] + 1 + (gaps[i] + 2 if i < len(gaps) else 0)
    return Layout(width, height, tuple(gaps), tuple(columns), collapsed)


def diverging(values: np.ndarray, scale: float) -> np.ndarray:
    """RGB for ``values`` / ``scale`` in [-1, 1]: orange below zero, blue above, dark at zero."""
    with np.errstate(all="ignore"):
        t = np.clip(np.asarray(values, dtype=float) / (scale or 1.0), -1.0, 1.0)
    rgb = colour_map((t + 1) / 2, DIVERGING).astype(float)
    rgb[~np.isfinite(values)] = (200, 0, 200)  # NaN/Inf: magenta, as the health pane
    return rgb


def largest(values: np.ndarray) -> float:
    """The largest finite |value| (1 when there is none), for scaling colours."""
    finite = np.abs(values[np.isfinite(values)])
    return float(finite.max()) if finite.size and finite.max() > 0 else 1.0


def column_pixels(picture: NetworkPicture, layer: LayerPicture | None, units: np.ndarray, h: int,
                  w: int, last: bool) -> np.ndarray:
    """The (len(units), h, w, 3) pictures of some neurons of one column (``layer`` None: the
    inputs, 2-D data only), each scaled by its own largest |output|, in one go."""
    if picture.extent is None:
        return np.stack([_histogram(layer.values[:, u], h, w) for u in units])
    grid = _input_plane(picture) if layer is None else layer.values
    grid = grid[..., units]  # (n, n, units)
    rows, cols = np.arange(h) * grid.shape[0] // h, np.arange(w) * grid.shape[1] // w
    sampled = np.moveaxis(grid[rows][:, cols], -1, 0)  # (units, h, w)
    if last and picture.output_kind == "probability":
        return _probability(sampled, units, layer.width)
    peak = np.max(np.where(np.isfinite(grid), np.abs(grid), 0.0), axis=(0, 1))
    peak = np.where(peak > 0, peak, 1.0)
    return diverging(sampled / peak[:, None, None], 1.0)


def _input_plane(picture: NetworkPicture) -> np.ndarray:
    """The inputs x1 and x2 over the plane, (n, n, 2), centred so the colours show their sign."""
    n = picture.layers[0].values.shape[0]
    ramp = np.linspace(-1, 1, n)
    return np.stack([np.tile(ramp, (n, 1)), np.tile(ramp[::-1, None], (1, n))], axis=-1)


def _probability(p: np.ndarray, units: np.ndarray, width: int) -> np.ndarray:
    """Class probabilities (units, h, w), each in its class's colour; one sigmoid output as
    two classes."""
    if width == 1:
        return diverging(2 * p - 1, 1.0)
    colour = CLASS_COLOURS[np.minimum(units, len(CLASS_COLOURS) - 1)][:, None, None, :]
    rgb = BACKGROUND + (colour - BACKGROUND) * np.clip(np.nan_to_num(p, nan=0.0), 0, 1)[..., None]
    rgb[~np.isfinite(p)] = (200, 0, 200)
    return rgb


def _histogram(values: np.ndarray, h: int, w: int) -> np.ndarray:
    """Outputs over the probe set as ``w`` bars from their smallest to their largest value,
    each bar in the colour of its bin's value (a ReLU's pile of zeros is its left bar)."""
    finite = values[np.isfinite(values)]
    rgb = np.empty((h, w, 3))
    rgb[...] = BACKGROUND
    if not finite.size:
        return rgb
    lo, hi = float(finite.min()), float(finite.max())
    if hi - lo < 1e-12:
        lo, hi = lo - 0.5, hi + 0.5
    counts, edges = np.histogram(finite, bins=w, range=(lo, hi))
    heights = np.ceil(counts / max(counts.max(), 1) * h).astype(int)
    bar = diverging((edges[:-1] + edges[1:]) / 2, max(abs(lo), abs(hi))) * 0.6 + 255 * 0.4
    for c, height in enumerate(heights):
        if height:
            rgb[h - height:, c] = bar[c]
    return rgb


def pooled(matrix: np.ndarray, columns: int) -> np.ndarray:
    """``matrix`` (rows, n) with its columns in ``columns`` groups, each the entry of
    largest magnitude (so the sign survives pooling)."""
    n = matrix.shape[1]
    if n <= columns:
        return matrix
    groups = np.array_split(np.arange(n), columns)
    out = np.empty((matrix.shape[0], columns))
    for g, idx in enumerate(groups):
        block = np.nan_to_num(matrix[:, idx], nan=np.inf)
        out[:, g] = block[np.arange(len(block)), np.abs(block).argmax(axis=1)]
    return out


def paint(picture: NetworkPicture, lay: Layout, selected: tuple[int, int], gradients: bool) -> Canvas:
    """The diagram on a canvas: tiles, matrices, labels and markers."""
    canvas = Canvas(lay.width, lay.height, (0.0, float(lay.width)), (0.0, float(lay.height)))
    rgb = np.empty((2 * lay.height, lay.width, 3))
    rgb[...] = BACKGROUND * 0.6
    n_layers = len(picture.layers)
    for column in lay.columns:
        if not len(column.units):
            continue
        th, tw = column.th, column.tw
        tall = 2 * th - (th > 1)  # a pixel row between tiles, when they are tall enough to spare it
        layer = picture.layers[column.layer] if column.layer >= 0 else None
        units = np.array(column.units)
        tiles = column_pixels(picture, layer, units, tall, tw, column.layer == n_layers - 1)
        if layer is not None:
            dead = layer.state[units] == DEAD
            tiles[dead] = tiles[dead] * 0.25 + GREY * 0.75
        visible = max(min(tw, lay.width - column.x), 0)  # cut off at the right edge
        for row, pixels in enumerate(tiles):
            y = 2 * (column.top + row * th)
            rgb[y:y + tall, column.x:column.x + visible] = pixels[:, :visible]
    for left, right, gap in zip(lay.columns, lay.columns[1:], lay.gaps):
        _matrix(rgb, picture.layers[right.layer], left, right, gap, gradients)
    canvas.field = backdrop(np.clip(rgb, 0, 255))
    _labels(canvas, picture, lay, selected)
    return canvas


def _matrix(rgb: np.ndarray, layer: LayerPicture, left: Column, right: Column, gap: int,
            gradients: bool) -> None:
    """W (or dW) between ``left`` and ``right`` in ``gap`` columns: row k aligned with
    right-hand unit k, one column per left-hand unit (pooled when they do not fit)."""
    values = layer.dW if gradients else layer.W
    inputs = left.units if len(left.units) else range(values.shape[0])
    block = pooled(values[np.array(inputs)][:, np.array(right.units)].T, gap)
    colours = diverging(block, largest(values))
    x = left.x + left.tw + 1
    visible = max(min(block.shape[1], rgb.shape[1] - x), 0)  # cut off at the right edge
    tall = 2 * right.th - (right.th > 1)
    for row in range(len(right.units)):
        y = 2 * (right.top + row * right.th)
        rgb[y:y + tall, x:x + visible] = colours[row, :visible]


def _text(canvas: Canvas, row: int, col: int, text: str, colour: str, bold: bool = False) -> None:
    for i, char in enumerate(text):
        if 0 <= col + i < canvas.width and 0 <= row < canvas.height:
            canvas.mark(col + i + 0.5, canvas.height - row - 0.5, char, colour, bold)


def _labels(canvas: Canvas, picture: NetworkPicture, lay: Layout, selected: tuple[int, int]) -> None:
    for i, column in enumerate(lay.columns):
        th, room = column.th, column.tw + 2 + (lay.gaps[i] if i < len(lay.gaps) else 0)
        layer = picture.layers[column.layer] if column.layer >= 0 else None
        name = "in" if layer is None else ("out" if column.layer == len(picture.layers) - 1
                                           else layer.activation[:4])
        _text(canvas, 0, column.x - 1, f"{name} {column.total}"[:room], DIM)
        if layer is None and lay.collapsed_input:
            _text(canvas, lay.height // 2, column.x - 1, f"{column.total} inputs"[:room], DIM)
        footer = []
        if len(column.units) < column.total and len(column.units):
            footer.append(f"{column.units.start}-{column.units.stop - 1}")
        if layer is not None:
            dead, saturated = int((layer.state == DEAD).sum()), int((layer.state == SATURATED).sum())
            footer += [f"{dead}✕"] * bool(dead) + [f"{saturated}~"] * bool(saturated)
        _text(canvas, lay.height - 1, column.x - 1, " ".join(footer)[:room], DIM)
        if layer is None:
            continue
        for row, unit in enumerate(column.units):
            middle = column.top + row * th + (th - 1) // 2
            if (column.layer, unit) == selected:
                _text(canvas, middle, column.x - 1, "▶", SELECTED, bold=True)
            state = layer.state[unit]
            if state == DEAD:
                _text(canvas, middle, column.x + column.tw, "✕", DEAD_MARK, bold=True)
            elif state == SATURATED:
                _text(canvas, middle, column.x + column.tw, "~", SATURATED_MARK, bold=True)
