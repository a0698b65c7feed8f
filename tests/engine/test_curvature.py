"""Exact Hessian-vector products and what is built on them, against independent computations
in float64: torch's autograd, central differences of the engine's own gradient, numpy's eigh."""

import copy

import numpy as np
import pytest

from gradtui.engine import ACTIVATIONS, LOSSES, TrainConfig, Trainer
from gradtui.engine.curvature.hvp import HessianOperator
from gradtui.engine.curvature.lanczos import lanczos
from gradtui.engine.curvature.spectrum import MAX_FULL_PARAMETERS, full_hessian
from gradtui.engine.nn.mlp import BN_EPS

CASES = [(act, loss, bn) for act in ACTIVATIONS for loss in LOSSES for bn in (False, True)]
DECAY = 0.01


def trained(activation="tanh", loss="cross_entropy", batchnorm=False, steps=25, **settings) -> Trainer:
    """A small run whose weights (and batch-norm gamma, beta) have moved away from init."""
    config = dict(hidden=(5, 4), activation=activation, loss=loss, batchnorm=batchnorm, n_samples=60,
                  seed=3, batch_size=16, lr=0.05, weight_decay=DECAY)
    config.update(settings)
    trainer = Trainer(TrainConfig(**config))
    trainer.run(steps)
    return trainer


def direction(trainer: Trainer, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(trainer.model.flat_value.size)


def relative_error(got: np.ndarray, want: np.ndarray) -> float:
    return float(np.linalg.norm(got - want) / np.linalg.norm(want))


def run_state(trainer: Trainer) -> tuple:
    """Everything a curvature call must leave alone, as bytes."""
    snap = trainer.snapshot()
    arrays = [snap.weights, *snap.buffers.values(), *snap.optimizer["arrays"].values(), snap.sampler["perm"]]
    return (tuple(a.tobytes() for a in arrays), snap.optimizer["t"], repr(snap.sampler["rng"]),
            snap.sampler["pos"], trainer.step_count)


# --- the oracles -------------------------------------------------------------------------

def torch_loss(torch, trainer: Trainer):
    """The trainer's training loss (plus its weight-decay penalty) as a torch function of the flat
    weights, built from torch's own layers, activations and losses."""
    F = torch.nn.functional
    acts = {"relu": torch.relu, "leaky_relu": lambda z: F.leaky_relu(z, 0.01), "elu": F.elu,
            "sigmoid": torch.sigmoid, "tanh": torch.tanh, "linear": lambda z: z}
    X = torch.tensor(trainer.data.X_train, dtype=torch.float64)
    labels = torch.tensor(trainer.data.y_train)
    T = torch.tensor(trainer.loss.targets(trainer.data.y_train, trainer.data.n_classes), dtype=torch.float64)
    losses = {"cross_entropy": lambda out: F.cross_entropy(out, labels),
              "mse": lambda out: F.mse_loss(out, T), "mae": lambda out: F.l1_loss(out, T),
              "bce": lambda out: F.binary_cross_entropy_with_logits(out, T),
              "hinge": lambda out: torch.clamp(1 - T * out, min=0).mean()}
    decay = trainer.optimizer.weight_decay

    def f(w):
        x, offset = X, 0
        for layer in trainer.model.layers:
            p = {}
            for name, shape in layer.param_shapes():
                size = int(np.prod(shape))
                p[name] = w[offset:offset + size].reshape(shape)
                offset += size
            x = x @ p["W"] + p["b"]
            if layer.batchnorm:
                x = F.batch_norm(x, None, None, p["gamma"], p["beta"], training=True, eps=BN_EPS)
            x = acts[layer.activation.name](x)
        return losses[trainer.loss.name](x) + decay / 2 * (w * w).sum()
    return f


def engine_gradient(trainer: Trainer):
    """The engine's own training-mode gradient (plus weight decay) of a copy of the network."""
    model = copy.deepcopy(trainer.model)
    X, T, decay = trainer._X_train, trainer._targets_train, trainer.optimizer.weight_decay

    def grad(w: np.ndarray) -> np.ndarray:
        model.flat_value[...] = w
        model.backward(trainer.loss.grad(model.forward(X, train=True), T), need_input_grad=False)
        return model.flat_grad + decay * w
    return grad


@pytest.mark.parametrize("activation, loss, batchnorm", CASES)
def test_hessian_vector_product_matches_torch_autograd(activation, loss, batchnorm, tool):
    torch = tool("torch", "the Hessian-vector products are checked against torch.autograd")
    trainer = trained(activation, loss, batchnorm)
    v = direction(trainer)
    got = trainer.hessian_vector_product(v)
    w = torch.tensor(trainer.model.flat_value, dtype=torch.float64)
    _, want = torch.autograd.functional.hvp(torch_loss(torch, trainer), w, torch.tensor(v))
    assert relative_error(got, want.numpy()) < 1e-8


@pytest.mark.parametrize("activation, loss, batchnorm", CASES)
def test_hessian_vector_product_matches_central_differences_of_the_gradient(activation, loss, batchnorm):
    trainer = trained(activation, loss, batchnorm)
    v = direction(trainer, seed=1)
    grad, w, eps = engine_gradient(trainer), trainer.model.flat_value.copy(), 1e-5
    want = (grad(w + eps * v) - grad(w - eps * v)) / (2 * eps)
    assert relative_error(trainer.hessian_vector_product(v), want) < 1e-6


def test_the_operator_gradient_is_the_engines():
    trainer = trained("elu", "bce", True)
    op = trainer.curvature()
    np.testing.assert_allclose(op.gradient, engine_gradient(trainer)(trainer.model.flat_value.copy()),
                               rtol=1e-12, atol=1e-15)


def test_weight_decay_adds_decay_times_v():
    trainer = trained("sigmoid", "mse", True)
    v = direction(trainer)
    with_decay = trainer.hessian_vector_product(v)
    trainer.update(weight_decay=0.0)
    np.testing.assert_allclose(with_decay - trainer.hessian_vector_product(v), DECAY * v, rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("batchnorm", [False, True])
def test_the_hessian_is_symmetric(batchnorm):
    trainer = trained("tanh", "cross_entropy", batchnorm)
    H = trainer.hessian()
    assert np.abs(H - H.T).max() < 1e-12 * np.abs(H).max()
    u, v = direction(trainer, 0), direction(trainer, 1)
    assert u @ trainer.hessian_vector_product(v) == pytest.approx(v @ trainer.hessian_vector_product(u), rel=1e-12)


def test_full_hessian_columns_are_products_with_unit_vectors():
    trainer = trained("elu", "mse", True)
    H, v = trainer.hessian(), direction(trainer)
    np.testing.assert_allclose(H @ v, trainer.hessian_vector_product(v), rtol=1e-10, atol=1e-12)


def test_full_hessian_refuses_a_big_network():
    trainer = Trainer(TrainConfig(hidden=(80, 80)))
    assert trainer.model.flat_value.size > MAX_FULL_PARAMETERS
    with pytest.raises(ValueError, match="too big"):
        full_hessian(trainer.curvature())


# --- eigenvalues, trace, blocks ------------------------------------------------------------

@pytest.mark.parametrize("activation, batchnorm", [("tanh", False), ("relu", True), ("sigmoid", True)])
def test_top_eigenvalues_match_eigh_of_the_full_hessian(activation, batchnorm):
    trainer = trained(activation, "cross_entropy", batchnorm, hidden=(8, 6))
    H = trainer.hessian()
    values, vectors = np.linalg.eigh((H + H.T) / 2)
    eigen = trainer.hessian_eigen(3, tol=1e-8)
    assert eigen.converged
    np.testing.assert_allclose(eigen.values, values[::-1][:3], rtol=1e-8)
    assert trainer.sharpness() == pytest.approx(values[-1], rel=1e-6)
    top = np.abs(vectors[:, -1] @ eigen.vectors[:, 0])
    assert top == pytest.approx(1.0, abs=1e-8)
    # the stated residual bounds the distance to a true eigenvalue
    assert np.all(np.abs(eigen.values - values[::-1][:3]) <= eigen.residuals + 1e-12)


def test_lanczos_is_exact_on_a_known_matrix_and_deterministic():
    rng = np.random.default_rng(5)
    Q, _ = np.linalg.qr(rng.standard_normal((40, 40)))
    spectrum = np.concatenate([[9.0, 7.0, 7.0 - 1e-3], rng.uniform(-3, 3, 37)])
    A = (Q * spectrum) @ Q.T
    first = lanczos(lambda v: A @ v, 40, k=3, tol=1e-10, seed=2)
    np.testing.assert_allclose(first.values, [9.0, 7.0, 7.0 - 1e-3], rtol=1e-9)
    again = lanczos(lambda v: A @ v, 40, k=3, tol=1e-10, seed=2)
    np.testing.assert_array_equal(first.values, again.values)
    warm = lanczos(lambda v: A @ v, 40, k=1, tol=1e-10, start=first.vectors[:, 0])
    assert warm.iterations <= 3 and warm.values[0] == pytest.approx(9.0, rel=1e-10)


def test_lanczos_on_a_rank_one_operator_restarts_past_the_invariant_subspace():
    u = np.arange(1.0, 11.0)
    A = np.outer(u, u)
    eigen = lanczos(lambda v: A @ v, 10, k=2, tol=1e-10)
    np.testing.assert_allclose(eigen.values, [u @ u, 0.0], atol=1e-9)


def test_trace_estimate_is_within_its_stated_error():
    trainer = trained("tanh", "cross_entropy", True)
    H = trainer.hessian()
    exact = np.trace(H)
    estimate = trainer.hessian_trace(samples=400, seed=1)
    assert abs(estimate.value - exact) < 3 * estimate.stderr
    # the stated error is the real spread: Var(z^T H z) = 2 (|H|_F^2 - sum H_ii^2) for Rademacher z
    sym = (H + H.T) / 2
    predicted = np.sqrt(2 * ((sym ** 2).sum() - (np.diag(sym) ** 2).sum()) / 400)
    assert estimate.stderr == pytest.approx(predicted, rel=0.2)


def test_layer_sharpness_is_the_top_eigenvalue_of_each_diagonal_block():
    trainer = trained("tanh", "mse", True)
    H, model = trainer.hessian(), trainer.model
    want = [np.linalg.eigvalsh(H[s:s + n, s:s + n])[-1]
            for s, n in zip(model.layer_starts, model.layer_sizes)]
    np.testing.assert_allclose(trainer.layer_sharpness(tol=1e-9), want, rtol=1e-7)


# --- which batch, and the run left alone ------------------------------------------------------

def test_curvature_on_the_probe_and_the_last_minibatch():
    trainer = trained("relu", "cross_entropy", True, probe_size=20)
    v = direction(trainer)
    loss, decay = trainer.loss, trainer.optimizer.weight_decay
    rows = trainer._probe_index
    probe = HessianOperator(trainer.model, loss, trainer._X_train[rows], trainer._targets_train[rows], decay)
    np.testing.assert_array_equal(trainer.hessian_vector_product(v, on="probe"), probe.matvec(v))
    rows = trainer._last_batch
    assert len(rows) == 16
    batch = HessianOperator(trainer.model, loss, trainer._X_train[rows], trainer._targets_train[rows], decay)
    np.testing.assert_array_equal(trainer.hessian_vector_product(v, on="batch"), batch.matvec(v))
    assert not np.allclose(probe.matvec(v), batch.matvec(v))
    with pytest.raises(ValueError, match="unknown curvature batch 'test'; valid: train, probe, batch"):
        trainer.sharpness(on="test")


def test_before_the_first_step_the_batch_is_the_one_it_will_train_on(fingerprint):
    config = TrainConfig(batch_size=32, batchnorm=True)
    a, b, fresh = Trainer(config), Trainer(config), Trainer(config)
    v = direction(a)
    before = a.hessian_vector_product(v, on="batch")
    assert fingerprint(a.run(1)) == fingerprint(b.run(1))  # peeking left the batch order alone
    rows = a._last_batch
    op = HessianOperator(fresh.model, fresh.loss, fresh._X_train[rows], fresh._targets_train[rows])
    np.testing.assert_array_equal(before, op.matvec(v))


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_curvature_leaves_the_run_bit_identical(optimizer, fingerprint):
    a = trained("tanh", "cross_entropy", True, optimizer=optimizer)
    b = copy.deepcopy(a)
    state = run_state(a)
    a.sharpness(), a.hessian_eigen(2), a.hessian_trace(4), a.layer_sharpness(), a.hessian()
    a.sharpness(on="batch"), a.sharpness(on="probe")
    assert run_state(a) == state
    assert fingerprint(a.run(5)) == fingerprint(b.run(5))


def test_wrong_vector_is_refused():
    trainer = trained()
    with pytest.raises(ValueError, match="vector of the network's"):
        trainer.hessian_vector_product(np.ones(3))


def test_a_float32_run_gets_float64_products_of_its_own_weights():
    small = Trainer(TrainConfig(dtype="float32", batchnorm=True, hidden=(8,)))
    small.run(10)
    wide = Trainer(TrainConfig(batchnorm=True, hidden=(8,)))
    wide.model.flat_value[...] = small.model.flat_value
    v = direction(small)
    got = small.hessian_vector_product(v)
    assert got.dtype == np.float64
    # the same weights in float64: only the float32 rounding of the inputs differs
    assert relative_error(got, wide.hessian_vector_product(v)) < 1e-6
