"""Activation functions, their derivatives, init gains, and softmax for teaching.

Each activation maps pre-activations ``z`` to outputs ``a`` and back-propagates
``da`` to ``dz`` from the cached ``z`` and ``a``. ``local_grad`` is f'(z), which the
health checks use to tell a saturated unit (f' near zero everywhere) from a live one;
``second_grad`` is f''(z), which exact Hessian-vector products need (``engine.curvature``).
"""

from __future__ import annotations

import math

import numpy as np

from gradtui.engine.registry import check_name

LEAKY_SLOPE = 0.01


class Activation:
    """One elementwise nonlinearity; subclasses fill in the maths."""

    name = "linear"
    gain = 1.0
    max_local_grad = 1.0
    can_die = False
    can_saturate = False

    def forward(self, z: np.ndarray) -> np.ndarray:
        return z

    def backward(self, z: np.ndarray, a: np.ndarray, da: np.ndarray) -> np.ndarray:
        return da * self.local_grad(z, a)

    def local_grad(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return np.ones_like(z)

    def second_grad(self, z: np.ndarray, a: np.ndarray) -> np.ndarray | None:
        """f''(z), or None where it is 0 everywhere (piecewise-linear activations: 0 away
        from the kink, which is what autograd differentiates too)."""
        return None


class Linear(Activation):
    name = "linear"

    def backward(self, z, a, da):
        return da


class ReLU(Activation):
    """max(z, 0); the gradient at exactly 0 is 0, as in PyTorch."""

    name = "relu"
    gain = math.sqrt(2.0)
    can_die = True

    def forward(self, z):
        return np.maximum(z, 0.0)

    def backward(self, z, a, da):
        return da * (z > 0)

    def local_grad(self, z, a):
        return (z > 0).astype(z.dtype)


class LeakyReLU(Activation):
    """z for z > 0, 0.01 z otherwise."""

    name = "leaky_relu"
    gain = math.sqrt(2.0 / (1 + LEAKY_SLOPE**2))

    def forward(self, z):
        return np.where(z > 0, z, LEAKY_SLOPE * z)

    def local_grad(self, z, a):
        return np.where(z > 0, z.dtype.type(1.0), z.dtype.type(LEAKY_SLOPE))


class ELU(Activation):
    """z for z > 0, exp(z) - 1 otherwise (alpha = 1); He init uses ReLU's gain."""

    name = "elu"
    gain = math.sqrt(2.0)
    can_saturate = True

    def forward(self, z):
        return np.where(z > 0, z, np.expm1(np.minimum(z, 0.0)))

    def local_grad(self, z, a):
        return np.where(z > 0, 1.0, a + 1.0)

    def second_grad(self, z, a):
        return np.where(z > 0, 0.0, a + 1.0)


class Sigmoid(Activation):
    """1 / (1 + exp(-z)), computed without overflow."""

    name = "sigmoid"
    max_local_grad = 0.25
    can_saturate = True

    def forward(self, z):
        return sigmoid(z)

    def local_grad(self, z, a):
        return a * (1.0 - a)

    def second_grad(self, z, a):
        return a * (1.0 - a) * (1.0 - 2.0 * a)


class Tanh(Activation):
    name = "tanh"
    gain = 5.0 / 3.0
    can_saturate = True

    def forward(self, z):
        return np.tanh(z)

    def local_grad(self, z, a):
        return 1.0 - a * a

    def second_grad(self, z, a):
        return -2.0 * a * (1.0 - a * a)


ACTIVATION_CLASSES = {cls.name: cls for cls in (ReLU, LeakyReLU, ELU, Sigmoid, Tanh, Linear)}
ACTIVATIONS = tuple(ACTIVATION_CLASSES)
"""Every activation name, in the order the app's activation key cycles them."""


def get_activation(name: str) -> Activation:
    """The activation called ``name``; raises ValueError naming the valid ones."""
    check_name("activation", name, ACTIVATIONS)
    return ACTIVATION_CLASSES[name]()


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function, stable for large |z| (no overflow warnings)."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis``, shifted by the max so exp never overflows."""
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_jvp(z: np.ndarray, v: np.ndarray, axis: int = -1) -> np.ndarray:
    """Jacobian of softmax at ``z`` times ``v``: s * (v - sum(s * v)).

    The Jacobian is diag(s) - s s^T, so its product with a vector never needs the
    full matrix; this is the term backprop through a softmax layer multiplies by.
    """
    s = softmax(z, axis=axis)
    return s * (v - (s * v).sum(axis=axis, keepdims=True))
