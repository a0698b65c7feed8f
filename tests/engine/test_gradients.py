"""Backprop against finite differences, loss and activation formulas, batch norm, init and layout.

Every gradient check runs in float64 on small nets (sizes like [3, 4, 3, 2], batch 5),
with inputs redrawn until no pre-activation, residual or margin sits within KINK of a
kink, so central differences never straddle one.
"""

import math

import numpy as np
import pytest

from gradtui.engine import ACTIVATIONS, LOSSES, MLP, get_activation, get_loss, gradcheck, softmax, softmax_jvp

KINK = 1e-4
BATCH = 5
KINKED_ACTIVATIONS = ("relu", "leaky_relu", "elu")


def targets_for(loss: str, n: int, n_out: int, rng: np.random.Generator) -> np.ndarray:
    """Targets of the kind each loss takes."""
    if loss == "cross_entropy":
        return rng.integers(0, n_out, n)
    if loss == "bce":
        return rng.integers(0, 2, (n, 1)).astype(float)
    if loss == "hinge":
        return rng.choice([-1.0, 1.0], (n, 1))
    return rng.normal(size=(n, n_out))


def kink_distance(model: MLP, loss: str, X: np.ndarray, y: np.ndarray) -> float:
    """How close any pre-activation, MAE residual or hinge margin is to its kink."""
    pred = model.forward(X, train=True)
    gaps = [np.inf]
    for layer in model.layers[:-1]:
        if layer.activation.name in KINKED_ACTIVATIONS:
            gaps.append(np.abs(layer.z).min())
    if loss == "mae":
        gaps.append(np.abs(pred - y).min())
    if loss == "hinge":
        gaps.append(np.abs(1.0 - y * pred).min())
    return float(min(gaps))


def central_differences(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """d f / d x elementwise by (f(x + eps) - f(x - eps)) / (2 eps)."""
    out = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        plus, minus = x.copy(), x.copy()
        plus[idx] += eps
        minus[idx] -= eps
        out[idx] = (f(plus) - f(minus)) / (2 * eps)
    return out


def case(activation: str, loss: str, batchnorm: bool, seed: int = 0):
    """(model, loss, X, y) for a small net, redrawn until it is at least KINK off every kink."""
    n_out = 1 if loss in ("bce", "hinge") else 2
    for attempt in range(50):
        rng = np.random.default_rng([seed, attempt])
        model = MLP([3, 4, 3, n_out], activation, batchnorm=batchnorm, seed=seed + attempt)
        X = rng.normal(size=(BATCH, 3))
        y = targets_for(loss, BATCH, n_out, rng)
        if kink_distance(model, loss, X, y) > KINK:
            return model, get_loss(loss), X, y
    raise AssertionError("could not draw inputs away from the kinks")


# --- gradcheck over the whole matrix -------------------------------------------------------


@pytest.mark.parametrize("batchnorm", [False, True], ids=["plain", "bn"])
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_gradcheck_agrees_with_backprop(activation, loss, batchnorm):
    model, loss_fn, X, y = case(activation, loss, batchnorm)
    errors = gradcheck(model, loss_fn, X, y)
    expected = ["layers.0.W", "layers.0.b"] + (["layers.0.gamma", "layers.0.beta"] if batchnorm else [])
    assert list(errors)[:len(expected)] == expected
    assert len(errors) == len(model.parameters())
    worst = max(errors, key=errors.get)
    assert errors[worst] < 1e-6, (worst, errors[worst])


def test_gradcheck_catches_a_wrong_backward():
    model, loss_fn, X, y = case("tanh", "mse", False)
    act = model.layers[1].activation
    act.local_grad = lambda z, a: 1.1 * (1.0 - a * a)  # 10% too steep
    errors = gradcheck(model, loss_fn, X, y)
    assert errors["layers.0.W"] > 1e-2 and errors["layers.1.W"] > 1e-2
    assert errors["layers.2.W"] < 1e-6


def test_gradcheck_leaves_batchnorm_buffers_and_weights_alone():
    model, loss_fn, X, y = case("tanh", "cross_entropy", True)
    before = {k: v.copy() for k, v in model.buffers().items()}
    weights = model.flat_value.copy()
    gradcheck(model, loss_fn, X, y)
    for k, v in model.buffers().items():
        np.testing.assert_array_equal(v, before[k])
    np.testing.assert_array_equal(model.flat_value, weights)


def test_gradcheck_refuses_float32():
    model = MLP([2, 3, 2], dtype=np.float32)
    with pytest.raises(ValueError, match="float64"):
        gradcheck(model, get_loss("mse"), np.zeros((2, 2)), np.zeros((2, 2)))


@pytest.mark.parametrize("batchnorm", [False, True], ids=["plain", "bn"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_input_gradient_matches_finite_differences(activation, batchnorm):
    model, loss_fn, X, y = case(activation, "cross_entropy", batchnorm)
    dX = model.backward(loss_fn.grad(model.forward(X), y))
    numeric = central_differences(lambda x: loss_fn.value(model.forward(x), y), X)
    assert dX.shape == X.shape
    assert np.abs(dX - numeric).sum() / (np.abs(dX).sum() + np.abs(numeric).sum()) < 1e-6


def test_backward_overwrites_gradients_instead_of_accumulating():
    model, loss_fn, X, y = case("tanh", "cross_entropy", True)
    model.backward(loss_fn.grad(model.forward(X), y))
    once = [p.grad.copy() for p in model.parameters()]
    model.backward(loss_fn.grad(model.forward(X), y))
    for p, g in zip(model.parameters(), once):
        np.testing.assert_array_equal(p.grad, g, err_msg=p.name)


# --- losses against direct formulas --------------------------------------------------------

RNG = np.random.default_rng(7)
LOGITS = RNG.normal(0, 2, (6, 3))
LABELS = np.array([0, 2, 1, 1, 0, 2])
SCORES = RNG.normal(0, 2, (6, 1))
BITS = np.array([[1.0], [0.0], [1.0], [1.0], [0.0], [0.0]])


def test_mse_and_mae_values():
    target = RNG.normal(size=LOGITS.shape)
    d = LOGITS - target
    assert get_loss("mse").value(LOGITS, target) == pytest.approx((d ** 2).sum() / d.size, rel=1e-14)
    assert get_loss("mae").value(LOGITS, target) == pytest.approx(np.abs(d).sum() / d.size, rel=1e-14)


def test_cross_entropy_value_is_mean_negative_log_softmax():
    naive = -np.mean(np.log(np.exp(LOGITS) / np.exp(LOGITS).sum(axis=1, keepdims=True))[np.arange(6), LABELS])
    ce = get_loss("cross_entropy")
    assert ce.value(LOGITS, LABELS) == pytest.approx(naive, rel=1e-13)
    assert ce.value(LOGITS, np.eye(3)[LABELS]) == pytest.approx(naive, rel=1e-13)


def test_cross_entropy_is_stable_on_huge_logits():
    ce = get_loss("cross_entropy")
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        assert ce.value(LOGITS + 1000.0, LABELS) == pytest.approx(ce.value(LOGITS, LABELS), rel=1e-12)
        assert ce.value(np.array([[1000.0, 0.0]]), np.array([1])) == pytest.approx(1000.0, rel=1e-15)


def test_bce_matches_naive_form_and_survives_huge_logits():
    p = 1.0 / (1.0 + np.exp(-SCORES))
    naive = -np.mean(BITS * np.log(p) + (1 - BITS) * np.log(1 - p))
    bce = get_loss("bce")
    assert bce.value(SCORES, BITS) == pytest.approx(naive, rel=1e-13)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        assert bce.value(np.array([[800.0], [-800.0]]), np.array([[0.0], [1.0]])) == pytest.approx(800.0)
        np.testing.assert_allclose(bce.grad(np.array([[800.0], [-800.0]]), np.array([[0.0], [1.0]])),
                                   [[0.5], [-0.5]])


def test_hinge_value():
    y = 2 * BITS - 1
    assert get_loss("hinge").value(SCORES, y) == pytest.approx(np.maximum(0, 1 - y * SCORES).mean(), rel=1e-14)


@pytest.mark.parametrize("name", LOSSES)
def test_loss_grad_matches_finite_differences_of_value(name):
    if name == "cross_entropy":
        pred, target = LOGITS, LABELS
    elif name in ("bce", "hinge"):
        pred, target = SCORES, BITS if name == "bce" else 2 * BITS - 1
    else:
        pred, target = LOGITS, LOGITS + RNG.choice([-1.0, 1.0], LOGITS.shape) * RNG.uniform(0.1, 1, LOGITS.shape)
    loss = get_loss(name)
    numeric = central_differences(lambda p: loss.value(p, target), pred)
    grad = loss.grad(pred, target)
    assert grad.shape == pred.shape
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)
    value, grad2 = loss.value_and_grad(pred, target)
    assert value == loss.value(pred, target)
    np.testing.assert_array_equal(grad2, grad)


def test_hinge_gradient_is_zero_exactly_at_the_kink():
    scores = np.array([[1.0], [-1.0], [0.5], [2.0]])
    y = np.array([[1.0], [-1.0], [1.0], [-1.0]])
    np.testing.assert_array_equal(get_loss("hinge").grad(scores, y), [[0.0], [0.0], [-0.25], [0.25]])


def test_mae_gradient_is_zero_where_prediction_equals_target():
    np.testing.assert_array_equal(get_loss("mae").grad(np.array([[1.0, 2.0]]), np.array([[1.0, 0.0]])),
                                  [[0.0, 0.5]])


# --- activations -------------------------------------------------------------------------

FORMULAS = {
    "relu": lambda z: np.where(z > 0, z, 0.0),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "elu": lambda z: np.where(z > 0, z, np.exp(np.minimum(z, 0)) - 1),
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "tanh": np.tanh,
    "linear": lambda z: z,
}


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_forward_and_derivative(name):
    act = get_activation(name)
    z = np.array([-3.0, -0.7, -0.01, 0.02, 0.5, 2.5])
    a = act.forward(z)
    np.testing.assert_allclose(a, FORMULAS[name](z), rtol=1e-14, atol=1e-15)
    eps = 1e-6
    numeric = (FORMULAS[name](z + eps) - FORMULAS[name](z - eps)) / (2 * eps)
    np.testing.assert_allclose(act.local_grad(z, a), numeric, rtol=1e-7, atol=1e-9)
    da = np.linspace(-1, 1, z.size)
    np.testing.assert_allclose(act.backward(z, a, da), da * numeric, rtol=1e-7, atol=1e-9)


def test_relu_gradient_is_zero_at_exactly_zero():
    relu = get_activation("relu")
    z = np.zeros(3)
    np.testing.assert_array_equal(relu.backward(z, relu.forward(z), np.ones(3)), 0.0)
    model = MLP([1, 1, 1], "relu")  # z = 0 * x + 0 = 0 exactly
    model.layers[0].W.value = 0.0
    model.layers[1].W.value = 1.0
    model.forward(np.array([[1.0], [-1.0]]))
    model.backward(np.ones((2, 1)))
    assert model.layers[0].b.grad[0] == 0.0 and model.layers[0].W.grad[0, 0] == 0.0


def test_sigmoid_is_exact_and_quiet_at_extremes():
    act = get_activation("sigmoid")
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        np.testing.assert_array_equal(act.forward(np.array([-1000.0, 0.0, 1000.0])), [0.0, 0.5, 1.0])


def test_softmax_jvp_matches_explicit_jacobian():
    z = RNG.normal(size=(4, 5))
    v = RNG.normal(size=(4, 5))
    s = softmax(z)
    np.testing.assert_allclose(s.sum(axis=1), 1.0, rtol=1e-15)
    for row in range(4):
        jac = np.diag(s[row]) - np.outer(s[row], s[row])
        np.testing.assert_allclose(softmax_jvp(z, v)[row], jac @ v[row], rtol=1e-12, atol=1e-15)
    # the columnwise version agrees with the rowwise one on the transpose
    np.testing.assert_allclose(softmax_jvp(z.T, v.T, axis=0), softmax_jvp(z, v).T, rtol=1e-14)


# --- batch norm: PyTorch BatchNorm1d semantics ----------------------------------------------


def bn_by_hand(u, mean, var, gamma=1.0, beta=0.0):
    return (u - mean) / np.sqrt(var + 1e-5) * gamma + beta


def test_batchnorm_train_and_eval_follow_pytorch():
    model = MLP([3, 4, 2], "linear", batchnorm=True, seed=3)
    layer = model.layers[0]
    np.testing.assert_array_equal(layer.gamma.value, 1.0)
    np.testing.assert_array_equal(layer.beta.value, 0.0)
    rng = np.random.default_rng(0)
    X1, X2 = rng.normal(1, 2, (6, 3)), rng.normal(-1, 3, (5, 3))
    W, b = layer.W.value, layer.b.value
    u1, u2 = X1 @ W + b, X2 @ W + b

    model.forward(X1, train=True)
    np.testing.assert_allclose(layer.z, bn_by_hand(u1, u1.mean(0), u1.var(0)), rtol=1e-12)
    rm = 0.9 * 0 + 0.1 * u1.mean(0)
    rv = 0.9 * 1 + 0.1 * u1.var(0, ddof=1)
    np.testing.assert_allclose(model.buffers()["layers.0.running_mean"], rm, rtol=1e-12)
    np.testing.assert_allclose(model.buffers()["layers.0.running_var"], rv, rtol=1e-12)

    layer.gamma.value = [2.0, 0.5, 1.0, -1.0]
    layer.beta.value = [0.1, 0.0, -0.3, 1.0]
    out = model.forward(X2, train=True)
    gamma, beta = layer.gamma.value, layer.beta.value
    np.testing.assert_allclose(layer.z, bn_by_hand(u2, u2.mean(0), u2.var(0), gamma, beta), rtol=1e-12)
    np.testing.assert_allclose(out, layer.z @ model.layers[1].W.value + model.layers[1].b.value, rtol=1e-12)
    rm = 0.9 * rm + 0.1 * u2.mean(0)
    rv = 0.9 * rv + 0.1 * u2.var(0, ddof=1)
    np.testing.assert_allclose(model.buffers()["layers.0.running_var"], rv, rtol=1e-12)

    model.forward(X1, train=False)
    np.testing.assert_allclose(layer.z, bn_by_hand(u1, rm, rv, gamma, beta), rtol=1e-12)
    np.testing.assert_allclose(model.buffers()["layers.0.running_mean"], rm, rtol=1e-12)
    np.testing.assert_allclose(model.buffers()["layers.0.running_var"], rv, rtol=1e-12)


def test_batchnorm_only_on_hidden_layers():
    names = [p.name for p in MLP([2, 3, 4, 2], batchnorm=True).parameters()]
    assert names == ["layers.0.W", "layers.0.b", "layers.0.gamma", "layers.0.beta",
                     "layers.1.W", "layers.1.b", "layers.1.gamma", "layers.1.beta",
                     "layers.2.W", "layers.2.b"]


# --- init ------------------------------------------------------------------------------------

GAINS = {"relu": math.sqrt(2), "leaky_relu": math.sqrt(2 / (1 + 0.01 ** 2)), "elu": math.sqrt(2),
         "sigmoid": 1.0, "tanh": 5 / 3, "linear": 1.0}
FAN = 400  # 160,000 weights per layer: a sample std is within ~0.2% of the truth


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_he_init_std_is_gain_over_sqrt_fan_in(activation):
    model = MLP([FAN, FAN, FAN], activation, init="he", seed=1)
    hidden, out = model.layers
    assert hidden.W.value.std() == pytest.approx(GAINS[activation] / math.sqrt(FAN), rel=0.02)
    assert hidden.W.value.mean() == pytest.approx(0.0, abs=0.01 / math.sqrt(FAN))
    assert out.W.value.std() == pytest.approx(1 / math.sqrt(FAN), rel=0.02)  # output layer: gain 1
    np.testing.assert_array_equal(hidden.b.value, 0.0)
    np.testing.assert_array_equal(out.b.value, 0.0)


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "tanh", "sigmoid"])
def test_he_gains_are_exact(activation):
    """Same seed, same draws: the hidden weights differ from the linear net's by the gain alone."""
    ref = MLP([5, 7, 2], "linear", init="he", seed=4).layers[0].W.value
    got = MLP([5, 7, 2], activation, init="he", seed=4).layers[0].W.value
    np.testing.assert_allclose(got / ref, GAINS[activation], rtol=1e-13)


def test_xavier_init_is_uniform_within_the_glorot_bound():
    model = MLP([FAN, 600, FAN], "tanh", init="xavier", seed=2)
    for layer, gain in zip(model.layers, (5 / 3, 1.0)):
        bound = gain * math.sqrt(6 / (layer.fan_in + layer.fan_out))
        W = layer.W.value
        assert np.abs(W).max() <= bound and np.abs(W).max() > 0.999 * bound
        assert W.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)
        np.testing.assert_array_equal(layer.b.value, 0.0)


def test_torch_init_draws_weights_and_biases_within_one_over_sqrt_fan_in():
    model = MLP([FAN, 2000, 3], "relu", init="torch", seed=5)
    for layer in model.layers:
        bound = 1 / math.sqrt(layer.fan_in)
        for arr in (layer.W.value, layer.b.value):
            assert np.abs(arr).max() <= bound
        assert np.abs(layer.W.value).max() > 0.99 * bound
    hidden = model.layers[0]
    assert np.abs(hidden.b.value).max() > 0.99 * (1 / math.sqrt(FAN))
    assert hidden.W.value.std() == pytest.approx(1 / math.sqrt(3 * FAN), rel=0.02)
    assert hidden.b.value.std() == pytest.approx(1 / math.sqrt(3 * FAN), rel=0.05)


def test_normal_init_uses_the_given_std():
    model = MLP([FAN, FAN, FAN], "relu", init="normal:3.0", seed=6)
    for layer in model.layers:
        assert layer.W.value.std() == pytest.approx(3.0, rel=0.02)
        np.testing.assert_array_equal(layer.b.value, 0.0)


@pytest.mark.parametrize("init", ["he", "torch", "xavier", "normal:0.5"])
def test_bias_init_overrides_every_bias(init):
    model = MLP([3, 5, 2], "relu", init=init, bias_init=-0.25)
    for layer in model.layers:
        np.testing.assert_array_equal(layer.b.value, -0.25)


def test_init_is_seeded():
    a, b, c = (MLP([3, 5, 2], seed=s).flat_value for s in (1, 1, 2))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


# --- parameter layout ---------------------------------------------------------------------


def test_parameter_names_order_and_shapes():
    model = MLP([3, 4, 2])
    params = model.parameters()
    assert [p.name for p in params] == ["layers.0.W", "layers.0.b", "layers.1.W", "layers.1.b"]
    assert [p.value.shape for p in params] == [(3, 4), (4,), (4, 2), (2,)]
    assert all(p.grad.shape == p.value.shape for p in params)
    assert model.architecture == "3-4-2" and model.sizes == [3, 4, 2]


def test_per_layer_activations_and_linear_output():
    model = MLP([2, 3, 3, 1], ["tanh", "relu"])
    assert model.activations == ["tanh", "relu"]
    assert model.layers[-1].activation.name == "linear"
    with pytest.raises(ValueError, match="2 hidden layers"):
        MLP([2, 3, 3, 1], ["tanh"])
