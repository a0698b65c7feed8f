"""From command-line arguments to something to train: the settings flags, TOML configs,
``prepare`` and the one-line ``UsageError``, shared by every ``gradtui`` command.

Settings combine in priority order: the scenario's config, then ``--config FILE.toml``,
then explicit flags. ``--load CKPT`` restores a checkpoint instead; flags then change
it the way the app's controls do (``Trainer.update``).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import sys
import types
import typing
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

from gradtui.engine import (ACTIVATIONS, CLIP_MODES, DATASETS, INITS, LOSSES, OPTIMIZERS, Descent, Scenario,
                            TrainConfig, Trainer, get_objective, get_scenario)
from gradtui.engine.textsafe import visible
from gradtui.engine.train.changes import show_setting

DEFAULT_STEPS = 1000

SETTINGS = ("dataset", "data", "noise", "n_samples", "test_fraction", "hidden", "activation", "loss",
            "optimizer", "lr", "momentum", "weight_decay", "schedule", "warmup", "clip", "clip_mode",
            "batch_size", "init", "bias_init", "batchnorm", "seed")
"""TrainConfig fields that have a flag of their own (``--clip-mode`` sets ``clip_mode``)."""

CALCULUS_SETTINGS = ("optimizer", "lr", "momentum")
"""The flags that apply to a calculus scenario's descent."""


class UsageError(Exception):
    """A user mistake: ``main`` prints it as one line on stderr and exits with ``exit_code``."""

    exit_code = 2


class Parser(argparse.ArgumentParser):
    """argparse, but its errors become one-line ``UsageError``s instead of usage + exit."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_abbrev=False, **kwargs)

    def error(self, message: str) -> typing.NoReturn:
        raise UsageError(f"{message} (see {self.prog} --help)")


# --- flag value types -------------------------------------------------------------------

def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def whole_or_zero(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number of 0 or more, got {text!r}")
    return value


def parse_hidden(text: str) -> tuple[int, ...]:
    """``"16,16"`` -> (16, 16); ``""`` -> () (no hidden layer). Sizes must be at least 1."""
    if not text.strip():
        return ()
    sizes = []
    for part in text.split(","):
        try:
            size = int(part)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected comma-separated layer sizes like 16,16 (or '' for none), got {text!r}"
            ) from None
        if size < 1:
            raise argparse.ArgumentTypeError(
                f"hidden layer sizes must be at least 1, got {size} in {text!r}; "
                "use --hidden '' for no hidden layer")
        sizes.append(size)
    return tuple(sizes)


def _batch_size(text: str) -> int | None:
    if text == "full":
        return None
    try:
        return count(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1 or 'full', "
                                         f"got {text!r}") from None


# --- parsers -----------------------------------------------------------------------------

def one_of(names: Iterable[str | None]) -> str:
    """A registry's names for a flag's help: "a, b or c" (None, an optional setting's off, as off)."""
    *head, last = ["off" if name is None else name for name in names]
    return f"{', '.join(head)} or {last}" if head else last


def add_settings(parser: argparse.ArgumentParser) -> None:
    """The flags shared by the app and ``run``; a flag left out keeps the lower-priority value."""
    s = argparse.SUPPRESS
    g = parser.add_argument_group("what to train (scenario < --config < flags)")
    g.add_argument("--scenario", default=s, metavar="NAME", help="a named scenario (gradtui list)")
    g.add_argument("--config", default=s, metavar="FILE.toml", help="TrainConfig keys in TOML")
    g.add_argument("--load", default=s, metavar="CHECKPOINT", help="continue a saved run")
    g.add_argument("--dataset", default=s, metavar="NAME", help=one_of(DATASETS))
    g.add_argument("--data", default=s, metavar="PATH",
                   help="MNIST IDX folder, Keras-style .npz, or .csv (label in the last column)")
    g.add_argument("--noise", default=s, type=_number, metavar="X", help="label noise of a toy dataset")
    g.add_argument("--n-samples", default=s, type=count, metavar="N", help="points in a toy dataset")
    g.add_argument("--test-fraction", default=s, type=_number, metavar="F",
                   help="share of the data held out for testing, 0 to below 1")
    g.add_argument("--hidden", default=s, type=parse_hidden, metavar="SIZES",
                   help="hidden layer sizes, e.g. 16,16; '' for none")
    g.add_argument("--activation", default=s, metavar="NAME", help=one_of(ACTIVATIONS))
    g.add_argument("--loss", default=s, metavar="NAME", help=one_of(LOSSES))
    g.add_argument("--init", default=s, metavar="SCHEME", help=one_of(INITS))
    g.add_argument("--bias-init", default=s, type=_number, metavar="X",
                   help="every bias starts at X (default: the init scheme's)")
    g.add_argument("--batchnorm", default=s, action=argparse.BooleanOptionalAction)
    g.add_argument("--optimizer", default=s, metavar="NAME", help=one_of(OPTIMIZERS))
    g.add_argument("--lr", default=s, type=_number, metavar="RATE")
    g.add_argument("--momentum", default=s, type=_number, metavar="BETA")
    g.add_argument("--weight-decay", default=s, type=_number, metavar="X")
    g.add_argument("--schedule", default=s, metavar="SPEC",
                   help="lr schedule: constant, step:FACTOR:EVERY or cosine:STEPS:FLOOR")
    g.add_argument("--warmup", default=s, type=whole_or_zero, metavar="N", help="linear lr warm-up steps")
    g.add_argument("--clip", default=s, type=_number, metavar="LIMIT")
    g.add_argument("--clip-mode", default=s, metavar="MODE", help=one_of(CLIP_MODES))
    g.add_argument("--batch-size", default=s, type=_batch_size, metavar="N",
                   help="a number, or 'full' for full-batch")
    g.add_argument("--seed", default=s, type=whole_or_zero, metavar="N")



# --- TOML configs ---------------------------------------------------------------------------

_FIELD_TYPES = typing.get_type_hints(TrainConfig)
_TYPE_WORDS = {int: "a whole number", float: "a number", str: "a string", bool: "true or false"}


def _matches(value: Any, hint: Any) -> bool:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return any(_matches(value, h) for h in typing.get_args(hint))
    if typing.get_origin(hint) is tuple:
        return isinstance(value, list) and all(_matches(v, typing.get_args(hint)[0]) for v in value)
    if hint is type(None):
        return value is None
    if isinstance(value, bool):
        return hint is bool
    if hint is int and isinstance(value, float):  # 1e6 is a whole number; TrainConfig says so
        return value.is_integer()
    return isinstance(value, (int, float)) if hint is float else isinstance(value, hint)


def _describe(hint: Any) -> str:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return " or ".join(_describe(h) for h in typing.get_args(hint) if h is not type(None))
    if typing.get_origin(hint) is tuple:
        return "a list of names" if typing.get_args(hint)[0] is str else "a list of whole numbers"
    return _TYPE_WORDS.get(hint, getattr(hint, "__name__", str(hint)))


def read_toml(path: str) -> dict[str, Any]:
    """TrainConfig keys from a TOML file, type-checked; ``hidden`` may also be "16,16",
    ``batch_size`` "full", any optional setting "none", and ``changes`` a list of tables
    such as ``{step = 100, lr = 0.03}``. Raises UsageError naming the file and the fault."""
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise UsageError(f"config file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise UsageError(f"cannot read config file {path}: {reason}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: malformed TOML: {exc}") from None
    values = {key: _toml_setting(path, key, value) for key, value in data.items() if key != "changes"}
    if "changes" in data:
        values["changes"] = _toml_changes(path, data["changes"])
    return values


def parse_change(text: str) -> tuple[str, Any]:
    """``"clip_mode=norm"`` -> ("clip_mode", "norm"): a TrainConfig key (dashes allowed) and a
    value read by the key's type (``none``/``off``/``full`` for an optional one, ``16,16`` for
    ``hidden``). Raises UsageError naming the fault; the value's range is TrainConfig's to check."""
    key, sep, value = text.partition("=")
    key = key.strip().replace("-", "_")
    if not sep or not key:
        raise UsageError(f"--change {text!r}: expected KEY=VALUE, e.g. --change clip_mode=norm")
    if key not in _FIELD_TYPES or key == "changes":
        raise UsageError(f"--change {text}: unknown setting {key!r}; valid keys: {', '.join(sorted(_FIELD_TYPES))}")
    hint = _FIELD_TYPES[key]
    options = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
    value = value.strip()
    if type(None) in options and value.lower() in ("none", "off", "full"):
        return key, None
    for option in options:
        try:
            return key, _read_as(option, value)
        except ValueError:
            continue
    raise UsageError(f"--change {text}: {key} must be {_describe(hint)}, got {value!r}")


def _read_as(hint: Any, text: str) -> Any:
    """``text`` as a value of type ``hint``; ValueError when it is not one."""
    if hint is bool:
        words = {"true": True, "yes": True, "on": True, "false": False, "no": False}
        if text.lower() not in words:
            raise ValueError(text)
        return words[text.lower()]
    if hint is int or hint is float:
        return hint(text)
    if typing.get_origin(hint) is tuple:
        try:
            return parse_hidden(text)
        except argparse.ArgumentTypeError:
            raise ValueError(text) from None
    if hint is str and text:
        return text
    raise ValueError(text)


def _toml_setting(where: str, key: str, value: Any) -> Any:
    """One TOML value as the TrainConfig field ``key`` takes it, or a UsageError."""
    if key not in _FIELD_TYPES or key == "changes":
        valid = ", ".join(sorted(_FIELD_TYPES))
        raise UsageError(f"{where}: unknown key {key!r}; valid keys: {valid}")
    hint = _FIELD_TYPES[key]
    try:
        if key == "hidden" and isinstance(value, str):
            value = list(parse_hidden(value))
    except argparse.ArgumentTypeError as exc:
        raise UsageError(f"{where}: hidden: {exc}") from None
    if key == "batch_size" and value == "full":
        value = None
    if value == "none" and _matches(None, hint):
        value = None
    if key == "activation" and isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value  # one activation per hidden layer
    if not _matches(value, hint):
        raise UsageError(f"{where}: {key} must be {_describe(hint)}, got {value!r}")
    return value


def _toml_changes(path: str, entries: Any) -> list[dict[str, Any]]:
    """``changes = [{step = 100, lr = 0.03}, ...]``: each entry's settings checked like the file's."""
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise UsageError(f"{path}: changes must be a list of tables like {{step = 100, lr = 0.03}}")
    checked = []
    for entry in entries:
        step = entry.get("step")
        if isinstance(step, bool) or not isinstance(step, int) or step < 0:
            raise UsageError(f"{path}: changes: every entry needs a step of 0 or more, got {entry!r}")
        where = f"{path}: changes at step {step}"
        checked.append({"step": step, **{k: _toml_setting(where, k, v) for k, v in entry.items()
                                         if k != "step"}})
    return checked


# --- from arguments to something to train -----------------------------------------------------

@contextmanager
def as_usage_error(prefix: str = "") -> Iterator[None]:
    """Engine ValueErrors (bad names and values, DataError, CheckpointError) are user errors."""
    try:
        yield
    except ValueError as exc:
        raise UsageError(f"{prefix}{exc}") from None


def flag_name(key: str) -> str:
    return "--" + key.replace("_", "-")


def _given(args: argparse.Namespace) -> dict[str, Any]:
    """The settings flags given explicitly, as TrainConfig keys."""
    return {k: getattr(args, k) for k in SETTINGS if hasattr(args, k)}


@dataclass
class Prepared:
    """What the arguments describe: a scenario and either a trainer or (calculus) a descent.

    ``rebuild``, when set, builds the run afresh as launched (the app's "Restart scenario");
    without it the app rebuilds a network run from ``scenario.config``."""

    scenario: Scenario
    trainer: Trainer | None = None
    descent: Descent | None = None
    rebuild: Callable[[], Trainer] | None = None


def prepare(args: argparse.Namespace) -> Prepared:
    """Build the trainer (or descent) the arguments ask for, exactly as the app and ``run`` use it."""
    if hasattr(args, "load"):
        return _prepare_checkpoint(args)
    with as_usage_error():
        scenario = get_scenario(getattr(args, "scenario", "default"))
    if scenario.objective is not None:  # a calculus scenario
        return _prepare_descent(args, scenario, scenario.objective)
    config = scenario.config
    assert config is not None  # a scenario is an objective or a network config
    if hasattr(args, "config"):
        values = _one_data_source(read_toml(args.config), f"{args.config}: give dataset or data, not both")
        with as_usage_error(f"{args.config}: "):
            config = config.replace(**values)
    flags = _one_data_source(_given(args), "give --dataset or --data, not both")
    with as_usage_error():
        config = config.replace(**flags)
        trainer = Trainer(config)
    return Prepared(as_launched(scenario, config), trainer=trainer)


def prepare_app(args: argparse.Namespace) -> Prepared:
    """``prepare`` for the app, which changes a calculus run's settings on its own screen."""
    prepared = prepare(args)
    if prepared.scenario.is_calculus:
        given = [k for k in CALCULUS_SETTINGS if hasattr(args, k)]
        if given:
            raise UsageError(f"{flag_name(given[0])} applies to calculus scenarios in 'gradtui run'; "
                             "in the app, change it on the calculus screen")
    return prepared


def _one_data_source(values: dict[str, Any], both: str) -> dict[str, Any]:
    """``values`` naming a dataset or a data path clear the other one, which a lower-priority
    source may have set; naming both (neither "none") is the mistake ``both``."""
    if values.get("dataset") is not None and values.get("data") is not None:
        raise UsageError(both)
    if values.get("data") is not None:
        return {**values, "dataset": None}
    if values.get("dataset") is not None:
        return {**values, "data": None}
    return values


def _listed(settings: Iterable[tuple[str, Any]]) -> str:
    """``hidden none, lr 0.1``: settings as a story names them."""
    return ", ".join(f"{key} {show_setting(key, value)}" for key, value in settings)


def as_launched(scenario: Scenario, config: TrainConfig) -> Scenario:
    """``scenario`` if ``config`` is its own; else ``<name>-modified``, whose story lists the
    changed settings and which has no hint: the original story and hint may no longer hold."""
    if config == scenario.config:
        return scenario
    changed = [(f.name, getattr(config, f.name)) for f in dataclasses.fields(TrainConfig)
               if getattr(config, f.name) != getattr(scenario.config, f.name)]
    return Scenario(f"{scenario.name}-modified",
                    f"The {scenario.name} scenario, changed at launch: {_listed(changed)}.", "", config)


def checkpoint_name(path: str) -> str:
    """A loaded run's name, ``checkpoint-<file stem>``: safe inside a file name, since the
    app's ``w`` names its checkpoints after the run."""
    return "checkpoint-" + re.sub(r"[^A-Za-z0-9_.-]+", "-", Path(path).stem)[:40]


def _reload(path: str, changes: dict[str, Any]) -> Trainer:
    """The checkpoint at ``path`` again, with the launch flags applied (Restart scenario)."""
    trainer = Trainer.load(path)
    trainer.update(**changes)
    return trainer


def _prepare_checkpoint(args: argparse.Namespace) -> Prepared:
    for other in ("scenario", "config"):
        if hasattr(args, other):
            raise UsageError(f"--load restores a whole run; it cannot be combined with --{other}")
    changes = _given(args)
    with as_usage_error():
        trainer = Trainer.load(args.load)
    with as_usage_error("--load: "):
        trainer.update(**changes)
    story = f"Restored from {args.load} at step {trainer.step_count}"
    story += f", changed at launch: {_listed(changes.items())}." if changes else "."
    hint = "" if changes else ("Continue where it left off: every number matches the run "
                               "that saved it.")
    scenario = Scenario(checkpoint_name(args.load), story, hint, trainer.config)
    return Prepared(scenario, trainer=trainer, rebuild=partial(_reload, args.load, changes))


def _prepare_descent(args: argparse.Namespace, scenario: Scenario, objective: str) -> Prepared:
    stray = [k for k in (*SETTINGS, "config") if hasattr(args, k) and k not in CALCULUS_SETTINGS]
    if stray:
        raise UsageError(f"{flag_name(stray[0])} does not apply to the calculus scenario "
                         f"{scenario.name!r}; calculus runs take --optimizer, --lr and --momentum")
    momentum = getattr(args, "momentum", 0.9)
    if not 0 <= momentum < 1:
        raise UsageError(f"momentum must be at least 0 and below 1, got {momentum}")
    with as_usage_error():
        descent = Descent(get_objective(objective), getattr(args, "optimizer", "sgd"),
                          getattr(args, "lr", None), momentum=momentum)
    if any(hasattr(args, k) for k in CALCULUS_SETTINGS):  # the question is about the default run
        scenario = dataclasses.replace(scenario, prediction=None)
    return Prepared(scenario, descent=descent)


def describe_run(prepared: Prepared) -> str:
    """The run in one line for stdout; the data's name shown printable (``visible``)."""
    if prepared.descent is not None:
        d = prepared.descent
        start = " ".join(repr(float(v)) for v in d.start)
        return f"{d.objective.name}: {d.optimizer_name} lr {d.lr!r} from x = {start}"
    t = prepared.trainer
    assert t is not None  # no descent: a network run
    c = t.config
    act = c.activation if isinstance(c.activation, str) else ",".join(c.activation)
    task = f"{t.data.n_classes} classes" if t.is_classification else "regression"
    return (f"{prepared.scenario.name}: {visible(t.data.name)} ({task}), {t.model.architecture} {act}, "
            f"{c.optimizer} lr {t.optimizer.lr:g}, batch {c.batch_size or 'full'}, seed {c.seed}, "
            f"from step {t.step_count}")

