"""What each pane was given to say, against what the terminal shows of it (issue 21 item 10).

A pane's text that does not fit its content region is cut by Textual without a trace: a line
cropped at the region's edge (inside the padding, so no border shows it), or lines below the
region's bottom (a container that does not scroll hides them). ``cuts`` compares, for every
visible text widget of the screen, the lines it was given (before they were fitted to the
region) with the cells the terminal shows inside the region, and names every shown line that
stops mid-word without an ellipsis and every pane whose text goes on below what is shown and
cannot be scrolled to."""

from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Iterator

from rich.console import Console
from rich.text import Text
from textual.content import Content
from textual.strip import Strip
from textual.visual import RichVisual
from textual.widget import Widget
from textual.widgets import Footer, Input

from gradtui.tui.widgets.lineplot import LinePlot
from gradtui.tui.widgets.strips import StripsView

ELLIPSES = ("…", "...")
SPACE = re.compile(r"\s+")


@contextmanager
def uncropped() -> Iterator[None]:
    """Strips keep every cell they are given (pad, never crop): a ``StripsView``'s rows are
    then the text it composed for its width, before the width cut it."""
    adjust, crop_extend = Strip.adjust_cell_length, Strip.crop_extend

    def pad(self, cell_length, style=None):
        return self if self.cell_length >= cell_length else adjust(self, cell_length, style)

    def extend(self, start, end, style):
        return self if start == 0 and self.cell_length >= end else crop_extend(self, start, end, style)

    Strip.adjust_cell_length, Strip.crop_extend = pad, extend
    try:
        yield
    finally:
        Strip.adjust_cell_length, Strip.crop_extend = adjust, crop_extend


def rendered(renderable, width: int = 2000) -> str:
    """A Rich renderable's text at ``width`` cells: wide enough that nothing wraps or crops."""
    console = Console(width=width, record=True, color_system=None, file=open("/dev/null", "w"))
    console.print(renderable, crop=False)
    return console.export_text()


def given_text(widget: Widget) -> str | None:
    """The text ``widget`` was given, before it was fitted to its region (None: a picture,
    not text: plots, regions, the network diagram, or the footer, which fits whole keys)."""
    if isinstance(widget, (LinePlot, Input)) or any(isinstance(a, Footer) for a in widget.ancestors_with_self):
        return None  # (an Input scrolls its value sideways under the cursor)
    text = getattr(widget, "text", None)
    if isinstance(text, Text):  # a pane that renders its own Text (the neuron inspector)
        return text.plain
    if isinstance(widget, StripsView):
        with uncropped():
            return "\n".join(strip.text for strip in widget.rows(widget.size.width))
    try:
        content = widget.render()
    except Exception:
        return None
    if isinstance(content, RichVisual):
        content = content._renderable
    if isinstance(content, (str, Text, Content)):
        return content if isinstance(content, str) else content.plain
    return rendered(content) if hasattr(content, "__rich_console__") else None


def flat(text: str) -> str:
    """``text`` with every run of blanks one space (wrapping and column padding aside)."""
    return SPACE.sub(" ", text).strip()


def scrolls(widget: Widget) -> bool:
    """Whether the hidden rest of ``widget`` can be scrolled into view (by it or a container)."""
    return any(node.allow_vertical_scroll for node in widget.ancestors_with_self
               if isinstance(node, Widget))


def cuts(app, grid: list[list[str]]) -> list[str]:
    """Every cut on the app's current screen: a shown line that ends where its text goes on
    mid-word (no ellipsis), or a pane whose text continues below its last shown row."""
    screen = app.screen
    found = []
    geometry = screen._compositor.full_map
    for widget in screen.walk_children(with_self=False):
        if widget not in geometry or not widget.display or not widget.visible:
            continue
        given = given_text(widget)
        if not given or not given.strip():
            continue
        visible = widget.content_region.intersection(geometry[widget].clip)
        if not visible.area:
            continue
        whole = flat(given)
        reach = 0
        for y in range(visible.y, visible.bottom):
            row = "".join(grid[y][visible.x:visible.right])
            shown = flat(row)
            if not shown:
                continue
            ends = [m.end() for m in re.finditer(re.escape(shown), whole)]
            if not ends:
                continue  # not a run of the given text (a table laid out anew, a picture)
            reach = max(reach, *ends)
            if shown.endswith(ELLIPSES) or any(end == len(whole) or whole[end] == " " for end in ends):
                continue
            found.append(f"{widget!r}: {row.rstrip()!r} is cut (its text goes on: "
                         f"{whole[ends[0]:ends[0] + 20]!r})")
        rest = whole[reach:].strip()
        if reach and rest and not scrolls(widget):
            found.append(f"{widget!r}: the rest of its text is not shown: {rest[:40]!r}")
    return found
