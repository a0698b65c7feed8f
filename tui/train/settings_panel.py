"""The settings panel (``e``): every setting of the run as a direct choice, applied together.

Names are picked from a list, batch norm ticked, numbers typed and checked as you type (a bad value turns
its field red and says why below the form), the network's shape typed as ``16,16`` or
changed with a -/+ pair per layer and +/- layer buttons. Apply (or enter in a field)
hands the changes back to the training screen, which applies them mid-run as one change;
a value that does not check out is refused with its reason and nothing is applied.
"Run until" takes a stop condition (``test_accuracy>=0.95``) and trains until it holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.validation import ValidationResult, Validator
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from gradtui.engine import DATASETS, TrainConfig
from gradtui.engine.nn.mlp import MAX_PARAMETERS
from gradtui.engine.optim.schedule import Schedule
from gradtui.engine.train.changes import show_setting
from gradtui.engine.nn.activations import ACTIVATIONS
from gradtui.engine.nn.losses import LOSSES
from gradtui.engine.optim.optimizers import OPTIMIZERS

INITS = ("he", "xavier", "torch", "normal:0.1", "normal:1.0", "normal:3.0")
NUMBERS = ("noise", "test_fraction", "lr", "momentum", "weight_decay", "clip")
WHOLE = ("warmup",)
BLANK_IS_NONE = ("n_samples", "bias_init")
TYPED = ("hidden", *NUMBERS, *WHOLE, *BLANK_IS_NONE, "batch_size")
"""Settings typed into an Input (the rest are picked from a list or switched)."""
SCHEDULE_ARGS = {"step": ("factor", "every (steps)"), "cosine": ("over (steps)", "floor lr")}


class OnOff(Checkbox):
    """A checkbox that says its state in characters, not only in colour: ``▐X▌ on`` when
    ticked, ``▐ ▌ off`` when not (Textual's draws the X either way, dimmed when off)."""

    def __init__(self, value: bool, **kwargs) -> None:
        super().__init__("on" if value else "off", value, **kwargs)
        self.BUTTON_INNER = "X" if value else " "  # read by ToggleButton._button at each render

    def watch_value(self) -> None:
        self.BUTTON_INNER = "X" if self.value else " "
        self.label = "on" if self.value else "off"
        super().watch_value()


@dataclass(frozen=True)
class Settings:
    """What the panel hands back: the changed settings, and a stop condition to train to."""

    changes: dict[str, Any]
    until: str | None


def parse_hidden(text: str) -> tuple[int, ...]:
    """``"16, 16"`` -> (16, 16); blank -> () (no hidden layer)."""
    if not text.strip():
        return ()
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise ValueError(f"layer sizes are whole numbers separated by commas, like 16,16; got {text!r}") from None


def parse_setting(field: str, text: str) -> Any:
    """The value a typed text means for ``field``; ``ValueError`` in one line if none."""
    text = text.strip()
    if field == "hidden":
        return parse_hidden(text)
    if field == "batch_size" and text == "full":
        return None
    if field in BLANK_IS_NONE and not text:
        return None
    kind = float if field in NUMBERS or field == "bias_init" else int
    try:
        return kind(text)
    except ValueError:
        what = "a number" if kind is float else "a whole number"
        extra = " or full" if field == "batch_size" else " (blank: the default)" if field in BLANK_IS_NONE else ""
        raise ValueError(f"{field} must be {what}{extra}, got {text!r}") from None


def check_setting(config: TrainConfig, sizes: tuple[int, int], field: str, text: str) -> Any:
    """``parse_setting`` plus the config's own checks and a size cap for the network;
    ``sizes`` is the network's (inputs, outputs)."""
    value = parse_setting(field, text)
    config.replace(**{field: value})
    if field == "hidden":
        widths = [sizes[0], *value, sizes[1]]
        count = sum((a + 1) * b for a, b in zip(widths, widths[1:]))
        if count > MAX_PARAMETERS:
            raise ValueError(f"a {'-'.join(map(str, widths))} network has {count:,} parameters; "
                             f"gradtui trains up to {MAX_PARAMETERS:,}")
    return value


class SettingValidator(Validator):
    """Checks one typed setting as you type, with the engine's own message on failure."""

    def __init__(self, check: Callable[[str], Any]) -> None:
        super().__init__()
        self.check = check

    def validate(self, value: str) -> ValidationResult:
        try:
            self.check(value)
        except ValueError as exc:
            return self.failure(str(exc))
        return self.success()


def schedule_parts(spec: str) -> tuple[str, str, str]:
    """``cosine:1000:0.0001`` -> ("cosine", "1000", "0.0001"); constant -> ("constant", "", "")."""
    kind, *args = spec.split(":")
    args += ["", ""]
    return kind, args[0], args[1]


def schedule_spec(kind: str, a: str, b: str) -> str:
    return "constant" if kind == "constant" else f"{kind}:{a.strip()}:{b.strip()}"


class SettingsScreen(ModalScreen[Settings | None]):
    """The settings form over the training screen; dismissed with the chosen ``Settings``."""

    CSS_PATH = "settings.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="settings_cancel", tooltip="close without changing anything"),
        Binding("ctrl+s", "apply", "Apply", id="settings_apply", tooltip="apply every change made here"),
    ]

    def __init__(self, config: TrainConfig, sizes: tuple[int, int], check_until: Callable[[str], Any],
                 focus: str | None = None) -> None:
        super().__init__()
        self.config = config
        self.sizes = sizes
        self.check_until = check_until
        self.first_focus = focus

    # --- the form ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        cfg = self.config
        with Vertical(id="settings-box"):
            with VerticalScroll(id="settings-form", can_focus=False):
                yield Static("[b]Network[/b]", classes="section")
                yield self._row("hidden layers", self._input("hidden", show_setting("hidden", cfg.hidden)
                                                           .replace("none", "")))
                yield Horizontal(id="layer-buttons")
                yield self._row("activation", self._select("activation", ACTIVATIONS, cfg.activation))
                yield self._row("batch norm", OnOff(cfg.batchnorm, id="set-batchnorm", compact=True))
                yield self._row("init", self._select("init", INITS, cfg.init))
                yield self._row("bias init", self._input("bias_init", "" if cfg.bias_init is None
                                                         else f"{cfg.bias_init:g}", "blank: the init's"))
                yield Static("[b]Data[/b]", classes="section")
                yield self._row("dataset", self._select("dataset", DATASETS, cfg.dataset))
                yield self._row("noise", self._input("noise", f"{cfg.noise:g}"))
                yield self._row("samples", self._input("n_samples", "" if cfg.n_samples is None
                                                       else str(cfg.n_samples), "blank: the default"))
                yield self._row("test fraction", self._input("test_fraction", f"{cfg.test_fraction:g}"))
                yield self._row("loss", self._select("loss", ("auto", *LOSSES), cfg.loss or "auto"))
                yield Static("[b]Training[/b]", classes="section")
                yield self._row("optimizer", self._select("optimizer", OPTIMIZERS, cfg.optimizer))
                yield self._row("lr", self._input("lr", f"{cfg.lr:g}"))
                yield self._row("momentum", self._input("momentum", f"{cfg.momentum:g}"))
                yield self._row("weight decay", self._input("weight_decay", f"{cfg.weight_decay:g}"))
                yield self._row("clip mode", self._select("clip_mode", ("off", "norm", "value"),
                                                          cfg.clip_mode or "off"))
                yield self._row("clip at", self._input("clip", f"{cfg.clip:g}"))
                yield self._row("batch size", self._input("batch_size", show_setting("batch_size", cfg.batch_size),
                                                          "a number or full"))
                yield Static("[b]Learning-rate schedule[/b]", classes="section")
                kind, a, b = schedule_parts(cfg.schedule)
                yield self._row("schedule", self._select("schedule", ("constant", "step", "cosine"), kind))
                yield self._row("", Input(a, id="set-schedule_a", compact=True), id="schedule-a-row")
                yield self._row("", Input(b, id="set-schedule_b", compact=True), id="schedule-b-row")
                yield self._row("warm-up steps", self._input("warmup", str(cfg.warmup)))
                yield Static("[b]Run until[/b]", classes="section")
                yield self._row("stop when", Input(placeholder="e.g. test_accuracy>=0.95, plateau:200",
                                                   id="set-until", validators=[SettingValidator(self._check_until)],
                                                   compact=True))
            yield Static("", id="settings-message")
            with Horizontal(id="settings-buttons"):
                yield Button("Apply", variant="primary", id="apply", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    @staticmethod
    def _row(label: str, widget, **kwargs) -> Horizontal:
        return Horizontal(Label(label, classes="setting-label"), widget, classes="setting-row", **kwargs)

    def _input(self, field: str, value: str, placeholder: str = "") -> Input:
        check = lambda text: check_setting(self.config, self.sizes, field, text)  # noqa: E731
        return Input(value, placeholder=placeholder, id=f"set-{field}", validators=[SettingValidator(check)],
                     valid_empty=field in BLANK_IS_NONE or field == "hidden", compact=True)

    @staticmethod
    def _select(field: str, options: tuple[str, ...], current: Any) -> Select:
        current = current if isinstance(current, str) else ",".join(current) if current else "own data"
        shown = options if current in options else (current, *options)
        return Select([(o, o) for o in shown], value=current, allow_blank=False, id=f"set-{field}", compact=True)

    async def on_mount(self) -> None:
        self.query_one("#settings-box").border_title = "settings: tab moves, enter or ctrl+s applies, escape closes"
        self._show_schedule_args(schedule_parts(self.config.schedule)[0])
        await self._show_layer_buttons(self.config.hidden)
        self.query_one(f"#set-{self.first_focus or 'hidden'}").focus()

    # --- the network's shape, by buttons -------------------------------------------------

    async def _show_layer_buttons(self, hidden: tuple[int, ...]) -> None:
        box = self.query_one("#layer-buttons", Horizontal)
        await box.remove_children()
        buttons: list[Any] = [Label("per layer", classes="setting-label")]
        for i, width in enumerate(hidden):
            buttons += [Button("-", id=f"narrow-{i}", classes="small", compact=True, tooltip=f"one unit fewer in layer {i}"),
                        Label(str(width), classes="width"),
                        Button("+", id=f"widen-{i}", classes="small", compact=True, tooltip=f"one unit more in layer {i}")]
        buttons += [Button("+ layer", id="add-layer", classes="small", compact=True, tooltip="add a hidden layer at the end"),
                    Button("- layer", id="remove-layer", classes="small", compact=True, tooltip="remove the last hidden layer")]
        await box.mount(*buttons)

    @on(Button.Pressed, "#layer-buttons Button")
    def _reshape(self, event: Button.Pressed) -> None:
        field = self.query_one("#set-hidden", Input)
        try:
            hidden = list(parse_hidden(field.value))
        except ValueError as exc:
            self._say(str(exc))
            return
        action, _, index = (event.button.id or "").partition("-")
        if action == "widen":
            hidden[int(index)] += 1
        elif action == "narrow":
            hidden[int(index)] = max(1, hidden[int(index)] - 1)
        elif action == "add":
            hidden.append(hidden[-1] if hidden else 8)
        elif hidden:
            hidden.pop()
        field.value = ",".join(map(str, hidden))

    @on(Input.Changed, "#set-hidden")
    async def _hidden_changed(self, event: Input.Changed) -> None:
        if event.validation_result is None or event.validation_result.is_valid:
            focused = self.focused.id if self.focused is not None else None
            await self._show_layer_buttons(parse_hidden(event.value))
            if focused and focused.startswith(("widen", "narrow", "add", "remove")):
                found = self.query(f"#{focused}")
                (found.first() if found else self.query_one("#add-layer")).focus()

    # --- messages, schedule, until ------------------------------------------------------

    @on(Input.Changed)
    def _checked(self, event: Input.Changed) -> None:
        result = event.validation_result
        if result is not None and not result.is_valid:
            self._say(f"{(event.input.id or '').removeprefix('set-')}: {result.failure_descriptions[0]}")
        elif event.input.id in ("set-schedule_a", "set-schedule_b"):
            self._say(self._schedule_problem() or "")
        else:
            self._say("")

    @on(Select.Changed, "#set-schedule")
    def _schedule_kind(self, event: Select.Changed) -> None:
        self._show_schedule_args(str(event.value))

    def _show_schedule_args(self, kind: str) -> None:
        labels = SCHEDULE_ARGS.get(kind)
        for row, label in zip(("#schedule-a-row", "#schedule-b-row"), labels or ("", "")):
            self.query_one(row).display = labels is not None
            self.query_one(f"{row} Label", Label).update(label)
        if labels is not None:
            defaults = {"step": ("0.5", "500"), "cosine": ("2000", "0.0001")}[kind]
            for field, default in zip(("#set-schedule_a", "#set-schedule_b"), defaults):
                if not self.query_one(field, Input).value:
                    self.query_one(field, Input).value = default

    def _schedule(self) -> str:
        kind = str(self.query_one("#set-schedule", Select).value)
        return schedule_spec(kind, self.query_one("#set-schedule_a", Input).value,
                             self.query_one("#set-schedule_b", Input).value)

    def _schedule_problem(self) -> str | None:
        try:
            Schedule.parse(self._schedule())
        except ValueError as exc:
            return str(exc)
        return None

    def _check_until(self, text: str) -> None:
        if text.strip():
            self.check_until(text)

    def _say(self, message: str) -> None:
        self.query_one("#settings-message", Static).update(message)

    # --- applying ------------------------------------------------------------------------

    def _chosen(self) -> dict[str, Any]:
        """Every setting as the form has it (raises ValueError naming the first bad field)."""
        values: dict[str, Any] = {}
        for field in TYPED:
            text = self.query_one(f"#set-{field}", Input).value
            try:
                values[field] = check_setting(self.config, self.sizes, field, text)
            except ValueError as exc:
                raise ValueError(f"{field}: {exc}") from None
        for field in ("activation", "init", "dataset", "optimizer"):
            values[field] = str(self.query_one(f"#set-{field}", Select).value)
        loss = str(self.query_one("#set-loss", Select).value)
        values["loss"] = None if loss == "auto" else loss
        mode = str(self.query_one("#set-clip_mode", Select).value)
        values["clip_mode"] = None if mode == "off" else mode
        values["batchnorm"] = self.query_one("#set-batchnorm", Checkbox).value
        problem = self._schedule_problem()
        if problem:
            raise ValueError(f"schedule: {problem}")
        values["schedule"] = self._schedule()
        if values["dataset"] == "own data":
            del values["dataset"]  # the run trains on a file or arrays: keep them
        if values["activation"] == show_setting("activation", self.config.activation):
            del values["activation"]  # per-layer activations shown joined: unchanged
        return values

    def action_apply(self) -> None:
        try:
            chosen = self._chosen()
            until = self.query_one("#set-until", Input).value.strip() or None
            if until is not None:
                self.check_until(until)
            changes = {k: v for k, v in chosen.items() if getattr(self.config, k) != v}
            if "dataset" in changes:
                changes["data"] = None
            self.config.replace(**changes)
        except ValueError as exc:
            self._say(str(exc))
            self.notify(str(exc), title="Not applied", severity="error")
            return
        self.dismiss(Settings(changes, until))

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_apply()

    @on(Button.Pressed, "#apply")
    def _apply_pressed(self) -> None:
        self.action_apply()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
