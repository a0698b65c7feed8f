"""The ``?`` help screen: every key, generated from a screen's key table so it cannot
drift, and notes on what the numbers and marks on that screen mean. Each screen hands in
its own rows and notes (``tui/train/help.py``, the calculus screen's bindings), so this
shared widget imports no screen."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KeyRow = tuple[str, str, str]
"""(key as shown, short name, what it does)."""


def keys_table(rows: list[KeyRow]) -> Table:
    """One line per key: the key cap, its name and what it does."""
    table = Table(box=None, show_header=False, padding=(0, 2))
    table.add_column(style="bold reverse", justify="center")
    table.add_column(style="bold")
    table.add_column()
    for key, name, what in rows:
        table.add_row(f" {key} ", name, what)
    return table


class HelpScreen(ModalScreen[None]):
    """Keys and what the badges mean; any of escape, ? or q closes it."""

    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("question_mark", "dismiss", "Close", show=False),
        Binding("q", "dismiss", "Close", show=False),
    ]

    def __init__(self, title: str, rows: list[KeyRow], notes: str) -> None:
        super().__init__()
        self.title_text, self.rows, self.notes = title, rows, notes

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(f"[b]{self.title_text}[/b]  (escape closes)")
            yield Static(keys_table(self.rows))
            yield Static(self.notes, id="glossary")
