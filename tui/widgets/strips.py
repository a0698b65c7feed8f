"""Widgets drawn from ready-made strips, repainting only the rows that changed.

Why: a pane that returns Rich ``Text`` from ``render()`` is re-parsed into Textual's
``Content`` and re-laid into strips on every refresh, and a refresh repaints every row
of the pane (each row through the border, padding and colour filters, then into the
screen's update). While training, that Textual work, not the numbers, was most of the
UI thread's time, every millisecond of it one a key press waits (and, where training
shares the app's process, one the training thread loses: the UI thread holds the GIL). A ``StripsView`` builds its rows once per new
state from (text, style) pieces with cached styles, compares them with the rows on
screen, and marks only the changed rows dirty, so Textual re-renders just those.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Iterable

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

if TYPE_CHECKING:
    from typing_extensions import Self

Piece = tuple[str, str | None]
"""A run of text and its Rich style spec ("bold white on red", "rgb(30,70,40)", None)."""


@lru_cache(maxsize=1024)
def parse_style(spec: str | None) -> Style:
    """The Rich ``Style`` of a spec, parsed once."""
    return Style.parse(spec) if spec else Style()


def plain(pieces: Iterable[Piece]) -> str:
    """The text of a row of pieces, without styles."""
    return "".join(text for text, _ in pieces)


def pieces_strip(pieces: Iterable[Piece], width: int, base: Style) -> Strip:
    """``pieces`` as one strip of exactly ``width`` cells (cut or padded) over ``base``
    (the widget's colours); neighbouring pieces of one style become one segment."""
    segments: list[Segment] = []
    text, spec = "", None
    for piece_text, piece_spec in pieces:
        if piece_spec == spec or not piece_text:
            text += piece_text
            continue
        if text:
            segments.append(Segment(text, base + parse_style(spec)))
        text, spec = piece_text, piece_spec
    if text:
        segments.append(Segment(text, base + parse_style(spec)))
    return Strip(segments).adjust_cell_length(width, base)


def changed_rows(old: list[Strip], new: list[Strip], width: int) -> list[Region]:
    """Regions (one per run of consecutive rows) covering the rows of ``new`` that differ
    from ``old``."""
    regions, start = [], None
    for y, (before, after) in enumerate(zip(old, new)):
        if before != after:
            start = y if start is None else start
        elif start is not None:
            regions.append(Region(0, start, width, y - start))
            start = None
    if start is not None:
        regions.append(Region(0, start, width, len(new) - start))
    return regions


class StripsView(Widget):
    """A widget whose content is ``rows(width)``, one strip per row. ``redraw`` rebuilds the
    rows and repaints only those that changed (a new number of rows also lays out again,
    for panes of ``height: auto``)."""

    rows_repainted = 0
    """Rows marked for repainting so far (a test counts them)."""

    _labels_only = False
    """True while ``set_labels`` sets the border's labels: ``refresh`` then only notes the request."""
    _refresh_asked = False

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._rows: list[Strip] = []

    def rows(self, width: int) -> list[Strip]:
        """The content at ``width`` cells (subclasses)."""
        raise NotImplementedError

    @property
    def base_style(self) -> Style:
        """The widget's own colours, under every piece."""
        return self.visual_style.rich_style

    @property
    def text(self) -> str:
        """What the rows say, a line each (for tests and screen readers of the code)."""
        return "\n".join(strip.text for strip in self._rows)

    def redraw(self) -> None:
        width = self.size.width
        if not width:  # not laid out yet: drawn on its first resize
            return
        old, self._rows = self._rows, self.rows(width)
        if len(old) != len(self._rows):
            self.rows_repainted += len(self._rows)
            self.refresh(layout=True)
            return
        regions = changed_rows(old, self._rows, width)
        if regions:
            self.rows_repainted += sum(region.height for region in regions)
            self.refresh(*regions)

    def set_labels(self, title: str | None, subtitle: str | None) -> None:
        """Set the border's title and subtitle, repainting only the border rows: Textual's
        setters repaint the whole pane, which a plot whose title names its bucket width
        did every few frames."""
        self._labels_only, self._refresh_asked = True, False  # holds back the setters' full repaint
        try:
            self.border_title, self.border_subtitle = title, subtitle
        finally:
            self._labels_only = False
        if self._refresh_asked:
            top, right, bottom, left = self.styles.gutter
            width, height = self.outer_size.width, self.size.height
            self.refresh(Region(-left, -top, width, top), Region(-left, height, width, bottom))

    def refresh(self, *regions: Region, repaint: bool = True, layout: bool = False,
                recompose: bool = False) -> Self:
        """Textual's ``refresh``, except while ``set_labels`` holds it back."""
        if self._labels_only:
            self._refresh_asked = True
            return self
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def on_resize(self) -> None:
        self._rows = self.rows(self.size.width) if self.size.width else []
        self.refresh()

    def render_line(self, y: int) -> Strip:
        rows = self._rows
        return rows[y] if y < len(rows) else Strip.blank(self.size.width, self.base_style)

    def get_content_height(self, container, viewport, width: int) -> int:
        return len(self.rows(width))
