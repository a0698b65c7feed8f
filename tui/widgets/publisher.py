"""How a run tells the screen showing it that there is something new to draw.

A ``Publisher`` (the training ``Session``, the ``CalculusSession``) keeps its latest
picture of the run and, each time it replaces that picture, posts ``FrameReady`` to the
screen attached to it. ``post_message`` is thread-safe, so a worker thread may publish.
``FrameReady`` replaces an older one from the same publisher still waiting in the
screen's queue (``can_replace``): a screen that falls behind draws the newest frame once
and never works through a backlog. The screen draws in ``on_frame_ready`` and never
polls; it attaches on mount and detaches when it stops showing the run. Every view that
shows a run (training, calculus, the views to come) is told of new frames this way.
"""

from __future__ import annotations

from textual.message import Message
from textual.message_pump import MessagePump


class FrameReady(Message, bubble=False):
    """The publisher has a new frame; a newer one replaces this while it waits."""

    def __init__(self, publisher: Publisher) -> None:
        super().__init__()
        self.publisher = publisher

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, FrameReady) and message.publisher is self.publisher


class Publisher:
    """Something a screen shows: it posts ``FrameReady`` to the attached screen."""

    def __init__(self) -> None:
        self._screen: MessagePump | None = None

    @property
    def screen(self) -> MessagePump | None:
        """The screen told of new frames (None: nobody)."""
        return self._screen

    def attach(self, screen: MessagePump | None) -> None:
        """Tell ``screen`` (None: nobody) of every new frame from now on."""
        self._screen = screen

    def announce(self) -> None:
        """Post ``FrameReady`` to the attached screen (safe from any thread)."""
        screen = self._screen
        if screen is not None:
            screen.post_message(FrameReady(self))
