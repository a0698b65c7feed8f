"""Lines of whole entries: key caps with what they do, laid out for a pane's width so that
no entry is split between lines (a wrapping Static would break "0 skip" after the 0)."""

from __future__ import annotations

from collections.abc import Iterable


def pack(entries: Iterable[tuple[str, int]], width: int, gap: int = 3) -> str:
    """``entries`` (markup, cells on screen) joined by ``gap`` spaces, a new line wherever
    the next one would pass ``width``; an entry wider than ``width`` gets a line of its own."""
    lines: list[str] = []
    line, used = "", 0
    for markup, cells in entries:
        if used and used + gap + cells > width:
            lines.append(line)
            line, used = "", 0
        if used:
            line, used = line + " " * gap, used + gap
        line, used = line + markup, used + cells
    return "\n".join([*lines, line])
