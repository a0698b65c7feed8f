"""The line where a learner types a function: ``f(x, y) =`` and an Input, and below it one
line pointing at the column of a mistake. A good function (or a vector function ``f1, f2, ...``)
is posted as ``FunctionBar.Typed``; a bad one leaves the function on show as it was."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Static

from gradtui.engine.symbolic import MAX_LENGTH, ParseError, TypedFunction, TypedVector

PROMPT = "f(x, y) = "


class FunctionBar(Vertical):
    """Hidden until ``open``; enter parses, escape closes it and keeps the function as it was."""

    BINDINGS = [Binding("escape", "close", "cancel", tooltip="close without changing the function")]

    class Typed(Message):
        """A function (or a vector function) that parsed."""

        def __init__(self, function: TypedFunction | TypedVector) -> None:
            super().__init__()
            self.function = function

    def compose(self) -> ComposeResult:
        with Horizontal(id="function-line"):
            yield Static(PROMPT, id="function-prompt")
            yield Input(placeholder="e.g. x^2 y + 3xy^2 or e^x sin x; a vector: x^2 y, 5x + sin y   (enter: use it)",
                        max_length=MAX_LENGTH, id="function-input", disabled=True,  # no focus while hidden
                        select_on_focus=False)
        yield Static("", id="function-error")

    def open(self, text: str = "") -> None:
        """Show the bar with ``text`` in it and the cursor at its end."""
        self.display = True
        box = self.query_one(Input)
        box.disabled = False
        box.value = text
        box.cursor_position = len(text)
        self.query_one("#function-error", Static).update("")
        self.screen.set_focus(box)  # now, not later: keys typed right after f belong to the Input

    def action_close(self) -> None:
        self.display = False
        self.query_one(Input).disabled = True
        self.screen.set_focus(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            function: TypedFunction | TypedVector = (TypedVector.parse(event.value) if "," in event.value
                                                     else TypedFunction.parse(event.value))
        except ParseError as exc:
            line = self.query_one("#function-error", Static)
            line.update(error_line(exc, event.value, line.size.width or 80))
            return
        self.action_close()
        self.post_message(self.Typed(function))


def error_line(exc: ParseError, text: str, width: int) -> str:
    """One line of at most ``width``: a caret under the column (the Input starts right after
    the prompt) with why after it, or before it when the column is far to the right; the
    hint (what is known there) only when it fits."""
    at = len(PROMPT) + min(exc.column, len(text) + 1) - 1
    why = f"{exc.message} (column {exc.column})"
    if exc.hint and max(at + 2, len(why) + 2) + len(why) + len(exc.hint) + 2 <= width:
        why += f"; {exc.hint}"
    if at + 2 + len(why) <= width or at < len(why) + 1:
        return (" " * at + "^ " + why)[:width]
    return " " * (at - len(why) - 1) + why + " ^"
