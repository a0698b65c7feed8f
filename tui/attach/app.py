"""The app behind ``gradtui attach`` and ``gradtui replay``: one ``RunScreen`` and nothing else."""

from __future__ import annotations

from textual.app import App

from gradtui.tui.attach.screen import RunScreen


class RunApp(App):
    """Shows one watched run (live or recorded) until q."""

    TITLE = "gradtui"

    def __init__(self, source, replay: bool = False) -> None:
        super().__init__()
        self.source, self.replay = source, replay

    def on_mount(self) -> None:
        self.push_screen(RunScreen(self.source, replay=self.replay))
        start = getattr(self.source, "start", None)
        if start is not None:
            start()

    def on_unmount(self) -> None:
        close = getattr(self.source, "close", None)
        if close is not None:
            close()
