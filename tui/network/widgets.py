"""The network view's widgets: the status line, the diagram and the neuron inspector.

All three change several times a second while training, so none of them asks for a new
layout of the screen unless its height may have changed (``Static.update`` would, on every
call), and the diagram repaints only the rows that differ from its previous frame.
"""

from __future__ import annotations

import numpy as np
from rich.cells import cell_len
from rich.text import Text
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from gradtui.tui.network.diagram import Layout, layout, paint
from gradtui.tui.network.inspector import inspector_text
from gradtui.engine.run.network_picture import NetworkPicture
from gradtui.tui.widgets.strips import changed_rows


class QuietStatic(Static):
    """A Static whose updates re-layout the screen only when its size or scroll range may
    change: when its line count changes (and, for a fixed-height widget, when either count
    exceeds its height, so a scroll bar comes or goes)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._shown: object = None
        self._lines = -1

    def show_content(self, content: str | Text, lines: int, room: int | None = None) -> None:
        """Show ``content``, ``lines`` rows tall once wrapped, in ``room`` rows (None: as many
        as it needs); nothing when it is unchanged."""
        if content == self._shown:
            return
        self._shown = content
        resized = lines != self._lines and (room is None or max(lines, self._lines) > room)
        self.update(content, layout=resized)
        self._lines = lines


class StatusLine(QuietStatic):
    """The view's one- or two-line status (console markup)."""

    def show(self, markup: str) -> None:
        if markup == self._shown:
            return
        plain = Text.from_markup(markup).plain
        width = max(self.content_region.width, 1)
        self.show_content(markup, -(-cell_len(plain) // width))


class NetworkDiagram(Widget):
    """Every layer as a column of neuron tiles with the weight matrices between them."""

    DEFAULT_CSS = "NetworkDiagram { width: 1fr; height: 1fr; }"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.picture: NetworkPicture | None = None
        self.selected = (0, 0)
        self.gradients = False
        self.placement: Layout | None = None
        self._strips: list[Strip] | None = None
        self._keys: np.ndarray | None = None

    def show(self, picture: NetworkPicture, selected: tuple[int, int], gradients: bool) -> None:
        self.picture, self.selected, self.gradients = picture, selected, gradients
        self._paint()

    def on_resize(self) -> None:
        self._strips = self._keys = None
        self._paint()

    def _paint(self) -> None:
        """Lay out and paint the picture; repaint the rows that changed."""
        width, height = self.size.width, self.size.height
        if self.picture is None or width <= 0 or height <= 0:
            return
        self.placement = layout(self.picture, width, height, self.selected)
        cells = paint(self.picture, self.placement, self.selected, self.gradients)
        old = self._strips
        self._strips, self._keys = cells.strips(old, self._keys)
        if old is None:
            self.refresh()
        else:
            self.refresh(*changed_rows(old, self._strips, width))

    def render_line(self, y: int) -> Strip:
        if self._strips is not None and y < len(self._strips):
            return self._strips[y]
        return Strip.blank(self.size.width)


class NeuronInspector(ScrollView):
    """The selected neuron's equations with the traced sample's numbers, fitted to the panel
    (it scrolls only when even the least detailed form does not fit). Drawn with the line
    API: the text is rendered to strips once per change, not on every repaint."""

    DEFAULT_CSS = "NeuronInspector { overflow-x: hidden; }"
    can_focus = False  # the arrow keys pick neurons; the mouse wheel scrolls it when it must

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.text = Text()
        self._strips: list[Strip] = []
        self._blank = Strip.blank(0)

    def show(self, picture: NetworkPicture, selected: tuple[int, int],
             previous: NetworkPicture | None) -> None:
        region = self.content_region
        self._set(inspector_text(picture, *selected, width=region.width, height=region.height,
                                 previous=previous))

    def say(self, message: str) -> None:
        self._set(Text(message, style="dim"))

    def _set(self, text: Text) -> None:
        if text == self.text:
            return
        self.text = text
        width = max(self.content_region.width, 1)
        lines = text.split("\n", allow_blank=True)
        if lines and not lines[-1].plain:
            lines.pop()
        console, style = self.app.console, self.rich_style
        old = self._strips
        self._strips = [Strip(line.render(console), line.cell_len).crop_extend(0, width, None).apply_style(style)
                        for line in lines]
        self._blank = Strip.blank(width, style)
        overflow = len(self._strips) > self.content_region.height
        size = Size(width, len(self._strips) if overflow else 1)
        if size != self.virtual_size:  # (a new layout: only when the panel or the scroll range changes)
            self.virtual_size = size
        if self.scroll_offset.y or len(old) != len(self._strips):
            self.refresh()
        else:
            self.refresh(*changed_rows(old, self._strips, self.size.width))

    def render_line(self, y: int) -> Strip:
        row = y + self.scroll_offset.y
        return self._strips[row] if row < len(self._strips) else self._blank
