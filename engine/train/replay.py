"""Replaying a run: changes planned in ``TrainConfig.changes`` applied at their steps, and any
run written back as such a config (``recipe``), in TOML (``to_toml``).

A planned change ``{"step": 120, "lr": 0.03}`` is applied as ``trainer.update(lr=0.03)``
after 120 updates, before the 121st: exactly where a change made in the app between steps
lands. Every change a trainer makes is recorded in ``Trainer.changes`` with the settings it
set and those it replaced, along the run's own timeline (a rewind or reset drops the changes
after its target and records the controls it keeps as a change of its own). So
``recipe(trainer)`` can rebuild the settings at step 0 and list every change since: training
that config for as many steps gives the same weights and losses, bit for bit.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Sequence

from gradtui.engine.textsafe import comment_line, toml_string
from gradtui.engine.train.config import TrainConfig

SPELLED_NONE = {"batch_size": "full", "clip_mode": "off"}
"""How a settings file says None for these keys; any other optional key says "none"."""


class PlannedChangeError(ValueError):
    """A planned change that cannot be applied where it falls (e.g. data of another shape)."""


def settings_of(entry: dict[str, Any]) -> dict[str, Any]:
    """A planned change's settings, without its step."""
    return {k: v for k, v in entry.items() if k != "step"}


def apply_planned(trainer: Any) -> None:
    """Apply the planned changes due at the trainer's current step, in order (``Trainer.step``
    calls this before each step)."""
    for entry in trainer.config.changes:
        if entry["step"] == trainer.step_count:
            try:
                trainer.update(**settings_of(entry))
            except ValueError as exc:
                raise PlannedChangeError(f"changes at step {entry['step']}: {exc}") from None


def recipe(trainer: Any) -> TrainConfig:
    """The run so far as one config: its settings at step 0 and, in ``changes``, every change
    made since (with its step) followed by the planned changes still ahead. Raises a
    one-line ``ValueError`` for a run that a config cannot describe."""
    made = list(trainer.changes)
    if any(change.settings is None for change in made):
        raise ValueError("this run continues a checkpoint from an older gradtui that did not record "
                         "what its changes set; it cannot be written as settings")
    config = trainer.config
    for change in reversed(made):
        config = dataclasses.replace(config, **_values(change.before))
    done = [{"step": change.step, **_values(change.settings)} for change in made]
    ahead = [entry for entry in trainer.config.changes if entry["step"] >= trainer.step_count]
    if _in_memory(dataclasses.replace(config, changes=()), done + ahead):  # before the config checks them
        raise ValueError("this run trains on data held in memory (your arrays or points drawn by "
                         "hand), which a settings file cannot hold; save a checkpoint instead")
    return dataclasses.replace(config, changes=tuple(done + ahead))


def _in_memory(config: TrainConfig, changes: list[dict[str, Any]]) -> bool:
    """True if the run, at its start (``config``) or after any of ``changes``, names no
    dataset and no file."""
    current = config
    for entry in ({}, *changes):
        current = dataclasses.replace(current, **settings_of(entry))
        if current.dataset is None and current.data is None:
            return True
    return False


def _values(settings: dict[str, Any]) -> dict[str, Any]:
    """Recorded (JSON-ready) settings as config values: lists back to tuples."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in settings.items()}


# --- TOML ----------------------------------------------------------------------------------

def to_toml(config: TrainConfig, comments: Sequence[str] = ()) -> str:
    """Every setting of ``config`` as TOML that ``gradtui --config`` reads back to an equal
    config (numbers exactly): of ``dataset`` and ``data`` only the one in use; ``changes``
    as an array of inline tables. Every string, ``comments`` included, is escaped
    (``gradtui.engine.textsafe``); ValueError for a name no TOML string can hold."""
    lines = [comment_line(line) for line in comments]
    source = "dataset" if config.data is None else "data"  # naming one clears the other
    for field in dataclasses.fields(TrainConfig):
        if field.name not in ("changes", "dataset", "data") or field.name == source:
            lines.append(f"{field.name} = {_toml_value(field.name, getattr(config, field.name))}")
    if config.changes:
        lines.append("changes = [")
        for entry in config.changes:
            pairs = [f"step = {entry['step']}"]
            pairs += [f"{k} = {_toml_value(k, v)}" for k, v in settings_of(entry).items()]
            lines.append(f"    {{{', '.join(pairs)}}},")
        lines.append("]")
    else:
        lines.append("changes = []")
    return "\n".join(lines) + "\n"


def _toml_value(key: str, value: Any) -> str:
    if value is None:
        return toml_string(SPELLED_NONE.get(key, "none"))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)  # shortest text that reads back to the same float (configs are finite)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(key, v) for v in value) + "]"
    raise TypeError(f"{key}: cannot write {value!r} as TOML")
