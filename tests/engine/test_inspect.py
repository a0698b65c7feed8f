"""Trainer.trace and Trainer.loss_landscape against independent computations.

Every derivative in a trace is checked against central differences of the model's own
eval-mode forward pass (float64), for every activation x loss x batch norm on/off; the
chain-rule identity the inspector shows is checked term by term; the landscape against
``evaluate`` and against weights set by hand.
"""

import numpy as np
import pytest

from gradtui.engine import ACTIVATIONS, LOSSES, TrainConfig, Trainer
from gradtui.engine.inspect.landscape import filter_normalised_direction, grid
from gradtui.engine.inspect.replica import layer_outputs, refreshed
from gradtui.engine.inspect.trace import chain_terms

EPS = 1e-6
KINK = 1e-4
TOLERANCE = 1e-7
KINKED = ("relu", "leaky_relu", "elu")


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """sum|a - n| / (sum|a| + sum|n|); the largest difference when both are ~0."""
    diff = np.abs(analytic - numeric)
    scale = np.abs(analytic).sum() + np.abs(numeric).sum()
    return float(diff.max()) if scale < 1e-9 else float(diff.sum() / scale)


def central(f, x: np.ndarray) -> np.ndarray:
    """df/dx elementwise, x perturbed in place and restored."""
    out = np.zeros_like(x)
    flat, grads = x.reshape(-1), out.reshape(-1)
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + EPS
        plus = f()
        flat[i] = original - EPS
        minus = f()
        flat[i] = original
        grads[i] = (plus - minus) / (2 * EPS)
    return out


def trained(activation="tanh", loss="cross_entropy", batchnorm=False, hidden=(5, 4), steps=30,
            seed=0) -> Trainer:
    """A small trainer on two-class 3-D data, trained a little so batch norm's running
    statistics, gamma and beta are no longer at their initial values."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(48, 3))
    y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(np.int64)
    config = TrainConfig(hidden=hidden, activation=activation, loss=loss, batchnorm=batchnorm,
                         lr=0.03, batch_size=16, seed=seed, test_fraction=0.25)
    trainer = Trainer.from_arrays(X, y, config)
    trainer.run(steps)
    return trainer


def sample_loss(trainer: Trainer, index: int) -> float:
    """The eval-mode loss of one training sample, through the model's own forward pass."""
    x, t = trainer._X_train[index:index + 1], trainer._targets_train[index:index + 1]
    return trainer.loss.value(trainer.predict(x, raw=True), t)


def off_the_kinks(trainer: Trainer) -> int:
    """A sample index whose pre-activations, residuals and margins are all KINK from a kink."""
    for index in range(len(trainer._X_train)):
        tr = trainer.trace(index)
        gaps = [np.abs(layer.z).min() for layer in tr.layers[:-1] if layer.activation in KINKED]
        if trainer.loss.name == "mae":
            gaps.append(np.abs(tr.output - tr.target).min())
        if trainer.loss.name == "hinge":
            gaps.append(np.abs(1 - tr.output * tr.target).min())
        if min(gaps, default=np.inf) > KINK:
            return index
    raise AssertionError("no sample away from the kinks")


def loss_from_layer(trainer: Trainer, index: int, layer: int, z: np.ndarray) -> float:
    """The sample's loss as a function of layer ``layer``'s activation input ``z``."""
    model = trainer.model
    out = model.layers[layer].activation.forward(z)[None, :]
    for later in model.layers[layer + 1:]:
        out = later.forward(out, train=False)
    return trainer.loss.value(out, trainer._targets_train[index:index + 1])


@pytest.mark.parametrize("batchnorm", [False, True], ids=["plain", "bn"])
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_trace_agrees_with_central_differences(activation, loss, batchnorm):
    trainer = trained(activation, loss, batchnorm)
    index = off_the_kinks(trainer)
    tr = trainer.trace(index)
    assert tr.index == index and tr.label == trainer.data.y_train[index]
    assert tr.loss == pytest.approx(sample_loss(trainer, index), rel=1e-12)
    np.testing.assert_allclose(tr.output, trainer.predict(trainer._X_train[index:index + 1], raw=True)[0],
                               rtol=1e-12, atol=1e-14)
    assert len(tr.layers) == len(trainer.model.layers)
    for i, (lt, layer) in enumerate(zip(tr.layers, trainer.model.layers)):
        assert lt.name == layer.name and lt.dW.shape == layer.W.value.shape and lt.db.shape == layer.b.value.shape
        assert lt.x.ndim == lt.z.ndim == lt.a.ndim == lt.da.ndim == lt.dz.ndim == 1
        numeric_W = central(lambda: sample_loss(trainer, index), layer.W.value)
        numeric_b = central(lambda: sample_loss(trainer, index), layer.b.value)
        assert relative_error(lt.dW, numeric_W) < TOLERANCE, (layer.name, "W")
        assert relative_error(lt.db, numeric_b) < TOLERANCE, (layer.name, "b")
        z = lt.z.copy()
        numeric_dz = central(lambda: loss_from_layer(trainer, index, i, z), z)
        assert relative_error(lt.dz, numeric_dz) < TOLERANCE, (layer.name, "dz")
        a = lt.a.copy()
        numeric_da = central(lambda: loss_from_layer_output(trainer, index, i, a), a)
        assert relative_error(lt.da, numeric_da) < TOLERANCE, (layer.name, "da")


def loss_from_layer_output(trainer: Trainer, index: int, layer: int, a: np.ndarray) -> float:
    out = a[None, :]
    for later in trainer.model.layers[layer + 1:]:
        out = later.forward(out, train=False)
    return trainer.loss.value(out, trainer._targets_train[index:index + 1])


def test_trace_forward_numbers_are_the_models():
    trainer = trained("relu", "cross_entropy", batchnorm=True)
    tr = trainer.trace(5)
    outputs = layer_outputs(trainer.model, trainer._X_train[5:6])
    np.testing.assert_array_equal(tr.layers[0].x, trainer._X_train[5])
    for lt, out in zip(tr.layers, outputs):
        np.testing.assert_allclose(lt.a, out[0], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(lt.h, lt.x @ lt.W + lt.b, rtol=1e-15, atol=1e-15)
    for before, after in zip(tr.layers, tr.layers[1:]):
        np.testing.assert_array_equal(after.x, before.a)


@pytest.mark.parametrize("batchnorm", [False, True], ids=["plain", "bn"])
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_dz_is_fprime_times_the_weighted_sum_of_the_next_layers_dz(activation, batchnorm):
    trainer = trained(activation, "cross_entropy", batchnorm, hidden=(6, 5, 4))
    tr = trainer.trace(7)
    for l in range(len(tr.layers) - 1):
        layer, after = tr.layers[l], tr.layers[l + 1]
        for j in range(len(layer.z)):
            terms = chain_terms(tr, l, j)
            assert terms.shape == after.dz.shape
            # rounding relative to the terms' size: the sum may cancel
            scale = abs(layer.fprime[j]) * np.abs(terms).sum()
            assert abs(layer.dz[j] - layer.fprime[j] * terms.sum()) <= 1e-13 * scale
        # and as a matrix product, the da the trace reports
        np.testing.assert_allclose(layer.da, after.W @ (after.scale * after.dz), rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match="no next layer"):
        chain_terms(tr, len(tr.layers) - 1, 0)


def test_trace_sum_of_samples_is_the_full_batch_gradient():
    """An independent check on dW: with no batch norm, eval and train mode agree, and the
    full-batch gradient is the mean of the per-sample gradients."""
    trainer = trained("tanh", "mse", batchnorm=False, steps=5)
    model, n = trainer.model, len(trainer._X_train)
    out = model.forward(trainer._X_train, train=True)
    model.backward(trainer.loss.grad(out, trainer._targets_train))
    mean_dW = sum(trainer.trace(i).layers[1].dW for i in range(n)) / n
    np.testing.assert_allclose(model.layers[1].W.grad, mean_dW, rtol=1e-10, atol=1e-14)


def test_trace_of_a_regression_sample():
    X = np.linspace(-1, 1, 20)[:, None]
    trainer = Trainer.from_arrays(X, np.sin(3 * X[:, 0]), TrainConfig(hidden=(3,), activation="tanh"))
    tr = trainer.trace(2)
    assert tr.label is None and tr.target.shape == (1,) and tr.output.shape == (1,)
    assert tr.loss == pytest.approx(np.mean((tr.output - tr.target) ** 2), rel=1e-12)


@pytest.mark.parametrize("index", [-1, 36, 1.0, True, "3", None])
def test_trace_refuses_an_index_out_of_range(index):
    trainer = trained(steps=0)
    assert len(trainer._X_train) == 36
    with pytest.raises(ValueError, match="out of range: the training set has 36 samples"):
        trainer.trace(index)


def test_trace_leaves_the_run_alone():
    a, b = trained(steps=3), trained(steps=3)
    weights = a.model.flat_value.copy()
    a.trace(0)
    np.testing.assert_array_equal(a.model.flat_value, weights)
    assert a.step().loss == b.step().loss


# --- loss landscape -------------------------------------------------------------------------


@pytest.mark.parametrize("batchnorm", [False, True], ids=["plain", "bn"])
def test_landscape_centre_is_the_train_loss(batchnorm):
    trainer = trained("relu", "cross_entropy", batchnorm)
    land = trainer.loss_landscape(span=0.5, steps=7, seed=3)
    assert land.alphas.shape == land.betas.shape == (7,) and land.loss.shape == (7, 7)
    assert land.alphas[0] == -0.5 and land.alphas[-1] == 0.5 and land.alphas[3] == 0.0
    assert land.loss[3, 3] == trainer.evaluate().train_loss
    assert not land.sampled and land.rows == land.of_rows == len(trainer._X_train)


@pytest.mark.parametrize("batchnorm", [False, True], ids=["plain", "bn"])
def test_landscape_values_are_recomputable_by_setting_the_weights(batchnorm):
    trainer = trained("tanh", "cross_entropy", batchnorm)
    land = trainer.loss_landscape(span=2.0, steps=5, seed=1)
    d1, d2 = land.directions
    weights = trainer.model.flat_value.copy()
    for i, j in [(0, 0), (0, 4), (1, 3), (4, 2), (2, 2)]:
        trainer.model.flat_value[...] = weights + land.alphas[i] * d1 + land.betas[j] * d2
        assert land.loss[i, j] == pytest.approx(trainer.evaluate().train_loss, rel=1e-12), (i, j)
    trainer.model.flat_value[...] = weights
    assert len({float(v) for v in land.loss.ravel()}) > 20  # a surface, not a constant


def test_landscape_leaves_weights_buffers_and_the_run_alone():
    a, b = trained("relu", "cross_entropy", True), trained("relu", "cross_entropy", True)
    weights = a.model.flat_value.copy()
    buffers = {k: v.copy() for k, v in a.model.buffers().items()}
    a.loss_landscape(steps=5)
    np.testing.assert_array_equal(a.model.flat_value, weights)
    for k, v in a.model.buffers().items():
        np.testing.assert_array_equal(v, buffers[k])
    for _ in range(3):
        assert a.step().loss == b.step().loss
    np.testing.assert_array_equal(a.model.flat_value, b.model.flat_value)


def test_landscape_is_deterministic_for_a_seed():
    trainer = trained()
    one, two = trainer.loss_landscape(steps=5, seed=4), trainer.loss_landscape(steps=5, seed=4)
    np.testing.assert_array_equal(one.loss, two.loss)
    np.testing.assert_array_equal(one.directions[0], two.directions[0])
    other = trainer.loss_landscape(steps=5, seed=5)
    assert not np.array_equal(one.directions[0], other.directions[0])


def test_directions_are_filter_normalised_and_skip_biases_and_batchnorm():
    trainer = trained("relu", "cross_entropy", batchnorm=True)
    model = trainer.model
    d = filter_normalised_direction(model, np.random.default_rng(0))
    offset = 0
    for p in model.parameters():
        piece = d[offset:offset + p.value.size].reshape(p.value.shape)
        if p.name.endswith(".W"):
            np.testing.assert_allclose(np.linalg.norm(piece, axis=0), np.linalg.norm(p.value, axis=0),
                                       rtol=1e-12)
            assert not np.allclose(piece, p.value)
        else:
            assert not piece.any(), p.name
        offset += p.value.size
    assert offset == d.size


def test_landscape_projects_points_of_its_plane_back_to_their_coordinates():
    trainer = trained()
    land = trainer.loss_landscape(steps=3)
    d1, d2 = land.directions
    points = np.array([land.weights + 0.3 * d1 - 0.2 * d2, land.weights])
    np.testing.assert_allclose(land.project(points), [[0.3, -0.2], [0.0, 0.0]], atol=1e-12)


def test_landscape_on_a_fixed_sample_of_a_big_train_set():
    trainer = trained()
    land = trainer.loss_landscape(steps=3, max_rows=10)
    again = trainer.loss_landscape(steps=3, max_rows=10)
    assert land.sampled and land.rows == 10 and land.of_rows == 36
    np.testing.assert_array_equal(land.loss, again.loss)
    rows = np.sort(np.random.default_rng([trainer.config.seed, 3]).choice(36, 10, replace=False))
    out = trainer.predict(trainer._X_train[rows], raw=True)
    assert land.loss[1, 1] == trainer.loss.value(out, trainer._targets_train[rows])


@pytest.mark.parametrize("span, steps", [(1.0, 2), (1.0, 0), (1.0, 2.5), (1.0, True), (1.0, 10_000),
                                         (float("nan"), 5), (float("inf"), 5), (0.0, 5), (-1.0, 5),
                                         ("1", 5)])
def test_landscape_refuses_a_bad_grid(span, steps):
    with pytest.raises(ValueError, match="span must be|steps must be"):
        trained(steps=0).loss_landscape(span=span, steps=steps)


def test_grid_has_an_exact_zero_in_the_middle():
    for steps in (3, 21, 41, 101):
        values = grid(0.7, steps)
        assert values[steps // 2] == 0.0 and values[0] == -0.7 and values[-1] == 0.7


def test_a_refreshed_replica_computes_what_a_new_one_does():
    trainer = Trainer(TrainConfig(hidden=(8, 8), batchnorm=True))
    twin = refreshed(None, trainer.model)
    trainer.run(20)  # weights and running statistics move on
    again = refreshed(twin, trainer.model)
    assert again is twin
    X = trainer._X_train[:30]
    for reused, fresh in zip(layer_outputs(trainer.model, X, again), layer_outputs(trainer.model, X)):
        assert np.array_equal(reused, fresh)
    trainer.update(hidden=(8, 12))  # another architecture: a new replica
    assert refreshed(twin, trainer.model) is not twin
