"""Shared test helpers: bit-exact fingerprints of training statistics, and an independent backprop."""

from __future__ import annotations

import importlib
import os
from types import ModuleType
from typing import Callable

import numpy as np
import pytest


def _bits(x: object) -> object:
    """A hashable, bit-exact stand-in for a number or array (NaN equals NaN, 0.0 differs from -0.0)."""
    if isinstance(x, np.ndarray):
        return (x.dtype.str, x.shape, x.tobytes())
    if isinstance(x, float):
        return float.hex(x)
    return x


def fingerprint_stats(stats) -> tuple:
    """Every number in a StepStats (layer statistics and unit arrays included), bit for bit."""
    layers = tuple(
        tuple(_bits(getattr(ls, k)) for k in (
            "name", "width", "grad_norm", "grad_mean_abs", "grad_max_abs", "weight_norm",
            "update_ratio", "unit_state", "dead", "saturated", "unit_grad"))
        for ls in stats.layers
    )
    head = tuple(_bits(getattr(stats, k)) for k in
                 ("step", "loss", "grad_norm", "clipped", "lr", "epoch", "applied"))
    return head + (tuple(stats.flags), layers)


@pytest.fixture
def fingerprint() -> Callable:
    """``fingerprint(list_of_stats)``: a comparable bit-exact record of a run."""
    return lambda run: [fingerprint_stats(s) for s in run]


ACT = {
    "relu": (lambda z: np.maximum(z, 0.0), lambda z, a: (z > 0).astype(float)),
    "tanh": (np.tanh, lambda z, a: 1.0 - a * a),
}


def manual_backprop(Ws: list[np.ndarray], bs: list[np.ndarray], X: np.ndarray, labels: np.ndarray,
                    activation: str) -> tuple[float, list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """Softmax cross-entropy on an MLP written out in plain NumPy, independent of the engine.

    Returns (loss, dW per layer, db per layer, dL/dz per layer), where z is each layer's
    pre-activation (the output layer is linear).
    """
    f, df = ACT[activation]
    zs, acts, a = [], [X], X
    for i, (W, b) in enumerate(zip(Ws, bs)):
        z = a @ W + b
        a = z if i == len(Ws) - 1 else f(z)
        zs.append(z)
        acts.append(a)
    n = len(X)
    logits = zs[-1]
    shifted = logits - logits.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = float(-logp[np.arange(n), labels].mean())
    dz = np.exp(logp)
    dz[np.arange(n), labels] -= 1.0
    dz /= n
    dWs, dbs, dzs = [], [], []
    for i in range(len(Ws) - 1, -1, -1):
        dzs.insert(0, dz)
        dWs.insert(0, acts[i].T @ dz)
        dbs.insert(0, dz.sum(axis=0))
        if i:
            dz = (dz @ Ws[i].T) * df(zs[i - 1], acts[i])
    return loss, dWs, dbs, dzs


@pytest.fixture
def backprop() -> Callable:
    """``backprop(Ws, bs, X, labels, activation)``: see ``manual_backprop``."""
    return manual_backprop


def import_tool(name: str, why: str) -> ModuleType:
    """An optional test tool (torch, playwright): a developer machine without it skips the test
    with the reason; in CI (the ``CI`` variable set, as ``.ci/run`` runs) its absence fails it."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        message = f"{name} is not installed ({exc}); {why}; .ci/run installs it"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def tool() -> Callable[[str, str], ModuleType]:
    """``tool(name, why)``: see ``import_tool``."""
    return import_tool


def _one_error_line(result, code: int, *fragments: str) -> str:
    """A finished ``gradtui`` process that failed as it should: exit ``code``, no traceback,
    exactly one stderr line starting ``gradtui: `` and holding every fragment; returns it."""
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("gradtui: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


@pytest.fixture
def one_error_line() -> Callable:
    """``one_error_line(completed_process, exit_code, *fragments)`` (see ``_one_error_line``)."""
    return _one_error_line
