"""Weight initialisation schemes: he, xavier, torch and normal:STD."""

from __future__ import annotations

import math

import numpy as np

from gradtui.engine.train.config import parse_init


def init_dense(scheme: str, fan_in: int, fan_out: int, gain: float,
               rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Draw (W, b) for a dense layer, W of shape (fan_in, fan_out).

    - ``he``: Kaiming normal, std = gain / sqrt(fan_in); b = 0.
    - ``xavier``: Glorot uniform, bound = gain * sqrt(6 / (fan_in + fan_out)); b = 0.
    - ``torch``: PyTorch's default Linear init, U(+-1/sqrt(fan_in)) for W and b.
    - ``normal:STD``: N(0, STD^2) for W, b = 0 (to provoke explosions on purpose).
    ``gain`` is the activation's gain (1 for the linear output layer).
    """
    kind, std = parse_init(scheme)
    shape = (fan_in, fan_out)
    bias = np.zeros(fan_out)
    if kind == "he":
        weight = rng.normal(0.0, gain / math.sqrt(fan_in), shape)
    elif kind == "xavier":
        bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
        weight = rng.uniform(-bound, bound, shape)
    elif kind == "torch":
        bound = 1.0 / math.sqrt(fan_in)
        weight = rng.uniform(-bound, bound, shape)
        bias = rng.uniform(-bound, bound, fan_out)
    else:
        weight = rng.normal(0.0, std, shape)
    return weight, bias
