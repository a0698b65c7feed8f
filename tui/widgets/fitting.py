"""Text fitted to a width without cutting a word: the longest of several wordings that fits
whole, else the shortest one shortened at a word boundary and marked with an ellipsis (…).
Textual crops a line that is too long at the pane's edge, mid-word and without a mark."""

from __future__ import annotations

import textwrap
from typing import Sequence

from rich.text import Text

ELLIPSIS = "…"
SEPARATORS = ("·", ",", ";", ":", "│", "|")


def shorten(text: Text, width: int) -> Text:
    """``text`` if it fits ``width`` cells, else its words up to the last space that leaves
    room for an ellipsis, then the ellipsis (just the ellipsis when not one word fits)."""
    if text.cell_len <= width:
        return text
    if width < 1:
        return Text()
    cut = text.plain.rfind(" ", 0, width - 1)  # "word …": the space before the ellipsis fits too
    kept = text[:cut] if cut > 0 else Text()
    kept.rstrip()
    while kept.plain.endswith(SEPARATORS):  # "a · …" reads as a list cut short: "a …"
        kept = kept[:-1]
        kept.rstrip()
    return kept.append(f" {ELLIPSIS}" if kept.plain else ELLIPSIS)


def fitting(wordings: Sequence[Text], width: int) -> Text:
    """The first (longest) of ``wordings`` that fits ``width`` cells whole, else the last
    one ``shorten``ed."""
    for text in wordings:
        if text.cell_len <= width:
            return text
    return shorten(wordings[-1], width)


def shorten_rows(text: Text, width: int, rows: int) -> Text:
    """``text`` if it wraps into at most ``rows`` lines of ``width`` cells, else its longest
    run of whole words that does with an ellipsis after it."""
    plain = text.plain
    if width < 1 or len(textwrap.wrap(plain, width)) <= rows:
        return text
    ends = [i for i, char in enumerate(plain) if char == " "]
    end = next((i for i in reversed(ends) if len(textwrap.wrap(f"{plain[:i].rstrip()} {ELLIPSIS}", width)) <= rows), 0)
    kept = text[:end]
    kept.rstrip()
    return kept.append(f" {ELLIPSIS}" if kept.plain else ELLIPSIS)
