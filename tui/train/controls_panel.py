"""The controls panel: each setting with its keys (clickable) first, then its name and value."""

from __future__ import annotations

from textual.markup import escape
from textual.widgets import Static

from gradtui.engine import TrainConfig

from gradtui.tui.train.keys import key_for
from gradtui.engine.train.changes import show_setting

ROWS: list[tuple[str, str, tuple[str, ...]]] = [
    ("lr", "lr", ("lr_down", "lr_up")),
    ("activation", "activation", ("cycle_activation",)),
    ("optimizer", "optimizer", ("cycle_optimizer",)),
    ("clip mode", "clip_mode", ("cycle_clip_mode",)),
    ("clip at", "clip", ("clip_down", "clip_up")),
    ("batch", "batch_size", ("cycle_batch",)),
    ("network", "hidden", ("settings",)),
]
"""Label, config field, actions (each shown as its key)."""
KEYS_WIDTH = 7
"""The key caps come first, padded to this width, so a narrow panel cuts a long value's end
and never a key."""



def key_button(action: str) -> str:
    """Markup for a clickable key cap that runs ``action`` on the screen."""
    key = key_for(action).replace("[", "\\[")
    return f"[@click=screen.{action}][reverse] {key} [/reverse][/]"


def controls_markup(config: TrainConfig) -> str:
    lines = []
    for label, field, actions in ROWS:
        value = getattr(config, field)
        if field == "activation" and not isinstance(value, str):
            value = "/".join(value)
        keys = " ".join(key_button(a) for a in actions)
        shown = sum(len(key_for(a)) + 2 for a in actions) + len(actions) - 1
        pad = " " * (KEYS_WIDTH - shown)
        lines.append(f"{keys}{pad} {label:<10} [b]{escape(show_setting(field, value))}[/b]")
    return "\n".join(lines)


class ControlsPanel(Static):
    """Redrawn only when the settings change."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._shown: TrainConfig | None = None

    def show(self, config: TrainConfig) -> None:
        if config != self._shown:
            self._shown = config
            self.update(controls_markup(config))
