"""Reshaping mid-run: function-preserving growth, what narrowing keeps, optimizer state,
rewind and checkpoints across every live change, refused changes applying nothing."""

import numpy as np
import pytest

from gradtui.engine import TrainConfig, Trainer
from gradtui.engine.nn.activations import ACTIVATIONS


def outputs(trainer, X=None):
    X = trainer.data.X_test if X is None else X
    return trainer.model.forward(X, train=False)


def trained(**config):
    trainer = Trainer(TrainConfig(dataset="circle", n_samples=200, **config))
    trainer.run(30)
    return trainer


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("hidden", [(16, 40), (24, 16), (33, 17)])
def test_widening_keeps_every_output_for_every_activation(activation, hidden):
    trainer = trained(hidden=(16, 16), activation=activation)
    before = outputs(trainer)
    change = trainer.update(hidden=hidden)
    assert trainer.model.sizes == [2, *hidden, 2]
    assert np.max(np.abs(outputs(trainer) - before)) < 1e-12
    assert "function unchanged" in change.text and "hidden 16,16 -> " in change.text


def test_widening_keeps_the_weights_and_gives_new_units_zero_outgoing_weights():
    trainer = trained(hidden=(16, 16))
    W = [layer.W.value.copy() for layer in trainer.model.layers]
    b = [layer.b.value.copy() for layer in trainer.model.layers]
    trainer.update(hidden=(20, 16))
    layers = trainer.model.layers
    np.testing.assert_array_equal(layers[0].W.value[:, :16], W[0])
    np.testing.assert_array_equal(layers[0].b.value[:16], b[0])
    assert np.all(layers[0].W.value[:, 16:] != 0)  # incoming weights from the init scheme
    np.testing.assert_array_equal(layers[1].W.value[:16], W[1])
    np.testing.assert_array_equal(layers[1].W.value[16:], 0.0)
    np.testing.assert_array_equal(layers[2].W.value, W[2])


def test_grown_units_learn():
    trainer = trained(hidden=(8,))
    trainer.update(hidden=(12,))
    incoming = trainer.model.layers[0].W.value[:, 8:].copy()
    trainer.run(5)
    assert np.all(trainer.model.layers[1].W.value[8:] != 0)
    assert np.all(trainer.model.layers[0].W.value[:, 8:] != incoming)


@pytest.mark.parametrize("activation", ["relu", "linear"])
def test_adding_a_layer_is_exact_for_relu_and_linear(activation):
    trainer = trained(hidden=(16, 16), activation=activation)
    before = outputs(trainer)
    change = trainer.update(hidden=(16, 16, 16))
    assert trainer.model.sizes == [2, 16, 16, 16, 2]
    np.testing.assert_array_equal(trainer.model.layers[2].W.value, np.eye(16))
    np.testing.assert_array_equal(trainer.model.layers[2].b.value, 0.0)
    assert np.max(np.abs(outputs(trainer) - before)) < 1e-12
    assert "function unchanged" in change.text


def test_adding_a_layer_to_tanh_reports_the_measured_change():
    trainer = trained(hidden=(8,), activation="tanh")
    before = outputs(trainer)
    change = trainer.update(hidden=(8, 8))
    measured = np.max(np.abs(outputs(trainer) - before))
    assert measured > 1e-6
    assert f"max output change {measured:.3g}" in change.text and "function changed" in change.text


def test_narrowing_keeps_the_first_units_and_removing_a_layer_keeps_the_others():
    trainer = trained(hidden=(16, 16, 16))
    W = [layer.W.value.copy() for layer in trainer.model.layers]
    trainer.update(hidden=(16, 5))
    layers = trainer.model.layers
    np.testing.assert_array_equal(layers[0].W.value, W[0])
    np.testing.assert_array_equal(layers[1].W.value, W[1][:, :5])
    np.testing.assert_array_equal(layers[2].W.value, W[3][:5])  # the output layer keeps its first rows
    assert trainer.model.sizes == [2, 16, 5, 2]


def test_optimizer_state_follows_the_parameters():
    trainer = trained(hidden=(6,), optimizer="adam")
    before = trainer.optimizer.state_dict()
    m_old = before["arrays"]["0.exp_avg"]
    old_W0 = m_old[:12].reshape(2, 6)
    old_W1 = m_old[18:30].reshape(6, 2)
    trainer.update(hidden=(9,))
    after = trainer.optimizer.state_dict()
    m_new = after["arrays"]["0.exp_avg"]
    assert after["t"] == before["t"] == 30 and len(m_new) == trainer.model.flat_value.size
    W0, b0 = m_new[:18].reshape(2, 9), m_new[18:27]
    W1 = m_new[27:45].reshape(9, 2)
    np.testing.assert_array_equal(W0[:, :6], old_W0)
    np.testing.assert_array_equal(W0[:, 6:], 0.0)
    np.testing.assert_array_equal(b0[:6], m_old[12:18])
    np.testing.assert_array_equal(W1[:6], old_W1)
    np.testing.assert_array_equal(W1[6:], 0.0)


def test_probe_and_statistics_follow_the_new_sizes():
    trainer = trained(hidden=(4,))
    trainer.update(hidden=(4, 7))
    stats = trainer.step()
    assert [ls.width for ls in stats.layers] == [4, 7, 2]
    assert [len(s) for s in trainer.unit_states] == [4, 7, 2]


def test_batchnorm_on_starts_from_the_current_statistics_and_off_folds_it_in():
    trainer = trained(hidden=(8, 8))
    X = trainer.data.X_train
    z = X @ trainer.model.layers[0].W.value + trainer.model.layers[0].b.value
    change = trainer.update(batchnorm=True)
    layer = trainer.model.layers[0]
    np.testing.assert_allclose(layer.running_mean, z.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(layer.running_var, z.var(axis=0, ddof=1), rtol=1e-12)
    np.testing.assert_array_equal(layer.gamma.value, 1.0)
    assert "batchnorm False -> True" in change.text and "max output change" in change.text
    trainer.run(10)
    before = outputs(trainer)
    change = trainer.update(batchnorm=False)
    assert np.max(np.abs(outputs(trainer) - before)) < 1e-12
    assert "function unchanged" in change.text


CHANGES = {
    "widen": dict(hidden=(16, 24)),
    "add layer": dict(hidden=(16, 16, 16)),
    "narrow": dict(hidden=(16, 4)),
    "remove layer": dict(hidden=(16,)),
    "batchnorm on": dict(batchnorm=True),
    "dataset": dict(dataset="xor"),
    "noise": dict(noise=0.3),
    "n_samples": dict(n_samples=300),
    "test_fraction": dict(test_fraction=0.2),
    "loss bce": dict(loss="bce"),
    "loss mse": dict(loss="mse"),
    "weight_decay": dict(weight_decay=0.01),
    "init": dict(init="xavier"),
    "bias_init": dict(bias_init=0.1),
    "schedule": dict(schedule="cosine:50:0.001", warmup=5),
    "optimizer and shape": dict(optimizer="momentum", hidden=(20, 16)),
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_rewind_across_a_change_is_bit_identical(change, fingerprint):
    trainer = trained(hidden=(16, 16))
    before = trainer.snapshot()
    first = fingerprint(trainer.run(5))
    trainer.update(**change)
    trainer.run(3)
    after = trainer.snapshot()
    changed = fingerprint(trainer.run(5))
    trainer.restore(before)
    assert trainer.changes == [] and fingerprint(trainer.run(5)) == first
    trainer.restore(after)
    assert len(trainer.changes) == 1 and fingerprint(trainer.run(5)) == changed


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_a_checkpoint_continues_bit_identically_after_a_change(change, tmp_path, fingerprint):
    trainer = trained(hidden=(16, 16))
    trainer.update(**change)
    trainer.run(4)
    path = str(tmp_path / "run.npz")
    trainer.save(path)
    loaded = Trainer.load(path)
    assert loaded.changes == trainer.changes and loaded.config == trainer.config
    assert fingerprint(loaded.run(6)) == fingerprint(trainer.run(6))


def test_drawn_data_is_trained_on_and_saved(tmp_path, fingerprint):
    trainer = trained(hidden=(8,))
    X = np.vstack([trainer.data.X_train, [[0.5, 0.5], [-0.5, 0.25]]])
    y = np.append(trainer.data.y_train, [1, 0])
    data = type(trainer.data).from_arrays(X, y, trainer.data.X_test, trainer.data.y_test, name="drawn")
    change = trainer.use_data(data, "2 points drawn")
    assert trainer.data is data and trainer.sampler.n == len(X)
    assert change.text.startswith("2 points drawn, dataset circle -> drawn")
    trainer.run(3)
    path = str(tmp_path / "drawn.npz")
    trainer.save(path)
    loaded = Trainer.load(path)
    np.testing.assert_array_equal(loaded.data.X_train, X)
    assert fingerprint(loaded.run(4)) == fingerprint(trainer.run(4))


BAD = {
    "zero width": (dict(hidden=(16, 0)), "at least 1"),
    "absurd width": (dict(hidden=(10**7, 16)), "parameters"),
    "unknown dataset": (dict(dataset="nope"), "unknown dataset"),
    "other inputs": (dict(dataset="sine"), "input features"),
    "negative factor": (dict(schedule="step:-0.5:10"), "FACTOR"),
    "bad schedule": (dict(schedule="wiggle"), "unknown schedule"),
    "bce on regression": (dict(loss="hinge", dataset="linear"), "input features|regression"),
    "noise": (dict(noise=-1.0), "noise"),
}


@pytest.mark.parametrize("change,message", BAD.values(), ids=BAD.keys())
def test_a_refused_change_applies_nothing(change, message, fingerprint):
    trainer, twin = trained(hidden=(16, 16)), trained(hidden=(16, 16))
    config, model, data = trainer.config, trainer.model, trainer.data
    with pytest.raises(ValueError, match=message):
        trainer.update(**change)
    assert trainer.config is config and trainer.model is model and trainer.data is data
    assert trainer.changes == []
    assert fingerprint(trainer.run(5)) == fingerprint(twin.run(5))


def test_a_change_of_nothing_records_nothing():
    trainer = trained()
    assert trainer.update(lr=trainer.config.lr) is None and trainer.changes == []
