"""The network view's widgets: the diagram and the neuron inspector."""

from __future__ import annotations

from rich.text import Text
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from gradtui.tui.network.diagram import Layout, layout, paint
from gradtui.tui.network.inspector import inspector_text
from gradtui.tui.network.picture import NetworkPicture


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

    def show(self, picture: NetworkPicture, selected: tuple[int, int], gradients: bool) -> None:
        self.picture, self.selected, self.gradients = picture, selected, gradients
        self._strips = None
        self.refresh()

    def on_resize(self) -> None:
        self._strips = None

    def render_line(self, y: int) -> Strip:
        width, height = self.size.width, self.size.height
        if self._strips is None and self.picture is not None and width > 0 and height > 0:
            self.placement = layout(self.picture, width, height, self.selected)
            self._strips = paint(self.picture, self.placement, self.selected, self.gradients).strips()
        if self._strips is not None and y < len(self._strips):
            return self._strips[y]
        return Strip.blank(width)


class NeuronInspector(Static):
    """The selected neuron's equations with the traced sample's numbers."""

    def show(self, picture: NetworkPicture, selected: tuple[int, int],
             previous: NetworkPicture | None) -> None:
        terms = 2 if self.size.height < 22 else 4 if self.size.height < 34 else 6
        self.update(inspector_text(picture, *selected, terms=terms, previous=previous))

    def say(self, message: str) -> None:
        self.update(Text(message, style="dim"))
