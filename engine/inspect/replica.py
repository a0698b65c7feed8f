"""A stand-in network for inspection: same architecture, weights and batch-norm statistics.

Inspection runs forward passes of its own (over a grid, a probe set, or perturbed weights).
Running them on a replica leaves the trained model's weights and cached activations alone,
so a background thread can inspect while another one trains, and the replica's forward
pass is the model's own code, so its numbers are the model's to the last bit.
"""

from __future__ import annotations

import numpy as np

from gradtui.engine.nn.mlp import MLP


def replica(model: MLP, weights: np.ndarray | None = None) -> MLP:
    """A new MLP like ``model`` holding ``weights`` (default: a copy of ``model.flat_value``,
    laid out like it) and a copy of its batch-norm running statistics."""
    twin = MLP(model.sizes, model.activations, model.init, model.batchnorm,
               model.seed, dtype=model.dtype)
    twin.flat_value[...] = model.flat_value if weights is None else weights
    twin.load_buffers({k: v.copy() for k, v in model.buffers().items()})
    return twin


def refreshed(twin: MLP | None, model: MLP) -> MLP:
    """``twin`` (an earlier replica) holding ``model``'s weights and batch-norm statistics as
    they are now, or a new replica when there is none or the architecture changed: for
    inspection repeated several times a second, which then builds no network each time."""
    if twin is None or (twin.sizes, twin.batchnorm, twin.dtype, _activations(twin)) != (
            model.sizes, model.batchnorm, model.dtype, _activations(model)):
        return replica(model)
    twin.flat_value[...] = model.flat_value
    own = twin.buffers()
    for name, value in model.buffers().items():
        own[name][...] = value
    return twin


def _activations(model: MLP) -> list[str]:
    return [layer.activation.name for layer in model.layers]


@np.errstate(all="ignore")
def layer_outputs(model: MLP, X: np.ndarray, twin: MLP | None = None) -> list[np.ndarray]:
    """Every layer's output (N, width) for inputs ``X`` in eval mode, computed on a replica:
    ``twin`` when given (one holding the model as it is now: see ``refreshed``), else a new one.

    What each neuron computes over a set of inputs: for 2-D data over a grid of the input
    plane (TensorFlow Playground's neuron pictures), otherwise over a probe set.
    """
    twin = replica(model) if twin is None else twin
    twin.forward(X, train=False)
    return [layer.a for layer in twin.layers]
