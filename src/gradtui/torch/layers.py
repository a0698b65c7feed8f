"""Which parts of a ``torch.nn.Module`` gradtui watches, and the hooks that see its units.

A layer is a module that owns trainable parameters itself (Linear, Conv, Embedding, a norm,
attention's projections), named by its qualified name. An activation module (the ReLU
family, Sigmoid, Tanh) belongs to the nearest layer before it in the model's module order;
its forward hook, only on the steps that probe, marks which units (dimension 1: features
or channels) are dead or saturated on that batch, using the engine's rules
(``dead_units``, ``saturated_units``), computed on the tensor's own device.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from gradtui.engine import get_activation
from gradtui.engine.nn.activations import Activation
from gradtui.engine.train.health import dead_units, saturated_units

DYING = (nn.ReLU, nn.ReLU6)
"""Activations whose units can die (their gradient is zero wherever the output is)."""
SATURATING = {nn.Sigmoid: "sigmoid", nn.Tanh: "tanh"}
"""Activations whose units can saturate, with the engine activation that knows f'."""


@dataclass
class Layer:
    """One watched layer: its name, its parameters, its width (output units)."""

    name: str
    params: list[nn.Parameter]
    width: int
    module: nn.Module
    activation: "UnitProbe | None" = None


def _width(module: nn.Module, params: list[nn.Parameter]) -> int:
    for attr in ("out_features", "out_channels", "num_features", "embedding_dim", "normalized_shape"):
        value = getattr(module, attr, None)
        if isinstance(value, int):
            return value
        if isinstance(value, tuple) and value:
            return int(value[-1])
    return int(params[0].shape[0]) if params[0].dim() else 1


def find_layers(model: nn.Module) -> list[Layer]:
    """The model's layers in module order, each activation module attached to the one before it.
    ``ValueError`` when the model has no trainable parameter."""
    layers: list[Layer] = []
    for name, module in model.named_modules():
        params = [p for p in module.parameters(recurse=False) if p.requires_grad]
        if params:
            layers.append(Layer(name or type(module).__name__.lower(), params, _width(module, params), module))
        elif isinstance(module, DYING + tuple(SATURATING)) and layers and layers[-1].activation is None:
            layers[-1].activation = UnitProbe(module, source=name)
    if not layers:
        raise ValueError(f"watch: {type(model).__name__} has no trainable parameters to watch")
    return layers


def probed(output: object) -> bool:
    """An activation's output whose units (dimension 1) can be marked."""
    return isinstance(output, torch.Tensor) and output.dim() >= 2 and output.is_floating_point()


def unit_masks(output: torch.Tensor, engine: Activation | None,
               saturation_grad: float) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    """(dead, saturated) unit masks of one activation's output on a batch, by the engine's
    rules, on the tensor's device: ``engine`` None for the ReLU family (dead: no positive
    output), else the engine activation that knows f' (saturated)."""
    with torch.no_grad():
        a = output.detach()
        if engine is None:
            others = [d for d in range(a.dim()) if d != 1]
            return dead_units(a.sum(dim=others)), None
        grad = engine.local_grad(None, a if a.dim() == 2 else a.movedim(1, -1).reshape(-1, a.shape[1]))
        return None, saturated_units(grad, engine.max_local_grad, saturation_grad)


@dataclass
class UnitProbe:
    """A forward hook on one activation module that marks dead or saturated units while ``armed``."""

    module: nn.Module
    source: str = ""  # the module's qualified name, as the record names where the units were seen
    armed: bool = True
    saturation_grad: float = 0.05
    dead: torch.Tensor | None = field(default=None, repr=False)
    saturated: torch.Tensor | None = field(default=None, repr=False)
    _handle: object = field(default=None, repr=False)

    def __post_init__(self) -> None:
        name = next((n for cls, n in SATURATING.items() if isinstance(self.module, cls)), None)
        self._engine = get_activation(name) if name else None
        self._handle = self.module.register_forward_hook(self._hook)

    def _hook(self, module: nn.Module, inputs: object, output: torch.Tensor) -> None:
        if self.armed and module.training and torch.is_grad_enabled() and probed(output):
            self.dead, self.saturated = unit_masks(output, self._engine, self.saturation_grad)

    def take(self) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """The masks of the last probed batch (then forgotten)."""
        masks = self.dead, self.saturated
        self.dead = self.saturated = None
        return masks

    def remove(self) -> None:
        self._handle.remove()  # type: ignore[attr-defined]
