"""What the network view shows, computed from a Trainer in the training thread.

``network_picture`` copies everything out of the Trainer (weights, the latest step's
gradients, unit states) and computes what each neuron does: for 2-D inputs its output
over a grid of the input plane (TensorFlow Playground's neuron pictures; the output
neurons as class probabilities, i.e. the decision regions), otherwise its outputs over
the probe set; plus the trace of the chosen training sample. The result is immutable
and safe to hand to the UI thread. Costs about half a millisecond on 2-16-16-2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradtui.engine import Trace, Trainer, sigmoid, softmax
from gradtui.engine.inspect.replica import layer_outputs
from gradtui.engine.nn.mlp import MLP

from gradtui.engine.run.outputs import plane_extent, plane_grid

GRID = 24
"""Points per side of the input-plane grid every neuron's picture is drawn from."""


@dataclass(frozen=True)
class NetworkRequest:
    """What the network view asks of each frame: the sample to trace and the grid size."""

    sample: int = 0
    grid: int = GRID


@dataclass(frozen=True)
class LayerPicture:
    """One dense layer: ``W`` (fan_in, fan_out) and ``b``, the latest step's gradients
    ``dW`` and ``db`` (zero before the first step), unit states (health's ALIVE/DEAD/
    SATURATED) with ``since``, the step from which each unit has been in that state, and
    ``values``: the neurons' outputs, (rows, cols, width) over the input-plane grid for
    2-D data, else (probe rows, width)."""

    name: str
    activation: str
    W: np.ndarray
    b: np.ndarray
    dW: np.ndarray
    db: np.ndarray
    state: np.ndarray
    since: np.ndarray
    values: np.ndarray

    @property
    def width(self) -> int:
        return self.W.shape[1]


@dataclass(frozen=True)
class NetworkPicture:
    """The whole network at ``step``; ``extent`` (x0, x1, y0, y1) is the input plane for
    2-D data (None otherwise), ``sample_x`` the traced sample's input."""

    step: int
    n_inputs: int
    layers: tuple[LayerPicture, ...]
    extent: tuple[float, float, float, float] | None
    trace: Trace
    output_kind: str  # "probability" (classification) or "value" (regression)
    loss: str
    optimizer: str
    lr: float


def output_values(trainer: Trainer, out: np.ndarray) -> np.ndarray:
    """Output neurons as shown: class probabilities for classification, raw values otherwise."""
    if not trainer.is_classification:
        return out
    if out.shape[1] == 1:
        return sigmoid(out)
    return softmax(out)


@np.errstate(all="ignore")
def network_picture(trainer: Trainer, request: NetworkRequest, since: list[np.ndarray],
                    twin: MLP | None = None) -> NetworkPicture:
    """The picture of ``trainer``'s network now (call with the Trainer to yourself). The
    neurons' outputs are computed on ``twin``, a replica of the model as it is now that the
    caller keeps and refreshes (``replica.refreshed``), or else on a new replica."""
    model, data = trainer.model, trainer.data
    sample = min(max(request.sample, 0), len(data.X_train) - 1)
    if data.n_features == 2:
        extent = plane_extent(data.X_train)
        outputs = layer_outputs(model, plane_grid(extent, request.grid, request.grid), twin)
        shape: tuple[int, ...] = (request.grid, request.grid)
    else:
        extent = None
        outputs = layer_outputs(model, trainer.X_probe, twin)
        shape = (len(trainer.X_probe),)
    outputs[-1] = output_values(trainer, outputs[-1])
    layers = []
    for layer, state, when, values in zip(model.layers, trainer.unit_states, since, outputs):
        layers.append(LayerPicture(layer.name, layer.activation.name, layer.W.value.copy(),
                                   layer.b.value.copy(), layer.W.grad.copy(), layer.b.grad.copy(),
                                   state.copy(), when.copy(), values.reshape(*shape, -1)))
    return NetworkPicture(trainer.step_count, data.n_features, tuple(layers), extent,
                          trainer.trace(sample),
                          "probability" if trainer.is_classification else "value",
                          trainer.loss.name, trainer.config.optimizer, float(trainer.optimizer.lr))
