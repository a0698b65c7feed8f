"""The ``gradtui`` command line: open the app, run headless, list what exists.

    gradtui [--scenario NAME] [settings]                  open the app
    gradtui run [settings] --steps N [--every K] [--out FILE.jsonl|.csv] [--save CKPT]
    gradtui list                                          scenarios, datasets, choices
    gradtui --version

Settings combine in priority order: the scenario's config, then ``--config FILE.toml``,
then explicit flags. ``--load CKPT`` restores a checkpoint instead; flags then change
it the way the app's controls do (``Trainer.update``). Every user mistake ends in one
line on stderr and exit code 2, never a traceback. ``run`` and ``list`` never import
Textual; only opening the app does.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import math
import os
import re
import sys
import time
import types
import typing
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO, Any, Callable, Iterable, Iterator, Sequence

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

from gradtui import __version__
from gradtui.engine import (DATASETS, OBJECTIVES, SCENARIOS, Descent, Scenario, TrainConfig,
                            Trainer, get_objective, get_scenario)
from gradtui.engine.train.config import ACTIVATIONS, CLIP_MODES, INITS, LOSSES, OPTIMIZERS
from gradtui.engine.train.runner import Row, run_descent, run_trainer

from gradtui.tui.cli.export import NETWORK_COLUMNS, Table, check_format, descent_columns, open_writer

TABLE_ROWS = 20
"""About how many rows the stdout table of ``gradtui run`` shows."""

DEFAULT_STEPS = 1000

SETTINGS = ("dataset", "data", "hidden", "activation", "loss", "optimizer", "lr", "momentum",
            "clip", "clip_mode", "batch_size", "init", "batchnorm", "seed")
"""TrainConfig fields that have a flag of their own (``--clip-mode`` sets ``clip_mode``)."""

CALCULUS_SETTINGS = ("optimizer", "lr", "momentum")
"""The flags that apply to a calculus scenario's descent."""


class UsageError(Exception):
    """A user mistake: ``main`` prints it as one line on stderr and exits with code 2."""


class _Parser(argparse.ArgumentParser):
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


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def _seed(text: str) -> int:
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
        return _count(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1 or 'full', "
                                         f"got {text!r}") from None


# --- parsers -----------------------------------------------------------------------------

def _add_settings(parser: argparse.ArgumentParser) -> None:
    """The flags shared by the app and ``run``; a flag left out keeps the lower-priority value."""
    s = argparse.SUPPRESS
    g = parser.add_argument_group("what to train (scenario < --config < flags)")
    g.add_argument("--scenario", default=s, metavar="NAME", help="a named scenario (gradtui list)")
    g.add_argument("--config", default=s, metavar="FILE.toml", help="TrainConfig keys in TOML")
    g.add_argument("--load", default=s, metavar="CHECKPOINT", help="continue a saved run")
    g.add_argument("--dataset", default=s, metavar="NAME", help="a toy dataset or digits")
    g.add_argument("--data", default=s, metavar="PATH",
                   help="MNIST IDX folder, Keras-style .npz, or .csv (label in the last column)")
    g.add_argument("--hidden", default=s, type=parse_hidden, metavar="SIZES",
                   help="hidden layer sizes, e.g. 16,16; '' for none")
    g.add_argument("--activation", default=s, metavar="NAME")
    g.add_argument("--loss", default=s, metavar="NAME")
    g.add_argument("--init", default=s, metavar="SCHEME", help="he, xavier, torch or normal:STD")
    g.add_argument("--batchnorm", default=s, action=argparse.BooleanOptionalAction)
    g.add_argument("--optimizer", default=s, metavar="NAME")
    g.add_argument("--lr", default=s, type=_number, metavar="RATE")
    g.add_argument("--momentum", default=s, type=_number, metavar="BETA")
    g.add_argument("--clip", default=s, type=_number, metavar="LIMIT")
    g.add_argument("--clip-mode", default=s, metavar="MODE", help="off, norm or value")
    g.add_argument("--batch-size", default=s, type=_batch_size, metavar="N",
                   help="a number, or 'full' for full-batch")
    g.add_argument("--seed", default=s, type=_seed, metavar="N")


def build_parsers() -> dict[str, argparse.ArgumentParser]:
    """The parsers for the app (``gradtui``), ``gradtui run`` and ``gradtui list``."""
    app = _Parser(prog="gradtui", description="Watch gradients flow, explode, vanish and die.",
                  epilog="commands: 'gradtui run --help' trains headless; 'gradtui list' shows "
                         "scenarios, datasets and choices.")
    app.add_argument("--version", action="version", version=f"gradtui {__version__}")
    _add_settings(app)
    run = _Parser(prog="gradtui run", description="Train headless; print a table and a summary.")
    _add_settings(run)
    g = run.add_argument_group("the run")
    g.add_argument("--steps", type=_count, default=DEFAULT_STEPS, metavar="N",
                   help=f"steps to take (default {DEFAULT_STEPS})")
    g.add_argument("--every", type=_count, default=1, metavar="K",
                   help="write a row to --out every K steps (default 1)")
    g.add_argument("--out", metavar="FILE", help="rows as JSON Lines (.jsonl) or CSV (.csv)")
    g.add_argument("--save", metavar="CHECKPOINT", help="save the run at the end")
    lister = _Parser(prog="gradtui list", description="List scenarios, datasets and choices.")
    return {"app": app, "run": run, "list": lister}


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
    return isinstance(value, (int, float)) if hint is float else isinstance(value, hint)


def _describe(hint: Any) -> str:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return " or ".join(_describe(h) for h in typing.get_args(hint) if h is not type(None))
    if typing.get_origin(hint) is tuple:
        return "a list of whole numbers"
    return _TYPE_WORDS.get(hint, getattr(hint, "__name__", str(hint)))


def read_toml(path: str) -> dict[str, Any]:
    """TrainConfig keys from a TOML file, type-checked; ``hidden`` may also be "16,16"
    and ``batch_size`` "full". Raises UsageError naming the file and the fault."""
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
    values = {}
    for key, value in data.items():
        if key not in _FIELD_TYPES:
            raise UsageError(f"{path}: unknown key {key!r}; valid keys: {', '.join(sorted(_FIELD_TYPES))}")
        try:
            if key == "hidden" and isinstance(value, str):
                value = list(parse_hidden(value))
        except argparse.ArgumentTypeError as exc:
            raise UsageError(f"{path}: hidden: {exc}") from None
        if key == "batch_size" and value == "full":
            value = None
        if not _matches(value, _FIELD_TYPES[key]):
            raise UsageError(f"{path}: {key} must be {_describe(_FIELD_TYPES[key])}, got {value!r}")
        values[key] = value
    return values


# --- from arguments to something to train -----------------------------------------------------

@contextmanager
def _as_usage_error(prefix: str = "") -> Iterator[None]:
    """Engine ValueErrors (bad names and values, DataError, CheckpointError) are user errors."""
    try:
        yield
    except ValueError as exc:
        raise UsageError(f"{prefix}{exc}") from None


def _flag(key: str) -> str:
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
    with _as_usage_error():
        scenario = get_scenario(getattr(args, "scenario", "default"))
    if scenario.is_calculus:
        return _prepare_descent(args, scenario)
    config = scenario.config
    if hasattr(args, "config"):
        with _as_usage_error(f"{args.config}: "):
            config = config.replace(**read_toml(args.config))
    flags = _given(args)
    if "dataset" in flags and "data" in flags:
        raise UsageError("give --dataset or --data, not both")
    if "data" in flags:
        flags["dataset"] = None
    elif "dataset" in flags:
        flags["data"] = None
    with _as_usage_error():
        config = config.replace(**flags)
        trainer = Trainer(config)
    return Prepared(as_launched(scenario, config), trainer=trainer)


def _listed(settings: Iterable[tuple[str, Any]]) -> str:
    """``hidden none, lr 0.1``: settings as a story names them."""
    return ", ".join(f"{key} {_show_setting(key, value)}" for key, value in settings)


def _show_setting(key: str, value: Any) -> str:
    if key == "hidden":
        return ",".join(map(str, value)) or "none"
    if key == "activation" and not isinstance(value, str):
        return ",".join(value)
    if value is None:
        return {"batch_size": "full", "clip_mode": "off"}.get(key, "none")
    return f"{value:g}" if isinstance(value, float) else str(value)


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
    with _as_usage_error():
        trainer = Trainer.load(args.load)
    with _as_usage_error("--load: "):
        trainer.update(**changes)
    story = f"Restored from {args.load} at step {trainer.step_count}"
    story += f", changed at launch: {_listed(changes.items())}." if changes else "."
    hint = "" if changes else ("Continue where it left off: every number matches the run "
                               "that saved it.")
    scenario = Scenario(checkpoint_name(args.load), story, hint, trainer.config)
    return Prepared(scenario, trainer=trainer, rebuild=partial(_reload, args.load, changes))


def _prepare_descent(args: argparse.Namespace, scenario: Scenario) -> Prepared:
    stray = [k for k in (*SETTINGS, "config") if hasattr(args, k) and k not in CALCULUS_SETTINGS]
    if stray:
        raise UsageError(f"{_flag(stray[0])} does not apply to the calculus scenario "
                         f"{scenario.name!r}; calculus runs take --optimizer, --lr and --momentum")
    momentum = getattr(args, "momentum", 0.9)
    if not 0 <= momentum < 1:
        raise UsageError(f"momentum must be at least 0 and below 1, got {momentum}")
    with _as_usage_error():
        descent = Descent(get_objective(scenario.objective), getattr(args, "optimizer", "sgd"),
                          getattr(args, "lr", None), momentum=momentum)
    return Prepared(scenario, descent=descent)


# --- commands -----------------------------------------------------------------------------

def _open_app(args: argparse.Namespace) -> int:
    prepared = prepare(args)
    if prepared.scenario.is_calculus:
        given = [k for k in CALCULUS_SETTINGS if hasattr(args, k)]
        if given:
            raise UsageError(f"{_flag(given[0])} applies to calculus scenarios in 'gradtui run'; "
                             "in the app, change it on the calculus screen")
    from .app import GradtuiApp  # imported here: only the app needs Textual

    GradtuiApp(trainer=prepared.trainer, scenario=prepared.scenario, rebuild=prepared.rebuild).run()
    return 0


def _check_writable(path: str, flag: str) -> None:
    folder = Path(path).resolve().parent
    if Path(path).is_dir():
        raise UsageError(f"{flag} {path}: is a folder; give a file name")
    if not folder.is_dir():
        raise UsageError(f"{flag} {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise UsageError(f"{flag} {path}: folder {folder} is not writable")


def table_every(steps: int, every: int) -> int:
    """The table's row interval: the smallest multiple of ``every`` giving at most about
    ``TABLE_ROWS`` rows, so every table row is also a row of the ``--out`` file."""
    return every * max(1, math.ceil(steps / TABLE_ROWS / every))


class _ProgressBar:
    """``[#####.....] 120/2000`` on stderr, redrawn at most ten times a second."""

    WIDTH = 30

    def __init__(self, total: int, stream: IO[str]) -> None:
        self.total, self.stream = total, stream
        self._drawn = -math.inf

    def __call__(self, done: int) -> None:
        now = time.monotonic()
        if done < self.total and now - self._drawn < 0.1:
            return
        self._drawn = now
        filled = self.WIDTH * done // self.total
        self.stream.write(f"\r[{'#' * filled}{'.' * (self.WIDTH - filled)}] {done}/{self.total}")
        self.stream.flush()

    def clear(self) -> None:
        self.stream.write("\r" + " " * (self.WIDTH + 26) + "\r")
        self.stream.flush()
        self._drawn = -math.inf


def _describe_run(prepared: Prepared) -> str:
    if prepared.descent is not None:
        d = prepared.descent
        start = " ".join(repr(float(v)) for v in d.start)
        return f"{d.objective.name}: {d.optimizer_name} lr {d.lr!r} from x = {start}"
    t = prepared.trainer
    c = t.config
    act = c.activation if isinstance(c.activation, str) else ",".join(c.activation)
    return (f"{prepared.scenario.name}: {t.data.name}, {t.model.architecture} {act}, "
            f"{c.optimizer} lr {t.optimizer.lr:g}, batch {c.batch_size or 'full'}, seed {c.seed}, "
            f"from step {t.step_count}")


def _run(args: argparse.Namespace) -> int:
    if args.out is not None:
        with _as_usage_error():
            check_format(args.out)
    for path, flag in ((args.out, "--out"), (args.save, "--save")):
        if path is not None:
            _check_writable(path, flag)
    prepared = prepare(args)
    if prepared.descent is not None and args.save:
        raise UsageError("--save writes network checkpoints; a calculus run has none")
    columns = (NETWORK_COLUMNS if prepared.descent is None
               else descent_columns(prepared.descent.objective.dim))
    table = Table(columns, sys.stdout)
    interval = table_every(args.steps, args.every)
    bar = _ProgressBar(args.steps, sys.stderr) if sys.stderr.isatty() else None
    stream, writer = None, None
    if args.out is not None:
        try:
            stream, writer = open_writer(args.out)
        except OSError as exc:
            raise UsageError(f"--out {args.out}: {exc.strerror or exc}") from None
    shown_step: int | None = None
    last_row: Row | None = None

    def sink(row: Row) -> None:
        nonlocal shown_step, last_row
        if writer is not None:
            writer.write(row)
        if row["step"] % interval == 0:
            if bar is not None:
                bar.clear()
            table.write(row)
            shown_step = row["step"]
        last_row = row

    print(_describe_run(prepared))
    table.header()
    every = args.every if writer is not None else interval
    try:
        if prepared.descent is None:
            summary = run_trainer(prepared.trainer, args.steps, every, sink, bar)
        else:
            summary = run_descent(prepared.descent, args.steps, every, sink, bar)
    finally:
        if stream is not None:
            stream.close()
        if bar is not None:
            bar.clear()
    if last_row is not None and last_row["step"] != shown_step:
        table.write(last_row)
    print("\n" + "\n".join(summary.lines()))
    if args.save:
        try:
            prepared.trainer.save(args.save)
        except OSError as exc:
            raise UsageError(f"--save {args.save}: {exc.strerror or exc}") from None
        print(f"saved checkpoint {args.save} at step {prepared.trainer.step_count}")
    return 0


def _list(args: argparse.Namespace) -> int:
    lines = ["scenarios:"]
    width = max(map(len, SCENARIOS))
    for s in SCENARIOS.values():
        kind = "calculus" if s.is_calculus else "network"
        lines.append(f"  {s.name:<{width}}  [{kind}] {s.story}")
    digits_note = "" if importlib.util.find_spec("sklearn") else " (needs pip install 'gradtui[digits]')"
    lines += [
        "datasets: " + ", ".join(DATASETS) + digits_note,
        "activations: " + ", ".join(ACTIVATIONS),
        "losses: " + ", ".join(LOSSES) + " (default: cross_entropy for classes, mse for values)",
        "optimizers: " + ", ".join(OPTIMIZERS),
        "init schemes: " + ", ".join(INITS),
        "clip modes: " + ", ".join("off" if m is None else m for m in CLIP_MODES),
        "calculus surfaces: " + ", ".join(OBJECTIVES),
    ]
    print("\n".join(lines))
    return 0


COMMANDS = {"app": _open_app, "run": _run, "list": _list}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``gradtui`` script; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv and argv[0] in ("run", "list") else "app"
    rest = argv[1:] if command != "app" else argv
    try:
        args = build_parsers()[command].parse_args(rest)
        return COMMANDS[command](args)
    except UsageError as exc:
        message = str(exc).replace("\r", " ").replace("\n", " ")
        print(f"gradtui: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("gradtui: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `gradtui run | head`: stop quietly, like other Unix tools
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
