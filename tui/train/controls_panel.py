"""The controls panel: each setting with its keys (clickable) first, then its name and value;
and the controls strip, the same in a line or two for short terminals."""

from __future__ import annotations

from textual.markup import escape
from textual.widgets import Static

from gradtui.engine import TrainConfig

from gradtui.tui.train.keys import key_for
from gradtui.tui.widgets.packing import pack
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


def setting_text(config: TrainConfig, field: str) -> str:
    value = getattr(config, field)
    if field == "activation" and not isinstance(value, str):
        value = "/".join(value)
    return show_setting(field, value)


def keys_width(actions: tuple[str, ...]) -> int:
    """Cells the key caps of ``actions`` take (" [ " " ] ")."""
    return sum(len(key_for(a)) + 2 for a in actions) + len(actions) - 1


def controls_markup(config: TrainConfig, locked: bool = False) -> str:
    """A row per setting: its keys (none when ``locked``: they do nothing), name and value."""
    lines = []
    for label, field, actions in ROWS:
        keys = "" if locked else " ".join(key_button(a) for a in actions)
        pad = " " * (KEYS_WIDTH - (0 if locked else keys_width(actions)))
        lines.append(f"{keys}{pad} {label:<10} [b]{escape(setting_text(config, field))}[/b]")
    return "\n".join(lines)


STRIP_LABELS = {"activation": "", "optimizer": "", "clip mode": "clip", "clip at": "at", "batch": "batch",
                "network": "net"}
"""The strip's short labels (an activation or optimizer names itself)."""


LOCKED_TITLE = "controls · held by the presenter"
"""A locked app's controls pane: the settings without their keys, and who holds them."""


def strip_markup(config: TrainConfig, width: int, locked: bool = False) -> str:
    """Every control as ``keys label value`` (``label value`` when ``locked``) on as few
    lines of ``width`` cells as it takes, never splitting an entry between lines."""
    entries = [("[b]held by the presenter:[/b]", 24)] if locked else []
    for label, field, actions in ROWS:
        short = STRIP_LABELS.get(label, label)
        value = setting_text(config, field)
        words = f"{short} {value}" if short else value
        if locked:
            entries.append((escape(words), len(words)))
            continue
        keys = " ".join(key_button(a) for a in actions)
        entries.append((f"{keys} [b]{escape(words)}[/b]", keys_width(actions) + 1 + len(words)))
    return pack(entries, width)


class ControlsView(Static):
    """The controls as ``markup`` lays them out, redrawn only when the settings change."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._shown: TrainConfig | None = None
        self._markup = ""

    @property
    def locked(self) -> bool:
        """A locked app (``--lock``): the settings show without keys that do nothing."""
        return getattr(self.app, "locked", False)

    def show(self, config: TrainConfig) -> None:
        if config != self._shown:
            self._shown = config
            self._draw()

    def markup(self, config: TrainConfig) -> str:
        raise NotImplementedError

    def _draw(self) -> None:
        markup = self.markup(self._shown) if self._shown is not None else ""
        if markup != self._markup:
            self._markup = markup
            self.update(markup)


class ControlsPanel(ControlsView):
    """A row per setting: its keys, its name and its value."""

    def markup(self, config: TrainConfig) -> str:
        return controls_markup(config, self.locked)


class ControlsStrip(ControlsView):
    """The controls in a line or two across the screen, for terminals too short for the
    panel; redrawn when the settings or its width change."""

    def markup(self, config: TrainConfig) -> str:
        return strip_markup(config, self.size.width or 78, self.locked)

    def on_resize(self) -> None:
        self._draw()
