"""What a screen may ask of a run: typed, versioned commands, plain data only.

Every key press, every request for state, travels to the worker that owns a run as one
of these frozen dataclasses (``Envelope``), never as code: a worker in another process
receives them through ``worker.CommandUnpickler``, which builds nothing but these
classes, ladders and builtin values, and ``check`` refuses a field of the wrong type.
``VERSION`` changes when a command's meaning or fields change, so the two ends of a
pipe never misread each other.

Commands change a run (``Start`` … ``WatchPrediction``); requests (``Request`` and its
subclasses) read it and get a reply: a copy of the state, a replica to measure, a fork.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, Union

from gradtui.engine.run.network_picture import NetworkRequest
from gradtui.engine.train.ladders import Climb, Cycle, NextLoss

VERSION = 2
"""The command protocol's version: the worker refuses an envelope of another."""


@dataclass(frozen=True)
class View:
    """What the screen needs computed at its size: the output grid (columns, rows) and
    the buckets per plotted history."""

    output_size: tuple[int, int] = (40, 24)
    plot_points: int = 240
    network: NetworkRequest | None = None
    """The network view's request for a picture in every frame; None when it is closed."""
    sharpness: bool = False
    """Whether the sharpness pane is open: λmax is measured and sent in every frame."""


Move = Union[Climb, Cycle, NextLoss]
"""A key's change along a ladder or a cycle, computed from the config when applied, so two
quick presses move two rungs."""


@dataclass(frozen=True)
class Command:
    """Something a run does between two of its steps."""


@dataclass(frozen=True)
class Start(Command):
    """Train until paused, halted by a non-finite step, or stopped by a "run until".
    Reply: the run's id and how many times it has been started."""


@dataclass(frozen=True)
class Pause(Command):
    """Stop after the current step. Reply: the step it stopped at."""


@dataclass(frozen=True)
class Step(Command):
    """One step (one minibatch), when paused; the unit states of that step are probed."""


@dataclass(frozen=True)
class Shift(Command):
    """A control key: ``move`` applied to the config as it is when the command arrives."""

    move: Move


@dataclass(frozen=True)
class Change(Command):
    """Settings set to these values (the settings panel, twin mode's B): pairs of a
    ``TrainConfig`` field and its new value."""

    values: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Reset(Command):
    """Back to the first weights (same seed, same batches), keeping the controls."""


@dataclass(frozen=True)
class Rewind(Command):
    """Back to the newest snapshot older than the current step, keeping the controls."""


@dataclass(frozen=True)
class Save(Command):
    """A checkpoint in a new file in ``directory``."""

    directory: str = "."


@dataclass(frozen=True)
class Share(Command):
    """The run as a settings file that replays it, in a new file in ``directory``."""

    directory: str = "."


@dataclass(frozen=True)
class Export(Command):
    """The network as ``fmt`` (torch, numpy or json) in a new file in ``directory``."""

    fmt: str
    directory: str = "."


@dataclass(frozen=True)
class DrawPoint(Command):
    """A training point of the drawing class at (``x``, ``y``), or (``remove``) the
    training point nearest it taken away."""

    x: float
    y: float
    remove: bool = False


@dataclass(frozen=True)
class NextDrawClass(Command):
    """Clicks draw points of the next class from now on."""


@dataclass(frozen=True)
class SavePoints(Command):
    """Every point in a new CSV (that ``gradtui run --data`` reads) in ``directory``."""

    directory: str = "."


@dataclass(frozen=True)
class SetView(Command):
    """The screen's sizes and open panes changed."""

    view: View


@dataclass(frozen=True)
class RunUntil(Command):
    """Pause (and say why) at the first step where ``until`` holds."""

    until: str


@dataclass(frozen=True)
class UseRangeTest(Command):
    """The lr set to a range test's suggestion, and said so; ``lr`` None: it was left."""

    lr: float | None


@dataclass(frozen=True)
class WatchPrediction(Command):
    """Follow the question of the scenario ``scenario`` (its name in the catalog) from the
    next step on; None: no question."""

    scenario: str | None


@dataclass(frozen=True)
class Lock(Command):
    """A locked app (``--lock``): what the run says names only the keys it runs."""

    locked: bool = True


@dataclass(frozen=True)
class Request(Command):
    """A command with a reply: the worker sends back what it asks for."""


@dataclass(frozen=True)
class Latest(Request):
    """Reply: a copy of the run's ``Timeline`` (and with it the Trainer) as it is now,
    between two steps."""


@dataclass(frozen=True)
class Busy(Request):
    """Reply: whether the run still has work to do (it runs, or a paused change's costly
    evaluation is still due)."""


@dataclass(frozen=True)
class InspectionCopy(Request):
    """Reply: a replica of the network, its step and the snapshots so far (the loss surface
    measures it while training goes on)."""


@dataclass(frozen=True)
class LrRangeTest(Request):
    """Reply: ``Trainer.lr_range_test(steps, start, end)`` from the latest state (it trains a
    fork, so the run stays as it is)."""

    steps: int = 100
    start: float = 1e-6
    end: float = 10.0


@dataclass(frozen=True)
class CheckUntil(Request):
    """Reply: None when ``until`` is a condition this run can stop on, else why not (one line)."""

    until: str


@dataclass(frozen=True)
class Fork(Request):
    """Reply: the ``Timeline`` (and with it the Trainer) of a new run named ``name`` that
    continues this one's exact state, with a copy of its past: twin mode's B, which a new
    worker then trains."""

    name: str


@dataclass(frozen=True)
class Pair(Command):
    """Twin mode: keep pace with the run in the other worker that maps the pace file
    ``path`` (``engine.run.pace``), this run in ``slot`` 0 or 1; ``path`` "": no longer."""

    path: str
    slot: int = 0


@dataclass(frozen=True)
class PauseTogether(Command):
    """A paired run: when its twin halts on NaN/Inf, it stops at the same step (and the
    two keep within one step of each other while they train)."""

    on: bool = True


@dataclass(frozen=True)
class CatchUp(Command):
    """A paused run's exact steps up to ``step`` (unless it halts first): twin mode levels
    the run behind at a pause. Reply: the step it reached."""

    step: int


COMMANDS: tuple[type[Command], ...] = (
    Start, Pause, Step, Shift, Change, Reset, Rewind, Save, Share, Export, DrawPoint, NextDrawClass,
    SavePoints, SetView, RunUntil, UseRangeTest, WatchPrediction, Lock, Latest, Busy, InspectionCopy, LrRangeTest,
    CheckUntil, Fork, Pair, PauseTogether, CatchUp)
"""Every command a worker accepts."""


@dataclass(frozen=True)
class Envelope:
    """A command on its way to a worker: for run ``run`` (its id in the worker), with a
    ``ticket`` when the sender waits for the reply (or for the command to be applied)."""

    version: int
    run: int
    command: Command
    ticket: int | None = None


_TYPES: dict[str, Any] = {"str": str, "bool": bool, "float": (int, float), "int": int}


def check(envelope: Any) -> Envelope:
    """``envelope`` if it is a well-formed envelope of this ``VERSION``; ``ValueError``
    (one line) if not: what a worker refuses never reaches a run."""
    if not isinstance(envelope, Envelope):
        raise ValueError(f"not a command envelope: {type(envelope).__name__}")
    if envelope.version != VERSION:
        raise ValueError(f"command protocol {envelope.version!r}, this worker speaks {VERSION}")
    command = envelope.command
    if type(command) not in COMMANDS:
        raise ValueError(f"unknown command {type(command).__name__}")
    for field in fields(command):
        value = getattr(command, field.name)
        kind = str(field.type).replace(" | None", "")
        wanted = _TYPES.get(kind)
        if wanted is None or (value is None and "None" in str(field.type)):
            continue
        if isinstance(value, bool) and kind != "bool" or not isinstance(value, wanted):
            raise ValueError(f"{type(command).__name__}.{field.name} must be {kind}, got {type(value).__name__}")
        if kind == "float" and not math.isfinite(value):
            raise ValueError(f"{type(command).__name__}.{field.name} must be finite, got {value!r}")
    if isinstance(command, Shift) and not isinstance(command.move, (Climb, Cycle, NextLoss)):
        raise ValueError(f"Shift.move must be a ladder move, got {type(command.move).__name__}")
    if isinstance(command, SetView) and not isinstance(command.view, View):
        raise ValueError(f"SetView.view must be a View, got {type(command.view).__name__}")
    if isinstance(command, Change) and not (isinstance(command.values, tuple) and all(
            isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[0], str) for pair in command.values)):
        raise ValueError("Change.values must be (setting, value) pairs")
    return envelope
