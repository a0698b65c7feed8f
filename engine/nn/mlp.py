"""MLP: dense layers with optional batch norm, all parameters in two flat buffers."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from gradtui.engine.nn.activations import Activation, get_activation
from gradtui.engine.nn.fastops import ones
from gradtui.engine.nn.init import init_dense
from gradtui.engine.nn.parameter import Parameter

MAX_PARAMETERS = 20_000_000  # 160 MB per float64 buffer; the trainer keeps several
BN_EPS = 1e-5
BN_MOMENTUM = 0.1

def parameter_counts(sizes: Sequence[int], batchnorm: bool) -> list[tuple[int, int, int]]:
    """Per layer (weights, biases, batch-norm gamma and beta): fan_in x fan_out weights and
    fan_out biases, and 2 x fan_out for batch norm on a hidden layer."""
    last = len(sizes) - 2
    return [(fan_in * fan_out, fan_out, 2 * fan_out if batchnorm and i < last else 0)
            for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]))]


def parameter_count(sizes: Sequence[int], batchnorm: bool) -> int:
    """Parameters of an MLP with layer ``sizes`` (batch norm adds gamma and beta to hidden layers)."""
    return sum(map(sum, parameter_counts(sizes, batchnorm)))


def total_count_text(sizes: Sequence[int], batchnorm: bool) -> str:
    """The whole network's count as ``count_text`` writes it: "6 W + 3 b = 9"."""
    weights, biases, norm = (sum(column) for column in zip(*parameter_counts(sizes, batchnorm)))
    return count_text(weights, biases, norm)


def count_text(weights: int, biases: int, norm: int = 0) -> str:
    """"6 W + 3 b = 9" (with "+ 6 γβ" for batch norm): how a parameter count adds up."""
    norm_part = f" + {norm:,} γβ" if norm else ""
    return f"{weights:,} W + {biases:,} b{norm_part} = {weights + biases + norm:,}"


class Dense:
    """x @ W + b, then optional BatchNorm1d, then the activation.

    Caches what backward needs: the input ``x``, the activation's input ``z``
    (after batch norm when it is on), its output ``a``, and after backward ``dz``.
    """

    def __init__(self, index: int, fan_in: int, fan_out: int, activation: Activation,
                 batchnorm: bool) -> None:
        self.index = index
        self.fan_in, self.fan_out = fan_in, fan_out
        self.activation = activation
        self.batchnorm = batchnorm
        self.params: list[Parameter] = []
        self.running_mean = np.zeros(fan_out)
        self.running_var = np.ones(fan_out)
        # What forward and backward cache, empty (no rows) until the first forward pass.
        self.x: np.ndarray = np.empty((0, fan_in))
        self.z: np.ndarray = np.empty((0, fan_out))
        self.a: np.ndarray = np.empty((0, fan_out))
        self.dz: np.ndarray = np.empty((0, fan_out))
        self._xhat: np.ndarray = np.empty((0, fan_out))
        self._invstd: np.ndarray = np.empty(fan_out)

    @property
    def name(self) -> str:
        return f"layers.{self.index}"

    def param_shapes(self) -> list[tuple[str, tuple[int, ...]]]:
        shapes = [("W", (self.fan_in, self.fan_out)), ("b", (self.fan_out,))]
        if self.batchnorm:
            shapes += [("gamma", (self.fan_out,)), ("beta", (self.fan_out,))]
        return shapes

    def attach(self, params: list[Parameter]) -> None:
        self.params = params
        self.W, self.b = params[0], params[1]
        if self.batchnorm:
            self.gamma, self.beta = params[2], params[3]

    def forward(self, x: np.ndarray, train: bool) -> np.ndarray:
        self.x = x
        z = x @ self.W.value
        z += self.b.value
        if self.batchnorm:
            z = self._batchnorm(z, train)
        self.z = z
        self.a = self.activation.forward(z)
        return self.a

    def _batchnorm(self, z: np.ndarray, train: bool) -> np.ndarray:
        if train:
            mean = z.mean(axis=0)
            var = z.var(axis=0)
            n = z.shape[0]
            unbiased = var * n / (n - 1) if n > 1 else var
            running_mean = (1 - BN_MOMENTUM) * self.running_mean + BN_MOMENTUM * mean
            running_var = (1 - BN_MOMENTUM) * self.running_var + BN_MOMENTUM * unbiased
            if np.isfinite(running_mean).all() and np.isfinite(running_var).all():
                # a non-finite batch (its step is skipped) leaves the running statistics as they were
                self.running_mean, self.running_var = running_mean, running_var
        else:
            mean, var = self.running_mean, self.running_var
        self._invstd = 1.0 / np.sqrt(var + BN_EPS)
        self._xhat = (z - mean) * self._invstd
        return self._xhat * self.gamma.value + self.beta.value

    def backward(self, da: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        dz = self.activation.backward(self.z, self.a, da)
        self.dz = dz
        if self.batchnorm:
            dz = self._batchnorm_backward(dz)
        np.dot(self.x.T, dz, out=self.W.grad)
        np.dot(ones(len(dz), dz.dtype.type), dz, out=self.b.grad)
        return dz @ self.W.value.T if need_input_grad else None

    def _batchnorm_backward(self, dy: np.ndarray) -> np.ndarray:
        xhat, n = self._xhat, dy.shape[0]
        col = ones(n, dy.dtype.type)
        np.dot(col, dy * xhat, out=self.gamma.grad)
        np.dot(col, dy, out=self.beta.grad)
        dxhat = dy * self.gamma.value
        return (self._invstd / n) * (
            n * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0)
        )


class MLP:
    """A multilayer perceptron ``sizes = [n_in, h1, ..., n_out]``.

    Hidden layers use ``activation`` (one name, or one per hidden layer); the output
    layer is linear. Every parameter is a view into ``flat_value`` / ``flat_grad``,
    so optimizers and statistics work on one vector. ``layer_starts`` gives each
    layer's offset in those vectors.
    """

    def __init__(self, sizes: Sequence[int], activation: str | Sequence[str] = "relu",
                 init: str = "he", batchnorm: bool = False, seed: int | Sequence[int] = 0,
                 dtype: type = np.float64, bias_init: float | None = None) -> None:
        self.sizes = [int(s) for s in sizes]
        if len(self.sizes) < 2 or min(self.sizes) < 1:
            raise ValueError(f"sizes must be at least [n_in, n_out], all >= 1; got {list(sizes)}")
        self.init, self.batchnorm, self.seed, self.dtype = init, batchnorm, seed, dtype
        n_hidden = len(self.sizes) - 2
        total = parameter_count(self.sizes, batchnorm)
        if total > MAX_PARAMETERS:  # checked before anything is allocated
            raise ValueError(f"a {self.architecture} network has {total:,} parameters; "
                             f"gradtui trains up to {MAX_PARAMETERS:,}")
        acts = self._activation_names(activation, n_hidden)
        self.layers = [
            Dense(i, fan_in, fan_out,
                  get_activation(acts[i]) if i < n_hidden else get_activation("linear"),
                  batchnorm and i < n_hidden)
            for i, (fan_in, fan_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:]))
        ]
        self._allocate()
        self._initialise(np.random.default_rng(seed), bias_init)

    @staticmethod
    def _activation_names(activation: str | Sequence[str], n_hidden: int) -> list[str]:
        if isinstance(activation, str):
            return [activation] * n_hidden
        names = list(activation)
        if len(names) != n_hidden:
            raise ValueError(f"got {len(names)} activations for {n_hidden} hidden layers")
        return names

    def _allocate(self) -> None:
        shapes = [(layer, name, shape) for layer in self.layers for name, shape in layer.param_shapes()]
        total = sum(int(np.prod(shape)) for _, _, shape in shapes)
        self.flat_value: np.ndarray = np.zeros(total, dtype=self.dtype)
        self.flat_grad: np.ndarray = np.zeros(total, dtype=self.dtype)
        self._params: list[Parameter] = []
        starts = []
        offset = 0
        for layer in self.layers:
            starts.append(offset)
            own = []
            for name, shape in layer.param_shapes():
                size = int(np.prod(shape))
                own.append(Parameter(
                    f"{layer.name}.{name}",
                    self.flat_value[offset:offset + size].reshape(shape),
                    self.flat_grad[offset:offset + size].reshape(shape),
                ))
                offset += size
            layer.attach(own)
            self._params += own
        self.layer_starts = np.array(starts)
        self.layer_sizes = np.diff(np.append(self.layer_starts, total))

    def __setstate__(self, state: dict) -> None:
        """After ``copy.deepcopy`` or unpickling: make every parameter a view into the flat
        buffers again. A copied view is an array of its own, so a copy whose optimizer
        updates ``flat_value`` would compute its forward pass with weights that never move."""
        self.__dict__.update(state)
        offset = 0
        for param in self._params:
            size, shape = param.value.size, param.value.shape
            param._value = self.flat_value[offset:offset + size].reshape(shape)
            param._grad = self.flat_grad[offset:offset + size].reshape(shape)
            offset += size

    def _initialise(self, rng: np.random.Generator, bias_init: float | None) -> None:
        for layer in self.layers:
            weight, bias = init_dense(self.init, layer.fan_in, layer.fan_out,
                                      layer.activation.gain, rng)
            layer.W.value = weight
            layer.b.value = bias if bias_init is None else bias_init
            if layer.batchnorm:
                layer.gamma.value = 1.0
                layer.beta.value = 0.0

    def parameters(self) -> list[Parameter]:
        """All parameters in order: layers.0.W, layers.0.b, [gamma, beta], layers.1.W, ..."""
        return list(self._params)

    @property
    def activations(self) -> list[str]:
        """Names of the hidden layers' activations."""
        return [layer.activation.name for layer in self.layers[:-1]]

    def set_activation(self, activation: str | Sequence[str]) -> None:
        """Swap hidden activations in place; the weights stay as they are."""
        names = self._activation_names(activation, len(self.layers) - 1)
        for layer, name in zip(self.layers, names):
            layer.activation = get_activation(name)

    def forward(self, X: np.ndarray, train: bool = True) -> np.ndarray:
        """Output (logits or raw scores) for inputs ``X`` of shape (N, n_in).

        ``train=False`` uses batch norm's running statistics and leaves them alone.
        """
        out: np.ndarray = np.asarray(X, dtype=self.dtype)
        for layer in self.layers:
            out = layer.forward(out, train)
        return out

    def backward(self, dout: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        """Fill every ``.grad`` (overwriting) from dL/doutput; return dL/dX."""
        grad: np.ndarray | None = dout
        last = len(self.layers) - 1
        for i in range(last, -1, -1):
            assert grad is not None  # only the first layer may skip its input gradient
            grad = self.layers[i].backward(grad, need_input_grad or i > 0)
        return grad

    def buffers(self) -> dict[str, np.ndarray]:
        """Non-trainable state (batch norm running statistics), by name."""
        out = {}
        for layer in self.layers:
            if layer.batchnorm:
                out[f"{layer.name}.running_mean"] = layer.running_mean
                out[f"{layer.name}.running_var"] = layer.running_var
        return out

    def load_buffers(self, buffers: dict[str, np.ndarray]) -> None:
        """Set what ``buffers`` returned. Raises ValueError, changing nothing, for a missing,
        extra, mis-shaped or non-finite statistic, or a negative variance."""
        own = self.buffers()
        if set(buffers) != set(own):
            odd = sorted(set(buffers) ^ set(own))[0]
            raise ValueError(f"batch-norm statistic {odd} is {'missing' if odd in own else 'unexpected'}")
        loaded = {}
        for name, current in own.items():
            value = np.asarray(buffers[name])
            if value.shape != current.shape or value.dtype != current.dtype:
                raise ValueError(f"batch-norm statistic {name} is {value.dtype} {value.shape}; "
                                 f"the layer needs {current.dtype} {current.shape}")
            if not np.isfinite(value).all() or (name.endswith("running_var") and (value < 0).any()):
                raise ValueError(f"batch-norm statistic {name} holds NaN, Inf or a negative variance")
            loaded[name] = np.array(value, dtype=float)
        for layer in self.layers:
            if layer.batchnorm:
                layer.running_mean = loaded[f"{layer.name}.running_mean"]
                layer.running_var = loaded[f"{layer.name}.running_var"]

    @property
    def architecture(self) -> str:
        """E.g. ``2-16-16-2``."""
        return "-".join(str(s) for s in self.sizes)
