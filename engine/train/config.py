"""TrainConfig: every knob of a training run, validated in one place.

The names it accepts come from the registries of their concepts (activations, losses and
init schemes in ``nn``, optimizers and clip modes in ``optim``); only dtypes are its own.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from gradtui.engine.nn.activations import ACTIVATIONS
from gradtui.engine.nn.init import INITS, parse_init
from gradtui.engine.nn.losses import LOSSES
from gradtui.engine.optim.clip import CLIP_MODES
from gradtui.engine.optim.optimizers import OPTIMIZERS
from gradtui.engine.optim.schedule import Schedule
from gradtui.engine.registry import check_name

__all__ = ["ACTIVATIONS", "CLIP_MODES", "DTYPES", "INITS", "LOSSES", "OPTIMIZERS", "TrainConfig",
           "parse_init", "validate"]  # the registries' names stay importable from here

DTYPES = ("float64", "float32")
"""The float types a run may compute in."""
MAX_SAMPLES = 1_000_000
"""The most samples a toy dataset may be asked for (``n_samples``)."""
MAX_HIDDEN_LAYERS = 1_000
"""The deepest network gradtui builds; deeper ones take minutes per step in Python loops."""
INIT_HEADROOM = 1e3
"""An init std or bias_init must stay this factor below the dtype's largest number."""


@dataclass
class TrainConfig:
    """A complete, serialisable description of a training run.

    ``loss=None`` picks cross-entropy for classification and MSE for regression.
    ``batch_size=None`` trains on the full batch. ``schedule`` and ``warmup`` shape the lr
    over the steps from ``schedule_start`` on (see ``gradtui.engine.optim.schedule``).
    ``dataset=None`` with ``data=None`` means the arrays were handed to
    ``Trainer.from_arrays``. ``blas_threads`` limits the engine's matrix products (see
    ``gradtui.engine.train.blas``); more than 1 may change the last bits of results with
    the machine's core count. ``changes`` plans changes of settings at given steps (see
    ``planned_changes``; the trainer applies them, ``gradtui.engine.train.replay``).
    """

    dataset: str | None = "spiral"
    data: str | None = None
    n_samples: int | None = None
    noise: float = 0.0
    test_fraction: float = 0.5
    hidden: tuple[int, ...] = (16, 16)
    activation: str | tuple[str, ...] = "relu"  # one name for every hidden layer, or one per layer (a list too)
    init: str = "he"
    bias_init: float | None = None
    batchnorm: bool = False
    loss: str | None = None
    optimizer: str = "adam"
    lr: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 0.0
    clip_mode: str | None = None
    clip: float = 1.0
    batch_size: int | None = 32
    schedule: str = "constant"
    warmup: int = 0
    schedule_start: int = 0
    seed: int = 0
    dtype: str = "float64"
    # Gradient-health thresholds (see README, "How gradtui decides a flag").
    explode_norm: float = 1e3
    explode_ratio: float = 1e3
    vanish_ratio: float = 1e-3
    dead_fraction: float = 0.5
    saturated_fraction: float = 0.5
    saturation_grad: float = 0.05
    probe_size: int = 256
    probe_every: int = 10
    # BLAS threads for the engine's matrix products; None leaves BLAS as the process has it.
    # 1 (the default) gives the same bits on any core count and never stalls behind a busy core.
    blas_threads: int | None = 1
    # Changes planned mid-run, applied by the trainer at their steps: ({"step": 120, "lr": 0.03}, ...).
    changes: tuple[dict[str, Any], ...] = ()

    def __post_init__(self) -> None:
        self.hidden = _sizes(self.hidden)
        for name in ("batch_size", "n_samples", "blas_threads"):
            if getattr(self, name) is not None:
                setattr(self, name, _whole(name, getattr(self, name)))
        for name in ("seed", "probe_size", "probe_every", "warmup", "schedule_start"):
            setattr(self, name, _whole(name, getattr(self, name)))
        if self.clip_mode in ("off", "none", ""):
            self.clip_mode = None
        validate(self)
        self.changes = planned_changes(self)

    def replace(self, **changes: Any) -> "TrainConfig":
        """A validated copy with ``changes`` applied."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (tuples become lists)."""
        out = dataclasses.asdict(self)
        out["hidden"] = list(self.hidden)
        out["changes"] = [dict(entry) for entry in self.changes]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainConfig":
        """Build from a dict, rejecting unknown keys with a message naming the valid ones."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(
                f"unknown config key {unknown[0]!r}; valid keys: {', '.join(sorted(known))}"
            )
        return cls(**data)


def _whole(name: str, value: Any) -> int:
    """``value`` as an int when it is a whole number (32 or 32.0), else a one-line ValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value \
            or value in (float("inf"), float("-inf")) or int(value) != value:
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    return int(value)


def _sizes(hidden: Any) -> tuple[int, ...]:
    """Hidden layer sizes as a tuple of ints; a bare number or text is a clear error."""
    if isinstance(hidden, (str, bytes)) or not hasattr(hidden, "__iter__"):
        raise ValueError(f"hidden must be a list of layer sizes such as (16, 16), got {hidden!r}")
    return tuple(_whole("hidden layer size", h) for h in hidden)


def _positive(name: str, value: Any, allow_zero: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        bound = "zero or more" if allow_zero else "greater than zero"
        raise ValueError(f"{name} must be {bound}, got {value!r}")


def _fraction(name: str, value: Any) -> None:
    _positive(name, value)
    if value > 1:
        raise ValueError(f"{name} is a fraction: it must be above 0 and at most 1, got {value!r}")


def _check_init_scale(cfg: TrainConfig) -> None:
    """The init std and ``bias_init`` must be finite and leave room below the dtype's largest
    number (``INIT_HEADROOM``), so the initial weights cannot be Inf."""
    limit = float(np.finfo(cfg.dtype).max) / INIT_HEADROOM
    _, std = parse_init(cfg.init)
    if std is not None and std > limit:
        raise ValueError(f"init {cfg.init!r}: the std must be at most {limit:.3g} for {cfg.dtype} "
                         "weights, or they start as Inf")
    bias = cfg.bias_init
    if bias is not None:
        if isinstance(bias, bool) or not isinstance(bias, (int, float)):
            raise ValueError(f"bias_init must be a number or none, got {bias!r}")
        if not abs(bias) <= limit:  # NaN fails too
            raise ValueError(f"bias_init must be finite and at most {limit:.3g} in size for "
                             f"{cfg.dtype} weights, got {bias!r}")


def validate(cfg: TrainConfig) -> None:
    """Raise ``ValueError`` with a one-line message for the first invalid field."""
    acts = (cfg.activation,) if isinstance(cfg.activation, str) else tuple(cfg.activation)
    for act in acts:
        check_name("activation", act, ACTIVATIONS)
    if cfg.loss is not None:
        check_name("loss", cfg.loss, LOSSES)
    check_name("optimizer", cfg.optimizer, OPTIMIZERS)
    check_name("dtype", cfg.dtype, DTYPES)
    check_name("clip mode", cfg.clip_mode, CLIP_MODES)
    parse_init(cfg.init)
    if cfg.schedule_start < 0:
        raise ValueError(f"schedule_start must be zero or more, got {cfg.schedule_start}")
    Schedule.parse(cfg.schedule, cfg.warmup, cfg.schedule_start)
    if not cfg.hidden and cfg.batchnorm:
        raise ValueError("batchnorm needs at least one hidden layer")
    for h in cfg.hidden:
        if h < 1:
            raise ValueError(f"hidden layer sizes must be at least 1, got {h}")
    _positive("lr", cfg.lr)
    _positive("momentum", cfg.momentum, allow_zero=True)
    if cfg.momentum >= 1:
        raise ValueError(f"momentum must be below 1, got {cfg.momentum}")
    _positive("weight_decay", cfg.weight_decay, allow_zero=True)
    _positive("clip", cfg.clip)
    _positive("noise", cfg.noise, allow_zero=True)
    if not 0 <= cfg.test_fraction < 1:
        raise ValueError(f"test_fraction must be in [0, 1), got {cfg.test_fraction}")
    if cfg.seed < 0:
        raise ValueError(f"seed must be zero or more, got {cfg.seed}")
    if cfg.batch_size is not None:
        if cfg.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1 (or none for the full batch), got {cfg.batch_size}")
        if cfg.batchnorm and cfg.batch_size < 2:
            raise ValueError("batch norm needs a batch_size of at least 2")
    if cfg.n_samples is not None and not 4 <= cfg.n_samples <= MAX_SAMPLES:
        raise ValueError(f"n_samples must be from 4 to {MAX_SAMPLES:,}, got {cfg.n_samples}")
    if len(cfg.hidden) > MAX_HIDDEN_LAYERS:
        raise ValueError(f"{len(cfg.hidden):,} hidden layers; gradtui trains up to {MAX_HIDDEN_LAYERS}")
    for name in ("explode_norm", "explode_ratio", "vanish_ratio"):
        _positive(name, getattr(cfg, name))
    if cfg.blas_threads is not None and cfg.blas_threads < 1:
        raise ValueError(f"blas_threads must be at least 1 (or none to leave BLAS as it is), "
                         f"got {cfg.blas_threads}")
    for name in ("dead_fraction", "saturated_fraction", "saturation_grad"):
        _fraction(name, getattr(cfg, name))
    _check_init_scale(cfg)
    if cfg.probe_size < 1 or cfg.probe_every < 1:
        raise ValueError("probe_size and probe_every must be at least 1")


NOT_PLANNED = ("seed", "dtype", "changes")
"""Settings a planned change may not set: they define the run itself."""


def planned_changes(cfg: TrainConfig) -> tuple[dict[str, Any], ...]:
    """``cfg.changes`` checked and in order of step: each entry a dict with a whole ``step``
    (0 or more: applied after that many updates, before the next) and the settings it sets,
    each valid where it applies. Lists become tuples. Raises a one-line ``ValueError``."""
    if not cfg.changes:
        return ()
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    entries = []
    for entry in cfg.changes:
        if not isinstance(entry, dict) or "step" not in entry:
            raise ValueError(f"changes: each entry needs a step and settings, like "
                             f"{{step = 100, lr = 0.03}}; got {entry!r}")
        step = _whole("changes: step", entry["step"])
        if step < 0:
            raise ValueError(f"changes: step must be zero or more, got {step}")
        settings = {k: tuple(v) if isinstance(v, list) else v for k, v in entry.items() if k != "step"}
        if not settings:
            raise ValueError(f"changes at step {step}: no setting to change")
        for key in settings:
            if key not in fields or key in NOT_PLANNED:
                raise ValueError(f"changes at step {step}: {key!r} cannot be changed mid-run")
        entries.append({"step": step, **settings})
    entries.sort(key=lambda e: e["step"])
    probe = dataclasses.replace(cfg, changes=())
    for entry in entries:  # each change must be valid on top of the ones before it
        try:
            probe = dataclasses.replace(probe, **{k: v for k, v in entry.items() if k != "step"})
        except (TypeError, ValueError) as exc:
            raise ValueError(f"changes at step {entry['step']}: {exc}") from None
    return tuple(entries)
