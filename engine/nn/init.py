"""Weight initialisation schemes: he, xavier, torch and normal:STD (the registry, ``INITS``)."""

from __future__ import annotations

import math

import numpy as np

from gradtui.engine.registry import check_name

INITS = ("he", "xavier", "torch", "normal:STD")
"""Every init scheme; ``normal:STD`` stands for ``normal:`` followed by a positive std."""


def parse_init(init: str) -> tuple[str, float | None]:
    """Split an init name into (scheme, std); ``normal:2.0`` gives ("normal", 2.0)."""
    if isinstance(init, str) and init.startswith("normal:"):
        try:
            std = float(init.split(":", 1)[1])
        except ValueError:
            raise ValueError(f"init {init!r}: the std after 'normal:' must be a number") from None
        if not std > 0 or std == float("inf"):
            raise ValueError(f"init {init!r}: the std after 'normal:' must be positive")
        return "normal", std
    check_name("init", init, INITS)
    return init, None


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
        assert std is not None  # parse_init gives normal a std
        weight = rng.normal(0.0, std, shape)
    return weight, bias
