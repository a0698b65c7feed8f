"""The gradient noise scale from per-sample gradients, against a direct computation that
loops over the samples one at a time (the engine's own backward pass; torch for batch norm,
whose per-sample gradients hold the batch's statistics fixed)."""

import copy

import numpy as np
import pytest

from gradtui.engine import ACTIVATIONS, LOSSES, TrainConfig, Trainer
from gradtui.engine.nn.mlp import BN_EPS

DECAY = 0.01


def trained(activation="tanh", loss="cross_entropy", batchnorm=False, **settings) -> Trainer:
    config = dict(hidden=(6, 5), activation=activation, loss=loss, batchnorm=batchnorm, n_samples=60,
                  seed=2, batch_size=16, lr=0.05, weight_decay=DECAY)
    config.update(settings)
    trainer = Trainer(TrainConfig(**config))
    trainer.run(20)
    return trainer


def direct(gradients: np.ndarray, weights: np.ndarray) -> tuple[float, float]:
    """(tr Sigma, |G|^2) straight from the definition, one row per sample's gradient."""
    G = gradients.mean(axis=0)
    trace = float(((gradients - G) ** 2).sum(axis=1).mean())
    total = G + DECAY * weights
    return trace, float(total @ total)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("loss", LOSSES)
def test_noise_scale_matches_a_loop_over_single_samples(activation, loss):
    trainer = trained(activation, loss)
    model = copy.deepcopy(trainer.model)
    X, T = trainer._X_train, trainer._targets_train
    rows = []
    for i in range(len(X)):  # one sample alone is a batch of one: its own loss, its own gradient
        model.backward(trainer.loss.grad(model.forward(X[i:i + 1]), T[i:i + 1]), need_input_grad=False)
        rows.append(model.flat_grad.copy())
    trace, grad_sq = direct(np.array(rows), trainer.model.flat_value)
    got = trainer.gradient_noise_scale()
    assert got.rows == len(X)
    assert got.trace == pytest.approx(trace, rel=1e-9)
    assert got.grad_sq == pytest.approx(grad_sq, rel=1e-9)
    assert got.value == pytest.approx(trace / grad_sq, rel=1e-9)


def test_with_batch_norm_each_sample_goes_through_the_batch_s_fixed_statistics(tool):
    torch = tool("torch", "per-sample gradients through batch norm are checked with torch")
    F = torch.nn.functional
    trainer = trained("tanh", "cross_entropy", batchnorm=True)
    X = torch.tensor(trainer._X_train)
    labels = torch.tensor(trainer.data.y_train)
    w = torch.tensor(trainer.model.flat_value)
    params, offset = [], 0
    for layer in trainer.model.layers:
        p = {}
        for name, shape in layer.param_shapes():
            size = int(np.prod(shape))
            p[name] = (offset, size, shape)
            offset += size
        params.append((layer, p))

    def forward(weights, x, stats=None):
        seen = []
        for i, (layer, p) in enumerate(params):
            get = {k: weights[o:o + s].reshape(shape) for k, (o, s, shape) in p.items()}
            x = x @ get["W"] + get["b"]
            if layer.batchnorm:
                mean, var = (x.mean(0), x.var(0, unbiased=False)) if stats is None else stats[i]
                seen.append((mean.detach(), var.detach()))
                x = F.batch_norm(x, mean.detach(), var.detach(), get["gamma"], get["beta"], training=False, eps=BN_EPS)
            else:
                seen.append(None)
            x = torch.tanh(x) if i < len(params) - 1 else x
        return x, seen

    with torch.no_grad():
        _, stats = forward(w, X)
    rows = []
    for i in range(len(X)):
        wi = w.clone().requires_grad_(True)
        out, _ = forward(wi, X[i:i + 1], stats)
        F.cross_entropy(out, labels[i:i + 1]).backward()
        rows.append(wi.grad.numpy().copy())
    trace, grad_sq = direct(np.array(rows), trainer.model.flat_value)
    got = trainer.gradient_noise_scale()
    assert got.trace == pytest.approx(trace, rel=1e-9)
    assert got.grad_sq == pytest.approx(grad_sq, rel=1e-9)


def test_the_noise_scale_is_of_the_rows_asked_for_and_leaves_the_run_alone(fingerprint):
    a = trained("relu", "mse", batchnorm=True, probe_size=25)
    b = copy.deepcopy(a)
    probe, train = a.gradient_noise_scale("probe"), a.gradient_noise_scale()
    assert probe.rows == 25 and train.rows == len(a._X_train) and probe.trace != train.trace
    assert a.gradient_noise_scale("batch").rows == len(a._last_batch) in (14, 16)  # 30 rows: 16 + 14
    np.testing.assert_array_equal(a.model.flat_value, b.model.flat_value)
    assert fingerprint(a.run(3)) == fingerprint(b.run(3))
