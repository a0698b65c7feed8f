"""A watched run's record: JSON Lines, a header line then one row per recorded step.

The header is ``{"v": 1, "kind": "gradtui-torch-record", "run": ..., "layers": [...],
"thresholds": {...}}``; a row has the columns of ``gradtui run --out`` where they overlap
(``step``, ``loss``, ``grad_norm``, ``clipped``, ``lr``, ``layers`` with each layer's
``name``, ``grad_norm``, ``update_ratio``, ``dead``, ``saturated``; ``flags``; ``changes``)
and adds ``lrs`` (every param group), ``weight_norm`` per layer and, on probe steps,
``units`` (each unit's state as a digit string) and ``activations`` (where they were
seen). ``read_record`` checks a file before a screen opens on it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RECORD_KIND = "gradtui-torch-record"


class RecordError(ValueError):
    """A record that cannot be shown; the text says where and why, in one line."""


def read_record(path: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The header and rows of the record at ``path``; ``RecordError`` for a damaged one."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise RecordError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RecordError(f"{path}: cannot read it: {getattr(exc, 'strerror', None) or exc}") from None
    if not lines:
        raise RecordError(f"{path}: empty; a record starts with a gradtui header line")
    rows = []
    for number, line in enumerate(lines, 1):
        try:
            item = json.loads(line)
        except ValueError:
            raise RecordError(f"{path}: line {number} is not JSON (the file is damaged or cut short)") from None
        if not isinstance(item, dict):
            raise RecordError(f"{path}: line {number} is not a JSON object")
        rows.append(item)
    header = rows.pop(0)
    if header.get("kind") != RECORD_KIND:
        raise RecordError(f"{path}: not a record of gradtui.torch.watch (for a shared config, use "
                          "'gradtui run --config FILE')")
    if not isinstance(header.get("layers"), list) or not all(
            isinstance(x, dict) and isinstance(x.get("name"), str) for x in header["layers"]):
        raise RecordError(f"{path}: the header's layer list is damaged")
    for number, row in enumerate(rows, 2):
        if not isinstance(row.get("step"), int) or ("loss" in row and not isinstance(row.get("layers"), list)):
            raise RecordError(f"{path}: line {number} is not a step row (damaged)")
    return header, rows
