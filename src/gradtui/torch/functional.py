"""Functional activations (``F.relu(x)``, ``torch.tanh(x)``, ``x.sigmoid()``...) seen on probe steps.

An ``nn.ReLU`` module has a forward hook; a function call has none. So, only from the
update before a probe step until that step's ``w.step`` (``arm``/``disarm``), a
``TorchFunctionMode`` sees the torch calls, and global module hooks say which module is
running and which watched layer finished last. A call to one of ``ACTIVATIONS``, in
training mode with gradients on, marks the units of the layer that finished last before it
(dead for the ReLU family, saturated for sigmoid/tanh, by the engine's rules, as the module
hooks do) when its output's dimension 1 is as wide as that layer and that layer's units
were not marked yet on this forward. The call is named after the module whose forward made
it and the function: ``block.relu``, with ``#k`` for the k-th call of that function in the
same module (``net.tanh#2``); the root module is named by its class, as in ``find_layers``.
Calls made inside an activation module (``nn.ReLU`` calls ``F.relu``) are its hook's. A
``torch.compile``d model is left alone (``compiled``).
"""

from __future__ import annotations

import logging
import sys
from typing import Any, Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.modules.module import register_module_forward_hook, register_module_forward_pre_hook
from torch.overrides import TorchFunctionMode

from gradtui.engine import get_activation
from gradtui.torch.layers import DYING, SATURATING, Layer, probed, unit_masks
from gradtui.torch.reading import Marked

logger = logging.getLogger("gradtui.torch")

ACTIVATIONS: dict[Callable[..., Any], str] = {
    **{f: "relu" for f in (torch.relu, torch.relu_, F.relu, F.relu_, torch.Tensor.relu, torch.Tensor.relu_)},
    F.relu6: "relu6",
    **{f: "sigmoid" for f in (torch.sigmoid, F.sigmoid, torch.Tensor.sigmoid, torch.special.expit)},
    **{f: "tanh" for f in (torch.tanh, F.tanh, torch.Tensor.tanh)},
}
"""The functions seen, with the name they are recorded under."""


def compiled(model: nn.Module) -> bool:
    """True when ``torch.compile`` wrapped the model or one of its modules (``torch.compile(m)``
    or ``m.compile()``): a function mode entered on some steps only would make dynamo
    recompile at each probe until it gives up and runs the model uncompiled."""
    eval_frame = sys.modules.get("torch._dynamo.eval_frame")  # imported by torch.compile
    wrapper = getattr(eval_frame, "OptimizedModule", ()) if eval_frame is not None else ()
    return any(isinstance(m, wrapper) or getattr(m, "_compiled_call_impl", None) is not None
               for m in model.modules())


class _Calls(TorchFunctionMode):
    """Hands every torch call's result to ``seen`` (the mode is off inside its own handler)."""

    def __init__(self, seen: Callable[[Any, Any], None]) -> None:
        super().__init__()
        self._seen = seen

    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        out = func(*args, **(kwargs or {}))
        if func in ACTIVATIONS:
            self._seen(func, out)
        return out


class FunctionalProbe:
    """Marks layers' units from functional activation calls while armed (see the module doc)."""

    def __init__(self, model: nn.Module, layers: Sequence[Layer], saturation_grad: float) -> None:
        self.saturation_grad = saturation_grad
        root = type(model).__name__.lower()
        self._names = {id(m): name or root for name, m in model.named_modules()}
        self._activation_modules = {id(m) for m in model.modules() if isinstance(m, DYING + tuple(SATURATING))}
        self._modules = {id(m): m for m in model.modules()}
        self._layer_of = {id(layer.module): i for i, layer in enumerate(layers)}
        self._widths = [layer.width for layer in layers]
        self._engines = {"sigmoid": get_activation("sigmoid"), "tanh": get_activation("tanh")}
        self._mode = _Calls(self._seen)
        self._handles: list[Any] = []
        self._running: list[int] = []  # ids of the modules whose forward is under way
        self._last_layer: int | None = None
        self._counts: dict[tuple[str, str], int] = {}
        self.marked: Marked = {}
        self.armed = False
        self._stuck = False  # another mode was entered over ours and not left: wait to leave

    def arm(self) -> None:
        """Start seeing calls (until ``disarm``)."""
        if self.armed or self._stuck:
            return
        self._running, self._last_layer, self._counts, self.marked = [], None, {}, {}
        self._handles = [register_module_forward_pre_hook(self._enter),
                         register_module_forward_hook(self._leave, always_call=True)]
        self._mode.__enter__()
        self.armed = True

    def disarm(self) -> None:
        """Stop seeing calls. If the user's code entered a torch function mode after ours and
        has not left it, ours cannot be left yet: retried at the next ``disarm``."""
        if self._stuck or self.armed:
            for handle in self._handles:
                handle.remove()
            self._handles = []
            self.armed = False
            depth = torch._C._len_torch_function_stack()
            if depth and torch._C._get_function_stack_at(depth - 1) is self._mode:
                self._mode.__exit__(None, None, None)
                self._stuck = False
            elif not self._stuck:
                self._stuck = True
                logger.warning("gradtui: a torch function mode was entered during a probe step and is "
                               "still on; functional activations are not seen until it is left")

    def take(self) -> Marked:
        """Per layer index: (the call's name, dead mask, saturated mask) marked since ``arm``."""
        marked, self.marked = self.marked, {}
        return marked

    def _enter(self, module: nn.Module, inputs: Any) -> None:
        if id(module) in self._names:
            self._running.append(id(module))

    def _leave(self, module: nn.Module, inputs: Any, output: Any) -> None:
        if self._running and self._running[-1] == id(module):
            self._running.pop()
            if id(module) in self._layer_of:
                self._last_layer = self._layer_of[id(module)]

    def _seen(self, func: Any, out: Any) -> None:
        if not (self.armed and self._running and self._last_layer is not None
                and torch.is_grad_enabled() and probed(out)):
            return
        running = self._running[-1]
        if running in self._activation_modules or not self._modules[running].training:
            return
        layer = self._last_layer
        kind = ACTIVATIONS[func]
        key = (self._names[running], kind)
        self._counts[key] = count = self._counts.get(key, 0) + 1
        if layer in self.marked or out.shape[1] != self._widths[layer]:
            return
        name = f"{key[0]}.{kind}" + (f"#{count}" if count > 1 else "")
        engine = self._engines.get(kind)
        dead, saturated = unit_masks(out, engine, self.saturation_grad)
        self.marked[layer] = (name, dead, saturated)
