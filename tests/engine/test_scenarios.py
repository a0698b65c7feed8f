"""Every scenario shows its phenomenon with its own seed, headless (its hint and its
prediction are checked in test_scenario_hints.py)."""

from __future__ import annotations

import math

import pytest

from gradtui.engine import OBJECTIVES, SCENARIOS, Trainer, get_scenario


def config(name: str, **changes):
    return SCENARIOS[name].config.replace(**changes)


def first_step(run, kind: str, layer: str | None = None) -> int | None:
    return next((s.step for s in run if any(layer in (None, f.layer) for f in s.flagged(kind))), None)


def flagged_steps(run, kind: str, layer: str | None = None) -> int:
    return sum(any(layer in (None, f.layer) for f in s.flagged(kind)) for s in run)


def test_scenarios_have_a_story_a_hint_and_exactly_one_of_config_or_objective():
    for s in SCENARIOS.values():
        assert s.story and s.hint
        assert (s.config is None) == s.is_calculus


def test_every_objective_is_a_calculus_scenario():
    for name in OBJECTIVES:
        s = get_scenario(name)
        assert s.is_calculus and s.objective == name and s.config is None


def test_the_issue_s_network_scenarios_exist():
    for name in ("default", "exploding", "vanishing", "dying-relu", "saturation",
                 "lr-too-high", "lr-too-low", "line-fit", "xor-linear", "edge-of-stability"):
        assert not get_scenario(name).is_calculus


def test_unknown_scenario_names_the_valid_ones():
    with pytest.raises(ValueError, match="unknown scenario 'nope'; valid: default, exploding"):
        get_scenario("nope")


def test_default_learns_the_spiral_without_flags():
    trainer = Trainer(config("default"))
    run = trainer.run(3000)
    assert not [f for s in run for f in s.flags]
    assert trainer.evaluate().train_accuracy > 0.95


def test_exploding_grows_to_nan_within_a_few_dozen_steps():
    run = Trainer(config("exploding")).run(40)
    explode, nan = first_step(run, "exploding"), first_step(run, "nonfinite")
    assert explode is not None and nan is not None
    assert explode < nan <= 40
    assert run[0].grad_norm < 1e3 < run[explode - 1].grad_norm  # it grows; it does not start huge


def test_vanishing_first_layer_gets_almost_no_gradient():
    run = Trainer(config("vanishing")).run(300)
    assert flagged_steps(run, "vanishing", "layers.0") >= 0.8 * len(run)
    last = run[-1].layers
    assert last[0].update_ratio < 1e-3 * last[-1].update_ratio  # the first layer barely moves


def test_dying_relu_kills_at_least_half_a_layer():
    run = Trainer(config("dying-relu")).run(200)
    assert run[0].layers[1].dead < 8  # alive at the start: the high lr kills them
    assert run[-1].layers[1].dead >= 8
    assert run[-1].flagged("dead")


def test_saturation_pins_units_and_learning_stalls():
    trainer = Trainer(config("saturation"))
    run = trainer.run(300)
    assert flagged_steps(run, "saturated") == len(run)
    assert run[-1].layers[1].saturated == run[-1].layers[1].width
    assert trainer.evaluate().train_accuracy < 0.6


def test_saturation_without_the_large_bias_is_not_saturated():
    run = Trainer(config("saturation", bias_init=None)).run(300)
    assert flagged_steps(run, "saturated") == 0


def test_lr_too_high_and_too_low_are_the_same_net_three_orders_apart():
    high, low = config("lr-too-high"), config("lr-too-low")
    assert high.lr == pytest.approx(1000 * low.lr)
    assert high.replace(lr=1.0) == low.replace(lr=1.0)


def test_lr_too_high_oscillates_then_diverges():
    run = Trainer(config("lr-too-high")).run(300)
    losses = [s.loss for s in run]
    assert any(b < a for a, b in zip(losses[1:6], losses[2:7]))  # bounces back down at least once
    assert losses[20] > 1e6 * losses[0]
    assert first_step(run, "exploding") <= 20
    assert first_step(run, "nonfinite") is not None


def test_lr_too_low_crawls_where_its_hint_converges():
    def losses(cfg):
        return [s.loss for s in Trainer(cfg).run(1000)]

    low = losses(config("lr-too-low"))
    assert all(b <= a for a, b in zip(low, low[1:]))  # full batch, tiny steps: always downhill
    assert low[-1] > 0.7 * low[0]                       # ... and barely anywhere
    hinted = [s.loss for s in Trainer(config("lr-too-low", lr=0.01)).run(2500)]
    assert hinted[-1] < 0.01


def test_line_fit_finds_slope_2_and_intercept_1():
    trainer = Trainer(config("line-fit"))
    assert trainer.model.architecture == "1-1"
    trainer.run(500)
    layer = trainer.model.layers[0]
    assert layer.W.value[0, 0] == pytest.approx(2.0, abs=1e-6)
    assert layer.b.value[0] == pytest.approx(1.0, abs=1e-6)
