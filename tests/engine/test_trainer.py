"""Trainer: determinism, rewinding, changing course mid-run, evaluation and prediction."""

import copy
import pickle

import numpy as np
import pytest

from gradtui.engine import ACTIVATIONS, SGD, Adam, TrainConfig, Trainer

CONFIGS = {
    "default": TrainConfig(),
    "bn-momentum-clip": TrainConfig(batchnorm=True, optimizer="momentum", lr=0.05, clip_mode="norm",
                                    clip=0.5, hidden=(8, 8)),
    "sigmoid-rmsprop-fullbatch": TrainConfig(activation="sigmoid", optimizer="rmsprop", batch_size=None,
                                             clip_mode="value", clip=0.01, dataset="circle"),
    "relu-deadly": TrainConfig(bias_init=-3.0, optimizer="sgd", lr=0.1, probe_every=3),
}


def weights(trainer):
    return [layer.W.value for layer in trainer.model.layers], [layer.b.value for layer in trainer.model.layers]


@pytest.mark.parametrize("name", CONFIGS)
def test_same_seed_gives_bit_identical_statistics(name, fingerprint):
    a, b = Trainer(CONFIGS[name]), Trainer(CONFIGS[name])
    run_a, run_b = a.run(50), b.run(50)
    assert fingerprint(run_a) == fingerprint(run_b)
    np.testing.assert_array_equal(a.model.flat_value, b.model.flat_value)
    assert [s.step for s in run_a] == list(range(1, 51))


@pytest.mark.parametrize("name", CONFIGS)
def test_another_seed_gives_another_run(name):
    a, b = Trainer(CONFIGS[name]), Trainer(CONFIGS[name].replace(seed=1))
    assert [s.loss for s in a.run(5)] != [s.loss for s in b.run(5)]


@pytest.mark.parametrize("name", CONFIGS)
def test_restore_replays_bit_identically(name, fingerprint):
    trainer = Trainer(CONFIGS[name])
    trainer.run(20)
    snap = trainer.snapshot()
    first = fingerprint(trainer.run(30))
    after = trainer.model.flat_value.copy()
    trainer.restore(snap)
    assert trainer.step_count == 20
    assert fingerprint(trainer.run(30)) == first
    np.testing.assert_array_equal(trainer.model.flat_value, after)


@pytest.mark.parametrize("name", CONFIGS)
@pytest.mark.parametrize("duplicate", [copy.deepcopy, lambda t: pickle.loads(pickle.dumps(t))],
                         ids=["deepcopy", "pickle"])
def test_a_copied_trainer_goes_on_bit_identically_also_after_a_change(name, duplicate, fingerprint):
    trainer = Trainer(CONFIGS[name])
    trainer.run(20)
    twin = duplicate(trainer)
    assert fingerprint(twin.run(15)) == fingerprint(trainer.run(15))
    twin.update(lr=0.02)  # an lr-only change keeps the optimizer: its buffers must be the model's
    trainer.update(lr=0.02)
    assert fingerprint(twin.run(15)) == fingerprint(trainer.run(15))
    np.testing.assert_array_equal(twin.model.flat_value, trainer.model.flat_value)
    for param in twin.model.parameters():  # the copy's parameters are views of its own buffers
        assert param.value.base is twin.model.flat_value and param.grad.base is twin.model.flat_grad


def test_restore_undoes_changes_of_course(fingerprint):
    trainer = Trainer(TrainConfig(optimizer="adam"))
    trainer.run(10)
    snap = trainer.snapshot()
    first = fingerprint(trainer.run(10))
    trainer.restore(snap)
    trainer.update(optimizer="sgd", lr=0.5, activation="tanh", batch_size=8)
    trainer.run(5)
    trainer.restore(snap)
    assert isinstance(trainer.optimizer, Adam) and trainer.config == TrainConfig(optimizer="adam")
    assert trainer.model.activations == ["relu", "relu"]
    assert fingerprint(trainer.run(10)) == first


def test_restore_takes_the_architecture_of_the_snapshot(fingerprint):
    """A snapshot of a 3-1 network (same parameter count as a 3 network) makes the trainer 3-1."""
    other = Trainer(TrainConfig(hidden=(3, 1), dataset="gauss"))
    trainer = Trainer(TrainConfig(hidden=(3,), dataset="gauss"))
    assert other.model.flat_value.size == trainer.model.flat_value.size
    trainer.restore(other.snapshot())
    assert trainer.model.sizes == [2, 3, 1, 2]
    assert fingerprint(trainer.run(5)) == fingerprint(other.run(5))


def test_looking_does_not_change_the_run(fingerprint):
    """evaluate, predict, snapshot and reading statistics are not actions: the numbers stay the same."""
    quiet, busy = Trainer(CONFIGS["bn-momentum-clip"]), Trainer(CONFIGS["bn-momentum-clip"])
    expected = fingerprint(quiet.run(20))
    got = []
    for _ in range(20):
        busy.evaluate()
        busy.predict(busy.data.X_test)
        busy.snapshot()
        got.append(busy.step())
        got[-1].layers[0].unit_grad
    assert fingerprint(got) == expected


# --- update() mid-run ----------------------------------------------------------------------


def full_batch_trainer(**kw):
    return Trainer(TrainConfig(batch_size=None, hidden=(6, 5), **kw))


def test_new_activation_keeps_the_weights_and_is_used(backprop):
    trainer = full_batch_trainer()
    trainer.run(5)
    before = trainer.model.flat_value.copy()
    trainer.update(activation="tanh")
    np.testing.assert_array_equal(trainer.model.flat_value, before)
    assert trainer.model.activations == ["tanh", "tanh"] and trainer.config.activation == "tanh"
    Ws, bs = weights(trainer)
    expected, *_ = backprop(Ws, bs, trainer.data.X_train, trainer.data.y_train, "tanh")
    assert trainer.step().loss == pytest.approx(expected, rel=1e-12)


def test_new_optimizer_starts_fresh(backprop):
    trainer = full_batch_trainer(optimizer="adam")
    trainer.run(5)
    kept = trainer.model.flat_value.copy()
    trainer.update(optimizer="momentum", lr=0.1)
    np.testing.assert_array_equal(trainer.model.flat_value, kept)
    assert isinstance(trainer.optimizer, SGD) and trainer.optimizer.momentum == 0.9
    assert trainer.optimizer.t == 0 and trainer.optimizer.state_dict()["arrays"] == {}
    before = trainer.model.flat_value.copy()
    Ws, bs = weights(trainer)
    _, dWs, dbs, _ = backprop(Ws, bs, trainer.data.X_train, trainer.data.y_train, "relu")
    trainer.step()
    grad = np.concatenate([g.ravel() for pair in zip(dWs, dbs) for g in pair])
    # the momentum buffer starts at the first gradient: the first step is plain SGD
    np.testing.assert_allclose(trainer.model.flat_value, before - 0.1 * grad, rtol=1e-12, atol=1e-15)


def test_new_lr_keeps_optimizer_state():
    trainer = full_batch_trainer(optimizer="adam")
    trainer.run(5)
    state = trainer.optimizer.state_dict()
    trainer.update(lr=0.003)
    assert trainer.optimizer.lr == 0.003 and trainer.optimizer.t == 5
    for k, v in trainer.optimizer.state_dict()["arrays"].items():
        np.testing.assert_array_equal(v, state["arrays"][k])
    assert trainer.step().lr == 0.003 and trainer.optimizer.t == 6


def test_new_momentum_and_weight_decay_reach_the_optimizer():
    trainer = full_batch_trainer(optimizer="nesterov")
    trainer.run(2)
    trainer.update(momentum=0.5, weight_decay=0.01)
    assert (trainer.optimizer.momentum, trainer.optimizer.nesterov) == (0.5, True)
    assert trainer.optimizer.weight_decay == 0.01 and trainer.optimizer.t == 2


def test_update_rejects_unknown_and_invalid_changes_and_keeps_the_config():
    trainer = full_batch_trainer()
    config = trainer.config
    with pytest.raises(ValueError, match="seed"):
        trainer.update(seed=3)
    with pytest.raises(ValueError, match="lr"):
        trainer.update(lr=-1.0)
    with pytest.raises(ValueError, match="activation"):
        trainer.update(activation="swish")
    assert trainer.config is config and trainer.model.activations == ["relu", "relu"]


def test_batch_size_changes_mid_run():
    trainer = Trainer(TrainConfig(batch_size=50))  # 250 training samples
    trainer.run(2)
    assert trainer.epoch == pytest.approx(100 / 250)
    trainer.update(batch_size=None)
    trainer.run(3)
    assert trainer.epoch == pytest.approx(100 / 250 + 3)


# --- batches, evaluation, prediction ------------------------------------------------------


def test_full_batch_step_reports_the_loss_on_every_sample(backprop):
    trainer = full_batch_trainer(optimizer="sgd", lr=0.1)
    for _ in range(3):
        Ws, bs = weights(trainer)
        expected, *_ = backprop(Ws, bs, trainer.data.X_train, trainer.data.y_train, "relu")
        stats = trainer.step()
        assert stats.loss == pytest.approx(expected, rel=1e-12)
        assert stats.epoch == trainer.step_count


def test_batchnorm_never_trains_on_a_single_sample():
    trainer = Trainer(TrainConfig(batchnorm=True, batch_size=249))  # 250 training samples
    seen = [trainer.samples_seen]
    for _ in range(4):
        trainer.step()
        seen.append(trainer.samples_seen)
    assert min(np.diff(seen)) >= 2


def test_minibatches_count_samples():
    trainer = Trainer(TrainConfig(batch_size=32))
    trainer.run(10)  # 250 training samples: 7 full batches, one of 26, then 2 of the next epoch
    assert trainer.samples_seen == 7 * 32 + 26 + 2 * 32
    assert trainer.epoch == pytest.approx(trainer.samples_seen / 250)


def test_evaluate_matches_an_independent_computation(backprop):
    trainer = Trainer(TrainConfig(hidden=(8,)))
    trainer.run(100)
    ev = trainer.evaluate()
    Ws, bs = weights(trainer)
    for X, y, loss, acc in ((trainer.data.X_train, trainer.data.y_train, ev.train_loss, ev.train_accuracy),
                            (trainer.data.X_test, trainer.data.y_test, ev.test_loss, ev.test_accuracy)):
        expected, *_ = backprop(Ws, bs, X, y, "relu")
        assert loss == pytest.approx(expected, rel=1e-12)
        logits = np.maximum(X @ Ws[0] + bs[0], 0) @ Ws[1] + bs[1]
        assert acc == np.mean(logits.argmax(axis=1) == y)


def test_evaluate_without_a_test_set_and_on_regression():
    ev = Trainer(TrainConfig(test_fraction=0.0)).evaluate()
    assert ev.test_loss is None and ev.test_accuracy is None and ev.train_accuracy is not None
    ev = Trainer(TrainConfig(dataset="sine")).evaluate()
    assert ev.train_accuracy is None and ev.test_accuracy is None and ev.test_loss > 0


def test_predict_gives_labels_or_raw_outputs_in_eval_mode():
    trainer = Trainer(TrainConfig(batchnorm=True))
    trainer.run(20)
    buffers = {k: v.copy() for k, v in trainer.model.buffers().items()}
    X = trainer.data.X_test[:7]
    raw = trainer.predict(X, raw=True)
    assert raw.shape == (7, 2)
    np.testing.assert_array_equal(trainer.predict(X), raw.argmax(axis=1))
    np.testing.assert_array_equal(raw, trainer.model.forward(X, train=False))
    for k, v in trainer.model.buffers().items():
        np.testing.assert_array_equal(v, buffers[k])


@pytest.mark.parametrize("loss", ["bce", "hinge"])
def test_binary_losses_predict_by_the_sign_of_one_score(loss):
    trainer = Trainer(TrainConfig(dataset="gauss", loss=loss))
    assert trainer.model.sizes[-1] == 1
    trainer.run(200)
    raw = trainer.predict(trainer.data.X_test, raw=True)
    np.testing.assert_array_equal(trainer.predict(trainer.data.X_test), (raw[:, 0] > 0).astype(int))
    assert trainer.evaluate().test_accuracy > 0.95


def test_losses_that_do_not_fit_the_data_are_refused():
    with pytest.raises(ValueError, match="regression"):
        Trainer(TrainConfig(dataset="sine", loss="cross_entropy"))
    X = np.random.default_rng(0).normal(size=(30, 2))
    with pytest.raises(ValueError, match="two classes"):
        Trainer.from_arrays(X, np.arange(30) % 3, TrainConfig(loss="hinge"))


# --- from_arrays -----------------------------------------------------------------------------


def test_from_arrays_regression():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (200, 2))
    y = X @ np.array([1.5, -2.0]) + 0.5
    trainer = Trainer.from_arrays(X, y, TrainConfig(hidden=(8,), lr=0.02))
    assert not trainer.is_classification and trainer.model.architecture == "2-8-1"
    assert trainer.config.dataset is None and trainer.loss.name == "mse"
    start = trainer.evaluate().test_loss
    trainer.run(500)
    assert trainer.evaluate().test_loss < 0.01 * start
    assert trainer.predict(X[:4]).shape == (4, 1)


def test_from_arrays_classification_with_a_given_test_set():
    rng = np.random.default_rng(1)
    centres = np.array([[0.0, 4.0], [4.0, -2.0], [-4.0, -2.0]])
    labels = rng.integers(0, 3, 300)
    X = centres[labels] + rng.normal(size=(300, 2))
    trainer = Trainer.from_arrays(X[:200], labels[:200], TrainConfig(), X[200:], labels[200:])
    assert trainer.is_classification and trainer.data.n_classes == 3 and trainer.model.sizes[-1] == 3
    np.testing.assert_array_equal(trainer.data.X_test, X[200:])
    trainer.run(200)
    assert trainer.evaluate().test_accuracy > 0.95




@pytest.mark.parametrize("batchnorm", [False, True], ids=["plain", "bn"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_float32_runs_train_in_float32(activation, batchnorm):
    trainer = Trainer(TrainConfig(dtype="float32", activation=activation, batchnorm=batchnorm,
                                  optimizer="momentum", weight_decay=0.01))
    stats = trainer.run(5)
    assert trainer.model.flat_value.dtype == np.float32
    assert all(v.dtype == np.float32 for v in trainer.optimizer.state_dict()["arrays"].values())
    assert np.isfinite([s.loss for s in stats]).all() and all(s.applied for s in stats)
