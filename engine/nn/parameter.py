"""Parameter: a named array with its gradient, optionally a view into a flat buffer."""

from __future__ import annotations

import numpy as np


class Parameter:
    """A trainable array ``value`` and its gradient ``grad`` of the same shape.

    Networks keep all parameters as views into two flat buffers, so optimizers and
    statistics can treat a whole model as one vector. Assigning ``p.value = x``
    copies into the existing storage and keeps those views intact.
    """

    __slots__ = ("name", "_value", "_grad")

    def __init__(self, name: str, value: np.ndarray, grad: np.ndarray | None = None) -> None:
        self.name = name
        self._value = value
        self._grad = np.zeros_like(value) if grad is None else grad

    @property
    def value(self) -> np.ndarray:
        return self._value

    @value.setter
    def value(self, new: np.ndarray | float) -> None:
        self._value[...] = new

    @property
    def grad(self) -> np.ndarray:
        return self._grad

    @grad.setter
    def grad(self, new: np.ndarray | float) -> None:
        self._grad[...] = new

    def __repr__(self) -> str:
        return f"Parameter({self.name!r}, shape={self._value.shape})"


def flat_buffers(params: list[Parameter]) -> tuple[np.ndarray, np.ndarray] | None:
    """The (values, grads) flat vectors that ``params`` tile in order, or None.

    When every parameter is a consecutive view of one flat buffer (as in ``MLP``),
    an optimizer can update the whole model with a handful of vector operations.
    """
    if not params:
        return None
    vbase, gbase = params[0].value.base, params[0].grad.base
    if vbase is None or gbase is None or vbase.ndim != 1 or gbase.ndim != 1:
        return None
    if vbase.size != sum(p.value.size for p in params) or gbase.size != vbase.size:
        return None
    offset = 0
    for p in params:
        for arr, base in ((p.value, vbase), (p.grad, gbase)):
            if arr.base is not base or not arr.flags.c_contiguous:
                return None
            start = (arr.__array_interface__["data"][0] - base.__array_interface__["data"][0])
            if start != offset * base.itemsize:
                return None
        offset += p.value.size
    return vbase, gbase
