"""One registry per kind of name: what config validation, the CLI and the app read."""

from __future__ import annotations

import numpy as np
import pytest

from gradtui.engine import (ACTIVATIONS, CLIP_MODES, INITS, LOSSES, OPTIMIZERS, REACH_TOL, Parameter,
                            Race, TrainConfig, Trainer, check_optimizer, get_activation, get_loss,
                            get_objective, make_optimizer, run_descent)
from gradtui.engine.nn.init import init_dense, parse_init
from gradtui.engine.train import config


def test_every_registered_name_builds_its_thing():
    assert [get_activation(name).name for name in ACTIVATIONS] == list(ACTIVATIONS)
    assert [get_loss(name).name for name in LOSSES] == list(LOSSES)
    param = Parameter("w", np.ones(3))
    kinds = {name: type(make_optimizer(name, [param], 0.1)).__name__ for name in OPTIMIZERS}
    assert kinds == {"sgd": "SGD", "momentum": "SGD", "nesterov": "SGD", "rmsprop": "RMSprop", "adam": "Adam"}
    rng = np.random.default_rng(0)
    for name in INITS:
        weight, _ = init_dense(name.replace("STD", "0.5"), 4, 3, 1.0, rng)
        assert weight.shape == (4, 3)
    for mode in CLIP_MODES:
        Trainer(TrainConfig(clip_mode=mode)).step()


def test_config_accepts_exactly_the_registries_and_names_them_when_refusing():
    assert (config.ACTIVATIONS, config.LOSSES, config.OPTIMIZERS, config.INITS, config.CLIP_MODES) == (
        ACTIVATIONS, LOSSES, OPTIMIZERS, INITS, CLIP_MODES)
    for field, valid in (("activation", ACTIVATIONS), ("loss", LOSSES), ("optimizer", OPTIMIZERS)):
        with pytest.raises(ValueError, match=f"valid: {', '.join(valid)}$"):
            TrainConfig(**{field: "nope"})
    with pytest.raises(ValueError, match="valid: none, norm, value$"):
        TrainConfig(clip_mode="nope")
    with pytest.raises(ValueError, match="valid: he, xavier, torch, normal:STD$"):
        parse_init("nope")
    assert parse_init("normal:2.5") == ("normal", 2.5)


def test_one_optimizer_check_serves_the_config_the_calculus_and_the_builder():
    messages = set()
    for attempt in (lambda: check_optimizer("lbfgs"), lambda: TrainConfig(optimizer="lbfgs"),
                    lambda: make_optimizer("lbfgs", [], 0.1),
                    lambda: Race(get_objective("bowl"), ["lbfgs"])):
        with pytest.raises(ValueError) as caught:
            attempt()
        messages.add(str(caught.value))
    assert messages == {f"unknown optimizer 'lbfgs'; valid: {', '.join(OPTIMIZERS)}"}


def test_one_reached_rule_for_races_and_the_runner():
    bowl = get_objective("bowl")
    assert bowl.reached(bowl.minima[0]) and not bowl.reached(np.add(bowl.minima[0], 2 * REACH_TOL))
    race = Race(bowl, ["adam"])
    race.run(400)
    lane = race.lanes["adam"]
    first = next(r.step for r in lane.trajectory if bowl.distance_to_minimum(r.x) <= REACH_TOL)
    assert race.results()[0].steps_to_minimum == first
    fresh = Race(bowl, ["adam"]).lanes["adam"]
    assert run_descent(fresh, 400).reached == first
