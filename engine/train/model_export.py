"""The trained network as a file another program can use: PyTorch code, a NumPy script, or JSON.

``describe(trainer)`` turns the network into plain data (sizes, activations, weights,
batch-norm statistics, and how to read the outputs); ``export_model(trainer, fmt)``
renders that data as the text of one file. Every number is written with Python's
shortest round-trip ``repr``, so the file holds the weights bit for bit. The engine
writes code; it never imports PyTorch.

Conventions the formats share:

- a dense layer computes ``x @ W + b`` with ``W`` of shape (inputs, outputs), as in
  gradtui; the PyTorch file stores ``W`` transposed, as ``nn.Linear.weight`` expects;
- batch norm (hidden layers only, between the dense layer and the activation) uses its
  running statistics, ``(z - running_mean) / sqrt(running_var + eps) * gamma + beta``,
  which is ``nn.BatchNorm1d`` in eval mode;
- the output layer is linear: its outputs are what ``Trainer.predict(X, raw=True)`` returns.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from gradtui.engine.nn.activations import LEAKY_SLOPE
from gradtui.engine.nn.mlp import BN_EPS, BN_MOMENTUM
from gradtui.engine.textsafe import python_string
from gradtui.engine.train.trainer import Trainer

FORMATS = ("torch", "numpy", "json")
MODEL_FORMAT = "gradtui-model"
MODEL_VERSION = 1

DECISIONS = {
    "argmax": "logits or scores, one per class: the predicted class is the index of the largest",
    "positive": "one score: the predicted class is 1 where it is above 0, else 0",
    None: "the predicted values (regression)",
}
"""How each kind of output is read, for the files' documentation."""


def decision(trainer: Trainer) -> str | None:
    """How outputs become class labels: ``argmax``, ``positive`` (one score), or None (regression)."""
    if not trainer.is_classification:
        return None
    return "positive" if trainer.loss.needs_binary else "argmax"


def describe(trainer: Trainer, source: str = "") -> dict[str, Any]:
    """The network as JSON-ready data; raises ValueError if any weight or statistic is not finite."""
    model = trainer.model
    layers = []
    for layer in model.layers:
        entry: dict[str, Any] = {
            "inputs": layer.fan_in, "outputs": layer.fan_out, "activation": layer.activation.name,
            "W": layer.W.value.tolist(), "b": layer.b.value.tolist(), "batchnorm": None,
        }
        if layer.batchnorm:
            entry["batchnorm"] = {"gamma": layer.gamma.value.tolist(), "beta": layer.beta.value.tolist(),
                                  "running_mean": layer.running_mean.tolist(),
                                  "running_var": layer.running_var.tolist()}
        layers.append(entry)
    arrays = [model.flat_value, *model.buffers().values()]
    if not all(np.isfinite(a).all() for a in arrays):
        raise ValueError("the network has non-finite weights or batch-norm statistics (NaN or Inf); "
                         "rewind or restore a finite state before exporting")
    return {
        "format": MODEL_FORMAT, "version": MODEL_VERSION, "source": source,
        "architecture": model.architecture, "sizes": list(model.sizes),
        "dtype": np.dtype(model.dtype).name, "task": trainer.data.task,
        "n_classes": trainer.data.n_classes, "data": trainer.data.name,
        "loss": trainer.loss.name, "decision": decision(trainer), "step": trainer.step_count,
        "batchnorm_eps": BN_EPS, "batchnorm_momentum": BN_MOMENTUM, "leaky_slope": LEAKY_SLOPE,
        "layers": layers,
    }


def export_model(trainer: Trainer, fmt: str, source: str = "") -> str:
    """The text of the exported file in format ``fmt`` (one of ``FORMATS``)."""
    renderers = {"torch": render_torch, "numpy": render_numpy, "json": render_json}
    if fmt not in renderers:
        raise ValueError(f"unknown export format {fmt!r}; valid: {', '.join(FORMATS)}")
    return renderers[fmt](describe(trainer, source))


def file_suffix(fmt: str) -> str:
    """How an exported file's name ends: ``_torch.py``, ``_numpy.py`` or ``.json``."""
    return ".json" if fmt == "json" else f"_{fmt}.py"


# --- JSON --------------------------------------------------------------------------------

def render_json(model: dict[str, Any]) -> str:
    """The description as indented JSON, one matrix row per line; every number exact."""
    head = {k: v for k, v in model.items() if k != "layers"}
    text = json.dumps(head, indent=2)[:-2]
    layers = ",\n".join(_json_layer(layer) for layer in model["layers"])
    return f'{text},\n  "layers": [\n{layers}\n  ]\n}}\n'


def _json_layer(layer: dict[str, Any]) -> str:
    fields = [f'"{k}": {json.dumps(layer[k])}' for k in ("inputs", "outputs", "activation")]
    fields.append('"W": ' + _matrix(layer["W"], "      ", json.dumps))
    fields.append(f'"b": {json.dumps(layer["b"])}')
    fields.append(f'"batchnorm": {json.dumps(layer["batchnorm"])}')
    return "    {\n      " + ",\n      ".join(fields) + "\n    }"


def _matrix(rows: list[list[float]], indent: str, dump=repr) -> str:
    """A matrix as a bracketed list with one row per line."""
    inner = ",\n".join(f"{indent}  {dump(row)}" for row in rows)
    return f"[\n{inner}\n{indent}]"


# --- shared parts of the Python files -------------------------------------------------------

def _header(model: dict[str, Any], what: str, usage: str) -> str:
    """The module docstring: numbers and gradtui's own words only, never a name from outside
    (those are ``_names``)."""
    acts = [layer["activation"] for layer in model["layers"][:-1]]
    act_text = ", ".join(acts) if acts else "no hidden layer"
    bn = " with batch norm" if any(layer["batchnorm"] for layer in model["layers"]) else ""
    return (f'"""{what}, generated by `gradtui export` (SOURCE names what it was exported from).\n\n'
            f"Network {model['architecture']} ({act_text}{bn}), {model['dtype']}, after "
            f"{model['step']} training steps on the data named in TRAINED_ON ({model['task']}, "
            f"loss {model['loss']}).\n"
            f"Inputs: rows of {model['sizes'][0]} features, as gradtui feeds them "
            f"(image pixels scaled to [0, 1]).\n"
            f"Outputs: {DECISIONS[model['decision']]}.\n"
            f"They equal gradtui's Trainer.predict(X, raw=True).\n\n{usage}\n"
            f'"""\n')


def _names(model: dict[str, Any]) -> str:
    """The names from outside (a checkpoint's file name, a data file's name) as string
    literals: data the module holds, never code it runs."""
    return (f"SOURCE = {python_string(model['source'])}\n"
            '"""What this network was exported from (a checkpoint\'s file name), as given."""\n'
            f"TRAINED_ON = {python_string(model['data'])}\n"
            '"""The name of the data the network was trained on, as given."""\n')


_MAIN = '''

def _read_rows(path: str) -> list[list[float]]:
    """Feature rows from a CSV file of numbers (no header)."""
    with open(path, newline="") as fh:
        return [[float(v) for v in row] for row in csv.reader(fh) if row]


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: python {{sys.argv[0]}} FEATURES.csv")
    outputs = {predict}
    for row in outputs.tolist():
        print(",".join(repr(v) for v in row))
'''
"""The command-line part of both Python files: outputs for each row of a CSV file."""


_CLASSIFY = {
    ("numpy", "argmax"): "outputs.argmax(axis=1)",
    ("numpy", "positive"): "(outputs[:, 0] > 0).astype(np.int64)",
    ("torch", "argmax"): "outputs.argmax(dim=1)",
    ("torch", "positive"): "(outputs[:, 0] > 0).long()",
}
"""Class labels from outputs, by library and decision rule."""


def _classify_function(library: str, array_type: str, decision: str | None) -> str:
    """The source of ``classify(outputs)`` for ``library``; none for regression."""
    if decision is None:
        return ""
    return f'''

def classify(outputs: {array_type}) -> {array_type}:
    """Class labels for the network's outputs."""
    return {_CLASSIFY[library, decision]}
'''


# --- PyTorch -------------------------------------------------------------------------------

_TORCH_ACTIVATIONS = {
    "relu": "nn.ReLU()",
    "leaky_relu": "nn.LeakyReLU({slope!r})",
    "elu": "nn.ELU(alpha=1.0)",
    "sigmoid": "nn.Sigmoid()",
    "tanh": "nn.Tanh()",
}
"""nn modules for gradtui's activations; ``linear`` needs none."""


def render_torch(model: dict[str, Any]) -> str:
    """A Python file with ``GradtuiNet(nn.Module)`` and ``build_model()`` (weights inside it)."""
    eps, momentum = model["batchnorm_eps"], model["batchnorm_momentum"]
    modules, weights = [], []
    for i, layer in enumerate(model["layers"]):
        modules.append(f'("linear{i}", nn.Linear({layer["inputs"]}, {layer["outputs"]})),')
        w_t = [list(col) for col in zip(*layer["W"])] if layer["W"] else []
        weights.append(f'"layers.linear{i}.weight": {_matrix(w_t, "    ")},')
        weights.append(f'"layers.linear{i}.bias": {layer["b"]!r},')
        bn = layer["batchnorm"]
        if bn:
            modules.append(f'("bn{i}", nn.BatchNorm1d({layer["outputs"]}, eps={eps!r}, '
                           f'momentum={momentum!r})),')
            for src, dst in (("gamma", "weight"), ("beta", "bias"), ("running_mean", "running_mean"),
                             ("running_var", "running_var")):
                weights.append(f'"layers.bn{i}.{dst}": {bn[src]!r},')
        if layer["activation"] != "linear":
            act = _TORCH_ACTIVATIONS[layer["activation"]].format(slope=model["leaky_slope"])
            modules.append(f'({python_string(layer["activation"] + str(i))}, {act}),')
    has_bn = any(layer["batchnorm"] for layer in model["layers"])
    dtype = f"torch.{model['dtype']}"
    counters = (f'''
    for name in model.state_dict():
        if name.endswith("num_batches_tracked"):  # batches seen in training; eval mode ignores it
            state[name] = torch.tensor({model["step"]})''' if has_bn else "")
    classify = _classify_function("torch", "torch.Tensor", model["decision"])
    usage = ("Use it:  saved as model.py,  from model import build_model;  model = build_model();\n"
             "         with torch.no_grad(): outputs = model(torch.tensor(X, dtype=torch.{0}))\n"
             "Or:      python model.py FEATURES.csv   prints the outputs of each row.\n"
             "Needs PyTorch only; build_model() returns the network in eval mode (batch norm "
             "uses its running statistics).").format(model["dtype"])
    main = _MAIN.format(predict="build_model()(torch.tensor(_read_rows(sys.argv[1]), dtype=DTYPE)).detach()")
    return (_header(model, "A gradtui network as a PyTorch module", usage)
            + f'''
import csv
import sys
from collections import OrderedDict

import torch
from torch import nn

DTYPE = {dtype}
"""The dtype gradtui trained in; build_model() uses it unless told otherwise."""
{_names(model)}

class GradtuiNet(nn.Module):
    """{model["architecture"]}: Linear layers{", BatchNorm1d" if has_bn else ""} and activations, as gradtui built them."""

    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.Sequential(OrderedDict([
            {_lines(modules, "            ")}
        ]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


def build_model(dtype: torch.dtype = DTYPE) -> GradtuiNet:
    """The network with the checkpoint's weights, in eval mode."""
    model = GradtuiNet().to(dtype)
    state = {{name: torch.tensor(value, dtype=dtype) for name, value in WEIGHTS.items()}}{counters}
    model.load_state_dict(state)
    return model.eval()
{classify}

WEIGHTS = {{
    {_lines(weights, "    ")}
}}
"""Parameters and batch-norm statistics by state_dict name; Linear weights are (outputs, inputs)."""
''' + main)


def _lines(items: list[str], indent: str) -> str:
    return f"\n{indent}".join(items)


# --- NumPy ---------------------------------------------------------------------------------

_NUMPY_ACTIVATIONS = {
    "relu": "np.maximum(z, 0.0)",
    "leaky_relu": "np.where(z > 0, z, {slope!r} * z)",
    "elu": "np.where(z > 0, z, np.expm1(np.minimum(z, 0.0)))",
    "sigmoid": "np.where(z >= 0, 1.0 / (1.0 + np.exp(-np.abs(z))), "
               "np.exp(-np.abs(z)) / (1.0 + np.exp(-np.abs(z))))",
    "tanh": "np.tanh(z)",
    "linear": "z",
}
"""gradtui's activations as NumPy expressions in ``z`` (sigmoid without overflow)."""


def render_numpy(model: dict[str, Any]) -> str:
    """A standalone Python script with the weights and ``predict(X)``; needs NumPy only."""
    used = sorted({layer["activation"] for layer in model["layers"]})
    acts = _lines([f'{python_string(name)}: lambda z: {_NUMPY_ACTIVATIONS[name].format(slope=model["leaky_slope"])},'
                   for name in used], "    ")
    layers = []
    for layer in model["layers"]:
        bn = layer["batchnorm"]
        bn_text = "None" if bn is None else (
            "dict(\n" + "".join(f"            {k}=np.array({bn[k]!r}, dtype=DTYPE),\n"
                                for k in ("gamma", "beta", "running_mean", "running_var"))
            + "        )")
        layers.append(f'''    dict(
        activation={python_string(layer["activation"])},
        W=np.array({_matrix(layer["W"], "        ")}, dtype=DTYPE),
        b=np.array({layer["b"]!r}, dtype=DTYPE),
        batchnorm={bn_text},
    ),''')
    classify = _classify_function("numpy", "np.ndarray", model["decision"])
    usage = ("Use it:  saved as model.py,  from model import predict;  outputs = predict(X)\n"
             f"         (X: an array of shape (N, {model['sizes'][0]}))\n"
             "Or:      python model.py FEATURES.csv   prints the outputs of each row.\n"
             "Needs NumPy only.")
    return (_header(model, "A gradtui network as a standalone NumPy script", usage) + f'''
import csv
import sys

import numpy as np

DTYPE = np.{model["dtype"]}
{_names(model)}BATCHNORM_EPS = {model["batchnorm_eps"]!r}
ACTIVATIONS = {{
    {acts}
}}


def predict(X) -> np.ndarray:
    """The network's outputs for the rows of ``X``."""
    out = np.asarray(X, dtype=DTYPE)
    for layer in LAYERS:
        z = out @ layer["W"] + layer["b"]
        bn = layer["batchnorm"]
        if bn is not None:
            z = (z - bn["running_mean"]) * (1.0 / np.sqrt(bn["running_var"] + BATCHNORM_EPS))
            z = z * bn["gamma"] + bn["beta"]
        out = ACTIVATIONS[layer["activation"]](z)
    return out
{classify}

LAYERS = [
{_lines(layers, "")}
]
"""Dense layers in order: outputs = activation(batchnorm(x @ W + b)); W is (inputs, outputs)."""
''' + _MAIN.format(predict="predict(_read_rows(sys.argv[1]))"))
