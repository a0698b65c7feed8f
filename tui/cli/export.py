"""Row writers for ``gradtui run``: JSON Lines and CSV files, and the table printed on stdout.

Rows are the plain dicts made by ``gradtui.engine.train.runner`` (network rows with a nested
``layers`` list and a ``flags`` list; calculus rows with ``x`` and ``grad`` lists).

- JSONL keeps the nesting. NaN and +-Inf are not JSON, so they are written as ``null``
  (the row's ``nonfinite`` flag says which step went non-finite).
- CSV flattens: a list of dicts with a ``name`` is spread into columns prefixed by
  that name (``layers.0.grad_norm``), a list of numbers into ``x.0``, ``x.1``, and the
  flags become one column of space-separated ``kind:layer`` words, the changes made
  mid-run one column of ``; ``-separated lines. NaN and Inf are
  written as ``nan``, ``inf`` and ``-inf``; a missing value as an empty cell.
"""

from __future__ import annotations

import json
import math
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Callable, Iterator

from gradtui.engine.atomic import atomic_write
from gradtui.engine.textsafe import csv_row
from gradtui.engine.train.runner import Row

FORMATS = (".jsonl", ".csv")


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


def flatten(row: Row) -> dict[str, Any]:
    """A row as flat CSV columns (see the module docstring)."""
    flat: dict[str, Any] = {}
    for key, value in row.items():
        if key == "flags":
            flat[key] = " ".join(f"{f['kind']}:{f['layer']}" for f in value)
        elif key == "changes":
            flat[key] = "; ".join(value)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for item in value:
                prefix = item["name"]
                flat.update({f"{prefix}.{k}": v for k, v in item.items() if k != "name"})
        elif isinstance(value, list):
            flat.update({f"{key}.{i}": v for i, v in enumerate(value)})
        else:
            flat[key] = value
    return flat


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return value


class JsonlWriter:
    """One JSON object per line."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def write(self, row: Row) -> None:
        self.stream.write(json.dumps(_json_safe(row), allow_nan=False) + "\n")

    def write_rows(self, rows: list[Row]) -> None:
        for row in rows:
            self.write(row)


class CsvWriter:
    """A header from the columns of the first rows written, then one line per row.

    ``write_rows`` takes rows that belong together (twin runs A and B at one step), and
    the header is the union of their columns, so two runs whose layers differ share one
    file; a row lacking a column leaves its cell empty."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self._columns: list[str] | None = None

    def write(self, row: Row) -> None:
        self.write_rows([row])

    def write_rows(self, rows: list[Row]) -> None:
        flats = [flatten(row) for row in rows]
        if self._columns is None:
            self._columns = list(dict.fromkeys(key for flat in flats for key in flat))
            self.stream.write(csv_row(self._columns))
        for flat in flats:
            extra = [key for key in flat if key not in self._columns]
            if extra:
                raise ValueError(f"columns {extra} are not in the file's header")
            self.stream.write(csv_row([_cell(flat.get(key)) for key in self._columns]))


def check_format(path: str) -> str:
    """The export format of ``path`` (its suffix); ValueError naming the valid ones otherwise."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"--out {path}: unknown format {suffix or '(no suffix)'}; "
                         f"valid: a file ending in {' or '.join(FORMATS)}")
    return suffix


@contextmanager
def open_writer(path: str) -> Iterator[JsonlWriter | CsvWriter]:
    """A writer for ``path``, picked by its suffix, writing atomically: rows go to a temp file
    that replaces ``path`` only when the block ends without an exception (``atomic_write``).

    Text from outside (change descriptions naming a data file) is escaped by the json module
    and ``textsafe.csv_row``; a file name whose bytes are not UTF-8 is written as those bytes
    (``surrogateescape``), as the file system spells it. Raises ValueError for another suffix
    (before any file exists) and OSError when the file cannot be written.
    """
    suffix = check_format(path)
    with atomic_write(path, "w", encoding="utf-8", newline="", errors="surrogateescape") as stream:
        yield JsonlWriter(stream) if suffix == ".jsonl" else CsvWriter(stream)


# --- the human-readable table ---------------------------------------------------------

TABLE_ROWS = 20
"""About how many rows the stdout table of ``gradtui run`` shows."""


def table_every(steps: int, every: int) -> int:
    """The table's row interval: the smallest multiple of ``every`` giving at most about
    ``TABLE_ROWS`` rows, so every table row is also a row of the ``--out`` file."""
    return every * max(1, math.ceil(steps / TABLE_ROWS / every))


Column = tuple[str, int, Callable[[Row], str]]


def _g(value: float | None, spec: str = ".4g") -> str:
    return "-" if value is None else format(value, spec)


def _flags(row: Row) -> str:
    by_kind: dict[str, list[str]] = {}
    for f in row["flags"]:
        by_kind.setdefault(f["kind"], []).append(f["layer"].removeprefix("layers."))
    return " ".join(f"{kind}:{','.join(layers)}" for kind, layers in by_kind.items()) or "-"


def _point(values: list[float]) -> str:
    return " ".join(repr(v) for v in values)


NETWORK_COLUMNS: list[Column] = [
    ("step", 7, lambda r: str(r["step"])),
    ("loss", 10, lambda r: _g(r["loss"])),
    ("test_loss", 10, lambda r: _g(r["test_loss"])),
    ("acc", 6, lambda r: "-" if r.get("accuracy") is None else f"{r['accuracy']:.1%}"),
    ("grad_norm", 10, lambda r: _g(r["grad_norm"])),
    ("clip", 4, lambda r: "yes" if r["clipped"] else "-"),
    ("lr", 8, lambda r: f"{r['lr']:g}"),
    ("layer grad norms", 0, lambda r: " ".join(_g(ls["grad_norm"], ".1e").rjust(7) for ls in r["layers"])),
    ("flags", 0, _flags),
]
"""Network table: minibatch loss, held-out loss and accuracy, norms, and flags by layer index."""

def descent_columns(dim: int) -> list[Column]:
    """Calculus table for a ``dim``-D surface: every number in full float64 precision (``repr``)."""
    return [
        ("step", 6, lambda r: str(r["step"])),
        ("x", 24 * dim, lambda r: _point(r["x"])),
        ("f(x)", 24, lambda r: repr(r["f"])),
        ("gradient", 0, lambda r: _point(r["grad"])),
    ]


class Table:
    """Fixed-width text columns; a width of 0 means "as wide as it needs"."""

    def __init__(self, columns: list[Column], stream: IO[str]) -> None:
        self.columns = columns
        self.stream = stream
        self._widths = {name: width for name, width, _ in columns}

    def _line(self, cells: list[str]) -> str:
        parts = [cell.rjust(w) if w and i == 0 else cell.ljust(w)
                 for i, (cell, w) in enumerate(zip(cells, self._widths.values()))]
        return "  ".join(parts).rstrip()

    def header(self) -> None:
        self.stream.write(self._line([name for name, _, _ in self.columns]) + "\n")

    def write(self, row: Row) -> None:
        cells = [fmt(row) for _, _, fmt in self.columns]
        self.stream.write(self._line(cells) + "\n")
