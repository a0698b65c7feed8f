"""Frame: everything the training screen shows, as of one moment of the run.

``build_frame`` is the pure part of the training session: it reads the Trainer, the
``Timeline`` and a few readings of the run (running, speed, output, halt) and returns
an immutable ``Frame`` without changing anything. The driver (``Session``) calls it
under its lock and publishes the result; the panes read only frames, never the
Trainer, so a frame can be handed to the UI thread while training goes on.
``LayerView`` is one layer's health in a frame, with the NaN badge rule (a NaN loss or
an undone update concerns every layer; a NaN gradient, its layer). A new view of the
run adds a field here, fills it in ``build_frame`` and reads it from the frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gradtui.engine import UNIT_STATES, Evaluation, Flag, TrainConfig, Trainer
from gradtui.engine.predictions import Reveal

from gradtui.engine.run.network_picture import NetworkPicture
from gradtui.engine.run.history import HistoryView
from gradtui.engine.run.outputs import Output
from gradtui.engine.run.sharpness import stability_line
from gradtui.engine.run.timeline import Timeline

DEAD, SATURATED = UNIT_STATES.index("dead"), UNIT_STATES.index("saturated")


@dataclass(frozen=True)
class LayerView:
    """One layer's latest health, copied out of the training thread."""

    name: str
    width: int
    grad_norm: float | None  # None before the first step
    update_ratio: float | None
    dead: int
    saturated: int
    unit_state: np.ndarray
    unit_grad: np.ndarray
    badges: tuple[Flag, ...]
    held: tuple[int | None, ...] = ()
    """The last step each badge's flag held (None: it holds now); a badge whose flag held
    only before the frame's step is fading and is drawn as such, never as current."""


@dataclass(frozen=True)
class Shape:
    """What the run is, as the screen names it: the network and the data it trains on."""

    architecture: str
    sizes: tuple[int, ...]
    layer_names: tuple[str, ...]
    batchnorm: bool
    data_name: str
    task: str
    n_classes: int | None
    n_features: int
    n_train: int
    n_probe: int
    first_step: int
    """The step the run started from (0, or a loaded checkpoint's): reset goes back there."""


NO_SHAPE = Shape("", (), (), False, "", "", None, 0, 0, 0, 0)
"""The shape of a frame that is not of a gradtui run (a replayed record)."""


def shape_of(trainer: Trainer, timeline: Timeline) -> Shape:
    """The run's ``Shape`` as it stands."""
    model, data = trainer.model, trainer.data
    return Shape(model.architecture, tuple(model.sizes), tuple(layer.name for layer in model.layers),
                 bool(model.batchnorm), data.name, data.task, data.n_classes, data.n_features,
                 len(data.X_train), len(trainer.X_probe), timeline.initial.step)


@dataclass(frozen=True)
class Frame:
    """Everything the screen shows, as of one moment of the run.

    ``steps`` channels: 0 minibatch loss, 1 total gradient norm, 2.. each layer's
    gradient norm. ``evals`` channels: 0 train loss, 1 test loss (full sets, eval mode).
    """

    serial: int
    step: int
    epoch: float
    running: bool
    steps_per_s: float
    config: TrainConfig
    batch_loss: float | None
    layers: tuple[LayerView, ...]
    steps: HistoryView
    evals: HistoryView
    evaluation: Evaluation | None
    marks: tuple[int, ...]
    output: Output | None
    halted: Flag | None
    network: NetworkPicture | None = None
    """The network view's picture, while that view asks for one."""
    z_hist: tuple[np.ndarray, ...] = ()
    """Per layer, how many of its probe pre-activations z fall in each bin of ``Z_EDGES``
    (those beyond the ends counted in the end bins), as of the last probe."""
    lr_curve: tuple[np.ndarray, np.ndarray] | None = None
    """(steps, lr) of the lr schedule from where it was chosen to a little past now; None
    without one (a constant lr and no warm-up)."""
    sharpness: HistoryView | None = None
    """While the sharpness pane is open: λmax (channel 0) and the stability line at the lr
    of that moment (channel 1, NaN for rmsprop and adam) at each measurement."""
    stability_line: float | None = None
    """The stability line at the lr in use now (2/lr for sgd); None for rmsprop and adam."""
    above_line: bool = False
    """Whether the newest λmax is above the line (until back below 90% of it)."""
    noise_scale: float | None = None
    """While the sharpness pane is open: the gradient noise scale B_simple at its newest
    measurement (None before one)."""
    reveal: Reveal | None = None
    """What the run showed of the scenario's prediction so far (None: not yet, or no
    question). In the frame, not read off the session: a run training apart watches in its
    own process, and the app's copy of the watch learns of the reveal only at a pause."""
    shape: Shape = NO_SHAPE
    """The network and the data (``NO_SHAPE`` in a frame of a run gradtui did not make: a replay)."""


Z_RANGE = 6.0
Z_EDGES = np.linspace(-Z_RANGE, Z_RANGE, 49)
"""The bins of the pre-activation histograms: 48 over [-6, 6], where every activation's
interesting part lies (sigmoid's f' is 0.0025 at 6)."""


_binned: tuple[list[np.ndarray], tuple[np.ndarray, ...]] | None = None
"""The last probe's z values and their histograms: a probe replaces ``Trainer.probe_z``
with a new list, and frames come far more often than probes."""


def z_histograms(trainer: Trainer) -> tuple[np.ndarray, ...]:
    """Each layer's probe z binned on ``Z_EDGES`` (clipped into the end bins; NaN left out),
    binned once per probe, not once per frame."""
    global _binned
    if _binned is not None and _binned[0] is trainer.probe_z:
        return _binned[1]
    hists = []
    for z in trainer.probe_z:
        values = z[np.isfinite(z)]
        hists.append(np.histogram(np.clip(values, -Z_RANGE, Z_RANGE), Z_EDGES)[0])
    _binned = (trainer.probe_z, tuple(hists))
    return _binned[1]


def build_frame(serial: int, trainer: Trainer, timeline: Timeline, *, running: bool,
                steps_per_s: float, output: Output | None, halted: Flag | None,
                points: int, network: NetworkPicture | None = None,
                sharpness: bool = False, reveal: Reveal | None = None) -> Frame:
    """The frame numbered ``serial`` for the run as it stands; histories are reduced to
    about ``points`` buckets (two per plot column); ``sharpness``: with its record."""
    stats = timeline.last
    return Frame(
        serial=serial, step=trainer.step_count, epoch=trainer.epoch, running=running,
        steps_per_s=steps_per_s, config=trainer.config,
        batch_loss=stats.loss if stats else None, layers=layer_views(trainer, timeline),
        steps=timeline.steps.view(points), evals=timeline.evals.view(points),
        evaluation=timeline.evaluation, marks=tuple(timeline.marks), output=output, halted=halted,
        network=network, z_hist=z_histograms(trainer), lr_curve=lr_curve(trainer, points),
        sharpness=timeline.sharpness.history.view(points) if sharpness else None,
        stability_line=stability_line(trainer), above_line=timeline.sharpness.above,
        noise_scale=timeline.sharpness.noise_scale if sharpness else None, reveal=reveal,
        shape=shape_of(trainer, timeline),
    )


LOOK_AHEAD = 0.25
"""The lr curve runs this share of the run past the current step (at least 20 steps)."""


def lr_curve(trainer: Trainer, points: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The scheduled lr from the step the schedule was chosen to a little past now, at most
    about ``points`` samples of it; None for a constant lr without warm-up."""
    cfg = trainer.config
    if cfg.schedule == "constant" and not cfg.warmup:
        return None
    first = cfg.schedule_start + 1
    last = trainer.step_count + max(int(trainer.step_count * LOOK_AHEAD), 20)
    every = max(1, (last - first) // max(points, 1))
    steps = np.arange(first, last + 1, every)
    return steps.astype(float), trainer.schedule.lrs(cfg.lr, first, last + 1, every)


def layer_views(trainer: Trainer, timeline: Timeline) -> tuple[LayerView, ...]:
    """Each layer's health after the latest step (or as initialised), with its badges."""
    stats = timeline.last
    model = trainer.model
    whole = stats is not None and any(f.layer in ("model", "loss") for f in stats.flagged("nonfinite"))
    views = []
    for i, (layer, width) in enumerate(zip(model.layers, model.sizes[1:])):
        state = trainer.unit_states[i].copy()
        badges = timeline.flags.for_layer(layer.name)
        now = stats.step if stats is not None else trainer.step_count
        held = tuple(None if seen >= now else seen for seen in timeline.flags.last_held(layer.name))
        if whole:  # a NaN loss or an undone update concerns every layer
            badges += (Flag("nonfinite", layer.name, "loss or update is NaN/Inf"),)
            held += (None,)
        elif stats is not None and not math.isfinite(stats.layer_grad_norms[i]):
            badges += (Flag("nonfinite", layer.name, "gradient is NaN/Inf"),)
            held += (None,)
        if stats is None:
            views.append(LayerView(layer.name, width, None, None,
                                   int((state == DEAD).sum()), int((state == SATURATED).sum()), state,
                                   np.full(width, np.nan), badges, held))
            continue
        ls = stats.layers[i]
        views.append(LayerView(ls.name, ls.width, ls.grad_norm, ls.update_ratio, ls.dead,
                               ls.saturated, state, ls.unit_grad.copy(), badges, held))
    return tuple(views)
