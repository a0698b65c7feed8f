"""Gradient clipping with torch.nn.utils semantics, on hand numbers."""

import warnings

import numpy as np
import pytest

from gradtui.engine import MLP, Parameter, clip_grad_norm, clip_grad_value


def params_with_grads(*grads):
    out = []
    for i, g in enumerate(grads):
        p = Parameter(f"p{i}", np.zeros(len(g)))
        p.grad = np.array(g, dtype=float)
        out.append(p)
    return out


def test_norm_clipping_returns_the_total_before_clipping_and_scales():
    params = params_with_grads([3.0, 4.0], [12.0])  # sqrt(9 + 16 + 144) = 13
    total = clip_grad_norm(params, 6.5)
    assert total == 13.0
    scale = 6.5 / (13.0 + 1e-6)  # = 0.49999996153846...
    np.testing.assert_allclose(params[0].grad, [3 * scale, 4 * scale], rtol=1e-15)
    np.testing.assert_allclose(params[1].grad, [12 * scale], rtol=1e-15)
    np.testing.assert_allclose(params[0].grad, [1.4999998846153935, 1.999999846153858], rtol=1e-14)


def test_norm_clipping_is_a_no_op_under_the_limit():
    params = params_with_grads([3.0, 4.0], [12.0])
    assert clip_grad_norm(params, 20.0) == 13.0
    np.testing.assert_array_equal(params[0].grad, [3.0, 4.0])
    np.testing.assert_array_equal(params[1].grad, [12.0])


def test_norm_clipping_exactly_at_the_limit_scales_by_the_1e6_margin():
    # torch: coef = 13 / (13 + 1e-6) < 1, so gradients shrink by a hair
    params = params_with_grads([3.0, 4.0], [12.0])
    clip_grad_norm(params, 13.0)
    assert params[1].grad[0] == pytest.approx(12 * 13 / 13.000001, rel=1e-15)
    assert params[1].grad[0] < 12.0


def test_norm_clipping_works_in_place_on_model_gradients():
    model = MLP([2, 3, 2])
    model.flat_grad[:] = 1.0  # 6 + 3 + 6 + 2 = 17 ones: norm sqrt(17)
    views = [p.grad for p in model.parameters()]
    assert clip_grad_norm(model.parameters(), 1.0) == pytest.approx(np.sqrt(17), rel=1e-15)
    np.testing.assert_allclose(np.linalg.norm(model.flat_grad), 1.0, rtol=1e-6)
    assert all(v is p.grad for v, p in zip(views, model.parameters()))


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_norm_of_huge_finite_gradients_does_not_overflow():
    params = params_with_grads([3e200, 4e200], [12e200])
    assert clip_grad_norm(params, 1.0) == pytest.approx(13e200, rel=1e-14)
    np.testing.assert_allclose(params[0].grad, [3 / 13, 4 / 13], rtol=1e-6)


def test_value_clipping_clamps_each_element():
    params = params_with_grads([3.0, -4.0], [12.0, -0.5])
    assert clip_grad_value(params, 3.5) is None
    np.testing.assert_array_equal(params[0].grad, [3.0, -3.5])
    np.testing.assert_array_equal(params[1].grad, [3.5, -0.5])


def test_huge_finite_gradients_clip_quietly():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clip_grad_norm(params_with_grads([3e200, 4e200]), 1.0)
