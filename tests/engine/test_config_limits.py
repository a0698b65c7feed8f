"""TrainConfig and MLP refuse, through the API, what would give non-finite weights or an
unbounded allocation; data beyond the run's dtype is refused like NaN."""

from __future__ import annotations

import numpy as np
import pytest

from gradtui.engine import MLP, TrainConfig, Trainer
from gradtui.engine.train.config import INIT_HEADROOM, MAX_HIDDEN_LAYERS, MAX_SAMPLES

F32_MAX, F64_MAX = float(np.finfo(np.float32).max), float(np.finfo(np.float64).max)

REFUSED = [
    (dict(init="normal:1e308"), "the std must be at most"),
    (dict(init="normal:1e150", dtype="float32"), "for float32 weights"),
    (dict(bias_init=float("nan")), "bias_init must be finite"),
    (dict(bias_init=float("inf")), "bias_init must be finite"),
    (dict(bias_init=1e38, dtype="float32"), "bias_init must be finite and at most 3.4e+35"),
    (dict(bias_init="1"), "bias_init must be a number"),
    (dict(dead_fraction=5), "dead_fraction is a fraction"),
    (dict(saturated_fraction=1.5), "saturated_fraction is a fraction"),
    (dict(saturation_grad=2.0), "saturation_grad is a fraction"),
    (dict(dead_fraction=0), "dead_fraction must be greater than zero"),
    (dict(n_samples=MAX_SAMPLES + 1), "n_samples must be from 4 to 1,000,000"),
    (dict(hidden=(1,) * (MAX_HIDDEN_LAYERS + 1)), "1,001 hidden layers"),
]


@pytest.mark.parametrize("changes, message", REFUSED, ids=lambda v: str(v)[:40] if isinstance(v, dict) else None)
def test_config_refuses(changes, message):
    with pytest.raises(ValueError, match=None) as info:
        TrainConfig(**changes)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_the_limits_themselves_are_accepted_and_give_finite_weights():
    for dtype, largest in (("float32", F32_MAX), ("float64", F64_MAX)):
        limit = largest / INIT_HEADROOM
        config = TrainConfig(init=f"normal:{limit!r}", bias_init=-limit, dtype=dtype, hidden=(8,))
        weights = Trainer(config).model.flat_value
        assert np.isfinite(weights).all() and weights.dtype == np.dtype(dtype)
    assert TrainConfig(dead_fraction=1, saturated_fraction=1, saturation_grad=1).dead_fraction == 1
    assert TrainConfig(hidden=(1,) * MAX_HIDDEN_LAYERS, n_samples=MAX_SAMPLES).n_samples == MAX_SAMPLES


def test_a_huge_network_is_refused_before_any_allocation(monkeypatch):
    def no_allocation(*args, **kwargs):
        raise AssertionError("allocated before the size check")

    monkeypatch.setattr(np, "zeros", no_allocation)
    monkeypatch.setattr(np, "ones", no_allocation)
    with pytest.raises(ValueError, match="50,000,000,002 parameters; gradtui trains up to 20,000,000"):
        MLP([2, 10_000_000_000, 2])
    with pytest.raises(ValueError, match="up to 20,000,000"):
        MLP([2, 100_000, 100_000, 2], batchnorm=True)


def test_parameter_count_matches_the_allocated_network():
    from gradtui.engine.nn.mlp import parameter_count
    for sizes, bn in (([3, 5, 4, 2], False), ([3, 5, 4, 2], True), ([7, 1], False)):
        assert parameter_count(sizes, bn) == MLP(sizes, batchnorm=bn).flat_value.size


@pytest.mark.parametrize("where", ["features", "targets"])
def test_data_beyond_float32_is_refused_like_nan(where):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 2)), rng.normal(size=20)
    if where == "features":
        X[4, 1] = 1e39
    else:
        y[4] = -1e39
    with pytest.raises(ValueError, match=f"{where} reach 1e\\+39, beyond the range of float32"):
        Trainer.from_arrays(X, y, TrainConfig(dtype="float32", test_fraction=0))
    trainer = Trainer.from_arrays(X, y, TrainConfig(dtype="float64", test_fraction=0))
    assert np.isfinite(trainer.model.flat_value).all()  # float64 holds 1e39 fine
