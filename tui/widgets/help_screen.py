"""The ``?`` help screen: every key, generated from a screen's key table so it cannot
drift, and notes on what the numbers and marks on that screen mean."""

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


KeyRow = tuple[str, str, str]
"""(key as shown, short name, what it does)."""


def training_rows() -> list[KeyRow]:
    """The training screen's keys, then the app-wide ones."""
    rows = [(b.key_display or b.key, b.description, HELP[b.action]) for b in KEYS]
    return rows + [("ctrl+p", "Commands", "command palette: every action, scenario and calculus objective"),
                   ("q", "Quit", "leave (ctrl+c too); the terminal is restored")]


def keys_table(rows: list[KeyRow] | None = None) -> Table:
    """One line per key: the key cap, its name and what it does."""
    table = Table(box=None, show_header=False, padding=(0, 2))
    table.add_column(style="bold reverse", justify="center")
    table.add_column(style="bold")
    table.add_column()
    for key, name, what in training_rows() if rows is None else rows:
        table.add_row(f" {key} ", name, what)
    return table


class HelpScreen(ModalScreen[None]):
    """Keys and what the badges mean; any of escape, ? or q closes it."""

    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("question_mark", "dismiss", "Close", show=False),
        Binding("q", "dismiss", "Close", show=False),
    ]

    def __init__(self, title: str = "gradtui keys", rows: list[KeyRow] | None = None,
                 notes: str = GLOSSARY) -> None:
        super().__init__()
        self.title_text, self.rows, self.notes = title, rows, notes

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(f"[b]{self.title_text}[/b]  (escape closes)")
            yield Static(keys_table(self.rows))
            yield Static(self.notes, id="glossary")
