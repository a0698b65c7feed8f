"""A compact footer that ends cleanly at any width.

Textual's Footer lays every shown key in a row and lets the palette key, docked at the
right, cover whatever does not fit: at 120 columns the training screen's footer ended
in "w S▏^p palette", half a key. This one shows only the keys that fit whole, the most
important first (the screen says which those are), keeping the table's order on screen;
the keys left out stay in ``?`` help and the command palette.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.cells import cell_len
from textual import events
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

PALETTE_FRAME = 1
"""The palette key's left border (its compact padding is 0 on both sides)."""
KEY_MARGIN = 1
"""A compact key's right margin."""


def key_width(item: Widget) -> int:
    """Cells a compact footer item takes, margin included."""
    if not isinstance(item, FooterKey):
        return 0
    label = cell_len(item.key_display) + (1 + cell_len(item.description) if item.description else 0)
    return label + (PALETTE_FRAME if item.has_class("-command-palette") else KEY_MARGIN)


def fitting(items: Sequence[Widget], width: int, ranked: Sequence[str]) -> list[Widget]:
    """The items to show in ``width`` cells: the palette key always, then keys in the order of
    ``ranked`` (actions; unlisted ones after, in table order) while they fit whole; returned
    in their table order."""
    palette = [item for item in items if item.has_class("-command-palette")]
    room = width - sum(key_width(item) for item in palette)
    rank = {action: i for i, action in enumerate(ranked)}
    keys = [item for item in items if item not in palette]
    order = sorted(range(len(keys)), key=lambda i: (rank.get(getattr(keys[i], "action", ""), len(rank)), i))
    shown: set[int] = set()
    for i in order:
        if key_width(keys[i]) <= room:
            shown.add(i)
            room -= key_width(keys[i])
    return [key for i, key in enumerate(keys) if i in shown] + palette


class FittedFooter(Footer):
    """``Footer(compact=True)`` that drops the keys that do not fit whole, least important
    first, and lays itself out again only when its width changes."""

    def __init__(self, ranked: Iterable[str] = (), **kwargs) -> None:
        super().__init__(compact=True, **kwargs)
        self.ranked = tuple(ranked)
        """Actions in order of importance: these keep their place in the footer longest."""
        self.composed_width = 0
        """The width the keys on show were chosen for."""

    def compose(self):
        items = list(super().compose())
        self.composed_width = self.size.width
        yield from fitting(items, self.composed_width, self.ranked) if self.composed_width else items

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self.composed_width:
            self.call_after_refresh(self.recompose)
