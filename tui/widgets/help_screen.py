"""The ``?`` help screen: every key, generated from the key table so it cannot drift."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from gradtui.tui.train.keys import HELP, KEYS

GLOSSARY = (
    "Badges: EXPLODING (gradient norm above the explode threshold or far above the output "
    "layer's), VANISHING (far below the output layer's), DEAD n/m (ReLU units silent on every "
    "probe input), SATURATED n/m (units whose activation slope is nearly zero), NaN (a "
    "non-finite loss or gradient: the update was skipped and training paused).\n"
    "Neuron strip: one cell per unit; green brightness = mean |dL/dz|, dark grey = dead, "
    "orange = saturated."
)


def keys_table() -> Table:
    table = Table(box=None, show_header=False, padding=(0, 2))
    table.add_column(style="bold reverse", justify="center")
    table.add_column(style="bold")
    table.add_column()
    for binding in KEYS:
        table.add_row(f" {binding.key_display or binding.key} ", binding.description,
                      HELP[binding.action])
    table.add_row(" ctrl+p ", "Commands", "command palette: every action, scenario and calculus objective")
    table.add_row(" q ", "Quit", "leave (ctrl+c too); the terminal is restored")
    return table


class HelpScreen(ModalScreen[None]):
    """Keys and what the badges mean; any of escape, ? or q closes it."""

    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("question_mark", "dismiss", "Close", show=False),
        Binding("q", "dismiss", "Close", show=False),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static("[b]gradtui keys[/b]  (escape closes)")
            yield Static(keys_table())
            yield Static(GLOSSARY, id="glossary")
