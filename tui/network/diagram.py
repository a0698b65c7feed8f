"""The network diagram: every layer a column of neuron tiles, the weights between layers.

Drawn as terminal cells (``cells.Cells``): half-block pixels, two per cell. A neuron's tile
shows what it computes: for 2-D inputs its output over the input plane (orange negative,
blue positive, dark zero, scaled by its own largest output, so every neuron's shape shows;
output neurons as class probabilities in the class colours, i.e. the decision regions),
otherwise a histogram of its outputs over the probe set, in bars eight levels to a cell,
each bar coloured by its bin's value (a ReLU's pile of zeros is a tall grey bar).
Between two columns, the weight matrix W with its latest gradient dL/dW beside it: one row
per neuron on the right, one column per neuron on the left, coloured by sign and magnitude
(each matrix scaled by its own largest |value|). When both do not fit without pooling
their columns more than 2 to 1, one matrix shows (W, or dW after ``g``). Dead neurons are
greyed and marked ✕, saturated ones ~, and counted under their column.
Columns with more neurons than fit show a window around the selection (summarised as
"units a-b of n"); a matrix pools its columns when they do not fit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradtui.engine import UNIT_STATES

from gradtui.tui.network.cells import EIGHTHS, Cells, packed
from gradtui.engine.run.network_picture import LayerPicture, NetworkPicture
from gradtui.tui.train.output_view import BACKGROUND, CLASS_COLOURS
from gradtui.tui.widgets.canvas import colour_map

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
GAP_MAX = 32
"""Columns of a weight matrix at most (two to a cell, drawn with left half blocks); more
inputs are pooled (largest |w| of each group)."""
SIDE_BY_SIDE_MIN = 16
"""W and dW are drawn side by side when each keeps at least this many columns (or all of
its inputs); otherwise one of them, chosen with ``g``."""
LEFT_HALF = "\u258c"
ASPECT = {"plane": 2, "histogram": 5}
"""Tile columns per tile row: square pixels for pictures of the input plane, wider for
histograms (more bins); tiles are narrowed below this only when nothing else fits."""
TILE_BACKGROUND = np.array((34, 34, 40), dtype=float)
TILE_PACKED = int(packed(TILE_BACKGROUND))
"""Behind a histogram's bars, so each tile's extent shows."""
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
    """Where everything goes in a ``width`` x ``height`` area; ``entries[i]`` is the number of
    columns of the matrix between column i and i + 1 (its inputs, or fewer when pooled),
    ``gaps[i]`` its width in cells (two columns to a cell); ``collapsed_input`` when the inputs are too many to
    draw as tiles (they are then a label and a pooled matrix)."""

    width: int
    height: int
    entries: tuple[int, ...]
    columns: tuple[Column, ...]
    collapsed_input: bool
    side_by_side: bool = False
    """W and dW both, each ``gaps[i]`` wide with a blank column between."""

    @property
    def gaps(self) -> tuple[int, ...]:
        return tuple((e + 1) // 2 for e in self.entries)

    def matrix_x(self, i: int) -> int:
        """The first column of the matrices between column i and i + 1."""
        left = self.columns[i]
        return left.x + left.tw + 1


def window(total: int, room: int, selected: int | None) -> range:
    """Up to ``room`` consecutive units of ``total``, keeping ``selected`` near the middle."""
    if total <= room:
        return range(total)
    if selected is None:
        return range(room)
    start = min(max(selected - room // 2, 0), total - room)
    return range(start, start + room)


def _fit(counts: list[int], rows: int, width: int, blocks: int, aspect: int,
         n_inputs: int) -> tuple[list[int], list[int], list[int], int]:
    """Tile rows and columns per column, matrix columns and the most allowed, to fit
    ``width`` with ``blocks`` matrices (W, or W and dW) between columns: tiles wider than
    ``aspect`` columns per row narrowed first, then big tiles made smaller, then the
    matrices, then every tile, down to one column each (a deep network on a narrow screen;
    whatever still does not fit is cut off at the right edge). ``counts[0]`` is 0 when the
    ``n_inputs`` inputs are not drawn as tiles (their matrix still has a column each)."""
    th = [int(np.clip(rows // max(n, 1), 1, FEW_TILE_ROWS if n <= FEW else TILE_ROWS)) if n else 1
          for n in counts]
    tw = [(aspect + 1) * h if n else 1 for h, n in zip(th, counts)]  # inputs not drawn: one blank column
    visible = [min(n, rows // h) for n, h in zip(counts, th)]
    gap_w = GAP_MAX
    small = min(h for h, n in zip(th, counts) if n) if any(counts) else 1
    while True:
        entries = [min(n or n_inputs, gap_w) for n in visible[:-1]]
        matrices = sum(blocks * ((e + 1) // 2) + blocks - 1 for e in entries)
        if 1 + sum(w + 1 for w in tw) + matrices + 2 * len(entries) <= width:
            return th, tw, entries, gap_w
        wide = max(range(len(tw)), key=lambda i: tw[i] - aspect * th[i] if counts[i] else 0)
        big = max(range(len(th)), key=lambda i: th[i])
        if tw[wide] > aspect * th[wide]:
            tw[wide] -= 1
        elif th[big] > small:
            th[big] -= 1
            tw[big] = aspect * th[big]
        elif gap_w > 1:
            gap_w -= 1
        elif max(tw) > 1:
            tw[max(range(len(tw)), key=tw.__getitem__)] -= 1
        else:
            return th, tw, entries, gap_w


def layout(picture: NetworkPicture, width: int, height: int, selected: tuple[int, int]) -> Layout:
    """Tile sizes, matrix widths and each column's window for the area and the selection;
    W and dW side by side when they fit (``SIDE_BY_SIDE_MIN``)."""
    rows = max(height - HEADER - FOOTER, 1)
    widths = [picture.n_inputs] + [layer.width for layer in picture.layers]
    collapsed = picture.extent is None or picture.n_inputs > rows
    counts = [0 if i == 0 and collapsed else n for i, n in enumerate(widths)]
    aspect = ASPECT["plane" if picture.extent is not None else "histogram"]
    th, tw, entries, gap_w = _fit(counts, rows, width, 2, aspect, widths[0])
    inputs = [n if n else widths[0] for n in counts[:-1]]
    side_by_side = gap_w >= SIDE_BY_SIDE_MIN or all(e >= n for e, n in zip(entries, inputs))
    if not side_by_side:
        th, tw, entries, _ = _fit(counts, rows, width, 1, aspect, widths[0])
    blocks = 2 if side_by_side else 1
    gaps = [(e + 1) // 2 for e in entries]
    used = 1 + sum(w + 1 for w in tw) + sum(blocks * g + blocks - 1 + 2 for g in gaps)
    columns, x = [], 1 + max(width - used, 0) // 2  # centred; a marker column on either side of a
    # tile (▶ left, ✕ or ~ right), and a blank one between a matrix and the next marker
    layer, unit = selected
    for i, total_units in enumerate(widths):
        units = window(counts[i], rows // th[i], unit if i - 1 == layer else None)
        top = HEADER + (rows - len(units) * th[i]) // 2
        columns.append(Column(i - 1, x, units, total_units, top, th[i], tw[i]))
        x += tw[i] + 1 + (blocks * gaps[i] + blocks - 1 + 2 if i < len(gaps) else 0)
    return Layout(width, height, tuple(entries), tuple(columns), collapsed, side_by_side)


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


def plane_pixels(picture: NetworkPicture, layer: LayerPicture | None, units: np.ndarray, h: int,
                 w: int, last: bool) -> np.ndarray:
    """The (len(units), h, w, 3) pictures over the input plane of some neurons of one column
    (``layer`` None: the inputs), each scaled by its own largest |output|, in one go."""
    grid = _input_plane(picture) if layer is None else layer.values
    grid = grid[..., units]  # (n, n, units)
    rows, cols = np.arange(h) * grid.shape[0] // h, np.arange(w) * grid.shape[1] // w
    sampled = np.moveaxis(grid[rows][:, cols], -1, 0)  # (units, h, w)
    if last and layer is not None and picture.output_kind == "probability":
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


def histograms(values: np.ndarray, bins: int, eighths: int) -> tuple[np.ndarray, np.ndarray]:
    """Each column of ``values`` (samples, units) as ``bins`` bars from its smallest to its
    largest value: the bar heights in eighths of a cell (units, bins), tallest ``eighths``,
    and each bar's colour (units, bins, 3), its bin's value on the diverging scale, lightened
    so bars near zero still show."""
    finite = np.isfinite(values)
    lo = np.where(finite, values, np.inf).min(axis=0)
    hi = np.where(finite, values, -np.inf).max(axis=0)
    lo, hi = np.where(finite.any(axis=0), lo, -0.5), np.where(finite.any(axis=0), hi, 0.5)
    flat = hi - lo < 1e-12
    lo, hi = np.where(flat, lo - 0.5, lo), np.where(flat, hi + 0.5, hi)
    position = np.clip((values - lo) / (hi - lo) * bins, 0, bins - 1)
    index = np.where(finite, position, 0).astype(np.int64) + np.arange(values.shape[1]) * bins
    counts = np.bincount(index[finite], minlength=values.shape[1] * bins).reshape(-1, bins)
    heights = np.ceil(counts / np.maximum(counts.max(axis=1, keepdims=True), 1) * eighths).astype(int)
    centres = lo[:, None] + (np.arange(bins) + 0.5) / bins * (hi - lo)[:, None]
    scale = np.maximum(np.abs(lo), np.abs(hi))[:, None]
    return heights, diverging(centres / scale, 1.0) * 0.6 + 255 * 0.4


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


def shown_matrices(lay: Layout, gradients: bool) -> tuple[str, ...]:
    """The matrices between columns: W and dW side by side, or the one chosen with ``g``."""
    if lay.side_by_side:
        return ("W", "dW")
    return ("dW",) if gradients else ("W",)


def paint(picture: NetworkPicture, lay: Layout, selected: tuple[int, int], gradients: bool) -> Cells:
    """The diagram as cells: tiles, matrices, labels and markers."""
    cells = Cells(lay.width, lay.height)
    rgb = np.empty((2 * lay.height, lay.width, 3))
    rgb[...] = BACKGROUND * 0.6
    for column in lay.columns:
        if len(column.units) and (column.layer >= 0 or picture.extent is not None):
            _tiles(rgb, picture, column, lay.width)
    cells.field(rgb)
    matrices = shown_matrices(lay, gradients)
    for i, (left, right) in enumerate(zip(lay.columns, lay.columns[1:])):
        for b, name in enumerate(matrices):
            _matrix(cells, picture.layers[right.layer], left, right, lay.matrix_x(i) + b * (lay.gaps[i] + 1),
                    lay.entries[i], name == "dW")
    if picture.extent is None:
        for column in lay.columns:
            if column.layer >= 0 and len(column.units):
                _histograms(cells, picture.layers[column.layer], column)
    _labels(cells, picture, lay, selected, matrices)
    return cells


def _tiles(rgb: np.ndarray, picture: NetworkPicture, column: Column, width: int) -> None:
    """A column's tiles into the pixels: pictures of the input plane, or histogram backgrounds."""
    th, tw = column.th, column.tw
    tall = 2 * th - (th > 1)  # a pixel row between tiles, when they are tall enough to spare it
    layer = picture.layers[column.layer] if column.layer >= 0 else None
    units = np.array(column.units)
    if picture.extent is None:
        tiles = np.broadcast_to(TILE_BACKGROUND, (len(units), tall, tw, 3)).copy()
    else:
        tiles = plane_pixels(picture, layer, units, tall, tw, column.layer == len(picture.layers) - 1)
    if layer is not None:
        dead = layer.state[units] == DEAD
        tiles[dead] = tiles[dead] * 0.25 + GREY * 0.75
    visible = max(min(tw, width - column.x), 0)  # cut off at the right edge
    for row, pixels in enumerate(tiles):
        y = 2 * (column.top + row * column.th)
        rgb[y:y + tall, column.x:column.x + visible] = pixels[:, :visible]


def _histograms(cells: Cells, layer: LayerPicture, column: Column) -> None:
    """Each neuron's outputs over the probe set as bars in its tile (greyed when dead)."""
    th, tw = column.th, column.tw
    units = np.array(column.units)
    heights, colours = histograms(layer.values[:, units], tw, 8 * th - 1 - (th > 1))  # a gap above
    dead = layer.state[units] == DEAD
    colours[dead] = colours[dead] * 0.4 + GREY * 0.6
    bars = packed(colours)
    visible = max(min(tw, cells.width - column.x), 0)
    x = slice(column.x, column.x + visible)
    for row in range(len(units)):
        for level in range(th):  # cell rows of the tile, bottom first
            y = column.top + row * th + th - 1 - level
            eighths = np.clip(heights[row, :visible] - 8 * level, 0, 8)
            cells.chars[y, x] = EIGHTHS[eighths]
            cells.fg[y, x] = bars[row, :visible]
            cells.bg[y, x] = TILE_PACKED


def _matrix(cells: Cells, layer: LayerPicture, left: Column, right: Column, x: int, entries: int,
            gradients: bool) -> None:
    """W (or dW) between ``left`` and ``right`` from cell column ``x``: the rows of right-hand
    unit k's tile hold its incoming weights, one column per left-hand unit (pooled to
    ``entries`` when they do not fit), two to a cell (a left half block on its right half)."""
    values = layer.dW if gradients else layer.W
    inputs = left.units if len(left.units) else range(values.shape[0])
    block = pooled(values[np.array(inputs)][:, np.array(right.units)].T, entries)
    colours = packed(diverging(block, largest(values)))
    if block.shape[1] % 2:
        colours = np.concatenate([colours, np.full((len(colours), 1), packed(BACKGROUND * 0.6))], axis=1)
    visible = max(min(colours.shape[1] // 2, cells.width - x), 0)  # cut off at the right edge
    for row in range(len(right.units)):
        y = right.top + row * right.th
        band = slice(y, y + right.th)
        cells.chars[band, x:x + visible] = LEFT_HALF
        cells.fg[band, x:x + visible] = colours[row, 0:2 * visible:2]
        cells.bg[band, x:x + visible] = colours[row, 1:2 * visible:2]


def _labels(cells: Cells, picture: NetworkPicture, lay: Layout, selected: tuple[int, int],
            matrices: tuple[str, ...]) -> None:
    for i, column in enumerate(lay.columns):
        th = column.th
        room = lay.matrix_x(i) + len(matrices) * (lay.gaps[i] + 1) - column.x if i < len(lay.gaps) else lay.width
        layer = picture.layers[column.layer] if column.layer >= 0 else None
        name = "in" if layer is None else ("out" if column.layer == len(picture.layers) - 1
                                           else layer.activation[:4])
        cells.text(0, column.x - 1, f"{name} {column.total}"[:room], DIM)
        footer = []
        if len(column.units) < column.total and len(column.units):
            footer.append(f"{column.units.start}-{column.units.stop - 1}")
        if layer is not None:
            dead, saturated = int((layer.state == DEAD).sum()), int((layer.state == SATURATED).sum())
            footer += [f"{dead}✕"] * bool(dead) + [f"{saturated}~"] * bool(saturated)
        cells.text(lay.height - 1, column.x - 1, " ".join(footer)[:room], DIM)
        if layer is None:
            continue
        for row, unit in enumerate(column.units):
            middle = column.top + row * th + (th - 1) // 2
            if (column.layer, unit) == selected:
                cells.text(middle, column.x - 1, "▶", SELECTED, bold=True)
            state = layer.state[unit]
            if state == DEAD:
                cells.text(middle, column.x + column.tw, "✕", DEAD_MARK, bold=True)
            elif state == SATURATED:
                cells.text(middle, column.x + column.tw, "~", SATURATED_MARK, bold=True)
    for i, gap in enumerate(lay.gaps):  # each matrix named at its right end, over the layer names
        free = 0  # (a name that would touch the one before it is left out: W and dW one cell wide)
        for b, name in enumerate(matrices):
            start = lay.matrix_x(i) + b * (gap + 1) + gap - len(name)
            if start >= free:
                cells.text(0, start, name, TEXT)
                free = start + len(name) + 1
