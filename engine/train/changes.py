"""Mid-run changes to what a run trains on and with: the data, the network's shape, the loss, the init.

``plan`` checks a change and builds everything it needs (new data, a reshaped or
re-initialised network, where the optimizer state goes) without touching the trainer,
so a refused change leaves nothing applied; ``commit`` then swaps it in. ``conform``
shapes a trainer to a config before a snapshot's weights are loaded into it (rewind and
checkpoints across reshapes). Every change becomes a ``Change``: the step it was made
after and one line saying what changed and what it did to the network's function.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gradtui.engine.data.dataset import Dataset
from gradtui.engine.nn.losses import Loss
from gradtui.engine.nn.mlp import MLP
from gradtui.engine.train.config import TrainConfig
from gradtui.engine.train.reshape import carry, reshape

DATA_KEYS = ("dataset", "data", "noise", "n_samples", "test_fraction")
NETWORK_KEYS = ("hidden", "batchnorm", "loss", "init", "bias_init")
STRUCTURAL = DATA_KEYS + NETWORK_KEYS
"""The settings whose change rebuilds the data, the loss or the network."""

PRESERVED = 1e-12
"""A max output change below this counts as "function unchanged" (float64 rounding)."""


@dataclass(frozen=True)
class Change:
    """One change made mid-run: after ``step`` updates, what changed and what it did.

    ``settings`` holds the new values of the settings that changed and ``before`` their old
    ones (JSON-ready), so the run can be replayed (``gradtui.engine.train.replay``); both are
    None for changes read from a checkpoint written before gradtui recorded them."""

    step: int
    text: str
    settings: dict[str, Any] | None = field(default=None, hash=False)
    before: dict[str, Any] | None = field(default=None, hash=False)


@dataclass
class Rebuild:
    """What a structural change swaps in: config, data, loss, network, and where optimizer
    state goes (``source`` per new flat entry, None when the optimizer starts afresh)."""

    config: TrainConfig
    data: Dataset
    loss: Loss
    model: MLP
    source: np.ndarray | None
    notes: list[str]


def plan(trainer: Any, new: TrainConfig, data: Dataset | None = None) -> Rebuild | None:
    """Check and prepare the structural part of ``trainer.config -> new`` (None if there is
    none); ``data`` replaces the training data (points drawn by hand). Raises ``ValueError``
    in one line with the trainer untouched."""
    old, model = trainer.config, trainer.model
    new_data = data is not None or _differ(old, new, DATA_KEYS)
    if not new_data and not _differ(old, new, NETWORK_KEYS):
        return None
    if data is None:
        data = trainer._load_dataset(new) if new_data else trainer.data
    loss = trainer._pick_loss(new, data)
    n_out = n_outputs(loss, data)
    if data.n_features != model.sizes[0]:
        raise ValueError(f"{data.name} has {data.n_features} input features but the network takes "
                         f"{model.sizes[0]}; start a new run for it")
    if n_out != model.sizes[-1] and new.loss == old.loss:
        raise ValueError(f"{data.name} needs {n_out} outputs but the network has {model.sizes[-1]}; "
                         f"start a new run for it")
    new = new.replace(activation=_activations(new.activation, len(new.hidden)))
    sizes = [model.sizes[0], *new.hidden, n_out]
    notes = []
    if new.init != old.init or new.bias_init != old.bias_init:
        fresh = MLP(sizes, new.activation, new.init, new.batchnorm, [new.seed, 3, trainer.step_count],
                    dtype=model.dtype, bias_init=new.bias_init)
        notes.append("re-initialised every weight; the optimizer starts afresh")
        return Rebuild(new, data, loss, fresh, None, notes)
    calibrate = data.X_train if new.batchnorm and not old.batchnorm else None
    shaped = reshape(model, sizes, new.activation, new.batchnorm, [new.seed, 3, trainer.step_count],
                     new.bias_init, calibrate)
    if sizes[-1] != model.sizes[-1]:
        notes.append(f"the output layer now has {sizes[-1]} outputs: the function changed")
    elif sizes != model.sizes or new.batchnorm != old.batchnorm:
        held_out = len(data.X_test) > 0
        notes.append(_function_note(model, shaped.model, data.X_test if held_out else data.X_train,
                                    "test set" if held_out else "training set"))
    return Rebuild(new, data, loss, shaped.model, shaped.source, notes)


def commit(trainer: Any, rebuild: Rebuild) -> None:
    """Swap a planned rebuild into ``trainer``; optimizer state follows the kept entries."""
    old_optimizer = trainer.optimizer
    trainer.config, trainer.loss = rebuild.config, rebuild.loss
    if rebuild.model is not trainer.model:
        trainer._bind_model(rebuild.model)
    trainer.optimizer = trainer._make_optimizer(rebuild.config)
    if rebuild.source is not None and old_optimizer.name == trainer.optimizer.name:
        state = old_optimizer.state_dict()
        state["arrays"] = {k: carry(rebuild.source, v) for k, v in state["arrays"].items()}
        trainer.optimizer.load_state_dict(state)
    if rebuild.data is not trainer.data:
        trainer.sampler.n, trainer.sampler.pos = len(rebuild.data.X_train), len(rebuild.data.X_train)
    trainer._bind_data(rebuild.data)


def conform(trainer: Any, config: TrainConfig, data: Dataset | None) -> None:
    """Give ``trainer`` the data, loss and network shape ``config`` describes (weights are
    left for the caller to load): ``data`` is a snapshot's dataset, None for the config's."""
    old = trainer.config
    if data is None:
        data = trainer.data if not _differ(old, config, DATA_KEYS) else trainer._load_dataset(config)
    loss = trainer._pick_loss(config, data)
    sizes = [data.n_features, *config.hidden, n_outputs(loss, data)]
    if sizes != trainer.model.sizes or config.batchnorm != trainer.model.batchnorm:
        trainer._bind_model(MLP(sizes, config.activation, config.init, config.batchnorm, config.seed,
                                dtype=trainer.model.dtype, bias_init=config.bias_init))
    trainer.loss = loss
    trainer.sampler.n = len(data.X_train)
    trainer._bind_data(data)


def n_outputs(loss: Loss, data: Dataset) -> int:
    """How many outputs a network needs for ``data`` under ``loss``."""
    if data.task != "classification":
        return int(data.y_train.shape[1])
    assert data.n_classes is not None  # a classification set counts its classes
    return loss.n_outputs(data.n_classes)


def differences(old: TrainConfig, new: TrainConfig) -> tuple[dict[str, Any], dict[str, Any]]:
    """The settings that differ between ``old`` and ``new``: (new values, old values), JSON-ready."""
    a, b = old.to_dict(), new.to_dict()
    keys = [k for k in a if a[k] != b[k]]
    return {k: b[k] for k in keys}, {k: a[k] for k in keys}


def describe(old: TrainConfig, new: TrainConfig, notes: list[str], data_name: str | None = None) -> str:
    """``hidden 16,16 -> 16,32 (function unchanged: ...)``: what changed, in one line.
    ``data_name``: the name of data held in memory that the run moved to (``dataset xor ->
    drawn``, not ``-> none``)."""
    def shown(key: str, config: TrainConfig) -> str:
        value = getattr(config, key)
        if key == "dataset" and value is None and config.data is None and data_name:
            return data_name
        return show_setting(key, value)

    parts = [f"{key} {shown(key, old)} -> {shown(key, new)}"
             for key in old.to_dict() if key != "schedule_start" and getattr(old, key) != getattr(new, key)]
    text = ", ".join(parts)
    return f"{text} ({'; '.join(notes)})" if notes else text


def show_setting(key: str, value: Any) -> str:
    """A setting's value as people write it: ``16,16``, ``full``, ``off``, ``0.01``."""
    if key == "hidden":
        return ",".join(map(str, value)) or "none"
    if key == "changes":
        return "; ".join(f"at step {e['step']} " + ", ".join(f"{k} {show_setting(k, v)}"
                                                         for k, v in e.items() if k != "step")
                         for e in value) or "none"
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value))
    if value is None:
        return {"batch_size": "full", "clip_mode": "off"}.get(key, "none")
    return f"{value:g}" if isinstance(value, float) else str(value)


def _differ(a: TrainConfig, b: TrainConfig, keys: tuple[str, ...]) -> bool:
    return any(getattr(a, k) != getattr(b, k) for k in keys)


def _activations(activation: str | Any, n_hidden: int) -> str | tuple[str, ...]:
    """Per-layer activations fitted to ``n_hidden`` layers: new layers repeat the last one."""
    if isinstance(activation, str):
        return activation
    names = list(activation)[:n_hidden]
    return tuple(names + [names[-1] if names else "relu"] * (n_hidden - len(names)))


@np.errstate(all="ignore")
def _function_note(old: MLP, new: MLP, X: np.ndarray, where: str) -> str:
    """How far the network's outputs moved (eval mode, on ``X``), in words."""
    change = float(np.max(np.abs(new.forward(X, train=False) - old.forward(X, train=False)), initial=0.0))
    if change < PRESERVED:
        return f"function unchanged: max output change {change:.1e}"
    return f"the function changed: max output change {change:.3g} on the {where}"
