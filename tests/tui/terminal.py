"""What a test's app actually sent to the terminal, as a grid of characters.

A pane's own rows (``render_line``) or a screenshot (which renders every widget anew) can
say one thing while the terminal shows another: a widget that never asks the screen to
repaint it keeps the old picture on a real terminal. ``Terminal`` records every update the
app writes (``App._display``, which a headless test app otherwise drops) onto a grid, so a
test reads what a person would see."""

from __future__ import annotations

import asyncio
from typing import Callable

from rich.segment import ControlType
from textual._compositor import CompositorUpdate


class Terminal:
    """The cells an app's updates painted, from the moment ``watch`` is called."""

    def __init__(self, app) -> None:
        self.app = app
        width, height = app.size
        self.grid = [[" "] * width for _ in range(height)]
        self.updates = 0
        display = app._display

        def recorded(screen, renderable) -> None:
            display(screen, renderable)
            if isinstance(renderable, CompositorUpdate) and not app._batch_count:
                self._paint(renderable)

        app._display = recorded

    def _paint(self, update: CompositorUpdate) -> None:
        self.updates += 1
        console = self.app.console
        x = y = 0
        for segment in update.__rich_console__(console, console.options):
            if segment.control:
                for control in segment.control:
                    if control[0] == ControlType.CURSOR_MOVE_TO:
                        x, y = control[1], control[2]
                continue
            for char in segment.text:
                if char == "\n":
                    continue
                if 0 <= y < len(self.grid) and 0 <= x < len(self.grid[y]):
                    self.grid[y][x] = char
                x += 1

    @property
    def text(self) -> str:
        """The screen as painted, one line per row."""
        return "\n".join("".join(row).rstrip() for row in self.grid)

    def row(self, y: int) -> str:
        return "".join(self.grid[y])

    async def type(self, *keys: str, gap: float = 0.05) -> None:
        """Send ``keys`` as a terminal does (the driver's Key events, ``gap`` seconds apart),
        not through ``Pilot.press``: Pilot then sends a message to every widget,
        and a widget that would never repaint on a real terminal repaints on that."""
        for key in keys:
            await self.app._press_keys([key])  # as the driver sends a key, without Pilot's pings
            await asyncio.sleep(gap)

    async def wait_for(self, shows: Callable[[str], bool], seconds: float = 10.0) -> str:
        """The painted text once ``shows(text)`` holds: a bounded poll (a loaded machine may
        take longer than a quiet one, so no fixed number of pauses), without Pilot's pauses
        (see ``type``). AssertionError with what the terminal shows if it never holds."""
        for _ in range(int(seconds / 0.02)):
            text = self.text
            if shows(text):
                return text
            await asyncio.sleep(0.02)
        raise AssertionError(f"the terminal never showed it; it shows:\n{self.text}")


async def painted(pilot) -> Terminal:
    """A Terminal for ``pilot``'s app, from a full repaint of its screen once the app is idle."""
    await pilot.pause()
    terminal = Terminal(pilot.app)
    pilot.app.screen.refresh(layout=True)
    await pilot.pause()
    return terminal
