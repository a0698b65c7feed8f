"""The learning-rate range test: the run it starts from stays bit-identical, the lr grows
exponentially, the smoothing and the marked points follow their stated rules, and the
suggestion trains well where the scenario's own lr does not."""

import copy
import math

import numpy as np
import pytest

from gradtui.engine import TrainConfig, Trainer, get_scenario
from gradtui.engine.curvature.lr_finder import BETA, BLOWUP, lr_schedule, range_test


def run_state(trainer: Trainer) -> tuple:
    snap = trainer.snapshot()
    arrays = [snap.weights, *snap.buffers.values(), *snap.optimizer["arrays"].values(), snap.sampler["perm"]]
    return (tuple(a.tobytes() for a in arrays), snap.optimizer["t"], repr(snap.sampler["rng"]),
            snap.sampler["pos"], trainer.step_count, trainer.config, tuple(trainer.changes))


@pytest.mark.parametrize("config", [
    TrainConfig(batchnorm=True, optimizer="adam", batch_size=16),
    TrainConfig(optimizer="momentum", schedule="cosine:300:0.1", warmup=5, clip_mode="norm"),
], ids=["bn-adam", "momentum-schedule-clip"])
def test_the_run_is_bit_identical_after_a_range_test(config, fingerprint):
    a = Trainer(config)
    a.run(30)
    b = copy.deepcopy(a)
    state = run_state(a)
    result = a.lr_range_test(steps=60)
    assert len(result.lrs) > 10
    assert run_state(a) == state
    assert fingerprint(a.run(20)) == fingerprint(b.run(20))


def test_the_lr_grows_by_the_same_factor_every_step_from_start_to_end():
    lrs = lr_schedule(1e-4, 1.0, 5)
    np.testing.assert_allclose(lrs, [1e-4, 1e-3, 1e-2, 1e-1, 1.0], rtol=1e-12)
    trainer = Trainer(get_scenario("default").config)
    result = trainer.lr_range_test(steps=40, start=1e-5, end=1e-3)  # Adam at these lrs never blows up
    assert result.blowup is None and len(result.lrs) == 40
    assert result.lrs[0] == pytest.approx(1e-5) and result.lrs[-1] == pytest.approx(1e-3)
    ratios = result.lrs[1:] / result.lrs[:-1]
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-12)


def test_each_step_trains_at_its_lr():
    """Plain full-batch SGD, one step per lr: the fork's loss after step i is the loss of
    the weights moved by lr_i along the gradient, computed here by hand."""
    trainer = Trainer(get_scenario("lr-too-low").config)
    lrs = lr_schedule(1e-3, 1e-1, 3)
    fork = copy.deepcopy(trainer)
    want = []
    for lr in lrs:
        model = fork.model
        out = model.forward(fork._X_train, train=True)
        model.backward(fork.loss.grad(out, fork._targets_train))
        model.flat_value -= lr * model.flat_grad
        want.append(fork.loss.value(model.forward(fork.X_probe, train=False), fork._targets_train[fork._probe_index]))
    result = trainer.lr_range_test(steps=3, start=1e-3, end=1e-1)
    np.testing.assert_allclose(result.losses, want, rtol=1e-12)


def test_smoothing_and_marked_points_follow_the_stated_rules():
    losses = [1.0, 0.9, 0.95, 0.7, 0.5, 0.45, 0.6, 1.5, 9.0, 50.0, 80.0, 90.0]
    lrs = lr_schedule(1e-3, 1.0, len(losses))
    feed = iter(losses)
    result = range_test(lambda lr: next(feed), lrs)
    avg, smoothed = 0.0, []
    for i, loss in enumerate(losses):
        avg = BETA * avg + (1 - BETA) * loss
        smoothed.append(avg / (1 - BETA ** (i + 1)))
    n = result.blowup + 1
    np.testing.assert_allclose(result.smoothed, smoothed[:n], rtol=1e-12)
    # the blow-up is the first smoothed loss above 4x the lowest one before it, and the test stops there
    assert smoothed[result.blowup] > BLOWUP * min(smoothed[:result.blowup])
    assert all(smoothed[i] <= BLOWUP * min(smoothed[:i]) for i in range(1, result.blowup))
    assert len(result.losses) == n
    assert result.minimum == int(np.argmin(smoothed[:result.blowup]))
    assert result.suggestion == pytest.approx(lrs[result.minimum] / 10)
    slopes = np.diff(smoothed[:result.blowup]) / np.diff(np.log(lrs[:result.blowup]))
    assert result.steepest in (int(np.argmin(slopes)), int(np.argmin(slopes)) + 1)  # a central slope is between


def test_a_nan_loss_is_the_blow_up():
    feed = iter([1.0, 0.8, math.nan, 0.1])
    result = range_test(lambda lr: next(feed), lr_schedule(1e-3, 1.0, 4))
    assert result.blowup == 2 and len(result.losses) == 3
    assert result.minimum == 1


def test_bad_ranges_are_refused():
    with pytest.raises(ValueError, match="0 < start < end and at least 2 steps"):
        lr_schedule(1.0, 0.1, 10)
    with pytest.raises(ValueError, match="at least 2 steps"):
        Trainer(TrainConfig()).lr_range_test(steps=1)


def test_the_suggestion_is_below_the_stability_limit_and_trains_where_the_scenario_lr_fails():
    too_low = get_scenario("lr-too-low").config
    trainer = Trainer(too_low)
    result = trainer.lr_range_test()
    assert result.blowup is not None
    assert 0.003 < result.suggestion < 2 / trainer.sharpness()  # fast, and below 2/lambda_max
    suggested = Trainer(too_low.replace(lr=result.suggestion)).run(1000)[-1].loss
    assert suggested < 0.6 * Trainer(too_low).run(1000)[-1].loss
    assert math.isfinite(suggested) and not math.isfinite(Trainer(too_low.replace(lr=0.3)).run(300)[-1].loss)
