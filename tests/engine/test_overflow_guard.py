"""A step that would overflow is refused whole, in float32 as in float64: the weights, the
optimizer's step count and moments, and batch-norm statistics stay exactly as they were."""

from __future__ import annotations

import numpy as np
import pytest

from gradtui.engine import TrainConfig, Trainer
from gradtui.engine.train.trainer import risky_size

OPTIMIZERS = ("sgd", "momentum", "nesterov", "rmsprop", "adam")


def trainer(dtype: str, optimizer: str, **changes) -> Trainer:
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(40, 3)), rng.normal(size=40)
    config = TrainConfig(dtype=dtype, optimizer=optimizer, loss="mae", hidden=(5,), batch_size=8,
                         test_fraction=0, **changes)
    t = Trainer.from_arrays(X, y, config)
    t.run(3)  # moments and momentum buffers exist
    return t


def step_checked(t: Trainer):
    """One step; when it is refused, everything must be exactly as before it."""
    weights, state = t.model.flat_value.copy(), t.optimizer.state_dict()
    buffers = {k: v.copy() for k, v in t.model.buffers().items()}
    stats = t.step()
    if not stats.applied:
        assert any(f.kind == "nonfinite" for f in stats.flags)
        np.testing.assert_array_equal(t.model.flat_value, weights)
        after = t.optimizer.state_dict()
        assert after["t"] == state["t"] and after["arrays"].keys() == state["arrays"].keys()
        for key, value in state["arrays"].items():
            np.testing.assert_array_equal(after["arrays"][key], value)
        for key, value in buffers.items():
            np.testing.assert_array_equal(t.model.buffers()[key], value)
    return stats


def assert_refused_exactly(t: Trainer) -> None:
    assert not step_checked(t).applied


@pytest.mark.parametrize("dtype, scale", [("float32", 1e30), ("float64", 1e200)])
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_huge_gradients_never_reach_the_optimizer_state_as_inf(dtype, scale, optimizer):
    """g * g overflows: RMSprop and Adam refuse the step whole; SGD's lr * g is still finite."""
    t = trainer(dtype, optimizer)
    t._X_train *= t._X_train.dtype.type(scale)
    for _ in range(3):
        stats = step_checked(t)
        assert not stats.applied or optimizer not in ("rmsprop", "adam")
        assert all(np.isfinite(a).all() for a in t.optimizer.state_dict()["arrays"].values())
        assert np.isfinite(t.model.flat_value).all()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_an_update_that_would_overflow_a_weight_is_undone_whole(dtype, optimizer):
    t = trainer(dtype, optimizer)
    largest = float(np.finfo(dtype).max)
    t.model.flat_value[:] = np.where(t.model.flat_value < 0, -0.9, 0.9) * largest
    t._weight_sq = t._squared_norms()
    t.update(lr=largest / 2)
    assert_refused_exactly(t)


def test_the_float32_threshold_is_below_where_float32_squares_overflow():
    assert risky_size(np.float32) ** 2 < float(np.finfo(np.float32).max) / 1e7  # g * g has room
    assert risky_size(np.float64) ** 2 < float(np.finfo(np.float64).max) / 1e7


def test_float32_adam_never_fills_its_moments_with_inf():
    """The issue's case: features around 1e30, float32, MAE, Adam."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(64, 3)) * 1e30, rng.normal(size=64)
    t = Trainer.from_arrays(X, y, TrainConfig(dtype="float32", loss="mae", hidden=(4,), test_fraction=0))
    for stats in t.run(20):
        assert not stats.applied
    assert all(np.isfinite(a).all() for a in t.optimizer.state_dict()["arrays"].values())
    assert np.isfinite(t.model.flat_value).all()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_non_finite_batch_leaves_batch_norm_statistics_finite(dtype):
    t = trainer(dtype, "adam", batchnorm=True)
    t._X_train[:] = np.finfo(dtype).max  # every batch overflows in the first layer
    assert_refused_exactly(t)
    assert all(np.isfinite(v).all() for v in t.model.buffers().values())
