"""Gradient health: each flag on a network built to show it, and every statistic checked by hand."""

import numpy as np
import pytest

from gradtui.engine import UNIT_STATES, Parameter, TrainConfig, Trainer, clip_grad_norm
from gradtui.engine.nn.fastops import DOT_MIN
from gradtui.engine.train.health import gradient_flags

ALIVE, DEAD, SATURATED = (UNIT_STATES.index(s) for s in ("alive", "dead", "saturated"))


def kinds(stats):
    return {f.kind for f in stats.flags}


# --- behaviour on deliberately built networks -----------------------------------------------


def test_deep_sigmoid_net_flags_vanishing_on_its_first_layer():
    cfg = TrainConfig(hidden=(16,) * 7, activation="sigmoid", optimizer="sgd", lr=0.1)
    stats = Trainer(cfg).step()
    assert ("vanishing", "layers.0") in [(f.kind, f.layer) for f in stats.flags]
    assert stats.layers[0].grad_norm < cfg.vanish_ratio * stats.layers[-1].grad_norm
    # the same depth with ReLU and He init keeps its gradient
    assert not Trainer(cfg.replace(activation="relu")).step().flagged("vanishing")


EXPLODING = TrainConfig(init="normal:3.0", optimizer="sgd", lr=1.0, activation="leaky_relu")


def test_normal_3_init_with_high_lr_explodes_then_goes_nonfinite_with_finite_weights():
    trainer = Trainer(EXPLODING)
    history = []
    for _ in range(40):
        before = trainer.model.flat_value.copy()
        stats = trainer.step()
        assert np.isfinite(trainer.model.flat_value).all(), f"non-finite weight after step {stats.step}"
        if "nonfinite" in kinds(stats):
            assert not stats.applied
            np.testing.assert_array_equal(trainer.model.flat_value, before)
        else:
            assert stats.applied
        history.append(kinds(stats))
    first_explosion = next(i for i, k in enumerate(history) if "exploding" in k)
    first_nonfinite = next(i for i, k in enumerate(history) if "nonfinite" in k)
    assert first_explosion < first_nonfinite


def test_the_same_net_with_norm_clipping_trains_with_finite_loss():
    trainer = Trainer(EXPLODING.replace(clip_mode="norm", clip=1.0))
    run = trainer.run(300)
    losses = [s.loss for s in run]
    assert np.isfinite(losses).all() and all(s.applied for s in run)
    assert not any(s.flagged("nonfinite") for s in run)
    assert run[0].clipped and run[0].grad_norm > 1.0
    assert np.mean(losses[-20:]) < 0.05 * losses[0]


DEADLY = TrainConfig(bias_init=-3.0, optimizer="sgd", lr=0.1)


@pytest.mark.parametrize("cfg", [DEADLY, TrainConfig(optimizer="sgd", lr=3.0)], ids=["negative-bias", "high-lr"])
def test_relu_net_driven_into_dead_units_flags_them_and_leaky_relu_has_none(cfg):
    run = Trainer(cfg).run(100)
    dead = [f for s in run for f in s.flagged("dead")]
    assert dead
    worst = max((ls for s in run for ls in s.layers), key=lambda ls: ls.dead / ls.width)
    assert worst.dead >= worst.width / 2
    assert np.count_nonzero(worst.unit_state == DEAD) == worst.dead
    leaky = Trainer(cfg.replace(activation="leaky_relu")).run(100)
    assert not any(s.flagged("dead") for s in leaky)
    assert all(ls.dead == 0 for s in leaky for ls in s.layers)


def test_well_configured_spiral_net_raises_no_flag_and_learns():
    trainer = Trainer(TrainConfig())
    flags = [f for _ in range(3000) for f in trainer.step().flags]
    assert flags == []
    assert trainer.evaluate().train_accuracy > 0.95


# --- the numbers behind the flags ----------------------------------------------------------


def layer_vectors(Ws, bs):
    return [np.concatenate([W.ravel(), b]) for W, b in zip(Ws, bs)]


def snapshot_weights(trainer):
    return ([l.W.value.copy() for l in trainer.model.layers], [l.b.value.copy() for l in trainer.model.layers])


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_layer_statistics_are_the_right_numbers(optimizer, backprop):
    trainer = Trainer(TrainConfig(activation="tanh", optimizer=optimizer, lr=0.05, batch_size=None,
                                  hidden=(7, 5)))
    trainer.run(3)
    Ws, bs = snapshot_weights(trainer)
    loss, dWs, dbs, dzs = backprop(Ws, bs, trainer.data.X_train, trainer.data.y_train, "tanh")
    stats = trainer.step()
    Ws_after, bs_after = snapshot_weights(trainer)
    assert stats.loss == pytest.approx(loss, rel=1e-12)
    grads = layer_vectors(dWs, dbs)
    assert stats.grad_norm == pytest.approx(np.linalg.norm(np.concatenate(grads)), rel=1e-12)
    assert [ls.name for ls in stats.layers] == ["layers.0", "layers.1", "layers.2"]
    assert [ls.width for ls in stats.layers] == [7, 5, 2]
    for ls, g, w0, w1, dz in zip(stats.layers, grads, layer_vectors(Ws, bs),
                                 layer_vectors(Ws_after, bs_after), dzs):
        assert ls.grad_norm == pytest.approx(np.linalg.norm(g), rel=1e-12)
        assert ls.grad_mean_abs == pytest.approx(np.abs(g).mean(), rel=1e-12)
        assert ls.grad_max_abs == pytest.approx(np.abs(g).max(), rel=1e-12)
        assert ls.weight_norm == pytest.approx(np.linalg.norm(w1), rel=1e-12)
        assert ls.update_ratio == pytest.approx(np.linalg.norm(w1 - w0) / np.linalg.norm(w1), rel=1e-9)
        np.testing.assert_allclose(ls.unit_grad, np.abs(dz).mean(axis=0), rtol=1e-12)
    if optimizer == "sgd":
        assert stats.layers[0].update_ratio == pytest.approx(
            0.05 * stats.layers[0].grad_norm / stats.layers[0].weight_norm, rel=1e-9)


@pytest.mark.parametrize("cfg", [TrainConfig(activation="linear", batchnorm=True),
                                 TrainConfig(dataset="sine", loss="mae", optimizer="sgd", lr=0.1)],
                         ids=["linear-bn", "sine-mae"])
def test_per_unit_gradients_read_late_equal_those_read_at_once(cfg):
    at_once = []
    trainer = Trainer(cfg)
    for _ in range(5):
        at_once.append([ls.unit_grad.copy() for ls in trainer.step().layers])
    late = Trainer(cfg).run(5)
    for stats, expected in zip(late, at_once):
        for ls, e in zip(stats.layers, expected):
            np.testing.assert_array_equal(ls.unit_grad, e)


@pytest.mark.parametrize("mode, limit", [("norm", 0.05), ("value", 0.01)])
def test_clipping_in_the_trainer(mode, limit, backprop):
    trainer = Trainer(TrainConfig(optimizer="sgd", lr=0.1, batch_size=None, hidden=(6,), activation="tanh",
                                  clip_mode=mode, clip=limit))
    Ws, bs = snapshot_weights(trainer)
    _, dWs, dbs, _ = backprop(Ws, bs, trainer.data.X_train, trainer.data.y_train, "tanh")
    params = [Parameter(f"p{i}", g.copy(), g.copy()) for i, g in enumerate(layer_vectors(dWs, dbs))]
    before = trainer.model.flat_value.copy()
    stats = trainer.step()
    if mode == "norm":
        total = clip_grad_norm(params, limit)
        assert stats.grad_norm == pytest.approx(total, rel=1e-12)
    else:
        for p in params:
            np.clip(p.grad, -limit, limit, out=p.grad)
    assert stats.clipped
    clipped = np.concatenate([p.grad for p in params])
    np.testing.assert_allclose(trainer.model.flat_value, before - 0.1 * clipped, rtol=1e-12, atol=1e-15)


def test_no_clipping_under_the_limit():
    stats = Trainer(TrainConfig(clip_mode="norm", clip=1e6)).step()
    assert not stats.clipped and stats.applied


def direct_unit_states(trainer):
    """Unit states from the current weights on the probe set, in plain NumPy."""
    cfg = trainer.config
    a = trainer.X_probe
    states = []
    for i, layer in enumerate(trainer.model.layers):
        z = a @ layer.W.value + layer.b.value
        state = np.full(layer.fan_out, ALIVE)
        if i == len(trainer.model.layers) - 1:
            pass
        elif cfg.activation == "relu":
            state[(z <= 0).all(axis=0)] = DEAD
            z = np.maximum(z, 0)
        elif cfg.activation == "sigmoid":
            z = 1 / (1 + np.exp(-z))
            state[(z * (1 - z) < cfg.saturation_grad * 0.25).all(axis=0)] = SATURATED
        elif cfg.activation == "tanh":
            z = np.tanh(z)
            state[(1 - z * z < cfg.saturation_grad).all(axis=0)] = SATURATED
        states.append(state)
        a = z
    return states


@pytest.mark.parametrize("cfg", [
    DEADLY.replace(probe_every=4, probe_size=100),
    TrainConfig(bias_init=6.0, activation="sigmoid", init="normal:1.0", optimizer="sgd", lr=0.5, probe_every=4),
    TrainConfig(bias_init=4.0, activation="tanh", init="normal:1.0", optimizer="sgd", lr=0.5, probe_every=4),
    # wide last hidden layers
    DEADLY.replace(hidden=(16, 512), bias_init=-1.0, probe_every=4, probe_size=300, n_samples=600),
    TrainConfig(hidden=(16, 512), bias_init=3.0, activation="tanh", init="normal:1.0", optimizer="sgd", lr=0.5,
                probe_every=4, probe_size=300, n_samples=600),
], ids=["dead-relu", "saturated-sigmoid", "saturated-tanh", "dead-relu-wide", "saturated-tanh-wide"])
def test_unit_states_match_a_direct_check_on_the_probe_set(cfg):
    trainer = Trainer(cfg)
    last = None
    for _ in range(13):
        stats = trainer.step()
        got = [ls.unit_state for ls in stats.layers]
        if (stats.step - 1) % cfg.probe_every == 0:  # probed after this step's update
            last = direct_unit_states(trainer)
        for g, e in zip(got, last):
            np.testing.assert_array_equal(g, e)
        for ls in stats.layers:
            assert ls.dead == np.count_nonzero(ls.unit_state == DEAD)
            assert ls.saturated == np.count_nonzero(ls.unit_state == SATURATED)
    assert any(np.any(s != ALIVE) for s in last)


def test_saturated_layers_are_flagged():
    stats = Trainer(TrainConfig(bias_init=20.0, activation="sigmoid")).step()
    assert [f.layer for f in stats.flagged("saturated")] == ["layers.0", "layers.1"]
    assert all(ls.saturated == ls.width for ls in stats.layers[:2])


def test_thresholds_come_from_the_config_and_can_change_mid_run():
    trainer = Trainer(TrainConfig(explode_norm=1e-6))
    assert {f.layer for f in trainer.step().flagged("exploding")} == {"layers.0", "layers.1", "layers.2"}
    trainer.update(explode_norm=1e3)
    assert not trainer.step().flagged("exploding")
    deadly = Trainer(DEADLY)
    assert deadly.step().flagged("dead")
    deadly.update(dead_fraction=1.0)
    assert not deadly.step().flagged("dead")


# --- non-finite steps ------------------------------------------------------------------------


def test_a_nonfinite_loss_skips_the_update():
    trainer = Trainer(TrainConfig(optimizer="momentum"))
    trainer.model.flat_value[:] = 1e200  # activations overflow: the loss is inf or NaN
    before = trainer.model.flat_value.copy()
    stats = trainer.step()
    assert not np.isfinite(stats.loss) and not stats.applied
    assert [(f.kind, f.layer) for f in stats.flagged("nonfinite")] == [("nonfinite", "loss")]
    np.testing.assert_array_equal(trainer.model.flat_value, before)
    assert all(ls.update_ratio == 0.0 for ls in stats.layers)


def overflowing_regression(hidden_weight, out_weight, lr=0.01):
    """A 1-1-1 linear net on x = 1 whose hidden activation is ``hidden_weight``."""
    trainer = Trainer.from_arrays(np.ones((4, 1)), np.full(4, 0.5), TrainConfig(
        hidden=(1,), activation="linear", optimizer="sgd", lr=lr, batch_size=None, test_fraction=0.0))
    hidden, out = trainer.model.layers
    hidden.W.value, hidden.b.value, out.W.value, out.b.value = hidden_weight, 0.0, out_weight, 0.0
    return trainer


def test_a_nonfinite_gradient_skips_the_update():
    # a = 1e308, prediction 1e8: the loss is finite but dL/dW1 = sum(a * dL/dpred) overflows
    trainer = overflowing_regression(1e308, 1e-300)
    before = trainer.model.flat_value.copy()
    stats = trainer.step()
    assert np.isfinite(stats.loss) and not stats.applied
    assert [f.layer for f in stats.flagged("nonfinite")] == ["layers.1"]
    np.testing.assert_array_equal(trainer.model.flat_value, before)


def test_huge_finite_gradients_get_exact_norms():
    # a = 1e200, prediction 1: dL/dW1 = 4 * 1e200 * (2 * 0.5 / 4) = 1e200, whose square overflows
    trainer = overflowing_regression(1e200, 1e-200)
    stats = trainer.step()
    assert stats.applied and np.isfinite(trainer.model.flat_value).all()
    assert stats.layers[1].grad_norm == pytest.approx(np.hypot(1e200, 1.0), rel=1e-12)
    assert stats.grad_norm == pytest.approx(1e200, rel=1e-12)
    assert ("exploding", "layers.1") in [(f.kind, f.layer) for f in stats.flags]


def test_an_update_that_would_overflow_the_weights_is_undone():
    trainer = Trainer(TrainConfig(init="normal:3.0", activation="linear", optimizer="sgd", lr=1e308,
                                  batch_size=None))
    before = trainer.model.flat_value.copy()
    stats = trainer.step()
    assert np.isfinite(stats.loss) and not stats.applied
    assert [f.layer for f in stats.flagged("nonfinite")] == ["model"]
    np.testing.assert_array_equal(trainer.model.flat_value, before)


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_an_undone_update_leaves_the_optimizer_state_alone(optimizer):
    trainer = Trainer(TrainConfig(init="normal:3.0", activation="linear", optimizer=optimizer, lr=1e308,
                                  batch_size=None))
    trainer.update(lr=1e-3)
    trainer.run(2)
    trainer.update(lr=1e308)
    state = trainer.optimizer.state_dict()
    assert not trainer.step().applied
    after = trainer.optimizer.state_dict()
    assert after["t"] == state["t"]
    for k, v in state["arrays"].items():
        np.testing.assert_array_equal(after["arrays"][k], v)


def test_ratios_in_flag_details_are_never_a_bare_0x():
    cfg = TrainConfig()
    names = ["layers.0", "layers.1", "layers.2"]
    zero, tiny, huge = gradient_flags(cfg, names, [0.0, 1e-7, 1.0]) + gradient_flags(
        cfg, names, [0.1, 250.0, 0.1])
    assert zero.detail == "no gradient reaches it (norm 0; the output layer's is 1)"
    assert tiny.detail == "gradient norm 1e-07 times the output layer's"
    assert huge.kind == "exploding" and huge.detail.startswith("gradient norm 2.5e+03 times")
    for flag in (zero, tiny, huge):
        assert "0x" not in flag.detail


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_statistics_of_a_model_past_dot_min_match_a_float64_computation(dtype):
    """Past ``DOT_MIN`` parameters the per-layer sums run as one BLAS dot per layer."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(600, 200)), rng.integers(0, 10, 600)
    trainer = Trainer.from_arrays(X, y, TrainConfig(hidden=(64,), optimizer="adam", dtype=dtype, batch_size=64))
    assert trainer.model.flat_value.size >= DOT_MIN
    trainer.run(3)
    w0 = trainer.model.flat_value.astype(np.float64)
    stats = trainer.step()
    g, w1 = trainer.model.flat_grad.astype(np.float64), trainer.model.flat_value.astype(np.float64)
    bounds = list(zip(trainer.model.layer_starts, [*trainer.model.layer_starts[1:], g.size]))
    tol = 1e-5 if dtype == "float32" else 1e-12
    for ls, (a, b) in zip(stats.layers, bounds):
        assert ls.grad_norm == pytest.approx(np.linalg.norm(g[a:b]), rel=tol)
        assert ls.grad_mean_abs == pytest.approx(np.abs(g[a:b]).mean(), rel=tol)
        assert ls.grad_max_abs == pytest.approx(np.abs(g[a:b]).max(), rel=tol)
        assert ls.weight_norm == pytest.approx(np.linalg.norm(w1[a:b]), rel=tol)
        assert ls.update_ratio == pytest.approx(np.linalg.norm(w1[a:b] - w0[a:b]) / np.linalg.norm(w1[a:b]),
                                                rel=1e-3 if dtype == "float32" else 1e-9)
