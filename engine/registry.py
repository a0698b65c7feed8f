"""One way to check a name against the registry of its kind, with one wording.

Each kind of name lives with its concept: activations and losses in ``nn``, init
schemes in ``nn.init``, optimizers in ``optim.optimizers``, clip modes in ``optim.clip``,
datasets in ``data.catalog``, scenarios in ``scenarios.catalog``, calculus surfaces in
``calculus.objectives``. TrainConfig, the command line, the app's keys and ``gradtui
list`` all read those registries; this module only words the refusal.
"""

from __future__ import annotations

from typing import Any, Iterable


def shown(valid: Iterable[Any]) -> str:
    """The valid names, comma-separated (None, the "off" of an optional setting, as none)."""
    return ", ".join("none" if v is None else str(v) for v in valid)


def check_name(kind: str, value: Any, valid: Iterable[Any]) -> None:
    """Raise a one-line ValueError naming the valid ones unless ``value`` is one of ``valid``."""
    valid = tuple(valid)
    if value not in valid:
        raise ValueError(f"unknown {kind} {value!r}; valid: {shown(valid)}")
