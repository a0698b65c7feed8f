"""SGD, RMSprop and Adam, following torch.optim's documented update rules exactly.

Each optimizer updates a list of ``Parameter`` objects. When the parameters tile one
flat buffer (as every ``MLP`` does) the update runs once over that vector; otherwise
it runs per parameter. Either way it is the same arithmetic, written once.
Hyperparameters are plain attributes and may change between steps.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from gradtui.engine.nn.parameter import Parameter, flat_buffers
from gradtui.engine.registry import check_name


class Optimizer:
    """Base class: holds parameters, per-array state and the step counter ``t``."""

    name = "optimizer"
    state_names: tuple[str, ...] = ()
    """The arrays a parameter's state holds once it has any."""
    squares: tuple[str, ...] = ()
    """State arrays that are running averages of g * g (never negative)."""
    state_from_first_step = False
    """True when every step keeps state (so a state without arrays after step 1 is damaged);
    SGD's momentum buffer appears only once momentum is nonzero."""

    def __init__(self, params: list[Parameter], lr: float, weight_decay: float = 0.0) -> None:
        self.params = list(params)
        self.lr = lr
        self.weight_decay = weight_decay
        self.t = 0
        flat = flat_buffers(self.params)
        self._arrays = [flat] if flat else [(p.value, p.grad) for p in self.params]
        self.state: list[dict[str, np.ndarray]] = [{} for _ in self._arrays]
        # Preallocated temporaries: large per-step allocations cost page faults.
        self._scratch = [(np.empty_like(v), np.empty_like(v), np.empty_like(v))
                         for v, _ in self._arrays]

    def step(self) -> None:
        """Apply one update to every parameter from its current ``.grad``."""
        self.t += 1
        for (value, grad), state, scratch in zip(self._arrays, self.state, self._scratch):
            if self.weight_decay:
                grad = np.add(grad, np.multiply(self.weight_decay, value, out=scratch[2]),
                              out=scratch[2])
            self._update(value, grad, state, scratch[0], scratch[1])

    def _update(self, value: np.ndarray, grad: np.ndarray, state: dict[str, np.ndarray],
                tmp: np.ndarray, tmp2: np.ndarray) -> None:
        """Update ``value`` in place; ``tmp`` and ``tmp2`` are scratch arrays of its shape."""
        raise NotImplementedError

    def state_dict(self, copy: bool = True) -> dict[str, Any]:
        """Step count and the state arrays, keyed ``"<i>.<name>"``: copies, unless ``copy`` is
        False (views of the live arrays, e.g. to write them out at once)."""
        arrays = {f"{i}.{k}": v.copy() if copy else v for i, st in enumerate(self.state)
                  for k, v in st.items()}
        return {"t": self.t, "arrays": arrays}

    def load_state_dict(self, sd: dict[str, Any]) -> None:
        """Restore what ``state_dict`` returned (copies, so the snapshot stays intact).

        Raises ValueError, changing nothing, for a state that does not fit these parameters:
        a negative or fractional ``t``, an unknown or incomplete set of arrays, a shape or
        dtype other than the parameters', NaN/Inf, or a negative running square.
        """
        t = sd["t"]
        if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or t < 0:
            raise ValueError(f"optimizer step count must be a whole number of 0 or more, got {t!r}")
        state: list[dict[str, np.ndarray]] = [{} for _ in self._arrays]
        for key, arr in sd["arrays"].items():
            i, _, name = key.partition(".")
            if not i.isdigit() or int(i) >= len(self._arrays) or name not in self.state_names:
                raise ValueError(f"{self.name} has no state {key!r}")
            state[int(i)][name] = self._checked(key, name, np.asarray(arr), self._arrays[int(i)][0])
        for i, arrays in enumerate(state):
            if (arrays or (t and self.state_from_first_step)) and len(arrays) != len(self.state_names):
                raise ValueError(f"{self.name} state {i} has {', '.join(sorted(arrays))}; "
                                 f"it needs {', '.join(self.state_names)}")
        self.t, self.state = int(t), state

    def _checked(self, key: str, name: str, arr: np.ndarray, value: np.ndarray) -> np.ndarray:
        if arr.shape != value.shape or arr.dtype != value.dtype:
            raise ValueError(f"{self.name} state {key} is {arr.dtype} {arr.shape}; the parameters "
                             f"are {value.dtype} {value.shape}")
        if not np.isfinite(arr).all():
            raise ValueError(f"{self.name} state {key} holds NaN or Inf")
        if name in self.squares and (arr < 0).any():
            raise ValueError(f"{self.name} state {key} is a running square but has negative values")
        return np.array(arr, copy=True)


class SGD(Optimizer):
    """SGD with optional momentum (buffer starts at the first gradient) and Nesterov."""

    name = "sgd"
    state_names = ("momentum_buffer",)

    def __init__(self, params: list[Parameter], lr: float, momentum: float = 0.0,
                 nesterov: bool = False, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr, weight_decay)
        self.momentum = momentum
        self.nesterov = nesterov

    def _update(self, value, grad, state, tmp, tmp2):
        if self.momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = np.array(grad, copy=True)
            else:
                buf *= self.momentum
                buf += grad
            if self.nesterov:
                grad = np.add(grad, np.multiply(self.momentum, buf, out=tmp2), out=tmp2)
            else:
                grad = buf
        value -= np.multiply(self.lr, grad, out=tmp)



class RMSprop(Optimizer):
    """RMSprop: v = alpha*v + (1-alpha)*g^2; p -= lr*g/(sqrt(v) + eps)."""

    name = "rmsprop"
    state_names = squares = ("square_avg",)
    state_from_first_step = True

    def __init__(self, params: list[Parameter], lr: float = 0.01, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr, weight_decay)
        self.alpha = alpha
        self.eps = eps

    def _update(self, value, grad, state, tmp, tmp2):
        v = state.get("square_avg")
        if v is None:
            v = state["square_avg"] = np.zeros_like(value)
        v *= self.alpha
        np.multiply(1 - self.alpha, grad, out=tmp)
        tmp *= grad
        v += tmp
        np.sqrt(v, out=tmp2)
        tmp2 += self.eps
        np.multiply(self.lr, grad, out=tmp)
        tmp /= tmp2
        value -= tmp



class Adam(Optimizer):
    """Adam with bias correction from t=1 and eps outside the square root."""

    name = "adam"
    state_names, squares = ("exp_avg", "exp_avg_sq"), ("exp_avg_sq",)
    state_from_first_step = True

    def __init__(self, params: list[Parameter], lr: float = 0.001,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, lr, weight_decay)
        self.betas = tuple(betas)
        self.eps = eps

    def _update(self, value, grad, state, tmp, tmp2):
        b1, b2 = self.betas
        m = state.get("exp_avg")
        if m is None:
            m = state["exp_avg"] = np.zeros_like(value)
            state["exp_avg_sq"] = np.zeros_like(value)
        v = state["exp_avg_sq"]
        m *= b1
        m += np.multiply(1 - b1, grad, out=tmp)
        v *= b2
        np.multiply(1 - b2, grad, out=tmp)
        tmp *= grad
        v += tmp
        np.divide(v, 1 - b2 ** self.t, out=tmp2)  # v_hat
        np.sqrt(tmp2, out=tmp2)
        tmp2 += self.eps
        np.divide(m, 1 - b1 ** self.t, out=tmp)  # m_hat
        tmp *= self.lr
        tmp /= tmp2
        value -= tmp



OptimizerFactory = Callable[[list[Parameter], float, float, float], Optimizer]
"""Builds an optimizer from (params, lr, momentum, weight_decay)."""

OPTIMIZER_FACTORIES: dict[str, OptimizerFactory] = {
    "sgd": lambda params, lr, momentum, wd: SGD(params, lr, weight_decay=wd),
    "momentum": lambda params, lr, momentum, wd: SGD(params, lr, momentum=momentum, weight_decay=wd),
    "nesterov": lambda params, lr, momentum, wd: SGD(params, lr, momentum=momentum, nesterov=True,
                                                     weight_decay=wd),
    "rmsprop": lambda params, lr, momentum, wd: RMSprop(params, lr, weight_decay=wd),
    "adam": lambda params, lr, momentum, wd: Adam(params, lr, weight_decay=wd),
}
"""The optimizer registry: every config name and how to build it. A new optimizer is a
subclass of ``Optimizer`` and one entry here."""

OPTIMIZERS = tuple(OPTIMIZER_FACTORIES)
"""Every optimizer name, in the order the app's optimizer key cycles them and a race lines them up."""


def check_optimizer(name: str) -> None:
    """Raise a one-line ValueError naming the valid optimizers unless ``name`` is one."""
    check_name("optimizer", name, OPTIMIZERS)


def make_optimizer(name: str, params: list[Parameter], lr: float, momentum: float = 0.9,
                   weight_decay: float = 0.0) -> Optimizer:
    """Build an optimizer by its config name (one of ``OPTIMIZERS``)."""
    check_optimizer(name)
    return OPTIMIZER_FACTORIES[name](params, lr, momentum, weight_decay)
